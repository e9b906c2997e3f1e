"""Ids are never reused (issue "Trust first", point 1), through the CLI on both backends.

A deleted payment's id stays taken: repeating ``bulk delete ID`` after a new payment was
created must not delete the new one, and ``history ID`` must not mix two payments.
"""

from __future__ import annotations

from tests.conftest import payctl
from tests.conftest import payctl_json as js


def create(memo: str) -> int:
    shown = js(
        "create",
        "-t",
        "customer_payment",
        "-p",
        "ACME GmbH",
        "-a",
        "10.00",
        "--date",
        "2026-02-01",
        "--memo",
        memo,
    )
    return int(shown["id"])


def test_repeated_bulk_delete_and_history_never_touch_a_newer_payment(cli_env):
    payctl("partner", "create", "ACME GmbH", "--kind", "customer")
    first, doomed = create("first"), create("doomed")
    deleted = js("bulk", "delete", doomed)
    assert deleted["summary"]["succeeded"] == 1

    newer = create("newer")
    assert newer > doomed, f"the new payment got id {newer}: the deleted {doomed} was reused"

    again = js("bulk", "delete", doomed)
    assert again["summary"]["succeeded"] == 0 and again["summary"]["skipped"] == 1
    assert js("show", newer)["memo"] == "newer"  # still there
    assert js("show", first)["memo"] == "first"

    assert [h["action"] for h in js("history", doomed)["items"]] == ["create", "delete"]
    assert [h["action"] for h in js("history", newer)["items"]] == ["create"]
    assert all(c["after"] != "newer" for h in js("history", doomed)["items"] for c in h["changes"])

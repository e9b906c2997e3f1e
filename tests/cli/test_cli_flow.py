"""The workflow commands through Typer's CliRunner (issue 3, item 9): confirm, reset
(reset-to-draft), cancel, history, lock-date, and `show` with entries and allocations.

Every refusal must be one line on stderr with exit code 1 (2 for bad input), no traceback.
Runs on every backend of the ``backend`` fixture.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.conftest import payctl, payctl_json, refused


def as_json(*args: Any) -> Any:
    return payctl_json(*args)


def draft(amount: str = "1190.00", date: str = "2026-02-01", *allocate: str) -> int:
    args = [
        "create",
        "--type",
        "customer_payment",
        "--partner",
        "ACME GmbH",
        "--journal",
        "BNK1",
        "--amount",
        amount,
        "--date",
        date,
    ]
    for item in allocate:
        args += ["--allocate", item]
    return as_json(*args)["id"]


@pytest.fixture
def acme(cli_env: dict[str, str]) -> dict[str, str]:
    payctl("partner", "create", "ACME GmbH", "--kind", "customer")
    payctl(
        "invoice",
        "create",
        "--partner",
        "ACME GmbH",
        "--number",
        "INV-1",
        "--amount",
        "1190.00",
        "--date",
        "2026-01-05",
    )
    return cli_env


def test_confirm_and_show_the_entry_and_allocations(acme):
    pid = draft("1190.00", "2026-02-01", "INV-1=1000.00")

    result = payctl("confirm", pid)
    assert "BNK1/2026/00001" in result.stdout and "posted" in result.stdout

    shown = payctl("show", "BNK1/2026/00001").stdout
    for text in (
        "Allocations",
        "INV-1",
        "1000.00",
        "190.00",
        "Entry JE/BNK1/2026/00001",
        "1020",
        "Outstanding receipts",
        "1100",
        "Accounts receivable",
        "1190.00",
    ):
        assert text in shown, text
    data = as_json("show", pid)
    assert (data["state"], data["number"]) == ("posted", "BNK1/2026/00001")
    assert data["allocations"] == [
        {"invoice": "INV-1", "amount": "1000.00", "writeoff": "0.00", "invoice_residual": "190.00"}
    ]
    (entry,) = data["entries"]
    assert {(ln["account"], ln["debit"], ln["credit"]) for ln in entry["lines"]} == {
        ("1020", "1190.00", "0.00"),
        ("1100", "0.00", "1190.00"),
    }


def test_confirm_of_a_posted_payment_is_skipped_like_bulk(acme):
    pid = draft()
    payctl("confirm", pid)
    for command in (["confirm", "BNK1/2026/00001"], ["bulk", "confirm", "BNK1/2026/00001"]):
        data = as_json(*command)
        assert [(i["status"], i["message"]) for i in data["items"]] == [
            ("skipped", "already posted: skipped")
        ]
        assert data["summary"] | {"action": None} == {
            "action": None,
            "requested": 1,
            "succeeded": 0,
            "skipped": 1,
            "failed": 0,
            "batches": 1,
            "atomic": False,
            "dry_run": False,
            "rolled_back": False,
        }
    result = payctl("confirm", "BNK1/2026/00001")  # a table, and the totals on stderr
    assert "skipped" in result.stdout
    assert result.stderr == "0 ok, 1 skipped, 0 failed\n"
    assert len(as_json("show", pid)["entries"]) == 1


def test_reset_reverses_keeps_the_number_and_reconfirms(acme):
    pid = draft("1190.00", "2026-02-01", "INV-1=1190.00")
    payctl("confirm", pid)

    result = payctl("reset", "BNK1/2026/00001", "--reason", "wrong invoice")
    assert "draft" in result.stdout
    data = as_json("show", pid)
    assert (data["state"], data["number"]) == ("draft", "BNK1/2026/00001")
    original, reversal = data["entries"]
    assert original["reversed_by"] == reversal["number"]
    assert reversal["reversal_of"] == original["number"]
    assert data["allocations"][0]["invoice_residual"] == "1190.00"
    assert f"(reverses {original['number']})" in payctl("show", pid).stdout

    assert as_json("reset", pid)["items"][0]["message"] == "already draft: skipped"
    payctl("confirm", pid)
    payctl("reset-to-draft", "BNK1/2026/00001")  # the alias
    data = as_json("show", pid)
    assert (data["state"], data["number"], len(data["entries"])) == ("draft", "BNK1/2026/00001", 4)


def test_cancel_draft_and_posted(acme):
    first, second = draft(), draft("100.00")
    payctl("confirm", second)

    payctl("cancel", first, "--reason", "duplicate")
    payctl("cancel", "BNK1/2026/00001")
    assert as_json("show", first)["state"] == "cancelled"
    data = as_json("show", second)
    assert data["state"] == "cancelled" and len(data["entries"]) == 2
    assert as_json("cancel", first)["items"][0]["status"] == "skipped"
    assert "cancelled and cannot be reset" in refused("reset", second)


def test_several_payments_in_one_confirm_report_each_item(acme):
    ids = [draft("10.00"), draft("20.00"), draft("30.00")]
    payctl("confirm", ids[1])

    # an item failed: exit 1, the one exit-code rule of `bulk`
    result = payctl("confirm", ids[0], ids[1], ids[2], "99999", "--format", "json", code=1)
    data = json.loads(result.stdout)
    items = {i["item"]: i for i in data["items"]}
    assert {k: (i["ok"], i["status"]) for k, i in items.items()} == {
        str(ids[0]): (True, "ok"),
        str(ids[1]): (True, "skipped"),
        str(ids[2]): (True, "ok"),
        "99999": (False, "failed"),
    }
    first, third = items[str(ids[0])], items[str(ids[2])]
    assert (first["number"], third["number"]) == ("BNK1/2026/00002", "BNK1/2026/00003")
    assert items[str(ids[1])]["message"] == "already posted: skipped"
    assert items["99999"]["message"] == "unknown payment '99999'"
    assert (first["before"], first["after"]) == ("draft", "posted")
    assert (data["summary"]["succeeded"], data["summary"]["failed"]) == (2, 1)
    assert "Traceback" not in result.stderr

    table = payctl("reset", "BNK1/2026/00002", "BNK1/2026/00003").stdout
    assert "BNK1/2026/00002" in table and "BNK1/2026/00003" in table


def test_history_shows_who_what_and_why(acme):
    pid = draft()
    payctl("confirm", pid, "--reason", "approved by Anna")
    payctl("reset", pid, "--reason", "wrong amount")
    payctl("update", pid, "--amount", "1000.00", "--reason", "typo")

    items = as_json("history", "BNK1/2026/00001")["items"]
    assert [(i["user"], i["action"], i["reason"]) for i in items] == [
        ("tester", "create", None),
        ("tester", "confirm", "approved by Anna"),
        ("tester", "reset", "wrong amount"),
        ("tester", "update", "typo"),
    ]
    assert [c["text"] for c in items[3]["changes"]] == ["amount 1190.00 → 1000.00 EUR"]
    table = payctl("history", pid).stdout
    assert "approved by Anna" in table and "reset" in table
    assert "no history" in refused("history", "99999")


def test_write_off_option(acme):
    pid = draft("1189.50", "2026-02-01", "INV-1=1189.50")
    payctl("confirm", pid, "--write-off")
    data = as_json("show", pid)
    assert data["allocations"][0]["writeoff"] == "0.50"
    assert data["allocations"][0]["invoice_residual"] == "0.00"
    assert {(ln["account"], ln["debit"], ln["credit"]) for ln in data["entries"][0]["lines"]} == {
        ("1020", "1189.50", "0.00"),
        ("6900", "0.50", "0.00"),
        ("1100", "0.00", "1190.00"),
    }


def test_unknown_payment_exits_1(acme):
    line = refused("confirm", "BNK1/2026/09999")
    assert line == "payctl: error: unknown payment 'BNK1/2026/09999'"
    assert "unknown payment '424242'" in refused("cancel", "424242")


async def _lock_audit(url: str) -> list[tuple[str, str, str | None, dict]]:
    from sqlalchemy import select

    from payctl.db.engine import Database
    from payctl.db.models import AuditRecord

    db = Database(url)
    try:
        async with db.session() as s:
            rows = (
                (
                    await s.execute(
                        select(AuditRecord)
                        .where(AuditRecord.action == "lock_date")
                        .order_by(AuditRecord.id)
                    )
                )
                .scalars()
                .all()
            )
            return [(r.user, r.action, r.reason, json.loads(r.changes)) for r in rows]
    finally:
        await db.dispose()


def test_lock_date_commands(acme, init_url):
    early = draft("100.00", "2026-03-01")
    posted = draft("50.00", "2026-02-01")
    payctl("confirm", posted)
    assert payctl("lock-date", "show").stdout.strip() == "no lock date set"

    payctl("lock-date", "set", "2026-03-31", "--reason", "Q1 closed")
    assert payctl("lock-date", "show").stdout.strip() == "2026-03-31"

    line = refused("confirm", early)
    assert "date 2026-03-01 is on or before the lock date 2026-03-31" in line
    assert "lock date 2026-03-31" in refused("reset", posted)
    assert "lock date 2026-03-31" in refused("cancel", posted)
    assert as_json("show", early)["state"] == "draft"
    assert as_json("show", posted)["state"] == "posted"

    assert "--force" in refused("lock-date", "set", "2026-01-31")
    assert payctl("lock-date", "show").stdout.strip() == "2026-03-31"
    payctl("lock-date", "set", "2026-01-31", "--force", "--reason", "reopen Feb/Mar")
    assert payctl("lock-date", "show").stdout.strip() == "2026-01-31"
    refused("lock-date", "set", "31/01/2026", code=2)

    assert asyncio.run(_lock_audit(init_url)) == [
        ("tester", "lock_date", "Q1 closed", {"lock_date": [None, "2026-03-31"], "forced": False}),
        (
            "tester",
            "lock_date",
            "reopen Feb/Mar",
            {"lock_date": ["2026-03-31", "2026-01-31"], "forced": True},
        ),
    ]
    payctl("confirm", early)  # after the lock date again
    payctl("reset", posted)

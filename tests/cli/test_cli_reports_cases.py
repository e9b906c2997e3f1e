"""`payctl report` on small books made for the case: aging as of past days around a reset,
write-offs and reversals on a statement, empty reports, bad input. On every backend."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from tests.cli.test_cli_check_export import _build
from tests.cli.test_cli_month_end_reports import partner_balance
from tests.conftest import payctl, refused


def test_aging_as_of_a_past_day_shows_what_was_open_then(cli_env):
    """A payment counts from its date until the day a reset or cancel reversed it."""
    payctl("partner", "create", "Ostwind KG", "--kind", "customer")
    payctl(
        "invoice", "create", "--partner", "Ostwind KG", "--number", "OW-1", "--amount", "100.00",
        "--date", "2026-01-05", "--due", "2026-02-04",
    )  # fmt: skip
    payctl(
        "invoice", "create", "--partner", "Ostwind KG", "--number", "OW-2", "--amount", "50.00",
        "--date", "2026-03-01",
    )  # fmt: skip
    payctl(
        "create", "--type", "customer_payment", "--partner", "Ostwind KG", "--journal", "BNK1",
        "--amount", "130.00", "--date", "2026-02-10", "--allocate", "OW-1=100.00",
    )  # fmt: skip
    payctl("confirm", "1")

    def aging(day: str | None) -> dict[str, str]:
        data = payctl_json_aging(day)
        return data["items"][0] if data["items"] else {}

    before = aging("2026-02-09")  # 5 days overdue, payment not yet made
    assert (before["days_1_30"], before["unallocated"], before["total"]) == (
        "100.00",
        "0.00",
        "100.00",
    )
    paid = aging("2026-02-10")
    assert (paid["days_1_30"], paid["unallocated"], paid["total"]) == ("0.00", "-30.00", "-30.00")
    later = aging("2026-03-01")  # OW-2 due on its date (no due date): not yet due that day
    assert (later["not_due"], later["total"]) == ("50.00", "20.00")
    payctl("reset", "1", "--reason", "wrong partner")  # reversal dated today
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    assert aging(yesterday)["total"] == "20.00"  # it counted until the reset
    assert aging(dt.date.today().isoformat())["total"] == "150.00"
    assert aging(None)["total"] == "150.00"
    payctl("confirm", "1")  # posted again, dated 2026-02-10 again
    assert aging("2026-03-01")["total"] == "20.00"  # counted once, not twice
    assert aging(None)["total"] == "20.00"


def payctl_json_aging(day: str | None) -> Any:
    args = ["report", "aging", "--format", "json"] + (["--as-of", day] if day else [])
    return json.loads(payctl(*args).stdout)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--buckets", "30,20"], "--buckets"),
        (["--buckets", "30,30"], "--buckets"),
        (["--buckets", "0,30"], "--buckets"),
        (["--buckets", "thirty"], "--buckets"),
        (["--buckets", "30,,60"], "--buckets"),
        (["--buckets", "-30"], "--buckets"),
        (["--buckets", ""], "--buckets"),
        (["--as-of", "2026-13-01"], "--as-of"),
        (["--as-of", ""], "--as-of"),
        (["--partner", ""], "--partner"),
    ],
)
def test_aging_bad_input_is_one_line_exit_2(cli_env, args, says):
    refused("report", "aging", *args, code=2, says=says, quiet_stdout=True)


def test_aging_of_an_unknown_partner_is_refused(cli_env):
    refused("report", "aging", "--partner", "Nobody", says="unknown partner")


def test_trial_balance_empty_and_bad_input(cli_env):
    assert payctl("report", "trial-balance").stdout == "No journal entries (start .. end).\n"
    assert json.loads(payctl("report", "trial-balance", "-f", "json").stdout)["items"] == []
    refused(
        "report", "trial-balance", "--as-of", "2026-01-01", "--from", "2025-01-01",
        code=2, says="--as-of",
    )  # fmt: skip
    refused(
        "report", "trial-balance", "--from", "2026-02-01", "--to", "2026-01-01",
        code=2, says="--from",
    )  # fmt: skip
    refused("report", "trial-balance", "--to", "01/02/2026", code=2, says="--to")


def test_statement_shows_write_offs_reversals_and_both_sides(cli_env, init_url):

    asyncio.run(_build(init_url))  # every payment type, a write-off, resets and a cancel
    acme = json.loads(payctl("report", "partner", "ACME GmbH", "-f", "json").stdout)
    kinds = [r["kind"] for r in acme["items"]]
    assert "write_off" in kinds and "customer_refund" in kinds
    assert "customer_credit_note" in kinds
    assert sum(1 for r in acme["items"] if r["reverses"]) >= 2
    write_offs = [
        (r["debit"], r["credit"], bool(r["reverses"]))
        for r in acme["items"]
        if r["kind"] == "write_off"
    ]
    assert write_offs == [("0.00", "0.50", False), ("0.50", "0.00", True)]  # booked, reset
    for name in ("ACME GmbH", "Supplier BV", "Both & Co"):
        data = json.loads(payctl("report", "partner", name, "-f", "json").stdout)
        assert Decimal(data["closing"][0]["balance"]) == partner_balance(init_url, name), name


def test_statement_empty_and_bad_input(cli_env):
    payctl("partner", "create", "Quiet GmbH", "--kind", "customer")
    assert payctl("report", "partner", "Quiet GmbH").stdout == (
        "Quiet GmbH: no entries (start .. end).\n"
    )
    data = json.loads(payctl("report", "partner", "Quiet GmbH", "-f", "json").stdout)
    assert (data["items"], data["opening"], data["closing"]) == ([], [], [])
    refused("report", "partner", "Nobody", says="unknown partner")
    refused("report", "partner", "", code=2, says="NAME")
    refused("report", "partner", "Quiet GmbH", "--from", "yesterday", code=2, says="--from")


def test_help_has_examples():
    for command in ("aging", "trial-balance", "partner"):
        assert "Example: payctl report" in payctl("report", command, "--help").stdout

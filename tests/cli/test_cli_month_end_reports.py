"""`payctl report aging|trial-balance|partner` through the CLI, on every backend.

The sample books are the main job's (sample_data/: partners, invoices, the accountant's payments
confirmed, November's bank extracts imported with --auto-confirm) plus a reset and a cancel, so
there are reversals. Every total is checked against an independent sum: aging against the open
residuals and unallocated payments by plain SQL, the trial balance against `hledger bal` on
`payctl export --to ledger`, a partner's closing balance against `payctl partner show`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import (
    BACKENDS,
    SAMPLE,
    fresh_url,
    in_session,
    init_database,
    payctl,
)
from tests.services.test_export import LEDGER_NAMES

pytestmark = pytest.mark.slow
HLEDGER = shutil.which("hledger")


@pytest.fixture(scope="module", params=BACKENDS)
def sample(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of the sample books (read-only for the tests that use it)."""
    import asyncio

    url = fresh_url(request.param, tmp_path_factory.mktemp("reports"))
    asyncio.run(init_database(url))
    env = {"PAYCTL_DATABASE_URL": url, "PAYCTL_USER": "tester"}
    for args in (
        ("partner", "import", SAMPLE / "partners.csv"),
        ("invoice", "import", SAMPLE / "invoices.csv"),
        ("bulk", "create", "--file", SAMPLE / "payments.csv"),
        ("bulk", "confirm", "--state", "draft"),
        (
            "import",
            *sorted((SAMPLE / "bank").iterdir()),
            "--journal",
            "BNK1",
            "--auto-confirm",
        ),
        ("reset", "BNK1/2026/00001", "--reason", "wrong amount"),
        ("cancel", "BNK1/2026/00003", "--reason", "duplicate"),
    ):
        payctl("--quiet", *args, env=env)
    return url


def on(url: str, *args: Any, code: int = 0) -> Any:
    return payctl(*args, code=code, env={"PAYCTL_DATABASE_URL": url, "PAYCTL_USER": "tester"})


def js(url: str, *args: Any) -> Any:
    return json.loads(on(url, *args, "--format", "json").stdout)


def csv_rows(url: str, *args: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(on(url, *args, "--format", "csv").stdout)))


def sql(url: str, query: str) -> list[Any]:
    async def go(session: Any) -> list[Any]:
        return list((await session.execute(text(query))).all())

    return in_session(url, go)


def cents(value: str) -> int:
    return int(Decimal(value) * 100)


# ------------------------------------------------------------------------------- aging

# Independently of payctl's report code: what is open on a side, by plain SQL.
OPEN_ITEMS = """
SELECT p.name,
  (SELECT COALESCE(SUM(CASE WHEN i.type LIKE '%credit_note' THEN -i.residual
                            ELSE i.residual END), 0)
     FROM invoices i WHERE i.partner_id = p.id AND i.type IN ({invoices}))
  - (SELECT COALESCE(SUM(CASE WHEN y.type LIKE '%refund' THEN -1 ELSE 1 END
        * (y.amount - (SELECT COALESCE(SUM(a.amount), 0) FROM payment_allocations a
                       WHERE a.payment_id = y.id))), 0)
     FROM payments y WHERE y.partner_id = p.id AND y.state = 'posted'
       AND y.type IN ({payments}))
FROM partners p
"""
SIDES = {
    "receivable": (
        "'customer_invoice', 'customer_credit_note'",
        "'customer_payment', 'customer_refund'",
    ),
    "payable": ("'vendor_bill', 'vendor_credit_note'", "'vendor_payment', 'vendor_refund'"),
}


def open_by_partner(url: str, side: str) -> dict[str, int]:
    invoices, payments = SIDES[side]
    rows = sql(url, OPEN_ITEMS.format(invoices=invoices, payments=payments))
    return {name: int(v) for name, v in rows if int(v)}


@pytest.mark.parametrize("side", ["receivable", "payable"])
def test_aging_totals_are_the_open_items_in_every_format(sample, side):
    flag = f"--{side}"
    data = js(sample, "report", "aging", flag)
    assert data["side"] == side and data["as_of"] == dt.date.today().isoformat()
    assert [b["label"] for b in data["buckets"]] == ["1-30", "31-60", "61-90", ">90"]
    expected = open_by_partner(sample, side)
    assert {i["partner"]: cents(i["total"]) for i in data["items"]} == expected
    (total,) = data["totals"]
    assert total["currency"] == "EUR" and cents(total["total"]) == sum(expected.values())
    keys = ["not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90"]
    for row in [*data["items"], total]:  # the columns add up to the total
        parts = [row[k] for k in keys] + [row["credit_notes"], row["unallocated"]]
        assert sum(cents(p) for p in parts) == cents(row["total"]), row
    assert any(cents(i["credit_notes"]) < 0 for i in data["items"])
    assert any(cents(i["unallocated"]) < 0 for i in data["items"])

    rows = csv_rows(sample, "report", "aging", flag)
    assert [r["row"] for r in rows] == ["partner"] * len(data["items"]) + ["total"]
    assert rows[-1]["total"] == total["total"] and rows[-1]["days_over_90"] == total["days_over_90"]
    assert {r["partner"]: r["total"] for r in rows[:-1]} == {
        i["partner"]: i["total"] for i in data["items"]
    }

    table = on(sample, "report", "aging", flag).stdout
    assert f"Aged {side}s as of" in table and "Total" in table
    total_line = next(line for line in table.splitlines() if line.startswith("│ Total "))
    assert total_line.rstrip().endswith(f"{total['total']} │")  # right-aligned
    header = next(line for line in table.splitlines() if "Not due" in line)
    assert "1-30" in header and ">90" in header and "Credit notes" in header


def test_aging_of_a_partner_is_its_balance_in_partner_show(sample):
    data = js(sample, "report", "aging", "--receivable", "--partner", "Bakker Bouw B.V.")
    (row,) = data["items"]
    shown = js(sample, "partner", "show", "Bakker Bouw B.V.")
    assert Decimal(row["total"]) == Decimal(shown["open_receivable"]) - Decimal(
        shown["unallocated_credit"]
    )
    assert data["totals"][0]["total"] == row["total"]


def test_aging_buckets_follow_the_limits_and_the_due_date(sample):
    today = dt.date.today().isoformat()
    wide = js(sample, "report", "aging", "--buckets", "100000")
    assert [b["key"] for b in wide["buckets"]] == ["days_1_100000", "days_over_100000"]
    default = js(sample, "report", "aging")
    assert wide["totals"][0]["total"] == default["totals"][0]["total"]
    # bucket edges: an item due exactly N days ago is in the bucket ending at N
    rows = sql(
        sample,
        "SELECT COALESCE(due_date, date), residual FROM invoices "
        "WHERE type = 'customer_invoice' AND residual > 0",
    )
    as_of = dt.date.fromisoformat(today)
    days = [(as_of - dt.date.fromisoformat(str(d)[:10])).days for d, _ in rows]
    want_1_30 = sum(int(r) for (_, r), n in zip(rows, days, strict=True) if 1 <= n <= 30)
    want_not_due = sum(int(r) for (_, r), n in zip(rows, days, strict=True) if n <= 0)
    assert cents(default["totals"][0]["days_1_30"]) == want_1_30
    assert cents(default["totals"][0]["not_due"]) == want_not_due


def test_aging_as_of_far_ahead_equals_now_and_before_everything_is_empty(sample):
    for side in ("--receivable", "--payable"):
        now = js(sample, "report", "aging", side)
        later = js(sample, "report", "aging", side, "--as-of", "2199-12-31")
        assert [(i["partner"], i["total"]) for i in later["items"]] == [
            (i["partner"], i["total"]) for i in now["items"]
        ]
    assert js(sample, "report", "aging", "--as-of", "2000-01-01")["items"] == []
    empty = on(sample, "report", "aging", "--as-of", "2000-01-01").stdout
    assert empty == "No open receivables as of 2000-01-01.\n"
    assert csv_rows(sample, "report", "aging", "--as-of", "2000-01-01") == []


# ------------------------------------------------------------------------ trial balance


def hledger_bal(journal: Path, *period: str) -> dict[str, Decimal]:
    out = subprocess.run(
        ["hledger", "-f", str(journal), "bal", "--flat", "-N", "-O", "csv", *period],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout)))[1:]
    return {a: Decimal(v.split()[0]) for a, v in rows if v.split()[0] != "0"}


def by_ledger_name(items: list[dict[str, str]], field: str) -> dict[str, Decimal]:
    out = {LEDGER_NAMES[i["code"]]: Decimal(i[field]) for i in items}
    return {k: v for k, v in out.items() if v}


def test_trial_balance_agrees_with_hledger(sample, tmp_path):
    if HLEDGER is None:
        if os.environ.get("CI"):  # .ci/run installs it: CI must compare, never skip
            pytest.fail("hledger is not installed")
        pytest.skip("hledger is not installed")
    journal = tmp_path / "books.journal"
    journal.write_text(on(sample, "--quiet", "export", "--to", "ledger").stdout, encoding="utf-8")
    everything = js(sample, "report", "trial-balance")
    assert by_ledger_name(everything["items"], "closing") == hledger_bal(journal)
    assert all(t["balanced"] for t in everything["totals"])
    upto = js(sample, "report", "trial-balance", "--as-of", "2026-06-30")
    assert by_ledger_name(upto["items"], "closing") == hledger_bal(journal, "-e", "2026-07-01")
    period = js(sample, "report", "trial-balance", "--from", "2026-07-01", "--to", "2026-11-15")
    moved = {
        LEDGER_NAMES[i["code"]]: Decimal(i["debits"]) - Decimal(i["credits"])
        for i in period["items"]
    }
    assert {k: v for k, v in moved.items() if v} == hledger_bal(
        journal, "-b", "2026-07-01", "-e", "2026-11-16"
    )
    opening = {i["code"]: i["opening"] for i in period["items"]}
    closing_before = {i["code"]: i["closing"] for i in upto["items"]}
    assert {c: v for c, v in opening.items() if Decimal(v)} == {
        c: v for c, v in closing_before.items() if Decimal(v)
    }


def test_november_export_with_opening_balances_agrees_with_hledger(sample, tmp_path):
    """`export --date-from` of the sample books (issue 11, point 7): the opening balances
    bring every account to the trial balance's closing."""
    if HLEDGER is None:
        if os.environ.get("CI"):
            pytest.fail("hledger is not installed")
        pytest.skip("hledger is not installed")
    journal = tmp_path / "november.journal"
    journal.write_text(
        on(sample, "--quiet", "export", "--to", "ledger", "--date-from", "2026-11-01").stdout,
        encoding="utf-8",
    )
    assert "\n2026-11-01 opening balances\n" in journal.read_text(encoding="utf-8")
    everything = js(sample, "report", "trial-balance")
    assert by_ledger_name(everything["items"], "closing") == hledger_bal(journal)
    period = js(sample, "report", "trial-balance", "--from", "2026-11-01", "--to", "2026-11-15")
    assert by_ledger_name(period["items"], "closing") == hledger_bal(journal, "-e", "2026-11-16")


def test_trial_balance_in_every_format(sample):
    data = js(sample, "report", "trial-balance")
    (total,) = data["totals"]
    assert total["debits"] == total["credits"] and total["closing"] == "0.00"
    assert sum(cents(i["debits"]) for i in data["items"]) == cents(total["debits"])
    # reversals count both ways: the reset and the cancel above posted some
    (n_reversals,) = sql(
        sample, "SELECT COUNT(*) FROM journal_entries WHERE reversal_of_id IS NOT NULL"
    )[0]
    assert n_reversals >= 2
    debits = sql(sample, "SELECT SUM(debit) FROM journal_lines")[0][0]
    assert cents(total["debits"]) == int(debits)
    rows = csv_rows(sample, "report", "trial-balance")
    assert rows[-1]["row"] == "total" and rows[-1]["balanced"] == "True"
    assert [r["code"] for r in rows[:-1]] == [i["code"] for i in data["items"]]
    table = on(sample, "report", "trial-balance").stdout
    assert f"EUR: debits {total['debits']} = credits {total['credits']}: balanced" in table
    receivable = next(line for line in table.splitlines() if "Accounts receivable" in line)
    closing = next(i["closing"] for i in data["items"] if i["code"] == "1100")
    assert receivable.rstrip().endswith(f"{closing} │")


# -------------------------------------------------------------------- partner statement


def partner_balance(url: str, name: str) -> Decimal:
    shown = js(url, "partner", "show", name)
    receivable = Decimal(shown["open_receivable"]) - Decimal(shown["unallocated_credit"])
    payable = Decimal(shown["open_payable"]) - Decimal(shown["vendor_prepayment"])
    return receivable - payable


def test_statement_closing_is_the_partner_balance_for_every_partner(sample):
    names = [p["name"] for p in js(sample, "partner", "list", "--limit", "0")["items"]]
    assert len(names) == 40
    for name in names:
        data = js(sample, "report", "partner", name)
        closing = {c["currency"]: Decimal(c["balance"]) for c in data["closing"]}
        assert closing.get("EUR", Decimal(0)) == partner_balance(sample, name), name
        running = Decimal(0)
        for row in data["items"]:  # the running balance follows debits and credits
            running += Decimal(row["debit"]) - Decimal(row["credit"])
            assert Decimal(row["balance"]) == running, (name, row)
        dates = [r["date"] for r in data["items"]]
        assert dates == sorted(dates)


def test_statement_period_opening_and_formats(sample):
    name = "Moreau Imprimerie SAS"  # its first payment was reset above
    whole = js(sample, "report", "partner", name)
    kinds = [(r["kind"], r["reverses"]) for r in whole["items"]]
    assert any(reverses for _, reverses in kinds), kinds
    part = js(sample, "report", "partner", name, "--from", "2026-06-01", "--to", "2026-09-30")
    before = [r for r in whole["items"] if r["date"] < "2026-06-01"]
    inside = [r for r in whole["items"] if "2026-06-01" <= r["date"] <= "2026-09-30"]
    assert [r["entry"] for r in part["items"]] == [r["entry"] for r in inside]
    opening = part["opening"][0]["balance"] if part["opening"] else "0.00"
    assert opening == (before[-1]["balance"] if before else "0.00")
    assert part["closing"][0]["balance"] == (inside or before)[-1]["balance"]
    rows = csv_rows(sample, "report", "partner", name)
    assert [r["row"] for r in rows] == ["entry"] * len(whole["items"]) + ["closing"]
    assert rows[-1]["balance"] == whole["closing"][0]["balance"]
    table = on(sample, "report", "partner", name).stdout
    assert f"Statement of {name}" in table and "closing balance" in table

"""`payctl export --to ledger|beancount --date-from D`: the file opens with the balances the
entries before D left (issue 11, point 7), on every backend.

The books have entries in October and November, in EUR and USD (an invoice in USD, paid on a
USD bank journal), and a reversal. Judged by the real tools: `hledger bal` of a November export
must equal `hledger bal` of the full export and `payctl report trial-balance`, per account and
currency; `bean-check` must accept the beancount export and beancount's loader give the same
balances as for the full export.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import subprocess
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from payctl.db.engine import Database
from payctl.exporters import ExportData, beancount, ledger
from payctl.services.ledger.export_service import ExportService
from payctl.services.ledger.journal_service import JournalService
from payctl.services.parties.invoice_service import InvoiceService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests import factories
from tests.conftest import error_line, in_session, payctl
from tests.services.test_export import tool

NOVEMBER = "2026-11-01"
Balances = dict[tuple[str, str], Decimal]  # (account name in the export, currency) -> balance


async def _build(url: str) -> None:
    db = Database(url)
    try:
        async with db.session() as s:
            await factories.customer(s)
            await factories.vendor(s)
            await JournalService(s, "tester").create_journal("USD1", "Dollar bank", "bank", "USD")
            invoices = InvoiceService(s, "tester")
            for number, partner, amount, kind, day, cur in (
                ("INV-OCT", "ACME GmbH", "1190.00", "customer_invoice", "2026-10-05", "EUR"),
                ("BILL-OCT", "Supplier BV", "800.00", "vendor_bill", "2026-10-07", "EUR"),
                ("INV-USD", "ACME GmbH", "250.00", "customer_invoice", "2026-10-10", "USD"),
                ("INV-NOV", "ACME GmbH", "500.00", "customer_invoice", "2026-11-03", "EUR"),
            ):
                await invoices.create_invoice(number, partner, amount, kind, day, currency=cur)
            flow = PaymentFlowService(s, "tester")
            drafts = [
                await factories.draft(
                    s, "1190.00", allocations=[("INV-OCT", "1190.00")], date="2026-10-20"
                ),
                await factories.draft(
                    s,
                    "300.00",
                    "Supplier BV",
                    "vendor_payment",
                    allocations=[("BILL-OCT", "300.00")],
                    date="2026-10-25",
                ),
                await factories.draft(
                    s,
                    "100.00",
                    journal="USD1",
                    allocations=[("INV-USD", "100.00")],
                    date="2026-10-28",
                ),
                await factories.draft(
                    s, "200.00", allocations=[("INV-NOV", "200.00")], date="2026-11-10"
                ),
                await factories.draft(s, "40.00", date="2026-10-30"),  # reset below: a reversal
            ]
            for draft in drafts:
                await flow.confirm_payment(draft.id)
            await flow.reset_payment_to_draft(drafts[-1].id, reason="wrong partner")
    finally:
        await db.dispose()


@pytest.fixture
def books(cli_env: dict[str, str], init_url: str) -> str:
    asyncio.run(_build(init_url))
    return init_url


def export(*args: str) -> str:
    return str(payctl("--quiet", "export", *args).stdout)


def need(name: str) -> str:
    found = tool(name)
    if found is None:
        if os.environ.get("CI"):  # .ci/run installs both: CI must judge, never skip
            pytest.fail(f"{name} is not installed")
        pytest.skip(f"{name} is not installed")
    return found


def run_tool(*argv: str) -> str:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def hledger_bal(text: str, tmp_path: Path, *period: str) -> Balances:
    """`hledger bal` of the journal ``text``: the non-zero balances per account and currency,
    after `hledger check --strict ordereddates` accepted the file."""
    hledger = need("hledger")
    path = tmp_path / f"export-{len(list(tmp_path.iterdir()))}.journal"
    path.write_text(text, encoding="utf-8")
    run_tool(hledger, "-f", str(path), "check", "--strict", "ordereddates")
    out = run_tool(
        hledger, "-f", str(path), "bal", "--flat", "-N", "-O", "csv", "--layout=bare", *period
    )
    rows = list(csv.reader(io.StringIO(out)))[1:]
    return {(account, cur): Decimal(value) for account, cur, value in rows if Decimal(value)}


def bean_balances(text: str, tmp_path: Path) -> Balances:
    """beancount's loader's balances of ``text``, after `bean-check` accepted the file."""
    from beancount import loader
    from beancount.core import data

    path = tmp_path / f"export-{len(list(tmp_path.iterdir()))}.beancount"
    path.write_text(text, encoding="utf-8")
    run_tool(need("bean-check"), str(path))
    entries, errors, _ = loader.load_file(str(path))
    assert not errors, errors
    sums: Balances = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                assert posting.units is not None
                sums[posting.account, posting.units.currency] += posting.units.number
    return {k: v for k, v in sums.items() if v}


def exported_names(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Account code -> its name in the ledger and in the beancount export."""

    async def go(session: Any) -> ExportData:
        return await ExportService(session).export_entries()

    data = in_session(url, go)
    return ledger.account_names(data), beancount.account_names(data)


def trial_balance(names: dict[str, str], *args: str) -> Balances:
    items = json.loads(payctl("report", "trial-balance", *args, "--format", "json").stdout)
    found = {(names[i["code"]], i["currency"]): Decimal(i["closing"]) for i in items["items"]}
    return {k: v for k, v in found.items() if v}


OPENING = re.compile(r"^(\d{4}-\d{2}-\d{2}) (?:opening balances|\* \"Opening balances\")$")
POSTING = re.compile(r"^\s+(\S+)\s+(-?\d+(?:\.\d+)?) ([A-Z]{3})$")


def openings(text: str) -> list[tuple[str, list[tuple[str, Decimal, str]]]]:
    """The opening transactions of an export: (date, [(account, amount, currency), ...]), and
    each one's amountless counter-posting checked to be the last line."""
    found: list[tuple[str, list[tuple[str, Decimal, str]]]] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        head = OPENING.match(line)
        if head is None:
            continue
        postings, body = [], lines[i + 2 :]  # the line after the head: its source tag
        for posting in body:
            match = POSTING.match(posting)
            if match is None:
                assert posting.strip() in ("equity:opening-balances", "Equity:Opening-Balances")
                break
            postings.append((match[1], Decimal(match[2]), match[3]))
        found.append((head[1], postings))
    return found


# ------------------------------------------------------------------------------ ledger


def test_november_ledger_export_gives_the_balances_of_the_full_export(books, tmp_path):
    full = hledger_bal(export("--to", "ledger"), tmp_path)
    november = export("--to", "ledger", "--date-from", NOVEMBER)
    assert hledger_bal(november, tmp_path) == full
    names, _ = exported_names(books)
    assert trial_balance(names) == full
    # the opening balances are what October left: the full export up to October 31
    opened = openings(november)
    assert [sorted({c for _, _, c in ps}) for _, ps in opened] == [["EUR"], ["USD"]]
    assert all(day == NOVEMBER for day, _ in opened)
    october = hledger_bal(export("--to", "ledger"), tmp_path, "-e", NOVEMBER)
    assert {(a, c): v for _, ps in opened for a, v, c in ps} == october
    # November's entries only, after the openings
    entries = re.findall(r"^(\d{4}-\d{2}-\d{2}) \(", november, re.M)
    assert entries and all(day >= NOVEMBER for day in entries)
    assert "; payctl export: " + str(len(entries)) + " journal entries" in november


def test_opening_transactions_balance(books):
    for fmt in ("ledger", "beancount"):
        opened = openings(export("--to", fmt, "--date-from", NOVEMBER))
        assert len(opened) == 2
        for _, postings in opened:
            assert len({cur for _, _, cur in postings}) == 1
            assert sum(value for _, value, _ in postings) == 0  # the counter-posting takes 0
            assert len({account for account, _, _ in postings}) == len(postings)


def test_date_range_opens_with_the_balances_before_it(books, tmp_path):
    full = export("--to", "ledger")
    names, _ = exported_names(books)
    period = export("--to", "ledger", "--date-from", NOVEMBER, "--date-to", "2026-11-05")
    closing = hledger_bal(full, tmp_path, "-e", "2026-11-06")
    assert hledger_bal(period, tmp_path) == closing
    assert trial_balance(names, "--as-of", "2026-11-05") == closing
    assert trial_balance(names, "--from", NOVEMBER, "--to", "2026-11-05") == closing
    assert "2026-11-10" not in period  # the payment after the range stays out


def test_export_after_every_entry_holds_only_openings(books, tmp_path):
    full = export("--to", "ledger")
    later = export("--to", "ledger", "--date-from", "2199-01-01")
    assert "; payctl export: 0 journal entries" in later
    assert re.findall(r"^\d{4}-\d{2}-\d{2} .*$", later, re.M) == ["2199-01-01 opening balances"] * 2
    assert hledger_bal(later, tmp_path) == hledger_bal(full, tmp_path)
    text = export("--to", "beancount", "--date-from", "2199-01-01")
    dated = re.findall(r"^\d{4}-\d{2}-\d{2} [*] .*$", text, re.M)
    assert dated == ['2199-01-01 * "Opening balances"'] * 2
    assert bean_balances(text, tmp_path) == bean_balances(export("--to", "beancount"), tmp_path)
    result = payctl("export", "--to", "ledger", "--date-from", "2199-01-01")
    assert "exported 0 journal entries (0 lines), opening balances of" in result.stderr


def test_no_opening_and_csv_keep_the_period_only(books, tmp_path):
    full = export("--to", "ledger")
    moved = export("--to", "ledger", "--date-from", NOVEMBER, "--no-opening")
    assert "opening balances" not in moved
    assert hledger_bal(moved, tmp_path) == hledger_bal(full, tmp_path, "-b", NOVEMBER)
    rows = list(csv.DictReader(io.StringIO(export("--to", "csv", "--date-from", NOVEMBER))))
    assert rows and all(r["date"] >= NOVEMBER for r in rows)
    assert "opening" not in export("--to", "ledger")  # no --date-from: nothing to open with
    before_everything = export("--to", "ledger", "--date-from", "2026-01-01")
    assert "opening balances" not in before_everything  # nothing before it: no opening


# --------------------------------------------------------------------------- beancount


def test_november_beancount_export_passes_bean_check_with_the_full_balances(books, tmp_path):
    full = bean_balances(export("--to", "beancount"), tmp_path)
    november = export("--to", "beancount", "--date-from", NOVEMBER)
    assert bean_balances(november, tmp_path) == full
    _, names = exported_names(books)
    assert trial_balance(names) == full
    opened = re.findall(r"^(\d{4}-\d{2}-\d{2}) open (\S+)$", november, re.M)
    assert {day for day, _ in opened} == {NOVEMBER}
    assert "Equity:Opening-Balances" in {name for _, name in opened}


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args, texts",
    [
        (["--date-from", "november"], ["--date-from", "'november' is not a date"]),
        (["--date-from", "2026-11-31"], ["--date-from"]),
        (["--date-to", "2026-13-01"], ["--date-to"]),
        (
            ["--date-from", "2026-12-01", "--date-to", "2026-11-01"],
            ["--date-from 2026-12-01 is after --date-to 2026-11-01"],
        ),
    ],
)
def test_bad_dates_are_one_line_exit_2(books, tmp_path, args, texts):
    target = tmp_path / "out.journal"
    result = payctl("export", "--to", "ledger", *args, "-o", target, code=2)
    error_line(result, 2, *texts, quiet_stdout=True)
    assert not target.exists()


def test_help_names_the_opening_balances():
    text = " ".join(payctl("export", "--help").stdout.split())  # help wraps at any width
    assert "--no-opening" in text and "opening balances" in text

"""BankExtractService.import_file (issue 5 items 2, 3, 6) on every backend: each matching rule
end to end, dedup of re-imported and overlapping files, dry run, the journal's own account,
statement continuity, bad files written not at all, and fuzzed input.

Files are written as JSON lines, CSV, MT940 or camt.053 bytes in the test. After every test the
autouse ``_integrity`` fixture runs IntegrityService.check() (what `payctl check` runs) and
requires no violation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from sqlalchemy import func, select

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.errors import InputError, NotFound, PayctlError
from payctl.importers.bank import BankFileError
from payctl.services.bank.bank_extract_service import (
    BankExtractService,
    FileReport,
    ImportOptions,
)
from payctl.services.bank.matching_data import THRESHOLD
from payctl.services.ledger.integrity_service import IntegrityService
from payctl.services.ledger.journal_service import JournalService
from payctl.services.parties.invoice_service import InvoiceService
from payctl.services.parties.partner_service import PartnerService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_service import PaymentService
from tests import factories

ACME_IBAN = "DE89370400440532013000"
GLOBEX_IBAN = "NL91ABNA0417164300"
SUPPLIER_IBAN = "GB29NWBK60161331926819"
OWN_IBAN = "BE68539007547034"  # the company's own account (journal BNK2)
FOREIGN_IBAN = "GB82WEST12345698765432"  # somebody else's account

# number, partner, amount, type, date
INVOICES = [
    ("INV-2026-0001", "ACME GmbH", "1190.00", "customer_invoice", "2026-01-05"),
    ("INV-2026-0002", "ACME GmbH", "500.00", "customer_invoice", "2026-01-10"),
    ("INV-2026-0003", "ACME GmbH", "300.00", "customer_invoice", "2026-01-12"),
    ("G-100", "Globex Corporation", "800.00", "customer_invoice", "2026-01-08"),
    ("BILL-1", "Supplier BV", "450.00", "vendor_bill", "2026-01-07"),
    ("CN-1", "ACME GmbH", "25.00", "customer_credit_note", "2026-01-15"),
]
COUNTED = (
    m.BankStatement,
    m.BankLine,
    m.Payment,
    m.PaymentAllocation,
    m.JournalEntry,
    m.JournalLine,
    m.AuditRecord,
    m.Invoice,
    m.Sequence,
)


# ------------------------------------------------------------------------ helpers
async def books(db: Database, extra: list[tuple[str, str, str, str, str]] = ()) -> None:
    """Three partners with IBANs and the open items of INVOICES (+ ``extra``)."""
    async with db.session() as s:
        partners = PartnerService(s, "tester")
        await partners.create_partner("ACME GmbH", "customer", [ACME_IBAN])
        await partners.create_partner("Globex Corporation", "customer", [GLOBEX_IBAN])
        await partners.create_partner("Supplier BV", "vendor", [SUPPLIER_IBAN])
        invoices = InvoiceService(s, "tester")
        for number, partner, amount, kind, day in [*INVOICES, *extra]:
            await invoices.create_invoice(number, partner, amount, kind, day)


def row(
    amount: str,
    day: str = "2026-02-03",
    text: str | None = None,
    name: str | None = None,
    iban: str | None = None,
    tx: str | None = None,
    ref: str | None = None,
    account: str | None = None,
    currency: str | None = None,
) -> dict[str, str]:
    out = {
        "booking_date": day,
        "amount": amount,
        "remittance": text,
        "counterparty_name": name,
        "counterparty_account": iban,
        "transaction_id": tx,
        "structured_reference": ref,
        "account": account,
        "currency": currency,
    }
    return {k: v for k, v in out.items() if v is not None}


def jsonl(*rows: dict[str, str]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def csv_bytes(*rows: dict[str, str]) -> bytes:
    """The same rows as a plain bank CSV with common English headers (generic profile)."""
    head = "Date,Amount,Currency,Name,IBAN,Description,Transaction ID\n"
    body = "".join(
        f"{r['booking_date']},{r['amount']},{r.get('currency', 'EUR')},"
        f'"{r.get("counterparty_name", "")}",{r.get("counterparty_account", "")},'
        f'"{r.get("remittance", "")}",{r.get("transaction_id", "")}\n'
        for r in rows
    )
    return (head + body).encode()


async def imp(
    db: Database, data: bytes, source: str = "bank.jsonl", journal: str = "BNK1", **kw: Any
) -> FileReport:
    if source.endswith(".jsonl"):
        kw.setdefault("input_format", "jsonl")
    async with db.session() as s:
        return await BankExtractService(s, "tester").import_file(data, source, journal, **kw)


async def counts(db: Database) -> dict[str, int]:
    async with db.session() as s:
        return await factories.row_counts(s, COUNTED)


async def bank_lines(db: Database) -> list[m.BankLine]:
    async with db.session() as s:
        return list((await s.execute(select(m.BankLine).order_by(m.BankLine.id))).scalars())


async def payments(db: Database) -> list[dict[str, Any]]:
    """Every payment with its partner name and allocations [(invoice, amount, writeoff)]."""
    async with db.session() as s:
        out = []
        for p, partner in (
            await s.execute(
                select(m.Payment, m.Partner.name).join(m.Partner).order_by(m.Payment.id)
            )
        ).all():
            allocs = (
                await s.execute(
                    select(
                        m.Invoice.number, m.PaymentAllocation.amount, m.PaymentAllocation.writeoff
                    )
                    .join(m.Invoice)
                    .where(m.PaymentAllocation.payment_id == p.id)
                    .order_by(m.PaymentAllocation.id)
                )
            ).all()
            out.append(
                {
                    "id": p.id,
                    "type": p.type.value,
                    "state": p.state.value,
                    "partner": partner,
                    "amount": p.amount,
                    "number": p.number,
                    "allocations": [tuple(a) for a in allocs],
                }
            )
        return out


async def invoice_state(db: Database, number: str) -> tuple[str, int]:
    async with db.session() as s:
        inv = await s.scalar(select(m.Invoice).where(m.Invoice.number == number))
        return inv.state.value, inv.residual


async def entry_lines(
    db: Database, *, payment_id: int | None = None, entry_id: int | None = None
) -> list[tuple[str, int, int]]:
    """(account code, debit, credit) of the live entry of a payment, or of one entry."""
    async with db.session() as s:
        stmt = (
            select(m.Account.code, m.JournalLine.debit, m.JournalLine.credit)
            .join(m.JournalLine, m.JournalLine.account_id == m.Account.id)
            .join(m.JournalEntry, m.JournalEntry.id == m.JournalLine.entry_id)
        )
        if entry_id is not None:
            stmt = stmt.where(m.JournalEntry.id == entry_id)
        else:
            stmt = stmt.where(
                m.JournalEntry.payment_id == payment_id,
                m.JournalEntry.reversal_of_id.is_(None),
                m.JournalEntry.reversed_by_id.is_(None),
            )
        return sorted(tuple(r) for r in (await s.execute(stmt)).all())


async def ledger_balance(db: Database, code: str, partner: str | None = None) -> int:
    """Debit - credit of an account (optionally of one partner)."""
    async with db.session() as s:
        stmt = (
            select(func.coalesce(func.sum(m.JournalLine.debit - m.JournalLine.credit), 0))
            .join(m.Account, m.Account.id == m.JournalLine.account_id)
            .where(m.Account.code == code)
        )
        if partner is not None:
            stmt = stmt.join(m.Partner, m.Partner.id == m.JournalLine.partner_id).where(
                m.Partner.name == partner
            )
        return int(await s.scalar(stmt))


async def posted_payment(
    db: Database, partner: str, amount: str, day: str, type: str = "customer_payment"
) -> Any:
    """A confirmed payment (its PaymentView)."""
    async with db.session() as s:
        view = await PaymentService(s, "tester").create_payment(type, partner, "BNK1", amount, day)
        return await PaymentFlowService(s, "tester").confirm_payment(view.id)


async def violations(db: Database) -> list[Any]:
    async with db.session() as s:
        return await IntegrityService(s, "tester").check()


@pytest.fixture(autouse=True)
async def _integrity(db: Database) -> Any:
    """`payctl check` passes after every test of this module."""
    yield
    found = await violations(db)
    assert found == [], "\n".join(v.message for v in found)


# ---------------------------------------------------------------- each rule, end to end
# (lines, rule, payment type, partner, allocations [(invoice, amount, writeoff)] after
#  confirm, entry lines after confirm, invoice (number, state, residual) after confirm)
RULES = {
    "reference": (
        [row("1190.00", text="Payment inv 2026 0001", name="ACME GmbH")],
        "reference",
        "customer_payment",
        "ACME GmbH",
        [("INV-2026-0001", 119000, 0)],
        [("1000", 119000, 0), ("1100", 0, 119000)],
        ("INV-2026-0001", "paid", 0),
    ),
    "partial": (
        [row("400.00", text="INV-2026-0002 first half")],
        "partial",
        "customer_payment",
        "ACME GmbH",
        [("INV-2026-0002", 40000, 0)],
        [("1000", 40000, 0), ("1100", 0, 40000)],
        ("INV-2026-0002", "partial", 10000),
    ),
    "overpayment": (
        [row("1300.00", ref="INV20260001")],
        "overpayment",
        "customer_payment",
        "ACME GmbH",
        [("INV-2026-0001", 119000, 0)],
        [("1000", 130000, 0), ("1100", 0, 130000)],
        ("INV-2026-0001", "paid", 0),
    ),
    "writeoff": (
        [row("1189.50", text="INV-2026-0001")],
        "writeoff",
        "customer_payment",
        "ACME GmbH",
        [("INV-2026-0001", 118950, 50)],
        [("1000", 118950, 0), ("1100", 0, 119000), ("6900", 50, 0)],
        ("INV-2026-0001", "paid", 0),
    ),
    "partner_amount": (
        [row("800.00", text="thanks", iban=GLOBEX_IBAN, name="GLOBEX")],
        "partner_amount",
        "customer_payment",
        "Globex Corporation",
        [("G-100", 80000, 0)],
        [("1000", 80000, 0), ("1100", 0, 80000)],
        ("G-100", "paid", 0),
    ),
    "partner_subset": (
        [row("800.00", iban=ACME_IBAN)],
        "partner_subset",
        "customer_payment",
        "ACME GmbH",
        [("INV-2026-0002", 50000, 0), ("INV-2026-0003", 30000, 0)],
        [("1000", 80000, 0), ("1100", 0, 80000)],
        ("INV-2026-0003", "paid", 0),
    ),
    "vendor_bill": (
        [row("-450.00", text="BILL-1", name="Supplier BV")],
        "reference",
        "vendor_payment",
        "Supplier BV",
        [("BILL-1", 45000, 0)],
        [("1000", 0, 45000), ("2000", 45000, 0)],
        ("BILL-1", "paid", 0),
    ),
    "customer_refund": (
        [row("-25.00", text="refund", iban=ACME_IBAN)],
        "partner_amount",
        "customer_refund",
        "ACME GmbH",
        [("CN-1", 2500, 0)],
        [("1000", 0, 2500), ("1100", 2500, 0)],
        ("CN-1", "paid", 0),
    ),
}


@pytest.mark.parametrize("case", list(RULES))
async def test_rule_creates_a_draft_payment(db, case):
    lines, rule, ptype, partner, allocs, _, (number, _, _) = RULES[case]
    await books(db)
    before = await invoice_state(db, number)
    report = await imp(db, jsonl(*lines))
    assert report.ok and report.format == "jsonl"
    assert (report.lines_read, report.new_lines, report.duplicates) == (1, 1, 0)
    assert dict(report.matched) == {rule: 1}
    assert (report.payments_created, report.payments_confirmed) == (1, 0)
    assert (report.to_review, report.unmatched, report.reconciled) == (0, 0, 0)
    (p,) = await payments(db)
    assert (p["type"], p["state"], p["partner"], p["number"]) == (ptype, "draft", partner, None)
    # drafts carry the allocation; the write-off is decided when the payment is confirmed
    assert p["allocations"] == [(n, a, 0) for n, a, _ in allocs]
    assert await entry_lines(db, payment_id=p["id"]) == []
    assert await invoice_state(db, number) == before  # a draft moves no residual
    (bl,) = await bank_lines(db)
    assert (bl.state, bl.link, bl.rule, bl.payment_id) == ("matched", "created", rule, p["id"])
    assert bl.reason and bl.score >= THRESHOLD


@pytest.mark.parametrize("case", list(RULES))
async def test_rule_with_auto_confirm_posts_to_the_bank_account(db, case):
    lines, rule, ptype, partner, allocs, entry, (number, state, residual) = RULES[case]
    await books(db)
    report = await imp(db, jsonl(*lines), auto_confirm=True)
    assert dict(report.matched) == {rule: 1}
    assert (report.payments_created, report.payments_confirmed) == (1, 1)
    assert report.warnings == []
    (p,) = await payments(db)
    assert (p["type"], p["state"], p["partner"]) == (ptype, "posted", partner)
    assert p["number"] == "BNK1/2026/00001"
    assert p["allocations"] == allocs
    lines_ = await entry_lines(db, payment_id=p["id"])
    assert lines_ == entry
    assert "1020" not in {code for code, _, _ in lines_}  # not via outstanding receipts
    assert "1030" not in {code for code, _, _ in lines_}
    assert await invoice_state(db, number) == (state, residual)


async def test_partial_leaves_the_invoice_partial(db):
    await books(db)
    await imp(
        db,
        jsonl(
            row("100.00", text="INV-2026-0002", tx="a"), row("150.00", text="INV-2026-0002", tx="b")
        ),
        auto_confirm=True,
    )
    assert await invoice_state(db, "INV-2026-0002") == ("partial", 25000)
    report = await imp(
        db, jsonl(row("250.00", day="2026-02-10", text="INV-2026-0002", tx="c")), auto_confirm=True
    )
    assert dict(report.matched) == {"reference": 1}  # the rest, exactly
    assert await invoice_state(db, "INV-2026-0002") == ("paid", 0)


async def test_overpayment_leaves_partner_credit(db):
    await books(db)
    receivable = await ledger_balance(db, "1100", "ACME GmbH")
    await imp(db, jsonl(row("1300.00", text="INV-2026-0001")), auto_confirm=True)
    async with db.session() as s:
        view = await PaymentService(s, "tester").get_payment("BNK1/2026/00001")
    assert view.unallocated == Decimal("110.00")
    # ACME's receivable fell by the whole 1300.00: the invoice's 1190.00 and 110.00 of credit
    assert await ledger_balance(db, "1100", "ACME GmbH") == receivable - 130000
    assert await invoice_state(db, "INV-2026-0001") == ("paid", 0)


async def test_writeoff_books_the_difference_on_payment_differences(db):
    await books(db)
    await imp(db, jsonl(row("1189.50", text="INV-2026-0001")), auto_confirm=True)
    assert await invoice_state(db, "INV-2026-0001") == ("paid", 0)
    assert await ledger_balance(db, "6900") == 50
    assert await ledger_balance(db, "1000") == 118950


async def test_payment_rule_reconciles_a_posted_payment(db):
    await books(db)
    pay = await posted_payment(db, "Globex Corporation", "250.00", "2026-02-01")
    assert await entry_lines(db, payment_id=pay.id) == [("1020", 25000, 0), ("1100", 0, 25000)]
    report = await imp(
        db, jsonl(row("250.00", day="2026-02-04", iban=GLOBEX_IBAN)), auto_confirm=True
    )
    assert dict(report.matched) == {"payment": 1}
    assert (report.reconciled, report.payments_created, report.payments_confirmed) == (1, 0, 0)
    (bl,) = await bank_lines(db)
    assert (bl.state, bl.link, bl.payment_id, bl.rule) == (
        "matched",
        "reconciled",
        pay.id,
        "payment",
    )
    assert f"posted payment #{pay.id}" in bl.reason
    assert await entry_lines(db, entry_id=bl.reconcile_entry_id) == [
        ("1000", 25000, 0),
        ("1020", 0, 25000),
    ]
    assert await ledger_balance(db, "1020") == 0
    assert await ledger_balance(db, "1000") == 25000
    assert len(await payments(db)) == 1  # no new payment


async def test_payment_rule_for_an_outgoing_payment(db):
    await books(db)
    pay = await posted_payment(db, "Supplier BV", "99.00", "2026-02-01", "vendor_payment")
    report = await imp(db, jsonl(row("-99.00", day="2026-02-02", iban=SUPPLIER_IBAN)))
    assert report.reconciled == 1
    (bl,) = await bank_lines(db)
    assert bl.payment_id == pay.id
    assert await entry_lines(db, entry_id=bl.reconcile_entry_id) == [
        ("1000", 0, 9900),
        ("1030", 9900, 0),
    ]


async def test_payment_already_reconciled_is_not_matched_again(db):
    await books(db)
    pay = await posted_payment(db, "Globex Corporation", "250.00", "2026-02-01")
    await imp(db, jsonl(row("250.00", day="2026-02-04", iban=GLOBEX_IBAN, tx="one")))
    report = await imp(db, jsonl(row("250.00", day="2026-02-05", iban=GLOBEX_IBAN, tx="two")))
    assert report.reconciled == 0
    assert report.matched.get("payment", 0) == 0
    lines = await bank_lines(db)
    assert [bl.payment_id for bl in lines] == [pay.id, None]


async def test_two_lines_for_one_invoice_pay_it_once(db):
    """The same payment twice in one file (or a customer paying twice): the first line settles
    the invoice, the second finds nothing open and waits for a person."""
    await books(db)
    report = await imp(
        db,
        jsonl(
            row("1190.00", text="INV-2026-0001", tx="a"),
            row("1190.00", text="INV-2026-0001", tx="b"),
        ),
        auto_confirm=True,
    )
    assert dict(report.matched) == {"reference": 1}
    assert (report.payments_created, report.payments_confirmed) == (1, 1)
    assert report.unmatched + report.to_review == 1
    assert [bl.state for bl in await bank_lines(db)] == ["matched", "review"]
    assert await invoice_state(db, "INV-2026-0001") == ("paid", 0)
    # and in the next file too
    later = await imp(db, jsonl(row("1190.00", day="2026-02-09", text="INV-2026-0001")))
    assert (later.payments_created, dict(later.matched)) == (0, {})


async def test_line_in_another_currency_goes_to_review_not_the_whole_file(db):
    """A USD line that names a USD invoice cannot become a payment of the EUR journal: that
    line waits for a person; the rest of the file is booked."""
    await books(db)
    async with db.session() as s:
        await InvoiceService(s, "tester").create_invoice(
            "INV-USD-2", "ACME GmbH", "100.00", "customer_invoice", "2026-01-05", currency="USD"
        )
    report = await imp(
        db,
        jsonl(
            row("100.00", text="INV-USD-2", currency="USD"), row("1190.00", text="INV-2026-0001")
        ),
        auto_confirm=True,
    )
    assert dict(report.matched) == {"reference": 1}
    assert (report.payments_confirmed, report.to_review) == (1, 1)
    usd = (await bank_lines(db))[0]
    assert (usd.state, usd.currency, usd.amount) == ("review", "USD", 10000)
    assert usd.reason == "currency USD differs from journal BNK1's currency EUR"
    assert json.loads(usd.candidates)[0]["rule"] == "reference"


async def test_lines_in_the_locked_period(db):
    """Before the lock date nothing can be posted: a line that would reconcile a payment waits
    in review, a line that creates a payment leaves a draft with a warning; the rest of the
    file is booked."""
    from payctl.services.ledger.lock_service import LockService

    await books(db)
    pay = await posted_payment(db, "Globex Corporation", "250.00", "2026-02-05")
    async with db.session() as s:
        await LockService(s, "tester").set_lock_date("2026-02-01")
    report = await imp(
        db,
        jsonl(
            row("250.00", day="2026-01-30", iban=GLOBEX_IBAN),
            row("1190.00", day="2026-01-30", text="INV-2026-0001"),
            row("800.00", day="2026-02-03", iban=GLOBEX_IBAN),
        ),
        auto_confirm=True,
    )
    assert report.reconciled == 0 and report.to_review == 1
    assert (report.payments_created, report.payments_confirmed) == (2, 1)
    assert len(report.warnings) == 1 and "lock date 2026-02-01" in report.warnings[0]
    first, second, third = await bank_lines(db)
    assert (first.state, first.payment_id) == ("review", None)
    assert first.reason == (
        "dated 2026-01-30, on or before the lock date 2026-02-01: cannot "
        "reconcile payment automatically"
    )
    assert json.loads(first.candidates)[0]["payment_id"] == pay.id
    assert (second.state, third.state) == ("matched", "matched")
    assert [p["state"] for p in await payments(db)] == ["posted", "draft", "posted"]


async def test_one_file_of_every_kind(db):
    """A realistic mix in one file: every rule, plus lines for review and unmatched."""
    await books(
        db,
        [
            ("INV-2026-0004", "ACME GmbH", "70.00", "customer_invoice", "2026-01-20"),
            ("INV-2026-0005", "ACME GmbH", "70.00", "customer_invoice", "2026-01-21"),
        ],
    )
    pay = await posted_payment(db, "Globex Corporation", "250.00", "2026-02-01")
    data = jsonl(
        row("1190.00", text="INV-2026-0001"),  # reference
        row("-450.00", text="bill 1"),  # reference, outgoing
        row("400.00", text="INV-2026-0002"),  # partial
        row("800.00", iban=GLOBEX_IBAN),  # partner_amount
        row("250.00", iban=GLOBEX_IBAN),  # payment
        row("70.00", iban=ACME_IBAN),  # two items of 70: review
        row("-15.00", text="bank fee"),  # unmatched
    )
    report = await imp(db, data, auto_confirm=True)
    assert dict(report.matched) == {"reference": 2, "partial": 1, "partner_amount": 1, "payment": 1}
    assert (report.payments_created, report.payments_confirmed, report.reconciled) == (4, 4, 1)
    assert (report.to_review, report.unmatched) == (1, 1)
    states = [(bl.state, bl.link) for bl in await bank_lines(db)]
    assert states == [("matched", "created")] * 4 + [
        ("matched", "reconciled"),
        ("review", None),
        ("review", None),
    ]
    lines = await bank_lines(db)
    assert lines[4].payment_id == pay.id
    assert "oldest of several" in json.loads(lines[5].candidates)[0]["reason"]
    assert json.loads(lines[6].candidates or "[]") == []
    assert "no invoice number" in lines[6].reason and "no partner" in lines[6].reason
    assert await ledger_balance(db, "1000") == 119000 - 45000 + 40000 + 80000 + 25000


# -------------------------------------------------------------------------- CSV input
async def test_csv_input_matches_like_json_lines(db):
    await books(db)
    rows = [
        row("1190.00", text="Invoice INV 2026 0001", name="ACME GmbH", tx="C1"),
        row("800.00", iban=GLOBEX_IBAN, name="Globex", text="x", tx="C2"),
        row("-450.00", text="BILL-1", name="Supplier BV", tx="C3"),
        row("-3.50", text="fee", tx="C4"),
    ]
    report = await imp(db, csv_bytes(*rows), source="statement.csv", auto_confirm=True)
    assert report.format == "csv"
    assert (report.lines_read, report.new_lines) == (4, 4)
    assert dict(report.matched) == {"reference": 2, "partner_amount": 1}
    assert (report.payments_created, report.payments_confirmed, report.unmatched) == (3, 3, 1)
    assert [(p["type"], p["partner"], p["allocations"]) for p in await payments(db)] == [
        ("customer_payment", "ACME GmbH", [("INV-2026-0001", 119000, 0)]),
        ("customer_payment", "Globex Corporation", [("G-100", 80000, 0)]),
        ("vendor_payment", "Supplier BV", [("BILL-1", 45000, 0)]),
    ]
    stored = await bank_lines(db)
    assert [bl.amount for bl in stored] == [119000, 80000, -45000, -350]
    assert [bl.transaction_id for bl in stored] == ["C1", "C2", "C3", "C4"]
    assert stored[1].counterparty_account == GLOBEX_IBAN
    # the same file again adds nothing
    again = await imp(db, csv_bytes(*rows), source="statement.csv", auto_confirm=True)
    assert (again.duplicates, again.new_lines) == (4, 0)


async def test_csv_with_decimal_comma_and_semicolons(db):
    await books(db)
    data = (
        "Buchungstag;Betrag;Verwendungszweck;IBAN\n"
        "03.02.2026;1.190,00;RE INV-2026-0001;\n"
        "04.02.2026;-450,00;BILL-1 Lieferung;\n"
    ).encode("cp1252")
    report = await imp(db, data, source="umsaetze.csv")
    assert dict(report.matched) == {"reference": 2}
    assert [bl.booking_date for bl in await bank_lines(db)] == [
        dt.date(2026, 2, 3),
        dt.date(2026, 2, 4),
    ]


# ------------------------------------------------------------------------------ dedup
async def test_importing_the_same_file_twice_adds_nothing(db):
    await books(db)
    data = jsonl(
        row("1190.00", text="INV-2026-0001", tx="T1"),
        row("-15.00", text="fee"),
        row("-15.00", text="fee"),
        row("800.00", iban=GLOBEX_IBAN),
    )
    first = await imp(db, data, auto_confirm=True)
    assert (first.lines_read, first.new_lines, first.duplicates) == (4, 4, 0)
    before = await counts(db)
    second = await imp(db, data, auto_confirm=True)
    assert (second.lines_read, second.duplicates, second.new_lines) == (4, 4, 0)
    assert second.duplicates == second.lines_read
    assert (second.payments_created, second.to_review, second.unmatched) == (0, 0, 0)
    assert dict(second.matched) == {}
    assert await counts(db) == before
    # same content under another file name: still nothing
    third = await imp(db, data, source="renamed.jsonl")
    assert third.duplicates == 4
    assert (await counts(db))["bank_lines"] == before["bank_lines"]


@pytest.mark.parametrize("with_ids", [True, False])
async def test_overlapping_files_add_only_the_new_lines(db, with_ids):
    await books(db)

    def r(k: int, amount: str, **kw: Any) -> dict[str, str]:
        return row(amount, day=f"2026-02-{k:02d}", tx=f"TX{k}" if with_ids else None, **kw)

    coffee = {"text": "Coffee", "name": "Cafe"}
    a = jsonl(
        r(1, "1190.00", text="INV-2026-0001"),
        r(2, "-3.20", **coffee),
        r(3, "-9.99", text="phone"),
        r(4, "-1.00", text="fee"),
    )
    b = jsonl(
        r(3, "-9.99", text="phone"),
        r(4, "-1.00", text="fee"),
        r(5, "800.00", iban=GLOBEX_IBAN),
        r(6, "-2.00", text="fee 2"),
    )
    first = await imp(db, a, source="jan.jsonl")
    assert first.new_lines == 4
    second = await imp(db, b, source="feb.jsonl")
    assert (second.lines_read, second.duplicates, second.new_lines) == (4, 2, 2)
    assert dict(second.matched) == {"partner_amount": 1}
    lines = await bank_lines(db)
    assert len(lines) == 6
    assert sorted(bl.booking_date.day for bl in lines) == [1, 2, 3, 4, 5, 6]
    assert len(await payments(db)) == 2


async def test_overlap_with_identical_lines_adds_the_extra_occurrence(db):
    """Day one: one coffee. Re-exported later: that day holds two identical coffees. Only
    the second one is new."""
    await books(db)
    coffee = row("-3.20", day="2026-02-02", text="Coffee", name="Cafe")
    first = await imp(db, jsonl(coffee), source="a.jsonl")
    second = await imp(db, jsonl(coffee, coffee, row("-1.00", text="x")), source="b.jsonl")
    assert (first.new_lines, second.duplicates, second.new_lines) == (1, 1, 2)
    assert len(await bank_lines(db)) == 3


async def test_duplicate_lines_are_skipped_per_journal(db):
    """Another journal is another account: the same line there is new."""
    await books(db)
    async with db.session() as s:
        await JournalService(s, "tester").create_journal("BNK2", "Savings")
    data = jsonl(row("-15.00", text="fee", tx="F1"))
    assert (await imp(db, data)).new_lines == 1
    assert (await imp(db, data, journal="BNK2")).new_lines == 1
    assert (await imp(db, data, journal="BNK2")).duplicates == 1


# ---------------------------------------------------------------------------- dry run
async def test_dry_run_writes_nothing(db):
    await books(db)
    await posted_payment(db, "Globex Corporation", "250.00", "2026-02-01")
    data = jsonl(
        row("1190.00", text="INV-2026-0001"),
        row("250.00", iban=GLOBEX_IBAN),
        row("-15.00", text="fee"),
    )
    before = await counts(db)
    dry = await imp(db, data, auto_confirm=True, dry_run=True)
    assert dry.dry_run
    assert dict(dry.matched) == {"reference": 1, "payment": 1}
    assert (dry.payments_created, dry.payments_confirmed, dry.reconciled) == (1, 1, 1)
    assert await counts(db) == before
    assert await invoice_state(db, "INV-2026-0001") == ("open", 119000)
    real = await imp(db, data, auto_confirm=True)  # the dry run consumed nothing
    assert (dict(real.matched), real.new_lines) == (dict(dry.matched), 3)
    assert (await counts(db))["bank_lines"] == before["bank_lines"] + 3


# ------------------------------------------------------------------------ several files
async def test_import_files_one_transaction_each_in_order_with_totals(db, tmp_path):
    """A bad file is reported with its exit code and the others import; the totals add up."""
    await books(db)
    jan, feb = tmp_path / "jan.jsonl", tmp_path / "feb.jsonl"
    jan.write_bytes(jsonl(row("1190.00", text="INV-2026-0001", tx="T1"), row("-1.00", tx="F")))
    feb.write_bytes(jsonl(row("-1.00", tx="F"), row("-2.00", text="fee", tx="G")))
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"booking_date": "2026-02-30", "amount": "1.00"}\n')
    files = [str(jan), str(tmp_path / "missing.jsonl"), str(bad), str(feb)]

    def not_a_database_failure(exc: BaseException) -> PayctlError | None:
        return None

    async with db.session() as s:
        result = await BankExtractService(s, "tester").import_files(
            files, ImportOptions("BNK1", input_format="jsonl"), not_a_database_failure
        )
    assert [(f.file, f.status, f.exit_code) for f in result.files] == [
        (str(jan), "imported", 0),
        (str(tmp_path / "missing.jsonl"), "failed", 2),
        (str(bad), "failed", 2),
        (str(feb), "imported", 0),
    ]
    assert "no such file" in (result.files[1].error or "")
    assert str(bad) in (result.files[2].error or "")
    assert result.exit_code == 2
    totals = result.totals()
    assert (totals["lines_read"], totals["new_lines"], totals["duplicates"]) == (4, 3, 1)
    assert (totals["payments_created"], totals["failed_files"]) == (1, 2)
    assert len(await bank_lines(db)) == 3

    async with db.session() as s:  # a dry run of the good files: reported, nothing written
        before = await counts(db)
        dry = await BankExtractService(s, "tester").import_files(
            [str(jan)], ImportOptions("BNK1", dry_run=True), not_a_database_failure
        )
    assert [(f.status, f.report and f.report.duplicates) for f in dry.files] == [("dry run", 2)]
    assert (dry.exit_code, await counts(db)) == (0, before)


# ------------------------------------------------------------------- the journal's account
async def test_journal_with_an_iban_refuses_a_statement_of_another_account(db):
    await books(db)
    async with db.session() as s:
        await JournalService(s, "tester").create_journal("BNK2", "Savings", iban=OWN_IBAN)
    foreign = jsonl(row("1190.00", text="INV-2026-0001", account=FOREIGN_IBAN))
    before = await counts(db)
    with pytest.raises(InputError) as err:
        await imp(db, foreign, source="other.jsonl", journal="BNK2")
    message = err.value.message
    assert "other.jsonl" in message and FOREIGN_IBAN in message and "BNK2" in message
    assert "\n" not in message
    assert await counts(db) == before
    # a journal without an account number takes it
    assert (await imp(db, foreign, source="other.jsonl")).new_lines == 1
    # and BNK2 takes its own statement, however the IBAN is spaced
    own = jsonl(row("-5.00", text="fee", account="be68 5390 0754 7034"))
    assert (await imp(db, own, journal="BNK2")).new_lines == 1


async def test_file_with_a_foreign_second_statement_is_refused_whole(db):
    await books(db)
    async with db.session() as s:
        await JournalService(s, "tester").create_journal("BNK2", "Savings", iban=OWN_IBAN)
    data = jsonl(
        row("-5.00", text="fee", account=OWN_IBAN),
        row("1190.00", text="INV-2026-0001", account=FOREIGN_IBAN),
    )
    before = await counts(db)
    with pytest.raises(InputError):
        await imp(db, data, journal="BNK2")
    assert await counts(db) == before


async def test_unknown_journal_writes_nothing(db):
    before = await counts(db)
    with pytest.raises(NotFound):
        await imp(db, jsonl(row("1.00")), journal="NOPE")
    assert await counts(db) == before


# ------------------------------------------------------------------ statement continuity
def mt940(
    ref: str,
    opening: str,
    closing: str,
    open_day: str,
    close_day: str,
    lines: list[tuple[str, str, str]],
) -> bytes:
    """A one-statement MT940 file; lines are (yymmdd, C/D + amount with comma, text)."""
    body = [f":20:{ref}", f":25:{OWN_IBAN}", ":28C:1/1", f":60F:C{open_day}EUR{opening}"]
    for k, (day, amount, text) in enumerate(lines):
        body += [f":61:{day}{day[2:]}{amount}NTRFNONREF//{ref}-{k}", f":86:{text}"]
    body += [f":62F:C{close_day}EUR{closing}", "-"]
    return ("\n".join(body) + "\n").encode()


async def test_statement_continuity_warning(db):
    await books(db)
    first = mt940(
        "S1", "1000,00", "2190,00", "260201", "260202", [("260202", "C1190,00", "INV-2026-0001")]
    )
    report = await imp(db, first, source="s1.sta")
    assert report.format == "mt940" and report.warnings == [
        "journal BNK1 had no bank account: it now belongs to BE68539007547034, the account "
        "of these statements (change it with payctl journal update BNK1)"
    ]
    follows = mt940("S2", "2190,00", "2175,00", "260203", "260203", [("260203", "D15,00", "fee")])
    assert (await imp(db, follows, source="s2.sta")).warnings == []
    gap = mt940("S4", "2000,00", "1990,00", "260210", "260210", [("260210", "D10,00", "fee")])
    warnings = (await imp(db, gap, source="s4.sta")).warnings
    assert len(warnings) == 1
    assert (
        "opening balance 2000.00 on 2026-02-10 does not follow the previous statement's "
        "closing balance 2175.00 on 2026-02-03" in warnings[0]
    )
    async with db.session() as s:
        stored = (
            await s.execute(
                select(
                    m.BankStatement.opening_balance,
                    m.BankStatement.closing_balance,
                    m.BankStatement.account,
                ).order_by(m.BankStatement.id)
            )
        ).all()
    assert [tuple(r) for r in stored] == [
        (100000, 219000, OWN_IBAN),
        (219000, 217500, OWN_IBAN),
        (200000, 199000, OWN_IBAN),
    ]


async def test_statement_that_does_not_add_up_is_warned_about(db):
    bad = mt940("S1", "1000,00", "1500,00", "260201", "260202", [("260202", "C100,00", "x")])
    warnings = (await imp(db, bad, source="s.sta")).warnings
    assert any("opening 1000.00 + lines 100.00 != closing 1500.00" in w for w in warnings)


# ---------------------------------------------------------------------------- bad files
CAMT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-02-02T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>BE68539007547034</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">1190.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-02-02</Dt></BookgDt><AcctSvcrRef>REF-1</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>ACME GmbH</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>INV-2026-0001</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""
GOOD_CSV = b"Date,Amount,Description\n2026-02-01,1190.00,INV-2026-0001\n2026-02-02,-5.00,fee\n"

BAD_FILES = {
    # name: (bytes, source, input_format, words the message must hold)
    "truncated xml": (CAMT[: len(CAMT) // 2], "stmt.xml", None, ["stmt.xml", "line"]),
    "csv bad date": (
        GOOD_CSV + b"2026-02-31,10.00,x\n",
        "bad.csv",
        None,
        ["bad.csv", "line 4", "booking_date", "2026-02-31"],
    ),
    "csv bad amount": (
        GOOD_CSV.replace(b"-5.00", b"-5.0x"),
        "bad.csv",
        None,
        ["bad.csv", "line 3", "amount", "-5.0x"],
    ),
    "xml wrong encoding": (
        CAMT.replace(b"ACME GmbH", "ACMÉ".encode("latin-1")),
        "enc.xml",
        None,
        ["enc.xml", "line 7"],
    ),
    "jsonl wrong encoding": (
        '{"booking_date": "2026-02-01", "amount": "1", "remittance": "café"}'.encode("latin-1"),
        "enc.jsonl",
        "jsonl",
        ["enc.jsonl", "UTF-8"],
    ),
    "jsonl bad amount": (
        b'{"booking_date": "2026-02-01", "amount": "1"}\n'
        b'{"booking_date": "2026-02-01", "amount": "12,3.4"}\n',
        "f.jsonl",
        "jsonl",
        ["f.jsonl", "line 2", "amount", "12,3.4"],
    ),
    "mt940 truncated": (
        mt940("S1", "1000,00", "1100,00", "260201", "260202", [("260202", "C100,00", "x")])[:70],
        "cut.sta",
        None,
        ["cut.sta"],
    ),
    "unknown format": (b"\x00\x01\x02 hello", "blob.bin", None, ["blob.bin"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
async def test_bad_file_writes_nothing(db, case):
    data, source, fmt, words = BAD_FILES[case]
    await books(db)
    before = await counts(db)
    with pytest.raises(BankFileError) as err:
        await imp(db, data, source=source, input_format=fmt, auto_confirm=True)
    message = err.value.message
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert err.value.exit_code == 2
    assert await counts(db) == before


async def test_file_over_the_size_limit_is_refused(db, monkeypatch):
    await books(db)
    monkeypatch.setenv("PAYCTL_MAX_IMPORT_BYTES", str(len(GOOD_CSV) - 1))
    before = await counts(db)
    with pytest.raises(BankFileError) as err:
        await imp(db, GOOD_CSV, source="big.csv")
    assert "big.csv" in err.value.message and "PAYCTL_MAX_IMPORT_BYTES" in err.value.message
    assert await counts(db) == before
    monkeypatch.setenv("PAYCTL_MAX_IMPORT_BYTES", str(len(GOOD_CSV)))
    assert (await imp(db, GOOD_CSV, source="big.csv")).new_lines == 2


async def test_failure_after_writing_started_rolls_back_the_whole_file(db, monkeypatch):
    """An error raised late (after statements and lines were inserted) leaves nothing."""
    from payctl.services.bank import bank_posting

    await books(db)
    before = await counts(db)

    async def boom(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise PayctlError("simulated failure while confirming")

    monkeypatch.setattr(bank_posting.BankPosting, "confirm", boom)
    with pytest.raises(PayctlError):
        await imp(db, jsonl(row("1190.00", text="INV-2026-0001")), auto_confirm=True)
    assert await counts(db) == before


# ------------------------------------------------------------------------- fuzzed input
MT940_SEED = mt940(
    "S1",
    "1000,00",
    "1100,00",
    "260201",
    "260202",
    [("260202", "C100,00", "INV-2026-0001"), ("260202", "D5,00", "fee")],
)
OFX_SEED = b"""OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20260202
<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0
<SEVERITY>INFO</STATUS><STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>1<ACCTID>123<ACCTTYPE>CHECKING
</BANKACCTFROM><BANKTRANLIST><DTSTART>20260201<DTEND>20260202<STMTTRN><TRNTYPE>CREDIT
<DTPOSTED>20260202<TRNAMT>1190.00<FITID>F1<NAME>ACME GmbH<MEMO>INV-2026-0001</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260202<TRNAMT>-5.00<FITID>F2<NAME>Bank<MEMO>fee</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>1185.00<DTASOF>20260202</LEDGERBAL></STMTRS></STMTTRNRS>
</BANKMSGSRSV1></OFX>
"""
SEEDS = {"csv": GOOD_CSV, "mt940": MT940_SEED, "ofx": OFX_SEED}


@hs.composite
def mutated(draw: Any, seed: bytes) -> bytes:
    """The seed file cut, spliced with junk, bytes flipped — or plain random bytes."""
    if draw(hs.integers(0, 5)) == 0:
        return draw(hs.binary(min_size=1, max_size=300))
    data = bytearray(seed)
    for _ in range(draw(hs.integers(1, 4))):
        op = draw(hs.sampled_from(["cut", "insert", "flip", "delete", "dup"]))
        at = draw(hs.integers(0, max(0, len(data) - 1)))
        if op == "cut":
            data = data[:at]
        elif op == "insert":
            data[at:at] = draw(hs.binary(min_size=1, max_size=12))
        elif op == "flip" and data:
            data[at] = draw(hs.integers(0, 255))
        elif op == "delete":
            del data[at : at + draw(hs.integers(1, 20))]
        elif op == "dup":
            data[at:at] = data[at : at + draw(hs.integers(1, 40))]
    return bytes(data)


@pytest.fixture
def loop_db(init_url: str) -> Iterator[tuple[asyncio.AbstractEventLoop, Database]]:
    """A database and an event loop that live across Hypothesis examples."""
    loop = asyncio.new_event_loop()
    db = Database(init_url)
    loop.run_until_complete(books(db))
    try:
        yield loop, db
    finally:
        loop.run_until_complete(db.dispose())
        loop.close()


@pytest.mark.parametrize("fmt", list(SEEDS))
def test_fuzzed_files_raise_only_payctl_errors_and_write_nothing(loop_db, fmt):
    loop, db = loop_db
    outcomes = {"refused": 0, "imported": 0}

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=mutated(SEEDS[fmt]))
    def check(data: bytes) -> None:
        before = loop.run_until_complete(counts(db))
        try:
            report = loop.run_until_complete(
                imp(db, data, source=f"fuzz.{fmt}", input_format=fmt, auto_confirm=True)
            )
        except PayctlError as exc:
            outcomes["refused"] += 1
            assert exc.message and "\n" not in exc.message
            assert loop.run_until_complete(counts(db)) == before
            return
        # anything else propagates and fails the test
        outcomes["imported"] += 1
        after = loop.run_until_complete(counts(db))
        assert after["bank_lines"] - before["bank_lines"] == report.new_lines
        again = loop.run_until_complete(imp(db, data, source=f"fuzz.{fmt}", input_format=fmt))
        assert again.new_lines == 0 and again.duplicates == report.lines_read

    check()
    assert outcomes["refused"] > 0  # the fuzzing did reach the error paths
    found = loop.run_until_complete(violations(db))
    assert found == [], "\n".join(v.message for v in found)

"""PaymentFlowService: postings per payment type, confirm/reset/cancel, partial payments,
overpayments, write-offs, audit trail and rollback on failure (issue 3, items 1-4 and 6).

Runs on every backend of the ``backend`` fixture (SQLite, and PostgreSQL when configured).
Assertions read the database through a fresh session, never the service's own objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload

from payctl.db.engine import Database
from payctl.db.models import (
    Account,
    AuditHead,
    AuditRecord,
    Invoice,
    Journal,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentAllocation,
    Sequence,
)
from payctl.errors import RuleViolation
from payctl.services.ledger import audit
from payctl.services.parties.partner_service import PartnerService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_service import PaymentService
from tests import factories

# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class EntrySnap:
    id: int
    number: str
    date: Any
    reversal_of_id: int | None
    reversed_by_id: int | None
    lines: list[tuple[str, int, int, int | None]]  # (account code, debit, credit, partner id)

    @property
    def live(self) -> bool:
        return self.reversal_of_id is None and self.reversed_by_id is None


async def entries_of(db: Database, payment_id: int) -> list[EntrySnap]:
    """Every journal entry of a payment, in id order, read in a fresh session."""
    async with db.session() as s:
        codes = dict((await s.execute(select(Account.id, Account.code))).all())
        rows = (
            (
                await s.execute(
                    select(JournalEntry)
                    .where(JournalEntry.payment_id == payment_id)
                    .options(selectinload(JournalEntry.lines))
                    .order_by(JournalEntry.id)
                )
            )
            .scalars()
            .all()
        )
        return [
            EntrySnap(
                e.id,
                e.number,
                e.date,
                e.reversal_of_id,
                e.reversed_by_id,
                [(codes[ln.account_id], ln.debit, ln.credit, ln.partner_id) for ln in e.lines],
            )
            for e in rows
        ]


async def invoice_row(db: Database, number: str) -> tuple[int, int, str]:
    """(total, residual, state) of an invoice, in minor units."""
    async with db.session() as s:
        inv = await s.scalar(select(Invoice).where(Invoice.number == number))
        assert inv is not None
        return inv.total, inv.residual, inv.state.value


async def payment_row(db: Database, payment_id: int) -> Payment | None:
    async with db.session() as s:
        return await s.scalar(select(Payment).where(Payment.id == payment_id))


async def allocations_of(db: Database, payment_id: int) -> list[tuple[int, int, int]]:
    """(invoice id, amount, writeoff) of each allocation of a payment."""
    async with db.session() as s:
        rows = await s.execute(
            select(
                PaymentAllocation.invoice_id, PaymentAllocation.amount, PaymentAllocation.writeoff
            )
            .where(PaymentAllocation.payment_id == payment_id)
            .order_by(PaymentAllocation.id)
        )
        return [tuple(r) for r in rows]


async def sequences_of(db: Database) -> list[tuple[int, int, str, int]]:
    async with db.session() as s:
        rows = await s.execute(
            select(Sequence.journal_id, Sequence.year, Sequence.kind, Sequence.last_value).order_by(
                Sequence.id
            )
        )
        return [tuple(r) for r in rows]


async def audit_records(db: Database, payment_id: int | None = None) -> list[AuditRecord]:
    async with db.session() as s:
        stmt = select(AuditRecord).order_by(AuditRecord.id)
        if payment_id is not None:
            stmt = stmt.where(AuditRecord.payment_id == payment_id)
        return list((await s.execute(stmt)).scalars())


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def flow(session: Any) -> PaymentFlowService:
    return PaymentFlowService(session, "tester")


def cents(text_amount: str) -> int:
    return int(Decimal(text_amount) * 100)


# ------------------------------------------------------------ postings per type

# (payment type, partner kind, settled document type, debit account, credit account)
# DESIGN.md "The accounting"; codes from services/setup_service.py CHART:
# 1020 outstanding receipts, 1030 outstanding payments, 1100 receivable, 2000 payable.
POSTINGS = [
    ("customer_payment", "customer", "customer_invoice", "1020", "1100"),
    ("vendor_payment", "vendor", "vendor_bill", "2000", "1030"),
    ("customer_refund", "customer", "customer_credit_note", "1100", "1030"),
    ("vendor_refund", "vendor", "vendor_credit_note", "1020", "2000"),
]


@pytest.mark.parametrize(
    ("ptype", "kind", "doc_type", "debit", "credit"), POSTINGS, ids=[row[0] for row in POSTINGS]
)
async def test_each_payment_type_posts_the_right_accounts(
    db, session, ptype, kind, doc_type, debit, credit
):
    partner = await PartnerService(session, "tester").create_partner("Partner A", kind)
    await factories.invoice(session, "DOC-1", partner="Partner A", amount="800.00", type=doc_type)
    p = await factories.draft(
        session, amount="800.00", partner="Partner A", type=ptype, allocations=[("DOC-1", "800.00")]
    )

    view = await flow(session).confirm_payment(p.id)

    assert (view.state, view.number) == ("posted", "BNK1/2026/00001")
    entries = await entries_of(db, p.id)
    assert len(entries) == 1
    entry = entries[0]
    assert entry.number == "JE/BNK1/2026/00001"
    assert entry.live
    assert sorted(entry.lines) == sorted(
        [(debit, 80000, 0, partner.id), (credit, 0, 80000, partner.id)]
    )
    assert await invoice_row(db, "DOC-1") == (80000, 0, "paid")
    # the DTO shows the same lines
    shown = [(ln.account, ln.debit, ln.credit) for ln in view.entries[0].lines]
    assert sorted(shown) == sorted(
        [(debit, Decimal("800.00"), Decimal("0.00")), (credit, Decimal("0.00"), Decimal("800.00"))]
    )
    row = await payment_row(db, p.id)
    assert row is not None and row.confirmed_by == "tester" and row.confirmed_at is not None


async def _set_journal_accounts(db: Database, receipts: str | None, payments: str | None) -> None:
    async with db.session() as s, s.begin():
        for code in {c for c in (receipts, payments) if c}:
            if await s.scalar(select(Account.id).where(Account.code == code)) is None:
                s.add(Account(code=code, name=f"Outstanding {code}", type="asset", role=None))
        await s.flush()
        ids = dict((await s.execute(select(Account.code, Account.id))).all())
        await s.execute(
            update(Journal)
            .where(Journal.code == "BNK1")
            .values(
                outstanding_receipts_account_id=ids.get(receipts),
                outstanding_payments_account_id=ids.get(payments),
            )
        )


@pytest.mark.parametrize(
    ("receipts", "payments", "inbound", "outbound"),
    [
        ("1021", "1031", "1021", "1031"),  # the journal's own outstanding accounts, not the role's
        (None, None, "1000", "1000"),  # no outstanding accounts: the journal's bank account
    ],
    ids=["journal-outstanding", "bank-fallback"],
)
async def test_liquidity_side_uses_the_journals_accounts(
    db, session, receipts, payments, inbound, outbound
):
    await _set_journal_accounts(db, receipts, payments)
    await factories.customer(session)
    await factories.vendor(session)
    cp = await factories.draft(session, amount="100.00")
    vp = await factories.draft(
        session, amount="40.00", partner="Supplier BV", type="vendor_payment"
    )
    await flow(session).confirm_payment(cp.id)
    await flow(session).confirm_payment(vp.id)

    (cp_entry,) = await entries_of(db, cp.id)
    (vp_entry,) = await entries_of(db, vp.id)
    assert {(c, d, cr) for c, d, cr, _ in cp_entry.lines} == {
        (inbound, 10000, 0),
        ("1100", 0, 10000),
    }
    assert {(c, d, cr) for c, d, cr, _ in vp_entry.lines} == {
        ("2000", 4000, 0),
        (outbound, 0, 4000),
    }


# ------------------------------------------------------------------ lifecycle


async def test_confirm_reset_confirm_keeps_number_and_links_entries(db, session):
    await factories.customer(session)
    await factories.invoice(session, "INV-1", amount="1190.00")
    p = await factories.draft(session, amount="1190.00", allocations=[("INV-1", "1000.00")])
    f = flow(session)

    first = await f.confirm_payment(p.id)
    assert first.number == "BNK1/2026/00001"
    assert await invoice_row(db, "INV-1") == (119000, 19000, "partial")

    reset = await f.reset_payment_to_draft(p.id, reason="wrong amount")
    assert (reset.state, reset.number) == ("draft", "BNK1/2026/00001")
    assert await invoice_row(db, "INV-1") == (119000, 119000, "open")
    original, reversal = await entries_of(db, p.id)
    assert original.reversed_by_id == reversal.id
    assert reversal.reversal_of_id == original.id
    assert reversal.date >= original.date
    assert sorted(reversal.lines) == sorted((c, cr, d, pid) for c, d, cr, pid in original.lines)
    assert not any(e.live for e in (original, reversal))

    await PaymentService(session, "tester").set_allocation(p.id, "INV-1", "1190.00")
    again = await f.confirm_payment(p.id)
    assert (again.state, again.number) == ("posted", "BNK1/2026/00001")
    entries = await entries_of(db, p.id)
    assert [e.id for e in entries[:2]] == [original.id, reversal.id]
    assert len(entries) == 3
    assert [e.live for e in entries] == [False, False, True]
    # the original is untouched apart from its reversal link
    assert entries[0].lines == original.lines and entries[0].number == original.number
    assert {(c, d, cr) for c, d, cr, _ in entries[2].lines} == {
        ("1020", 119000, 0),
        ("1100", 0, 119000),
    }
    assert await invoice_row(db, "INV-1") == (119000, 0, "paid")
    # no payment number consumed by the re-confirm
    payment_counters = [s for s in await sequences_of(db) if s[2] == "payment"]
    assert [s[3] for s in payment_counters] == [1]


async def test_cancel_draft_posts_nothing_and_keeps_the_payment(db, session):
    await factories.customer(session)
    await factories.invoice(session, "INV-1")
    p = await factories.draft(session, allocations=[("INV-1", "500.00")])

    view = await flow(session).cancel_payment(p.id, reason="duplicate")

    assert (view.state, view.number) == ("cancelled", None)
    assert await entries_of(db, p.id) == []
    assert await invoice_row(db, "INV-1") == (119000, 119000, "open")
    shown = await PaymentService(session, "tester").get_payment(p.id)
    assert shown.state == "cancelled"
    with pytest.raises(RuleViolation, match="is cancelled and cannot be confirmed"):
        await flow(session).confirm_payment(p.id)
    with pytest.raises(RuleViolation, match="already cancelled"):
        await flow(session).cancel_payment(p.id)
    with pytest.raises(RuleViolation, match="only drafts can be deleted"):
        await PaymentService(session, "tester").delete_payment(p.id)


async def test_cancel_posted_posts_a_reversal_and_gives_allocations_back(db, session):
    await factories.customer(session)
    await factories.invoice(session, "INV-1")
    await factories.invoice(session, "INV-2", amount="200.00")
    p = await factories.draft(
        session, amount="1390.00", allocations=[("INV-1", "1190.00"), ("INV-2", "150.00")]
    )
    await flow(session).confirm_payment(p.id)
    assert await invoice_row(db, "INV-2") == (20000, 5000, "partial")

    view = await flow(session).cancel_payment(p.id)

    assert (view.state, view.number) == ("cancelled", "BNK1/2026/00001")
    original, reversal = await entries_of(db, p.id)
    assert (original.reversed_by_id, reversal.reversal_of_id) == (reversal.id, original.id)
    assert await invoice_row(db, "INV-1") == (119000, 119000, "open")
    assert await invoice_row(db, "INV-2") == (20000, 20000, "open")
    with pytest.raises(RuleViolation, match="cancelled and cannot be reset"):
        await flow(session).reset_payment_to_draft(p.id)
    assert len(await entries_of(db, p.id)) == 2


async def test_confirm_of_posted_payment_says_already_posted(db, session):
    await factories.customer(session)
    p = await factories.draft(session)
    await flow(session).confirm_payment(p.id)
    with pytest.raises(RuleViolation, match="payment BNK1/2026/00001 is already posted"):
        await flow(session).confirm_payment(p.id)
    assert len(await entries_of(db, p.id)) == 1
    assert [s[3] for s in await sequences_of(db) if s[2] == "payment"] == [1]


async def test_reset_of_draft_is_refused(db, session):
    await factories.customer(session)
    p = await factories.draft(session)
    with pytest.raises(RuleViolation, match=rf"payment #{p.id} is already a draft"):
        await flow(session).reset_payment_to_draft(p.id)
    assert await entries_of(db, p.id) == []
    assert [r.action for r in await audit_records(db, p.id)] == ["create"]


async def test_posted_or_once_posted_payments_cannot_be_deleted(db, session):
    await factories.customer(session)
    p = await factories.draft(session)
    await flow(session).confirm_payment(p.id)
    payments = PaymentService(session, "tester")
    with pytest.raises(RuleViolation, match="only drafts can be deleted"):
        await payments.delete_payment(p.id)
    await flow(session).reset_payment_to_draft(p.id)
    with pytest.raises(RuleViolation, match="cancel it instead"):
        await payments.delete_payment(p.id)
    assert await payment_row(db, p.id) is not None


async def test_numbers_are_per_journal_and_year(db, session):
    await factories.customer(session)
    drafts = [
        await factories.draft(session, amount="10.00", journal=journal, date=day)
        for journal, day in [
            ("BNK1", "2026-02-01"),
            ("BNK1", "2025-12-31"),
            ("CSH1", "2026-02-01"),
            ("BNK1", "2026-02-02"),
            ("BNK1", "2025-06-30"),
        ]
    ]
    numbers = [(await flow(session).confirm_payment(p.id)).number for p in drafts]
    assert numbers == [
        "BNK1/2026/00001",
        "BNK1/2025/00001",
        "CSH1/2026/00001",
        "BNK1/2026/00002",
        "BNK1/2025/00002",
    ]
    entry_numbers = [e.number for p in drafts for e in await entries_of(db, p.id)]
    assert entry_numbers == [
        "JE/BNK1/2026/00001",
        "JE/BNK1/2025/00001",
        "JE/CSH1/2026/00001",
        "JE/BNK1/2026/00002",
        "JE/BNK1/2025/00002",
    ]


async def test_payment_can_be_found_by_number(db, session):
    await factories.customer(session)
    p = await factories.draft(session)
    await flow(session).confirm_payment(str(p.id))
    view = await flow(session).reset_payment_to_draft("BNK1/2026/00001")
    assert view.id == p.id and view.state == "draft"


# --------------------------------------------------- partial, overpayment, write-off


async def test_partial_payment_leaves_invoice_partial(db, session):
    await factories.customer(session)
    await factories.invoice(session, "INV-1", amount="1190.00")
    p1 = await factories.draft(session, amount="400.00", allocations=[("INV-1", "400.00")])
    p2 = await factories.draft(session, amount="790.00", allocations=[("INV-1", "790.00")])
    await flow(session).confirm_payment(p1.id)
    assert await invoice_row(db, "INV-1") == (119000, 79000, "partial")
    await flow(session).confirm_payment(p2.id)
    assert await invoice_row(db, "INV-1") == (119000, 0, "paid")
    await flow(session).reset_payment_to_draft(p1.id)
    assert await invoice_row(db, "INV-1") == (119000, 40000, "partial")


async def test_overpayment_leaves_open_credit_on_the_partner(db, session):
    await factories.customer(session)
    await factories.invoice(session, "INV-1", amount="1190.00")
    p = await factories.draft(session, amount="1500.00", allocations=[("INV-1", "1190.00")])
    partners = PartnerService(session, "tester")
    assert (await partners.get_partner("ACME GmbH")).unallocated_credit == Decimal("0")

    await flow(session).confirm_payment(p.id)

    acme = await partners.get_partner("ACME GmbH")
    assert acme.unallocated_credit == Decimal("310.00")
    assert acme.open_receivable == Decimal("0")
    assert await invoice_row(db, "INV-1") == (119000, 0, "paid")
    (entry,) = await entries_of(db, p.id)
    assert {(c, d, cr) for c, d, cr, _ in entry.lines} == {("1020", 150000, 0), ("1100", 0, 150000)}
    await flow(session).reset_payment_to_draft(p.id)
    assert (await partners.get_partner("ACME GmbH")).unallocated_credit == Decimal("0")


@pytest.mark.parametrize(
    ("ptype", "doc_type", "paid", "lines"),
    [
        (
            "customer_payment",
            "customer_invoice",
            "1189.50",
            {("1020", 118950, 0), ("6900", 50, 0), ("1100", 0, 119000)},
        ),
        (
            "vendor_payment",
            "vendor_bill",
            "1189.50",
            {("2000", 119000, 0), ("1030", 0, 118950), ("6900", 0, 50)},
        ),
        # exactly the tolerance (1.00 by default) is still written off
        (
            "customer_payment",
            "customer_invoice",
            "1189.00",
            {("1020", 118900, 0), ("6900", 100, 0), ("1100", 0, 119000)},
        ),
    ],
    ids=["customer", "vendor", "at-tolerance"],
)
async def test_write_off_within_tolerance_closes_the_invoice_in_the_same_entry(
    db, session, ptype, doc_type, paid, lines
):
    partner = "ACME GmbH" if ptype.startswith("customer") else "Supplier BV"
    await (factories.customer(session) if partner == "ACME GmbH" else factories.vendor(session))
    await factories.invoice(session, "DOC-1", partner=partner, amount="1190.00", type=doc_type)
    p = await factories.draft(
        session, amount=paid, partner=partner, type=ptype, allocations=[("DOC-1", paid)]
    )

    view = await flow(session).confirm_payment(p.id, write_off=True)

    (entry,) = await entries_of(db, p.id)
    assert {(c, d, cr) for c, d, cr, _ in entry.lines} == lines
    assert await invoice_row(db, "DOC-1") == (119000, 0, "paid")
    gap = 119000 - cents(paid)
    assert view.allocations[0].writeoff == Decimal(gap) / 100
    assert [(a[1], a[2]) for a in await allocations_of(db, p.id)] == [(cents(paid), gap)]

    # reset gives back the allocation and the write-off
    await flow(session).reset_payment_to_draft(p.id)
    assert await invoice_row(db, "DOC-1") == (119000, 119000, "open")
    assert [(a[1], a[2]) for a in await allocations_of(db, p.id)] == [(cents(paid), 0)]
    _, reversal = await entries_of(db, p.id)
    assert {(c, cr, d) for c, d, cr, _ in reversal.lines} == lines


@pytest.mark.parametrize(
    ("paid", "write_off"),
    [("1188.99", True), ("1189.50", False)],
    ids=["beyond-tolerance", "not-asked"],
)
async def test_no_write_off_beyond_tolerance_or_when_not_asked(db, session, paid, write_off):
    await factories.customer(session)
    await factories.invoice(session, "INV-1", amount="1190.00")
    p = await factories.draft(session, amount=paid, allocations=[("INV-1", paid)])

    await flow(session).confirm_payment(p.id, write_off=write_off)

    (entry,) = await entries_of(db, p.id)
    assert {(c, d, cr) for c, d, cr, _ in entry.lines} == {
        ("1020", cents(paid), 0),
        ("1100", 0, cents(paid)),
    }
    assert await invoice_row(db, "INV-1") == (119000, 119000 - cents(paid), "partial")
    assert [a[2] for a in await allocations_of(db, p.id)] == [0]


async def test_over_allocation_is_refused_with_the_residual(db, session):
    await factories.customer(session)
    await factories.invoice(session, "INV-1", amount="1000.00")
    p1 = await factories.draft(session, amount="700.00", allocations=[("INV-1", "700.00")])
    p2 = await factories.draft(session, amount="600.00", allocations=[("INV-1", "600.00")])
    await flow(session).confirm_payment(p1.id)
    with pytest.raises(
        RuleViolation, match="allocation 600.00 to INV-1 exceeds its open residual 300.00"
    ):
        await flow(session).confirm_payment(p2.id)
    assert await invoice_row(db, "INV-1") == (100000, 30000, "partial")
    assert await entries_of(db, p2.id) == []
    assert (await payment_row(db, p2.id)).number is None


# ------------------------------------------------------------------------ audit


async def test_every_transition_and_edit_is_audited(db, session):
    await factories.customer(session)
    await factories.invoice(session, "INV-1")
    p = await factories.draft(session, amount="1190.00", allocations=[("INV-1", "1000.00")])
    f = flow(session)
    payments = PaymentService(session, "tester")
    await f.confirm_payment(p.id, reason="approved")
    await f.reset_payment_to_draft(p.id, reason="wrong allocation")
    await payments.set_allocation(p.id, "INV-1", "1190.00", reason="full amount")
    await payments.update_payment(p.id, reference="REF-9", reason="bank reference")
    await f.confirm_payment(p.id)
    await f.cancel_payment(p.id, reason="duplicate")

    records = await audit_records(db, p.id)
    assert [(r.action, r.user, r.reason) for r in records] == [
        ("create", "tester", None),
        ("confirm", "tester", "approved"),
        ("reset", "tester", "wrong allocation"),
        ("allocate", "tester", "full amount"),
        ("update", "tester", "bank reference"),
        ("confirm", "tester", None),
        ("cancel", "tester", "duplicate"),
    ]
    import json

    changes = [json.loads(r.changes) for r in records]
    invoice_id = (await allocations_of(db, p.id))[0][0]
    # edits record before and after
    assert changes[3]["allocations"] == [{str(invoice_id): 100000}, {str(invoice_id): 119000}]
    assert changes[4]["reference"] == [None, "REF-9"]
    # state changes record where the payment came from and where it went
    transitions = [(c["state"], c.get("state_before")) for c in changes[1:3] + changes[5:]]
    assert transitions == [
        ("posted", "draft"),
        ("draft", "posted"),
        ("posted", "draft"),
        ("cancelled", "posted"),
    ]
    assert changes[1]["number"] == "BNK1/2026/00001"
    assert all(r.at is not None for r in records)


async def test_audit_records_are_hash_chained(db, session):
    await factories.customer(session)
    p = await factories.draft(session)
    await flow(session).confirm_payment(p.id, reason="ok")
    await flow(session).reset_payment_to_draft(p.id)
    await flow(session).cancel_payment(p.id)

    records = await audit_records(db)
    assert len(records) == 4
    assert records[0].prev_hash == audit.GENESIS
    for before, after in zip(records, records[1:], strict=False):
        assert after.prev_hash == before.hash
    async with db.session() as s:
        head = await s.scalar(select(AuditHead.last_hash).where(AuditHead.id == 1))
    assert head == records[-1].hash
    assert audit.verify_chain(records, head) is None
    # the chain notices an edited record (checked in memory: the table refuses edits)
    records[1].reason = "changed afterwards"
    assert "record" in (audit.verify_chain(records, head) or "")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET reason = 'tampered'",
        "DELETE FROM audit_log",
    ],
    ids=["update", "delete"],
)
async def test_database_refuses_to_change_audit_records(db, session, statement):
    await factories.customer(session)
    p = await factories.draft(session)
    await flow(session).confirm_payment(p.id)
    before = [(r.id, r.hash, r.reason) for r in await audit_records(db)]
    assert before

    async with db.session() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            await s.execute(text(statement))
        await s.rollback()

    assert [(r.id, r.hash, r.reason) for r in await audit_records(db)] == before


# ------------------------------------------------------------- failure injection


async def test_failure_after_the_entry_is_written_leaves_no_trace(db, session, monkeypatch):
    await factories.customer(session)
    await factories.invoice(session, "INV-1")
    p = await factories.draft(session, allocations=[("INV-1", "1190.00")])
    sequences_before = await sequences_of(db)
    entries_before = await count(db, JournalEntry)
    lines_before = await count(db, JournalLine)
    audit_before = await count(db, AuditRecord)
    seen: list[int] = []

    async def failing_append(s: Any, events: Any) -> None:
        # called last in the transition: the entry is in the transaction by now
        seen.append(
            await s.scalar(
                select(func.count())
                .select_from(JournalEntry)
                .where(JournalEntry.payment_id == p.id)
            )
        )
        raise RuntimeError("injected failure")

    monkeypatch.setattr(audit, "append", failing_append)
    with pytest.raises(RuntimeError, match="injected failure"):
        await flow(session).confirm_payment(p.id)
    monkeypatch.undo()
    assert seen == [1]

    row = await payment_row(db, p.id)
    assert row is not None and (row.state.value, row.number, row.confirmed_at) == (
        "draft",
        None,
        None,
    )
    assert await entries_of(db, p.id) == []
    assert await count(db, JournalEntry) == entries_before
    assert await count(db, JournalLine) == lines_before
    assert await count(db, AuditRecord) == audit_before
    assert await invoice_row(db, "INV-1") == (119000, 119000, "open")
    assert await sequences_of(db) == sequences_before

    view = await flow(session).confirm_payment(p.id)
    assert view.number == "BNK1/2026/00001"
    assert [e.number for e in await entries_of(db, p.id)] == ["JE/BNK1/2026/00001"]


async def test_failure_during_reset_leaves_the_payment_posted(db, session, monkeypatch):
    await factories.customer(session)
    await factories.invoice(session, "INV-1")
    p = await factories.draft(session, allocations=[("INV-1", "1190.00")])
    await flow(session).confirm_payment(p.id)
    sequences_before = await sequences_of(db)

    async def failing_append(s: Any, events: Any) -> None:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(audit, "append", failing_append)
    with pytest.raises(RuntimeError):
        await flow(session).reset_payment_to_draft(p.id)
    monkeypatch.undo()

    (entry,) = await entries_of(db, p.id)
    assert entry.live
    assert (await payment_row(db, p.id)).state.value == "posted"
    assert await invoice_row(db, "INV-1") == (119000, 0, "paid")
    assert await sequences_of(db) == sequences_before
    # and the reset works afterwards
    await flow(session).reset_payment_to_draft(p.id)
    assert len(await entries_of(db, p.id)) == 2

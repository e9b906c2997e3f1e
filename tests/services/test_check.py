"""IntegrityService (`payctl check`, issue 3 item 7): a clean ledger passes after every kind of
workflow step, and each invariant catches a row changed behind payctl's back.

Runs on every backend of the ``backend`` fixture. Tampering uses raw SQL in a separate
session (the append-only audit triggers are dropped/disabled first where needed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import selectinload

from payctl.db.engine import Database
from payctl.db.models import (
    Account,
    Invoice,
    Journal,
    JournalEntry,
    JournalLine,
    Partner,
    Payment,
    PaymentAllocation,
    Sequence,
)
from payctl.db.uow import begin
from payctl.db.uow import commit as uow_commit
from payctl.domain import states
from payctl.domain.enums import AccountRole, InvoiceState, PaymentState
from payctl.services.ledger import audit_chain, audit_match
from payctl.services.ledger.integrity_service import (
    CHECKS,
    IntegrityService,
    Violation,
    read_snapshot,
)
from payctl.services.parties.partner_service import PartnerService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests import factories


@dataclass
class Books:
    """Payment ids of the sample books (see ``build_books``)."""

    overpaid: int
    written_off: int
    vendor_partial: int
    refund: int
    vendor_refund: int
    cash: int
    cancelled_draft: int


async def violations(db: Database) -> list[Violation]:
    async with db.session() as s:
        return await IntegrityService(s, "tester").check()


async def build_books(
    session: Any,
    after_step: Callable[[], Awaitable[None]] | None = None,
) -> Books:
    """Customers and vendors, every invoice type, every payment type, partial payments, an
    overpayment, a write-off, reset/re-confirm, cancel of a posted payment and of a draft.
    ``after_step`` runs after each workflow step."""

    async def step() -> None:
        if after_step is not None:
            await after_step()

    await factories.customer(session)
    await factories.vendor(session)
    await PartnerService(session, "tester").create_partner("Both & Co", "both")
    for number, partner, amount, kind in (
        ("INV-1", "ACME GmbH", "1190.00", "customer_invoice"),
        ("INV-2", "ACME GmbH", "500.00", "customer_invoice"),
        ("CN-1", "ACME GmbH", "100.00", "customer_credit_note"),
        ("BILL-1", "Supplier BV", "800.00", "vendor_bill"),
        ("VCN-1", "Supplier BV", "50.00", "vendor_credit_note"),
        ("INV-3", "Both & Co", "300.00", "customer_invoice"),
        ("BILL-2", "Both & Co", "200.00", "vendor_bill"),
    ):
        await factories.invoice(session, number, partner, amount, kind)
    await step()
    flow = PaymentFlowService(session, "tester")
    overpaid = await factories.draft(session, "1500.00", allocations=[("INV-1", "1190.00")])
    written_off = await factories.draft(session, "499.50", allocations=[("INV-2", "499.50")])
    vendor_partial = await factories.draft(
        session, "300.00", "Supplier BV", "vendor_payment", allocations=[("BILL-1", "300.00")]
    )
    refund = await factories.draft(
        session, "100.00", type="customer_refund", allocations=[("CN-1", "100.00")]
    )
    vendor_refund = await factories.draft(
        session, "60.00", "Supplier BV", "vendor_refund", allocations=[("VCN-1", "50.00")]
    )
    cash = await factories.draft(
        session,
        "200.00",
        "Both & Co",
        "customer_payment",
        journal="CSH1",
        allocations=[("INV-3", "120.00")],
    )
    cancelled_draft = await factories.draft(session, "10.00")
    await step()
    for p in (overpaid, vendor_partial, refund, vendor_refund, cash):
        await flow.confirm_payment(p.id)
        await step()
    await flow.confirm_payment(written_off.id, write_off=True)
    await step()
    await flow.reset_payment_to_draft(overpaid.id, reason="wrong amount")
    await step()
    await flow.confirm_payment(overpaid.id)
    await step()
    await flow.cancel_payment(vendor_partial.id)
    await step()
    await flow.cancel_payment(cancelled_draft.id)
    await step()
    await flow.reset_payment_to_draft(written_off.id)
    await step()
    await flow.confirm_payment(written_off.id)  # now without write-off: INV-2 stays partial
    await step()
    return Books(
        overpaid.id,
        written_off.id,
        vendor_partial.id,
        refund.id,
        vendor_refund.id,
        cash.id,
        cancelled_draft.id,
    )


# ------------------------------------------------------------------------ clean books


async def test_empty_ledger_passes(db):
    assert await violations(db) == []


async def test_every_workflow_step_keeps_the_books_consistent(db, session):
    steps = 0

    async def assert_clean() -> None:
        nonlocal steps
        steps += 1
        assert await violations(db) == [], f"after step {steps}"

    await build_books(session, assert_clean)
    assert steps == 14
    async with db.session() as s:  # the scenario really exercised what the checks look at
        seen = set((await s.execute(select(Payment.state))).scalars())
        assert seen == {PaymentState.POSTED, PaymentState.CANCELLED}
        reversals = await s.scalar(
            select(JournalEntry.id).where(JournalEntry.reversal_of_id.is_not(None)).limit(1)
        )
        assert reversals is not None
        inv2 = await s.scalar(select(Invoice).where(Invoice.number == "INV-2"))
        assert inv2 is not None and inv2.state == InvoiceState.PARTIAL


async def test_check_joins_a_running_transaction_and_leaves_it_open(db, session):
    await build_books(session)
    async with db.session() as s:
        await begin(s, write=False)
        assert await IntegrityService(s).check() == []
        assert s.in_transaction()
        await s.rollback()


async def test_checks_read_one_snapshot(db, session):
    """A commit landing between two of the check's queries is not seen half-way."""
    await factories.customer(session)
    count = select(func.count()).select_from(Partner)
    async with db.session() as reader:
        async with read_snapshot(reader):
            before = await reader.scalar(count)
            await factories.vendor(session)  # commits in another connection
            assert await reader.scalar(count) == before
        assert not reader.in_transaction()
        assert await reader.scalar(count) == before + 1


# ----------------------------------------------------------------------- tampering


async def tamper(db: Database, *statements: str) -> None:
    """Run raw SQL behind payctl's back, committing it."""
    async with db.session() as s:
        await begin(s, write=True)
        for sql in statements:
            await s.execute(text(sql))
        await s.commit()


def audit_writable(backend: str) -> list[str]:
    if backend == "sqlite":
        return ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]
    return ["ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"]


def entry_of_invoice(number: str) -> str:
    return (
        f"(SELECT id FROM journal_entries WHERE source_type = 'invoice' AND invoice_id = "
        f"(SELECT id FROM invoices WHERE number = '{number}'))"
    )


def first_entry_of(payment: str) -> str:
    return (
        f"(SELECT min(id) FROM journal_entries WHERE payment_id = "
        f"(SELECT id FROM payments WHERE {payment}))"
    )


POSTED = select(Payment.id).where(Payment.state == PaymentState.POSTED)
OVERPAID = "number = 'BNK1/2026/00001'"  # posted, reset, posted again
CASES: dict[str, tuple[list[str], set[tuple[str, str]]]] = {
    # (statements, expected {(code, object)})
    "line debit changed": (
        [
            f"UPDATE journal_lines SET debit = debit + 1 WHERE entry_id = "
            f"{entry_of_invoice('INV-1')} "
            "AND debit > 0"
        ],
        {
            ("entry_unbalanced", "JE/SAL/2026/00001"),
            ("invoice_booking", "INV-1"),
            ("receivable_balance", "receivable"),
            ("receivable_balance", "ACME GmbH"),
        },
    ),
    "invoice residual changed": (
        ["UPDATE invoices SET residual = residual - 1 WHERE number = 'BILL-1'"],
        {
            ("invoice_residual", "BILL-1"),
            ("invoice_state", "BILL-1"),  # open, residual < total
            ("payable_balance", "payable"),
            ("payable_balance", "Supplier BV"),
        },
    ),
    "invoice state changed": (
        ["UPDATE invoices SET state = 'paid' WHERE number = 'INV-2'"],
        {("invoice_state", "INV-2")},
    ),
    "posted payment set to draft": (
        [f"UPDATE payments SET state = 'draft' WHERE {OVERPAID}"],
        {
            ("payment_entry", "BNK1/2026/00001"),
            ("invoice_residual", "INV-1"),
            ("receivable_balance", "receivable"),
            ("receivable_balance", "ACME GmbH"),
        },
    ),
    "payment amount changed": (
        [f"UPDATE payments SET amount = amount + 100 WHERE {OVERPAID}"],
        {
            ("payment_entry_amount", "BNK1/2026/00001"),
            ("receivable_balance", "receivable"),
            ("receivable_balance", "ACME GmbH"),
            ("audit_payment", "BNK1/2026/00001"),  # not the amount its confirmation recorded
        },
    ),
    "reversal unlinked from its original": (
        [f"UPDATE journal_entries SET reversed_by_id = NULL WHERE id = {first_entry_of(OVERPAID)}"],
        {
            ("reversal_link", "JE/BNK1/2026/00006"),
            ("payment_entry", "BNK1/2026/00001"),
            ("payment_entry_amount", "BNK1/2026/00001"),
            ("audit_entry", "JE/BNK1/2026/00001"),  # live again, not the entry last recorded
        },
    ),
    "reversal line moved to another account": (
        [
            "UPDATE journal_lines SET account_id = (SELECT id FROM accounts WHERE role = 'bank') "
            "WHERE credit > 0 AND entry_id = (SELECT reversed_by_id FROM "
            "journal_entries WHERE id = "
            f"{first_entry_of(OVERPAID)})"
        ],
        {("reversal_mirror", "JE/BNK1/2026/00006")},
    ),
    "payment number changed": (
        ["UPDATE payments SET number = 'BNK1/2026/00099' WHERE number = 'BNK1/2026/00005'"],
        {
            ("number_gap", "BNK1/2026"),
            ("sequence_mismatch", "BNK1/2026"),
            ("audit_payment", "BNK1/2026/00099"),
        },
    ),
    "entry counter moved": (
        [
            "UPDATE sequences SET last_value = last_value + 1 WHERE kind = 'entry' AND "
            "journal_id = "
            "(SELECT id FROM journals WHERE code = 'SAL')"
        ],
        {("sequence_mismatch", "JE/SAL/2026")},
    ),
    "receivable line moved to another partner": (
        [
            "UPDATE journal_lines SET partner_id = (SELECT id FROM partners WHERE name "
            "= 'Both & Co') "
            f"WHERE entry_id = {entry_of_invoice('INV-2')} AND debit > 0"
        ],
        {("receivable_balance", "ACME GmbH"), ("receivable_balance", "Both & Co")},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_tampered_row_is_reported(db, session, case):
    await build_books(session)
    assert await violations(db) == []
    statements, expected = CASES[case]
    await tamper(db, *statements)
    found = await violations(db)
    assert {(v.code, v.object) for v in found} == expected, found
    assert all(v.message for v in found)


DELETED_CONFIRM = [  # a posted payment's confirmations removed: its last record is 'reset'
    "DELETE FROM audit_log WHERE action = 'confirm' AND object_type = 'payment' AND "
    "object_id = (SELECT id FROM payments WHERE number = 'BNK1/2026/00005')"
]


@pytest.mark.parametrize("case", ["none", "deleted confirmation", *CASES])
async def test_last_records_from_the_chain_walk_are_the_trails(db, session, backend, case):
    """`check` notes each payment's last audit record while it walks the chain
    (audit_match.note_last_records) instead of asking for them again: the same records, so
    the same findings, as the query for the last record of each posted payment."""
    await build_books(session)
    if case == "deleted confirmation":
        await tamper(db, *audit_writable(backend), *DELETED_CONFIRM)
    elif case != "none":
        await tamper(db, *CASES[case][0])
    async with db.session() as s, read_snapshot(s):
        last: audit_match.LastRecords = {}
        async for rows in audit_chain.chunks(s, size=3):
            audit_match.note_last_records(last, rows)
        assert {k: last[k] for k in await audit_match._last_records(s, POSTED)} == (
            await audit_match._last_records(s, POSTED)
        )
        walked = await audit_match.posted_payments(s, last)
        assert walked == await audit_match.posted_payments(s)
    if case == "deleted confirmation":
        assert [f[:2] for f in walked] == [("audit_payment", "BNK1/2026/00005")]
        assert "is posted but its last audit record is 'reset'" in walked[0][2]


async def test_malformed_numbers_are_reported_in_order(db, session):
    await build_books(session)
    await tamper(
        db,
        "UPDATE payments SET number = 'XX/2026/00005' WHERE number = 'BNK1/2026/00005'",
        "UPDATE payments SET number = 'BNK1/2026/0' WHERE number = 'BNK1/2026/00004'",
        "UPDATE journal_entries SET number = 'JE/BNK1/26/00001' WHERE number = "
        "'JE/BNK1/2026/00001'",
    )
    found = [v for v in await violations(db) if v.code == "number_malformed"]
    assert sorted(v.object for v in found[:2]) == ["BNK1/2026/0", "XX/2026/00005"]
    assert [v.object for v in found[2:]] == ["JE/BNK1/26/00001"]
    assert found[0].message.startswith("payment number ")
    assert found[2].message == (
        "entry number JE/BNK1/26/00001 does not follow JE/<JOURNAL>/<YEAR>/<NNNNN> with a "
        "known journal"
    )


async def test_entry_with_one_line_is_reported(db, session):
    await build_books(session)
    await tamper(db, "DELETE FROM journal_lines WHERE id = (SELECT max(id) FROM journal_lines)")
    found = [v for v in await violations(db) if v.code == "entry_unbalanced"]
    assert len(found) == 1 and "1 line(s)" in found[0].message


@pytest.mark.parametrize(
    "how, message",
    [
        ("edit", "content does not match its hash"),
        ("delete middle", "previous-hash link broken"),
        ("delete last", "head does not match"),
    ],
)
async def test_audit_tampering_reports_the_first_broken_link(db, session, backend, how, message):
    await build_books(session)
    async with db.session() as s:
        ids = sorted((await s.execute(text("SELECT id FROM audit_log"))).scalars())
    target = {"edit": ids[3], "delete middle": ids[3], "delete last": ids[-1]}[how]
    sql = (
        f"UPDATE audit_log SET changes = '{{}}' WHERE id = {target}"
        if how == "edit"
        else f"DELETE FROM audit_log WHERE id = {target}"
    )
    await tamper(db, *audit_writable(backend), sql)
    found = await violations(db)
    chain = [v for v in found if v.code == "audit_chain"]
    assert [(v.code, v.object) for v in chain] == [("audit_chain", "audit_log")]
    assert message in chain[0].message
    # the last record was the confirmation of the written-off payment: it now disagrees
    others = {(v.code, v.object) for v in found if v.code != "audit_chain"}
    assert others == ({("audit_payment", "BNK1/2026/00005")} if how == "delete last" else set())
    if how != "delete last":
        next_id = ids[4] if how == "delete middle" else target
        assert f"audit record {next_id}:" in found[0].message


async def test_each_registered_check_is_one_named_step(db, session):
    """`check` runs the steps of the one registry: distinct names, distinct steps, each of
    which passes on its own on clean books."""
    await build_books(session)
    assert len({c.name for c in CHECKS}) == len({c.run for c in CHECKS}) == len(CHECKS)
    async with db.session() as s, read_snapshot(s):
        for step in CHECKS:
            assert await step.run(IntegrityService(s, "tester")) == [], step.name


# -------------------------------------------------------------------- large books


def _options() -> list[Any]:
    return [
        selectinload(Payment.partner),
        selectinload(Payment.journal),
        selectinload(Payment.allocations).selectinload(PaymentAllocation.invoice),
    ]


async def _insert_many(s: Any, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows with explicit ids, fast: executemany without RETURNING on SQLite (with
    RETURNING it goes row by row), COPY on PostgreSQL."""
    start = int(await s.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1
    now = dt.datetime.now(dt.UTC)
    for offset, row in enumerate(rows):
        row["id"] = start + offset
        for column in ("created_at", "updated_at"):
            if column in model.__table__.c:
                row.setdefault(column, now)
    if s.bind.dialect.name != "postgresql":
        await s.execute(insert(model.__table__), rows)
        return [row["id"] for row in rows]
    table, columns = model.__tablename__, list(rows[0])
    raw = await (await s.connection()).get_raw_connection()
    await raw.driver_connection.copy_records_to_table(
        table, columns=columns, records=[tuple(row[c] for c in columns) for row in rows]
    )
    await s.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    )  # explicit ids skip the sequence
    return [row["id"] for row in rows]


async def _large_books(db: Database, invoices: int, payments: int) -> None:
    """``invoices`` customer invoices booked set-wise exactly as InvoiceService books them
    (Dr receivable / Cr sales, one SAL entry each), then ``payments`` drafts, each allocated
    to one invoice, confirmed in one batch through PaymentFlowService."""
    async with db.session() as s:
        await begin(s, write=True)
        roles = dict((await s.execute(select(Account.role, Account.id))).all())
        journals = dict((await s.execute(select(Journal.code, Journal.id))).all())
        partners = await _insert_many(
            s, Partner, [{"name": f"Customer {i}", "kind": "customer"} for i in range(100)]
        )
        day = dt.date(2026, 1, 5)
        totals = [10_000 + i for i in range(invoices)]
        inv_ids = await _insert_many(
            s,
            Invoice,
            [
                {
                    "number": f"INV-{i:06d}",
                    "type": "customer_invoice",
                    "partner_id": partners[i % 100],
                    "date": day,
                    "due_date": None,
                    "currency": "EUR",
                    "total": total,
                    "residual": total,
                    "state": "open",
                }
                for i, total in enumerate(totals)
            ],
        )
        entry_ids = await _insert_many(
            s,
            JournalEntry,
            [
                {
                    "number": f"JE/SAL/2026/{i + 1:05d}",
                    "journal_id": journals["SAL"],
                    "date": day,
                    "source_type": "invoice",
                    "source_id": inv_id,
                    "payment_id": None,
                    "invoice_id": inv_id,
                    "reversal_of_id": None,
                    "reversed_by_id": None,
                    "memo": f"INV-{i:06d}",
                    "created_by": "tester",
                }
                for i, inv_id in enumerate(inv_ids)
            ],
        )
        await _insert_many(
            s,
            JournalLine,
            [
                {
                    "entry_id": entry_id,
                    "account_id": roles[role],
                    "partner_id": partners[i % 100],
                    "debit": totals[i] if debit else 0,
                    "credit": 0 if debit else totals[i],
                    "label": f"INV-{i:06d}",
                }
                for i, entry_id in enumerate(entry_ids)
                for role, debit in ((AccountRole.RECEIVABLE, True), (AccountRole.SALES, False))
            ],
        )
        await _insert_many(
            s,
            Sequence,
            [
                {
                    "journal_id": journals["SAL"],
                    "year": 2026,
                    "kind": "entry",
                    "last_value": invoices,
                }
            ],
        )
        pay_ids = await _insert_many(
            s,
            Payment,
            [
                {
                    "number": None,
                    "type": "customer_payment",
                    "state": "draft",
                    "partner_id": partners[i % 100],
                    "journal_id": journals["BNK1"],
                    "amount": 20_000,
                    "currency": "EUR",
                    "date": dt.date(2026, 2, 1),
                    "reference": None,
                    "memo": None,
                    "created_by": "tester",
                    "confirmed_by": None,
                    "confirmed_at": None,
                }
                for i in range(payments)
            ],
        )
        await _insert_many(
            s,
            PaymentAllocation,
            [
                {"payment_id": pay_id, "invoice_id": inv_ids[i], "amount": totals[i], "writeoff": 0}
                for i, pay_id in enumerate(pay_ids)
            ],
        )
        loaded = list(
            (
                await s.execute(select(Payment).where(Payment.id.in_(pay_ids)).options(*_options()))
            ).scalars()
        )
        batch = await PaymentFlowService(s, "tester").run_transition(loaded, states.Action.CONFIRM)
        assert not batch.failed
        await uow_commit(s)


@pytest.mark.slow
async def test_check_is_set_wise_on_50k_invoices(db):
    """Check's statements do not grow with the books (no query per invoice or payment): its
    speed is benchmarks/'s to report (bench_targets.py --only books), not a timed test's."""
    from sqlalchemy import event

    await _large_books(db, 50_000, 1_000)
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        found = await violations(db)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert found == []
    assert 0 < len(sent) < 300, f"check sent {len(sent)} statements on 50k invoices"
    await tamper(db, "UPDATE invoices SET residual = residual - 1 WHERE number = 'INV-049999'")
    assert {(v.code, v.object) for v in await violations(db)} == {
        ("invoice_residual", "INV-049999"),
        ("invoice_state", "INV-049999"),
        ("receivable_balance", "receivable"),
        ("receivable_balance", "Customer 99"),
    }

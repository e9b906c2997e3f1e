"""A bulk confirm writes exactly these rows, on every backend: payments, allocations, invoices,
journal entries and lines, counters, events and the hash-chained audit records, byte for byte
what main wrote before the bulk transitions were made cheaper (issue 12, round 3: the entries
inserted with ids taken up front on SQLite, the UPDATEs sent to the driver directly).

The expected rows (tests/data/bulk_confirm_rows.json) were written by main at 4dead4c with the
clocks of the event and audit writers frozen; columns that hold the wall clock of the run
(created_at, updated_at, confirmed_at) are left out. Batches are made small so that a run has
several, and the drafts span two partners, payments without invoices, a second confirm of the
same selection (skipped) and a cancel. Regenerate (only when a row's schema changes on purpose):
PAYCTL_WRITE_EXPECTED=1 pytest tests/services/test_bulk_exact.py.

The second test holds the events and audit records of `bulk confirm`, `reset` (with a reason)
and `cancel`, with the writers' chunks made tiny so that their write-ahead paths run
(tests/data/bulk_rows.json, also written by main at 4dead4c).
"""

from __future__ import annotations

from typing import Any

from payctl.db import models as m
from payctl.services.payments import bulk_flow
from payctl.services.payments.bulk_types import BulkOptions
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_queries import PaymentFilter
from payctl.services.payments.selection import Selection, batches
from tests.procs.bulk_worker import seed_drafts
from tests.services.exact_rows import (
    AUDIT_COLUMNS,
    EVENT_COLUMNS,
    assert_chain_verifies,
    assert_rows_are,
    freeze_writers,
    read_rows,
)
from tests.services.test_bulk import bulk

_COLUMNS: dict[str, tuple[Any, ...]] = {
    "payments": (
        m.Payment.id,
        m.Payment.number,
        m.Payment.type,
        m.Payment.state,
        m.Payment.partner_id,
        m.Payment.journal_id,
        m.Payment.amount,
        m.Payment.currency,
        m.Payment.date,
        m.Payment.reference,
        m.Payment.memo,
        m.Payment.confirmed_by,
    ),
    "payment_allocations": (
        m.PaymentAllocation.id,
        m.PaymentAllocation.payment_id,
        m.PaymentAllocation.invoice_id,
        m.PaymentAllocation.amount,
        m.PaymentAllocation.writeoff,
    ),
    "invoices": (m.Invoice.id, m.Invoice.number, m.Invoice.residual, m.Invoice.state),
    "journal_entries": (
        m.JournalEntry.id,
        m.JournalEntry.number,
        m.JournalEntry.journal_id,
        m.JournalEntry.date,
        m.JournalEntry.source_type,
        m.JournalEntry.source_id,
        m.JournalEntry.payment_id,
        m.JournalEntry.invoice_id,
        m.JournalEntry.reversal_of_id,
        m.JournalEntry.reversed_by_id,
        m.JournalEntry.memo,
        m.JournalEntry.created_by,
    ),
    "journal_lines": (
        m.JournalLine.id,
        m.JournalLine.entry_id,
        m.JournalLine.account_id,
        m.JournalLine.partner_id,
        m.JournalLine.debit,
        m.JournalLine.credit,
        m.JournalLine.label,
    ),
    "sequences": (
        m.Sequence.id,
        m.Sequence.journal_id,
        m.Sequence.year,
        m.Sequence.kind,
        m.Sequence.last_value,
    ),
    "events": EVENT_COLUMNS,
    "audit_log": AUDIT_COLUMNS,
}


async def test_a_bulk_confirm_writes_exactly_these_rows(db, session, monkeypatch):
    freeze_writers(monkeypatch)
    monkeypatch.setattr(bulk_flow, "batches", lambda ids: batches(ids, 3))
    acme = await seed_drafts(session, 5, prefix="A")
    globex = await seed_drafts(session, 2, prefix="G", partner="Globex", amount_minor=2_550)
    loose = await seed_drafts(session, 2, prefix="L", allocate=False, amount_minor=777)
    flow = PaymentFlowService(session, "tester")
    everything = Selection(tuple(str(i) for i in acme + globex + loose[:1]))
    report = await flow.bulk("confirm", everything, BulkOptions(reason="month end"))
    assert (report.succeeded, report.failed, report.batches) == (8, 0, 3)
    again = await flow.bulk("confirm", everything)  # all posted already: skipped, nothing new
    assert again.failed == 0 and all(i.skipped for i in again.items)
    cancelled = await flow.bulk("cancel", Selection((str(loose[1]),)))
    assert cancelled.succeeded == 1
    assert_rows_are(await read_rows(db, _COLUMNS), "bulk_confirm_rows.json")
    await assert_chain_verifies(db)


async def test_bulk_transitions_write_exactly_these_events_and_audit_records(
    db, session, monkeypatch
):
    freeze_writers(monkeypatch, chunk=3)
    allocated = await seed_drafts(session, 7, prefix="S", amount_minor=12_345)
    loose = await seed_drafts(session, 3, prefix="T", allocate=False, amount_minor=990)
    await session.rollback()
    report = await bulk(session, "confirm", filters=PaymentFilter(state="draft"))
    assert [i.ok for i in report.items] == [True] * 10
    await bulk(session, "reset", [*allocated[:3], loose[0]], reason="wrong day")
    await bulk(session, "cancel", [allocated[0], allocated[5], loose[1]])
    await bulk(session, "confirm", [allocated[1]])
    rows = await read_rows(db, {"events": EVENT_COLUMNS, "audit": AUDIT_COLUMNS})
    assert_rows_are(rows, "bulk_rows.json")
    await assert_chain_verifies(db)

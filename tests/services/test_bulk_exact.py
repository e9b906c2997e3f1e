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
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.services.events import outbox
from payctl.services.ledger import audit
from payctl.services.payments import bulk_flow
from payctl.services.payments.bulk_types import BulkOptions
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.selection import Selection, batches
from tests.procs.bulk_worker import seed_drafts

EXPECTED = Path(__file__).resolve().parent.parent / "data" / "bulk_confirm_rows.json"
AT = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC)

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
    "events": (
        m.Event.id,
        m.Event.type,
        m.Event.actor,
        m.Event.object_type,
        m.Event.object_id,
        m.Event.object_number,
        m.Event.payload,
    ),
    "audit_log": (
        m.AuditRecord.id,
        m.AuditRecord.user,
        m.AuditRecord.action,
        m.AuditRecord.object_type,
        m.AuditRecord.object_id,
        m.AuditRecord.payment_id,
        m.AuditRecord.changes,
        m.AuditRecord.reason,
        m.AuditRecord.prev_hash,
        m.AuditRecord.hash,
    ),
}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return getattr(value, "value", value)  # enum members as their stored values


async def _rows(db: Database) -> dict[str, list[list[Any]]]:
    out = {}
    async with db.session() as s:
        for table, columns in _COLUMNS.items():
            rows = await s.execute(select(*columns).order_by(columns[0]))
            out[table] = [[_plain(v) for v in row] for row in rows]
    return out


async def test_a_bulk_confirm_writes_exactly_these_rows(db, session, monkeypatch):
    monkeypatch.setattr(outbox, "utcnow", lambda: AT)
    monkeypatch.setattr(audit, "utcnow", lambda: AT)
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
    got = json.dumps(await _rows(db), indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("PAYCTL_WRITE_EXPECTED"):
        EXPECTED.write_text(got, encoding="utf-8")
        pytest.skip("expected rows written")
    assert got == EXPECTED.read_text(encoding="utf-8")
    async with db.session() as s:  # the chain as `payctl check` verifies it
        records = list((await s.scalars(select(m.AuditRecord).order_by(m.AuditRecord.id))).all())
        head = await s.scalar(select(m.AuditHead.last_hash))
    assert audit.verify_chain(records, head) is None

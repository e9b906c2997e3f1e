"""The exact rows an import writes to the outbox and the audit trail (issue 12), on every
backend: event types, order of ids, payload text and the hash-chained audit records must be
byte for byte what they were before the writers learned to write ahead of the commit in chunks
(services/events/outbox.py, services/ledger/audit.py).

The expected rows (tests/data/import_rows.json) were written by the writers that kept
everything until commit (main at f891729), with the clock of both writers frozen. The test
imports in small booking chunks and with the writers' chunks made tiny, so every path of the
write-ahead runs: lines and payments written ahead, a draft's number that must wait for its
confirmation in the same import, the rest at commit. Regenerate (only when the payload schema
changes on purpose): PAYCTL_WRITE_EXPECTED=1 pytest tests/services/test_events_exact.py.
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
from payctl.services.bank import bank_extract_service
from payctl.services.events import outbox
from payctl.services.ledger import audit
from tests.services.test_bank_import import (  # noqa: F401 - _integrity is an autouse fixture
    ACME_IBAN,
    GLOBEX_IBAN,
    _integrity,
    books,
    csv_bytes,
    imp,
    row,
)

EXPECTED = Path(__file__).resolve().parent.parent / "data" / "import_rows.json"
AT = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC)

FIRST = [
    row("1190.00", text="Invoice INV 2026 0001", name="ACME GmbH", tx="A1"),
    row("800.00", day="2026-02-04", iban=GLOBEX_IBAN, name="Globex", text="G-100", tx="A2"),
    row("-3.50", text="fee", tx="A3"),
    row("500.00", text="INV-2026-0002 Straße €", name="ACME GmbH", tx="A4"),
    row("12.34", text="nothing known", name="Somebody", tx="A5"),
    row("300.00", day="2026-02-05", iban=ACME_IBAN, text="INV-2026-0003", tx="A6"),
]
SECOND = [
    row("450.00", day="2026-02-06", text='BILL-1 "quoted"', name="Supplier BV", tx="B1"),
    row("-450.00", day="2026-02-06", text="BILL-1", name="Supplier BV", tx="B2"),
    row("99.99", day="2026-02-07", text="unknown", tx="B3"),
    row("25.00", day="2026-02-07", text="CN-1", name="ACME GmbH", tx="B4"),
]


async def _rows(db: Database) -> dict[str, list[list[Any]]]:
    async with db.session() as s:
        events = await s.execute(
            select(
                m.Event.id,
                m.Event.type,
                m.Event.actor,
                m.Event.object_type,
                m.Event.object_id,
                m.Event.object_number,
                m.Event.payload,
            ).order_by(m.Event.id)
        )
        records = await s.execute(
            select(
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
            ).order_by(m.AuditRecord.id)
        )
        return {
            "events": [list(r) for r in events.all()],
            "audit": [list(r) for r in records.all()],
        }


async def test_an_import_writes_exactly_these_events_and_audit_records(db, monkeypatch):
    monkeypatch.setattr(outbox, "utcnow", lambda: AT)
    monkeypatch.setattr(audit, "utcnow", lambda: AT)
    monkeypatch.setattr(bank_extract_service, "BOOK_CHUNK", 2)
    monkeypatch.setattr(outbox, "CHUNK", 2, raising=False)
    monkeypatch.setattr(audit, "CHUNK", 2, raising=False)
    await books(db)
    await imp(db, csv_bytes(*FIRST), source="first.csv", auto_confirm=True)
    await imp(db, csv_bytes(*SECOND), source="second.csv")
    got = _rows_json(await _rows(db))
    if os.environ.get("PAYCTL_WRITE_EXPECTED"):
        EXPECTED.write_text(got, encoding="utf-8")
        pytest.skip("expected rows written")
    assert got == EXPECTED.read_text(encoding="utf-8")
    async with db.session() as s:  # the chain as `payctl check` verifies it
        records = list((await s.scalars(select(m.AuditRecord).order_by(m.AuditRecord.id))).all())
        head = await s.scalar(select(m.AuditHead.last_hash))
    assert audit.verify_chain(records, head) is None


def _rows_json(rows: dict[str, list[list[Any]]]) -> str:
    return json.dumps(rows, indent=1, ensure_ascii=False) + "\n"

"""The exact rows bulk transitions write to the outbox and the audit trail (issue 12), on every
backend: ``bulk confirm`` of drafts (allocated and not), ``bulk reset`` and ``bulk cancel`` of
some of them, with a reason. Event types, order of ids, payload text and the hash-chained
audit records must be byte for byte what the writers wrote before the outbox learned to name
ids by the shape of the payloads (services/events/outbox.py), with the clock of both writers
frozen and their chunks made tiny, so the write-ahead paths run too.

The expected rows (tests/data/bulk_rows.json) were written by main at 4dead4c. Regenerate
(only when the payload schema changes on purpose):
PAYCTL_WRITE_EXPECTED=1 pytest tests/services/test_events_exact_bulk.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from payctl.db import models as m
from payctl.services.events import outbox
from payctl.services.ledger import audit
from payctl.services.payments.payment_queries import PaymentFilter
from tests.procs.bulk_worker import seed_drafts
from tests.services.test_bulk import bulk
from tests.services.test_events_exact import AT, _rows, _rows_json

EXPECTED = Path(__file__).resolve().parent.parent / "data" / "bulk_rows.json"


async def test_bulk_transitions_write_exactly_these_events_and_audit_records(
    db, session, monkeypatch
):
    monkeypatch.setattr(outbox, "utcnow", lambda: AT)
    monkeypatch.setattr(audit, "utcnow", lambda: AT)
    monkeypatch.setattr(outbox, "CHUNK", 3, raising=False)
    monkeypatch.setattr(audit, "CHUNK", 3, raising=False)
    allocated = await seed_drafts(session, 7, prefix="S", amount_minor=12_345)
    loose = await seed_drafts(session, 3, prefix="T", allocate=False, amount_minor=990)
    await session.rollback()
    report = await bulk(session, "confirm", filters=PaymentFilter(state="draft"))
    assert [i.ok for i in report.items] == [True] * 10
    await bulk(session, "reset", [*allocated[:3], loose[0]], reason="wrong day")
    await bulk(session, "cancel", [allocated[0], allocated[5], loose[1]])
    await bulk(session, "confirm", [allocated[1]])
    got = _rows_json(await _rows(db))
    if os.environ.get("PAYCTL_WRITE_EXPECTED"):
        EXPECTED.write_text(got, encoding="utf-8")
        pytest.skip("expected rows written")
    assert got == EXPECTED.read_text(encoding="utf-8")
    async with db.session() as s:  # the chain as `payctl check` verifies it
        records = list((await s.scalars(select(m.AuditRecord).order_by(m.AuditRecord.id))).all())
        head = await s.scalar(select(m.AuditHead.last_hash))
    assert audit.verify_chain(records, head) is None

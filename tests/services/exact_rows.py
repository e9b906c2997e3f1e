"""What the byte-for-byte tests share (test_events_exact, test_bulk_exact): the clocks of the
event and audit writers frozen, rows read as plain lists in id order, the comparison with an
expected file (regenerated, only when a row's schema changes on purpose, by running the test
with PAYCTL_WRITE_EXPECTED=1), and the audit chain verified as `payctl check` verifies it."""

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

DATA = Path(__file__).resolve().parent.parent / "data"
AT = dt.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt.UTC)

EVENT_COLUMNS: tuple[Any, ...] = (
    m.Event.id,
    m.Event.type,
    m.Event.actor,
    m.Event.object_type,
    m.Event.object_id,
    m.Event.object_number,
    m.Event.payload,
)
AUDIT_COLUMNS: tuple[Any, ...] = (
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
)


def freeze_writers(monkeypatch: pytest.MonkeyPatch, chunk: int | None = None) -> None:
    """Both writers stamp AT; with ``chunk``, they write ahead every ``chunk`` rows."""
    monkeypatch.setattr(outbox, "utcnow", lambda: AT)
    monkeypatch.setattr(audit, "utcnow", lambda: AT)
    if chunk is not None:
        monkeypatch.setattr(outbox, "CHUNK", chunk)
        monkeypatch.setattr(audit, "CHUNK", chunk)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return getattr(value, "value", value)  # enum members as their stored values


async def read_rows(db: Database, tables: dict[str, tuple[Any, ...]]) -> dict[str, list[Any]]:
    """Each table's columns, its rows ordered by the first column."""
    out = {}
    async with db.session() as s:
        for table, columns in tables.items():
            rows = await s.execute(select(*columns).order_by(columns[0]))
            out[table] = [[_plain(v) for v in row] for row in rows]
    return out


def assert_rows_are(rows: dict[str, list[Any]], expected_file: str) -> None:
    got = json.dumps(rows, indent=1, ensure_ascii=False) + "\n"
    path = DATA / expected_file
    if os.environ.get("PAYCTL_WRITE_EXPECTED"):
        path.write_text(got, encoding="utf-8")
        pytest.skip("expected rows written")
    assert got == path.read_text(encoding="utf-8")


async def assert_chain_verifies(db: Database) -> None:
    async with db.session() as s:
        records = list((await s.scalars(select(m.AuditRecord).order_by(m.AuditRecord.id))).all())
        head = await s.scalar(select(m.AuditHead.last_hash))
    assert audit.verify_chain(records, head) is None

"""The outbox and the audit trail writing a long unit of work in chunks (issue 12), on every
backend: what a transaction queued past ``CHUNK`` is written ahead (SQLite) or staged
(PostgreSQL), yet after commit the events are in the order they were emitted, all with one
moment, named as at commit, and the audit chain verifies; a rollback leaves nothing of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.db.uow import transaction
from payctl.services.events import outbox
from payctl.services.events.outbox import Change
from payctl.services.ledger import audit

N = 11


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "CHUNK", 3)
    monkeypatch.setattr(audit, "CHUNK", 3)


async def _journal_id(db: Database) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(m.Journal.id).where(m.Journal.code == "BNK1")))


async def _write(db: Database, journal_id: int, keep: bool) -> None:
    async with db.session() as s, transaction(s, write=True, keep=keep):
        for n in range(N):
            data: dict[str, Any] = {"n": n, "journal_id": journal_id, "lines": [{"x": n}]}
            await outbox.emit(
                s, "tester", [Change("lock_date.moved", "lock_date", None, None, data)]
            )
            await audit.append(
                s, [audit.AuditEvent("tester", "test", "lock_date", n, {"n": n, "text": "é"})]
            )


async def _state(db: Database) -> tuple[list[m.Event], list[m.AuditRecord], str | None]:
    async with db.session() as s:
        events = list((await s.scalars(select(m.Event).order_by(m.Event.id))).all())
        records = list((await s.scalars(select(m.AuditRecord).order_by(m.AuditRecord.id))).all())
        head = await s.scalar(select(m.AuditHead.last_hash))
        return events, records, head


async def test_chunks_written_ahead_commit_in_order_with_one_moment(db):
    journal_id = await _journal_id(db)
    before, before_records, _ = await _state(db)
    await _write(db, journal_id, keep=True)
    events, records, head = await _state(db)
    new = events[len(before) :]
    assert [e.payload for e in new] == [
        f'{{"journal":"BNK1","journal_id":{journal_id},"lines":[{{"x":{n}}}],"n":{n}}}'
        for n in range(N)
    ]
    assert [e.id for e in new] == sorted({e.id for e in new})
    assert len({e.occurred_at for e in new}) == 1
    added = records[len(before_records) :]
    assert [r.object_id for r in added] == list(range(N))
    assert [r.changes for r in added] == [f'{{"n":{n},"text":"é"}}' for n in range(N)]
    assert len({r.at for r in added}) == 1
    assert audit.verify_chain(records, head) is None


async def test_a_rollback_leaves_nothing_written_ahead(db):
    journal_id = await _journal_id(db)
    events, records, head = await _state(db)
    await _write(db, journal_id, keep=False)
    after, after_records, after_head = await _state(db)
    assert [e.id for e in after] == [e.id for e in events]
    assert [r.id for r in after_records] == [r.id for r in records]
    assert after_head == head
    await _write(db, journal_id, keep=True)  # and the next transaction writes as usual
    events, records, head = await _state(db)
    assert len(events) == len(after) + N
    assert audit.verify_chain(records, head) is None

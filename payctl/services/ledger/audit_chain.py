"""Verifying the audit trail's hash chain (`payctl check`), streamed in chunks.

The chain is checked record by record in id order (each hash covers the one before), but the
records are read in chunks of ``CHUNK`` by id (keyset, no OFFSET) as plain rows, never loaded
all at once nor as ORM objects: memory stays bounded whatever the length of the trail. The
hash rule itself is ``audit.record_hash``'s (one rule, written once in audit.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import AuditRecord
from payctl.services.ledger.audit import GENESIS, _canonical_time, digest_after, fields_before

CHUNK = 5_000
_KINDS = 1_000  # fields_before texts kept at most (bounded memory)

# The columns in the order ``ChainCheck.feed`` unpacks them.
_c = AuditRecord.__table__.c
COLUMNS = (
    _c.id,
    _c.at,
    _c.user,
    _c.action,
    _c.object_type,
    _c.object_id,
    _c.payment_id,
    _c.changes,
    _c.reason,
    _c.prev_hash,
    _c.hash,
)


def as_row(rec: Any) -> tuple[Any, ...]:
    """An audit record (ORM object or row with those names) as the tuple ``feed`` reads."""
    return tuple(getattr(rec, col.name) for col in COLUMNS)


class ChainCheck:
    """Follows the chain over records fed in id order: the first broken link, the length and
    last hash (the head `check --head` prints) and the hash at position ``watch`` (the head
    `check --expect-head` compares)."""

    def __init__(self, watch: int | None = None) -> None:
        self.prev = GENESIS  # the last hash of a record that verified
        self.problem: str | None = None
        self.count = 0
        self.last = GENESIS  # the last record's stored hash, verified or not
        self.watch = watch
        self.watched = GENESIS if watch == 0 else None
        self._before: dict[tuple[Any, ...], str] = {}  # audit.fields_before by its fields

    def feed(self, rows: Iterable[Sequence[Any]]) -> None:
        # the payload's part of time, user, action and object type (audit.fields_before) is
        # made once per distinct value: a unit of work writes all its records at one time
        digest, before = digest_after, self._before
        prev, problem, count, watch = self.prev, self.problem, self.count, self.watch
        last = self.last
        for rid, at, user, action, otype, oid, pid, changes, reason, prev_hash, stored in rows:
            count += 1
            last = stored
            if count == watch:
                self.watched = stored
            if problem is not None:
                continue
            if prev_hash != prev:
                problem = (
                    f"audit record {rid}: previous-hash link broken "
                    "(the record before it was changed or removed)"
                )
                continue
            key = (at, user, action, otype)
            head = before.get(key)
            if head is None:
                if len(before) >= _KINDS:
                    before.clear()
                head = before[key] = fields_before(_canonical_time(at), user, action, otype)
            if digest(prev, head, oid, pid, changes, reason) != stored:
                problem = f"audit record {rid}: content does not match its hash (edited)"
                continue
            prev = stored
        self.prev, self.problem, self.count, self.last = prev, problem, count, last

    def result(self, head: str | None) -> str | None:
        """A message for the first broken link, or None when the chain is intact up to
        ``head`` (the head row's last hash)."""
        if self.problem is not None:
            return self.problem
        if head is not None and head != self.prev:
            return "audit chain head does not match the last record (records removed at the end)"
        return None

    def head_problem(self, count: int, digest: str) -> str | None:
        """The trail against a head stored outside the database (``payctl check --head``):
        the first ``count`` records must end in ``digest``; a longer trail is fine."""
        if count > self.count:
            return (
                f"the audit trail has {self.count} record(s), fewer than the {count} of the "
                "expected head (records removed)"
            )
        got = self.watched if count == self.watch else None
        if got != digest:
            return (
                f"the first {count} audit record(s) end in hash {got}, not the expected {digest} "
                "(the trail was rewritten)"
            )
        return None


async def chunks(session: AsyncSession, size: int = CHUNK) -> AsyncIterator[Sequence[Any]]:
    """Every audit record in id order, ``size`` rows at a time (keyset on the primary key),
    read through the session's connection and transaction as plain rows."""
    conn = await session.connection()
    after: int | None = None
    while True:
        stmt = select(*COLUMNS).order_by(_c.id).limit(size)
        if after is not None:
            stmt = stmt.where(_c.id > after)
        rows = (await conn.execute(stmt)).all()
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        after = rows[-1][0]

"""The transactional outbox: events are written in the transaction of the change they report.

``emit`` queues events on the session; a before-commit hook writes them as the transaction
commits, in one set-wise insert, and a rollback drops them with everything else. So an event
exists exactly when its change committed.

Order. Readers (`payctl events`, the relay) page through the outbox by id and remember the last
id they saw; they must never see id N+1 committed while a smaller id is still to commit, or
they would skip it for ever. The writer therefore takes the audit chain's head lock (the row
every writing unit of work locks last, services/ledger/audit.py) before it takes ids: on
PostgreSQL that row lock is held until commit, and PostgreSQL makes a transaction visible
before it releases its locks, so ids are handed out in commit order and a transaction that
takes ids after another sees that one committed. On SQLite a writing transaction holds the
database's write lock from its first statement (BEGIN IMMEDIATE) to its commit, which
serialises writers the same way. Ids may have gaps (a commit that failed after taking its
ids) but never arrive out of order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.bulk import insert_rows
from payctl.db.ids import allocate_ids
from payctl.db.models import Event, Invoice, Journal, Partner, Payment, utcnow
from payctl.db.uow import before_commit, pending_hook
from payctl.jsontext import sorted_compact
from payctl.services.events.catalog import SCHEMA_VERSION, TYPES
from payctl.services.ledger import audit

HOOK = "outbox"

# Ids in a payload the writer names, set-wise: ``partner_id`` gets ``partner`` beside it.
_NAMED = {
    "partner_id": ("partner", Partner.__table__.c.id, Partner.__table__.c.name),
    "journal_id": ("journal", Journal.__table__.c.id, Journal.__table__.c.code),
    "invoice_id": ("invoice", Invoice.__table__.c.id, Invoice.__table__.c.number),
    "payment_id": ("payment", Payment.__table__.c.id, Payment.__table__.c.number),
}


@dataclass
class Change:
    """An event before it has its id: what changed (``type``, one of catalog.TYPES), on which
    object, and the object's data (JSON-ready; ids named in ``_NAMED`` get their names added
    when the event is written)."""

    type: str
    object_type: str
    object_id: int | None
    number: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


async def emit(session: AsyncSession, actor: str, changes: Iterable[Change]) -> None:
    """Queue ``changes`` in the running transaction: written as it commits, dropped if it
    rolls back."""
    queued = list(changes)
    if not queued:
        return
    for change in queued:
        if change.type not in TYPES:
            raise ValueError(f"unknown event type {change.type!r}: add it to events/catalog.py")
    writer = pending_hook(session, HOOK, last=True)
    if writer is None:
        writer = _OutboxWriter(session)
        before_commit(session, HOOK, writer, last=True)
    writer.queued.extend((actor, change) for change in queued)


class _OutboxWriter:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.queued: list[tuple[str, Change]] = []

    async def __call__(self) -> None:
        await _write(self.session, self.queued)


def _dicts(changes: list[Change]) -> list[dict[str, Any]]:
    """Every dict in the payloads of ``changes`` (the payloads themselves and the dicts nested
    in them, lists included)."""
    out: list[dict[str, Any]] = []
    stack: list[Any] = [change.data for change in changes]
    pop, push, keep = stack.pop, stack.append, out.append
    while stack:
        value = pop()
        if isinstance(value, dict):
            keep(value)
            value = value.values()
        for v in value:
            if isinstance(v, (dict, list)):  # a tuple: faster than the union dict | list
                push(v)
    return out


async def _name(session: AsyncSession, changes: list[Change]) -> None:
    """Add the names of the ids the payloads carry, set-wise: a kind of id at a time."""
    dicts = _dicts(changes)
    for key, (name_key, id_col, name_col) in sorted(_NAMED.items()):
        holders = [d for d in dicts if key in d and name_key not in d]
        ids = sorted({i for d in holders if isinstance(i := d[key], int)})
        names = await _names(session, id_col, name_col, ids) if ids else {}
        for d in holders:
            d[name_key] = names.get(d[key]) if isinstance(d[key], int) else None


async def _names(
    session: AsyncSession, id_col: Any, name_col: Any, ids: list[int]
) -> dict[int, str]:
    """id -> name of ``ids`` (sorted, distinct). Ids that lie close together (an import names
    thousands of consecutive invoices) are read in one range scan; scattered ones in IN lists
    of 900, below SQLite's bound-parameter limit (binding thousands of values costs more than
    reading the few rows between them)."""
    names: dict[int, str] = {}
    if ids[-1] - ids[0] < 2 * len(ids) + 1000:
        wanted = set(ids)
        rows = await session.execute(
            select(id_col, name_col).where(id_col >= ids[0], id_col <= ids[-1])
        )
        names.update((int(i), n) for i, n in rows.all() if int(i) in wanted)
        return names
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows = await session.execute(select(id_col, name_col).where(id_col.in_(chunk)))
        names.update((int(i), n) for i, n in rows.all())
    return names


def utc_iso(at: dt.datetime) -> str:
    """A stored moment in UTC, as events show it (``...T19:00:00.123456Z``); SQLite returns
    it naive."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def envelope(row: Mapping[str, Any]) -> dict[str, Any]:
    """An outbox row as consumers see it (the documented message shape, catalog.py)."""
    at = row["occurred_at"]
    return {
        "id": row["id"],
        "type": row["type"],
        "schema": SCHEMA_VERSION,
        "occurred_at": utc_iso(at) if isinstance(at, dt.datetime) else at,
        "actor": row["actor"],
        "object": {
            "type": row["object_type"],
            "id": row["object_id"],
            "number": row["object_number"],
        },
        "data": json.loads(row["payload"]),
    }


# The text of json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
# from an encoder made once.
_json = sorted_compact()


async def _write(session: AsyncSession, queued: list[tuple[str, Change]]) -> None:
    """Take the audit head lock (ids in commit order: see the module docstring), then the ids,
    then insert every queued event in one statement."""
    await audit.lock_head(session)
    await _name(session, [change for _actor, change in queued])
    ids = await allocate_ids(session, Event.__table__, len(queued))
    at = utcnow()  # one moment for the whole unit of work, as the audit trail
    encode = _json
    rows = [
        (
            event_id,
            change.type,
            at,
            actor,
            change.object_type,
            change.object_id,
            change.number,
            encode(change.data),
        )
        for event_id, (actor, change) in zip(ids, queued, strict=True)
    ]
    await insert_rows(session, Event.__table__, _EVENT_COLUMNS, rows)


_EVENT_COLUMNS = (
    "id",
    "type",
    "occurred_at",
    "actor",
    "object_type",
    "object_id",
    "object_number",
    "payload",
)

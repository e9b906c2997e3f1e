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

Memory. A long unit of work (an import of 100,000 lines queues some 180,000 events) does not
keep its events until commit. Once ``CHUNK`` events are queued the writer names and encodes
them; on SQLite it also writes them then, under the write lock the transaction already holds
(so the order argument above is unchanged: nobody else can take ids or commit until this
transaction ends). On PostgreSQL taking the head lock that early would make it no longer the
last lock of the transaction, and writers could deadlock; there the encoded rows go to a
temporary table of the transaction, and at commit, under the head lock, they take their ids
and move to the outbox in one INSERT ... SELECT, in the order they were queued.
An id may get its name only later in the same transaction (a draft payment that
--auto-confirm numbers after its line's event was written): the writer remembers which events
it named with no name and, at commit, renames those whose ids have a name by then, so payloads
name what stands at commit, as before.
"""

from __future__ import annotations

import datetime as dt
import json
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import Any

from sqlalchemy import BindParameter, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.bulk import insert_rows
from payctl.db.engine import dialect_name
from payctl.db.ids import allocate_ids
from payctl.db.limits import check_columns
from payctl.db.models import Event, Invoice, Journal, Partner, Payment, utcnow
from payctl.db.uow import before_commit, pending_hook
from payctl.jsontext import sorted_compact_data
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


@dataclass(slots=True)
class Change:
    """An event before it has its id: what changed (``type``, one of catalog.TYPES), on which
    object, and the object's data (JSON-ready; ids named in ``_NAMED`` get their names added
    when the event is written)."""

    type: str
    object_type: str
    object_id: int | None
    number: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # Every dict of ``data`` (itself first, then the dicts nested in it), when the builder of a
    # payload of a fixed shape lists them (payloads.py: tens of thousands per import); None:
    # the writer finds them (``_dicts``).
    dicts: list[dict[str, Any]] | None = None


async def emit(session: AsyncSession, actor: str, changes: Iterable[Change]) -> None:
    """Queue ``changes`` in the running transaction: written as it commits, dropped if it
    rolls back."""
    queued = list(changes)
    if not queued:
        return
    if not _KNOWN.issuperset(map(_type_of, queued)):
        unknown = next(c.type for c in queued if c.type not in _KNOWN)
        raise ValueError(f"unknown event type {unknown!r}: add it to events/catalog.py")
    writer = pending_hook(session, HOOK, last=True)
    if writer is None:
        writer = _OutboxWriter(session)
        before_commit(session, HOOK, writer, last=True)
    writer.queued.extend((actor, change) for change in queued)
    if len(writer.queued) >= CHUNK:
        await writer.ahead()


# The known event types (catalog.TYPES), checked at C speed: an import emits thousands at once.
_KNOWN = frozenset(TYPES)
_type_of = attrgetter("type")

# Queued events a writer names and encodes (on SQLite: writes) before the commit: memory is
# bounded by this many events, and each statement is still large enough to be cheap per row.
CHUNK = 5000

# An encoded event without its id: type, actor, object type, id and number, payload text.
_Row = tuple[str, str, str, int | None, str | None, str]

# The key of an id in a payload -> (the ids, the events that carry each, not named: event
# ids on SQLite, places in the stage table on PostgreSQL), side by side. Arrays of machine
# integers: an import of a million lines makes as many drafts without a number, whose events
# wait here until the commit (a dict of lists took ~250 bytes a draft).
_Unnamed = dict[str, tuple["array[int]", "array[int]"]]


class _OutboxWriter:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.queued: list[tuple[str, Change]] = []
        self.staged = 0  # PostgreSQL: rows in the stage table (seq 1..staged)
        self.write_ahead = dialect_name(session) == "sqlite"
        self.unnamed: _Unnamed = {}  # named ahead of the commit with no name (None)
        self.at: dt.datetime | None = None

    async def ahead(self) -> None:
        """Name and encode the queued events (see the module docstring) and write them: to
        the outbox on SQLite, to the stage table on PostgreSQL."""
        queued, self.queued = self.queued, []
        unnamed = await _name(self.session, [change for _actor, change in queued])
        rows = _encode(queued)
        ids = await (self._insert(rows) if self.write_ahead else self._stage(rows))
        for index, key, value in unnamed:
            values, events = self.unnamed.setdefault(key, (array("q"), array("q")))
            values.append(value)
            events.append(ids[index])

    async def __call__(self) -> None:
        await _write(self)

    async def commit(self) -> None:
        """Write what is left at commit: the audit head lock, then the ids (module docstring);
        rename what was named ahead before its name existed."""
        queued, self.queued = self.queued, []
        await _name(self.session, [change for _actor, change in queued])
        rows = _encode(queued)
        if self.write_ahead:
            await self._insert(rows)
            await self._rename(_SELECT_WRITTEN, _RENAME_WRITTEN)
            return
        if self.staged:
            await self._rename(_SELECT_STAGED, _RENAME_STAGED)
            at = await self._lock()
            ids = await allocate_ids(self.session, Event.__table__, self.staged)
            await self.session.execute(_UNSTAGE, {"ids": ids, "at": at})
        await self._insert(rows)

    async def _lock(self) -> dt.datetime:
        """Take the audit head lock (ids in commit order: see the module docstring); the moment
        of the unit of work's events."""
        await audit.lock_head(self.session)
        if self.at is None:
            self.at = utcnow()  # one moment for the whole unit of work, as the audit trail
        return self.at

    async def _insert(self, rows: list[_Row]) -> list[int]:
        """Under the head lock take the ids, then insert ``rows`` in one statement; the ids."""
        if not rows:
            return []
        at = await self._lock()
        ids = await allocate_ids(self.session, Event.__table__, len(rows))
        params = [
            (event_id, kind, at, actor, object_type, object_id, number, payload)
            for event_id, (kind, actor, object_type, object_id, number, payload) in zip(
                ids, rows, strict=True
            )
        ]
        await insert_rows(self.session, Event.__table__, _EVENT_COLUMNS, params)
        return ids

    async def _stage(self, rows: list[_Row]) -> list[int]:
        """Keep ``rows`` in the transaction's stage table (PostgreSQL); their places there."""
        if not rows:
            return []
        if not self.staged:
            await self.session.execute(_CREATE_STAGE)
        check_columns(Event.__table__, _EVENT_COLUMNS[1:2] + _EVENT_COLUMNS[3:], rows)
        first = self.staged + 1
        seqs = list(range(first, first + len(rows)))
        await self.session.execute(
            _INSERT_STAGE,
            [
                dict(zip(_STAGE_KEYS, (seq, *row), strict=True))
                for seq, row in zip(seqs, rows, strict=True)
            ],
        )
        self.staged += len(rows)
        return seqs

    async def _named_since(self) -> dict[int, dict[str, dict[int, str]]]:
        """The events named ahead with an id that has a name now: event id (or place in the
        stage table) -> key -> id -> name."""
        out: dict[int, dict[str, dict[int, str]]] = {}
        for key, (values, events) in sorted(self.unnamed.items()):
            _name_key, id_col, name_col = _NAMED[key]
            names = await _names(self.session, id_col, name_col, sorted(set(values)))
            named = {value: name for value, name in names.items() if name is not None}
            if not named:
                continue
            for value, event in zip(values, events, strict=True):
                name = named.get(value)
                if name is not None:
                    out.setdefault(event, {}).setdefault(key, {})[value] = name
        self.unnamed = {}
        return out

    async def _rename(self, select_rows: Any, rename: Any) -> None:
        """Rewrite the payloads written ahead whose ids got their names since."""
        renamed = await self._named_since()
        keys = sorted(renamed)
        for start in range(0, len(keys), 900):
            rows = await self.session.execute(select_rows, {"keys": keys[start : start + 900]})
            params = [
                {"key": key, "payload": _renamed(payload, renamed[key])}
                for key, payload in rows.all()
            ]
            await self.session.execute(rename, params)


async def _write(writer: _OutboxWriter) -> None:
    """What a transaction's outbox writes as it commits (a seam the concurrency tests' workers
    wrap: tests/procs/flow_worker.py)."""
    await writer.commit()


_KEYS: BindParameter[list[int]] = bindparam("keys", expanding=True)
_SELECT_WRITTEN = text("SELECT id, payload FROM events WHERE id IN :keys").bindparams(_KEYS)
_RENAME_WRITTEN = text("UPDATE events SET payload = :payload WHERE id = :key")
_STAGE = "payctl_outbox_stage"  # a temporary table: each session has its own
_CREATE_STAGE = text(
    f"CREATE TEMPORARY TABLE {_STAGE} (seq integer PRIMARY KEY, type varchar(64) NOT NULL, "
    "actor varchar(100) NOT NULL, object_type varchar(32) NOT NULL, object_id integer, "
    "object_number varchar(64), payload text NOT NULL) ON COMMIT DROP"
)
_STAGE_KEYS = ("seq", "type", "actor", "object_type", "object_id", "object_number", "payload")
_INSERT_STAGE = text(
    f"INSERT INTO {_STAGE} ({', '.join(_STAGE_KEYS)}) "
    f"VALUES ({', '.join(':' + k for k in _STAGE_KEYS)})"
)
_SELECT_STAGED = text(f"SELECT seq, payload FROM {_STAGE} WHERE seq IN :keys").bindparams(_KEYS)
_RENAME_STAGED = text(f"UPDATE {_STAGE} SET payload = :payload WHERE seq = :key")
# The staged rows in their order, each with the id at its place in the ids taken at commit.
_UNSTAGE = text(
    "INSERT INTO events (id, type, occurred_at, actor, object_type, object_id, object_number, "
    "payload) SELECT i.id, s.type, CAST(:at AS timestamptz), s.actor, s.object_type, "
    f"s.object_id, s.object_number, s.payload FROM {_STAGE} s "
    "JOIN unnest(CAST(:ids AS integer[])) WITH ORDINALITY AS i(id, seq) ON i.seq = s.seq"
)


def _renamed(payload: str, names: dict[str, dict[int, str]]) -> str:
    """``payload`` (an event's text) with the given ids named where they were not."""
    data = json.loads(payload)
    dicts, _owners = _dicts([Change("", "", None, None, data)])
    for key, found in names.items():
        name_key = _NAMED[key][0]
        for d in dicts:
            value = d.get(key)
            if isinstance(value, int) and d.get(name_key) is None and value in found:
                d[name_key] = found[value]
    return _json(data)


def _encode(queued: list[tuple[str, Change]]) -> list[_Row]:
    encode = _json
    return [
        (
            change.type,
            actor,
            change.object_type,
            change.object_id,
            change.number,
            encode(change.data),
        )
        for actor, change in queued
    ]


def _dicts(changes: list[Change]) -> tuple[list[dict[str, Any]], list[int]]:
    """Every dict in the payloads of ``changes`` (the payloads themselves and the dicts nested
    in them, lists included), and the index of the change each belongs to (ascending)."""
    out: list[dict[str, Any]] = []
    owners: list[int] = []
    keep, own = out.append, owners.append
    for index, change in enumerate(changes):
        given = change.dicts
        if given is not None:  # listed by the payload's builder
            out += given
            owners += repeat(index, len(given))
            continue
        stack: list[Any] = [change.data]
        pop, push = stack.pop, stack.append
        while stack:
            value = pop()
            if isinstance(value, dict):
                keep(value)
                own(index)
                value = value.values()
            for v in value:
                if isinstance(v, (dict, list)):  # a tuple: faster than the union dict | list
                    push(v)
    return out, owners


async def _name(session: AsyncSession, changes: list[Change]) -> list[tuple[int, str, int]]:
    """Add the names of the ids the payloads carry, set-wise: a kind of id at a time. The ids
    that have no name (yet): (index of the change, key, id)."""
    dicts, owners = _dicts(changes)
    unnamed: list[tuple[int, str, int]] = []
    for key, (name_key, id_col, name_col) in sorted(_NAMED.items()):
        holders = [h for h, d in enumerate(dicts) if key in d and name_key not in d]
        ids = sorted({i for h in holders if isinstance(i := dicts[h][key], int)})
        names = await _names(session, id_col, name_col, ids) if ids else {}
        for h in holders:
            d = dicts[h]
            value = d[key]
            if isinstance(value, int):
                name = d[name_key] = names.get(value)
                if name is None:
                    unnamed.append((owners[h], key, value))
            else:
                d[name_key] = None
    return unnamed


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
# from an encoder made once (payloads hold no floats: jsontext.sorted_compact_data).
_json = sorted_compact_data()


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

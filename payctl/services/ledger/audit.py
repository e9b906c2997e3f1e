"""The append-only, hash-chained audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.bulk import insert_rows
from payctl.db.engine import dialect_name
from payctl.db.models import AuditHead, AuditRecord, utcnow
from payctl.db.uow import before_commit, pending_hook
from payctl.jsontext import sorted_compact_any

GENESIS = "0" * 64


@dataclass(slots=True)
class AuditEvent:
    user: str
    action: str
    object_type: str
    object_id: int | None
    changes: dict[str, Any] = field(default_factory=dict)
    payment_id: int | None = None
    reason: str | None = None


def _canonical_time(at: dt.datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def record_hash(
    prev_hash: str,
    at: dt.datetime,
    user: str,
    action: str,
    object_type: str,
    object_id: int | None,
    payment_id: int | None,
    changes: str,
    reason: str | None,
) -> str:
    """sha256 over the record's fields, each length-prefixed (unambiguous, no escaping)."""
    return _digest(
        prev_hash,
        _canonical_time(at),
        user,
        action,
        object_type,
        object_id,
        payment_id,
        changes,
        reason,
    )


def _digest(
    prev_hash: str,
    at: str,
    user: str,
    action: str,
    object_type: str,
    object_id: int | None,
    payment_id: int | None,
    changes: str,
    reason: str | None,
) -> str:
    """:func:`record_hash` of a record whose time is already in its canonical text (a unit of
    work writes all its records with one time)."""
    before = fields_before(at, user, action, object_type)
    return digest_after(prev_hash, before, object_id, payment_id, changes, reason)


# The payload the hash covers is each field as "<length>:<text>", in the order of
# ``record_hash``'s arguments; it is built in two parts, so that `payctl check`, which hashes
# every record of the trail, makes the part its records share (time, user, action, object
# type: one per unit of work) once per distinct value (audit_chain.ChainCheck).


def fields_before(at: str, user: str, action: str, object_type: str) -> str:
    """The payload's fields after the previous hash and before the object id."""
    return f"{len(at)}:{at}{len(user)}:{user}{len(action)}:{action}{len(object_type)}:{object_type}"


def digest_after(
    prev_hash: str,
    before: str,
    object_id: int | None,
    payment_id: int | None,
    changes: str,
    reason: str | None,
) -> str:
    """The record's hash from the previous hash, :func:`fields_before`'s text and the rest."""
    oid = "" if object_id is None else str(object_id)
    pid = "" if payment_id is None else str(payment_id)
    why = "\x00" if reason is None else reason
    payload = (
        f"{len(prev_hash)}:{prev_hash}{before}{len(oid)}:{oid}{len(pid)}:{pid}"
        f"{len(changes)}:{changes}{len(why)}:{why}"
    )
    return sha256(payload.encode()).hexdigest()


# What the trail records of an object so that `payctl check` can compare the object with it
# (services/ledger/audit_match.py): the confirm record of a payment carries its snapshot and its
# entry (``entry_record``); an import records a digest of each bank line it stored.
BASELINE = "audit_baseline"  # object_type of the record schema 0006 appended at the upgrade
BANK_LINE_FIELDS = ("journal_id", "fingerprint", "booking_date", "amount", "currency")


def entry_record(number: str, lines: Any) -> dict[str, Any]:
    """A posted entry as the trail records it: its number and its lines, in a stable order
    (account, partner, debit, credit; ``lines`` of domain ``Line`` or rows with those names)."""
    return {
        "number": number,
        "lines": sorted(
            ([ln.account_id, ln.partner_id, int(ln.debit), int(ln.credit)] for ln in lines),
            key=lambda r: (r[0], r[1] is None, r[1] or 0, r[2], r[3]),
        ),
    }


def bank_line_digest(
    journal_id: int, fingerprint: str, booking_date: dt.date, amount: int, currency: str
) -> str:
    """A bank line's stored facts at import, hashed: one short string per line (an import of
    100,000 lines hashes them all). The fingerprint, the only free text, comes last, so the
    fixed-format fields before it cannot be shifted into it."""
    payload = f"{journal_id}|{booking_date.isoformat()}|{int(amount)}|{currency}|{fingerprint}"
    return hashlib.blake2b(payload.encode(), digest_size=12).hexdigest()


# The text of json.dumps(value, sort_keys=True, default=str, separators=(",", ":"),
# ensure_ascii=False), from an encoder made once (plain data, such as the snapshot of each
# payment an import makes, through the C encoder of jsontext.sorted_compact_data).
_encode = sorted_compact_any(default=str)


def _json(value: Any) -> str:
    return _encode(value)


async def append(session: AsyncSession, events: list[AuditEvent]) -> None:
    """Queue events for the chain; they are written when the transaction commits (a long unit
    of work: in chunks before it, see :class:`_ChainWriter`)."""
    if not events:
        return
    writer = pending_hook(session, "audit")
    if writer is None:
        writer = _ChainWriter(session)
        before_commit(session, "audit", writer)
    writer.events.extend(events)
    if len(writer.events) >= CHUNK:
        await writer.ahead()


# Queued records a writer encodes (on SQLite: hashes and writes) before the commit.
CHUNK = 5000

# A record's fields but its time and hashes, its changes already JSON text.
_Pending = tuple[str, str, str, int | None, int | None, str, str | None]


class _ChainWriter:
    """The records of one transaction, chained and written as it commits.

    A long unit of work (an import appends a record per payment it makes) does not keep them
    all: once ``CHUNK`` are queued, on SQLite they are hashed and written then, under the
    write lock the transaction holds from its first statement (no other writer can move the
    head meanwhile; the head row is updated at commit). On PostgreSQL the head lock must stay
    the last lock of the transaction (uow.before_commit), so the records wait for the commit,
    encoded (their changes as the JSON text the hash covers) instead of as dicts."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.events: list[AuditEvent] = []
        self.encoded: list[_Pending] = []  # PostgreSQL: waiting for the head at commit
        self.write_ahead = dialect_name(session) == "sqlite"
        self.prev: str | None = None  # the chain's last hash, once this writer took the head
        self.at: dt.datetime | None = None

    async def ahead(self) -> None:
        events, self.events = self.events, []
        if self.write_ahead:
            await self._insert(_encode_all(events))
        else:
            self.encoded += _encode_all(events)

    async def __call__(self) -> None:
        """Lock the chain head (the last lock of the transaction), hash and insert the rest,
        and move the head."""
        pending, self.encoded = self.encoded + _encode_all(self.events), []
        self.events = []
        await self._insert(pending)
        if self.prev is not None:
            await self.session.execute(
                update(AuditHead).where(AuditHead.id == 1).values(last_hash=self.prev)
            )

    async def _insert(self, pending: list[_Pending]) -> None:
        if not pending:
            return
        prev, at = self.prev, self.at
        if prev is None or at is None:
            prev = await lock_head(self.session)
            at = self.at = utcnow()  # one moment for the whole unit of work
        time_text = _canonical_time(at)
        rows = []
        before: dict[tuple[str, str, str], str] = {}  # fields_before, once per kind of record
        for user, action, object_type, object_id, payment_id, changes, reason in pending:
            kind = (user, action, object_type)
            head = before.get(kind)
            if head is None:
                head = before[kind] = fields_before(time_text, user, action, object_type)
            digest = digest_after(prev, head, object_id, payment_id, changes, reason)
            rows.append(
                (
                    at,
                    user,
                    action,
                    object_type,
                    object_id,
                    payment_id,
                    changes,
                    reason,
                    prev,
                    digest,
                )
            )
            prev = digest
        await insert_rows(self.session, AuditRecord.__table__, _RECORD_COLUMNS, rows)
        self.prev = prev


def _encode_all(events: list[AuditEvent]) -> list[_Pending]:
    encode = _encode
    return [
        (
            e.user,
            e.action,
            e.object_type,
            e.object_id,
            e.payment_id,
            encode(e.changes),
            e.reason,
        )
        for e in events
    ]


async def lock_head(session: AsyncSession) -> str:
    """Lock the chain's head row until the transaction ends (the last lock a writing unit of
    work takes; the events outbox takes its ids under it) and return the last hash."""
    head = await session.scalar(
        select(AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()
    )
    return head or GENESIS


_RECORD_COLUMNS = (
    "at",
    "user",
    "action",
    "object_type",
    "object_id",
    "payment_id",
    "changes",
    "reason",
    "prev_hash",
    "hash",
)


def head_problem(records: list[Any], count: int, digest: str) -> str | None:
    """Compare the trail with a head stored outside the database (``payctl check --head``):
    the first ``count`` records must end in ``digest``; a longer trail is fine (appended).
    (audit_chain.ChainCheck holds the rule; `payctl check` streams the records to it.)"""
    from payctl.services.ledger.audit_chain import ChainCheck, as_row

    chain = ChainCheck(watch=count)
    chain.feed(as_row(rec) for rec in records)
    return chain.head_problem(count, digest)


def verify_chain(records: list[AuditRecord], head: str | None) -> str | None:
    """Return a message for the first broken link, or None when the chain is intact.
    (audit_chain.ChainCheck holds the rule; `payctl check` streams the records to it.)"""
    from payctl.services.ledger.audit_chain import ChainCheck, as_row

    chain = ChainCheck()
    chain.feed(as_row(rec) for rec in records)
    return chain.result(head)

"""Reading and pruning the outbox: `payctl events list|tail|prune|destinations`.

Readers page by id and remember the last id they handled (reader.py); ids follow commit order
(outbox.py), so a later page never holds an event that should have come before. ``tail`` reads
each page in its own short read transaction and holds none while it waits: a follower never
keeps a snapshot open (PostgreSQL) or blocks a checkpoint (SQLite).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, not_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.engine import dialect_name
from payctl.db.models import Event, EventDestination
from payctl.db.uow import transaction, unit_of_work
from payctl.domain.dates import parse_date
from payctl.errors import InputError, RuleViolation
from payctl.services.events import outbox, reader
from payctl.services.events.catalog import TYPES

PAGE = 500  # events a tail reads per query
LARGEST_ID = 2**63 - 1


def known_types(types: Sequence[str]) -> list[str]:
    """``types`` sorted and deduplicated; an unknown one is refused, naming the known ones."""
    unknown = [t for t in dict.fromkeys(types) if t not in TYPES]
    if unknown:
        raise InputError(
            f"type: unknown event type {unknown[0]!r}; the types are: {', '.join(TYPES)}"
        )
    return sorted(set(types))


@dataclass(frozen=True)
class Before:
    """What ``prune --before`` names: an event id (events below it) or a day (events that
    occurred before its start, UTC)."""

    event_id: int | None = None
    day: dt.date | None = None

    @classmethod
    def parse(cls, value: str) -> Before:
        value = value.strip()
        if re.fullmatch(r"[0-9]+", value):
            if int(value) > LARGEST_ID:
                raise InputError(f"before: {value} is too large for an event id")
            return cls(event_id=int(value))
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|today", value, re.IGNORECASE):
            raise InputError(
                f"before: {value!r} is neither an event id (a whole number) nor a date (YYYY-MM-DD)"
            )
        return cls(day=parse_date(value, "before"))

    def condition(self) -> ColumnElement[bool]:
        if self.event_id is not None:
            return Event.id < self.event_id
        assert self.day is not None
        start = dt.datetime.combine(self.day, dt.time(), tzinfo=dt.UTC)
        return Event.occurred_at < start


@dataclass(frozen=True)
class EventPage:
    """Events in id order, and whether more follow the last one."""

    events: list[dict[str, Any]]
    more: bool


@dataclass(frozen=True)
class PruneReport:
    deleted: int
    # events --before names that some destination has not acknowledged yet: kept
    unacknowledged: int
    # every destination acknowledged up to here (None: pruning without a relay)
    acknowledged_through: int | None
    lagging: str | None  # the destination furthest behind
    kept: int
    kept_first: int | None
    kept_last: int | None
    dry_run: bool


class EventService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    @unit_of_work(write=False)
    async def list_events(
        self, since: int = 0, types: Sequence[str] = (), limit: int = 100
    ) -> EventPage:
        """Up to ``limit`` events with ids above ``since``, in id order."""
        wanted = known_types(types)
        if limit < 1:
            raise InputError(f"limit: {limit} is not a positive number of events")
        events = await reader.after(self.session, since, limit + 1, wanted)
        return EventPage(events[:limit], more=len(events) > limit)

    async def tail(
        self,
        since: int = 0,
        types: Sequence[str] = (),
        *,
        follow: bool = False,
        interval: float = 1.0,
        stop: asyncio.Event | None = None,
        page: int = PAGE,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The events after ``since`` a page at a time, until caught up; with ``follow`` then
        those committed later, looking every ``interval`` seconds, until ``stop`` is set.

        Each look is its own read transaction, ended before the page is handed on: one
        indexed query (the highest id) when nothing is new."""
        wanted = known_types(types)
        stop = stop or asyncio.Event()
        last = since
        while not stop.is_set():
            async with transaction(self.session, write=False):
                events, last, caught_up = await self._next(last, wanted, page)
            if events:
                yield events
            if not caught_up:
                continue
            if not follow:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def _next(
        self, last: int, wanted: list[str], page: int
    ) -> tuple[list[dict[str, Any]], int, bool]:
        """The page after ``last``, the id to go on from, and whether it caught up.

        The highest id is read first: every id up to it has committed (ids follow commit
        order), so when the page is not full nothing up to it is left, even among the events
        a ``--type`` filter skips, and the next look starts there instead of reading them
        again."""
        head = await self.session.scalar(select(func.coalesce(func.max(Event.id), 0)))
        if int(head or 0) <= last:
            return [], last, True
        events = await reader.after(self.session, last, page, wanted)
        if len(events) == page:
            return events, int(events[-1]["id"]), False
        top = int(events[-1]["id"]) if events else 0
        return events, max(int(head or 0), top, last), True

    @unit_of_work(write=False)
    async def destinations(self) -> list[dict[str, Any]]:
        """Each destination the relay has recorded: the last id it acknowledged, when, and
        how many events after it wait."""
        pending = func.count(Event.id)
        rows = await self.session.execute(
            select(
                EventDestination.name,
                EventDestination.last_acked_id,
                EventDestination.updated_at,
                pending,
            )
            .outerjoin(Event, Event.id > EventDestination.last_acked_id)
            .group_by(
                EventDestination.name,
                EventDestination.last_acked_id,
                EventDestination.updated_at,
            )
            .order_by(EventDestination.name)
        )
        return [
            {
                "name": name,
                "last_acked_id": acked,
                "pending": int(count),
                "updated_at": outbox.utc_iso(at),
            }
            for name, acked, at, count in rows.all()
        ]

    @unit_of_work(write=True)
    async def prune(
        self, before: str, *, dry_run: bool = False, unpublished: bool = False
    ) -> PruneReport:
        """Delete the events ``before`` names (an id: those below it; a date: those that
        occurred before it) that every destination has acknowledged, in one statement.

        With no destination recorded nothing is known to be published: refused unless
        ``unpublished`` (a database without a relay), which is refused in turn once a relay
        has recorded a destination."""
        bound = Before.parse(before)
        if dialect_name(self.session) == "postgresql":  # no relay records an ack meanwhile
            await self.session.execute(text("LOCK TABLE event_destinations IN SHARE MODE"))
        lagging = (
            await self.session.execute(
                select(EventDestination.name, EventDestination.last_acked_id)
                .order_by(EventDestination.last_acked_id, EventDestination.name)
                .limit(1)
            )
        ).first()
        if lagging is None and not unpublished:
            raise RuleViolation(
                "no relay has acknowledged any event (no destination is recorded), so none "
                "is known to be published: nothing pruned. Without a relay, prune with "
                "--unpublished"
            )
        if lagging is not None and unpublished:
            raise RuleViolation(
                f"a relay publishes these events (destination {lagging.name!r}): "
                "--unpublished is for a database without a relay; prune without it"
            )
        named = bound.condition()
        doomed = named if lagging is None else and_(named, Event.id <= lagging.last_acked_id)
        deleted = await self._count(doomed)
        unacknowledged = 0 if lagging is None else await self._count(and_(named, not_(doomed)))
        if deleted and not dry_run:
            await self.session.execute(delete(Event).where(doomed))
        kept, first, last = (
            await self.session.execute(
                select(func.count(Event.id), func.min(Event.id), func.max(Event.id)).where(
                    not_(doomed)
                )
            )
        ).one()
        return PruneReport(
            deleted=deleted,
            unacknowledged=unacknowledged,
            acknowledged_through=None if lagging is None else lagging.last_acked_id,
            lagging=None if lagging is None else lagging.name,
            kept=int(kept),
            kept_first=first,
            kept_last=last,
            dry_run=dry_run,
        )

    async def _count(self, where: ColumnElement[bool]) -> int:
        return int(await self.session.scalar(select(func.count(Event.id)).where(where)) or 0)

"""`payctl events relay`: publish the outbox to a broker, in id order, and remember how far
the broker acknowledged.

A loop of batches: read up to ``batch`` events after the destination's ``last_acked_id`` (a
short read transaction), publish them (brokers.py), then record the id of the last event of
the longest acknowledged run from the start of the batch, in a short write transaction of its
own. A crash between a broker's acknowledgement and that record publishes the batch again on
restart: the event id is the message's deduplication id (JetStream drops it within its
duplicate window; AMQP consumers drop a ``message_id`` they have seen). Nothing is recorded
that the broker did not acknowledge, so nothing committed is lost.

One relay per destination at a time (relay_lock.py). ``once``: stop when nothing is pending;
otherwise poll every ``interval`` seconds until ``stop`` is set (SIGINT/SIGTERM): the batch in
flight is finished and recorded, then the relay stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from payctl.db.models import EventDestination, utcnow
from payctl.db.uow import transaction
from payctl.errors import BrokerError
from payctl.services.events import reader
from payctl.services.events.brokers import Publisher, publisher
from payctl.services.events.destinations import Destination
from payctl.services.events.relay_lock import destination_lock

DEFAULT_BATCH = 500
MAX_BATCH = 10_000
DEFAULT_INTERVAL = 1.0


@dataclass(frozen=True)
class RelayReport:
    destination: str
    published: int
    last_acked_id: int
    seconds: float


def acked_through(batch: Sequence[dict[str, Any]], acked: Sequence[bool]) -> int | None:
    """The id of the last event of the acknowledged run that starts the batch (None: the
    first event was not acknowledged). An acknowledgement after a gap counts for nothing: the
    events after the gap are published again."""
    last = None
    for event, ok in zip(batch, acked, strict=True):
        if not ok:
            break
        last = event["id"]
    return last


class RelayService:
    def __init__(
        self,
        session: AsyncSession,
        destination: Destination,
        make_publisher: Callable[[Destination, int], Publisher] = publisher,
    ) -> None:
        self.session = session
        self.dest = destination
        self.make_publisher = make_publisher
        self.name = destination.name

    async def position(self) -> int:
        """The last event id the destination acknowledged (0: none yet)."""
        async with transaction(self.session, write=False):
            found = await self.session.scalar(
                select(EventDestination.last_acked_id).where(EventDestination.name == self.name)
            )
        return int(found or 0)

    async def _record(self, last_id: int) -> None:
        async with transaction(self.session, write=True):
            done = await self.session.execute(
                update(EventDestination)
                .where(EventDestination.name == self.dest.name)
                .values(last_acked_id=last_id, updated_at=utcnow())
            )
            if not getattr(done, "rowcount", 0):
                self.session.add(
                    EventDestination(name=self.name, last_acked_id=last_id, updated_at=utcnow())
                )

    async def _pending(self, last_id: int, batch: int) -> list[dict[str, Any]]:
        async with transaction(self.session, write=False):
            return await reader.after(self.session, last_id, batch)

    async def relay(
        self,
        *,
        once: bool,
        batch: int = DEFAULT_BATCH,
        interval: float = DEFAULT_INTERVAL,
        stop: asyncio.Event | None = None,
    ) -> RelayReport:
        """Publish what is pending (``once``), or keep publishing until ``stop`` is set."""
        stop = stop or asyncio.Event()
        engine = self.session.bind
        assert isinstance(engine, AsyncEngine)
        started = time.perf_counter()
        async with destination_lock(engine, self.dest.name):
            last = await self.position()
            broker = self.make_publisher(self.dest, batch)
            try:
                await broker.connect()
                published, last = await self._loop(broker, last, once, batch, interval, stop)
            finally:
                await broker.close()
        return RelayReport(self.dest.name, published, last, round(time.perf_counter() - started, 3))

    async def _loop(
        self,
        broker: Publisher,
        last: int,
        once: bool,
        batch: int,
        interval: float,
        stop: asyncio.Event,
    ) -> tuple[int, int]:
        published = 0
        while not stop.is_set():
            events = await self._pending(last, batch)
            if not events:
                if once:
                    break
                # poll: one indexed query per interval, woken early by a stop
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)
                continue
            outcome = await broker.publish(events)
            through = acked_through(events, outcome.acked)
            if through is not None:
                await self._record(through)
                published += sum(1 for e in events if e["id"] <= through)
                last = through
            if outcome.failure is not None:
                raise BrokerError(
                    self.dest.mask(
                        f"{self.dest.shown} stopped acknowledging ({outcome.failure}); "
                        f"events up to id {last} are recorded as published, the rest will be "
                        "published again by the next run"
                    )
                )
        return published, last

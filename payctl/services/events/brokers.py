"""The brokers the relay publishes to: NATS JetStream (nats-py) and RabbitMQ (aio-pika).

Each publisher connects, makes sure its stream or exchange exists, and publishes a batch of
envelopes in id order without waiting for each acknowledgement in turn: JetStream's
``publish_async`` futures, AMQP publisher confirms awaited together. It reports which messages
the broker acknowledged; the relay records only the longest acknowledged run from the start
of the batch. The client libraries are imported here only, when the relay runs.

NATS: the subject is the destination's template with the event type (``payctl.events.{type}``),
header ``Nats-Msg-Id`` the event id, so JetStream drops a message it stored within the
stream's duplicate window (a batch published again after a crash). The stream is created
(file storage, subjects ``payctl.events.>``, the duplicate window of ``--dedup-window``) when
missing; an existing one must capture the subjects. AMQP: a durable topic exchange, routing
key the event type, ``message_id`` the event id, persistent delivery, publisher confirms on;
``mandatory`` is off, so an event no queue is bound for is confirmed and dropped by the broker,
as topic exchanges do: bind a durable queue before relaying what must not be missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from payctl.errors import BrokerError, InputError
from payctl.services.events.destinations import NATS, Destination

CONNECT_TIMEOUT = 5.0
ACK_TIMEOUT = 30.0


def body(envelope: dict[str, Any]) -> bytes:
    """The message body: the envelope as JSON (outbox.envelope), UTF-8."""
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Outcome:
    """What the broker said of a batch: ``acked[i]`` for the batch's i-th event, and why the
    first one that was not acknowledged was not (None when all were)."""

    acked: list[bool]
    failure: str | None = None


class Publisher(Protocol):
    async def connect(self) -> None: ...

    async def publish(self, batch: Sequence[dict[str, Any]]) -> Outcome: ...

    async def close(self) -> None: ...


def _reason(exc: BaseException) -> str:
    """The first line of what went wrong, in the OS's words (no ``[Errno 111]``)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return re.sub(r"^\[Errno -?\d+\] ", "", text) or type(exc).__name__


def _silence_client_logs() -> None:
    """The clients log connection errors (with tracebacks) through logging's last resort;
    the relay reports them itself, in one line."""
    for name in ("nats", "aiormq", "aio_pika"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())
        logger.propagate = False


async def _settle(futures: Sequence[asyncio.Future[Any]], timeout: float) -> Outcome:
    """Wait up to ``timeout`` for every acknowledgement; what each one said."""
    if futures:
        await asyncio.wait(futures, timeout=timeout)
    acked: list[bool] = []
    failure: str | None = None
    for future in futures:
        ok = future.done() and not future.cancelled() and future.exception() is None
        acked.append(ok)
        if not ok and failure is None:
            failure = (
                f"no acknowledgement within {timeout:g} s"
                if not future.done() or future.cancelled()
                else _reason(future.exception() or RuntimeError())
            )
        if not future.done():
            future.cancel()
    return Outcome(acked, failure)


def publisher(dest: Destination, batch: int) -> Publisher:
    return NatsPublisher(dest, batch) if dest.kind == NATS else AmqpPublisher(dest)


class NatsPublisher:
    def __init__(self, dest: Destination, batch: int) -> None:
        self.dest, self.batch = dest, batch
        self.nc: Any = None
        self.js: Any = None

    def _error(self, what: str, exc: BaseException) -> BrokerError:
        return BrokerError(self.dest.mask(f"{what} {self.dest.shown}: {_reason(exc)}"))

    async def connect(self) -> None:
        import nats

        _silence_client_logs()
        seen: list[Exception] = []

        async def remember(exc: Exception) -> None:  # instead of nats-py's logged traceback
            seen.append(exc)

        try:
            self.nc = await nats.connect(
                servers=[self.dest.url],
                name="payctl events relay",
                allow_reconnect=False,
                max_reconnect_attempts=1,  # 0 would be "for ever"; 1 fails after one retry
                reconnect_time_wait=0.1,
                connect_timeout=int(CONNECT_TIMEOUT),
                error_cb=remember,
            )
        except Exception as exc:
            raise self._error("cannot connect to NATS at", seen[0] if seen else exc) from None
        self.js = self.nc.jetstream(timeout=ACK_TIMEOUT, publish_async_max_pending=self.batch)
        await self._ensure_stream()

    async def _ensure_stream(self) -> None:
        from nats.js.errors import NotFoundError

        dest = self.dest
        try:
            try:
                info = await self.js.stream_info(dest.stream)
            except NotFoundError:
                await self.js.add_stream(
                    name=dest.stream,
                    subjects=[dest.stream_subjects],
                    duplicate_window=dest.dedup_window,
                )
                return
        except Exception as exc:
            raise self._error(f"cannot use JetStream stream {dest.stream} on", exc) from None
        if dest.stream_subjects not in (info.config.subjects or []):
            raise InputError(
                f"--stream {dest.stream}: the stream exists on {dest.shown} but does not "
                f"capture {dest.stream_subjects}; add that subject to it or name another stream"
            )

    async def publish(self, batch: Sequence[dict[str, Any]]) -> Outcome:
        futures: list[asyncio.Future[Any]] = []
        failure: str | None = None
        try:
            for event in batch:
                futures.append(
                    await self.js.publish_async(
                        self.dest.subject_of(event["type"]),
                        body(event),
                        stream=self.dest.stream,
                        headers={"Nats-Msg-Id": str(event["id"])},
                    )
                )
            await self.nc.flush(timeout=int(ACK_TIMEOUT))
        except Exception as exc:  # the connection went: what was sent may still be acked
            failure = _reason(exc)
        outcome = await _settle(futures, ACK_TIMEOUT)
        outcome.acked += [False] * (len(batch) - len(futures))
        outcome.failure = outcome.failure or failure
        return outcome

    async def close(self) -> None:
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):  # a broken connection: nothing more to do
                await self.nc.close()


class AmqpPublisher:
    def __init__(self, dest: Destination) -> None:
        self.dest = dest
        self.connection: Any = None
        self.exchange: Any = None

    async def connect(self) -> None:
        import aio_pika

        _silence_client_logs()
        dest = self.dest
        try:
            self.connection = await aio_pika.connect(dest.url, timeout=CONNECT_TIMEOUT)
            channel = await self.connection.channel(publisher_confirms=True)
            self.exchange = await channel.declare_exchange(
                dest.exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
        except Exception as exc:
            raise BrokerError(
                dest.mask(f"cannot use RabbitMQ at {dest.shown}: {_reason(exc)}")
            ) from None

    async def publish(self, batch: Sequence[dict[str, Any]]) -> Outcome:
        from aio_pika import DeliveryMode, Message

        # Tasks start in order and each takes the channel's publish lock before its first
        # pause, so the broker receives the batch in id order; the confirms come back together.
        tasks = [
            asyncio.ensure_future(
                self.exchange.publish(
                    Message(
                        body(event),
                        message_id=str(event["id"]),
                        type=event["type"],
                        content_type="application/json",
                        delivery_mode=DeliveryMode.PERSISTENT,
                    ),
                    routing_key=event["type"],
                    mandatory=False,
                    timeout=ACK_TIMEOUT,
                )
            )
            for event in batch
        ]
        return await _settle(tasks, ACK_TIMEOUT)

    async def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # a broken connection: nothing more to do
                await self.connection.close()

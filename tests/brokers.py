"""The real brokers the relay tests publish to, and what their consumers receive.

PAYCTL_TEST_NATS_URL / PAYCTL_TEST_AMQP_URL name them (.ci/run exports both), else the local
defaults. An unreachable broker fails the test when CI is set (CI must exercise the relay,
never silently skip it); outside CI it skips.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

NATS_URL = os.environ.get("PAYCTL_TEST_NATS_URL", "nats://127.0.0.1:4222")
AMQP_URL = os.environ.get("PAYCTL_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 0), timeout=3):
            return True
    except OSError:
        return False


def broker(url: str) -> str:
    """``url`` when its broker answers; fails (CI) or skips (elsewhere) when it does not."""
    if not _reachable(url):
        why = f"broker {url.split('@')[-1]} is unreachable"
        if os.environ.get("CI"):
            pytest.fail(f"{why}: .ci/run starts it", pytrace=False)
        pytest.skip(why)
    return url


def unique(prefix: str) -> str:
    """A stream, subject or exchange name no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def write_events(db: Any, count: int, types: tuple[str, ...] = ("payment.created",)) -> None:
    """``count`` events straight into the outbox, set-wise (ids from the table's sequence)."""
    from payctl.db.bulk import bulk_insert
    from payctl.db.ids import allocate_ids
    from payctl.db.models import Event, utcnow
    from payctl.db.uow import transaction

    async with db.session() as session, transaction(session, write=True):
        ids = await allocate_ids(session, Event.__table__, count)
        at = utcnow()
        await bulk_insert(
            session,
            Event.__table__,
            [
                {
                    "id": i,
                    "type": types[n % len(types)],
                    "occurred_at": at,
                    "actor": "tester",
                    "object_type": "payment",
                    "object_id": i,
                    "object_number": None,
                    "payload": f'{{"n":{n}}}',
                }
                for n, i in enumerate(ids)
            ],
        )


# --- NATS JetStream ---------------------------------------------------------------------------


async def stream_messages(url: str, stream: str, subjects: str) -> list[dict[str, Any]]:
    """Every message of ``stream`` in stream order: its subject, Nats-Msg-Id and body."""
    import json

    import nats
    from nats.js.api import AckPolicy, ConsumerConfig

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(stream)).state.messages
        sub = await js.pull_subscribe(
            subjects, stream=stream, config=ConsumerConfig(ack_policy=AckPolicy.NONE)
        )
        out: list[dict[str, Any]] = []
        while len(out) < total:
            for msg in await sub.fetch(batch=min(1000, total - len(out)), timeout=10):
                out.append(
                    {
                        "subject": msg.subject,
                        "msg_id": (msg.headers or {}).get("Nats-Msg-Id"),
                        "body": json.loads(msg.data),
                    }
                )
        return out
    finally:
        await nc.close()


async def delete_stream(url: str, stream: str) -> None:
    import nats

    nc = await nats.connect(url)
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


# --- RabbitMQ ---------------------------------------------------------------------------------


async def bind_queue(url: str, exchange: str, queue: str) -> None:
    """A durable queue bound to every routing key of ``exchange`` (declared as the relay
    declares it), so that nothing the relay publishes is dropped."""
    import aio_pika

    conn = await aio_pika.connect(url)
    try:
        channel = await conn.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        q = await channel.declare_queue(queue, durable=True)
        await q.bind(ex, routing_key="#")
    finally:
        await conn.close()


async def drain_queue(url: str, queue: str, exchange: str | None = None) -> list[dict[str, Any]]:
    """Every message in ``queue``, in delivery order (then the queue, and ``exchange``, are
    deleted): message_id, routing key, delivery mode and body."""
    import json

    import aio_pika

    conn = await aio_pika.connect(url)
    try:
        channel = await conn.channel()
        await channel.set_qos(prefetch_count=1000)
        q = await channel.declare_queue(queue, durable=True, passive=True)
        total = q.declaration_result.message_count
        out: list[dict[str, Any]] = []
        if total:
            async with q.iterator(no_ack=True) as messages:
                async for message in messages:
                    out.append(
                        {
                            "message_id": message.message_id,
                            "routing_key": message.routing_key,
                            "delivery_mode": int(message.delivery_mode or 0),
                            "body": json.loads(message.body),
                        }
                    )
                    if len(out) == total:
                        break
        await q.delete(if_unused=False, if_empty=False)
        if exchange is not None:
            await channel.exchange_delete(exchange)
        return out
    finally:
        await conn.close()


def run(coro: Any) -> Any:
    return asyncio.run(coro)

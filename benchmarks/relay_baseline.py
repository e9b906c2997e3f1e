#!/usr/bin/env python
"""bench_relay.py's baseline: the machine's best with the relay's client libraries.

A minimal process, timed by bench_relay.py as a whole like the relay (interpreter start-up
and imports included), that publishes the outbox's events to a stream / exchange of its own
the way the relay does (payctl/services/events/relay.py and brokers.py) and nothing more:

- reads the outbox with plain SQL (``sqlite3`` / asyncpg), in id order, ``--batch`` events at
  a time (``id > last ORDER BY id LIMIT batch``), and builds the same envelopes and message
  bodies (outbox.envelope, brokers.body; ``--digest`` prints a digest of them instead of
  publishing, for bench_relay.py to compare with payctl's);
- NATS: nats-py, a new JetStream stream capturing ``NAME.>`` (file storage, the relay's
  duplicate window), subject ``NAME.<type>``, ``publish_async`` with header ``Nats-Msg-Id``
  = the event id for every event of a batch, one flush, then every acknowledgement awaited
  before the next batch;
- RabbitMQ: aio-pika, publisher confirms, a new durable topic exchange, routing key the event
  type, persistent messages with ``message_id`` = the event id (and the relay's ``type`` and
  ``content_type``), the batch's publishes started in order and their confirms awaited
  together before the next batch.

What it leaves out: payctl's CLI, settings, schema check and engine, the relay's lock and the
write that records each batch's last acknowledged id. Prints one JSON object: events
published, acknowledged, the last id, and ``seconds`` from connecting to closing (the
counterpart of the relay's own ``seconds``: start-up and imports left out).

    python benchmarks/relay_baseline.py nats nats://127.0.0.1:4222 NAME sqlite:///x.db
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

COLUMNS = "id, type, occurred_at, actor, object_type, object_id, object_number, payload"
ACK_TIMEOUT = 30.0


def envelope(row: tuple[Any, ...], schema: int) -> dict[str, Any]:
    """outbox.envelope of a row read with COLUMNS."""
    event_id, type_, at, actor, object_type, object_id, number, payload = row
    if isinstance(at, str):  # SQLite: SQLAlchemy's text form, UTC without offset
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return {
        "id": event_id,
        "type": type_,
        "schema": schema,
        "occurred_at": at.astimezone(dt.UTC)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z"),
        "actor": actor,
        "object": {"type": object_type, "id": object_id, "number": number},
        "data": json.loads(payload),
    }


def body(event: dict[str, Any]) -> bytes:
    """brokers.body."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def batches(database: str, size: int, schema: int) -> AsyncIterator[list[dict[str, Any]]]:
    """The outbox in id order, ``size`` envelopes at a time, each batch read after the one
    before was published (as the relay pages)."""
    query = f"SELECT {COLUMNS} FROM events WHERE id > {{}} ORDER BY id LIMIT {{}}"
    last = 0
    if database.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(database[len("sqlite:///") :])
        try:
            while rows := conn.execute(query.format("?", "?"), (last, size)).fetchall():
                yield [envelope(r, schema) for r in rows]
                last = rows[-1][0]
        finally:
            conn.close()
        return
    import asyncpg

    pg = await asyncpg.connect(database)
    try:
        while rows := await pg.fetch(query.format("$1", "$2"), last, size):
            yield [envelope(tuple(r), schema) for r in rows]
            last = rows[-1][0]
    finally:
        await pg.close()


async def publish_nats(args: argparse.Namespace) -> tuple[int, int, int]:
    import nats

    nc = await nats.connect(servers=[args.url], allow_reconnect=False, connect_timeout=5)
    published = acked = last = 0
    try:
        js = nc.jetstream(timeout=ACK_TIMEOUT, publish_async_max_pending=args.batch)
        await js.add_stream(
            name=args.name, subjects=[args.name + ".>"], duplicate_window=args.dedup_window
        )
        async for batch in batches(args.database, args.batch, args.schema):
            futures = [
                await js.publish_async(
                    f"{args.name}.{e['type']}",
                    body(e),
                    stream=args.name,
                    headers={"Nats-Msg-Id": str(e["id"])},
                )
                for e in batch
            ]
            await nc.flush(timeout=int(ACK_TIMEOUT))
            published += len(futures)
            for ack in await asyncio.gather(*futures, return_exceptions=True):
                if isinstance(ack, BaseException):
                    raise SystemExit(f"relay_baseline: nats: {ack!r}")
                acked += 1
            last = batch[-1]["id"]
    finally:
        await nc.close()
    return published, acked, last


async def publish_amqp(args: argparse.Namespace) -> tuple[int, int, int]:
    import aio_pika
    from aio_pika import DeliveryMode, Message

    conn = await aio_pika.connect(args.url, timeout=5)
    published = acked = last = 0
    try:
        channel = await conn.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            args.name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        async for batch in batches(args.database, args.batch, args.schema):
            confirms = [
                exchange.publish(
                    Message(
                        body(e),
                        message_id=str(e["id"]),
                        type=e["type"],
                        content_type="application/json",
                        delivery_mode=DeliveryMode.PERSISTENT,
                    ),
                    routing_key=e["type"],
                    mandatory=False,
                    timeout=ACK_TIMEOUT,
                )
                for e in batch
            ]
            published += len(confirms)
            for ack in await asyncio.gather(*confirms, return_exceptions=True):
                if isinstance(ack, BaseException):
                    raise SystemExit(f"relay_baseline: rabbitmq: {ack!r}")
                acked += 1
            last = batch[-1]["id"]
    finally:
        await conn.close()
    return published, acked, last


async def digest(args: argparse.Namespace) -> dict[str, Any]:
    h, count = hashlib.blake2b(digest_size=16), 0
    async for batch in batches(args.database, args.batch, args.schema):
        for e in batch:
            h.update(body(e))
            count += 1
    return {"events": count, "digest": h.hexdigest()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("broker", choices=["nats", "rabbitmq"])
    parser.add_argument("url", help="the broker")
    parser.add_argument("name", help="the stream / exchange, created; NATS subjects NAME.<type>")
    parser.add_argument("database", help="sqlite:///PATH or postgresql://...")
    parser.add_argument("--batch", type=int, default=500, help="events per batch (the relay's)")
    parser.add_argument("--schema", type=int, required=True, help="the envelope's schema")
    parser.add_argument("--dedup-window", type=float, default=120.0)
    parser.add_argument("--digest", action="store_true", help="no publishing: the bodies' digest")
    args = parser.parse_args()
    if args.digest:
        print(json.dumps(asyncio.run(digest(args))))
        return 0
    run = publish_nats if args.broker == "nats" else publish_amqp
    started = time.perf_counter()
    published, acked, last = asyncio.run(run(args))
    seconds = round(time.perf_counter() - started, 3)
    print(json.dumps({"published": published, "acked": acked, "last_id": last, "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

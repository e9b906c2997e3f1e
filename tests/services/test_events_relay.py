"""The relay against real brokers (NATS JetStream, RabbitMQ), on both database backends:
every pending event published in id order with its id as the deduplication id, the
acknowledged position recorded per destination, resumed on the next run."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from payctl.db.models import EventDestination
from payctl.services.events.catalog import TYPES
from payctl.services.events.destinations import parse_destination
from payctl.services.events.relay import RelayService, acked_through
from tests.brokers import (
    AMQP_URL,
    NATS_URL,
    bind_queue,
    broker,
    delete_stream,
    drain_queue,
    stream_messages,
    unique,
    write_events,
)

TYPES_USED = ("payment.created", "payment.confirmed", "invoice.paid")


def test_acked_through_is_the_acknowledged_run_from_the_start():
    batch = [{"id": i} for i in (3, 4, 7, 8)]
    assert acked_through(batch, [True, True, True, True]) == 8
    assert acked_through(batch, [True, True, False, True]) == 4  # 8 waits for 7
    assert acked_through(batch, [False, True, True, True]) is None


async def _relay(session, dest, **kw):
    return await RelayService(session, dest).relay(once=True, **kw)


async def _position(db, name):
    """The destination's recorded position, read in a session of its own."""
    async with db.session() as session:
        return await session.scalar(
            select(EventDestination.last_acked_id).where(EventDestination.name == name)
        )


async def test_nats_publishes_in_order_and_resumes(db, session):
    url = broker(NATS_URL)
    stream, prefix = unique("T").upper(), unique("t")
    dest = parse_destination(url, stream=stream, subject=prefix + ".{type}")
    try:
        await write_events(db, 25, TYPES_USED)
        report = await _relay(session, dest, batch=10)
        assert (report.published, report.last_acked_id) == (25, 25)
        assert await _position(db, dest.name) == 25
        await write_events(db, 5, TYPES_USED)
        again = await _relay(session, dest, batch=10)
        assert (again.published, again.last_acked_id) == (5, 30)
        assert (await _relay(session, dest)).published == 0  # nothing pending: nothing sent
        got = await stream_messages(url, stream, dest.stream_subjects)
        assert [m["body"]["id"] for m in got] == list(range(1, 31))
        assert [m["msg_id"] for m in got] == [str(i) for i in range(1, 31)]
        assert [m["subject"] for m in got] == [f"{prefix}.{m['body']['type']}" for m in got]
        first = got[0]["body"]
        assert first["schema"] == 1 and first["type"] == "payment.created"
        assert first["object"] == {"type": "payment", "id": 1, "number": None}
        assert first["data"] == {"n": 0}
    finally:
        await delete_stream(url, stream)


async def test_amqp_publishes_persistent_messages_in_order(db, session):
    url = broker(AMQP_URL)
    exchange, queue = unique("payctl"), unique("q")
    dest = parse_destination(url, exchange=exchange)
    await bind_queue(url, exchange, queue)
    await write_events(db, 40, TYPES_USED)
    report = await _relay(session, dest, batch=16)
    assert (report.published, report.last_acked_id) == (40, 40)
    assert await _position(db, dest.name) == 40
    got = await drain_queue(url, queue, exchange)
    assert [m["message_id"] for m in got] == [str(i) for i in range(1, 41)]
    assert [m["body"]["id"] for m in got] == list(range(1, 41))
    assert all(m["routing_key"] == m["body"]["type"] for m in got)
    assert all(m["body"]["type"] in TYPES for m in got)
    assert {m["delivery_mode"] for m in got} == {2}  # persistent


async def test_two_streams_are_two_destinations(db, session):
    url = broker(NATS_URL)
    one = parse_destination(url, stream=unique("A").upper(), subject=unique("a") + ".{type}")
    two = parse_destination(url, stream=unique("B").upper(), subject=unique("b") + ".{type}")
    try:
        await write_events(db, 3)
        assert (await _relay(session, one)).published == 3
        await write_events(db, 2)
        assert (await _relay(session, two)).published == 5  # its own position: from the start
        assert (await _relay(session, one)).published == 2
    finally:
        for dest in (one, two):
            await delete_stream(url, dest.stream)


async def test_a_stop_ends_the_long_running_relay_after_its_batch(db, session):
    url = broker(NATS_URL)
    dest = parse_destination(url, stream=unique("S").upper(), subject=unique("s") + ".{type}")
    try:
        await write_events(db, 12)
        stop = asyncio.Event()
        service = RelayService(session, dest)
        task = asyncio.create_task(service.relay(once=False, batch=5, interval=0.02, stop=stop))
        for _ in range(1000):
            if await _position(db, dest.name) == 12:
                break
            await asyncio.sleep(0.01)
        stop.set()
        report = await asyncio.wait_for(task, timeout=30)
        assert (report.published, report.last_acked_id) == (12, 12)
    finally:
        await delete_stream(url, dest.stream)


@pytest.mark.parametrize("to", ["nats://127.0.0.1:1", "amqp://guest:s3cret@127.0.0.1:1/"])
async def test_an_unreachable_broker_records_nothing(db, session, to):
    from payctl.errors import BrokerError

    dest = parse_destination(to)
    await write_events(db, 3)
    with pytest.raises(BrokerError) as raised:
        await _relay(session, dest)
    assert "s3cret" not in str(raised.value)
    assert await _position(db, dest.name) is None

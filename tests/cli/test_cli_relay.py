"""`payctl events relay` end to end: real brokers, the relay as its own process where a
process matters (crashes, the lock, SIGTERM)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from payctl.db.models import EventDestination
from tests.brokers import (
    AMQP_URL,
    NATS_URL,
    bind_queue,
    broker,
    delete_stream,
    drain_queue,
    run,
    stream_messages,
    unique,
    write_events,
)
from tests.conftest import in_session, on_database, payctl, refused

ROOT = Path(__file__).resolve().parents[2]


def _positions(url: str) -> dict[str, int]:
    async def read(session):
        rows = await session.execute(select(EventDestination.name, EventDestination.last_acked_id))
        return {name: last for name, last in rows.all()}

    return in_session(url, read)


def _write(url: str, count: int) -> None:
    on_database(url, write_events, count)


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "payctl", "events", "relay", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _nats_args() -> tuple[list[str], str, str]:
    stream, prefix = unique("C").upper(), unique("c")
    return (
        ["--to", broker(NATS_URL), "--stream", stream, "--subject", prefix + ".{type}"],
        stream,
        prefix,
    )


def test_once_publishes_and_records(cli_env, init_url):
    args, stream, prefix = _nats_args()
    try:
        _write(init_url, 7)
        report = json.loads(payctl("events", "relay", *args, "--once", "-f", "json").stdout)
        name = f"nats://127.0.0.1:4222 stream={stream} subject={prefix}.{{type}}"
        if NATS_URL == "nats://127.0.0.1:4222":
            assert report["destination"] == name
        assert (report["published"], report["last_acked_id"]) == (7, 7)
        assert _positions(init_url) == {report["destination"]: 7}
        again = json.loads(payctl("events", "relay", *args, "--once", "-f", "json").stdout)
        assert again["published"] == 0
    finally:
        run(delete_stream(NATS_URL, stream))


@pytest.mark.parametrize(
    ("to", "says"),
    [
        ("nats://127.0.0.1:1", "cannot connect to NATS at nats://127.0.0.1:1"),
        ("nats://tok3n@127.0.0.1:1", "nats://***@127.0.0.1:1"),
        ("amqp://guest:s3cret@127.0.0.1:1/", "amqp://guest:***@127.0.0.1:1/"),
    ],
)
def test_a_broker_that_is_down_exits_3_and_records_nothing(cli_env, init_url, to, says):
    _write(init_url, 3)
    before = _positions(init_url)
    line = refused("events", "relay", "--to", to, "--once", code=3, says=says)
    assert "s3cret" not in line and "tok3n" not in line
    assert _positions(init_url) == before


def test_a_refused_login_exits_3_with_the_password_masked(cli_env, init_url):
    good = broker(AMQP_URL)
    bad = good.replace("guest:guest@", "guest:wr0ng@") if "guest:guest@" in good else None
    if bad is None:
        pytest.skip("the AMQP test URL does not use guest:guest")
    line = refused("events", "relay", "--to", bad, "--once", code=3, says="guest:***@")
    assert "wr0ng" not in line
    assert _positions(init_url) == {}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--to", "http://127.0.0.1:4222"], "--to 'http://127.0.0.1:4222'"),
        (["--to", "kafka://u:pw@h"], "kafka://u:***@h"),
        (["--to", "nats://127.0.0.1", "--exchange", "x"], "--exchange is for amqp://"),
        (["--to", "amqp://127.0.0.1/", "--stream", "S"], "--stream/--subject are for nats://"),
        (["--to", "nats://127.0.0.1", "--subject", "a.{type}.b"], "--subject"),
        (["--to", "nats://127.0.0.1", "--batch", "0"], "--batch"),
    ],
)
def test_bad_usage_exits_2(cli_env, args, says):
    line = refused("events", "relay", *args, "--once", code=2, says=says)
    assert "pw" not in line.replace("--", "")


def _wait_for(condition, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the relay ended early: {proc.communicate()}")
        assert time.monotonic() < deadline, "the relay made no progress"
        time.sleep(0.01)


def test_a_second_relay_for_the_destination_is_refused_then_sigterm_stops_the_first(
    cli_env, init_url
):
    args, stream, _prefix = _nats_args()
    try:
        _write(init_url, 20)
        first = _start(cli_env, *args, "--interval", "0.05", "-f", "json")
        try:
            _wait_for(lambda: 20 in _positions(init_url).values(), first)
            for mode in (["--once"], []):
                refused("events", "relay", *args, *mode, code=1, says="another relay is already")
            _write(init_url, 5)  # the running relay keeps publishing
            _wait_for(lambda: 25 in _positions(init_url).values(), first)
        finally:
            first.send_signal(signal.SIGTERM)
            out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        assert json.loads(out)["last_acked_id"] == 25
        # the lock went with the process: the next relay runs
        payctl("events", "relay", *args, "--once")
    finally:
        run(delete_stream(NATS_URL, stream))


def _crash_and_finish(env: dict[str, str], url: str, args: list[str], total: int) -> int:
    """Start the relay and SIGKILL it at a random moment after it made progress, 10 times;
    then run it --once to the end. The number of kills that landed mid-run."""
    rng = random.Random(20261206)
    landed = 0
    for _ in range(10):
        before = max(_positions(url).values(), default=0)
        proc = _start(env, *args, "--batch", "100", "--interval", "0.02")
        _wait_for(lambda b=before: max(_positions(url).values(), default=0) > b, proc)
        time.sleep(rng.uniform(0, 0.05))
        proc.kill()
        proc.wait()
        landed += max(_positions(url).values()) < total
    finish = _start(env, *args, "--once", "-f", "json")
    out, err = finish.communicate(timeout=120)
    assert finish.returncode == 0, err
    assert json.loads(out)["last_acked_id"] == total
    return landed


TOTAL = 10_000


@pytest.mark.slow
def test_nats_crashes_lose_nothing_and_duplicate_nothing(cli_env, init_url):
    args, stream, _prefix = _nats_args()
    try:
        _write(init_url, TOTAL)
        landed = _crash_and_finish(cli_env, init_url, args, TOTAL)
        assert landed >= 5, "the kills should land while events are still pending"
        got = run(stream_messages(NATS_URL, stream, _prefix + ".>"))
        ids = [m["body"]["id"] for m in got]
        assert ids == list(range(1, TOTAL + 1))  # every id once (Nats-Msg-Id dedup), in order
        assert [m["msg_id"] for m in got] == [str(i) for i in ids]
    finally:
        run(delete_stream(NATS_URL, stream))


@pytest.mark.slow
def test_amqp_crashes_lose_nothing_and_consumer_dedup_leaves_each_once(cli_env, init_url):
    url = broker(AMQP_URL)
    exchange, queue = unique("payctl"), unique("q")
    run(bind_queue(url, exchange, queue))
    _write(init_url, TOTAL)
    landed = _crash_and_finish(cli_env, init_url, ["--to", url, "--exchange", exchange], TOTAL)
    assert landed >= 5, "the kills should land while events are still pending"
    got = run(drain_queue(url, queue, exchange))
    ids = [int(m["message_id"]) for m in got]
    assert all(int(m["body"]["id"]) == i for m, i in zip(got, ids, strict=True))
    first_arrivals = list(dict.fromkeys(ids))  # consumer-side dedup by message_id
    assert first_arrivals == list(range(1, TOTAL + 1))  # each exactly once, in order
    assert len(ids) >= TOTAL


def test_relay_is_a_command_of_the_events_group():
    assert "relay" in payctl("events", "--help").stdout

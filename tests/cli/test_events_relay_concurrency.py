"""Issue 13's concurrency check with the real relay: 4 processes confirm payments (reset and
confirm some again, and create invoices) in many small transactions while `payctl events
relay` runs as its own process, publishing in small batches; then the relay is stopped
(SIGTERM), drained (``--once``) and the broker's copy is compared with the outbox, on both
database backends and both brokers: every event published once (after the broker's or the
consumer's dedup by event id), in increasing id order, no id skipped, the position at the
last id.

What keeps ids in commit order is the audit head lock the outbox takes its ids under
(outbox.py); a payment's transaction also writes audit records, whose writer takes that lock
earlier, but an invoice's writes none, so the invoices are there to race the outbox's own
lock. The writers' journals and years differ (BNK1/CSH1 x 2025/2026), so the gapless number
counters do not serialise them instead. The workers hold some transactions still for a moment
after the outbox took its ids (tests/procs/flow_worker.py ``--hold-ms``), where a reader
would see a later id commit first if that rule were broken. Checked on PostgreSQL: without the
outbox's ``audit.lock_head`` the relay skipped ids in 4 runs of 4 (7-14 ids each, NATS and
RabbitMQ); with ids taken when an event is queued, before the lock, in 3 of 3 (22-24 each).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from payctl.db.models import Event, EventDestination
from payctl.db.uow import begin
from payctl.db.uow import commit as uow_commit
from payctl.services.payments.payment_service import PaymentService
from tests import factories
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
)
from tests.conftest import in_session, payctl
from tests.procs.startline import gather, release

ROOT = Path(__file__).resolve().parents[2]
WORKER = ROOT / "tests" / "procs" / "flow_worker.py"
WORKERS = 4
PER_WORKER = 50
RESET_EVERY = 4  # every 4th payment of a share is also reset and confirmed again
INVOICE_EVERY = 3  # an invoice is created after every 3rd payment of a share
HOLD_MS = 100  # up to, in one transaction of 3: long enough for the relay to read past an id
RELAY = ["--batch", "20", "--interval", "0.05"]

pytestmark = pytest.mark.slow


def _year(worker: int) -> int:
    return 2025 + worker // 2


async def _make_drafts(session: Any) -> list[list[int]]:
    """``WORKERS`` shares of ``PER_WORKER`` drafts, each share in its own journal and year."""
    await factories.customer(session)
    payments = PaymentService(session, "tester")
    await begin(session, write=True)  # one transaction: the services join it
    shares: list[list[int]] = []
    for n in range(WORKERS):
        journal, year = ("BNK1", "CSH1")[n % 2], _year(n)
        shares.append([])
        for i in range(PER_WORKER):
            view = await payments.create_payment(
                "customer_payment",
                "ACME GmbH",
                journal,
                f"{10 + i % 90}.{i % 100:02d}",
                f"{year}-03-02",
                reference=f"W{n}-{i}",
            )
            shares[n].append(view.id)
    await uow_commit(session)
    return shares


def _outbox(url: str) -> list[tuple[int, str]]:
    async def read(session: Any) -> list[tuple[int, str]]:
        rows = await session.execute(select(Event.id, Event.type).order_by(Event.id))
        return [(int(i), t) for i, t in rows.all()]

    return in_session(url, read)


def _position(url: str) -> int:
    """The relay's recorded position (the test database has one destination only)."""

    async def read(session: Any) -> int:
        found = (await session.execute(select(EventDestination.last_acked_id))).scalars().all()
        assert len(found) <= 1, found
        return int(found[0]) if found else 0

    return in_session(url, read)


def _start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:  # a failed or hung run leaves no process behind
        proc.kill()
        proc.wait()


def _race(env: dict[str, str], url: str, relay_args: list[str]) -> dict[str, Any]:
    """Seed the drafts, start the relay, run the workers while it publishes, stop it with
    SIGTERM and drain it with --once. What the workers did, and the relay's positions."""
    shares = in_session(url, _make_drafts)
    seeded_top = _outbox(url)[-1][0]
    relay = _start(
        [sys.executable, "-m", "payctl", "events", "relay", *relay_args, *RELAY, "-f", "json"], env
    )
    workers: list[subprocess.Popen[str]] = []
    try:
        deadline = time.monotonic() + 30
        while _position(url) == 0:  # the relay is in its loop, publishing the backlog
            assert relay.poll() is None, f"the relay ended early: {relay.communicate()}"
            assert time.monotonic() < deadline, "the relay published nothing"
            time.sleep(0.02)
        with tempfile.TemporaryDirectory() as signals:
            go = Path(signals) / "go"
            ready = [Path(signals) / f"worker{n}.ready" for n in range(WORKERS)]
            halfway = [Path(signals) / f"worker{n}.halfway" for n in range(WORKERS)]
            resume = Path(signals) / "resume"
            workers = [
                _start(
                    [
                        sys.executable,
                        str(WORKER),
                        url,
                        "--ready",
                        str(ready[n]),
                        "--go",
                        str(go),
                        "--user",
                        f"worker{n}",
                        "--reset-every",
                        str(RESET_EVERY),
                        "--invoice-every",
                        str(INVOICE_EVERY),
                        "--invoice-date",
                        f"{_year(n)}-03-02",
                        "--hold-ms",
                        str(HOLD_MS),
                        "--seed",
                        str(n),
                        "--halfway",
                        str(halfway[n]),
                        "--resume",
                        str(resume),
                        *map(str, ids),
                    ],
                    dict(env, PYTHONPATH=str(ROOT)),
                )
                for n, ids in enumerate(shares)
            ]
            release(workers, ready, go)
            seen: set[int] = set()  # the positions the relay recorded while the workers ran
            # halfway, every worker waits (no transaction open) until the relay has recorded
            # some of their events: on SQLite the relay's write can otherwise lose the writer
            # lock to the workers for their whole run (CI saw that once), and nothing would
            # show that it published while they wrote
            gather(workers, halfway, what="halfway")
            deadline = time.monotonic() + 60
            while (p := _position(url)) <= seeded_top:
                assert relay.poll() is None, f"the relay ended early: {relay.communicate()}"
                assert time.monotonic() < deadline, f"the relay stayed at {p}"
                time.sleep(0.02)
            seen.add(p)
            resume.touch()
            while any(w.poll() is None for w in workers):
                seen.add(_position(url))
                assert relay.poll() is None, f"the relay ended early: {relay.communicate()}"
                time.sleep(0.25)
            results = []
            for w in workers:
                out, err = w.communicate(timeout=60)
                assert w.returncode == 0, err[-2000:]
                results += json.loads(out)["results"]
        assert relay.poll() is None, f"the relay ended early: {relay.communicate()}"
        relay.send_signal(signal.SIGTERM)
        out, err = relay.communicate(timeout=60)
        assert relay.returncode == 0, err[-2000:]
        stopped = json.loads(out)
    finally:
        for proc in (*workers, relay):
            _stop(proc)
    drained = json.loads(payctl("events", "relay", *relay_args, "--once", "-f", "json").stdout)
    return {
        "results": results,
        "seeded_top": seeded_top,
        "seen": seen,
        "stopped": stopped,
        "drained": drained,
    }


def _check_race(url: str, race: dict[str, Any]) -> list[tuple[int, str]]:
    """What must hold of the database after the race; the outbox (id, type) in id order."""
    results = race["results"]
    bad = [r for r in results if not r["ok"]]
    assert bad == [], bad[:5]  # disjoint shares: every action succeeds
    done = Counter(r["action"] for r in results if r["ok"])  # what the workers report done
    resets = len(range(0, PER_WORKER, RESET_EVERY)) * WORKERS
    invoices = len(range(0, PER_WORKER, INVOICE_EVERY)) * WORKERS
    assert done == {
        "confirm": WORKERS * PER_WORKER + resets,
        "reset": resets,
        "invoice": invoices,
    }
    events = _outbox(url)
    types = Counter(t for _, t in events)
    assert types == {
        "payment.created": WORKERS * PER_WORKER,
        "payment.confirmed": done["confirm"],
        "payment.reset": done["reset"],
        "invoice.created": done["invoice"],
    }
    top = events[-1][0]
    # the relay published the workers' events while they were still writing
    assert any(race["seeded_top"] < p < top for p in race["seen"]), sorted(race["seen"])
    assert race["drained"]["last_acked_id"] == top
    assert _position(url) == top
    assert race["stopped"]["published"] + race["drained"]["published"] <= len(events)
    return events


def _order_problems(published: list[int], outbox: list[int]) -> list[str]:
    """How the ids a consumer got differ from the outbox's (empty: the same ids, in order)."""
    problems = [f"id {b} after id {a}" for a, b in pairwise(published) if b <= a]
    missing = sorted(set(outbox) - set(published))
    extra = sorted(set(published) - set(outbox))
    if missing:
        problems.append(f"{len(missing)} ids never published, first {missing[:10]}")
    if extra:
        problems.append(f"{len(extra)} ids published that the outbox lacks: {extra[:10]}")
    return problems


def test_nats_gets_every_event_once_in_commit_order_while_4_processes_write(cli_env, init_url):
    url = broker(NATS_URL)
    stream, prefix = unique("RC").upper(), unique("rc")
    args = ["--to", url, "--stream", stream, "--subject", prefix + ".{type}"]
    try:
        race = _race(cli_env, init_url, args)
        events = _check_race(init_url, race)
        got = run(stream_messages(url, stream, prefix + ".>"))
    finally:
        run(delete_stream(url, stream))
    ids = [m["body"]["id"] for m in got]
    assert _order_problems(ids, [i for i, _ in events]) == []
    assert [m["msg_id"] for m in got] == [str(i) for i in ids]  # Nats-Msg-Id: the event id
    assert [(m["body"]["id"], m["body"]["type"]) for m in got] == events
    assert [m["subject"] for m in got] == [f"{prefix}.{t}" for _, t in events]


def test_amqp_gets_every_event_in_commit_order_while_4_processes_write(cli_env, init_url):
    url = broker(AMQP_URL)
    exchange, queue = unique("payctl"), unique("q")
    run(bind_queue(url, exchange, queue))  # bound before the relay publishes anything
    try:
        race = _race(cli_env, init_url, ["--to", url, "--exchange", exchange])
        events = _check_race(init_url, race)
    finally:
        got = run(drain_queue(url, queue, exchange))
    ids = [int(m["message_id"]) for m in got]
    assert [m["body"]["id"] for m in got] == ids
    first = list(dict.fromkeys(ids))  # at least once: the consumer drops a message_id it saw
    assert _order_problems(first, [i for i, _ in events]) == []
    kinds = {m["body"]["id"]: (m["routing_key"], m["body"]["type"]) for m in got}
    assert [(i, *kinds[i]) for i in first] == [(i, t, t) for i, t in events]

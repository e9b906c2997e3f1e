#!/usr/bin/env python
"""Benchmark of issue 13: events relayed per second to NATS JetStream and to RabbitMQ.

Usage (from the repository root, with payctl installed and the brokers running):

    python benchmarks/bench_relay.py              # SQLite temp file, 10,000 events, 3 runs
    python benchmarks/bench_relay.py --events 2000 --repeat 5 --only nats --batch 1000
    python benchmarks/bench_relay.py --json
    python benchmarks/bench_relay.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench --i-know-this-drops-everything

What is measured: the whole ``payctl events relay --to URL --once`` process (the ``payctl``
next to this interpreter, else ``python -m payctl``): start-up, reading the outbox, publishing
every event and waiting for the broker's acknowledgements, recording them. Events relayed per
second = events the run acknowledged / wall seconds of the process.

Data: one database (``payctl init``), then ``--events`` outbox rows (default 10,000) inserted
set-wise in one transaction (``payment.confirmed`` events shaped as the catalog says, about
400 bytes of payload each). The outbox stays the same for every run; each run relays to a
stream (NATS) or exchange (RabbitMQ) of its own, named ``payctl_bench_<pid>_<run>``, so it is
a new destination for the relay and starts from the first event: the relay gets the broker's
URL (``--nats-url`` / ``--amqp-url``) and ``--stream NAME --subject 'NAME.{type}'`` (NATS) or
``--exchange NAME`` (RabbitMQ).

Baseline, in the same run (the project's rule: a figure with a baseline ratio from the same
run): ``relay_baseline.py`` next to this file, a minimal process using the same client library
(nats-py JetStream ``publish_async`` with ``Nats-Msg-Id``, every acknowledgement awaited per
batch; aio-pika with publisher confirms, persistent messages with ``message_id``) that reads
the same events with plain SQL in id order, ``--batch`` at a time like the relay, and
publishes the same bodies to a stream / exchange of its own (``<name>_base``). Each round
times the relay and the baseline (which goes first alternates from round to round) and
``payctl --version`` (the CLI's start-up); medians over the rounds. Printed: both processes'
wall and CPU seconds and events/s, the ratios relay / baseline (wall, CPU), and the relay
in process, estimated as its median wall minus the start-up median, next to the ``seconds``
the relay reports itself (``--format json``: from taking its lock to closing the connection).
Before the runs the baseline's bodies are checked to be byte for byte the relay's (a digest
of both, ``relay_baseline.py --digest`` against payctl's reader and ``brokers.body``).

Checked after every run: the relay exited 0 and ``event_destinations`` (the relay's record of
what each destination acknowledged) holds exactly one new destination whose last
acknowledged id is the last event's, and the baseline acknowledged every event; otherwise the
benchmark stops with an error. When nats-py or aio-pika is importable, the run's streams /
exchanges are deleted afterwards (not timed); ``--keep`` leaves them.

When the installed payctl has no ``events relay`` command the benchmark says so and exits 2.
On PostgreSQL schema ``public`` of the given database is dropped and recreated: give it a
database of its own; it refuses to start without ``--i-know-this-drops-everything``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URLS = {
    "nats": "nats://127.0.0.1:4222",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/",
}
USER = "bench"
BASELINE = Path(__file__).resolve().with_name("relay_baseline.py")


def payctl_command() -> list[str]:
    script = Path(sys.executable).with_name("payctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "payctl"]


def plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://").replace(
        "sqlite+aiosqlite://", "sqlite://"
    )


def fail(text: str, code: int = 1) -> None:
    print(f"bench_relay: error: {text}", file=sys.stderr)
    raise SystemExit(code)


def relay_available(env: dict[str, str]) -> bool:
    proc = subprocess.run(
        payctl_command() + ["events", "relay", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return proc.returncode == 0 and "--once" in proc.stdout and "--to" in proc.stdout


# ----------------------------------------------------------------------------- data
def event_rows(count: int, at: dt.datetime) -> list[dict[str, Any]]:
    """``count`` payment.confirmed outbox rows as the outbox writes them (catalog.py)."""
    rows = []
    for k in range(1, count + 1):
        number = f"BNK1/2026/{k:05d}"
        amount = f"{100 + k % 900}.{k % 100:02d}"
        data = {
            "id": k,
            "number": number,
            "type": "customer_payment",
            "state": "posted",
            "previous_state": "draft",
            "partner_id": 1 + k % 20,
            "partner": f"Bench Customer {k % 20:02d}",
            "journal_id": 1,
            "journal": "BNK1",
            "amount": amount,
            "currency": "EUR",
            "date": "2026-02-01",
            "reference": f"BENCH-REF-{k:06d}",
            "memo": None,
            "allocations": [{"invoice_id": k, "invoice": f"BENCH-INV-{k:06d}", "amount": amount}],
        }
        rows.append(
            {
                "type": "payment.confirmed",
                "occurred_at": at,
                "actor": USER,
                "object_type": "payment",
                "object_id": k,
                "object_number": number,
                "payload": json.dumps(data, sort_keys=True, separators=(",", ":")),
            }
        )
    return rows


async def reset_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(plain_url(url), timeout=10)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def populate(url: str, count: int) -> None:
    """Schema at head, default chart, ``count`` events inserted in one statement."""
    from payctl.db.bulk import bulk_insert
    from payctl.db.engine import Database
    from payctl.db.models import Event
    from payctl.db.schema import upgrade_to_head
    from payctl.db.uow import transaction
    from payctl.services.setup_service import SetupService

    if url.startswith("postgresql"):
        await reset_postgres(url)
    db = Database(url)
    try:
        await upgrade_to_head(db.engine)
        async with db.session() as s:
            await SetupService(s).seed("EUR")
        async with db.session() as s, transaction(s, write=True):
            await bulk_insert(s, Event.__table__, event_rows(count, dt.datetime.now(dt.UTC)))
    finally:
        await db.dispose()


async def destinations(url: str) -> dict[str, int]:
    """The relay's record: destination name -> last acknowledged event id."""
    from sqlalchemy import func, select

    from payctl.db.engine import Database
    from payctl.db.models import Event, EventDestination

    db = Database(url)
    try:
        async with db.session() as s:
            rows = await s.execute(select(EventDestination.name, EventDestination.last_acked_id))
            out = {name: int(last) for name, last in rows.all()}
            out[""] = int(await s.scalar(select(func.max(Event.id))) or 0)
            return out
    finally:
        await db.dispose()


# ----------------------------------------------------------------------------- brokers
async def _drop_nats(name: str) -> None:
    import nats

    nc = await nats.connect("nats://127.0.0.1:4222")
    try:
        await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


async def _drop_rabbitmq(name: str) -> None:
    import aio_pika

    conn = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
    try:
        channel = await conn.channel()
        await channel.exchange_delete(name)
    finally:
        await conn.close()


def drop(broker: str, name: str) -> str | None:
    """Delete the run's stream / exchange if the client library is here; why not otherwise."""
    try:
        asyncio.run(_drop_nats(name) if broker == "nats" else _drop_rabbitmq(name))
    except ImportError as exc:
        return f"left {name} on {broker} ({exc.name} not installed)"
    except Exception as exc:  # a broker that already dropped it, or went away
        return f"could not delete {name} on {broker}: {type(exc).__name__}: {exc}"
    return None


# ----------------------------------------------------------------------------- runs
def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``cmd`` to its end: the process, its wall and CPU seconds."""
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    return proc, time.perf_counter() - start, _children_cpu() - cpu


def startup_run(env: dict[str, str]) -> dict:
    """``payctl --version``: the CLI's start-up, nothing else."""
    proc, wall, cpu = timed(payctl_command() + ["--version"], env)
    if proc.returncode != 0:
        fail(f"payctl --version exited {proc.returncode}: {proc.stderr.strip()[:300]}")
    return {"wall": wall, "cpu": cpu}


def relay_run(
    url: str, env: dict[str, str], broker: str, template: str, name: str, batch: int
) -> dict:
    before = asyncio.run(destinations(url))
    where = (
        ["--stream", name, "--subject", name + ".{type}"]
        if broker == "nats"
        else ["--exchange", name]
    )
    cmd = payctl_command() + ["--quiet", "events", "relay", "--to", template, *where]
    proc, wall, cpu = timed(cmd + ["--batch", str(batch), "--once", "--format", "json"], env)
    if proc.returncode != 0:
        fail(f"{broker}: payctl events relay exited {proc.returncode}: {proc.stderr.strip()[:300]}")
    after = asyncio.run(destinations(url))
    new = {k: v for k, v in after.items() if k and k not in before}
    last = after[""]
    if len(new) != 1 or next(iter(new.values())) != last:
        fail(
            f"{broker}: expected one new destination acknowledging up to event {last}, "
            f"the relay recorded {new or 'none'}"
        )
    reported = json.loads(proc.stdout)["seconds"]
    return {"wall": wall, "cpu": cpu, "events": last, "reported": float(reported)}


def baseline_command(url: str, broker: str, template: str, name: str, batch: int) -> list[str]:
    from payctl.services.events.catalog import SCHEMA_VERSION

    return [
        sys.executable,
        str(BASELINE),
        broker,
        template,
        name,
        plain_url(url),
        "--batch",
        str(batch),
        "--schema",
        str(SCHEMA_VERSION),
    ]


def baseline_run(
    url: str, env: dict[str, str], broker: str, template: str, name: str, batch: int, last: int
) -> dict:
    proc, wall, cpu = timed(baseline_command(url, broker, template, name, batch), env)
    if proc.returncode != 0:
        fail(f"{broker}: the baseline exited {proc.returncode}: {proc.stderr.strip()[:300]}")
    out = json.loads(proc.stdout)
    if out["acked"] != out["published"] or out["last_id"] != last:
        fail(f"{broker}: the baseline acknowledged {out}, expected every event up to {last}")
    return {"wall": wall, "cpu": cpu, "events": out["acked"], "reported": float(out["seconds"])}


async def payctl_digest(url: str, batch: int) -> dict[str, Any]:
    """The relay's message bodies (reader.after, brokers.body), digested as the baseline's
    ``--digest`` does."""
    import hashlib

    from payctl.db.engine import Database
    from payctl.services.events import reader
    from payctl.services.events.brokers import body

    h, count, last = hashlib.blake2b(digest_size=16), 0, 0
    db = Database(url)
    try:
        async with db.session() as s:
            while events := await reader.after(s, last, batch):
                for event in events:
                    h.update(body(event))
                count, last = count + len(events), events[-1]["id"]
    finally:
        await db.dispose()
    return {"events": count, "digest": h.hexdigest()}


def check_same_bodies(url: str, env: dict[str, str], batch: int) -> None:
    """The baseline publishes byte for byte the bodies the relay publishes."""
    cmd = baseline_command(url, "nats", "-", "-", batch) + ["--digest"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        fail(f"the baseline's --digest exited {proc.returncode}: {proc.stderr.strip()[:300]}")
    theirs, ours = json.loads(proc.stdout), asyncio.run(payctl_digest(url, batch))
    if theirs != ours:
        fail(f"the baseline's message bodies differ from the relay's: {theirs} != {ours}")


def summary(runs: list[dict], events: int) -> dict[str, Any]:
    walls = [r["wall"] for r in runs]
    median = statistics.median(walls)
    return {
        "median_s": round(median, 3),
        "min_s": round(min(walls), 3),
        "max_s": round(max(walls), 3),
        "cpu_median_s": round(statistics.median(r["cpu"] for r in runs), 3),
        "events_per_s": round(events / median, 1),
    }


def broker_runs(
    args: argparse.Namespace, url: str, env: dict[str, str], broker: str, log: Any, notes: list[str]
) -> tuple[list[dict], list[dict], list[dict]]:
    """``--repeat`` rounds of: the relay and the baseline (which goes first alternates from
    round to round, so both see the same load), then ``payctl --version``."""
    template = args.nats_url if broker == "nats" else args.amqp_url
    last = asyncio.run(destinations(url))[""]
    relays: list[dict] = []
    bases: list[dict] = []
    starts: list[dict] = []
    for run in range(1, args.repeat + 1):
        name = f"payctl_bench_{os.getpid()}_{broker}_{run}"
        log(f"{broker}: run {run}/{args.repeat} -> {name}, {name}_base")

        def relay(name: str = name) -> None:
            relays.append(relay_run(url, env, broker, template, name, args.batch))

        def base(name: str = name + "_base") -> None:
            bases.append(baseline_run(url, env, broker, template, name, args.batch, last))

        for step in (relay, base) if run % 2 else (base, relay):
            step()
        starts.append(startup_run(env))
        for made in (name, name + "_base"):
            if not args.keep and (note := drop(broker, made)):
                notes.append(note)
    return relays, bases, starts


def measure(args: argparse.Namespace, url: str, env: dict[str, str], log: Any) -> dict:
    urls = {"nats": args.nats_url, "rabbitmq": args.amqp_url}
    results: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    starts: list[dict] = []
    for broker in args.only or ["nats", "rabbitmq"]:
        relays, bases, broker_starts = broker_runs(args, url, env, broker, log, notes)
        starts += broker_starts
        events = relays[0]["events"]
        relay, base = summary(relays, events), summary(bases, events)
        results[broker] = {"url": urls[broker], "events": events, **relay}
        results[broker]["relay_reported_median_s"] = round(
            statistics.median(r["reported"] for r in relays), 3
        )
        results[broker]["baseline"] = base
        base["reported_median_s"] = round(statistics.median(r["reported"] for r in bases), 3)
        results[broker]["ratio_reported"] = round(
            results[broker]["relay_reported_median_s"] / base["reported_median_s"], 2
        )
        results[broker]["ratio_wall"] = round(relay["median_s"] / base["median_s"], 2)
        results[broker]["ratio_cpu"] = round(relay["cpu_median_s"] / base["cpu_median_s"], 2)
    startup = summary(starts, 0)
    del startup["events_per_s"]
    for r in results.values():
        inside = r["median_s"] - startup["median_s"]
        r["in_process_estimate_s"] = round(inside, 3)
        r["in_process_estimate_events_per_s"] = (
            round(r["events"] / inside, 1) if inside > 0 else None
        )
    return {
        "startup": {"command": "payctl --version", **startup},
        "brokers": results,
        "notes": notes,
    }


def render(out: dict[str, Any], info: dict[str, Any]) -> str:
    st = out["startup"]
    lines = [
        f"payctl events relay benchmark: {info['backend']}, {info['events']} events, "
        f"batches of {info['batch']}, {info['repeat']} runs per broker, whole processes: "
        "`payctl events relay --to URL --once` and the baseline (relay_baseline.py: the same "
        "bodies, the same client library, nothing else)",
        f"load average at the end: {info['load']} on {info['cpus']} CPUs",
        f"{'broker':<10} {'process':<9} {'median s':>9} {'min':>7} {'max':>7} {'cpu s':>7} "
        f"{'events/s':>10}",
    ]
    for broker, r in out["brokers"].items():
        for label, x in (("relay", r), ("baseline", r["baseline"])):
            lines.append(
                f"{broker:<10} {label:<9} {x['median_s']:>9.3f} {x['min_s']:>7.3f} "
                f"{x['max_s']:>7.3f} {x['cpu_median_s']:>7.3f} {x['events_per_s']:>10,.0f}"
            )
    lines.append(f"{'broker':<10} {'relay / baseline: wall':>22} {'cpu':>6}")
    for broker, r in out["brokers"].items():
        lines.append(f"{broker:<10} {r['ratio_wall']:>21.2f}x {r['ratio_cpu']:>5.2f}x")
    lines.append(
        f"start-up (`payctl --version`, {len(out['brokers']) * info['repeat']} runs): "
        f"median {st['median_s']:.3f} s (min {st['min_s']:.3f}, max {st['max_s']:.3f}), "
        f"cpu {st['cpu_median_s']:.3f} s"
    )
    lines += [
        "in process: the relay estimated as its median wall - the start-up median; and the "
        "seconds each reports itself, from connecting (the relay: taking its lock) to closing",
        f"{'broker':<10} {'estimate s':>10} {'events/s':>10} {'relay s':>9} {'baseline s':>10} "
        f"{'ratio':>6}",
    ]
    for broker, r in out["brokers"].items():
        rate = r["in_process_estimate_events_per_s"]
        estimate = (
            f"{r['in_process_estimate_s']:>10.3f} {rate:>10,.0f}"
            if rate
            else f"{'-':>10} {'-':>10}"
        )
        lines.append(
            f"{broker:<10} {estimate} {r['relay_reported_median_s']:>9.3f} "
            f"{r['baseline']['reported_median_s']:>10.3f} {r['ratio_reported']:>5.2f}x"
        )
    lines.extend(f"note: {note}" for note in out["notes"])
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time `payctl events relay --to URL --once` relaying N outbox events to "
        "NATS JetStream and RabbitMQ (issue 13)."
    )
    parser.add_argument("--events", type=int, default=10_000, help="outbox rows (10,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per broker (default 3)")
    parser.add_argument("--only", action="append", choices=["nats", "rabbitmq"])
    parser.add_argument(
        "--batch", type=int, default=500, help="events per batch, relay and baseline (500)"
    )
    parser.add_argument(
        "--nats-url", default=DEFAULT_URLS["nats"], help="the NATS server (a stream per run)"
    )
    parser.add_argument(
        "--amqp-url",
        default=DEFAULT_URLS["rabbitmq"],
        help="the RabbitMQ server (an exchange per run)",
    )
    parser.add_argument("--keep", action="store_true", help="leave the streams and exchanges")
    parser.add_argument("--database-url", help="postgresql://... (default: a SQLite temp file)")
    parser.add_argument("--i-know-this-drops-everything", action="store_true")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    if args.events < 1 or args.repeat < 1 or not 1 <= args.batch <= 10_000:
        parser.error("--events and --repeat must be at least 1, --batch 1-10000")
    if args.database_url and not args.i_know_this_drops_everything:
        parser.error(
            "--database-url: schema public of that database is dropped; "
            "add --i-know-this-drops-everything"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def log(text: str) -> None:
        print(f"bench_relay: {text}", file=sys.stderr, flush=True)

    from payctl.config import normalise_url

    with tempfile.TemporaryDirectory(prefix="payctl-bench-relay-") as tmp:
        url = normalise_url(args.database_url or f"sqlite:///{Path(tmp) / 'relay.db'}")
        env = dict(os.environ, PAYCTL_DATABASE_URL=plain_url(url), PAYCTL_USER=USER)
        if not relay_available(env):
            print(
                "bench_relay: the installed payctl has no `events relay --to URL --once` "
                "command: nothing to measure",
                file=sys.stderr,
            )
            return 2
        log(f"inserting {args.events} events")
        asyncio.run(populate(url, args.events))
        check_same_bodies(url, env, args.batch)
        out = measure(args, url, env, log)
    info = {
        "backend": "postgresql" if args.database_url else "sqlite",
        "events": args.events,
        "repeat": args.repeat,
        "batch": args.batch,
        "cpus": os.cpu_count(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps({**info, **out}, indent=2) if args.json else render(out, info))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Benchmark of issue 4: bulk confirm / reset / cancel of N payments, and the floor for that work.

Usage (from the repository root, with payctl installed):

    python benchmarks/bench_bulk.py                      # SQLite temp files, N=1000, 5 repeats
    python benchmarks/bench_bulk.py --n 200 --repeat 3 --no-cli
    python benchmarks/bench_bulk.py --json > figures.json
    python benchmarks/bench_bulk.py --profile [reset]    # + one profiled service confirm (or reset)
    python benchmarks/bench_bulk.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench --i-know-this-drops-everything

What is measured, each on fresh data (N drafts, each allocated in full to its own open customer
invoice, created through PartnerService/InvoiceService imports and PaymentService.create_payments):

- service: PaymentFlowService.bulk() with a ``--state`` filter Selection, one session per call,
  timed from opening the session to its close: confirm (draft -> posted), reset (posted ->
  draft, reversal entries), confirm again (numbers reused) and cancel (posted -> cancelled,
  reversal entries). The SQL statements each call sends are counted with an engine event.
- CLI: the whole ``payctl --quiet bulk confirm --state draft --format json`` process (the
  installed ``payctl`` next to this interpreter, else ``python -m payctl``), fresh DB each run.
- baseline (the floor): stdlib ``sqlite3`` on the same schema (payctl's migrations) and the same
  drafts, in one ``BEGIN IMMEDIATE`` transaction: one join reading the drafts, the two sequence
  counter updates, then ``executemany`` for the journal entries, their 2 lines each, the invoice
  residual/state updates, the payment state/number updates and the hash-chained audit rows.

SQLite: the drafts are created once into a template file which is copied for every run (a
fresh database with identical data). PostgreSQL: every run drops and recreates schema
``public`` of the given database and creates the data again, so point ``--database-url`` at a
database of its own (``psql -h 127.0.0.1 -U postgres -c 'create database bench'``); it refuses
to run without ``--i-know-this-drops-everything``. The baseline always runs on SQLite.

Output: a table with median, min and max of ``--repeat`` runs per measurement, the ratios to
the baseline and PASS/MISS against the issue's targets (for N=1000 on the 2-core development
machine: service confirm <= 0.5 s on SQLite and <= 1 s on PostgreSQL, the CLI process <= 1.5 s
on SQLite, service confirm <= 5x the baseline). The targets are informational: the exit code is
0 whenever the measurements ran and produced the expected states.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import gc
import hashlib
import io
import json
import os
import pstats
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

USER = "bench"
PARTNERS = 20
INVOICE_DATE = "2026-01-05"
PAYMENT_DATE = "2026-02-01"
TARGET_N = 1000

# (label, bulk action, state the selection filters on)
SERVICE_STEPS = [
    ("confirm", "confirm", "draft"),
    ("reset", "reset", "posted"),
    ("re-confirm", "confirm", "draft"),
    ("cancel", "cancel", "posted"),
]
SERVICE_HELP = {
    "confirm": "draft -> posted",
    "reset": "posted -> draft, reversals",
    "re-confirm": "draft -> posted, numbers kept",
    "cancel": "posted -> cancelled, reversals",
}


# ----------------------------------------------------------------------------- results
@dataclass
class Measurement:
    key: str
    label: str
    samples: list[float] = field(default_factory=list)  # wall seconds
    cpu: list[float] = field(default_factory=list)  # CPU seconds of this process / the child
    statements: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)  # rows the step added to the outbox
    target: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def events_per_second(self) -> float | None:
        """Outbox rows written per second of the step (median rows / median wall)."""
        if not self.events:
            return None
        return statistics.median(self.events) / self.median

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "median_s": round(self.median, 4),
            "min_s": round(min(self.samples), 4),
            "max_s": round(max(self.samples), 4),
            "samples_s": [round(s, 4) for s in self.samples],
            "cpu_median_s": round(self.cpu_median, 4),
            "cpu_samples_s": [round(s, 4) for s in self.cpu],
            "statements": statistics.median(self.statements) if self.statements else None,
            "events": statistics.median(self.events) if self.events else None,
            "events_per_s": round(eps, 1) if (eps := self.events_per_second) else None,
            "target_s": self.target,
            "result": verdict(self.median, self.target),
        }


def verdict(value: float, target: float | None) -> str | None:
    if target is None:
        return None
    return "PASS" if value <= target else "MISS"


# ----------------------------------------------------------------------------- data
def plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://").replace(
        "sqlite+aiosqlite://", "sqlite://"
    )


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


async def reset_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(plain_url(url), timeout=10)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


def source_rows(n: int) -> dict[str, tuple[list[str], list[Any]]]:
    from payctl.importers.records import SourceRow

    def rows(header: list[str], values: list[list[str]]) -> tuple[list[str], list[Any]]:
        return header, [
            SourceRow(i + 2, dict(zip(header, v, strict=True))) for i, v in enumerate(values)
        ]

    partners = [f"Bench Customer {k:02d}" for k in range(PARTNERS)]
    amounts = [f"{100 + i % 900}.{i % 100:02d}" for i in range(n)]
    return {
        "partners": rows(["name", "kind"], [[name, "customer"] for name in partners]),
        "invoices": rows(
            ["number", "partner", "amount", "type", "date"],
            [
                [
                    f"BENCH-INV-{i:06d}",
                    partners[i % PARTNERS],
                    amounts[i],
                    "customer_invoice",
                    INVOICE_DATE,
                ]
                for i in range(n)
            ],
        ),
        "payments": rows(
            ["type", "partner", "journal", "amount", "date", "reference", "allocations"],
            [
                [
                    "customer_payment",
                    partners[i % PARTNERS],
                    "BNK1",
                    amounts[i],
                    PAYMENT_DATE,
                    f"BENCH-REF-{i:06d}",
                    f"BENCH-INV-{i:06d}={amounts[i]}",
                ]
                for i in range(n)
            ],
        ),
    }


async def populate(url: str, n: int) -> None:
    """Empty database -> schema at head, default chart, N drafts each allocated to an invoice."""
    from payctl.db.engine import Database
    from payctl.db.schema import upgrade_to_head
    from payctl.services.parties.invoice_service import InvoiceService
    from payctl.services.parties.partner_service import PartnerService
    from payctl.services.payments.payment_service import PaymentService
    from payctl.services.setup_service import SetupService

    if is_postgres(url):
        await reset_postgres(url)
    data = source_rows(n)
    db = Database(url)
    try:
        await upgrade_to_head(db.engine)
        async with db.session() as s:
            await SetupService(s).seed("EUR")
        async with db.session() as s:
            await PartnerService(s, USER).import_partners(
                data["partners"][1], data["partners"][0], "bench"
            )
        async with db.session() as s:
            await InvoiceService(s, USER).import_invoices(
                data["invoices"][1], data["invoices"][0], "bench"
            )
        async with db.session() as s:
            await PaymentService(s, USER).create_payments(
                data["payments"][1], data["payments"][0], "bench"
            )
    finally:
        await db.dispose()


class Fixtures:
    """Hands out fresh databases holding N drafts."""

    def __init__(self, url: str | None, n: int, workdir: Path) -> None:
        from payctl.config import normalise_url

        self.n = n
        self.workdir = workdir
        self.pg_url = normalise_url(url) if url else None
        self.template = workdir / "template.db"
        self.setup_seconds: float | None = None
        self._count = 0

    def sqlite_template(self) -> Path:
        if not self.template.exists():
            start = time.perf_counter()
            asyncio.run(populate(f"sqlite+aiosqlite:///{self.template}", self.n))
            con = sqlite3.connect(self.template)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.close()
            if self.pg_url is None:
                self.setup_seconds = time.perf_counter() - start
        return self.template

    def fresh_sqlite(self) -> Path:
        self._count += 1
        path = self.workdir / f"run{self._count}.db"
        shutil.copyfile(self.sqlite_template(), path)
        return path

    def fresh(self) -> str:
        """URL of a fresh database with N drafts (SQLite copy, or PostgreSQL rebuilt)."""
        if self.pg_url is None:
            return f"sqlite+aiosqlite:///{self.fresh_sqlite()}"
        start = time.perf_counter()
        asyncio.run(populate(self.pg_url, self.n))
        self.setup_seconds = time.perf_counter() - start
        return self.pg_url

    def discard(self, url: str) -> None:
        if url.startswith("sqlite"):
            self.remove(Path(url.split("///", 1)[1]))

    @staticmethod
    def remove(path: Path) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


# ----------------------------------------------------------------------------- service
def expect(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"bench_bulk: error: {what}")


async def count_events(db: Any) -> int | None:
    """Rows in the events outbox (issue 13), None before it existed (an older checkout)."""
    from sqlalchemy import inspect, text

    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        if "events" not in tables:
            return None
        return int((await conn.execute(text("SELECT count(*) FROM events"))).scalar_one())


async def service_run(
    url: str,
    n: int,
    profile: Callable[[str, Any], Any] | None = None,
) -> dict[str, tuple[float, float, int, int | None]]:
    """Time each step through PaymentFlowService.bulk: label -> (wall s, CPU s, statements,
    events written: outbox rows added by the step, counted outside the timer; None when the
    schema has no outbox).

    CPU time is the whole process's (the aiosqlite worker thread included; a PostgreSQL
    server's is not): less disturbed than wall time by other work on the machine."""
    from sqlalchemy import event, text

    from payctl.db.engine import Database
    from payctl.services.payments.payment_flow_service import PaymentFlowService
    from payctl.services.payments.payment_queries import PaymentFilter
    from payctl.services.payments.selection import Selection

    db = Database(url)
    count = [0]

    def on_execute(*_args: Any) -> None:
        count[0] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    out: dict[str, tuple[float, float, int, int | None]] = {}
    try:
        async with db.engine.connect() as conn:  # open the pooled connection outside the timer
            await conn.execute(text("SELECT 1"))
        for label, action, state in SERVICE_STEPS:
            selection = Selection(filters=PaymentFilter(state=state))
            events_before = await count_events(db)
            count[0] = 0
            hook = profile(label, db.engine) if profile else None
            start, cpu = time.perf_counter(), time.process_time()
            async with db.session() as session:
                report = await PaymentFlowService(session, USER).bulk(action, selection)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            if hook:
                hook()
            expect(
                report.succeeded == n and report.failed == 0,
                f"service {label}: {report.succeeded} ok, {report.failed} failed of {n}: "
                + "; ".join(i.message for i in report.items if not i.ok)[:300],
            )
            statements = count[0]
            events_after = await count_events(db)
            written = None if events_before is None else (events_after or 0) - events_before
            out[label] = (elapsed, cpu, statements, written)
    finally:
        await db.dispose()
    return out


# ----------------------------------------------------------------------------- CLI
def payctl_command() -> list[str]:
    script = Path(sys.executable).with_name("payctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "payctl"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_run(url: str, n: int) -> tuple[float, float]:
    """Wall and CPU seconds of one ``payctl bulk confirm`` process."""
    env = dict(os.environ, PAYCTL_DATABASE_URL=plain_url(url), PAYCTL_USER=USER)
    cmd = payctl_command() + ["--quiet", "bulk", "confirm", "--state", "draft", "--format", "json"]
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    expect(proc.returncode == 0, f"CLI exited {proc.returncode}: {proc.stderr.strip()[:300]}")
    summary = json.loads(proc.stdout)["summary"]
    expect(summary["succeeded"] == n, f"CLI confirmed {summary['succeeded']} of {n}")
    return elapsed, cpu


# ----------------------------------------------------------------------------- baseline
BASELINE_SELECT = """
SELECT p.id, p.type, p.amount, p.partner_id, p.journal_id, p.date, p.reference, p.number,
       p.currency, p.memo, j.code, j.outstanding_receipts_account_id,
       j.outstanding_payments_account_id, j.account_id,
       a.invoice_id, a.amount, i.total, i.residual
FROM payments p
JOIN journals j ON j.id = p.journal_id
JOIN payment_allocations a ON a.payment_id = p.id
JOIN invoices i ON i.id = a.invoice_id
WHERE p.state = 'draft'
ORDER BY p.id
"""
INBOUND = {"customer_payment", "vendor_refund"}
CUSTOMER_SIDE = {"customer_payment", "customer_refund"}


def _stamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def _reserve(con: sqlite3.Connection, journal_id: int, year: int, kind: str, count: int) -> int:
    con.execute(
        "INSERT INTO sequences (journal_id, year, kind, last_value) VALUES (?, ?, ?, 0) "
        "ON CONFLICT DO NOTHING",
        (journal_id, year, kind),
    )
    (last,) = con.execute(
        "UPDATE sequences SET last_value = last_value + ? WHERE journal_id = ? AND year = ? "
        "AND kind = ? RETURNING last_value",
        (count, journal_id, year, kind),
    ).fetchone()
    return int(last) - count + 1


def _audit_rows(
    prev: str,
    events: list[tuple[int, str]],
    now: dt.datetime,
) -> tuple[list[tuple[Any, ...]], str]:
    rows = []
    at = now.replace(tzinfo=None).isoformat(timespec="microseconds")
    for pid, changes in events:
        payload = json.dumps(
            [prev, at, USER, "confirm", "payment", pid, pid, changes, None],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        digest = hashlib.sha256(payload.encode()).hexdigest()
        rows.append(
            (_stamp(now), USER, "confirm", "payment", pid, pid, changes, None, prev, digest)
        )
        prev = digest
    return rows, prev


def _baseline_confirm(con: sqlite3.Connection) -> int:
    """The row writes of a bulk confirm, with nothing between them and SQLite."""
    now = dt.datetime.now(dt.UTC)
    roles = dict(con.execute("SELECT role, id FROM accounts WHERE role IS NOT NULL"))
    drafts = con.execute(BASELINE_SELECT).fetchall()
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, d in enumerate(drafts):
        groups[(d[4], int(d[5][:4]))].append(index)
    numbers: list[str] = [""] * len(drafts)
    entry_numbers: list[str] = [""] * len(drafts)
    for (journal_id, year), indexes in sorted(groups.items()):
        code = drafts[indexes[0]][10]
        first = _reserve(con, journal_id, year, "payment", len(indexes))
        first_entry = _reserve(con, journal_id, year, "entry", len(indexes))
        for offset, index in enumerate(indexes):
            numbers[index] = drafts[index][7] or f"{code}/{year}/{first + offset:05d}"
            entry_numbers[index] = f"JE/{code}/{year}/{first_entry + offset:05d}"
    (next_id,) = con.execute("SELECT coalesce(max(id), 0) + 1 FROM journal_entries").fetchone()
    entries, lines, invoices, payments, events = [], [], [], [], []
    stamp = _stamp(now)
    for k, (
        pid,
        ptype,
        amount,
        partner,
        journal_id,
        date,
        ref,
        _num,
        cur,
        memo,
        _code,
        receipts,
        outgoing,
        liquidity_acc,
        invoice_id,
        alloc,
        total,
        residual,
    ) in enumerate(drafts):
        entry_id, number, inbound = next_id + k, numbers[k], ptype in INBOUND
        liquidity = (receipts if inbound else outgoing) or liquidity_acc
        counterpart = roles["receivable" if ptype in CUSTOMER_SIDE else "payable"]
        label = ref or number
        entries.append(
            (entry_id, entry_numbers[k], journal_id, date, "payment", pid, pid, number, USER, stamp)
        )
        debit_acc, credit_acc = (liquidity, counterpart) if inbound else (counterpart, liquidity)
        lines.append((entry_id, debit_acc, partner, amount, 0, label))
        lines.append((entry_id, credit_acc, partner, 0, amount, label))
        left = residual - alloc
        invoices.append(
            (left, "paid" if left == 0 else "open" if left == total else "partial", invoice_id)
        )
        payments.append((number, USER, stamp, stamp, pid))
        snapshot = {
            "number": number,
            "type": ptype,
            "state": "posted",
            "partner_id": partner,
            "journal_id": journal_id,
            "amount": amount,
            "currency": cur,
            "date": date,
            "reference": ref,
            "memo": memo,
            "allocations": {str(invoice_id): alloc},
        }
        events.append(
            (
                pid,
                json.dumps(
                    {"state": "posted", "number": number, "snapshot": snapshot},
                    sort_keys=True,
                    separators=(",", ":"),
                    ensure_ascii=False,
                ),
            )
        )
    con.executemany(
        "INSERT INTO journal_entries (id, number, journal_id, date, source_type, source_id, "
        "payment_id, memo, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        entries,
    )
    con.executemany(
        "INSERT INTO journal_lines (entry_id, account_id, partner_id, debit, credit, "
        "label) VALUES (?, ?, ?, ?, ?, ?)",
        lines,
    )
    con.executemany("UPDATE invoices SET residual = ?, state = ? WHERE id = ?", invoices)
    con.executemany(
        "UPDATE payments SET state = 'posted', number = ?, confirmed_by = ?, "
        "confirmed_at = ?, updated_at = ? WHERE id = ?",
        payments,
    )
    (head,) = con.execute("SELECT last_hash FROM audit_head WHERE id = 1").fetchone()
    audit_rows, last = _audit_rows(head, events, now)
    con.executemany(
        "INSERT INTO audit_log (at, user, action, object_type, object_id, payment_id, changes, "
        "reason, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        audit_rows,
    )
    con.execute("UPDATE audit_head SET last_hash = ? WHERE id = 1", (last,))
    return len(drafts)


def baseline_run(path: Path, n: int) -> tuple[float, float]:
    con = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        for pragma in (
            "busy_timeout = 30000",
            "journal_mode = WAL",
            "synchronous = NORMAL",
            "foreign_keys = ON",
        ):
            con.execute(f"PRAGMA {pragma}")
        start, cpu = time.perf_counter(), time.process_time()
        con.execute("BEGIN IMMEDIATE")
        done = _baseline_confirm(con)
        con.execute("COMMIT")
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        (posted,) = con.execute("SELECT count(*) FROM payments WHERE state = 'posted'").fetchone()
        (lines,) = con.execute(
            "SELECT count(*) FROM journal_lines jl JOIN journal_entries je "
            "ON je.id = jl.entry_id WHERE je.source_type = 'payment'"
        ).fetchone()
    finally:
        con.close()
    expect(
        done == n and posted == n and lines == 2 * n,
        f"baseline wrote {posted} posted payments / {lines} lines for {n}",
    )
    return elapsed, cpu


# ----------------------------------------------------------------------------- profile
class Profiler:
    """cProfile of one service step, plus SQL time per statement (engine events).

    Runs on its own extra set of fresh data, so its overhead stays out of the timings."""

    def __init__(self, step: str) -> None:
        self.step = step
        self.profile = cProfile.Profile()
        self.sql: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        self.active = False
        self.gc = [0, 0.0, 0.0]  # collections, seconds, start of the running one

    def _on_gc(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self.gc[2] = time.perf_counter()
        elif self.active:
            self.gc[0] += 1
            self.gc[1] += time.perf_counter() - self.gc[2]

    def __call__(self, label: str, engine: Any) -> Callable[[], None] | None:
        if label != self.step:
            return None
        from sqlalchemy import event

        def before(conn: Any, *_a: Any) -> None:
            conn.info.setdefault("bench_t0", []).append(time.perf_counter())

        def after(conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
            took = time.perf_counter() - conn.info["bench_t0"].pop()
            if self.active:
                key = " ".join(statement.split())[:110]
                self.sql[key][0] += 1
                self.sql[key][1] += took

        event.listen(engine.sync_engine, "before_cursor_execute", before)
        event.listen(engine.sync_engine, "after_cursor_execute", after)
        gc.callbacks.append(self._on_gc)
        self.active = True
        self.started = time.perf_counter()
        self.profile.enable()
        return self.stop

    def stop(self) -> None:
        self.profile.disable()
        self.wall = time.perf_counter() - self.started
        self.active = False
        gc.callbacks.remove(self._on_gc)

    def report(self, top: int) -> str:
        out = io.StringIO()
        out.write(
            f"\n--- profiled bulk {self.step}: {self.wall:.3f} s wall under cProfile; "
            f"{self.gc[0]} garbage collections took {self.gc[1]:.3f} s of it ---\n"
        )
        for key in ("tottime", "cumulative"):
            out.write(f"\n--- cProfile of one service bulk {self.step}, top {top} by {key} ---\n")
            pstats.Stats(self.profile, stream=out).sort_stats(key).print_stats(top)
        rows = sorted(self.sql.items(), key=lambda kv: -kv[1][1])
        out.write(
            f"\n--- SQL during that bulk {self.step}: "
            f"{sum(int(v[0]) for _k, v in rows)} statements, "
            f"{sum(v[1] for _k, v in rows):.3f} s between before/after_cursor_execute ---\n"
        )
        for statement, (count, seconds) in rows[:top]:
            out.write(f"{seconds:8.4f}s {int(count):5d}x  {statement}\n")
        return out.getvalue()


# ----------------------------------------------------------------------------- paired
def against_command(checkout: Path) -> list[str]:
    """The other checkout's bench_bulk.py under its own virtualenv (else this interpreter)."""
    python = checkout / ".venv" / "bin" / "python"
    script = checkout / "benchmarks" / "bench_bulk.py"
    if not script.exists():
        raise SystemExit(f"bench_bulk: error: --against {checkout}: no benchmarks/bench_bulk.py")
    return [str(python if python.exists() else Path(sys.executable)), str(script)]


def paired_runs(
    args: argparse.Namespace, log: Callable[[str], None]
) -> dict[str, dict[str, list[float]]]:
    """``--against DIR``: this checkout's and DIR's bench_bulk.py run one after the other,
    ``--repeat`` pairs of one run each (whole fresh data every run), the order swapped from
    pair to pair so that both see the same drift of the machine's load. Returns, for
    "this" and "against", each service step's wall and CPU seconds, run by run."""
    common = ["--n", str(args.n), "--repeat", "1", "--no-cli", "--json"]
    if args.database_url:
        common += ["--database-url", args.database_url, "--i-know-this-drops-everything"]
    commands = {
        "this": [sys.executable, str(Path(__file__).resolve())],
        "against": against_command(Path(args.against)),
    }
    out: dict[str, dict[str, list[float]]] = {
        side: defaultdict(list) for side in ("this", "against")
    }
    for pair in range(args.repeat):
        order = ("against", "this") if pair % 2 == 0 else ("this", "against")
        for side in order:
            log(f"pair {pair + 1}/{args.repeat}: {side}")
            env = dict(os.environ)
            env.pop("PYTHONPATH", None)  # each checkout imports its own payctl
            proc = subprocess.run(
                commands[side] + common, capture_output=True, text=True, check=False, env=env
            )
            expect(
                proc.returncode == 0, f"{side} run exited {proc.returncode}: {proc.stderr[-300:]}"
            )
            measured = json.loads(proc.stdout)["measurements"]
            for label, _a, _s in SERVICE_STEPS:
                item = measured[f"service.{label}"]
                out[side][f"{label}.wall"].append(item["median_s"])
                out[side][f"{label}.cpu"].append(item["cpu_median_s"])
    return out


def render_pairs(pairs: dict[str, dict[str, list[float]]], args: argparse.Namespace) -> str:
    lines = [
        f"paired runs: this checkout ({revision()}) against {args.against} "
        f"({revision(Path(args.against))}), {args.repeat} pairs, N={args.n}, "
        f"{'PostgreSQL' if args.database_url else 'SQLite'}; medians, ratio this / against",
        f"{'service step':<14} {'wall':>8} {'against':>8} {'ratio':>6}   "
        f"{'cpu':>8} {'against':>8} {'ratio':>6}   {'cpu ratio per pair (min-median-max)':>36}",
    ]
    for label, _a, _s in SERVICE_STEPS:
        row = f"{label:<14}"
        for kind in ("wall", "cpu"):
            mine = statistics.median(pairs["this"][f"{label}.{kind}"])
            theirs = statistics.median(pairs["against"][f"{label}.{kind}"])
            row += f" {mine:>8.3f} {theirs:>8.3f} {mine / theirs:>6.2f}  "
        per_pair = sorted(
            a / b
            for a, b in zip(
                pairs["this"][f"{label}.cpu"], pairs["against"][f"{label}.cpu"], strict=True
            )
        )
        row += f" {per_pair[0]:>10.2f} - {statistics.median(per_pair):.2f} - {per_pair[-1]:.2f}"
        lines.append(row)
    lines.append(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- running
def add(item: Measurement, wall_cpu: tuple[float, float]) -> None:
    item.samples.append(wall_cpu[0])
    item.cpu.append(wall_cpu[1])


def measure(
    args: argparse.Namespace,
    fixtures: Fixtures,
    log: Callable[[str], None],
) -> dict[str, Measurement]:
    pg = fixtures.pg_url is not None
    big = args.n == TARGET_N
    m = {
        f"service.{label}": Measurement(
            f"service.{label}", f"service: bulk {label} ({SERVICE_HELP[label]})"
        )
        for label, _a, _s in SERVICE_STEPS
    }
    m["service.confirm"].target = (1.0 if pg else 0.5) if big else None
    if not args.no_cli:
        m["cli.confirm"] = Measurement(
            "cli.confirm",
            "CLI: payctl bulk confirm (whole process)",
            target=None if pg or not big else 1.5,
        )
    m["baseline"] = Measurement("baseline", "baseline: sqlite3 executemany, one transaction")
    for run in range(1, args.repeat + 1):
        log(f"run {run}/{args.repeat}: service")
        url = fixtures.fresh()
        timings = asyncio.run(service_run(url, args.n))
        fixtures.discard(url)
        for label, (seconds, cpu, statements, written) in timings.items():
            m[f"service.{label}"].samples.append(seconds)
            m[f"service.{label}"].cpu.append(cpu)
            m[f"service.{label}"].statements.append(statements)
            if written is not None:
                m[f"service.{label}"].events.append(written)
        if not args.no_cli:
            log(f"run {run}/{args.repeat}: CLI")
            url = fixtures.fresh()
            add(m["cli.confirm"], cli_run(url, args.n))
            fixtures.discard(url)
        log(f"run {run}/{args.repeat}: baseline")
        path = fixtures.fresh_sqlite()
        add(m["baseline"], baseline_run(path, args.n))
        fixtures.remove(path)
    return m


def profile_step(args: argparse.Namespace, fixtures: Fixtures) -> Profiler:
    profiler = Profiler(args.profile)
    url = fixtures.fresh()
    asyncio.run(service_run(url, args.n, profiler))
    fixtures.discard(url)
    return profiler


def ratios(m: dict[str, Measurement], cpu: bool = False) -> dict[str, float]:
    floor = m["baseline"].cpu_median if cpu else m["baseline"].median
    return {k: (v.cpu_median if cpu else v.median) / floor for k, v in m.items() if k != "baseline"}


def render_table(m: dict[str, Measurement], info: dict[str, Any]) -> str:
    ratio, cpu_ratio = ratios(m), ratios(m, cpu=True)
    how = (
        "once, then the file is copied for each run"
        if info["backend"] == "sqlite"
        else "for each run"
    )
    head = (
        f"payctl bulk benchmark: {info['backend']} ({info['database']}), N={info['n']} "
        f"drafts, {info['repeat']} runs each on fresh data; payctl {info['revision']}\n"
        f"setup of N drafts through the services: {info['setup_s']:.2f} s ({how})\n"
        f"load average at the end: {info['load']} on {info['cpus']} CPUs; other work on "
        "the machine makes wall times noisy: read the medians, and CPU time beside them\n"
    )
    cols = (
        f"{'measurement (wall seconds unless said)':<56} {'median':>7} {'min':>6} "
        f"{'max':>6} {'cpu':>6} {'stmts':>5} {'x base':>6} {'target':>8} {'result':>6}"
    )
    lines = [head, cols, "-" * len(cols)]
    for key, item in m.items():
        stmts = f"{statistics.median(item.statements):.0f}" if item.statements else ""
        rel = f"{ratio[key]:.1f}x" if key in ratio else ""
        target = f"<= {item.target:g} s" if item.target is not None else ""
        lines.append(
            f"{item.label:<56} {item.median:>7.3f} {min(item.samples):>6.3f} "
            f"{max(item.samples):>6.3f} {item.cpu_median:>6.3f} {stmts:>5} {rel:>6} "
            f"{target:>8} {verdict(item.median, item.target) or '':>6}"
        )
    goal = ratio["service.confirm"]
    lines.append("-" * len(cols))
    lines.append(
        f"{'ratio service confirm / baseline (wall medians)':<56} {goal:>6.1f}x "
        f"{'':>6} {'':>6} {'':>6} {'':>5} {'':>6} {'<= 5x':>8} "
        f"{'PASS' if goal <= 5 else 'MISS':>6}"
    )
    lines.append(
        f"{'ratio service confirm / baseline (CPU medians)':<56} "
        f"{cpu_ratio['service.confirm']:>6.1f}x"
    )
    lines.append(
        "cpu: CPU seconds of the benchmark process (service, baseline; SQLite's "
        "worker thread included) or of the payctl child process (CLI)"
    )
    if info["backend"] != "sqlite":
        lines.append(
            "PostgreSQL: the server's own CPU time is not in the cpu column; the "
            "baseline is SQLite, so the ratio compares backends (the 5x target is "
            "SQLite's)"
        )
    if info["n"] != TARGET_N:
        lines.append(f"time targets are stated for N={TARGET_N}; not judged for N={info['n']}")
    for item in m.values():
        if item.events_per_second is not None:
            lines.append(
                f"events outbox, {item.label}: {statistics.median(item.events):.0f} events "
                f"written, {item.events_per_second:,.0f} events/s (median wall)"
            )
    return "\n".join(lines)


def revision(root: Path = ROOT) -> str:
    """The checked-out commit, "+dirty" when the working tree differs (figures depend on it)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "payctl"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time payctl bulk confirm/reset/cancel against a plain sqlite3 floor "
        "(issue 4). Targets are informational; the exit code is 0 when every "
        "run produced the expected states."
    )
    parser.add_argument("--n", type=int, default=TARGET_N, help="drafts per run (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument(
        "--database-url",
        help="postgresql://... to benchmark PostgreSQL: its "
        "schema public is DROPPED and recreated for every run (default: SQLite "
        "temp files)",
    )
    parser.add_argument(
        "--i-know-this-drops-everything", action="store_true", help="required with --database-url"
    )
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI process runs")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="confirm",
        metavar="STEP",
        choices=[label for label, _a, _s in SERVICE_STEPS],
        help="afterwards, profile one more service run's STEP (default: "
        "confirm; or reset, re-confirm, cancel) with cProfile and break "
        "its SQL time down per statement; printed after the figures",
    )
    parser.add_argument("--top", type=int, default=25, help="profile rows to show (default 25)")
    parser.add_argument(
        "--against",
        metavar="DIR",
        help="instead: paired runs of this checkout and the checkout DIR (its "
        "benchmarks/bench_bulk.py under DIR/.venv), --repeat pairs, order swapped each pair; "
        "prints the medians of each service step and the ratios this / DIR",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be at least 1")
    if args.database_url:
        if not is_postgres(args.database_url):
            parser.error("--database-url must be a postgresql:// URL (SQLite uses temp files)")
        if not args.i_know_this_drops_everything:
            parser.error(
                "--database-url: every run drops schema public of that database; "
                "add --i-know-this-drops-everything"
            )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def log(text: str) -> None:
        print(f"bench_bulk: {text}", file=sys.stderr, flush=True)

    from payctl.config import mask_url, normalise_url

    if args.against:
        pairs = paired_runs(args, log)
        if args.json:
            print(json.dumps({side: dict(v) for side, v in pairs.items()}, indent=2))
        else:
            print(render_pairs(pairs, args))
        return 0
    if args.database_url:
        try:
            asyncio.run(reset_postgres(normalise_url(args.database_url)))
        except Exception as exc:  # unreachable server, unknown database, bad password
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(
                f"bench_bulk: error: cannot use {mask_url(args.database_url)}: {text}",
                file=sys.stderr,
            )
            return 2
    with tempfile.TemporaryDirectory(prefix="payctl-bench-") as tmp:
        fixtures = Fixtures(args.database_url, args.n, Path(tmp))
        log(f"creating {args.n} drafts (SQLite template)")
        fixtures.sqlite_template()
        m = measure(args, fixtures, log)
        profiler = None
        if args.profile:
            log(f"profiling one more service bulk {args.profile}")
            profiler = profile_step(args, fixtures)
    info = {
        "backend": "postgresql" if args.database_url else "sqlite",
        "database": mask_url(args.database_url) if args.database_url else "temp file",
        "n": args.n,
        "repeat": args.repeat,
        "setup_s": fixtures.setup_seconds or 0.0,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "revision": revision(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if args.json:
        ratio = ratios(m)
        print(
            json.dumps(
                {
                    **info,
                    "measurements": {k: v.as_json() for k, v in m.items()},
                    "ratios_to_baseline": {k: round(v, 2) for k, v in ratio.items()},
                    "cpu_ratios_to_baseline": {
                        k: round(v, 2) for k, v in ratios(m, cpu=True).items()
                    },
                    "ratio_target": 5.0,
                    "ratio_result": "PASS" if ratio["service.confirm"] <= 5 else "MISS",
                },
                indent=2,
            )
        )
    else:
        print(render_table(m, info))
    if profiler is not None:
        out = sys.stderr if args.json else sys.stdout
        print(profiler.report(args.top), file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

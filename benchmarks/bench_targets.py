#!/usr/bin/env python3
"""Issue 12, point 1: every row of the issue's table in one run, at three sizes, on SQLite and
PostgreSQL, each beside its baseline and the issue's target.

Every payctl figure is a whole process (`payctl` next to this interpreter, else `python -m
payctl`): wall time and peak RSS of that child alone (os.wait4, as /usr/bin/time -v reports
them), median (min-max) of --repeat runs (at least 3), each run on fresh data. Each row is
measured at three sizes with the cost per line (per row) so the growth shows, and beside a
baseline measured in the same run: plain stdlib `sqlite3` (executemany / fetchall) or asyncpg
(copy_records_to_table / COPY TO) doing the same row writes or reads. The issue's target is
judged (met / not met) at the issue's own size only; other sizes print "-".

The data are the existing benchmarks' builders, imported: bench_import (partners, open
invoices, a bank CSV, the books bench_check imports with --auto-confirm), bench_bulk (N drafts,
the sqlite3 bulk-confirm floor), and sample_data/tour.sh (the sample database).

    python benchmarks/bench_targets.py --sqlite-only --quick          # smoke run
    python benchmarks/bench_targets.py --i-know-this-drops-everything # every row, both backends
    python benchmarks/bench_targets.py --i-know-this-drops-everything --only import,bulk --json

PostgreSQL: $PAYCTL_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/
payctl_bench) names a database this script owns: it DROPS and recreates it (and
<name>_template) for every run, so it refuses to start without --i-know-this-drops-everything
(or use --sqlite-only).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_bulk  # noqa: E402
import bench_import  # noqa: E402
from common import ProcessRun, run_process  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/payctl_bench"
USER = "bench"
PARTNERS = 3_000
ROWS = ["startup", "import", "bulk", "books"]
SIZES = {"import": [10_000, 100_000, 1_000_000], "bulk": [1_000, 10_000, 50_000]}
SIZES["books"] = [5_000, 50_000, 100_000]
QUICK = {"import": [1_000, 2_000, 4_000], "bulk": [100, 300, 1_000], "books": [500, 1_000, 2_000]}
READ_TABLES = [
    "invoices",
    "payments",
    "payment_allocations",
    "journal_entries",
    "journal_lines",
    "bank_lines",
    "audit_log",
]


# ----------------------------------------------------------------------------- results
@dataclass
class Row:
    """One figure: a measure on a backend at a size, beside its baseline and target."""

    group: str  # the row: "start-up", "import", "re-import", "bulk", ...
    measure: str
    backend: str
    size: int | None
    unit: str  # what the size counts ("lines", "drafts", "rows")
    walls: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)  # user + system seconds of the child
    baseline_label: str = ""
    baseline: list[float] = field(default_factory=list)
    target: str = ""
    result: str = ""  # "met" / "not met" / "" when not judged at this size

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else 0.0

    def add(self, run: ProcessRun) -> None:
        self.walls.append(run.wall)
        self.rss.append(run.rss_mb)
        self.cpus.append(run.cpu)

    @property
    def rss_mb(self) -> float:
        return statistics.median(self.rss) if self.rss else 0.0

    @property
    def ratio(self) -> float | None:
        return self.wall / statistics.median(self.baseline) if self.baseline else None

    def per_unit_us(self) -> float | None:
        return self.wall / self.size * 1e6 if self.size else None

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            wall_median_s=round(self.wall, 4),
            cpu_median_s=round(self.cpu, 4),
            rss_median_mb=round(self.rss_mb, 1),
            baseline_median_s=round(statistics.median(self.baseline), 4) if self.baseline else None,
            ratio=round(r, 2) if (r := self.ratio) is not None else None,
            per_unit_us=round(p, 2) if (p := self.per_unit_us()) is not None else None,
        )
        return out


def judge(row: Row, wall_max: float | None = None, rss_max: float | None = None) -> None:
    """Set row.target and row.result from the issue's limits."""
    parts = []
    if wall_max is not None:
        parts.append(f"<= {wall_max:g} s")
    if rss_max is not None:
        parts.append(f"<= {rss_max:g} MB")
    row.target = ", ".join(parts)
    ok = (wall_max is None or row.wall <= wall_max) and (rss_max is None or row.rss_mb <= rss_max)
    row.result = "met" if ok else "not met"


def log(text: str) -> None:
    print(f"bench_targets: {text}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- backends
class Backend:
    """Fresh databases of one backend: a template built once, cloned for every run."""

    name = ""

    def payctl(self, url: str, *args: str, env_extra: dict[str, str] | None = None) -> ProcessRun:
        env = dict(os.environ, PAYCTL_DATABASE_URL=url, PAYCTL_USER=USER, **(env_extra or {}))
        run = run_process(bench_import.payctl_command() + ["--quiet", *args], env)
        if run.returncode != 0:
            raise SystemExit(
                f"bench_targets: payctl {' '.join(args)} on {self.name} exited "
                f"{run.returncode}: {run.stderr.decode()[-1500:]}"
            )
        return run


class SQLite(Backend):
    name = "sqlite"

    def __init__(self, work: Path) -> None:
        self.work = work
        self.count = 0

    def template(self) -> str:
        path = self.work / "template.db"
        bench_bulk.Fixtures.remove(path)
        return f"sqlite+aiosqlite:///{path}"

    def seal(self) -> None:
        con = sqlite3.connect(self.work / "template.db")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()

    def clone(self) -> str:
        self.count += 1
        path = self.work / f"run{self.count}.db"
        shutil.copyfile(self.work / "template.db", path)
        return f"sqlite:///{path}"

    def path(self, url: str) -> Path:
        return Path(url.split("///", 1)[1])

    def discard(self, url: str) -> None:
        bench_bulk.Fixtures.remove(self.path(url))


class Postgres(Backend):
    name = "postgresql"

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        self.db = self.url.database or "payctl_bench"
        self.tpl = f"{self.db}_template"

    def _url(self, database: str, driver: str = "postgresql") -> str:
        return self.url.set(drivername=driver, database=database).render_as_string(
            hide_password=False
        )

    def admin(self, *statements: str) -> None:
        import asyncpg

        async def run() -> None:
            conn = await asyncpg.connect(self._url("postgres"), timeout=10)
            try:
                for stmt in statements:
                    await conn.execute(stmt)
            finally:
                await conn.close()

        asyncio.run(run())

    def template(self) -> str:
        self.admin(
            f'DROP DATABASE IF EXISTS "{self.tpl}" WITH (FORCE)', f'CREATE DATABASE "{self.tpl}"'
        )
        return self._url(self.tpl, "postgresql+asyncpg")

    def seal(self) -> None:
        pass

    def clone(self) -> str:
        self.admin(
            f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)',
            f'CREATE DATABASE "{self.db}" TEMPLATE "{self.tpl}"',
        )
        return self._url(self.db)

    def discard(self, url: str) -> None:
        pass

    def drop_all(self) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{self.tpl}" WITH (FORCE)')


async def pg_run(url: str, work: Callable[[Any], Any]) -> float:
    """Seconds of WORK(connection) inside one transaction on a fresh asyncpg connection."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        start = time.perf_counter()
        async with conn.transaction():
            await work(conn)
        return time.perf_counter() - start
    finally:
        await conn.close()


def csv_rows(csv_path: Path) -> list[tuple[Any, ...]]:
    with csv_path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        return [(r[0], int(r[1].replace(".", "")), r[2], r[3], r[4], r[5], r[6]) for r in reader]


# ----------------------------------------------------------------------------- baselines
def import_baseline(backend: Backend, url: str, csv_path: Path, work: Path) -> float:
    """Floor of an import: read the CSV and write its lines in one transaction."""
    if isinstance(backend, SQLite):
        return bench_import.baseline(csv_path, work)

    async def copy(conn: Any) -> None:
        await conn.execute(
            "CREATE TEMP TABLE floor_lines (booking_date TEXT, amount BIGINT, currency TEXT, "
            "counterparty_name TEXT, counterparty_account TEXT, remittance TEXT, "
            "transaction_id TEXT UNIQUE) ON COMMIT DROP"
        )
        await conn.copy_records_to_table("floor_lines", records=csv_rows(csv_path))

    return asyncio.run(pg_run(url, copy))


def reimport_baseline(backend: Backend, url: str, csv_path: Path) -> float:
    """Floor of a re-import that adds nothing: read the CSV and the stored transaction ids,
    keep the lines not seen (none)."""
    if isinstance(backend, SQLite):
        start = time.perf_counter()
        con = sqlite3.connect(backend.path(url))
        seen = {t for (t,) in con.execute("SELECT transaction_id FROM bank_lines")}
        new = [r for r in csv_rows(csv_path) if r[6] not in seen]
        con.close()
        assert not new
        return time.perf_counter() - start

    async def read(conn: Any) -> None:
        seen = {r[0] for r in await conn.fetch("SELECT transaction_id FROM bank_lines")}
        assert not [r for r in csv_rows(csv_path) if r[6] not in seen]

    return asyncio.run(pg_run(url, read))


def bulk_baseline(backend: Backend, url: str, n: int) -> float:
    """Floor of a bulk confirm of N drafts. SQLite: bench_bulk's sqlite3 executemany of the
    same row writes. PostgreSQL: COPY of as many rows (N entries, 2N lines, N audit rows)
    into scratch tables and the two set-wise UPDATEs of payments and invoices."""
    if isinstance(backend, SQLite):
        return bench_bulk.baseline_run(backend.path(url), n)[0]

    async def write(conn: Any) -> None:
        await conn.execute(
            "CREATE TEMP TABLE floor_entries (id BIGINT, number TEXT, journal_id BIGINT, "
            "date TEXT, payment_id BIGINT) ON COMMIT DROP;"
            "CREATE TEMP TABLE floor_lines (entry_id BIGINT, account_id BIGINT, debit BIGINT, "
            "credit BIGINT, partner_id BIGINT) ON COMMIT DROP;"
            "CREATE TEMP TABLE floor_audit (at TEXT, usr TEXT, action TEXT, entity TEXT, "
            "entity_id BIGINT, changes TEXT, prev_hash TEXT, hash TEXT) ON COMMIT DROP"
        )
        drafts = await conn.fetch(
            "SELECT id, journal_id, date::text, partner_id, amount FROM payments "
            "WHERE state = 'draft' ORDER BY id"
        )
        entries = [(k, f"JE/{k:06d}", d[1], d[2], d[0]) for k, d in enumerate(drafts)]
        lines = [(k, 1, d[4], 0, d[3]) for k, d in enumerate(drafts)]
        lines += [(k, 2, 0, d[4], d[3]) for k, d in enumerate(drafts)]
        audit = [("now", USER, "confirm", "payment", d[0], "{}", "p", "h") for d in drafts]
        await conn.copy_records_to_table("floor_entries", records=entries)
        await conn.copy_records_to_table("floor_lines", records=lines)
        await conn.copy_records_to_table("floor_audit", records=audit)
        await conn.execute("UPDATE payments SET state = 'posted' WHERE state = 'draft'")
        await conn.execute(
            "UPDATE invoices SET residual = 0 WHERE id IN "
            "(SELECT invoice_id FROM payment_allocations)"
        )

    return asyncio.run(pg_run(url, write))


def read_baseline(backend: Backend, url: str) -> float:
    """Floor of check / export: read every row of the tables they read, once."""
    if isinstance(backend, SQLite):
        start = time.perf_counter()
        con = sqlite3.connect(backend.path(url))
        for table in READ_TABLES:
            con.execute(f"SELECT * FROM {table}").fetchall()
        con.close()
        return time.perf_counter() - start

    async def read(conn: Any) -> None:
        for table in READ_TABLES:
            await conn.copy_from_query(f"SELECT * FROM {table}", output=io.BytesIO())

    return asyncio.run(pg_run(url, read))


def startup_baseline(backend: Backend, url: str, what: str) -> ProcessRun:
    """A whole-process floor: a Python process (or psql) reading the same kind of rows."""
    if what == "--help":
        cmd = [sys.executable, "-c", "import argparse; argparse.ArgumentParser().print_help()"]
        return run_process(cmd)
    query = "SELECT * FROM payments ORDER BY id DESC LIMIT 50"
    if isinstance(backend, SQLite):
        code = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()"
        return run_process([sys.executable, "-c", code, str(backend.path(url)), query])
    psql = shutil.which("psql")
    if psql:
        return run_process([psql, url, "-qAt", "-c", query, "-o", os.devnull])
    code = (
        "import asyncio, asyncpg, sys\n"
        "async def main():\n"
        "    c = await asyncpg.connect(sys.argv[1]); await c.fetch(sys.argv[2]); await c.close()\n"
        "asyncio.run(main())"
    )
    return run_process([sys.executable, "-c", code, url, query])


# ----------------------------------------------------------------------------- rows
def startup_rows(backend: Backend, repeat: int) -> list[Row]:
    """`payctl list` / `show` / `summary` on the sample database (sample_data/tour.sh), and
    `payctl --help` (SQLite only: it opens no database)."""
    url = backend.template()
    if isinstance(backend, SQLite):
        url = url.replace("sqlite+aiosqlite", "sqlite")
    env = dict(os.environ, PAYCTL_DATABASE_URL=url, PAYCTL_USER=USER)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    tour = run_process(["bash", str(ROOT / "sample_data" / "tour.sh")], env)
    if tour.returncode != 0:
        raise SystemExit(f"bench_targets: sample_data/tour.sh failed: {tour.stderr.decode()}")
    backend.seal()
    url = backend.clone()
    commands = {"list": ["list"], "show": ["show", "1"], "summary": ["summary"]}
    if isinstance(backend, SQLite):
        commands["--help"] = ["--help"]
    rows = []
    for name, args in commands.items():
        backend.payctl(url, *args)  # warm the file cache once; not counted
        label = "payctl --help" if name == "--help" else f"payctl {name} (sample database)"
        row = Row("start-up", label, backend.name, None, "")
        for _ in range(repeat):
            row.add(backend.payctl(url, *args))
        kind = "--help" if name == "--help" else "read"
        row.baseline_label = (
            "python -c argparse help"
            if kind == "--help"
            else ("python -c sqlite3 SELECT" if isinstance(backend, SQLite) else "psql SELECT")
        )
        row.baseline = [startup_baseline(backend, url, name).wall for _ in range(repeat)]
        if isinstance(backend, SQLite):
            judge(row, 0.15 if name == "--help" else 0.35)
        rows.append(row)
    backend.discard(url)
    return rows


def import_rows(
    backend: Backend, sizes: list[int], repeat: int, work: Path, seed: int
) -> list[Row]:
    """`payctl import` of N CSV lines against N/2 open invoices (bench_import's data), then the
    same file again (adds nothing)."""
    rows = []
    for n in sizes:
        rnd = random.Random(seed)
        plist, ilist = bench_import.make_master(min(PARTNERS, max(n // 20, 50)), n // 2, rnd)
        lines, _mix = bench_import.make_lines(n, ilist, rnd)
        csv_path = work / f"import-{n}.csv"
        bench_import.write_csv(csv_path, lines)
        log(f"{backend.name}: import {n} lines: building {n // 2} open invoices")
        asyncio.run(bench_import.build_books(backend.template(), plist, ilist))
        backend.seal()
        first = Row("import", f"import {n} lines vs {n // 2} invoices", backend.name, n, "lines")
        again = Row("re-import", f"the same file again ({n} lines)", backend.name, n, "lines")
        first.baseline_label = (
            "sqlite3 executemany" if isinstance(backend, SQLite) else "asyncpg COPY"
        )
        again.baseline_label = "read CSV + stored ids, set difference"
        # The 1,000,000-line file (~75 MB) is above payctl's default import limit (50 MB).
        limit = {"PAYCTL_MAX_IMPORT_BYTES": str(max(csv_path.stat().st_size, 50 * 1024 * 1024))}
        for _ in range(repeat):
            url = backend.clone()
            cmd = ["--format", "json", "import", str(csv_path), "--journal", "BNK1"]
            one = backend.payctl(url, *cmd, env_extra=limit)
            two = backend.payctl(url, *cmd, env_extra=limit)
            if json.loads(two.stdout)["totals"]["new_lines"] != 0:
                raise SystemExit("bench_targets: second import added lines: dedup is broken")
            first.add(one)
            again.add(two)
            again.baseline.append(reimport_baseline(backend, url, csv_path))
            backend.discard(url)
            url = backend.clone()
            first.baseline.append(import_baseline(backend, url, csv_path, work))
            backend.discard(url)
        csv_path.unlink()
        if isinstance(backend, SQLite) and n == 100_000:
            judge(first, 5, 300)
            judge(again, 1)
        if isinstance(backend, SQLite) and n == 1_000_000:
            judge(first, 60, 600)
        rows += [first, again]
    return rows


def bulk_rows(backend: Backend, sizes: list[int], repeat: int) -> list[Row]:
    """`payctl bulk confirm --state draft` of N drafts (bench_bulk's data; batches of 1000)."""
    rows = []
    for n in sizes:
        log(f"{backend.name}: bulk confirm {n}: creating the drafts")
        asyncio.run(bench_bulk.populate(backend.template(), n))
        backend.seal()
        batches = -(-n // 1000)
        row = Row(
            "bulk confirm",
            f"bulk confirm of {n} drafts ({batches} batch{'es' if batches > 1 else ''})",
            backend.name,
            n,
            "drafts",
        )
        row.baseline_label = (
            "sqlite3 executemany (bench_bulk)" if isinstance(backend, SQLite) else "asyncpg COPY"
        )
        for _ in range(repeat):
            url = backend.clone()
            run = backend.payctl(url, "bulk", "confirm", "--state", "draft", "--format", "json")
            done = json.loads(run.stdout)["summary"]["succeeded"]
            if done != n:
                raise SystemExit(f"bench_targets: bulk confirm confirmed {done} of {n}")
            row.add(run)
            backend.discard(url)
            url = backend.clone()
            row.baseline.append(bulk_baseline(backend, url, n))
            backend.discard(url)
        if isinstance(backend, SQLite) and n in (1_000, 50_000):
            judge(row, 0.6 if n == 1_000 else 8)
        rows.append(row)
    return rows


def books_rows(backend: Backend, sizes: list[int], repeat: int, work: Path, seed: int) -> list[Row]:
    """bench_check's books (N open invoices) and a bank CSV of N lines imported with
    --auto-confirm (timed), then `payctl check` and `payctl export --to ledger` on the result
    (about 0.8 N posted payments)."""
    rows = []
    for n in sizes:
        rnd = random.Random(seed)
        plist, ilist = bench_import.make_master(min(PARTNERS, max(n // 20, 50)), n, rnd)
        lines, _mix = bench_import.make_lines(n, ilist, rnd)
        csv_path = work / f"books-{n}.csv"
        bench_import.write_csv(csv_path, lines)
        log(f"{backend.name}: books of {n}: building {n} open invoices")
        asyncio.run(bench_import.build_books(backend.template(), plist, ilist))
        backend.seal()
        auto = Row(
            "import --auto-confirm", f"import {n} lines --auto-confirm", backend.name, n, "lines"
        )
        auto.baseline_label = (
            "sqlite3 executemany" if isinstance(backend, SQLite) else "asyncpg COPY"
        )
        url = ""
        for k in range(repeat):
            url = backend.clone()
            run = backend.payctl(
                url, "--format", "json", "import", str(csv_path), "--journal", "BNK1",
                "--auto-confirm",
            )  # fmt: skip
            auto.add(run)
            if k < repeat - 1:
                backend.discard(url)
        # url: the books after the last import, for check and export
        check = Row("check", f"check, {n} invoices + payments", backend.name, n, "rows")
        export = Row(
            "export --to ledger", f"export --to ledger, {n} + payments", backend.name, n, "rows"
        )
        check.baseline_label = export.baseline_label = "read every row once"
        out = work / "export.journal"
        for _ in range(repeat):
            one = backend.payctl(url, "check")
            check.add(one)
            two = backend.payctl(url, "export", "--to", "ledger", "-o", str(out))
            export.add(two)
            floor = read_baseline(backend, url)
            check.baseline.append(floor)
            export.baseline.append(floor)
        out.unlink(missing_ok=True)
        backend.discard(url)
        for _ in range(repeat):
            url = backend.clone()
            auto.baseline.append(import_baseline(backend, url, csv_path, work))
            backend.discard(url)
        csv_path.unlink()
        if isinstance(backend, SQLite) and n == 50_000:
            judge(check, 1.5)
            judge(export, 3)
        rows += [auto, check, export]
    return rows


def backend_ratio_rows(rows: list[Row]) -> list[dict[str, Any]]:
    """PostgreSQL / SQLite for import --auto-confirm and check at each size (the issue's
    target: <= 2x the SQLite figure, judged at 50,000)."""
    out = []
    lite = {(r.group, r.size): r for r in rows if r.backend == "sqlite"}
    for pg in rows:
        if pg.backend != "postgresql" or pg.group not in ("import --auto-confirm", "check"):
            continue
        base = lite.get((pg.group, pg.size))
        if base is None:
            continue
        ratio = pg.wall / base.wall
        out.append(
            {
                "measure": pg.measure,
                "postgresql_s": round(pg.wall, 3),
                "sqlite_s": round(base.wall, 3),
                "ratio": round(ratio, 2),
                "target": "<= 2x SQLite",
                "result": ("met" if ratio <= 2 else "not met") if pg.size == 50_000 else "",
            }
        )
    return out


def growth(rows: list[Row]) -> list[dict[str, Any]]:
    """Per-unit cost (us) of each measure at each size, and largest / next-largest."""
    series: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        if r.size:
            series.setdefault((r.group, r.backend), []).append(r)
    out = []
    for (group, backend), items in series.items():
        items.sort(key=lambda r: r.size or 0)
        costs = {r.size: round(r.per_unit_us() or 0, 2) for r in items}
        factor = None
        if len(items) >= 2:
            factor = (items[-1].per_unit_us() or 0) / (items[-2].per_unit_us() or 1)
        out.append(
            {
                "group": group,
                "backend": backend,
                "unit": items[0].unit,
                "us_per_unit": costs,
                "largest_over_next": round(factor, 2) if factor is not None else None,
            }
        )
    return out


def render(
    rows: list[Row],
    pg_ratios: list[dict[str, Any]],
    grow: list[dict[str, Any]],
    info: dict[str, Any],
) -> str:
    head = (
        f"payctl issue 12 targets: whole-process medians of {info['repeat']} runs, "
        f"revision {info['revision']}, load average {info['load']} on {info['cpus']} CPUs"
    )
    if info["quick"]:
        head += "\nQUICK smoke sizes: targets are judged only at the issue's own sizes"
    cols = (
        f"{'measure':42} {'backend':10} {'wall s':>7} {'(min-max)':>13} {'cpu s':>6} "
        f"{'us/unit':>8} {'RSS MB':>6} {'base s':>7} {'ratio':>6}  {'target':17} result"
    )
    lines = [head, cols, "-" * len(cols)]
    for r in rows:
        per = f"{p:8.1f}" if (p := r.per_unit_us()) is not None else f"{'':8}"
        base = f"{statistics.median(r.baseline):7.3f}" if r.baseline else f"{'':7}"
        ratio = f"{x:5.1f}x" if (x := r.ratio) is not None else f"{'':6}"
        spread = f"({min(r.walls):.2f}-{max(r.walls):.2f})"
        lines.append(
            f"{r.measure[:42]:42} {r.backend:10} {r.wall:7.3f} {spread:>13} {r.cpu:6.2f} "
            f"{per} {r.rss_mb:6.0f} {base} {ratio}  {r.target or '-':17} {r.result or '-'}"
        )
    lines.append("-" * len(cols))
    lines.append("baselines (ratio = payctl wall / baseline wall, both medians):")
    labels = {(r.group, r.backend, r.baseline_label): None for r in rows}
    for group, backend, label in labels:
        lines.append(f"  {group:22} {backend:10} {label}")
    if pg_ratios:
        lines.append("PostgreSQL / SQLite (issue: <= 2x the SQLite figure, judged at 50,000):")
        for p in pg_ratios:
            lines.append(
                f"  {p['measure'][:42]:42} {p['postgresql_s']:8.3f} / {p['sqlite_s']:8.3f} = "
                f"{p['ratio']:5.2f}x  {p['result'] or '-'}"
            )
    if grow:
        lines.append(
            "growth, us per unit at each size (issue: 1,000,000 lines within 1.5x of 100,000):"
        )
        for g in grow:
            costs = " | ".join(f"{size:,}: {us:.1f}" for size, us in g["us_per_unit"].items())
            factor = g["largest_over_next"]
            lines.append(
                f"  {g['group']:22} {g['backend']:10} per {g['unit'][:-1]:5} {costs}"
                + (f"   largest / next {factor:.2f}x" if factor is not None else "")
            )
        for g in grow:
            costs = g["us_per_unit"]
            if g["group"] == "import" and 100_000 in costs and 1_000_000 in costs:
                factor = costs[1_000_000] / costs[100_000]
                lines.append(
                    f"  linear import on {g['backend']}: 1M / 100k per-line cost {factor:.2f}x "
                    f"(<= 1.5x): {'met' if factor <= 1.5 else 'not met'}"
                )
    return "\n".join(lines)


@contextmanager
def backends(args: argparse.Namespace, work: Path) -> Iterator[list[Backend]]:
    found: list[Backend] = [SQLite(work)]
    pg = None
    if not args.sqlite_only:
        pg = Postgres(os.environ.get("PAYCTL_BENCH_POSTGRES_URL", DEFAULT_PG))
        found.append(pg)
    try:
        yield found
    finally:
        if pg is not None:
            pg.drop_all()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (at least 3)")
    ap.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    ap.add_argument(
        "--only",
        default=",".join(ROWS),
        help=f"comma-separated groups of rows: {', '.join(ROWS)} (books = import "
        "--auto-confirm, check, export)",
    )
    for name in ("import", "bulk", "books"):
        ap.add_argument(
            f"--{name}-sizes",
            help=f"comma-separated sizes (default {','.join(map(str, SIZES[name]))})",
        )
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    ap.add_argument("--i-know-this-drops-everything", action="store_true")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument(
        "--render", type=Path, metavar="FILE", help="only print the table of an earlier --json"
    )
    args = ap.parse_args(argv)
    if args.render:
        return args
    if args.repeat < 3:
        ap.error("--repeat must be at least 3 (medians of at least 3 runs)")
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    if unknown := [s for s in only if s not in ROWS]:
        ap.error(f"--only: unknown row group {unknown[0]!r} (choose from {', '.join(ROWS)})")
    args.only = only
    args.sizes = {}
    for name in ("import", "bulk", "books"):
        given = getattr(args, f"{name}_sizes")
        try:
            args.sizes[name] = (
                [int(s) for s in given.split(",")]
                if given
                else (QUICK if args.quick else SIZES)[name]
            )
        except ValueError:
            ap.error(f"--{name}-sizes: comma-separated whole numbers expected")
    if not args.sqlite_only and not args.i_know_this_drops_everything:
        ap.error(
            "PostgreSQL: the database of $PAYCTL_BENCH_POSTGRES_URL (default "
            f"{DEFAULT_PG}) and <name>_template are dropped and recreated; add "
            "--i-know-this-drops-everything, or --sqlite-only"
        )
    return args


def render_saved(path: Path) -> str:
    """The table of a saved --json output."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    names = {f.name for f in fields(Row)}
    rows = [Row(**{k: v for k, v in r.items() if k in names}) for r in saved["rows"]]
    for g in saved["growth"]:
        g["us_per_unit"] = {int(k): v for k, v in g["us_per_unit"].items()}
    return render(rows, saved["postgresql_vs_sqlite"], saved["growth"], saved)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        print(render_saved(args.render))
        return 0
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="payctl-bench-targets-") as tmp:
        work = Path(tmp)
        with backends(args, work) as found:
            for backend in found:
                if "startup" in args.only:
                    log(f"{backend.name}: start-up on the sample database")
                    rows += startup_rows(backend, args.repeat)
                if "import" in args.only:
                    rows += import_rows(backend, args.sizes["import"], args.repeat, work, args.seed)
                if "bulk" in args.only:
                    rows += bulk_rows(backend, args.sizes["bulk"], args.repeat)
                if "books" in args.only:
                    rows += books_rows(backend, args.sizes["books"], args.repeat, work, args.seed)
    pg_ratios = backend_ratio_rows(rows)
    grow = growth(rows)
    info = {
        "repeat": args.repeat,
        "quick": args.quick,
        "sizes": {k: v for k, v in args.sizes.items()},
        "revision": bench_bulk.revision(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(
            json.dumps(
                {
                    **info,
                    "rows": [r.as_json() for r in rows],
                    "postgresql_vs_sqlite": pg_ratios,
                    "growth": grow,
                },
                indent=2,
            )
        )
    else:
        print(render(rows, pg_ratios, grow, info))
    return 0


if __name__ == "__main__":
    sys.exit(main())

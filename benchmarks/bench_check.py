#!/usr/bin/env python3
"""Benchmark of `payctl check` after a large bank import (issue "Trust first", point 12).

Builds the books of bench_import.py (its generator: P partners with IBANs, I open invoices, a
bank CSV of N lines), imports the CSV with `payctl import --journal BNK1 --auto-confirm`, then
times the whole `payctl check` process --repeat times on SQLite and, with --database-url, on
PostgreSQL, and prints medians (min-max), the ratio PostgreSQL / SQLite and, per backend, the
slowest statements of one check (time and count, from an engine event).

    python benchmarks/bench_check.py                       # SQLite only, N=50000, I=50000
    python benchmarks/bench_check.py --i-know-this-drops-everything \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench  # + PostgreSQL (drops public)
    python benchmarks/bench_check.py --lines 10000 --invoices 10000 --json

Target: check at 50,000 lines well under the default statement timeout on both backends, and
PostgreSQL within a small factor of SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_import import build_books, make_lines, make_master, payctl_command, write_csv  # noqa: E402


async def reset_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def fresh_books(url: str, plist: list, ilist: list) -> None:
    """bench_import's books, on an emptied PostgreSQL schema when the URL is PostgreSQL."""
    if url.startswith("postgresql"):
        await reset_postgres(url)
    await build_books(url, plist, ilist)


def payctl(url: str, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    env = dict(os.environ, PAYCTL_DATABASE_URL=url, PAYCTL_USER="bench")
    start = time.perf_counter()
    proc = subprocess.run(payctl_command() + ["--quiet", *args], env=env, capture_output=True)
    return time.perf_counter() - start, proc


async def statements(url: str) -> list[tuple[float, str]]:
    """(seconds, first words) of each statement one IntegrityService.check() sends."""
    from sqlalchemy import event

    from payctl.db.engine import Database
    from payctl.services.ledger.integrity_service import IntegrityService

    db = Database(url)
    timed: list[tuple[float, str]] = []
    starts: list[float] = []
    sync = db.engine.sync_engine
    event.listen(sync, "before_cursor_execute", lambda *a: starts.append(time.perf_counter()))
    event.listen(
        sync,
        "after_cursor_execute",
        lambda c, cur, stmt, *a: timed.append(
            (time.perf_counter() - starts.pop(), " ".join(stmt.split())[:110])
        ),
    )
    try:
        async with db.session() as s:
            found = await IntegrityService(s, "bench").check()
        if found:
            raise SystemExit(f"check found {len(found)} violations: {found[:3]}")
    finally:
        await db.dispose()
    return timed


def measure(url: str, csv_path: Path, plist: list, ilist: list, repeat: int) -> dict:
    t0 = time.perf_counter()
    asyncio.run(fresh_books(url, plist, ilist))
    seconds, proc = payctl(
        url, "--format", "json", "import", str(csv_path), "--journal", "BNK1", "--auto-confirm"
    )
    if proc.returncode != 0:
        raise SystemExit(
            f"payctl import failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}"
        )
    totals = json.loads(proc.stdout)["totals"]
    setup = time.perf_counter() - t0
    runs = []
    for _ in range(repeat):
        wall, proc = payctl(url, "check")
        if proc.returncode != 0:
            raise SystemExit(f"payctl check failed ({proc.returncode}): {proc.stderr.decode()}")
        runs.append(wall)
    timed = asyncio.run(statements(url))
    return {
        "setup_seconds": round(setup, 1),
        "import_seconds": round(seconds, 1),
        "payments_created": totals["payments_created"],
        "check_seconds": runs,
        "check_median": statistics.median(runs),
        "statements": len(timed),
        "slowest": [(round(t, 3), s) for t, s in sorted(timed, reverse=True)[:5]],
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=50_000)
    ap.add_argument("--invoices", type=int, default=50_000)
    ap.add_argument("--partners", type=int, default=3_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument(
        "--database-url", help="PostgreSQL database to use (its schema public is dropped)"
    )
    ap.add_argument("--i-know-this-drops-everything", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    args = ap.parse_args()
    if args.database_url and not args.i_know_this_drops_everything:
        raise SystemExit(
            "--database-url drops schema public of that database: "
            "add --i-know-this-drops-everything"
        )

    from payctl.config import normalise_url

    rnd = random.Random(args.seed)
    plist, ilist = make_master(args.partners, args.invoices, rnd)
    rows, _ = make_lines(args.lines, ilist, rnd)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="payctl-bench-check-") as tmp:
        csv_path = Path(tmp) / "extract.csv"
        write_csv(csv_path, rows)
        if not args.no_sqlite:
            results["sqlite"] = measure(
                normalise_url(f"sqlite:///{Path(tmp) / 'check.db'}"),
                csv_path,
                plist,
                ilist,
                args.repeat,
            )
        if args.database_url:
            results["postgresql"] = measure(
                normalise_url(args.database_url), csv_path, plist, ilist, args.repeat
            )
    ratio = (
        results["postgresql"]["check_median"] / results["sqlite"]["check_median"]
        if len(results) == 2
        else None
    )
    if args.json:
        print(
            json.dumps(
                {
                    "lines": args.lines,
                    "invoices": args.invoices,
                    "results": results,
                    "ratio_pg_sqlite": ratio,
                },
                indent=2,
            )
        )
        return
    print(
        f"payctl check after `payctl import --auto-confirm` of {args.lines} lines, "
        f"{args.invoices} invoices, {args.partners} partners; medians of {args.repeat} runs "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    for name, r in results.items():
        runs = r["check_seconds"]
        print(
            f"{name:10} check {r['check_median']:7.2f} s ({min(runs):.2f}-{max(runs):.2f}), "
            f"{r['statements']} statements; import {r['import_seconds']} s, "
            f"{r['payments_created']} payments"
        )
        for seconds, stmt in r["slowest"]:
            print(f"{'':12}{seconds:7.3f} s  {stmt}")
    if ratio is not None:
        print(f"ratio PostgreSQL / SQLite: {ratio:.1f}x")


if __name__ == "__main__":
    main()

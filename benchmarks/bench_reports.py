#!/usr/bin/env python3
"""Benchmark of `payctl report aging` and `payctl report trial-balance` on large books (issue 11).

Builds the books of bench_check.py (bench_import's generator: P partners, I open invoices, a bank
CSV of N lines imported with `payctl import --journal BNK1 --auto-confirm`, which creates and
posts ~80 % of N payments with their allocations and entries), then times the whole `payctl
report ...` process --repeat times per report and prints medians (min-max). In the same run it
times a floor: the same aggregates as raw SQL through the stdlib sqlite3 module (a fresh
connection each time, no Python per row), and prints the ratio. With --plans it prints SQLite's
EXPLAIN QUERY PLAN of every statement each report sends.

    python benchmarks/bench_reports.py                        # I=50000, N=50000, repeat 3
    python benchmarks/bench_reports.py --invoices 10000 --lines 10000 --plans
    python benchmarks/bench_reports.py --i-know-this-drops-everything \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench    # + PostgreSQL (drops public)

Target (SQLite, 2-core machine): each report under 2 s as a whole process at 50,000 invoices.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_check import fresh_books, payctl  # noqa: E402
from bench_import import make_lines, make_master, write_csv  # noqa: E402

AS_OF = "2026-11-15"
REPORTS = {
    "aging": ["report", "aging", "--receivable"],
    "aging --as-of": ["report", "aging", "--receivable", "--as-of", AS_OF],
    "trial-balance": ["report", "trial-balance"],
    "trial-balance --from": ["report", "trial-balance", "--from", "2026-07-01"],
}

# The floor: the same aggregates, written by hand for sqlite3.
AGING_SQL = """
SELECT p.name, i.currency,
  CASE WHEN COALESCE(i.due_date, i.date) >= :day THEN 0
       WHEN COALESCE(i.due_date, i.date) >= date(:day, '-30 days') THEN 1
       WHEN COALESCE(i.due_date, i.date) >= date(:day, '-60 days') THEN 2
       WHEN COALESCE(i.due_date, i.date) >= date(:day, '-90 days') THEN 3 ELSE 4 END AS b,
  SUM(i.residual)
FROM invoices i JOIN partners p ON p.id = i.partner_id
WHERE i.type IN ('customer_invoice', 'customer_credit_note') AND i.residual != 0
GROUP BY p.name, i.currency, b
"""
UNALLOCATED_SQL = """
SELECT p.name, y.currency, SUM(y.amount - COALESCE(a.done, 0))
FROM payments y JOIN partners p ON p.id = y.partner_id
LEFT JOIN (SELECT payment_id, SUM(amount) AS done FROM payment_allocations GROUP BY payment_id)
  a ON a.payment_id = y.id
WHERE y.state = 'posted' AND y.type IN ('customer_payment', 'customer_refund')
GROUP BY p.name, y.currency
"""
TRIAL_SQL = """
SELECT a.code, a.name, COALESCE(i.currency, j.currency) AS cur, SUM(l.debit), SUM(l.credit)
FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
JOIN accounts a ON a.id = l.account_id JOIN journals j ON j.id = e.journal_id
LEFT JOIN invoices i ON i.id = e.invoice_id
GROUP BY a.code, a.name, cur
"""
BASELINES = {
    "aging": [AGING_SQL, UNALLOCATED_SQL],
    "trial-balance": [TRIAL_SQL],
}


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return runs


def raw_sql(path: Path, statements: list[str]) -> None:
    con = sqlite3.connect(path)
    try:
        for stmt in statements:
            con.execute(stmt, {"day": "2026-12-06"}).fetchall()
    finally:
        con.close()


async def sent_statements(url: str, report: str) -> list[tuple[str, object]]:
    """The statements (and parameters) one report sends, from an engine event."""
    from sqlalchemy import event

    from payctl.db.engine import Database
    from payctl.services.reports.report_service import ReportService

    db = Database(url)
    sent: list[tuple[str, object]] = []
    event.listen(
        db.engine.sync_engine,
        "before_cursor_execute",
        lambda conn, cur, stmt, params, *a: sent.append((stmt, params)),
    )
    try:
        async with db.session() as s:
            service = ReportService(s, "bench")
            if report.startswith("aging"):
                await service.aging("receivable", AS_OF if "--as-of" in report else None)
            else:
                await service.trial_balance(date_from="2026-07-01" if "--from" in report else None)
    finally:
        await db.dispose()
    return [(s, p) for s, p in sent if s.lstrip().upper().startswith("SELECT")]


def print_plans(path: Path, url: str) -> None:
    con = sqlite3.connect(path)
    try:
        for report in REPORTS:
            print(f"\nEXPLAIN QUERY PLAN, payctl report {report}:")
            for stmt, params in asyncio.run(sent_statements(url, report)):
                if "FROM" not in stmt.upper() or "settings" in stmt:
                    continue
                print(f"  {' '.join(stmt.split())[:100]} ...")
                plan = con.execute(f"EXPLAIN QUERY PLAN {stmt}", params or ()).fetchall()
                for _id, _parent, _unused, detail in plan:
                    print(f"      {detail}")
    finally:
        con.close()


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(url: str, repeat: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds (user + system, of the payctl process) of each report's runs.
    On a shared machine the CPU time says what the process costs when wall time waits for a
    core."""
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    commands = {
        **REPORTS,
        "floor: payctl account list": ["account", "list"],  # any command opening the database
        "floor: payctl --version": ["--version"],
    }
    for name, args in commands.items():
        payctl(url, *args)  # warm the file cache once; not counted
        wall[name], cpu[name] = [], []
        for _ in range(repeat):
            before = child_cpu()
            seconds, proc = payctl(url, *args)
            if proc.returncode != 0:
                raise SystemExit(f"payctl {' '.join(args)} failed: {proc.stderr.decode()}")
            wall[name].append(seconds)
            cpu[name].append(child_cpu() - before)
    return wall, cpu


def line(name: str, runs: list[float], cpu: list[float] | None = None) -> str:
    text = f"  {name:34} {statistics.median(runs):7.3f} s  ({min(runs):.3f}-{max(runs):.3f})"
    if cpu:
        text += f"  cpu {statistics.median(cpu):.3f} s"
    return text


def build(url: str, csv_path: Path, plist: list, ilist: list, backend: str) -> None:
    t0 = time.perf_counter()
    asyncio.run(fresh_books(url, plist, ilist))
    _, proc = payctl(url, "import", str(csv_path), "--journal", "BNK1", "--auto-confirm")
    if proc.returncode != 0:
        raise SystemExit(f"payctl import failed: {proc.stderr.decode()[-2000:]}")
    print(f"{backend}: books built in {time.perf_counter() - t0:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=50_000)
    ap.add_argument("--invoices", type=int, default=50_000)
    ap.add_argument("--partners", type=int, default=3_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--plans", action="store_true", help="print SQLite's query plans")
    ap.add_argument(
        "--keep",
        type=Path,
        help="SQLite books in this file: built there and kept when it does not exist, else "
        "used as they are (the same --invoices/--lines/--partners/--seed)",
    )
    ap.add_argument("--database-url", help="PostgreSQL database too (its schema public is dropped)")
    ap.add_argument("--i-know-this-drops-everything", action="store_true")
    args = ap.parse_args()
    if args.database_url and not args.i_know_this_drops_everything:
        raise SystemExit("--database-url drops schema public: add --i-know-this-drops-everything")

    from payctl.config import normalise_url

    rnd = random.Random(args.seed)
    plist, ilist = make_master(args.partners, args.invoices, rnd)
    rows, _ = make_lines(args.lines, ilist, rnd)
    with tempfile.TemporaryDirectory(prefix="payctl-bench-reports-") as tmp:
        csv_path = Path(tmp) / "extract.csv"
        write_csv(csv_path, rows)
        db_path = args.keep or Path(tmp) / "reports.db"
        urls = {"sqlite": normalise_url(f"sqlite:///{db_path}")}
        if args.database_url:
            urls["postgresql"] = normalise_url(args.database_url)
        print(
            f"payctl report on {args.invoices} invoices, {args.partners} partners, a bank "
            f"import of {args.lines} lines (--auto-confirm); whole-process medians of "
            f"{args.repeat} runs (load average {os.getloadavg()[0]:.1f})"
        )
        for backend, url in urls.items():
            if backend == "sqlite" and db_path.exists():
                print(f"{backend}: the books in {db_path}")
            else:
                build(url, csv_path, plist, ilist, backend)
            results, cpu = measure(url, args.repeat)
            for name, runs in results.items():
                print(line(name, runs, cpu[name]))
            if backend != "sqlite":
                continue
            con = sqlite3.connect(db_path)
            counts = {
                t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("invoices", "payments", "journal_entries", "journal_lines")
            }
            con.close()
            print("  rows: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
            for name, statements in BASELINES.items():
                base = timed(lambda s=statements: raw_sql(db_path, s), args.repeat)
                ratio = statistics.median(results[name]) / statistics.median(base)
                print(line(f"baseline: sqlite3 {name} SQL", base) + f"   ratio {ratio:.0f}x")
            if args.plans:
                print_plans(db_path, url)


if __name__ == "__main__":
    main()

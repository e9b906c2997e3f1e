#!/usr/bin/env python3
"""Benchmark of `payctl import` (issue #5): a realistic bank CSV against many open invoices.

Builds (once) a SQLite database with P partners (with IBANs) and I open invoices, writes a bank
CSV of N lines — most carrying an invoice number (paid in full, or in three partial parts), some
only the payer's IBAN, some a misspelled payer name, some nothing — then, on fresh copies of the
database, times the whole `payctl import FILE --journal BNK1` process (wall time, lines/s, peak
RSS of the process, matched/review split) and a second import of the same file (must add
nothing). In the same run it times the floor: plain `sqlite3` loading the same lines with
`executemany` in one transaction. Prints medians (min–max) of --repeat runs and the ratio.

    python benchmarks/bench_import.py                 # N=100000, I=50000, P=3000, repeat 3
    python benchmarks/bench_import.py --lines 20000 --invoices 10000 --repeat 5

Targets (SQLite, 2-core machine): ≤ 10 s whole process, peak RSS ≤ 400 MB, second import ≤ 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import run_process  # noqa: E402

WORDS = [
    "Alpha",
    "Nord",
    "Sud",
    "Rhein",
    "Delta",
    "Kappa",
    "Orion",
    "Vega",
    "Atlas",
    "Polar",
    "Linde",
    "Eiche",
    "Berg",
    "Tal",
    "Hafen",
    "Markt",
    "Stern",
    "Sonne",
    "Licht",
    "Werk",
]
FORMS = ["GmbH", "AG", "B.V.", "SARL", "NV", "KG", "Ltd", "SAS"]


def iban(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def make_master(partners: int, invoices: int, rnd: random.Random):
    plist = []
    for p in range(partners):
        name = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} {p:04d} {rnd.choice(FORMS)}"
        kind = "customer" if p % 5 else "vendor"
        plist.append(
            {"name": name, "kind": kind, "iban": iban("DE", f"{10000000 + p:08d}{p:010d}")}
        )
    customers = [p for p in plist if p["kind"] == "customer"]
    vendors = [p for p in plist if p["kind"] == "vendor"]
    ilist = []
    start = dt.date(2026, 1, 1)
    for k in range(invoices):
        vendor = k % 5 == 0
        partner = rnd.choice(vendors if vendor else customers)
        cents = rnd.randint(5_000, 2_500_000)
        ilist.append(
            {
                "number": f"{'BILL' if vendor else 'INV'}/2026/{k + 1:06d}",
                "partner": partner,
                "cents": cents,
                "type": "vendor_bill" if vendor else "customer_invoice",
                "date": start + dt.timedelta(days=k * 300 // invoices),
            }
        )
    return plist, ilist


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def misspell(name: str, rnd: random.Random) -> str:
    chars = list(name)
    i = rnd.randrange(1, min(len(chars), 8))
    chars[i] = chars[i].swapcase() if chars[i].isalpha() else chars[i]
    del chars[rnd.randrange(1, len(chars) - 1)]
    return "".join(chars)


def make_lines(n: int, ilist: list, rnd: random.Random) -> tuple[list[list[str]], dict[str, int]]:
    """Bank lines: full references, 3-part partial references, IBAN only, misspelled name, noise."""
    rows, mix = [], {"reference": 0, "partial": 0, "iban": 0, "name": 0, "noise": 0}
    pool = list(ilist)
    rnd.shuffle(pool)
    day = dt.date(2026, 11, 2)

    def add(kind: str, inv: dict | None, cents: int, text: str, name: str = "", acct: str = ""):
        sign = -1 if inv is not None and inv["type"] == "vendor_bill" else 1
        rows.append(
            [
                day.isoformat(),
                money(sign * cents),
                "EUR",
                name,
                acct,
                text,
                f"TX{len(rows) + 1:09d}",
            ]
        )
        mix[kind] += 1

    budget = {
        "reference": int(n * 0.30),
        "partial": int(n * 0.45),
        "iban": int(n * 0.03),
        "name": int(n * 0.02),
    }
    for inv in pool:
        if len(rows) >= n:
            break
        if budget["reference"] > 0:
            budget["reference"] -= 1
            add(
                "reference",
                inv,
                inv["cents"],
                f"Payment {inv['number']} thank you",
                inv["partner"]["name"],
            )
        elif budget["partial"] >= 3:
            budget["partial"] -= 3
            third = inv["cents"] // 3
            for part, cents in enumerate((third, third, inv["cents"] - 2 * third), 1):
                add("partial", inv, cents, f"{inv['number']} instalment {part}/3")
        elif budget["iban"] > 0:
            budget["iban"] -= 1
            add("iban", inv, inv["cents"], "payment", "", inv["partner"]["iban"])
        elif budget["name"] > 0:
            budget["name"] -= 1
            add("name", inv, inv["cents"], "transfer", misspell(inv["partner"]["name"], rnd))
    while len(rows) < n:
        rows.append(
            [
                day.isoformat(),
                money(-rnd.randint(100, 50_000)),
                "EUR",
                rnd.choice(["Card payment", "Fuel station", "Bank fee", "Office supplies"]),
                "",
                f"POS {rnd.randint(1, 10**6)}",
                f"TX{len(rows) + 1:09d}",
            ]
        )
        mix["noise"] += 1
    rnd.shuffle(rows)
    return rows, mix


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["Date", "Amount", "Currency", "Counterparty", "IBAN", "Description", "Transaction ID"]
        )
        w.writerows(rows)


async def build_books(url: str, plist: list, ilist: list) -> None:
    """Schema, chart, partners and invoices through the services, on the database at URL."""
    from payctl.db.engine import Database
    from payctl.db.schema import upgrade_to_head
    from payctl.importers.records import SourceRow
    from payctl.services.parties.invoice_service import InvoiceService
    from payctl.services.parties.partner_service import PartnerService
    from payctl.services.setup_service import SetupService

    db = Database(url)
    try:
        await upgrade_to_head(db.engine)
        async with db.session() as s:
            await SetupService(s).seed("EUR")
            rows = [
                SourceRow(i + 2, {"name": p["name"], "kind": p["kind"], "iban": p["iban"]})
                for i, p in enumerate(plist)
            ]
            await PartnerService(s, "bench").import_partners(
                rows, ["name", "kind", "iban"], "bench"
            )
            header = ["number", "partner", "amount", "type", "date"]
            for start in range(0, len(ilist), 10_000):
                chunk = ilist[start : start + 10_000]
                rows = [
                    SourceRow(
                        start + i + 2,
                        {
                            "number": inv["number"],
                            "partner": inv["partner"]["name"],
                            "amount": money(inv["cents"]),
                            "type": inv["type"],
                            "date": inv["date"].isoformat(),
                        },
                    )
                    for i, inv in enumerate(chunk)
                ]
                await InvoiceService(s, "bench").import_invoices(rows, header, "bench")
    finally:
        await db.dispose()


async def build_database(path: Path, plist: list, ilist: list) -> None:
    await build_books(f"sqlite+aiosqlite:///{path}", plist, ilist)
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def payctl_command() -> list[str]:
    exe = Path(sys.executable).parent / "payctl"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "payctl"]


def import_command(csv_path: Path, *extra: str) -> list[str]:
    return payctl_command() + [
        "--quiet",
        "--format",
        "json",
        "import",
        str(csv_path),
        "--journal",
        "BNK1",
        *extra,
    ]


def run_import(db: Path, csv_path: Path) -> dict:
    env = dict(os.environ, PAYCTL_DATABASE_URL=f"sqlite:///{db}", PAYCTL_USER="bench")
    # a 1,000,000-line file (~75 MB) is above payctl's default import limit (50 MB)
    env.setdefault("PAYCTL_MAX_IMPORT_BYTES", str(max(csv_path.stat().st_size, 50 << 20)))
    run = run_process(import_command(csv_path), env)
    if run.returncode != 0:
        raise SystemExit(f"payctl import failed ({run.returncode}): {run.stderr.decode()[-2000:]}")
    report = json.loads(run.stdout)
    return {"seconds": run.wall, "rss_mb": run.rss_mb, "report": report["totals"]}


def peak_rss_mb(db: Path, csv_path: Path) -> float:
    """Peak RSS of one import process, from the kernel's accounting (/usr/bin/time-like)."""
    return float(run_import(db, csv_path)["rss_mb"])


def baseline(csv_path: Path, work: Path) -> float:
    """Floor: stdlib csv + sqlite3 executemany of the same lines, one transaction."""
    db = work / "baseline.db"
    if db.exists():
        db.unlink()
    start = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(
        "CREATE TABLE bank_lines (id INTEGER PRIMARY KEY, booking_date DATE, amount "
        "BIGINT, currency TEXT, counterparty_name TEXT, counterparty_account TEXT, "
        "remittance TEXT, transaction_id TEXT UNIQUE)"
    )
    with csv_path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        rows = [(r[0], int(r[1].replace(".", "")), r[2], r[3], r[4], r[5], r[6]) for r in reader]
    with con:
        con.executemany(
            "INSERT INTO bank_lines (booking_date, amount, currency, "
            "counterparty_name, counterparty_account, remittance, transaction_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    con.close()
    return time.perf_counter() - start


def median(values: list[float]) -> str:
    return f"{statistics.median(values):8.2f}  ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--invoices", type=int, default=50_000)
    ap.add_argument("--partners", type=int, default=3_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    args = ap.parse_args()

    rnd = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="payctl-bench-import-"))
    try:
        plist, ilist = make_master(args.partners, args.invoices, rnd)
        rows, mix = make_lines(args.lines, ilist, rnd)
        csv_path = work / "extract.csv"
        write_csv(csv_path, rows)
        base = work / "base.db"
        t0 = time.perf_counter()
        asyncio.run(build_database(base, plist, ilist))
        setup = time.perf_counter() - t0
        first, second, floor, reports = [], [], [], []
        for _ in range(args.repeat):
            db = work / "run.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copy(base, db)
            one = run_import(db, csv_path)
            two = run_import(db, csv_path)
            if two["report"]["new_lines"] != 0:
                raise SystemExit("second import added lines: dedup is broken")
            first.append(one["seconds"])
            second.append(two["seconds"])
            reports.append(one["report"])
            floor.append(baseline(csv_path, work))
        db = work / "rss.db"
        shutil.copy(base, db)
        rss = peak_rss_mb(db, csv_path)
        report = reports[0]
        matched = report["new_lines"] - report["to_review"] - report["unmatched"]
        result = {
            "lines": args.lines,
            "invoices": args.invoices,
            "partners": args.partners,
            "repeat": args.repeat,
            "line_mix": mix,
            "setup_seconds": round(setup, 2),
            "import_seconds_median": round(statistics.median(first), 3),
            "lines_per_second": round(args.lines / statistics.median(first)),
            "reimport_seconds_median": round(statistics.median(second), 3),
            "baseline_seconds_median": round(statistics.median(floor), 3),
            "ratio_vs_baseline": round(statistics.median(first) / statistics.median(floor), 1),
            "peak_rss_mb": round(rss, 1),
            "matched": matched,
            "to_review": report["to_review"],
            "unmatched": report["unmatched"],
            "payments_created": report["payments_created"],
        }
        if args.json:
            print(json.dumps(result, indent=2))
            return
        ok = lambda good: "PASS" if good else "MISS"  # noqa: E731
        print(
            f"payctl import benchmark — {args.lines} lines, {args.invoices} open invoices, "
            f"{args.partners} partners, {args.repeat} runs (median, min–max)"
        )
        print(f"line mix: {mix}; setup of the database: {setup:.1f} s (not timed below)")
        print(
            f"{'whole payctl import process':34} {median(first)} s   "
            f"{args.lines / statistics.median(first):,.0f} lines/s   "
            f"[target ≤ 10 s: {ok(statistics.median(first) <= 10)}]"
        )
        print(
            f"{'second import of the same file':34} {median(second)} s   "
            f"[target ≤ 3 s: {ok(statistics.median(second) <= 3)}]"
        )
        print(f"{'baseline: plain sqlite3 load':34} {median(floor)} s")
        print(f"{'ratio payctl / baseline':34} {result['ratio_vs_baseline']:8.1f} x")
        print(
            f"{'peak RSS of payctl import':34} {rss:8.1f} MB  [target ≤ 400 MB: {ok(rss <= 400)}]"
        )
        print(
            f"matched {matched} ({matched / max(report['new_lines'], 1):.0%}), to review "
            f"{report['to_review']}, unmatched {report['unmatched']}, payments created "
            f"{report['payments_created']}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

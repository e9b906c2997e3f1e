#!/usr/bin/env python3
"""Whole `payctl bulk confirm --state draft` processes of two payctl installations, paired.

    python benchmarks/bench_bulk_pairs.py --other /path/to/other/.venv/bin/payctl \\
        --sizes 1000,50000 --pairs 5 [--keep DIR]

Builds (once, into ``--keep`` DIR if given, else a temporary directory) a SQLite template of N
drafts per size with bench_bulk's ``populate`` (each draft allocated in full to its own open
invoice), then runs, ``--pairs`` times per size, this checkout's ``payctl`` and ``--other``'s on
fresh copies of the template, alternating which goes first. Prints, per size, the medians of
wall and CPU (user + system of the child, ``os.wait4``) of both, the ratio of the medians and
the per-pair CPU ratios (min - median - max). Also times ``payctl account list`` (a read
command opening the database: the start-up floor) of this checkout in the same loop, so what
the bulk run adds beyond start-up shows. Both must confirm every draft (checked).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_bulk  # noqa: E402
from common import run_process  # noqa: E402


def template(work: Path, n: int) -> Path:
    path = work / f"drafts{n}.db"
    if not path.exists():
        print(f"bench_bulk_pairs: creating {n} drafts", file=sys.stderr, flush=True)
        asyncio.run(bench_bulk.populate(f"sqlite+aiosqlite:///{path}", n))
        con = sqlite3.connect(path)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
    return path


def run(payctl: str, db: Path, *args: str) -> tuple[float, float, str]:
    env = dict(os.environ, PAYCTL_DATABASE_URL=f"sqlite:///{db}", PAYCTL_USER="bench")
    done = run_process([payctl, "--quiet", *args], env)
    if done.returncode not in (0,):
        raise SystemExit(f"{payctl} {' '.join(args)} exited {done.returncode}: {done.stderr!r}")
    return done.wall, done.cpu, done.stdout.decode()


def confirm(payctl: str, tpl: Path, work: Path, n: int) -> tuple[float, float]:
    db = work / "run.db"
    shutil.copyfile(tpl, db)
    wall, cpu, out = run(payctl, db, "bulk", "confirm", "--state", "draft", "--format", "json")
    got = json.loads(out)["summary"]["succeeded"]
    if got != n:
        raise SystemExit(f"{payctl}: confirmed {got} of {n}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--other", required=True, help="the other payctl executable (before)")
    ap.add_argument("--this", default=str(Path(sys.executable).with_name("payctl")))
    ap.add_argument("--sizes", default="1000,50000")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--keep", help="directory for the templates (reused when present)")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bulkpairs"))
    work.mkdir(parents=True, exist_ok=True)
    for n in [int(s) for s in args.sizes.split(",")]:
        tpl = template(work, n)
        this_w, this_c, other_w, other_c, floor_c, floor_w = [], [], [], [], [], []
        for i in range(args.pairs):
            order = [(args.this, this_w, this_c), (args.other, other_w, other_c)]
            if i % 2:
                order.reverse()
            for payctl, walls, cpus in order:
                w, c = confirm(payctl, tpl, work, n)
                walls.append(w)
                cpus.append(c)
            w, c, _ = run(args.this, tpl, "account", "list", "--format", "json")
            floor_w.append(w)
            floor_c.append(c)
        med = statistics.median
        ratios = sorted(a / b for a, b in zip(this_c, other_c, strict=True))
        print(
            f"N={n:>6}: this wall {med(this_w):.3f} s cpu {med(this_c):.3f} s | other wall "
            f"{med(other_w):.3f} s cpu {med(other_c):.3f} s | this/other wall "
            f"{med(this_w) / med(other_w):.2f} cpu {med(this_c) / med(other_c):.2f} | per-pair "
            f"cpu {ratios[0]:.2f}-{med(ratios):.2f}-{ratios[-1]:.2f} | `account list` "
            f"wall {med(floor_w):.3f} cpu {med(floor_c):.3f} ({args.pairs} pairs)",
            flush=True,
        )


if __name__ == "__main__":
    main()

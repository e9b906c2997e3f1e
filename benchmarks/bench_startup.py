#!/usr/bin/env python3
"""Start-up of the read commands (issue 12): `payctl list`, `show`, `summary`, `history` and
`--help` as whole processes, on the database sample_data/tour.sh builds.

Each command is started --repeat times (after one warm-up run that is not counted) with its
output piped; the median wall and CPU (user + system of the finished child) seconds are
printed with min and max. Two baselines run in the same loop, interleaved with the commands so
that a machine's drift shows in all of them: `python -c pass` (the interpreter's own start-up)
and `python -c 'import sqlite3'`. The ratio column is a command's median wall time over the
`python -c pass` median: comparable between machines and between runs on a busy machine.

    python benchmarks/bench_startup.py                  # builds /tmp/payctl-startup.db once
    python benchmarks/bench_startup.py --repeat 15 --payctl /other/venv/bin/payctl
    python benchmarks/bench_startup.py --database-url sqlite:////tmp/tour.db
    python benchmarks/bench_startup.py --vs /path/to/main/.venv/bin/payctl   # before/after

Target (2-core machine): list / show / summary under 0.35 s, --help under 0.15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = Path("/tmp/payctl-startup.db")


def default_payctl() -> str:
    beside = Path(sys.executable).parent / "payctl"
    return str(beside) if beside.exists() else "payctl"


def build(payctl: str, url: str, db: Path | None) -> None:
    """The tour's database (sample_data/tour.sh) when it is not there yet."""
    if db is not None and db.exists():
        return
    env = {**os.environ, "PAYCTL_DATABASE_URL": url}
    env["PATH"] = f"{Path(payctl).parent}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run(
        ["bash", str(ROOT / "sample_data" / "tour.sh")],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process (its output piped and thrown away)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode()[:300]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--payctl", default=default_payctl(), help="The payctl to time.")
    parser.add_argument(
        "--vs",
        metavar="PAYCTL",
        help="Another payctl (an older checkout's), timed in the same loop.",
    )
    parser.add_argument("--database-url", help=f"Default: the tour's database in {DEFAULT_DB}.")
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{DEFAULT_DB}"
    build(args.payctl, url, None if args.database_url else DEFAULT_DB)
    env = {**os.environ, "PAYCTL_DATABASE_URL": url}
    listed = subprocess.run(
        [args.payctl, "list", "--limit", "1", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    pay = str(json.loads(listed.stdout)["items"][0]["id"])
    python = sys.executable
    runs: dict[str, list[str]] = {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import sqlite3'": [python, "-c", "import sqlite3"],
        "payctl --help": [args.payctl, "--help"],
        "payctl list": [args.payctl, "list"],
        f"payctl show {pay}": [args.payctl, "show", pay],
        "payctl summary": [args.payctl, "summary"],
        f"payctl history {pay}": [args.payctl, "history", pay],
    }
    if args.vs:
        for name, argv in list(runs.items()):
            if name.startswith("payctl "):
                runs[f"vs {name[len('payctl ') :]}"] = [args.vs, *argv[1:]]
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    for argv in runs.values():  # warm-up: bytecode caches, the file in the page cache
        timed(argv, env)
    for _ in range(args.repeat):
        for name, argv in runs.items():
            wall, cpu = timed(argv, env)
            walls[name].append(wall)
            cpus[name].append(cpu)

    floor = statistics.median(walls["python -c pass"])
    print(f"{args.payctl}, {url}, {args.repeat} runs each, {os.cpu_count()} cores")
    if args.vs:
        print(f"vs: {args.vs}")
    print(f"{'command':<28} {'wall median (min-max) s':>26} {'cpu median s':>13} {'× pass':>7}")
    for name in runs:
        w, c = walls[name], cpus[name]
        median = statistics.median(w)
        spread = f"{median:.3f} ({min(w):.3f}-{max(w):.3f})"
        print(f"{name:<28} {spread:>26} {statistics.median(c):>13.3f} {median / floor:>7.1f}")


if __name__ == "__main__":
    main()

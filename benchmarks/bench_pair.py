#!/usr/bin/env python3
"""Paired whole-process runs of one payctl command: a "before" payctl and an "after" payctl
alternating on the same database, N pairs, medians of CPU (user + system of the child, from
os.wait4), wall and peak RSS. On a shared machine wall times drift with the load; pairs run
back to back see the same load, and CPU time drifts less. Read-only commands only (check,
export ...): every run sees the same database.

    python benchmarks/bench_pair.py --before /work/base/.venv/bin/payctl \\
        --url sqlite:////tmp/books50k.db --pairs 3 -- check
    python benchmarks/bench_pair.py --before /work/base/.venv/bin/payctl \\
        --url sqlite:////tmp/books50k.db -- export --to ledger -o /tmp/out.{side}.journal

``{side}`` in an argument becomes ``before`` or ``after`` (so outputs can be compared with cmp).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--before", required=True, help="the payctl executable to compare with")
    here = Path(sys.executable).parent / "payctl"
    ap.add_argument("--after", default=str(here), help=f"default: {here}")
    ap.add_argument("--url", required=True, help="PAYCTL_DATABASE_URL for every run")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("args", nargs="+", help="the payctl command and its arguments")
    args = ap.parse_args(argv)
    runs: dict[str, list[tuple[float, float, float]]] = {"before": [], "after": []}
    env = dict(os.environ, PAYCTL_DATABASE_URL=args.url, PAYCTL_USER="bench")
    for _ in range(args.pairs):
        for side, exe in (("before", args.before), ("after", args.after)):
            cmd = [exe, "--quiet", *(a.replace("{side}", side) for a in args.args)]
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            cpu = usage.ru_utime + usage.ru_stime
            runs[side].append((cpu, wall, usage.ru_maxrss / 1024))
            rss = usage.ru_maxrss / 1024
            code = os.waitstatus_to_exitcode(status)
            line = f"{side:6} cpu {cpu:6.2f} s  wall {wall:6.2f} s  rss {rss:5.0f} MB"
            print(f"{line}  exit {code}", flush=True)
    med = {s: [statistics.median(r[i] for r in v) for i in range(3)] for s, v in runs.items()}
    for side, (cpu, wall, rss) in med.items():
        print(f"median {side:6} cpu {cpu:6.2f} s  wall {wall:6.2f} s  rss {rss:5.0f} MB")
    ratio = [a / b for a, b in zip(med["after"], med["before"], strict=True)]
    print(f"after / before: cpu {ratio[0]:.2f}, wall {ratio[1]:.2f}, rss {ratio[2]:.2f}")


if __name__ == "__main__":
    main()

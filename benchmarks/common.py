"""Helpers shared by the benchmark scripts: whole-process measurement of a child process."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass

# The child is started by a small Python process that forks it, waits for it and writes its
# rusage: Linux hands a new process the peak RSS of the process it was forked from (at exec,
# the hiwater mark of the memory it leaves is kept as its own), so a command forked straight
# from a benchmark that holds hundreds of MB of built data would report at least that much.
# Forked from this ~10 MB trampoline, the figure is the command's own.
_TRAMPOLINE = """\
import os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
cpu = ru.ru_utime + ru.ru_stime
with open(out, "w") as f:
    f.write(f"{wall!r} {ru.ru_maxrss} {cpu!r} {os.waitstatus_to_exitcode(status)}")
"""


@dataclass
class ProcessRun:
    """One child process: wall seconds, peak RSS (MB) and CPU seconds from the kernel's
    accounting of that process alone (os.wait4, as /usr/bin/time -v reports them)."""

    wall: float
    rss_mb: float
    cpu: float
    returncode: int
    stdout: bytes
    stderr: bytes


def run_process(cmd: list[str], env: dict[str, str] | None = None) -> ProcessRun:
    """Run CMD to its end; its output goes to temporary files (no pipe to drain while
    timing); its wall time, CPU time and peak RSS are measured by the trampoline above
    (wall from just before the fork to the end of the wait, not the trampoline's start-up)."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".rusage") as usage,
    ):
        trampoline = [sys.executable, "-S", "-E", "-c", _TRAMPOLINE, usage.name, *cmd]
        subprocess.run(
            trampoline, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, check=True
        )
        wall, maxrss, cpu, code = usage.read().split()
        out.seek(0)
        err.seek(0)
        return ProcessRun(
            wall=float(wall),
            rss_mb=int(maxrss) / 1024,
            cpu=float(cpu),
            returncode=int(code),
            stdout=out.read(),
            stderr=err.read(),
        )

"""Helpers shared by the benchmark scripts: whole-process measurement of a child process."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass


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
    timing) and its rusage comes from os.wait4 on its pid."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ProcessRun(
            wall=wall,
            rss_mb=usage.ru_maxrss / 1024,
            cpu=usage.ru_utime + usage.ru_stime,
            returncode=proc.returncode,
            stdout=out.read(),
            stderr=err.read(),
        )

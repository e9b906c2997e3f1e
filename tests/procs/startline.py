"""Handshakes between the processes of a concurrency test: files as signals, no guessed sleeps.

A worker calls ``arrive(ready, go)`` once it has paid its import cost: it creates ``ready`` and
waits for ``go``. The test calls ``release(procs, ready_files, go)``: it waits until every worker
is at the start line (failing at once if one died), then creates ``go``. ``signal`` and
``wait_for`` are the same building blocks for handshakes in the middle of a run (say "I have
written my first row" / "wait until the other has written its first row").

A wait polls the file system every few milliseconds: the poll only notices that the signal
is there, it never decides the order of events; a missing signal fails after ``timeout``
seconds with a message naming it instead of hanging the test.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

POLL = 0.005


class HandshakeTimeout(RuntimeError):
    pass


def signal(path: str | Path | None) -> None:
    """Raise a signal (create its file); None: nobody listens."""
    if path is not None:
        Path(path).touch()


def wait_for(path: str | Path, timeout: float = 120, what: str = "signal") -> None:
    deadline = time.monotonic() + timeout
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise HandshakeTimeout(f"{what} {path} never came (waited {timeout:g} s)")
        time.sleep(POLL)


def arrive(ready: str | Path | None, go: str | Path | None, timeout: float = 120) -> None:
    """Worker side: say it is at the start line, then wait for the start."""
    signal(ready)
    if go is not None:
        wait_for(go, timeout, "start signal")


def gather(
    procs: Sequence[subprocess.Popen[str]],
    files: Sequence[Path],
    timeout: float = 120,
    what: str = "the start line",
) -> None:
    """Test side: wait until every worker has raised its signal (failing at once if one died)."""
    deadline = time.monotonic() + timeout
    while not all(f.exists() for f in files):
        dead = [p.args for p in procs if p.poll() is not None]
        if dead:
            raise HandshakeTimeout(f"a worker ended before {what}: {dead[0]}")
        if time.monotonic() > deadline:
            raise HandshakeTimeout(f"workers not at {what} after {timeout:g} s")
        time.sleep(POLL)


def release(
    procs: Sequence[subprocess.Popen[str]],
    ready_files: Sequence[Path],
    go: Path,
    timeout: float = 120,
) -> None:
    """Test side: start the workers together once every one of them is ready."""
    gather(procs, ready_files, timeout)
    go.touch()

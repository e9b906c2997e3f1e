"""Output that cannot be written: a closed pipe (the reader's choice) or a full disk after the
command committed; reported once at the error door instead of as an internal error."""

from __future__ import annotations

import errno
import os
import sys


class ClosedPipe(Exception):
    """EPIPE from inside click's own main, carried past click (which would exit 1 for it)."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(str(exc))
        self.exc = exc


def silence_stdout() -> None:
    """Point stdout at /dev/null, so what is still buffered for it cannot fail again when
    Python flushes it at exit (no "Exception ignored ... BrokenPipeError" after payctl ends)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (CliRunner): nothing to do
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


# What writing an output gives when it cannot be written. Every file payctl reads is read
# through importers.files and the database is reached inside run(): such an error reaching the
# door was raised writing the command's output (stdout, or the file of review export -o).
OUTPUT_ERRNOS = {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG}


def stdout_broken() -> OSError | None:
    """The error flushing stdout gives, if any."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        return exc
    return None

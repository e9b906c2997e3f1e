"""What payctl reads is bounded by the import limit before it is read (#14): a device such as
/dev/zero, a FIFO and a directory are refused at once, standard input is read up to the limit
plus one byte and then refused. Real processes, real pipes, a real FIFO; nothing is written."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.test_cli_subprocess import executable
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

LIMIT = 1000
# Far above what payctl needs, far below what reading /dev/zero whole took (~1.9 GB): a read
# that is not bounded fails with MemoryError instead of taking the machine.
ADDRESS_SPACE = 1536 * 1024 * 1024


def _bounded_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def payctl(env: dict[str, str], *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [executable(), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_bounded_memory,
        **kw,
    )


def refused(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2, one error line naming the problem, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("payctl: error:")]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    for word in words:
        assert word in errors[0], (word, errors[0])
    return errors[0]


@pytest.fixture
def ledger(tmp_path):
    """The environment of a fresh SQLite ledger (what is read is the same on every backend)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYCTL_")}
    env.update(PAYCTL_DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.db'}", PAYCTL_USER="limits")
    subprocess.run([executable(), "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def nothing_imported(env: dict[str, str]) -> None:
    out = subprocess.run(
        [executable(), "review", "list", "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["total"] == 0


def test_dev_zero_is_refused_at_once(ledger):
    started = time.monotonic()
    proc = payctl(ledger, "import", "/dev/zero", "--journal", "BNK1")
    refused(proc, "/dev/zero", "not a regular file")
    assert time.monotonic() - started < 30
    refused(payctl(ledger, "partner", "import", "/dev/zero"), "/dev/zero", "not a regular file")
    nothing_imported(ledger)


def test_fifo_without_writer_is_refused_not_waited_on(ledger, tmp_path):
    fifo = tmp_path / "extract.jsonl"
    os.mkfifo(fifo)
    refused(payctl(ledger, "import", str(fifo), "--journal", "BNK1"), str(fifo), "regular file")
    nothing_imported(ledger)


def test_a_directory_without_bank_files_imports_nothing(ledger, tmp_path):
    """A directory is the nightly job's input (`import DIR`): one without bank files imports
    nothing, and says so."""
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    done = payctl(ledger, "import", str(tmp_path), "--journal", "BNK1")
    assert (done.returncode, done.stdout, done.stderr) == (0, "Import: none\n", "")


def endless_stdin(ledger: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """payctl reading an endless pipe (``yes`` writing JSON lines): it must stop by itself."""
    line = '{"booking_date": "2026-11-05", "amount": "1.00"}'
    env = dict(ledger, PAYCTL_MAX_IMPORT_BYTES=str(LIMIT))
    producer = subprocess.Popen(["yes", line], stdout=subprocess.PIPE)
    try:
        return payctl(env, *args, stdin=producer.stdout)
    finally:
        assert producer.stdout is not None
        producer.stdout.close()
        producer.kill()
        producer.wait()


def test_stdin_over_the_limit_is_refused_after_the_limit(ledger):
    proc = endless_stdin(ledger, "import", "-", "--journal", "BNK1")
    refused(proc, "<stdin>", f"more than {LIMIT:,} bytes", "PAYCTL_MAX_IMPORT_BYTES")
    nothing_imported(ledger)
    proc = endless_stdin(ledger, "bulk", "create", "--file", "-")
    refused(proc, "<stdin>", f"more than {LIMIT:,} bytes")


def test_stdin_at_the_limit_is_read(ledger):
    line = b'{"booking_date": "2026-11-05", "amount": "1.00", "remittance": "x"}\n'
    data = line.ljust(LIMIT - 1, b" ") + b"\n"
    assert len(data) == LIMIT
    env = dict(ledger, PAYCTL_MAX_IMPORT_BYTES=str(LIMIT))
    proc = subprocess.run(
        [executable(), "import", "-", "--journal", "BNK1", "--format", "json"],
        cwd=ROOT,
        env=env,
        input=data,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["files"][0]["new_lines"] == 1


def test_regular_file_over_the_limit_is_refused_from_its_size(ledger, tmp_path):
    path = Path(tmp_path / "huge.csv")
    with path.open("wb") as handle:  # sparse: 3 GB on paper, nothing on disk
        handle.seek(3 * 1024**3)
        handle.write(b"\n")
    refused(payctl(ledger, "import", str(path), "--journal", "BNK1"), "huge.csv", "above the")


def test_a_profile_is_read_through_the_input_limit(ledger, tmp_path):
    """--profile FILE.toml is an input like any other: a device or a FIFO is refused at once,
    an oversized file from its size, never read whole (it used to be read without limit)."""
    extract = tmp_path / "extract.csv"
    extract.write_text("Date,Amount\n2026-01-05,1.00\n")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as handle:  # sparse: 3 GB on paper, nothing on disk
        handle.seek(3 * 1024**3)
        handle.write(b"\n")
    for profile, words in (
        ("/dev/zero", ("profile /dev/zero is not a regular file",)),
        (str(fifo), (f"profile {fifo} is not a regular file",)),
        (str(huge), (f"profile {huge}: the file is 3,221,225,473 bytes, above the",)),
    ):
        proc = payctl(ledger, "import", str(extract), "--journal", "BNK1", "--profile", profile)
        line = refused(proc, *words)
        assert "'-'" not in line  # a profile is never read from standard input
    nothing_imported(ledger)

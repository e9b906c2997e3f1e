"""A command never commits and then says "error" because its output could not be written, and
a closed pipe is the reader's choice ("Trust, part two" 4). Real processes, real /dev/full,
real pipes, on every backend.

- stdout that cannot be written (``> /dev/full``, ENOSPC): one line on stderr, exit 4; after a
  write command the line says the change WAS committed, so a script does not retry blindly
  (and a retry of ``invoice create`` is refused by number, never a second invoice).
- a reader that closed the pipe (``| head -1``): exit 141 like a program ended by SIGPIPE,
  nothing on stderr: no traceback, no "Exception ignored" at interpreter shutdown.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli_subprocess import executable
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

FULL = "No space left on device"
COMMITTED = (
    f"payctl: error: the change was committed, but its output could not be written: {FULL}\n"
)
READ_ONLY = f"payctl: error: the output could not be written: {FULL}\n"
INVOICE = ("invoice", "create", "--partner", "ACME", "--number", "INV-1", "--amount", "119.00")


def payctl(env: dict[str, str], *args: str, stdout: object = subprocess.PIPE, code: int = 0):
    proc = subprocess.run(
        [executable(), *args],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    assert proc.returncode == code, (args, proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    return proc


def to_dev_full(env: dict[str, str], *args: str, code: int = 4) -> str:
    with open("/dev/full", "w") as full:
        return payctl(env, *args, stdout=full, code=code).stderr


def invoices(env: dict[str, str]) -> list[tuple[str, str]]:
    data = json.loads(payctl(env, "invoice", "list", "--sort", "id", "--format", "json").stdout)
    return [(i["number"], i["total"]) for i in data["items"]]


def test_a_write_whose_output_cannot_be_written_says_it_committed(cli_env):
    assert to_dev_full(cli_env, "partner", "create", "ACME", "--kind", "customer") == COMMITTED
    # table output (Rich, written while the command runs)
    assert to_dev_full(cli_env, *INVOICE, "--date", "2026-01-05") == COMMITTED
    assert invoices(cli_env) == [("INV-1", "119.00")]
    # a retry is refused by number: never a second invoice
    again = payctl(cli_env, *INVOICE, "--date", "2026-01-05", code=1)
    assert again.stderr == "payctl: error: invoice INV-1 already exists\n"
    # JSON output (still in the buffer when the command returns: flushed inside the door)
    json_args = (*INVOICE[:5], "INV-2", *INVOICE[6:], "--format", "json")
    assert to_dev_full(cli_env, *json_args) == COMMITTED
    assert invoices(cli_env) == [("INV-1", "119.00"), ("INV-2", "119.00")]


def test_a_read_whose_output_cannot_be_written_says_so_without_committed(cli_env):
    payctl(cli_env, "partner", "create", "ACME", "--kind", "customer")
    assert to_dev_full(cli_env, "list") == READ_ONLY
    assert to_dev_full(cli_env, "partner", "list", "--format", "json") == READ_ONLY
    assert to_dev_full(cli_env, "partner", "show", "ACME", "--format", "csv") == READ_ONLY
    assert to_dev_full(cli_env, "--version") == READ_ONLY


def closed_early(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run payctl, read its first line, close the pipe: what it then exits with and says."""
    proc = subprocess.Popen(
        [executable(), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    assert first, "no output at all"
    proc.stdout.close()
    try:
        stderr = proc.stderr.read().decode()
        return proc.wait(timeout=120), stderr
    finally:
        proc.kill()
        proc.wait()


def test_a_reader_closing_the_pipe_early_ends_payctl_quietly(cli_env, tmp_path: Path):
    names = tmp_path / "partners.csv"
    # far more than a pipe's buffer (64 KiB) in every format: the closed pipe is written to
    names.write_text(
        "name,kind\n" + "".join(f"Partner {i:05d} {'x' * 40},customer\n" for i in range(3000))
    )
    payctl(cli_env, "partner", "import", str(names))
    # stdout buffered as it is by default: with PYTHONUNBUFFERED Python's own text layer drops
    # the rest of a write the closed pipe cut short, and the one write of a table then "succeeds"
    env = {k: v for k, v in cli_env.items() if k != "PYTHONUNBUFFERED"}
    for fmt in ("table", "csv", "json"):
        code, stderr = closed_early(env, "partner", "list", "--limit", "5000", "-f", fmt)
        assert (code, stderr) == (141, ""), fmt


@pytest.mark.parametrize("locale", [{"LC_ALL": "C", "PYTHONUTF8": "0"}, {"LC_ALL": "C.UTF-8"}])
def test_arguments_that_are_not_utf8_are_refused_before_anything_is_written(cli_env, locale):
    """Python hands such bytes to payctl as lone surrogates (surrogateescape), in the C locale
    and in its UTF-8 mode alike; the database driver used to fail on them after parsing."""
    env = {**cli_env, **locale}
    cases: list[tuple[list[bytes], str]] = [
        ([b"partner", b"create", b"M\xfcller"], "command-line argument 'M\\xfcller'"),
        ([b"partner", b"create", b"ACME", b"--kind", b"c\xfc"], "the value of --kind ('c\\xfc')"),
        ([b"-f", b"j\xfcson", b"partner", b"list"], "the value of -f ('j\\xfcson')"),
        ([b"--quiet", b"partner", b"create", b"\xff"], "command-line argument '\\xff'"),
        (
            [b"invoice", b"create", b"--partner=M\xfcller", b"--amount", b"1"],
            "the value of --partner ('M\\xfcller')",
        ),
    ]
    for args, named in cases:
        proc = subprocess.run(
            [executable().encode(), *args], cwd=ROOT, env=env, capture_output=True, timeout=60
        )
        assert (proc.returncode, proc.stdout) == (2, b""), (args, proc.returncode, proc.stderr)
        assert proc.stderr.decode() == (
            f"payctl: error: {named} is not UTF-8 text; command-line arguments must be UTF-8\n"
        ), args
    assert json.loads(payctl(cli_env, "partner", "list", "-f", "json").stdout)["total"] == 0

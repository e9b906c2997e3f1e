"""`payctl check` after a large `payctl import --auto-confirm`, and its statement timeout.

The books come from the benchmark generator (benchmarks/bench_import.py): partners with IBANs,
open invoices, a bank CSV whose lines pay them in full, in instalments, by IBAN, by name, or are
noise. Right after the import PostgreSQL has no planner statistics for the new rows; check
used to join two aggregates there as a nested loop over every pair (85 s at 50,000 lines, over
the old 120 s client timeout on a busy machine, reported as "database unavailable").
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.bench_check import build_books
from benchmarks.bench_import import make_lines, make_master, write_csv
from payctl.cli.app import app
from payctl.errors import EXIT_DATABASE

runner = CliRunner()

# Every statement of a check at 10,000 lines takes well under 0.2 s on either backend; the
# pairwise nested loop took several seconds. The server-side timeout turns that into a failure
# that names the statement instead of a flaky wall-clock bound on the whole run.
PLAN_BOUND_SECONDS = "3"


@pytest.fixture
def imported(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    rnd = random.Random(2026)
    partners, invoices = make_master(600, 10_000, rnd)
    lines, _ = make_lines(10_000, invoices, rnd)
    extract = tmp_path / "extract.csv"
    write_csv(extract, lines)
    asyncio.run(build_books(db_url, partners, invoices))
    monkeypatch.setenv("PAYCTL_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYCTL_USER", "tester")
    result = runner.invoke(
        app, ["--quiet", "import", str(extract), "--journal", "BNK1", "--auto-confirm"]
    )
    assert result.exit_code == 0, result.output
    return db_url


@pytest.mark.slow
def test_check_passes_after_importing_10000_lines(imported, backend, monkeypatch):
    monkeypatch.setenv("PAYCTL_STATEMENT_TIMEOUT", PLAN_BOUND_SECONDS)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "ok: 9 checks passed" in result.output
    if backend != "postgresql":
        return  # statement_timeout is a PostgreSQL setting
    # same books (built once, they take a while): a statement cancelled by the server's
    # statement_timeout (SQLSTATE 57014) says so, it is not "cannot use database"
    monkeypatch.setenv("PAYCTL_STATEMENT_TIMEOUT", "0.001")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == EXIT_DATABASE
    assert result.output.strip().splitlines() == [
        "payctl: error: a statement ran longer than the 0.001 s statement timeout "
        "(PAYCTL_STATEMENT_TIMEOUT) and was cancelled; nothing was written. Raise "
        "PAYCTL_STATEMENT_TIMEOUT (seconds, 0 = no limit) or retry when the database is "
        "less busy"
    ]

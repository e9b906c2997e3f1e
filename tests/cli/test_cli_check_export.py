"""`payctl check` and `payctl export` through the CLI (CliRunner), on every backend.

The tamper tests change the database behind payctl's back: on SQLite by opening the file with
the sqlite3 module (as an accountant with a DB browser would), on PostgreSQL with asyncpg.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from payctl.db.engine import Database
from payctl.services.ledger.integrity_service import CHECKS
from tests.conftest import payctl
from tests.services.test_check import build_books
from tests.services.test_export import (
    BEANCOUNT_NAMES,
    LEDGER_NAMES,
    beancount_balances,
    parse_postings,
    payctl_balances,
    renamed,
)


async def _build(url: str) -> None:
    db = Database(url)
    try:
        async with db.session() as s:
            await build_books(s)
    finally:
        await db.dispose()


async def _balances(url: str) -> dict[str, Decimal]:
    db = Database(url)
    try:
        return await payctl_balances(db)
    finally:
        await db.dispose()


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An empty directory for export files (the SQLite test database lives in tmp_path)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture
def books(cli_env: dict[str, str], init_url: str) -> str:
    asyncio.run(_build(init_url))
    return init_url


def tamper(url: str, backend: str, *statements: str) -> None:
    """Change rows directly in the database file / server, outside payctl."""
    if backend == "sqlite":
        path = url.split("///", 1)[1]
        con = sqlite3.connect(path)
        try:
            for sql in statements:
                con.execute(sql)
            con.commit()
        finally:
            con.close()
        return

    async def pg() -> None:
        import asyncpg

        con = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            for sql in statements:
                await con.execute(sql)
        finally:
            await con.close()

    asyncio.run(pg())


def audit_unlocked(backend: str) -> list[str]:
    if backend == "sqlite":
        return ["DROP TRIGGER audit_log_no_update"]
    return ["ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"]


# ------------------------------------------------------------------------------ check


def test_check_passes_on_clean_books(books):
    result = payctl("check")
    assert result.stdout == ""
    assert result.stderr.strip() == f"ok: {len(CHECKS)} checks passed"
    result = payctl("check", "--format", "json")
    assert json.loads(result.stdout) == {"items": [], "total": 0}


TAMPERING = {
    "journal line debit": (
        [
            "UPDATE journal_lines SET debit = debit + 100 WHERE id = "
            "(SELECT min(id) FROM journal_lines WHERE debit > 0)"
        ],
        "entry_unbalanced",
        "JE/SAL/2026/00001 does not balance: debit 1191.00 != credit 1190.00",
    ),
    "invoice residual": (
        ["UPDATE invoices SET residual = residual + 1 WHERE number = 'INV-2'"],
        "invoice_residual",
        "invoice INV-2: residual 0.51, expected",
    ),
    "audit record changes": (
        ["UPDATE audit_log SET changes = '{\"amount\": 1}' WHERE id = 2"],
        "audit_chain",
        "audit record 2: content does not match its hash",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_check_catches_a_row_changed_behind_its_back(books, backend, case):
    statements, code, message = TAMPERING[case]
    if code == "audit_chain":
        statements = audit_unlocked(backend) + statements
    tamper(books, backend, *statements)
    result = payctl("check", "--format", "json", code=1)
    items = json.loads(result.stdout)["items"]
    assert code in {i["code"] for i in items}
    assert any(message in i["message"] for i in items), items
    assert "integrity violation(s) found" in result.stderr
    assert code in payctl("check", code=1).stdout


def test_check_on_an_uninitialised_database_says_how_to_fix_it(db_url, monkeypatch):
    monkeypatch.setenv("PAYCTL_DATABASE_URL", db_url)
    result = payctl("check", code=2)
    assert "payctl init" in result.stderr and "Traceback" not in result.output


# ----------------------------------------------------------------------------- export


def test_export_ledger_to_stdout_gives_payctl_balances(books):
    result = payctl("export", "--to", "ledger")
    transactions, balances = parse_postings(result.stdout)
    assert transactions > 10
    assert balances == renamed(asyncio.run(_balances(books)), LEDGER_NAMES)
    assert "exported" in result.stderr and "exported" not in result.stdout


def test_export_beancount_to_file(books, out_dir):
    target = out_dir / "books.beancount"
    result = payctl("export", "--to", "beancount", "--output", str(target))
    assert result.stdout == ""
    assert f"to {target}" in result.stderr
    text = target.read_text(encoding="utf-8")
    assert beancount_balances(text) == renamed(asyncio.run(_balances(books)), BEANCOUNT_NAMES)
    assert [p.name for p in out_dir.iterdir()] == ["books.beancount"]  # no temp file left


def test_export_date_range_and_csv(books):
    result = payctl("export", "--to", "csv", "--date-from", "2026-01-01", "--date-to", "2026-01-31")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("entry,date,journal,account_code")
    assert len(lines) == 1 + 2 * 7  # the seven invoices of January, two lines each
    assert all(",2026-01-05," in line for line in lines[1:])


def test_export_xlsx_needs_an_output_file(books, out_dir, monkeypatch):
    monkeypatch.chdir(out_dir)
    result = payctl("export", "--to", "xlsx", code=2)
    assert "--output" in result.stderr and result.stdout == ""
    assert list(out_dir.iterdir()) == []
    result = payctl("export", "--to", "xlsx", "-o", "books.xlsx")
    from openpyxl import load_workbook

    plain = out_dir / "plain"
    plain.write_text("")  # the export gets the permissions any new file gets, not 0600
    assert (out_dir / "books.xlsx").stat().st_mode == plain.stat().st_mode
    rows = list(load_workbook(out_dir / "books.xlsx").active.iter_rows(values_only=True))
    assert rows[0][0] == "entry" and len(rows) > 20


@pytest.mark.parametrize(
    "args, message",
    [
        (["--to", "csv", "--date-from", "2026-02-30"], "--date-from: '2026-02-30' is not a date"),
        (
            ["--to", "csv", "--date-from", "2026-03-01", "--date-to", "2026-01-01"],
            "--date-from 2026-03-01 is after --date-to 2026-01-01",
        ),
        (["--to", "csv", "--output", "no/such/dir/x.csv"], "does not exist"),
    ],
)
def test_export_bad_input_is_one_line_exit_2(books, out_dir, monkeypatch, args, message):
    monkeypatch.chdir(out_dir)
    result = payctl("export", *args, code=2)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == "" and list(out_dir.iterdir()) == []


def test_unknown_export_format_is_a_usage_error(cli_env):
    payctl("export", "--to", "pdf", code=2)


def test_help_has_examples():
    for command in ("check", "export"):
        result = payctl(command, "--help")
        assert "Example: payctl " + command in result.stdout

"""`payctl check` against books broken on purpose, `review accept --account` and `account`
from the command line, and an old database upgraded to schema 0009 (issue 10): its lines in
review or ignored are booked into the bank suspense account by `payctl init`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import func, select, text

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.db.schema import SCHEMA_HEAD, current_revision, upgrade_to
from payctl.services.setup_service import SetupService
from tests import factories
from tests.conftest import on_database, payctl
from tests.services.test_bank_import import books, imp, jsonl, ledger_balance, row
from tests.services.test_bank_suspense import mixed_file


# ------------------------------------------------------------- check finds a broken books
async def _sql(url: str, statement: str) -> None:
    db = Database(url)
    try:
        async with db.session() as s, s.begin():
            await s.execute(text(statement))
    finally:
        await db.dispose()


def test_check_finds_a_suspense_line_changed_in_sql(init_url, monkeypatch):
    async def prepare() -> None:
        db = Database(init_url)
        try:
            await mixed_file(db)
        finally:
            await db.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("PAYCTL_DATABASE_URL", init_url)
    payctl("check")
    asyncio.run(
        _sql(
            init_url,
            "UPDATE journal_lines SET credit = credit + 100 WHERE id = (SELECT max(id) FROM "
            "journal_lines WHERE credit > 0 AND account_id = "
            "(SELECT id FROM accounts WHERE code = '1090'))",
        )
    )
    result = payctl("check", code=1)
    assert "journal BNK1: the bank suspense account holds" in result.output


# ------------------------------------------------------------------- upgrade from 0008
async def _at_0008_with_review_lines(url: str) -> list[int]:
    db = Database(url)
    try:
        await upgrade_to(db.engine, "0008")
        async with db.session() as s:
            await SetupService(s).seed("EUR")
        await books(db)
        await imp(db, jsonl(row("99.00", name="Nobody", tx="x"), row("-5.00", tx="fee")))
        ids = await _line_ids(db)
        async with db.session() as s, s.begin():  # `review ignore` of that time
            await s.execute(text(f"UPDATE bank_lines SET state = 'ignored' WHERE id = {ids[1]}"))
        return ids
    finally:
        await db.dispose()


async def _line_ids(db: Database) -> list[int]:
    async with db.session() as s:
        return list(await s.scalars(text("SELECT id FROM bank_lines ORDER BY id")))


def test_upgrade_books_the_undecided_lines_of_an_old_database(db_url, monkeypatch):
    with factories.payctl_before_outbox(monkeypatch):
        asyncio.run(_at_0008_with_review_lines(db_url))
    monkeypatch.setenv("PAYCTL_DATABASE_URL", db_url)
    result = payctl("init")
    assert "2 bank lines in review or ignored booked into the bank suspense" in result.output
    payctl("check")
    result = payctl("init")  # again: nothing more to book
    assert "booked into the bank suspense" not in result.output

    async def state(db: Database) -> tuple[Any, ...]:
        async with db.session() as s:
            held = await s.scalar(
                select(func.count()).where(m.BankLine.suspense_entry_id.is_not(None))
            )
            opening = await s.scalar(
                select(m.Account.code).where(m.Account.role == "opening_equity")
            )
            transfer = await s.scalar(
                select(m.Account.code).where(m.Account.role == "internal_transfer")
            )
        return (
            await current_revision(db.engine),
            held,
            opening,
            transfer,
            await ledger_balance(db, "1090"),
        )

    assert on_database(db_url, state) == (SCHEMA_HEAD, 2, "3000", "1095", -(9900 - 500))


def test_review_accept_account_from_the_command_line(init_url, monkeypatch):
    lines = on_database(init_url, mixed_file)
    monkeypatch.setenv("PAYCTL_DATABASE_URL", init_url)
    monkeypatch.setenv("PAYCTL_USER", "tester")
    payctl("account", "create", "6270", "--name", "Bank fees", "--type", "expense")
    out = json.loads(payctl("account", "list", "--format", "json").stdout)
    items = out["items"] if isinstance(out, dict) else out
    assert {"code": "6270", "name": "Bank fees", "type": "expense", "role": None} in items
    for code, words in [("9999", "unknown account '9999'"), ("1090", "bank suspense account")]:
        result = payctl("review", "accept", lines[1].id, "--account", code, code=1)
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = payctl("review", "accept", lines[1].id, "--account", "6270", "--label", "fees")
    assert "booked to 6270 Bank fees" in result.stdout
    payctl("check")
    payctl("review", "unmatch", lines[1].id)
    payctl("check")
    result = payctl("account", "create", "6271", "--name", "X", "--type", "costs", code=2)
    assert "--type" in result.stderr


def test_opening_balance_from_the_command_line(init_url, monkeypatch):
    monkeypatch.setenv("PAYCTL_DATABASE_URL", init_url)
    args = ("journal", "opening-balance", "BNK1", "--date", "2026-01-01", "--amount")
    out = json.loads(payctl(*args, "250.00", "--format", "json").stdout)
    assert (out["amount"], out["currency"], out["replaced"]) == ("250.00", "EUR", None)
    result = payctl(*args, "300.00", code=1)
    assert "--replace" in result.stderr
    payctl(*args, "300.00", "--replace")
    payctl("check")
    result = payctl(*args, "1.001", "--replace", code=2)
    assert "--amount" in result.stderr


def test_check_finds_a_bank_account_changed_in_sql(init_url, monkeypatch):
    """Once the opening balance is booked, a bank line booked on the bank account for more
    than the bank says is found."""
    on_database(init_url, mixed_file)
    monkeypatch.setenv("PAYCTL_DATABASE_URL", init_url)
    payctl("journal", "opening-balance", "BNK1", "--date", "2026-01-01", "--amount", "10.00")
    payctl("check")
    asyncio.run(
        _sql(
            init_url,
            "UPDATE journal_lines SET debit = debit + 1 WHERE id = (SELECT max(jl.id) FROM "
            "journal_lines AS jl JOIN journal_entries AS je ON je.id = jl.entry_id "
            "WHERE jl.debit > 0 AND je.source_type = 'bank_suspense' AND jl.account_id = "
            "(SELECT id FROM accounts WHERE code = '1000'))",
        )
    )
    result = payctl("check", code=1)
    assert "journal BNK1: bank account 1000 holds" in result.output

"""Every bank line is booked (issue 10, points 1 and 2), on every backend: undecided lines wait
in the bank suspense account, a decision releases them, `review accept --account` books a line
to an account and `review unmatch` puts it back, opening balances, and `payctl check` holding
each journal's suspense and bank accounts to its lines and statements.

`payctl check` (IntegrityService) must pass after every test (autouse fixture of
test_bank_import, imported here); tests/cli/test_cli_bank_suspense.py breaks the books on
purpose and upgrades an old database.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.errors import InputError, NotFound, RuleViolation
from payctl.services.bank import suspense
from payctl.services.bank.decisions import BankDecisions
from payctl.services.bank.review_service import ReviewService
from payctl.services.ledger.journal_service import JournalService
from tests import factories
from tests.conftest import SAMPLE, on_database
from tests.services.test_bank_import import (  # noqa: F401 - _integrity is an autouse fixture
    _integrity,
    bank_lines,
    books,
    imp,
    jsonl,
    ledger_balance,
    row,
    violations,
)

# The repository's sample statements (sample_data/bank): balances that add up
CAMT = SAMPLE / "bank" / "2026-11_bnk1_camt053.xml"
MT940 = SAMPLE / "bank" / "2026-11_bnk1.sta"


async def call(db: Database, method: str, *args: Any, **kwargs: Any) -> Any:
    async with db.session() as s:
        return await getattr(ReviewService(s, "tester"), method)(*args, **kwargs)


async def journals(db: Database, method: str, *args: Any, **kwargs: Any) -> Any:
    async with db.session() as s:
        return await getattr(JournalService(s, "tester"), method)(*args, **kwargs)


async def counts(db: Database) -> dict[str, int]:
    async with db.session() as s:
        return await factories.row_counts(
            s, [m.JournalEntry, m.JournalLine, m.AuditRecord, m.Event, m.Account]
        )


async def undecided(db: Database) -> int:
    return sum(bl.amount for bl in await bank_lines(db) if bl.state in suspense.UNDECIDED)


async def mixed_file(db: Database) -> list[m.BankLine]:
    """One line matched (a payment made from it), three nobody can place, over two days."""
    await books(db)
    await imp(
        db,
        jsonl(
            row("1190.00", text="INV-2026-0001", tx="a"),
            row("-12.50", day="2026-02-03", text="bank fee", tx="fee"),
            row("99.00", day="2026-02-04", name="Unknown Ltd", tx="unknown"),
            row("-2000.00", day="2026-02-04", text="salaries", tx="salaries"),
        ),
        auto_confirm=True,
    )
    return await bank_lines(db)


async def test_import_books_every_line(db):
    lines = await mixed_file(db)
    assert [bl.state for bl in lines] == ["matched", "review", "review", "review"]
    assert await ledger_balance(db, "1000") == 119000 - 1250 + 9900 - 200000
    assert await ledger_balance(db, "1090") == -(-1250 + 9900 - 200000)
    held = [bl.suspense_entry_id for bl in lines]
    assert held[0] is None and None not in held[1:]
    # one entry per booking date, not one per line
    assert held[2] == held[3] != held[1]
    async with db.session() as s:
        entry = await s.get(m.JournalEntry, held[2])
        assert entry.source_type == suspense.SOURCE and entry.number.startswith("JE/BNK1/2026/")
        assert str(entry.date) == "2026-02-04"


async def test_sample_statements_with_review_lines_keep_the_invariant(db):
    report = await imp(db, CAMT.read_bytes(), source=CAMT.name)
    assert report.new_lines and report.unmatched + report.to_review == report.new_lines
    assert await ledger_balance(db, "1090") == -await undecided(db)
    assert await ledger_balance(db, "1000") == await undecided(db)
    report = await imp(db, MT940.read_bytes(), source=MT940.name, journal="CSH1")
    assert report.new_lines
    assert await ledger_balance(db, "1090") == -await undecided(db)
    assert await ledger_balance(db, "1000") + await ledger_balance(db, "1010") == await undecided(
        db
    )


async def test_book_to_account_and_unmatch(db):
    lines = await mixed_file(db)
    fee = lines[1]
    await journals(db, "create_account", "6270", "Bank fees", "expense")
    outcome = await call(db, "accept", fee.id, account="6270", label="fees February")
    assert outcome.action == "booked" and "6270 Bank fees" in outcome.message
    (after,) = [bl for bl in await bank_lines(db) if bl.id == fee.id]
    assert (after.state, after.link, after.rule, after.suspense_entry_id) == (
        "booked",
        "account",
        "manual",
        None,
    )
    assert after.reason == "booked by hand to 6270 by tester"
    assert await ledger_balance(db, "6270") == 1250
    assert await ledger_balance(db, "1090") == -await undecided(db) == -(9900 - 200000)
    assert await ledger_balance(db, "1000") == 119000 - 1250 + 9900 - 200000  # unchanged
    async with db.session() as s:
        event = await s.scalar(select(m.Event).order_by(m.Event.id.desc()).limit(1))
        record = await s.scalar(select(m.AuditRecord).order_by(m.AuditRecord.id.desc()).limit(1))
    assert event.type == "bank_line.booked_to_account"
    assert json.loads(event.payload)["account"] == "6270"
    assert (record.action, record.object_type, record.object_id) == ("book", "bank_line", fee.id)
    with pytest.raises(RuleViolation, match="already booked"):
        await call(db, "accept", fee.id, account="6270")

    outcome = await call(db, "unmatch", fee.id)
    assert "booking reversed" in outcome.message
    (back,) = [bl for bl in await bank_lines(db) if bl.id == fee.id]
    assert (back.state, back.link, back.reconcile_entry_id) == ("review", None, None)
    assert back.suspense_entry_id is not None
    assert await ledger_balance(db, "6270") == 0
    assert await ledger_balance(db, "1090") == -await undecided(db)
    # and it can be booked again
    await call(db, "accept", fee.id, account="6270")
    assert await ledger_balance(db, "6270") == 1250


async def test_book_to_account_is_set_wise_for_rules(db):
    lines = await mixed_file(db)
    await journals(db, "create_account", "6400", "Sundry", "expense")
    async with db.session() as s, s.begin():
        decisions = BankDecisions(s, "rules")
        account = await decisions.postable_account("6400")
        ids = [bl.id for bl in lines[1:]]
        picked = list(await s.scalars(select(m.BankLine).where(m.BankLine.id.in_(ids))))
        booked = await decisions.book_to_account(picked, account, None, "rule 'sundry'", "sundry")
    assert len(booked) == 3
    assert await ledger_balance(db, "1090") == 0
    assert await ledger_balance(db, "6400") == -(-1250 + 9900 - 200000)
    assert {bl.rule for bl in await bank_lines(db) if bl.state == "booked"} == {"sundry"}


async def test_accept_to_a_payment_releases_the_line(db):
    lines = await mixed_file(db)
    await call(db, "accept", lines[2].id, partner="ACME GmbH", auto_confirm=True)
    assert await ledger_balance(db, "1090") == -await undecided(db) == -(-1250 - 200000)
    assert await ledger_balance(db, "1000") == 119000 - 1250 + 9900 - 200000


async def test_ignored_lines_stay_in_suspense(db):
    lines = await mixed_file(db)
    before = await ledger_balance(db, "1090")
    await call(db, "ignore", lines[1].id, "fee, leave it")
    assert await ledger_balance(db, "1090") == before == -await undecided(db)
    await call(db, "accept", lines[1].id, partner="Supplier BV", auto_confirm=True)
    assert await ledger_balance(db, "1090") == -await undecided(db)


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [
        ("9999", NotFound, "unknown account"),
        ("1090", RuleViolation, "bank suspense"),
        ("1100", RuleViolation, "receivable"),
        ("2000", RuleViolation, "payable"),
        ("1000", RuleViolation, "bank account"),
        ("1020", RuleViolation, "outstanding"),
        ("3000", RuleViolation, "opening balance"),
    ],
)
async def test_account_that_cannot_take_a_line(db, code, error, words):
    lines = await mixed_file(db)
    before = await counts(db)
    with pytest.raises(error, match=words):
        await call(db, "accept", lines[1].id, account=code)
    assert await counts(db) == before
    assert [bl.state for bl in await bank_lines(db)][1] == "review"


async def test_account_with_another_decision_is_bad_usage(db):
    lines = await mixed_file(db)
    with pytest.raises(InputError, match="--account"):
        await call(db, "accept", lines[1].id, partner="ACME GmbH", account="6900")


async def test_opening_balance_once_per_journal(db):
    booked = await journals(db, "book_opening_balance", "BNK1", "2026-01-01", "1000.00")
    assert (booked.amount, booked.replaced) == ("1000.00", None)
    assert await ledger_balance(db, "1000") == 100000 == -await ledger_balance(db, "3000")
    with pytest.raises(RuleViolation, match="--replace"):
        await journals(db, "book_opening_balance", "BNK1", "2026-01-01", "900.00")
    again = await journals(db, "book_opening_balance", "BNK1", "2026-01-01", "-50.00", True)
    assert again.replaced == booked.entry
    assert await ledger_balance(db, "1000") == -5000
    with pytest.raises(InputError, match="--amount"):
        await journals(db, "book_opening_balance", "BNK1", "2026-01-01", "abc")
    zero = await journals(db, "book_opening_balance", "CSH1", "2026-01-01", "0")
    assert (zero.amount, zero.entry) == ("0.00", None)  # recorded, no entry
    with pytest.raises(RuleViolation, match="already has its opening balance 0.00"):
        await journals(db, "book_opening_balance", "CSH1", "2026-01-01", "0")


async def test_import_says_how_to_book_the_opening_balance(db):
    report = await imp(db, CAMT.read_bytes(), source=CAMT.name)
    (hint,) = [w for w in report.warnings if "opening balance" in w]
    assert "payctl journal opening-balance BNK1 --date" in hint
    async with db.session() as s:
        st = await s.scalar(select(m.BankStatement))
    assert st.opening_balance, "the sample opens at a balance"
    # booked as the report says, the bank account follows the statement to its closing balance
    day = hint.split("--date ")[1].split()[0]
    amount = hint.split("--amount ")[1].split("`")[0]
    await journals(db, "book_opening_balance", "BNK1", day, amount)
    assert await ledger_balance(db, "1000") == st.closing_balance
    assert await violations(db) == []


async def test_import_books_the_opening_balance_when_asked(db):
    report = await imp(db, CAMT.read_bytes(), source=CAMT.name, book_opening=True)
    assert report.opening_balance and "booked" in report.opening_balance
    assert not [w for w in report.warnings if "opening balance" in w]
    async with db.session() as s:
        st = await s.scalar(select(m.BankStatement))
    assert await ledger_balance(db, "1000") == st.closing_balance


async def test_account_create_update(db):
    view = await journals(db, "create_account", "6270", "Bank fees", "expense")
    assert (view.code, view.type, view.role) == ("6270", "expense", None)
    with pytest.raises(RuleViolation, match="already exists"):
        await journals(db, "create_account", "6270", "Again", "expense")
    with pytest.raises(RuleViolation, match="already has the role"):
        await journals(db, "create_account", "6271", "Other suspense", "asset", "bank_suspense")
    with pytest.raises(InputError, match="--type"):
        await journals(db, "create_account", "6272", "X", "costs")
    view = await journals(db, "update_account", "6270", name="Bank charges", type="liability")
    assert (view.name, view.type) == ("Bank charges", "liability")
    await journals(db, "update_account", "6270", type="expense")
    lines = await mixed_file(db)
    await call(db, "accept", lines[1].id, account="6270")
    with pytest.raises(RuleViolation, match="journal lines"):
        await journals(db, "update_account", "6270", type="income")
    async with db.session() as s:
        types = [e.type for e in await s.scalars(select(m.Event).order_by(m.Event.id))]
    assert types.count("account.created") == 1 and types.count("account.updated") == 2


# ----------------------------------------------------------------------- concurrency
@pytest.mark.slow
def test_two_processes_importing_different_statements_keep_the_invariant(init_url, tmp_path):
    """Two statements of one journal imported at the same moment by two processes: every
    line in once, each undecided one in suspense, the suspense balance their sum."""
    from tests.services.test_import_concurrency import _books, _lines, _race, _state

    asyncio.run(_books(init_url))
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(_lines(1, 15))
    b.write_bytes(_lines(16, 30))
    results = _race(init_url, [a, b])
    assert all(r["ok"] and r["error"] is None for r in results), results
    assert sum(r["new_lines"] for r in results) == 60
    state = asyncio.run(_state(init_url))
    assert state["violations"] == []

    async def balances(db: Database) -> tuple[int, int, int]:
        async with db.session() as s:
            held = await s.scalar(
                select(func.count()).where(
                    m.BankLine.state == "review", m.BankLine.suspense_entry_id.is_not(None)
                )
            )
        return held, await ledger_balance(db, "1090"), await undecided(db)

    held, in_suspense, waiting = on_database(init_url, balances)
    assert held == 30 and in_suspense == -waiting == 30 * 150


async def test_a_line_of_zero_books_nothing_and_check_passes(db):
    await imp(db, jsonl(row("0.00", text="zero", tx="z"), row("-3.00", text="fee", tx="f")))
    zero, fee = await bank_lines(db)
    assert (zero.state, zero.suspense_entry_id) == ("review", None)
    assert fee.suspense_entry_id is not None
    assert await ledger_balance(db, "1090") == 300
    await journals(db, "create_account", "6270", "Bank fees", "expense")
    with pytest.raises(RuleViolation, match="moves no money"):
        await call(db, "accept", zero.id, account="6270")

"""A bank line reconciles only payments of its own journal, a payment is on one bank line at
most (a unique index, migration 0005), and `payctl check` sees a line holding a payment that is
no longer posted or a payment held twice (issue 14, points 2 and 3). On every backend.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.db.schema import SCHEMA_HEAD, current_revision, upgrade_to
from payctl.db.uow import begin
from payctl.errors import RuleViolation
from payctl.services.bank.bank_extract_service import BankExtractService
from payctl.services.bank.review_service import ReviewService
from payctl.services.ledger.integrity_service import IntegrityService
from payctl.services.parties.partner_service import PartnerService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_service import PaymentService
from payctl.services.setup_service import SetupService
from tests import factories
from tests.conftest import payctl
from tests.services.test_bank_import import GLOBEX_IBAN, jsonl, row

LINE = jsonl(row("250.00", day="2026-02-04", iban=GLOBEX_IBAN, tx="T1"))


async def _posted(db: Database, journal: str = "BNK1") -> int:
    async with db.session() as s:
        await PartnerService(s, "tester").create_partner("Globex", "customer", [GLOBEX_IBAN])
        view = await PaymentService(s, "tester").create_payment(
            "customer_payment", "Globex", journal, "250.00", "2026-02-01"
        )
        await PaymentFlowService(s, "tester").confirm_payment(view.id)
        return view.id


async def _import(db: Database, journal: str, data: bytes = LINE) -> Any:
    async with db.session() as s:
        return await BankExtractService(s, "tester").import_file(
            data, f"{journal}.jsonl", journal, input_format="jsonl"
        )


async def _lines(db: Database) -> list[tuple[Any, ...]]:
    async with db.session() as s:
        rows = await s.execute(
            select(m.BankLine.id, m.BankLine.state, m.BankLine.payment_id).order_by(m.BankLine.id)
        )
        return [tuple(r) for r in rows]


async def _sql(db: Database, *statements: str) -> None:
    """Raw SQL behind payctl's back, committed."""
    async with db.session() as s:
        await begin(s, write=True)
        for sql in statements:
            await s.execute(text(sql))
        await s.commit()


async def _violations(db: Database) -> set[tuple[str, str]]:
    async with db.session() as s:
        return {(v.code, v.object) for v in await IntegrityService(s, "tester").check()}


def _copy_line(line_id: int, journal: str | None = None) -> str:
    """A second bank line holding the same payment (as two racing imports made it)."""
    journal_id = f"(SELECT id FROM journals WHERE code = '{journal}')" if journal else "journal_id"
    return (
        "INSERT INTO bank_lines (statement_id, journal_id, fingerprint, booking_date, amount, "
        "currency, state, link, payment_id, reconcile_entry_id, created_at) "
        f"SELECT statement_id, {journal_id}, 'copy', booking_date, amount, currency, state, "
        f"link, payment_id, reconcile_entry_id, created_at FROM bank_lines WHERE id = {line_id}"
    )


# ------------------------------------------------------------------------ one journal
async def test_a_line_only_reconciles_payments_of_its_own_journal(db):
    pid = await _posted(db, "BNK1")
    report = await _import(db, "CSH1")
    assert report.reconciled == 0
    assert [state for _, state, _ in await _lines(db)] == ["review"]
    report = await _import(db, "BNK1")
    assert report.reconciled == 1
    assert [p for _, _, p in await _lines(db)] == [None, pid]
    assert await _violations(db) == set()


async def test_review_accept_refuses_a_payment_of_another_journal(db):
    await _import(db, "CSH1")  # before the payment exists: the line waits in review
    pid = await _posted(db, "BNK1")
    ((line, _, _),) = await _lines(db)
    async with db.session() as s:
        with pytest.raises(RuleViolation, match="only reconciles payments of its own journal"):
            await ReviewService(s, "tester").accept(line, payment=str(pid))
    assert await _lines(db) == [(line, "review", None)]


# ------------------------------------------------------------------------- check
async def test_check_reports_a_reconciled_payment_that_is_no_longer_posted(db):
    """What the import/reset race left: the payment reset (its entry reversed) while its bank
    line stayed matched with its reconciliation entry posted."""
    pid = await _posted(db)
    await _import(db, "BNK1")
    ((line, _, _),) = await _lines(db)
    await _sql(db, f"UPDATE bank_lines SET payment_id = NULL WHERE id = {line}")
    async with db.session() as s:
        await PaymentFlowService(s, "tester").reset_payment_to_draft(pid, "race")
    await _sql(db, f"UPDATE bank_lines SET payment_id = {pid} WHERE id = {line}")
    assert await _violations(db) == {("bank_line_payment", f"bank line {line}")}


async def test_check_reports_a_payment_on_two_lines_and_a_line_of_another_journal(db):
    pid = await _posted(db)
    await _import(db, "BNK1")
    ((line, _, _),) = await _lines(db)
    await _sql(db, "DROP INDEX ix_bank_lines_payment_id", _copy_line(line, journal="CSH1"))
    copy = max(i for i, _, _ in await _lines(db))
    async with db.session() as s:
        number = await s.scalar(select(m.Payment.number).where(m.Payment.id == pid))
    assert await _violations(db) == {
        ("payment_on_several_lines", number),
        ("bank_line_journal", f"bank line {copy}"),
        ("audit_bank_line", f"bank line {copy}"),  # a line no import recorded
    }


# ------------------------------------------- one bank line per payment (0005)
async def test_the_database_refuses_a_payment_on_two_lines(db):
    pid = await _posted(db)
    assert (await _import(db, "BNK1")).reconciled == 1
    ((line, _, held),) = await _lines(db)
    assert held == pid
    with pytest.raises(IntegrityError):
        await _sql(db, _copy_line(line))
    assert len(await _lines(db)) == 1


async def _at_0004_with_a_payment_on_two_lines(url: str) -> tuple[int, int, int]:
    db = Database(url)
    try:
        await upgrade_to(db.engine, "0004")
        async with db.session() as s:
            await SetupService(s).seed("EUR")
        pid = await _posted(db)
        await _import(db, "BNK1")
        ((line, _, _),) = await _lines(db)
        await _sql(db, _copy_line(line))
        copy = max(i for i, _, _ in await _lines(db))
        return pid, line, copy
    finally:
        await db.dispose()


async def _revision(url: str) -> str | None:
    db = Database(url)
    try:
        return await current_revision(db.engine)
    finally:
        await db.dispose()


def test_upgrade_names_the_lines_to_unmatch_and_changes_nothing(db_url, monkeypatch):
    with factories.payctl_before_outbox(monkeypatch):
        pid, line, copy = asyncio.run(_at_0004_with_a_payment_on_two_lines(db_url))
    monkeypatch.setenv("PAYCTL_DATABASE_URL", db_url)
    result = payctl("init", code=1)
    (message,) = result.output.strip().splitlines()
    assert f"payment {pid} is on bank lines {line}, {copy}" in message
    assert f"payctl review unmatch {copy}" in message
    assert "Traceback" not in result.output
    assert asyncio.run(_revision(db_url)) == "0004"

    async def drop_copy() -> None:
        db = Database(db_url)
        try:
            await _sql(db, f"DELETE FROM bank_lines WHERE id = {copy}")
        finally:
            await db.dispose()

    asyncio.run(drop_copy())
    result = payctl("init")
    assert asyncio.run(_revision(db_url)) == SCHEMA_HEAD

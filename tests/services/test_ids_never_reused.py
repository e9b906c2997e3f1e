"""Ids are never reused (issue "Trust first", point 1), on every backend: a payment created after
the last one was deleted gets a greater id, whether it is inserted one by one (create), set-wise
(bank import, which reserves its ids up front) or after a bulk delete."""

from __future__ import annotations

from sqlalchemy import select, text

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.services.bank.bank_extract_service import BankExtractService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_service import PaymentService
from payctl.services.payments.selection import Selection
from tests import factories
from tests.services.test_bank_import import ACME_IBAN, jsonl, row


async def _payment_ids(db: Database) -> list[int]:
    async with db.session() as s:
        return list((await s.execute(select(m.Payment.id).order_by(m.Payment.id))).scalars())


async def test_a_payment_created_after_a_delete_gets_a_new_id(db):
    async with db.session() as s:
        await factories.customer(s)
        first = (await factories.draft(s, "10.00")).id
        last = (await factories.draft(s, "20.00")).id
        await PaymentService(s, "tester").delete_payment(last)
        created = (await factories.draft(s, "30.00")).id
    assert created > last > first
    assert await _payment_ids(db) == [first, created]


async def test_a_payment_created_after_a_bulk_delete_gets_a_new_id(db):
    async with db.session() as s:
        await factories.customer(s)
        ids = [(await factories.draft(s, "10.00", reference=f"R{i}")).id for i in range(3)]
        report = await PaymentFlowService(s, "tester").bulk(
            "delete", Selection([str(i) for i in ids[1:]])
        )
        assert report.succeeded == 2
        created = (await factories.draft(s, "30.00")).id
    assert created > ids[-1]


async def test_set_wise_inserts_do_not_reuse_a_deleted_id(db):
    """A bank import creates its payments with ids reserved up front (db/ids.py)."""
    async with db.session() as s:
        await factories.customer(s, iban=ACME_IBAN)
        await factories.invoice(s, "INV-1", amount="80.00")
        last = (await factories.draft(s, "20.00")).id
        await PaymentService(s, "tester").delete_payment(last)
        report = await BankExtractService(s, "tester").import_file(
            jsonl(row("80.00", text="INV-1", iban=ACME_IBAN)),
            "bank.jsonl",
            "BNK1",
            input_format="jsonl",
        )
    assert report.payments_created == 1
    (created,) = await _payment_ids(db)
    assert created > last


async def test_every_id_column_is_backed_by_a_counter_that_never_goes_back(db):
    """PostgreSQL: a serial sequence that does not cycle; SQLite: AUTOINCREMENT."""
    tables = sorted(t.name for t in m.Base.metadata.sorted_tables if "id" in t.c)
    async with db.session() as s:
        for table in tables:
            if db.dialect == "postgresql":
                cycles = await s.scalar(
                    text(
                        "SELECT seqcycle FROM pg_sequence "
                        "WHERE seqrelid = pg_get_serial_sequence(:t, 'id')::regclass"
                    ),
                    {"t": table},
                )
                assert cycles is False, f"{table}.id has no sequence, or one that cycles"
            else:
                sql = await s.scalar(
                    text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                    {"t": table},
                )
                assert "AUTOINCREMENT" in sql, f"{table} lets SQLite reuse the ids of deleted rows"

"""Migration 0004 (ids never reused) on a database built at revision 0003 and used there, on
every backend, upgraded by `payctl init`: every row, index, trigger and foreign key is kept, and
the next id of each table is above the highest it ever handed out, including ids of deleted rows
that only the audit trail still names.

What is deleted at 0003, and how the audit trail names it:
- the two last payments (deleted drafts: object_id and the payment_id column);
- the last partner, named only inside an update's [before, after] diff of a payment;
- the last bank line, named as a reviewed ("ignore") bank line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.db.schema import SCHEMA_HEAD, current_revision, upgrade_to
from payctl.services.bank.bank_extract_service import BankExtractService
from payctl.services.bank.review_service import ReviewService
from payctl.services.parties.partner_service import PartnerService
from payctl.services.payments.payment_service import PaymentService
from payctl.services.setup_service import SetupService
from tests import factories
from tests.conftest import payctl
from tests.services.test_bank_import import ACME_IBAN, jsonl, row

ADDED_AFTER_0004 = {"events", "event_destinations"}  # 0008, the outbox
# 0009: bank_lines.suspense_entry_id, transfer_journal_id, transfer_line_id (and their foreign
# keys), the opening_equity and internal_transfer roles (the role constraint of accounts, and the
# accounts 3000 and 1095 the upgrade adds)
CHANGED_BY_0009 = {"accounts", "bank_lines"}
NEW_IN_0009 = {"suspense_entry_id", "transfer_journal_id", "transfer_line_id"}
# 0010: the indexes no query used, and bank lines' booking date index now by journal and date
DROPPED_BY_0010 = {"ix_payments_reference", "ix_payments_journal_id", "ix_bank_lines_booking_date"}
ADDED_BY_0010 = {"ix_bank_lines_journal_id_booking_date"}
TABLES = [t.name for t in m.Base.metadata.sorted_tables if t.name not in ADDED_AFTER_0004]


async def _at_0003(db: Database, with_sqlite_sequence: bool) -> None:
    await upgrade_to(db.engine, "0003")
    if with_sqlite_sequence and db.dialect == "sqlite":
        # Today's set-wise inserts (invoices, bank lines) read sqlite_sequence, which every
        # database at 0004 has; SQLite makes it with the first AUTOINCREMENT table.
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY AUTOINCREMENT)"))
            await conn.execute(text("DROP TABLE scratch"))
    async with db.session() as s:
        await SetupService(s).seed("EUR")


async def _used_at_0003(url: str) -> dict[str, int]:
    """Build the database at 0003, work in it, delete the last rows; the ids deleted."""
    db = Database(url)
    try:
        await _at_0003(db, with_sqlite_sequence=True)
        async with db.session() as s:
            await factories.customer(s, iban=ACME_IBAN)
            await factories.invoice(s, "INV-1", amount="80.00")
            report = await BankExtractService(s, "tester").import_file(
                jsonl(
                    row("80.00", text="INV-1", iban=ACME_IBAN, tx="T1"),
                    row("5.00", text="fee?", tx="T2"),
                ),
                "bank.jsonl",
                "BNK1",
                input_format="jsonl",
            )
            assert (report.payments_created, report.to_review + report.unmatched) == (1, 1)
            line = await s.scalar(select(func.max(m.BankLine.id)))
            await s.rollback()
            await ReviewService(s, "tester").ignore(line, reason="bank fee")

            gone_partner = (await factories.customer(s, "Gone Ltd")).id
            payments = PaymentService(s, "tester")
            kept = (await factories.draft(s, "10.00")).id
            await payments.update_payment(kept, partner="Gone Ltd")
            await payments.update_payment(kept, partner="ACME GmbH")
            doomed = [(await factories.draft(s, "20.00", reference=f"D{i}")).id for i in (1, 2)]
            for pid in doomed:
                await payments.delete_payment(pid, reason="duplicate")
            async with s.begin():
                await s.execute(delete(m.BankLine).where(m.BankLine.id == line))
                await s.execute(delete(m.Partner).where(m.Partner.id == gone_partner))
        return {"payments": max(doomed), "partners": gone_partner, "bank_lines": line}
    finally:
        await db.dispose()


async def _state(url: str) -> dict[str, Any]:
    """Every row of every table, and on SQLite the schema (tables, indexes, triggers, keys)."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            rows = {t: (await conn.execute(text(_select_all(t)))).all() for t in TABLES}
            out: dict[str, Any] = {"revision": None, "rows": rows}
            if db.dialect == "sqlite":
                schema = (
                    await conn.execute(
                        text(
                            "SELECT type, name, tbl_name, sql FROM sqlite_master "
                            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
                        )
                    )
                ).all()
                out["schema"] = [
                    (k, n, t, _plain(sql))
                    for k, n, t, sql in schema
                    if t not in ADDED_AFTER_0004 and not (k == "table" and n in CHANGED_BY_0009)
                ]
                out["foreign_keys"] = {
                    t: [
                        fk
                        for fk in (await conn.execute(text(f"PRAGMA foreign_key_list({t})"))).all()
                        if fk[3] not in NEW_IN_0009
                    ]
                    for t in TABLES
                }
                out["fk_check"] = (await conn.execute(text("PRAGMA foreign_key_check"))).all()
                out["integrity"] = (await conn.execute(text("PRAGMA integrity_check"))).all()
        out["revision"] = await current_revision(db.engine)
        return out
    finally:
        await db.dispose()


def _select_all(table: str) -> str:
    """Every row of ``table`` with the columns it had at 0003 (0009 adds some)."""
    if table == "bank_lines":
        columns = ", ".join(c.name for c in m.BankLine.__table__.c if c.name not in NEW_IN_0009)
        return f"SELECT {columns} FROM bank_lines ORDER BY 1"
    if table == "accounts":
        return (
            "SELECT * FROM accounts WHERE role IS NULL "
            "OR role NOT IN ('opening_equity', 'internal_transfer') ORDER BY 1"
        )
    return f"SELECT * FROM {table} ORDER BY 1"


def _plain(sql: str | None) -> str | None:
    """A table's CREATE statement without what 0004 changes: AUTOINCREMENT and the quoting
    SQLite gives the name when it renames the rebuilt table; nor what 0005 changes: the index
    on bank_lines.payment_id made unique."""
    if sql is None:
        return None
    head, _, body = sql.partition("(")
    head = head.replace(
        "CREATE UNIQUE INDEX ix_bank_lines_payment_id", "CREATE INDEX ix_bank_lines_payment_id"
    )
    return head.replace('"', "") + "(" + body.replace(" AUTOINCREMENT", "")


async def _new_ids(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        async with db.session() as s:
            payment = (await factories.draft(s, "30.00", reference="after")).id
            partner = (await PartnerService(s, "tester").create_partner("New Ltd", "vendor")).id
            await BankExtractService(s, "tester").import_file(
                jsonl(row("7.00", text="later", tx="T3")),
                "later.jsonl",
                "BNK1",
                input_format="jsonl",
            )
            line = await s.scalar(select(func.max(m.BankLine.id)))
            return {"payments": payment, "partners": partner, "bank_lines": line}
    finally:
        await db.dispose()


def test_payctl_init_upgrades_a_0003_database_keeping_data_and_never_reusing_ids(
    db_url, backend, monkeypatch
):
    with factories.payctl_before_outbox(monkeypatch):
        deleted = asyncio.run(_used_at_0003(db_url))
    before = asyncio.run(_state(db_url))
    assert before["revision"] == "0003"
    for table, gone in deleted.items():  # the last rows really are gone
        assert all(r[0] < gone for r in before["rows"][table]), table

    monkeypatch.setenv("PAYCTL_DATABASE_URL", db_url)
    payctl("init")
    after = asyncio.run(_state(db_url))
    assert after["revision"] == SCHEMA_HEAD

    trail, old_trail = after["rows"].pop("audit_log"), before["rows"].pop("audit_log")
    head, _ = after["rows"].pop("audit_head"), before["rows"].pop("audit_head")
    assert after["rows"] == before["rows"]
    # schema 0006 appends one baseline record (audit_match: what older records lack)
    assert trail[: len(old_trail)] == old_trail
    (baseline,) = trail[len(old_trail) :]
    assert (baseline.object_type, baseline.action) == ("audit_baseline", "baseline")
    assert head == [(1, baseline.hash)]
    payctl("check")
    if backend == "sqlite":
        kept = [entry for entry in before["schema"] if entry[1] not in DROPPED_BY_0010]
        assert len(kept) == len(before["schema"]) - len(DROPPED_BY_0010)
        assert [entry for entry in after["schema"] if entry[1] not in ADDED_BY_0010] == kept
        assert after["foreign_keys"] == before["foreign_keys"]
        assert after["fk_check"] == [] and after["integrity"] == [("ok",)]
        asyncio.run(_audit_log_is_still_append_only(db_url))

    new = asyncio.run(_new_ids(db_url))
    for table, gone in deleted.items():
        assert new[table] > gone, f"{table}: id {new[table]} handed out again"

    payctl("init")  # idempotent


async def _audit_log_is_still_append_only(url: str) -> None:
    db = Database(url)
    try:
        for sql in ("UPDATE audit_log SET user = 'x'", "DELETE FROM audit_log"):
            try:
                async with db.engine.begin() as conn:
                    await conn.execute(text(sql))
            except DBAPIError as exc:
                assert "append-only" in str(exc)
            else:
                raise AssertionError(f"{sql} was allowed")
    finally:
        await db.dispose()


def test_a_0003_database_that_never_had_sqlite_sequence(db_url, monkeypatch):
    """As a real 0003 SQLite database: no AUTOINCREMENT table yet, so no sqlite_sequence."""

    async def used() -> int:
        db = Database(db_url)
        try:
            await _at_0003(db, with_sqlite_sequence=False)
            async with db.session() as s:
                partner = (await factories.customer(s)).id
                # an ORM insert, as the code of that time did (today's set-wise create reads
                # sqlite_sequence, which this database cannot have yet)
                async with s.begin():
                    journal = await s.scalar(select(m.Journal.id).where(m.Journal.code == "BNK1"))
                    payment = m.Payment(
                        type="customer_payment",
                        state="draft",
                        partner_id=partner,
                        journal_id=journal,
                        amount=2000,
                        currency="EUR",
                        date=dt.date(2026, 2, 1),
                        created_by="tester",
                    )
                    s.add(payment)
                    await s.flush()
                    last = payment.id
                await PaymentService(s, "tester").delete_payment(last)
            return last
        finally:
            await db.dispose()

    async def new_payment() -> int:
        db = Database(db_url)
        try:
            async with db.session() as s:
                return (await factories.draft(s, "30.00")).id
        finally:
            await db.dispose()

    with factories.payctl_before_outbox(monkeypatch):
        deleted = asyncio.run(used())
    monkeypatch.setenv("PAYCTL_DATABASE_URL", db_url)
    payctl("init")
    assert asyncio.run(new_payment()) > deleted

"""Money knows its currency (issue 9, point 1), on every backend: JPY (no decimals), EUR and
KWD (three) payments, invoices, write-off tolerances, amount filters, bank lines and messages;
the default currency of a database (the setting `init` writes, migration 0007 for older ones).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text, update

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.db.schema import upgrade_to, upgrade_to_head
from payctl.db.uow import begin
from payctl.errors import InputError
from payctl.importers.records import SourceRow
from payctl.services.bank.bank_extract_service import BankExtractService
from payctl.services.ledger import settings
from payctl.services.ledger.export_service import ExportService
from payctl.services.ledger.integrity_service import IntegrityService
from payctl.services.ledger.journal_service import JournalService
from payctl.services.parties.invoice_service import InvoiceService
from payctl.services.parties.partner_service import PartnerService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_queries import PaymentFilter
from payctl.services.payments.payment_service import PaymentService
from payctl.services.setup_service import SetupService
from tests.services.test_bank_import import jsonl, row

ACME = "ACME GmbH"
# journal, currency, an invoice total, what a payment pays of it; the difference is 1.00 in
# the currency's own units (1 yen, 1.00 euro, 1.000 dinar): the default tolerance
BOOKS = [
    ("JPY1", "JPY", "10000", "9999"),
    ("BNK1", "EUR", "100.00", "99.00"),
    ("KWD1", "KWD", "100.000", "99.000"),
]


async def put_setting(db: Database, key: str, value: str) -> None:
    async with db.session() as s:
        await begin(s, write=True)
        await settings.put(s, key, value)
        await s.commit()


async def books(db: Database) -> None:
    """ACME, the JPY1 and KWD1 bank journals (BNK1 is EUR) and one open invoice in each."""
    async with db.session() as s:
        await PartnerService(s, "tester").create_partner(ACME, "customer")
        for code, cur, total, _ in BOOKS:
            if code != "BNK1":
                await JournalService(s, "tester").create_journal(code, code, "bank", cur)
            await InvoiceService(s, "tester").create_invoice(
                f"INV-{cur}", ACME, total, "customer_invoice", "2026-01-05", currency=cur
            )


async def invoice(db: Database, number: str) -> tuple[int, int, str]:
    async with db.session() as s:
        inv = await s.scalar(select(m.Invoice).where(m.Invoice.number == number))
        return inv.total, inv.residual, inv.currency


async def pay(db: Database, journal: str, amount: str, invoice: str) -> Any:
    async with db.session() as s:
        return await PaymentService(s, "tester").create_payment(
            "customer_payment", ACME, journal, amount, "2026-02-01", allocations=[(invoice, amount)]
        )


async def confirm(db: Database, ident: int) -> Any:
    async with db.session() as s:
        return await PaymentFlowService(s, "tester").confirm_payment(ident, write_off=True)


async def writeoffs(db: Database, payment_id: int) -> list[int]:
    async with db.session() as s:
        return list(
            (
                await s.execute(
                    select(m.PaymentAllocation.writeoff).where(
                        m.PaymentAllocation.payment_id == payment_id
                    )
                )
            ).scalars()
        )


# ------------------------------------------------------------- payments and invoices
@pytest.mark.parametrize(("journal", "cur", "total", "paid"), BOOKS, ids=["JPY", "EUR", "KWD"])
async def test_confirm_writes_off_the_tolerance_in_the_payment_currency(
    db, journal, cur, total, paid
):
    await books(db)
    p = await pay(db, journal, paid, f"INV-{cur}")
    assert (p.currency, str(p.amount)) == (cur, paid)  # the journal's currency, its places
    view = await confirm(db, p.id)
    one = {"JPY": 1, "EUR": 100, "KWD": 1000}[cur]  # 1.00 in minor units of the currency
    assert await writeoffs(db, p.id) == [one]
    assert str(view.allocations[0].writeoff) == {"JPY": "1", "EUR": "1.00", "KWD": "1.000"}[cur]
    assert (await invoice(db, f"INV-{cur}"))[1:] == (0, cur)
    async with db.session() as s:
        assert await IntegrityService(s, "tester").check() == []


async def test_jpy_confirm_does_not_write_off_100_yen(db):
    """The bug: 1.00 was 100 minor units for the matcher, whatever the currency."""
    await books(db)
    p = await pay(db, "JPY1", "9900", "INV-JPY")
    await confirm(db, p.id)
    assert await writeoffs(db, p.id) == [0]
    assert await invoice(db, "INV-JPY") == (10000, 100, "JPY")


@pytest.mark.parametrize(
    ("journal", "cur", "paid", "written_off"),
    [("JPY1", "JPY", "9999", 0), ("BNK1", "EUR", "99.50", 50), ("KWD1", "KWD", "99.500", 500)],
    ids=["JPY", "EUR", "KWD"],
)
async def test_a_fractional_tolerance_applies_in_each_currency(db, journal, cur, paid, written_off):
    """The bug: a tolerance of 0.50 made a JPY confirm fail with an internal error."""
    await books(db)
    await put_setting(db, settings.WRITEOFF_TOLERANCE, "0.50")
    p = await pay(db, journal, paid, f"INV-{cur}")
    view = await confirm(db, p.id)
    assert view.state == "posted"
    assert await writeoffs(db, p.id) == [written_off]


async def test_amounts_refuse_more_decimals_than_their_currency(db):
    await books(db)
    with pytest.raises(InputError, match="more than 0 decimal places for JPY"):
        await pay(db, "JPY1", "9999.5", "INV-JPY")
    with pytest.raises(InputError, match="more than 3 decimal places for KWD"):
        await pay(db, "KWD1", "99.0001", "INV-KWD")
    async with db.session() as s:
        with pytest.raises(InputError, match="more than 2 decimal places for EUR"):
            await InvoiceService(s, "tester").create_invoice("X", ACME, "1.001", currency="EUR")


# ---------------------------------------------------------------------- filters
async def test_amount_filters_read_the_bound_in_each_payment_currency(db):
    """The bug: the bounds were EUR cents for every payment (100 JPY was "1.00")."""
    await books(db)
    ids = {}
    for journal, cur, amount in [("JPY1", "JPY", "100"), ("BNK1", "EUR", "100.00"),
                                 ("KWD1", "KWD", "100.000"), ("JPY1", "JPY", "101")]:  # fmt: skip
        ids[(cur, amount)] = (await pay(db, journal, amount, f"INV-{cur}")).id

    async def found(**bounds: str) -> set[tuple[str, str]]:
        async with db.session() as s:
            page = await PaymentService(s, "tester").get_payments(PaymentFilter(**bounds))
        return {(r.currency, str(r.amount)) for r in page.items}

    hundred = {("JPY", "100"), ("EUR", "100.00"), ("KWD", "100.000")}
    assert await found(amount_min="100", amount_max="100") == hundred
    assert await found(amount_min="100.5") == {("JPY", "101")}
    assert await found(amount_max="100.5") == hundred  # at most 100 yen, 100.50 EUR...
    assert await found(amount_min="100.0001") == {("JPY", "101")}
    assert await found(amount_max="99.9999") == set()
    assert await found(amount_min="0", amount_max="1" + "0" * 25) == hundred | {("JPY", "101")}
    with pytest.raises(InputError, match="amount_min: -1 must not be negative"):
        await found(amount_min="-1")


# ---------------------------------------------------------------------- bank lines
async def test_bank_lines_settle_jpy_and_kwd_invoices_with_the_same_tolerance(db):
    await books(db)
    async with db.session() as s:
        jpy = await BankExtractService(s, "tester").import_file(
            jsonl(row("9999", text="INV-JPY", tx="J1")),  # no currency: the journal's
            "yen.jsonl",
            "JPY1",
            input_format="jsonl",
            auto_confirm=True,
        )
    async with db.session() as s:
        kwd = await BankExtractService(s, "tester").import_file(
            jsonl(row("98.999", text="INV-KWD", tx="K1", currency="KWD")),
            "dinar.jsonl",
            "KWD1",
            input_format="jsonl",
            auto_confirm=True,
        )
    assert jpy.matched == {"writeoff": 1} and kwd.matched == {"partial": 1}
    assert await invoice(db, "INV-JPY") == (10000, 0, "JPY")
    assert await invoice(db, "INV-KWD") == (100000, 1001, "KWD")
    async with db.session() as s:
        lines = (await s.execute(select(m.BankLine.amount, m.BankLine.currency))).all()
        assert sorted(lines) == [(9999, "JPY"), (98999, "KWD")]
        assert await IntegrityService(s, "tester").check() == []


async def test_a_jpy_line_100_yen_short_is_partial_not_a_write_off(db):
    await books(db)
    async with db.session() as s:
        report = await BankExtractService(s, "tester").import_file(
            jsonl(row("9900", text="INV-JPY", tx="J1", currency="JPY")),
            "yen.jsonl",
            "JPY1",
            input_format="jsonl",
            auto_confirm=True,
        )
    assert report.matched == {"partial": 1}
    assert await invoice(db, "INV-JPY") == (10000, 100, "JPY")


# ---------------------------------------------------------------------- messages
async def test_check_shows_amounts_in_their_currency(db):
    await books(db)
    p = await pay(db, "JPY1", "9999", "INV-JPY")
    await confirm(db, p.id)
    async with db.session() as s:
        await begin(s, write=True)
        await s.execute(update(m.Payment).where(m.Payment.id == p.id).values(amount=9000))
        kwd_entry = select(m.JournalEntry.id).join(m.Invoice).where(m.Invoice.number == "INV-KWD")
        await s.execute(
            update(m.JournalLine)
            .where(m.JournalLine.entry_id == kwd_entry.scalar_subquery(), m.JournalLine.debit > 0)
            .values(debit=100001)
        )
        await s.commit()
    async with db.session() as s:
        found = {v.code: v.message for v in await IntegrityService(s, "tester").check()}
    assert found["payment_entry_amount"].endswith(
        "its live entry moves 10000, expected amount plus write-offs 9001"
    )
    # the KWD invoice is booked in the EUR sales journal: its entry is in KWD all the same
    assert found["entry_unbalanced"].endswith("debit 100.001 != credit 100.000")


# ------------------------------------------------------------ the default currency
async def test_what_has_no_currency_takes_the_database_default(db_url, tmp_path):
    db = Database(db_url)
    try:
        await upgrade_to_head(db.engine)
        async with db.session() as s:
            result = await SetupService(s).seed("jpy")
        assert (result.currency, result.journals_created) == ("JPY", 4)
        async with db.session() as s:
            currencies = set((await s.execute(select(m.Journal.currency))).scalars())
            assert currencies == {"JPY"}
        async with db.session() as s:  # the services' own transactions
            await PartnerService(s, "tester").create_partner(ACME, "customer")
            inv = await InvoiceService(s, "tester").create_invoice("I-1", ACME, "500")
            assert (inv.currency, str(inv.total)) == ("JPY", "500")
            partner = await PartnerService(s, "tester").get_partner(ACME)
            assert str(partner.open_receivable) == "500"  # yen, not 5.00
            header = ["number", "partner", "amount", "currency"]
            rows = [
                SourceRow(2, {"number": "I-2", "partner": ACME, "amount": "700"}),
                SourceRow(3, {"number": "I-3", "partner": ACME, "amount": "7", "currency": ""}),
                SourceRow(
                    4, {"number": "I-4", "partner": ACME, "amount": "7.5", "currency": "EUR"}
                ),
            ]
            await InvoiceService(s, "tester").import_invoices(rows, header, "i.csv")
            journal = await JournalService(s, "tester").create_journal("BNK2", "Second", "bank")
            assert journal.currency == "JPY"
        async with db.session() as s:
            got = dict((await s.execute(select(m.Invoice.number, m.Invoice.currency))).all())
            assert got == {"I-1": "JPY", "I-2": "JPY", "I-3": "JPY", "I-4": "EUR"}
        async with db.session() as s:
            export = await ExportService(s).export_entries()
            assert export.operating_currencies == ["JPY", "EUR"]  # I-4's entry is in EUR
    finally:
        await db.dispose()


async def test_init_keeps_the_recorded_currency_and_refuses_another(db):
    async with db.session() as s:
        assert (await SetupService(s).seed(None, if_new="KWD")).currency == "EUR"
    async with db.session() as s:
        assert (await SetupService(s).seed("eur")).journals_created == 0
    async with db.session() as s:
        with pytest.raises(InputError, match="default currency is EUR; init does not change it"):
            await SetupService(s).seed("JPY")
    async with db.session() as s:
        assert await settings.get(s, settings.CURRENCY) == "EUR"


async def test_a_new_database_needs_a_currency(db_url):
    db = Database(db_url)
    try:
        await upgrade_to_head(db.engine)
        async with db.session() as s:
            with pytest.raises(InputError, match="needs its default currency"):
                await SetupService(s).seed()
        async with db.session() as s:
            assert await s.scalar(select(m.Journal.id)) is None
    finally:
        await db.dispose()


@pytest.mark.parametrize("journals", ["JPY", None], ids=["journals", "never-seeded"])
async def test_migration_0007_records_the_currency_of_the_journals(db_url, journals):
    db = Database(db_url)
    try:
        await upgrade_to(db.engine, "0006")
        if journals:
            async with db.engine.begin() as conn:
                for code, cur in [("BNK1", journals), ("USD1", "USD")]:
                    await conn.execute(
                        text(
                            "INSERT INTO journals (code, name, type, currency) "
                            "VALUES (:c, :c, 'bank', :cur)"
                        ),
                        {"c": code, "cur": cur},
                    )
        await upgrade_to_head(db.engine)
        async with db.session() as s:
            assert await settings.get(s, settings.CURRENCY) == journals
    finally:
        await db.dispose()

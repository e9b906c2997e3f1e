"""Partners and invoices: creation, booking entries, all-or-nothing imports (both backends)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from payctl.db import models as m
from payctl.errors import InputError, NotFound, RuleViolation
from payctl.importers.tabular import read_source_rows
from payctl.services.parties.invoice_service import InvoiceFilter, InvoiceService
from payctl.services.parties.partner_service import PartnerService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests import factories
from tests.conftest import SAMPLE

TABLES = {
    "partners": m.Partner,
    "ibans": m.PartnerBankAccount,
    "invoices": m.Invoice,
    "entries": m.JournalEntry,
    "lines": m.JournalLine,
    "payments": m.Payment,
}


async def counts(db: Any) -> dict[str, Any]:
    async with db.session() as s:
        out: dict[str, Any] = await factories.row_counts(s, TABLES)
        out["sequences"] = await factories.sequence_counters(s)
        out["partner_rows"] = sorted(
            (
                await s.execute(
                    select(m.Partner.name, m.Partner.kind, m.Partner.email, m.Partner.vat)
                )
            ).all()
        )
    return out


async def entries_by_number(db: Any) -> dict[str, tuple[str, dict[str, tuple[int, int]]]]:
    """entry number -> (journal code, {account code: (debit, credit)})."""
    async with db.session() as s:
        rows = (
            await s.execute(
                select(
                    m.JournalEntry.number,
                    m.Journal.code,
                    m.Account.code,
                    m.JournalLine.debit,
                    m.JournalLine.credit,
                )
                .join(m.Journal, m.Journal.id == m.JournalEntry.journal_id)
                .join(m.JournalLine, m.JournalLine.entry_id == m.JournalEntry.id)
                .join(m.Account, m.Account.id == m.JournalLine.account_id)
            )
        ).all()
    out: dict[str, tuple[str, dict[str, tuple[int, int]]]] = {}
    for number, journal, account, debit, credit in rows:
        out.setdefault(number, (journal, {}))[1][account] = (debit, credit)
    return out


def partners(session: Any) -> PartnerService:
    return PartnerService(session, "tester")


def invoices(session: Any) -> InvoiceService:
    return InvoiceService(session, "tester")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def import_partners_file(session: Any, path: Path) -> Any:
    table = read_source_rows(path)
    return await partners(session).import_partners(table.rows, table.header, table.source)


async def import_invoices_file(session: Any, path: Path) -> Any:
    table = read_source_rows(path)
    return await invoices(session).import_invoices(table.rows, table.header, table.source)


# ------------------------------------------------------------------------ partners
async def test_create_list_and_show_partners(session, db):
    view = await partners(session).create_partner(
        " ACME GmbH ", "customer", ["de89 3704 0044 0532 0130 00"], "a@acme.example", "DE811907980"
    )
    assert (view.name, view.kind, view.ibans, view.email, view.vat) == (
        "ACME GmbH",
        "customer",
        ["DE89370400440532013000"],
        "a@acme.example",
        "DE811907980",
    )
    await partners(session).create_partner("Supplier BV", "VENDOR")
    await partners(session).create_partner("Both Ltd", "both", ["GB82WEST12345698765432"])
    page = await partners(session).list_partners()
    assert [p.name for p in page.items] == ["ACME GmbH", "Both Ltd", "Supplier BV"]
    assert page.total == 3
    assert [p.name for p in (await partners(session).list_partners(kind="vendor")).items] == [
        "Supplier BV"
    ]
    assert [p.name for p in (await partners(session).list_partners(search="acme")).items] == [
        "ACME GmbH"
    ]
    limited = await partners(session).list_partners(limit=1, offset=1)
    assert [p.name for p in limited.items] == ["Both Ltd"] and limited.total == 3
    by_id = await partners(session).get_partner(str(view.id))
    assert by_id.name == "ACME GmbH"
    assert (await partners(session).get_partner("acme gmbh")).id == view.id
    assert (await counts(db))["ibans"] == 2


async def test_partner_refusals_write_nothing(session, db):
    await factories.customer(session, iban="DE89370400440532013000")
    before = await counts(db)
    for args, error, text in [
        (("acme gmbh",), RuleViolation, "partner 'acme gmbh' already exists"),
        (
            ("New Co", "customer", ["DE89370400440532013000"]),
            RuleViolation,
            "IBAN DE89370400440532013000 already belongs to partner 'ACME GmbH'",
        ),
        (("New Co", "customer", ["DE00370400440532013000"]), InputError, "is not a valid IBAN"),
        (("New Co", "alien"), InputError, "kind: 'alien' is not one of customer, vendor, both"),
        (("  ",), InputError, "name: must not be empty"),
    ]:
        with pytest.raises(error) as info:
            await partners(session).create_partner(*args)
        assert text in info.value.message, args
        assert await counts(db) == before, args
    with pytest.raises(NotFound, match="unknown partner 'Nobody'"):
        await partners(session).get_partner("Nobody")


async def test_partner_balances(session):
    await factories.customer(session)
    await factories.invoice(session, "INV-1", amount="1190.00")
    await factories.invoice(session, "RINV-1", amount="100.00", type="customer_credit_note")
    p = await factories.draft(session, "1500.00", allocations=[("INV-1", "1000.00")])
    await PaymentFlowService(session, "tester").confirm_payment(p.id)
    view = await partners(session).get_partner("ACME GmbH")
    assert view.open_receivable == Decimal("90.00")  # 190.00 open - 100.00 credit note
    assert view.open_payable == Decimal("0.00")
    assert view.unallocated_credit == Decimal("500.00")


# ------------------------------------------------------------------------ invoices
async def test_create_invoice_books_the_entry(session, db):
    await factories.customer(session)
    await factories.vendor(session)
    inv = await invoices(session).create_invoice(
        "INV-1", "ACME GmbH", "1190.00", "customer_invoice", "2026-01-05", "2026-02-04"
    )
    assert (inv.number, inv.type, inv.partner, inv.state) == (
        "INV-1",
        "customer_invoice",
        "ACME GmbH",
        "open",
    )
    assert inv.total == inv.residual == Decimal("1190.00")
    assert (inv.date, inv.due_date, inv.currency) == (
        dt.date(2026, 1, 5),
        dt.date(2026, 2, 4),
        "EUR",
    )
    await invoices(session).create_invoice(
        "BILL-1", "Supplier BV", "415.31", "vendor_bill", "2026-01-06"
    )
    await invoices(session).create_invoice(
        "RINV-1", "ACME GmbH", "100.00", "customer_credit_note", "2026-01-07"
    )
    await invoices(session).create_invoice(
        "RBILL-1", "Supplier BV", "15.00", "vendor_credit_note", "2026-01-08"
    )
    # receivable 1100, payable 2000, sales 4000, purchases 5000
    assert await entries_by_number(db) == {
        "JE/SAL/2026/00001": ("SAL", {"1100": (119000, 0), "4000": (0, 119000)}),
        "JE/PUR/2026/00001": ("PUR", {"5000": (41531, 0), "2000": (0, 41531)}),
        "JE/SAL/2026/00002": ("SAL", {"4000": (10000, 0), "1100": (0, 10000)}),
        "JE/PUR/2026/00002": ("PUR", {"2000": (1500, 0), "5000": (0, 1500)}),
    }
    async with db.session() as s:
        linked = dict(
            (
                await s.execute(
                    select(m.JournalEntry.number, m.Invoice.number).join(
                        m.Invoice, m.Invoice.id == m.JournalEntry.invoice_id
                    )
                )
            ).all()
        )
        partners_on_lines = set((await s.execute(select(m.JournalLine.partner_id))).scalars())
    assert linked == {
        "JE/SAL/2026/00001": "INV-1",
        "JE/PUR/2026/00001": "BILL-1",
        "JE/SAL/2026/00002": "RINV-1",
        "JE/PUR/2026/00002": "RBILL-1",
    }
    assert None not in partners_on_lines
    got = await invoices(session).get_invoice("BILL-1")
    assert (got.partner, got.total, got.type) == ("Supplier BV", Decimal("415.31"), "vendor_bill")
    page = await invoices(session).list_invoices(InvoiceFilter(type="vendor_bill"))
    assert [i.number for i in page.items] == ["BILL-1"] and page.total == 1
    page = await invoices(session).list_invoices(InvoiceFilter(partner="ACME GmbH"))
    assert [i.number for i in page.items] == ["INV-1", "RINV-1"]
    assert (await invoices(session).list_invoices(InvoiceFilter(state="paid"))).total == 0
    assert (
        await invoices(session).list_invoices(InvoiceFilter(open_only=True), limit=2)
    ).total == 4


async def test_invoice_refusals_write_nothing(session, db):
    await factories.customer(session)
    await factories.vendor(session)
    await factories.invoice(session, "INV-1")
    before = await counts(db)
    for kwargs, error, text in [
        ({"number": "INV-1"}, RuleViolation, "invoice INV-1 already exists"),
        ({"partner": "Nobody"}, NotFound, "unknown partner 'Nobody'"),
        ({"partner": "Supplier BV"}, RuleViolation, "a customer_invoice needs a customer"),
        ({"type": "vendor_bill"}, RuleViolation, "a vendor_bill needs a vendor"),
        ({"amount": "abc"}, InputError, "amount: 'abc' is not a number"),
        ({"amount": "0"}, InputError, "greater than zero"),
        ({"amount": "-1"}, InputError, "must not be negative"),
        ({"amount": "1.005"}, InputError, "more than 2 decimal places"),
        ({"type": "receipt"}, InputError, "type: 'receipt' is not one of"),
        ({"due_date": "2026-01-01"}, InputError, "due_date: 2026-01-01 is before the invoice date"),
        ({"date": "2026-02-31"}, InputError, "is not a date"),
        ({"currency": "EURO"}, InputError, "3-letter ISO code"),
        ({"number": "  "}, InputError, "number: must not be empty"),
    ]:
        args = {
            "number": "INV-2",
            "partner": "ACME GmbH",
            "amount": "10.00",
            "type": "customer_invoice",
            "date": "2026-01-05",
        }
        args.update(kwargs)
        with pytest.raises(error) as info:
            await invoices(session).create_invoice(**args)
        assert text in info.value.message, (kwargs, info.value.message)
        assert await counts(db) == before, kwargs
    with pytest.raises(NotFound, match="unknown invoice 'INV-9'"):
        await invoices(session).get_invoice("INV-9")


# ------------------------------------------------------------------------- imports
async def test_import_sample_data_and_reimport(session, db):
    result = await import_partners_file(session, SAMPLE / "partners.csv")
    assert (result.created, result.updated, result.unchanged) == (40, 0, 0)
    result = await import_invoices_file(session, SAMPLE / "invoices.csv")
    assert (result.created, result.updated, result.unchanged) == (304, 0, 0)
    c = await counts(db)
    assert (c["partners"], c["ibans"], c["invoices"], c["entries"], c["lines"]) == (
        40,
        35,
        304,
        304,
        608,
    )
    acme = await partners(session).get_partner("ACME GmbH")
    assert acme.ibans == ["DE89370400440532013000"] and acme.kind == "customer"
    first = await invoices(session).get_invoice("INV/2026/0001")
    assert (first.partner, first.total, first.due_date) == (
        "ACME GmbH",
        Decimal("1190.00"),
        dt.date(2026, 2, 4),
    )
    # the ledger agrees with the invoices: receivable = customer invoices - credit notes
    async with db.session() as s:
        receivable = await s.scalar(
            select(func.sum(m.JournalLine.debit - m.JournalLine.credit))
            .join(m.Account, m.Account.id == m.JournalLine.account_id)
            .where(m.Account.code == "1100")
        )
        open_customer = await s.scalar(
            select(func.sum(m.Invoice.residual)).where(m.Invoice.type == "customer_invoice")
        )
        credit_notes = await s.scalar(
            select(func.sum(m.Invoice.residual)).where(m.Invoice.type == "customer_credit_note")
        )
    assert receivable == open_customer - credit_notes
    # re-running both imports changes nothing
    again = await import_partners_file(session, SAMPLE / "partners.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 40)
    again = await import_invoices_file(session, SAMPLE / "invoices.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 304)
    assert await counts(db) == c


async def test_partner_import_updates_known_partners(session, db, tmp_path):
    await factories.customer(session)
    path = write(
        tmp_path,
        "p.csv",
        "name,kind,iban,email\n"
        "acme gmbh,both,DE89370400440532013000,new@acme.example\n"
        "Fresh Co,vendor,,\n",
    )
    result = await import_partners_file(session, path)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    acme = await partners(session).get_partner("ACME GmbH")
    assert (acme.kind, acme.email, acme.ibans) == (
        "both",
        "new@acme.example",
        ["DE89370400440532013000"],
    )


BAD_INVOICE_FILES = [
    (
        "number,partner,amount\nX-1,ACME GmbH,10.00\nX-2,ACME GmbH,abc\n",
        "row 3: amount: 'abc' is not a number",
    ),
    (
        "number,partner,amount\nX-1,ACME GmbH,10.00\nX-2,ACME GmbH,10.001\n",
        "row 3: amount: 10.001 has more than 2 decimal places",
    ),
    (
        "number,partner,amount\nX-1,ACME GmbH,10.00\nX-2,ACME GmbH,-4\n",
        "row 3: amount: -4 must not be negative",
    ),
    (
        "number,partner,amount\nX-1,ACME GmbH,10.00\nX-2,ACME GmbH,\n",
        "row 3: amount: value is missing",
    ),
    (
        "number,partner,amount\nX-1,ACME GmbH,10.00\nX-2,Nobody,5.00\n",
        "row 3: partner: unknown partner 'Nobody'",
    ),
    (
        "number,partner,amount,date\nX-1,ACME GmbH,10.00,2026-01-01\nX-2,ACME "
        "GmbH,5.00,01/02/2026\n",
        "row 3: date:",
    ),
    (
        "number,partner,amount,type\nX-1,ACME GmbH,10.00,\nX-2,ACME GmbH,5.00,vendor_bill\n",
        "row 3: partner 'ACME GmbH' is a customer; a vendor_bill needs a vendor",
    ),
    (
        "number,partner,amount\nX-1,ACME GmbH,10.00\nX-1,ACME GmbH,10.00\n",
        "row 3: number: X-1 appears twice",
    ),
    (
        "number,partner,amount\nX-1,ACME GmbH,10.00\nINV-1,ACME GmbH,99.00\n",
        "row 3: number: invoice INV-1 already exists with different data",
    ),
    ("number,partner\nX-1,ACME GmbH\n", "missing column(s) amount"),
    ("", "the file is empty"),
]


async def test_invoice_import_is_all_or_nothing(session, db, tmp_path):
    await factories.customer(session)
    await factories.invoice(session, "INV-1")
    before = await counts(db)
    for index, (text, message) in enumerate(BAD_INVOICE_FILES):
        path = write(tmp_path, f"bad{index}.csv", text)
        with pytest.raises(InputError) as info:
            await import_invoices_file(session, path)
        assert info.value.message.startswith(f"{path}: "), info.value.message
        assert message in info.value.message, (text, info.value.message)
        assert "\n" not in info.value.message
        assert await counts(db) == before, text


async def test_partner_import_is_all_or_nothing(session, db, tmp_path):
    await factories.customer(session, iban="DE89370400440532013000")
    before = await counts(db)
    for index, (text, message) in enumerate(
        [
            ("name,kind\nFoo,customer\nBar,alien\n", "row 3: kind: 'alien' is not one of"),
            ("name,kind,iban\nFoo,customer,\nBar,vendor,DE00370400440532013000\n", "row 3: iban: "),
            (
                "name,kind,iban\nFoo,customer,\nBar,vendor,DE89370400440532013000\n",
                "row 3: iban: DE89370400440532013000 already belongs to partner 'ACME GmbH'",
            ),
            ("name,kind\nFoo,customer\n,vendor\n", "row 3: name: value is missing"),
            ("name,iban\nFoo,\n", "missing column(s) kind"),
            (
                "name,kind\nACME GmbH,vendor\nFoo,martian\n",
                "row 3: kind:",
            ),  # update rolled back too
        ]
    ):
        path = write(tmp_path, f"bad{index}.csv", text)
        with pytest.raises(InputError) as info:
            await import_partners_file(session, path)
        assert info.value.message.startswith(f"{path}: "), info.value.message
        assert message in info.value.message, (text, info.value.message)
        assert await counts(db) == before, text


async def test_xlsx_import(session, db, tmp_path):
    from openpyxl import Workbook

    await factories.customer(session)
    book = Workbook()
    sheet = book.active
    sheet.append(["Number", "Partner", "Amount", "Type", "Date"])
    sheet.append(["X-1", "ACME GmbH", "10.50", "customer_invoice", "2026-01-05"])
    sheet.append(["X-2", "ACME GmbH", "20.00", "customer_invoice", "2026-01-06"])
    good = tmp_path / "good.xlsx"
    book.save(good)
    result = await import_invoices_file(session, good)
    assert result.created == 2
    assert (await invoices(session).get_invoice("X-1")).total == Decimal("10.50")
    before = await counts(db)
    sheet.append(["X-3", "ACME GmbH", "1.234", "customer_invoice", "2026-01-07"])
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    with pytest.raises(InputError) as info:
        await import_invoices_file(session, bad)
    assert info.value.message.startswith(f"{bad}: row 4: amount: 1.234 has more than 2")
    assert await counts(db) == before

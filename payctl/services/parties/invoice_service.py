"""Invoices, vendor bills and credit notes. Creating or importing one books it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.bulk import bulk_insert
from payctl.db.ids import allocate_ids
from payctl.db.limits import check_fits
from payctl.db.models import (
    BankLine,
    BankStatement,
    Invoice,
    Journal,
    JournalEntry,
    JournalLine,
    Partner,
    Payment,
    PaymentAllocation,
)
from payctl.db.stats import analyze_loaded
from payctl.db.uow import unit_of_work
from payctl.domain.dates import parse_date
from payctl.domain.enums import (
    AccountRole,
    InvoiceState,
    InvoiceType,
    JournalType,
    invoice_partner_kind_allows,
    is_customer_side,
)
from payctl.domain.journal import invoice_lines
from payctl.domain.money import from_minor, normalise_currency, parse_amount, to_minor
from payctl.errors import InputError, RuleViolation
from payctl.services import listing, lookups
from payctl.services.events import outbox
from payctl.services.events.payloads import invoice_change
from payctl.services.ledger import entries, settings
from payctl.services.listing import RawFilter
from payctl.services.rows import (
    ImportResult,
    SourceRow,
    enum_value,
    parse_field,
    require_columns,
    row_context,
)
from payctl.services.views import (
    InvoiceDetail,
    InvoiceView,
    Page,
    SettlementView,
    invoice_view,
)


@dataclass(frozen=True)
class NewInvoice:
    number: str
    partner: Partner
    type: InvoiceType
    total: int
    currency: str
    date: dt.date
    due_date: dt.date | None


@dataclass(frozen=True)
class InvoiceFilter(RawFilter):
    """The filters of `payctl invoice list`, as raw user strings."""

    state: str | None = None
    partner: str | None = None
    type: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    amount_min: str | None = None
    amount_max: str | None = None
    text: str | None = None
    open_only: bool = False


# `payctl invoice list --sort KEY`; ``amount`` is the invoice's total.
INVOICE_SORTABLE = {
    "date": Invoice.date,
    "due": Invoice.due_date,
    "amount": Invoice.total,
    "residual": Invoice.residual,
    "number": Invoice.number,
    "id": Invoice.id,
    "state": Invoice.state,
    "partner": Partner.name,
    "created": Invoice.created_at,
}


class InvoiceService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    def _check(self, inv: NewInvoice) -> None:
        check_fits(Invoice, number=inv.number)
        if not invoice_partner_kind_allows(inv.partner.kind, inv.type):
            raise RuleViolation(
                f"partner {inv.partner.name!r} is a {inv.partner.kind}; a {inv.type} needs a "
                f"{'customer' if is_customer_side(inv.type) else 'vendor'}"
            )
        if inv.due_date and inv.due_date < inv.date:
            raise InputError(f"due_date: {inv.due_date} is before the invoice date {inv.date}")

    async def _book(self, invoices: list[NewInvoice]) -> list[int]:
        """Insert the invoices set-wise and post one entry each in the sale/purchase journal."""
        roles = await entries.account_roles(self.session)
        journals = {
            j.type: j
            for j in (
                await self.session.execute(
                    select(Journal).where(
                        Journal.type.in_([JournalType.SALE, JournalType.PURCHASE])
                    )
                )
            ).scalars()
        }
        ids = await allocate_ids(self.session, Invoice.__table__, len(invoices))
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "id": iid,
                "number": inv.number,
                "type": inv.type,
                "partner_id": inv.partner.id,
                "date": inv.date,
                "due_date": inv.due_date,
                "currency": inv.currency,
                "total": inv.total,
                "residual": inv.total,
                "state": InvoiceState.OPEN,
                "created_at": now,
            }
            for iid, inv in zip(ids, invoices, strict=True)
        ]
        await bulk_insert(self.session, Invoice.__table__, rows)
        await outbox.emit(
            self.session, self.user, [invoice_change("invoice.created", row) for row in rows]
        )
        drafts = []
        for iid, inv in zip(ids, invoices, strict=True):
            journal = journals[
                JournalType.SALE if is_customer_side(inv.type) else JournalType.PURCHASE
            ]
            lines = invoice_lines(
                inv.type,
                inv.total,
                inv.partner.id,
                roles[AccountRole.RECEIVABLE],
                roles[AccountRole.PAYABLE],
                roles[AccountRole.SALES],
                roles[AccountRole.PURCHASES],
                label=inv.number,
            )
            drafts.append(
                entries.EntryDraft(
                    journal_id=journal.id,
                    journal_code=journal.code,
                    date=inv.date,
                    source_type="invoice",
                    source_id=iid,
                    invoice_id=iid,
                    lines=lines,
                    memo=inv.number,
                )
            )
        await entries.post_entries(self.session, drafts, self.user)
        return ids

    @unit_of_work(write=True)
    async def create_invoice(
        self,
        number: str,
        partner: str,
        amount: str,
        type: str = InvoiceType.CUSTOMER_INVOICE,
        date: str | None = None,
        due_date: str | None = None,
        currency: str | None = None,
    ) -> InvoiceView:
        number = number.strip()
        if not number:
            raise InputError("number: must not be empty")
        if await self.session.scalar(select(Invoice.id).where(Invoice.number == number)):
            raise RuleViolation(f"invoice {number} already exists")
        cur = normalise_currency(currency or await settings.default_currency(self.session))
        found = await lookups.partner(self.session, partner)
        inv = NewInvoice(
            number=number,
            partner=found,
            type=enum_value(InvoiceType, "type")(str(type)),
            total=to_minor(parse_amount(amount, cur), cur),
            currency=cur,
            date=parse_date(date) or dt.date.today(),
            due_date=parse_date(due_date, "due_date"),
        )
        self._check(inv)
        (invoice_id,) = await self._book([inv])
        row = await self.session.get(Invoice, invoice_id)
        assert row is not None
        return invoice_view(row, found.name)

    @unit_of_work(write=False)
    async def get_invoice(self, ident: str) -> InvoiceDetail:
        """One invoice and the payments allocated to it (with the bank line a payment came
        from or was reconciled by), by payment date: one query for them all."""
        inv = await lookups.invoice(self.session, ident)
        name = await self.session.scalar(select(Partner.name).where(Partner.id == inv.partner_id))
        rows = await self.session.execute(
            select(
                Payment.id,
                Payment.number,
                Payment.date,
                Payment.state,
                Payment.currency,
                PaymentAllocation.amount,
                PaymentAllocation.writeoff,
                BankLine.id,
                BankLine.booking_date,
                BankStatement.id,
                func.coalesce(BankStatement.statement_ref, BankStatement.source_name),
            )
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .outerjoin(BankLine, BankLine.payment_id == Payment.id)
            .outerjoin(BankStatement, BankStatement.id == BankLine.statement_id)
            .where(PaymentAllocation.invoice_id == inv.id)
            .order_by(Payment.date, Payment.id)
        )
        settlements = [
            SettlementView(
                payment=lookups.label(number, pid),
                payment_id=pid,
                date=day,
                state=state.value,
                amount=from_minor(amount, currency),
                writeoff=from_minor(writeoff, currency),
                currency=currency,
                bank_line=line_id,
                bank_line_date=line_date,
                statement=statement,
                statement_id=statement_id,
            )
            for (
                pid,
                number,
                day,
                state,
                currency,
                amount,
                writeoff,
                line_id,
                line_date,
                statement_id,
                statement,
            ) in rows
        ]
        return InvoiceDetail(**vars(invoice_view(inv, name or "")), settlements=settlements)

    @unit_of_work(write=False)
    async def list_invoices(
        self,
        filters: InvoiceFilter | None = None,
        sort: str = "date",
        limit: int | None = None,
        offset: int = 0,
    ) -> Page:
        """A page of invoices: the filters, sort keys and paging of `payctl list`
        (:mod:`payctl.services.listing`), in SQL."""
        f = filters or InvoiceFilter()
        listing.check_page(limit, offset)
        order = listing.sort_order(sort, INVOICE_SORTABLE, Invoice.id)
        conditions = [
            *listing.date_range(Invoice.date, f.date_from, f.date_to),
            *listing.amount_range(Invoice.total, Invoice.currency, f.amount_min, f.amount_max),
        ]
        if f.state:
            conditions.append(Invoice.state == enum_value(InvoiceState, "state")(f.state))
        if f.open_only:
            conditions.append(Invoice.state.in_([InvoiceState.OPEN, InvoiceState.PARTIAL]))
        if f.type:
            conditions.append(Invoice.type == enum_value(InvoiceType, "type")(f.type))
        if f.partner:
            partner = await lookups.partner(self.session, f.partner)
            conditions.append(Invoice.partner_id == partner.id)
        if f.text:
            conditions.append(listing.text_search(f.text, [Invoice.number], Invoice.id))
        stmt = (
            select(Invoice, Partner.name)
            .join(Partner, Partner.id == Invoice.partner_id)
            .where(*conditions)
        )
        total = await listing.count(self.session, select(Invoice.id).where(*conditions))
        page = listing.paged(stmt.order_by(*order), limit, offset)
        items = [invoice_view(inv, name) for inv, name in await self.session.execute(page)]
        return Page(items, total, limit, offset)

    def _parse_row(
        self, source: str, row: SourceRow, partners: dict[str, Partner], default_currency: str
    ) -> NewInvoice:
        """One row; without a currency (no column, or an empty cell) the invoice is in the
        database's ``default_currency``."""
        number = parse_field(source, row, "number", str.strip)
        partner_name = parse_field(source, row, "partner", str.strip)
        assert number and partner_name
        partner = partners.get(partner_name.lower())
        if partner is None:
            raise InputError(f"{source}: row {row.line}: partner: unknown partner {partner_name!r}")
        cur = (
            parse_field(source, row, "currency", normalise_currency, required=False)
            or default_currency
        )
        inv_type = (
            parse_field(source, row, "type", enum_value(InvoiceType, "type"), required=False)
            or InvoiceType.CUSTOMER_INVOICE
        )
        amount = parse_field(source, row, "amount", lambda v: parse_amount(v, cur))
        assert amount is not None
        inv_date = parse_field(source, row, "date", parse_date, required=False)
        inv = NewInvoice(
            number=number,
            partner=partner,
            type=inv_type,
            total=to_minor(amount, cur),
            currency=cur,
            date=inv_date or dt.date.today(),
            due_date=parse_field(
                source, row, "due_date", lambda v: parse_date(v, "due_date"), required=False
            ),
        )
        with row_context(source, row):
            self._check(inv)
        return inv

    @unit_of_work(write=True)
    async def import_invoices(
        self, rows: list[SourceRow], header: list[str], source: str
    ) -> ImportResult:
        """All-or-nothing. Rows identical to an existing invoice are skipped (re-runnable)."""
        require_columns(source, header, ["number", "partner", "amount"])
        partners = {
            p.name.lower(): p for p in (await self.session.execute(select(Partner))).scalars()
        }
        existing = {i.number: i for i in (await self.session.execute(select(Invoice))).scalars()}
        default_currency = await settings.default_currency(self.session)
        new: list[NewInvoice] = []
        seen: set[str] = set()
        unchanged = 0
        for row in rows:
            inv = self._parse_row(source, row, partners, default_currency)
            if inv.number in seen:
                raise InputError(f"{source}: row {row.line}: number: {inv.number} appears twice")
            seen.add(inv.number)
            old = existing.get(inv.number)
            if old is None:
                new.append(inv)
                continue
            same = (old.partner_id, old.type, old.total, old.currency, old.date) == (
                inv.partner.id,
                inv.type,
                inv.total,
                inv.currency,
                inv.date,
            )
            if not same:
                raise InputError(
                    f"{source}: row {row.line}: number: invoice {inv.number} "
                    "already exists with different data (booked invoices are not changed)"
                )
            unchanged += 1
        await self._book(new)
        analyze_loaded(self.session, (Invoice, JournalEntry, JournalLine), len(new))
        return ImportResult(len(new), 0, unchanged)

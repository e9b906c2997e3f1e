"""Read-side queries over payments: filtered pages, entries. (The summary is a report:
:mod:`payctl.services.reports.summary`.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from payctl.db.models import (
    Account,
    Journal,
    JournalEntry,
    Partner,
    Payment,
    PaymentAllocation,
)
from payctl.domain.enums import PaymentState, PaymentType
from payctl.domain.money import from_minor
from payctl.services import listing, lookups
from payctl.services.listing import RawFilter
from payctl.services.rows import enum_value
from payctl.services.views import EntryView, Page, PaymentRow, entry_view

SORTABLE = {
    "date": Payment.date,
    "amount": Payment.amount,
    "number": Payment.number,
    "id": Payment.id,
    "state": Payment.state,
    "partner": Partner.name,
    "created": Payment.created_at,
}


@dataclass(frozen=True)
class PaymentFilter(RawFilter):
    """The filters `payctl list` and the bulk commands share. Values are raw user strings."""

    state: str | None = None
    type: str | None = None
    partner: str | None = None
    journal: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    amount_min: str | None = None
    amount_max: str | None = None
    text: str | None = None


def allocated_subquery() -> Any:
    return (
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
        .where(PaymentAllocation.payment_id == Payment.id)
        .correlate(Payment)
        .scalar_subquery()
    )


class PaymentQueries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def apply(self, stmt: Select[Any], f: PaymentFilter) -> Select[Any]:
        if f.state:
            stmt = stmt.where(Payment.state == enum_value(PaymentState, "state")(f.state))
        if f.type:
            stmt = stmt.where(Payment.type == enum_value(PaymentType, "type")(f.type))
        if f.partner:
            stmt = stmt.where(
                Payment.partner_id == (await lookups.partner(self.session, f.partner)).id
            )
        if f.journal:
            stmt = stmt.where(
                Payment.journal_id == (await lookups.journal(self.session, f.journal)).id
            )
        stmt = stmt.where(
            *listing.date_range(Payment.date, f.date_from, f.date_to),
            *listing.amount_range(Payment.amount, Payment.currency, f.amount_min, f.amount_max),
        )
        if f.text:
            stmt = stmt.where(
                listing.text_search(
                    f.text, [Payment.number, Payment.reference, Payment.memo], Payment.id
                )
            )
        return stmt

    async def ids(self, f: PaymentFilter) -> list[int]:
        stmt = await self.apply(select(Payment.id), f)
        return list((await self.session.execute(stmt.order_by(Payment.id))).scalars())

    async def page(self, f: PaymentFilter, sort: str, limit: int | None, offset: int) -> Page:
        listing.check_page(limit, offset)
        order = listing.sort_order(sort, SORTABLE, Payment.id)
        allocated = allocated_subquery().label("allocated")
        base = (
            select(Payment, Partner.name, Journal.code, allocated)
            .join(Partner, Partner.id == Payment.partner_id)
            .join(Journal, Journal.id == Payment.journal_id)
        )
        base = await self.apply(base, f)
        total = await listing.count(self.session, await self.apply(select(Payment.id), f))
        stmt = listing.paged(base.order_by(*order), limit, offset)
        items = [
            PaymentRow(
                p.id,
                p.number,
                p.type.value,
                p.state.value,
                partner,
                journal,
                p.date,
                from_minor(p.amount, p.currency),
                from_minor(alloc, p.currency),
                p.currency,
                p.reference,
            )
            for p, partner, journal, alloc in await self.session.execute(stmt)
        ]
        return Page(items, total, limit, offset)

    async def entries_of(self, p: Payment) -> list[EntryView]:
        entries = (
            (
                await self.session.execute(
                    select(JournalEntry)
                    .where(JournalEntry.payment_id == p.id)
                    .options(selectinload(JournalEntry.lines))
                    .order_by(JournalEntry.id)
                )
            )
            .scalars()
            .all()
        )
        if not entries:
            return []
        numbers = {e.id: e.number for e in entries}
        account_ids = {ln.account_id for e in entries for ln in e.lines}
        accounts = {
            a.id: (a.code, a.name)
            for a in (
                await self.session.execute(select(Account).where(Account.id.in_(account_ids)))
            ).scalars()
        }
        partner_ids = {ln.partner_id for e in entries for ln in e.lines if ln.partner_id}
        partners = dict(
            (
                await self.session.execute(
                    select(Partner.id, Partner.name).where(Partner.id.in_(partner_ids))
                )
            ).all()
        )
        journal_codes = dict((await self.session.execute(select(Journal.id, Journal.code))).all())
        return [
            entry_view(e, journal_codes[e.journal_id], numbers, accounts, partners, p.currency)
            for e in entries
        ]

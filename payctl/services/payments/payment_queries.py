"""Read-side queries over payments: filtered pages, entries. (The summary is a report:
:mod:`payctl.services.reports.summary`.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
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
from payctl.domain.dates import parse_date
from payctl.domain.enums import PaymentState, PaymentType
from payctl.domain.money import (
    USUAL_EXPONENT,
    from_minor,
    minor_bound,
    parse_number,
    unusual_exponents,
)
from payctl.errors import InputError
from payctl.services import lookups
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
class PaymentFilter:
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

    def __post_init__(self) -> None:
        """An empty filter is refused, never read as "no filter": `bulk delete --state draft
        --partner "$UNSET"` must not delete every draft."""
        for name, value in vars(self).items():
            if value is not None and not str(value).strip():
                field = {"text": "search"}.get(name, name)
                raise InputError(f"{field}: the value is empty: give a value or leave it out")

    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


def amount_bound(text: str, field: str, *, upper: bool = False) -> ColumnElement[int]:
    """A ``--amount-min``/``--amount-max`` bound read in each payment's own currency:
    ``100`` is 100.00 EUR, 100 JPY and 100.000 KWD. A bound finer than a currency's minor unit
    keeps exactly the amounts it says (``--amount-max 100.5`` is at most 100 JPY)."""
    value = parse_number(text, field=field)

    def minor(places: int) -> ColumnElement[int]:
        return literal(minor_bound(value, places, upper=upper), BigInteger)

    return case(
        *(
            (Payment.currency.in_(codes), minor(places))
            for places, codes in unusual_exponents().items()
        ),
        else_=minor(USUAL_EXPONENT),
    )


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
        if f.date_from:
            stmt = stmt.where(Payment.date >= parse_date(f.date_from, "date_from"))
        if f.date_to:
            stmt = stmt.where(Payment.date <= parse_date(f.date_to, "date_to"))
        if f.amount_min:
            stmt = stmt.where(Payment.amount >= amount_bound(f.amount_min, "amount_min"))
        if f.amount_max:
            stmt = stmt.where(
                Payment.amount <= amount_bound(f.amount_max, "amount_max", upper=True)
            )
        if f.text:
            pattern = f"%{f.text.lower()}%"
            stmt = stmt.where(
                or_(
                    func.lower(Payment.number).like(pattern),
                    func.lower(Payment.reference).like(pattern),
                    func.lower(Payment.memo).like(pattern),
                    cast(Payment.id, String) == f.text.strip().lstrip("#"),
                )
            )
        return stmt

    async def ids(self, f: PaymentFilter) -> list[int]:
        stmt = await self.apply(select(Payment.id), f)
        return list((await self.session.execute(stmt.order_by(Payment.id))).scalars())

    async def page(self, f: PaymentFilter, sort: str, limit: int | None, offset: int) -> Page:
        if limit is not None and limit < 0 or offset < 0:
            raise InputError("limit and offset must not be negative")
        allocated = allocated_subquery().label("allocated")
        base = (
            select(Payment, Partner.name, Journal.code, allocated)
            .join(Partner, Partner.id == Payment.partner_id)
            .join(Journal, Journal.id == Payment.journal_id)
        )
        base = await self.apply(base, f)
        total = await self.session.scalar(
            select(func.count()).select_from((await self.apply(select(Payment.id), f)).subquery())
        )
        key = sort.lstrip("-")
        if key not in SORTABLE:
            raise InputError(
                f"sort: {sort!r} is not one of {', '.join(SORTABLE)} (prefix - to reverse)"
            )
        column = SORTABLE[key]
        order: list[ColumnElement[Any]] = [
            (column.desc() if sort.startswith("-") else column.asc()).nulls_last(),
            Payment.id.desc() if sort.startswith("-") else Payment.id.asc(),
        ]
        stmt = base.order_by(*order).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
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
        return Page(items, total or 0, limit, offset)

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

"""``payctl report forecast``: the money open invoices and bills should bring in and take out,
by week of due date, per currency, summed by the database.

An open item is an invoice, bill or credit note that is open or partly paid: its open residual
is expected on its due date (its invoice date when it has none). Money comes in for customer
invoices and vendor credit notes, and goes out (negative) for vendor bills and customer credit
notes: the direction of the payment that settles each. Week 1 starts on the as-of date; items
due before it are overdue, items due after the last week are later, so the rows of a currency
add up to all its open residuals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Invoice
from payctl.db.uow import unit_of_work
from payctl.domain.dates import MAX_FORECAST_WEEKS, parse_date
from payctl.domain.enums import INBOUND_INVOICE_TYPES, InvoiceState
from payctl.errors import InputError
from payctl.services.reports.flows import flow, flow_columns

OPEN_STATES = [InvoiceState.OPEN, InvoiceState.PARTIAL]
OVERDUE, LATER = "overdue", "later"


@dataclass(frozen=True)
class Forecast:
    as_of: dt.date
    weeks: int
    # per currency: overdue, week 1 … week N, later; each row ``currency, period, from, to,
    # count, money_in, money_out, net`` (money out negative, from/to None when open-ended)
    items: list[dict[str, Any]]
    totals: list[dict[str, Any]]  # per currency, the sum of its rows


def check_weeks(weeks: int) -> int:
    if not 1 <= weeks <= MAX_FORECAST_WEEKS:
        raise InputError(f"weeks: {weeks} is not between 1 and {MAX_FORECAST_WEEKS}")
    return weeks


class ForecastService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @unit_of_work(write=False)
    async def forecast(self, weeks: int = 8, as_of: str | dt.date | None = None) -> Forecast:
        check_weeks(weeks)
        start = parse_date(as_of if as_of is not None else "today", "as_of")
        assert start is not None
        bounds = [start + dt.timedelta(weeks=i) for i in range(weeks + 1)]
        sums = await self._sums(bounds)
        periods = _periods(bounds)
        items, totals = [], []
        for currency in sorted({currency for _bucket, currency in sums}):
            figures = [sums.get((bucket, currency), (0, 0, 0)) for bucket, *_ in periods]
            items += [
                {"period": period, "from": begin, "to": end, **flow(currency, *f)}
                for (_bucket, period, begin, end), f in zip(periods, figures, strict=True)
            ]
            totals.append(flow(currency, *(sum(f[i] for f in figures) for i in range(3))))
        return Forecast(start, weeks, items, totals)

    async def _sums(self, bounds: list[dt.date]) -> dict[tuple[int, str], tuple[int, int, int]]:
        """``(bucket, currency) -> (count, money in, money out)`` of the open items; bucket -1
        is overdue, 0 … N-1 the weeks, N later. One grouped query."""
        due = func.coalesce(Invoice.due_date, Invoice.date)
        bucket: ColumnElement[int] = case(
            (due < bounds[0], literal(-1)),
            *((due < bound, literal(i)) for i, bound in enumerate(bounds[1:])),
            else_=literal(len(bounds) - 1),
        )
        inner = (
            select(
                bucket.label("bucket"),
                Invoice.currency.label("currency"),
                Invoice.type.in_(INBOUND_INVOICE_TYPES).label("inbound"),
                Invoice.residual.label("residual"),
            )
            .where(Invoice.state.in_(OPEN_STATES), Invoice.residual > 0)
            .subquery()
        )
        # grouped on the subquery's columns: PostgreSQL cannot match a CASE with bound
        # parameters in GROUP BY to the same CASE in the select list
        stmt = select(
            inner.c.bucket, inner.c.currency, *flow_columns(inner.c.residual, inner.c.inbound)
        ).group_by(inner.c.bucket, inner.c.currency)
        return {
            (int(b), currency): (int(n), int(i), int(o))
            for b, currency, n, i, o in (await self.session.execute(stmt)).all()
        }


def _periods(bounds: list[dt.date]) -> list[tuple[int, str, dt.date | None, dt.date | None]]:
    """``(bucket, period, from, to)`` of the rows: overdue, the weeks, later."""
    day = dt.timedelta(days=1)
    weeks = [
        (i, f"week {i + 1}", begin, end - day)
        for i, (begin, end) in enumerate(zip(bounds, bounds[1:], strict=False))
    ]
    return [
        (-1, OVERDUE, None, bounds[0] - day),
        *weeks,
        (len(bounds) - 1, LATER, bounds[-1], None),
    ]

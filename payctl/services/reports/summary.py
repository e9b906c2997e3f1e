"""``payctl summary``: money payments brought in and paid out, per currency, by type, journal
and month, summed by the database. Posted payments count unless other states are chosen; the
payments of the other states are shown apart, never added in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Journal, Payment
from payctl.db.uow import unit_of_work
from payctl.domain.dates import parse_date
from payctl.domain.enums import INBOUND_PAYMENT_TYPES, PaymentState
from payctl.errors import InputError
from payctl.services.payments.payment_queries import allocated_subquery
from payctl.services.reports.flows import flow, flow_columns
from payctl.services.rows import enum_value

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class PaymentSummary:
    """Each list holds rows of ``currency, count, money_in, money_out, net`` (money out
    negative) plus the row's key (``type``, ``journal``, ``month``, ``state``)."""

    date_from: dt.date | None
    date_to: dt.date | None
    states: list[str]  # the states counted
    totals: Rows  # one row per currency
    by_type: Rows
    by_journal: Rows
    by_month: Rows  # month as YYYY-MM
    not_counted: Rows  # payments of the other states, by state
    unallocated: Rows  # posted payments' money not allocated to invoices, by type


def chosen_states(states: Sequence[str]) -> list[PaymentState]:
    """The states to count (posted when none is given), in the vocabulary's order."""
    parse = enum_value(PaymentState, "state")
    chosen = {parse(s) for s in states} if states else {PaymentState.POSTED}
    return [s for s in PaymentState if s in chosen]


class SummaryService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @unit_of_work(write=False)
    async def payment_summary(
        self,
        states: Sequence[str] = (),
        date_from: str | dt.date | None = None,
        date_to: str | dt.date | None = None,
    ) -> PaymentSummary:
        chosen = chosen_states(states)
        start, end = parse_date(date_from, "date_from"), parse_date(date_to, "date_to")
        if start and end and start > end:
            raise InputError(f"date_from: {start} is after date_to {end}")
        period = [Payment.date >= start] if start else []
        period += [Payment.date <= end] if end else []
        counted = [*period, Payment.state.in_(chosen)]
        year, month = func.extract("year", Payment.date), func.extract("month", Payment.date)
        by_month = [
            {"month": f"{int(r.pop('year')):04d}-{int(r.pop('m')):02d}", **r}
            for r in await self._grouped([year, month], ["year", "m"], counted)
        ]
        others = [*period, Payment.state.not_in(chosen)]
        return PaymentSummary(
            date_from=start,
            date_to=end,
            states=[s.value for s in chosen],
            totals=await self._grouped([], [], counted),
            by_type=await self._grouped([Payment.type], ["type"], counted),
            by_journal=await self._grouped([Journal.code], ["journal"], counted),
            by_month=by_month,
            not_counted=await self._grouped([Payment.state], ["state"], others),
            unallocated=await self._unallocated(period) if PaymentState.POSTED in chosen else [],
        )

    async def _grouped(
        self, keys: list[Any], names: list[str], where: list[ColumnElement[bool]]
    ) -> Rows:
        inbound = Payment.type.in_(INBOUND_PAYMENT_TYPES)
        stmt = select(*keys, Payment.currency, *flow_columns(Payment.amount, inbound)).where(*where)
        if any(key is Journal.code for key in keys):
            stmt = stmt.join(Journal, Journal.id == Payment.journal_id)
        stmt = stmt.group_by(*keys, Payment.currency).order_by(*keys, Payment.currency)
        return [
            {**_keys(names, row[: len(keys)]), **flow(*row[len(keys) :])}
            for row in (await self.session.execute(stmt)).all()
        ]

    async def _unallocated(self, period: list[ColumnElement[bool]]) -> Rows:
        allocated = allocated_subquery()
        inbound = Payment.type.in_(INBOUND_PAYMENT_TYPES)
        stmt = (
            select(
                Payment.type, Payment.currency, *flow_columns(Payment.amount - allocated, inbound)
            )
            .where(Payment.state == PaymentState.POSTED, Payment.amount > allocated, *period)
            .group_by(Payment.type, Payment.currency)
            .order_by(Payment.type, Payment.currency)
        )
        return [
            {"type": kind.value, **flow(*figures)}
            for kind, *figures in (await self.session.execute(stmt)).all()
        ]


def _keys(names: list[str], values: Sequence[Any]) -> dict[str, Any]:
    return {
        name: value.value if hasattr(value, "value") else value
        for name, value in zip(names, values, strict=True)
    }

"""Aged receivables and payables: what each partner owes (or is owed), by days overdue.

Per partner and currency: the open invoices (customer invoices for receivables, vendor bills
for payables) in a "not yet due" column and one column per bucket of days overdue
(:mod:`payctl.domain.aging`); open credit notes and unallocated payments each in a column of
their own (they lower the balance), and the total. Currencies are never added together.

Now (no date given): the open amount of an item is its residual, and the posted payments'
unallocated amounts count. As of a past day D: only items dated on or before D, whose open
amount is their total minus what the payments that counted on D settled (allocation plus
write-off), and the unallocated part of those payments; which payments counted on D is
:mod:`payctl.services.reports.in_effect`'s rule. Two aggregate queries, whatever the size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Invoice, Partner, Payment, PaymentAllocation
from payctl.domain.aging import Bucket
from payctl.domain.enums import (
    InvoiceState,
    InvoiceType,
    PaymentType,
    is_customer_payment,
    is_customer_side,
)
from payctl.domain.money import from_minor
from payctl.services.reports.in_effect import counted

RECEIVABLE, PAYABLE = "receivable", "payable"
_CREDIT_NOTES = (InvoiceType.CUSTOMER_CREDIT_NOTE, InvoiceType.VENDOR_CREDIT_NOTE)
_REFUNDS = (PaymentType.CUSTOMER_REFUND, PaymentType.VENDOR_REFUND)
CREDIT_NOTES = -1  # the "bucket" of credit notes: a column of their own
UNALLOCATED = -2  # the column of unallocated payments


@dataclass(frozen=True)
class AgingRow:
    partner: str
    currency: str
    not_due: Decimal
    buckets: tuple[Decimal, ...]
    credit_notes: Decimal
    unallocated: Decimal
    total: Decimal


@dataclass(frozen=True)
class AgingReport:
    side: str
    as_of: dt.date
    buckets: tuple[Bucket, ...]
    items: list[AgingRow]
    totals: list[AgingRow]  # one per currency, partner ""


def side_types(side: str) -> tuple[list[InvoiceType], list[PaymentType]]:
    customer = side == RECEIVABLE
    return (
        [t for t in InvoiceType if is_customer_side(t) == customer],
        [t for t in PaymentType if is_customer_payment(t) == customer],
    )


def _bucket_of(due: Any, as_of: dt.date, buckets: Sequence[Bucket]) -> ColumnElement[int]:
    """SQL: 0 when ``due`` is on or after ``as_of`` (not yet due), else the 1-based bucket."""
    whens: list[tuple[Any, Any]] = [(due >= as_of, literal(0))]
    for index, bucket in enumerate(buckets[:-1], start=1):
        whens.append((due >= bucket.due_window(as_of)[0], literal(index)))
    return case(*whens, else_=literal(len(buckets)))


async def _invoice_sums(
    session: AsyncSession,
    side: str,
    as_of: dt.date | None,
    day: dt.date,
    buckets: Sequence[Bucket],
    partner_id: int | None,
) -> list[tuple[str, str, int, int]]:
    """(partner, currency, bucket or CREDIT_NOTES, signed open minor units) of the side's
    items: credit notes negative."""
    invoice_types, _ = side_types(side)
    column = case(
        (Invoice.type.in_(_CREDIT_NOTES), literal(CREDIT_NOTES)),
        else_=_bucket_of(func.coalesce(Invoice.due_date, Invoice.date), day, buckets),
    ).label("col")
    where = [Invoice.type.in_(invoice_types), Invoice.state != InvoiceState.CANCELLED]
    if as_of is None:
        open_amount: Any = Invoice.residual
        source: Any = Invoice
    else:
        applied = (
            select(
                PaymentAllocation.invoice_id.label("iid"),
                func.sum(PaymentAllocation.amount + PaymentAllocation.writeoff).label("done"),
            )
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(counted(as_of))
            .group_by(PaymentAllocation.invoice_id)
            .subquery()
        )
        open_amount = Invoice.total - func.coalesce(applied.c.done, 0)
        source = Invoice.__table__.outerjoin(applied, applied.c.iid == Invoice.id)
        where.append(Invoice.date <= as_of)
    # a credit note lowers what is open
    signed = case((Invoice.type.in_(_CREDIT_NOTES), -open_amount), else_=open_amount)
    stmt = (
        select(Partner.name, Invoice.currency, column, func.sum(signed))
        .select_from(source)
        .join(Partner, Partner.id == Invoice.partner_id)
        .where(*where, open_amount != 0)
        .group_by(Partner.name, Invoice.currency, column)
    )
    if partner_id is not None:
        stmt = stmt.where(Invoice.partner_id == partner_id)
    return [(p, c, int(col), int(v)) for p, c, col, v in await session.execute(stmt)]


async def _unallocated_sums(
    session: AsyncSession, side: str, as_of: dt.date | None, partner_id: int | None
) -> list[tuple[str, str, int]]:
    """(partner, currency, signed unallocated minor units) of the side's counted payments:
    a payment lowers what is open, a refund raises it."""
    _, payment_types = side_types(side)
    allocated = (
        select(
            PaymentAllocation.payment_id.label("pid"),
            func.sum(PaymentAllocation.amount).label("done"),
        )
        .group_by(PaymentAllocation.payment_id)
        .subquery()
    )
    left = Payment.amount - func.coalesce(allocated.c.done, 0)
    signed = case((Payment.type.in_(_REFUNDS), left), else_=-left)
    stmt = (
        select(Partner.name, Payment.currency, func.sum(signed))
        .join(Partner, Partner.id == Payment.partner_id)
        .outerjoin(allocated, allocated.c.pid == Payment.id)
        .where(Payment.type.in_(payment_types), counted(as_of), left != 0)
        .group_by(Partner.name, Payment.currency)
    )
    if partner_id is not None:
        stmt = stmt.where(Payment.partner_id == partner_id)
    return [(p, c, int(v)) for p, c, v in await session.execute(stmt)]


def _row(partner: str, currency: str, cells: dict[int, int], n: int) -> AgingRow:
    def amount(key: int) -> Decimal:
        return from_minor(cells.get(key, 0), currency)

    return AgingRow(
        partner,
        currency,
        amount(0),
        tuple(amount(i) for i in range(1, n + 1)),
        amount(CREDIT_NOTES),
        amount(UNALLOCATED),
        from_minor(sum(cells.values()), currency),
    )


async def aging(
    session: AsyncSession,
    side: str,
    as_of: dt.date | None,
    buckets: Sequence[Bucket],
    partner_id: int | None,
) -> AgingReport:
    """The report (module docstring); rows by partner name then currency."""
    day = as_of or dt.date.today()
    cells: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for partner, currency, col, value in await _invoice_sums(
        session, side, as_of, day, buckets, partner_id
    ):
        cells[(partner, currency)][col] += value
    for partner, currency, value in await _unallocated_sums(session, side, as_of, partner_id):
        cells[(partner, currency)][UNALLOCATED] += value
    totals: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (_, currency), row in cells.items():
        for col, value in row.items():
            totals[currency][col] += value
    n = len(buckets)
    return AgingReport(
        side,
        day,
        tuple(buckets),
        [_row(p, c, cells[(p, c)], n) for p, c in sorted(cells)],
        [_row("", c, totals[c], n) for c in sorted(totals)],
    )

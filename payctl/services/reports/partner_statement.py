"""A partner's statement: every booking on the partner's receivable and payable account in
date order, with a running balance per currency.

The balance is what the partner owes us: debit minus credit of the partner's lines on the
receivable and payable accounts (a vendor we owe has a negative balance). So the closing
balance is the partner's open invoices minus its open credit notes and unallocated payments
(receivable side) less the same on the payable side: what `payctl partner show` reports.

A row per entry: an invoice, credit note, payment or refund, or the reversal that a reset or
cancel posted (``reverses`` names the entry it undoes); a payment's write-off (the difference
booked to payment differences) is a row of its own after it. The opening balance per currency
is what the entries before ``date_from`` left; two aggregate queries over the partner's lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import String, case, func, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from payctl.db.models import Invoice, JournalEntry, JournalLine, Partner, Payment
from payctl.domain.enums import AccountRole
from payctl.domain.money import from_minor
from payctl.services.ledger.entries import account_roles, entry_currency, with_entry_currency

WRITE_OFF = "write_off"


@dataclass(frozen=True)
class StatementRow:
    date: dt.date
    entry: str
    document: str | None
    kind: str
    reverses: str | None
    currency: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Balance:
    currency: str
    balance: Decimal


@dataclass(frozen=True)
class PartnerStatement:
    partner: str
    date_from: dt.date | None
    date_to: dt.date | None
    opening: list[Balance]
    items: list[StatementRow]
    closing: list[Balance]


def _period(stmt: Any, date_from: dt.date | None, date_to: dt.date | None) -> Any:
    if date_from is not None:
        stmt = stmt.where(JournalEntry.date >= date_from)
    if date_to is not None:
        stmt = stmt.where(JournalEntry.date <= date_to)
    return stmt


async def partner_statement(
    session: AsyncSession, partner: Partner, date_from: dt.date | None, date_to: dt.date | None
) -> PartnerStatement:
    roles = await account_roles(session)
    control = [roles[AccountRole.RECEIVABLE], roles[AccountRole.PAYABLE]]
    writeoff = roles[AccountRole.PAYMENT_DIFFERENCES]
    moved = JournalLine.debit - JournalLine.credit
    on_control = case((JournalLine.account_id.in_(control), moved), else_=literal(0))
    on_writeoff = case((JournalLine.account_id == writeoff, moved), else_=literal(0))
    currency = entry_currency().label("currency")
    mine = [JournalLine.partner_id == partner.id, JournalLine.account_id.in_([*control, writeoff])]
    opening: dict[str, int] = defaultdict(int)
    if date_from is not None:
        before = with_entry_currency(
            select(currency, func.sum(on_control))
            .select_from(JournalLine)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        ).where(*mine, JournalEntry.date < date_from)
        for cur, value in await session.execute(before.group_by(currency)):
            opening[cur] += int(value)
    original = aliased(JournalEntry)
    stmt = _period(
        with_entry_currency(
            select(
                JournalEntry.id,
                JournalEntry.date,
                JournalEntry.number,
                func.coalesce(Invoice.number, Payment.number, JournalEntry.memo),
                func.coalesce(
                    type_coerce(Invoice.type, String),
                    type_coerce(Payment.type, String),
                    JournalEntry.source_type,
                ),
                original.number,
                currency,
                func.sum(on_control),
                func.sum(on_writeoff),
            )
            .select_from(JournalLine)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .outerjoin(original, original.id == JournalEntry.reversal_of_id)
        ).outerjoin(Payment, Payment.id == JournalEntry.payment_id),
        date_from,
        date_to,
    ).where(*mine)
    stmt = stmt.group_by(*stmt.selected_columns[:7]).order_by(JournalEntry.date, JournalEntry.id)
    balance = defaultdict(int, opening)
    rows: list[StatementRow] = []
    for (
        _,
        day,
        number,
        document,
        kind,
        reverses,
        cur,
        control_sum,
        writeoff_sum,
    ) in await session.execute(stmt):
        # a write-off moved the control account with the payment; shown as its own row
        parts = [(str(kind), int(control_sum) + int(writeoff_sum))]
        if int(writeoff_sum):
            parts.append((WRITE_OFF, -int(writeoff_sum)))
        for what, delta in parts:
            balance[cur] += delta
            rows.append(
                StatementRow(
                    day,
                    number,
                    document,
                    what,
                    reverses,
                    cur,
                    from_minor(max(delta, 0), cur),
                    from_minor(max(-delta, 0), cur),
                    from_minor(balance[cur], cur),
                )
            )

    def balances(values: dict[str, int]) -> list[Balance]:
        return [Balance(cur, from_minor(v, cur)) for cur, v in sorted(values.items())]

    return PartnerStatement(
        partner.name, date_from, date_to, balances(opening), rows, balances(balance)
    )

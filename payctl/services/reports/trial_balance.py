"""The trial balance: per account and currency, the opening balance, the debits and credits of
the period and the closing balance, from the journal lines.

Every posted entry counts, reversed ones and their reversals too (both stay in the ledger, as
they do in an exported journal), by its date: the opening balance is what the entries before
the period's first day left (none without ``date_from``), the closing balance the opening plus
debits minus credits. A balance is debit minus credit (a credit balance is negative). An
entry's currency is :func:`payctl.services.ledger.entries.entry_currency`. One aggregate query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Account, JournalEntry, JournalLine
from payctl.domain.money import from_minor
from payctl.services.ledger.entries import entry_currency, with_entry_currency


@dataclass(frozen=True)
class BalanceRow:
    code: str
    name: str
    currency: str
    opening: Decimal
    debits: Decimal
    credits: Decimal
    closing: Decimal


@dataclass(frozen=True)
class BalanceTotal:
    """One currency's totals; ``balanced``: its debits equal its credits and its balances
    (opening and closing) add up to zero, as double entry requires."""

    currency: str
    opening: Decimal
    debits: Decimal
    credits: Decimal
    closing: Decimal
    balanced: bool


@dataclass(frozen=True)
class TrialBalance:
    date_from: dt.date | None
    date_to: dt.date | None
    items: list[BalanceRow]
    totals: list[BalanceTotal]


def _in_period(date_from: dt.date | None, value: Any) -> Any:
    if date_from is None:
        return value
    return case((JournalEntry.date >= date_from, value), else_=literal(0))


async def trial_balance(
    session: AsyncSession, date_from: dt.date | None, date_to: dt.date | None
) -> TrialBalance:
    """The report (module docstring); rows by account code, then currency."""
    currency = entry_currency().label("currency")
    opening: Any = (
        literal(0)
        if date_from is None
        else case(
            (JournalEntry.date < date_from, JournalLine.debit - JournalLine.credit),
            else_=literal(0),
        )
    )
    stmt = with_entry_currency(
        select(
            Account.code,
            Account.name,
            currency,
            func.sum(opening),
            func.sum(_in_period(date_from, JournalLine.debit)),
            func.sum(_in_period(date_from, JournalLine.credit)),
        )
        .select_from(JournalLine)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Account, Account.id == JournalLine.account_id)
    ).group_by(Account.code, Account.name, currency)
    if date_to is not None:
        stmt = stmt.where(JournalEntry.date <= date_to)
    rows: list[BalanceRow] = []
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for code, name, cur, o, d, c in sorted(await session.execute(stmt), key=lambda r: (r[0], r[2])):
        o, d, c = int(o), int(d), int(c)
        rows.append(
            BalanceRow(
                code,
                name,
                cur,
                from_minor(o, cur),
                from_minor(d, cur),
                from_minor(c, cur),
                from_minor(o + d - c, cur),
            )
        )
        for i, value in enumerate((o, d, c)):
            sums[cur][i] += value
    totals = [
        BalanceTotal(
            cur,
            from_minor(o, cur),
            from_minor(d, cur),
            from_minor(c, cur),
            from_minor(o + d - c, cur),
            balanced=o == 0 and d == c,
        )
        for cur, (o, d, c) in sorted(sums.items())
    ]
    return TrialBalance(date_from, date_to, rows, totals)

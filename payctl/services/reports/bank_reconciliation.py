"""The bank reconciliation of one journal on a day: the bank's balance (its last statement),
the ledger's bank balance, the difference explained line by line, and the items in transit.

- **Statement balance**: the closing balance of the journal's last statement that ends on or
  before the day (the bank's figure).
- **Ledger balance**: debits minus credits of every entry dated on or before the day on the
  journal's bank account.
- **Not in the ledger** (the difference, explained): the statement opening balance while no
  opening balance is booked, and the bank lines no entry has brought into the ledger.
- **Waiting in suspense**: lines nobody has decided yet (in review, or ignored), each with
  why; the ledger holds them on the bank suspense account until they are decided.
- **In transit**: posted payments of the journal that no bank line has reconciled yet: on the
  outstanding receipts / payments accounts, not yet seen on a statement. Money in counts
  positive, money out negative; the ledger balance plus them is the bank balance to expect once
  they clear.

Every figure is one aggregate or filtered query, not a loop over the ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import (
    BankLine,
    BankStatement,
    Journal,
    JournalEntry,
    JournalLine,
    Partner,
    Payment,
)
from payctl.domain.enums import PaymentState, is_inbound
from payctl.domain.money import from_minor

# The states of a bank line nobody has decided yet.
UNDECIDED = ("review", "ignored")


@dataclass(frozen=True)
class WaitingLine:
    id: int
    date: dt.date
    amount: Decimal
    state: str
    in_ledger: bool
    counterparty: str | None
    text: str | None
    reason: str | None


@dataclass(frozen=True)
class TransitItem:
    payment: str
    date: dt.date
    type: str
    partner: str | None
    amount: Decimal  # money in positive, money out negative
    reference: str | None


@dataclass(frozen=True)
class BankReconciliation:
    journal: str
    account: str | None
    currency: str
    as_of: dt.date
    statement_id: int | None
    statement_date: dt.date | None
    statement_balance: Decimal | None
    ledger_balance: Decimal
    difference: Decimal | None  # statement balance - ledger balance
    opening_not_booked: Decimal  # the first statement's opening balance, while none is booked
    lines_not_in_ledger: Decimal
    unexplained: Decimal | None  # difference - opening_not_booked - lines_not_in_ledger
    waiting: list[WaitingLine]
    waiting_total: Decimal
    in_transit: list[TransitItem]
    in_transit_total: Decimal
    expected_balance: Decimal  # ledger balance + in transit


def _not_in_ledger() -> object:
    """The bank lines no entry has brought into the ledger (the one place that says so)."""
    return BankLine.state.in_(UNDECIDED)


async def opening_booked(session: AsyncSession, journal: Journal) -> bool:
    found = await session.scalar(
        select(JournalEntry.id)
        .where(
            JournalEntry.journal_id == journal.id,
            JournalEntry.source_type == "opening_balance",
        )
        .limit(1)
    )
    return found is not None


async def bank_reconciliation(
    session: AsyncSession, journal: Journal, account_code: str | None, day: dt.date
) -> BankReconciliation:
    cur = journal.currency
    statement = (
        await session.execute(
            select(BankStatement.id, BankStatement.closing_date, BankStatement.closing_balance)
            .where(
                BankStatement.journal_id == journal.id,
                BankStatement.closing_date <= day,
                BankStatement.closing_balance.is_not(None),
            )
            .order_by(BankStatement.closing_date.desc(), BankStatement.id.desc())
            .limit(1)
        )
    ).first()
    first_opening = await session.scalar(
        select(BankStatement.opening_balance)
        .where(
            BankStatement.journal_id == journal.id,
            BankStatement.opening_balance.is_not(None),
            BankStatement.opening_date <= day,
        )
        .order_by(BankStatement.opening_date, BankStatement.id)
        .limit(1)
    )
    ledger = 0
    if journal.account_id is not None:
        ledger = int(
            await session.scalar(
                select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
                .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                .where(JournalLine.account_id == journal.account_id, JournalEntry.date <= day)
            )
            or 0
        )
    not_in_ledger = and_(_not_in_ledger(), BankLine.journal_id == journal.id)
    missing = int(
        await session.scalar(
            select(func.coalesce(func.sum(BankLine.amount), 0)).where(
                not_in_ledger, BankLine.booking_date <= day
            )
        )
        or 0
    )
    lines = await session.execute(
        select(BankLine, not_in_ledger)
        .where(
            BankLine.journal_id == journal.id,
            BankLine.state.in_(UNDECIDED),
            BankLine.booking_date <= day,
        )
        .order_by(BankLine.booking_date, BankLine.id)
    )
    waiting_minor = 0
    waiting = []
    for ln, outside in lines:
        waiting_minor += ln.amount
        waiting.append(
            WaitingLine(
                ln.id,
                ln.booking_date,
                from_minor(ln.amount, ln.currency),
                ln.state,
                not outside,
                ln.counterparty_name,
                ln.remittance,
                ln.reason,
            )
        )
    reconciled = select(BankLine.payment_id).where(BankLine.payment_id.is_not(None))
    payments = await session.execute(
        select(Payment, Partner.name)
        .outerjoin(Partner, Partner.id == Payment.partner_id)
        .where(
            Payment.journal_id == journal.id,
            Payment.state == PaymentState.POSTED,
            Payment.date <= day,
            Payment.id.not_in(reconciled),
        )
        .order_by(Payment.date, Payment.id)
    )
    transit = []
    transit_minor = 0
    for p, partner in payments:
        signed = p.amount if is_inbound(p.type) else -p.amount
        transit_minor += signed
        transit.append(
            TransitItem(
                p.number or f"#{p.id}",
                p.date,
                p.type.value,
                partner,
                from_minor(signed, p.currency),
                p.reference,
            )
        )
    opening = 0
    if first_opening and not await opening_booked(session, journal):
        opening = int(first_opening)
    difference = None if statement is None else int(statement.closing_balance) - ledger
    return BankReconciliation(
        journal.code,
        account_code,
        cur,
        day,
        None if statement is None else statement.id,
        None if statement is None else statement.closing_date,
        None if statement is None else from_minor(statement.closing_balance, cur),
        from_minor(ledger, cur),
        None if difference is None else from_minor(difference, cur),
        from_minor(opening, cur),
        from_minor(missing, cur),
        None if difference is None else from_minor(difference - opening - missing, cur),
        waiting,
        from_minor(waiting_minor, cur),
        transit,
        from_minor(transit_minor, cur),
        from_minor(ledger + transit_minor, cur),
    )

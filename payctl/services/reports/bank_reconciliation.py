"""The bank reconciliation of one journal on a day: the bank's balance (its last statement),
the ledger's bank balance, the difference explained line by line, and the items in transit.

- **Statement balance**: the closing balance of the journal's last statement that ends on or
  before the day (the bank's figure).
- **Ledger balance**: debits minus credits of every entry dated on or before the day on the
  journal's bank account.
- **The difference, explained**: the statement opening balance while no opening balance is
  booked; the bank lines up to the statement's date that no entry has brought into the ledger;
  and, taken off, the lines dated after the statement (up to the day) the ledger already holds
  but the statement's balance does not. What remains is unexplained (a statement missing, or
  something booked on the bank account by other means).
- **Waiting in suspense**: lines nobody has decided yet (in review, or ignored), each with
  why; the ledger holds them on the bank suspense account until they are decided.
- **Matched to drafts**: lines matched to a payment that is still a draft (imported without
  ``--auto-confirm``): in the ledger once the payment is confirmed.
- **In transit**: payments of the journal counted on the day (:mod:`.in_effect`) that no bank
  line dated by then has reconciled or created: on the
  outstanding receipts / payments accounts, not yet seen on a statement. Money in counts
  positive, money out negative; the ledger balance plus them is the bank balance to expect once
  they clear.

Every figure is one aggregate or filtered query, not a loop over the ledger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select
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
from payctl.services.bank.suspense import UNDECIDED
from payctl.services.ledger import opening_balance
from payctl.services.reports.in_effect import counted


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
    as_of: dt.date | None
    statement_id: int | None
    statement_date: dt.date | None
    statement_balance: Decimal | None
    ledger_balance: Decimal
    difference: Decimal | None  # statement balance - ledger balance
    opening_not_booked: Decimal  # the first statement's opening balance, while none is booked
    lines_not_in_ledger: Decimal  # up to the statement's date
    lines_after_statement: Decimal  # in the ledger, dated after the statement, up to the day
    unexplained: Decimal | None  # difference - the three above
    waiting: list[WaitingLine]
    waiting_total: Decimal
    # matched to a payment still a draft: in the ledger once it is confirmed
    matched_to_drafts: list[WaitingLine]
    in_transit: list[TransitItem]
    in_transit_total: Decimal
    expected_balance: Decimal  # ledger balance + in transit


def _not_in_ledger() -> ColumnElement[bool]:
    """The bank lines no entry has brought into the ledger (the one place that says so): the
    undecided ones not booked into suspense (a database upgraded from schema 0008 before
    `payctl init` booked them), and those matched to a payment that is still a draft."""
    drafts = select(Payment.id).where(Payment.state == PaymentState.DRAFT)
    return or_(
        and_(BankLine.state.in_(UNDECIDED), BankLine.suspense_entry_id.is_(None)),
        # never NULL (a line without a payment is FALSE here, not unknown), so NOT works
        and_(BankLine.payment_id.is_not(None), BankLine.payment_id.in_(drafts)),
    )


async def bank_reconciliation(
    session: AsyncSession, journal: Journal, account_code: str | None, as_of: dt.date | None
) -> BankReconciliation:
    """The reconciliation of ``journal`` on ``as_of`` (None: now, everything booked so far)."""
    cur = journal.currency
    day = as_of or dt.date.max
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
    last = statement.closing_date if statement is not None else day
    missing = int(
        await session.scalar(
            select(func.coalesce(func.sum(BankLine.amount), 0)).where(
                not_in_ledger, BankLine.booking_date <= last
            )
        )
        or 0
    )
    after = int(
        await session.scalar(
            select(func.coalesce(func.sum(BankLine.amount), 0)).where(
                BankLine.journal_id == journal.id,
                ~_not_in_ledger(),
                BankLine.booking_date > last,
                BankLine.booking_date <= day,
            )
        )
        or 0
    )
    lines = await session.execute(
        select(BankLine, not_in_ledger)
        .where(
            BankLine.journal_id == journal.id,
            or_(BankLine.state.in_(UNDECIDED), _not_in_ledger()),
            BankLine.booking_date <= day,
        )
        .order_by(BankLine.booking_date, BankLine.id)
    )
    waiting_minor = 0
    waiting: list[WaitingLine] = []
    drafts: list[WaitingLine] = []
    for ln, outside in lines:
        item = WaitingLine(
            ln.id,
            ln.booking_date,
            from_minor(ln.amount, ln.currency),
            ln.state,
            not outside,
            ln.counterparty_name,
            ln.remittance,
            ln.reason,
        )
        if ln.state in UNDECIDED:
            waiting_minor += ln.amount
            waiting.append(item)
        else:
            drafts.append(item)
    reconciled = select(BankLine.payment_id).where(
        BankLine.payment_id.is_not(None), BankLine.booking_date <= day
    )
    payments = await session.execute(
        select(Payment, Partner.name)
        .outerjoin(Partner, Partner.id == Payment.partner_id)
        .where(
            Payment.journal_id == journal.id,
            counted(as_of),
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
    first_opening = await session.scalar(  # the first statement that gives a balance
        select(BankStatement.opening_balance)
        .where(
            BankStatement.journal_id == journal.id,
            BankStatement.opening_balance.is_not(None),
            BankStatement.opening_date <= day,
        )
        .order_by(BankStatement.opening_date, BankStatement.id)
        .limit(1)
    )
    opening = 0  # its opening balance, while the journal's is not booked
    if first_opening and not await opening_balance.is_booked(session, journal.id):
        opening = int(first_opening)
    difference = None if statement is None else int(statement.closing_balance) - ledger
    return BankReconciliation(
        journal.code,
        account_code,
        cur,
        as_of,
        None if statement is None else statement.id,
        None if statement is None else statement.closing_date,
        None if statement is None else from_minor(statement.closing_balance, cur),
        from_minor(ledger, cur),
        None if difference is None else from_minor(difference, cur),
        from_minor(opening, cur),
        from_minor(missing, cur),
        from_minor(-after, cur),
        None if difference is None else from_minor(difference - opening - missing + after, cur),
        waiting,
        from_minor(waiting_minor, cur),
        drafts,
        transit,
        from_minor(transit_minor, cur),
        from_minor(ledger + transit_minor, cur),
    )

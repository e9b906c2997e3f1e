"""A journal's opening balance: what its bank account held before its first imported line.

Booked once per journal against the opening balance equity account (role ``opening_equity``):
a positive balance Dr bank / Cr opening equity, a negative one the reverse. From then on
`payctl check` holds the journal's bank account to its statements (bank_balance_check.py). A
second booking is refused; ``replace`` reverses the first (on its own date) and books the new
one, both audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import BankStatement, Journal, JournalEntry, JournalLine
from payctl.domain.enums import AccountRole
from payctl.domain.journal import Line
from payctl.domain.money import format_amount, from_minor
from payctl.errors import RuleViolation
from payctl.services.events import outbox
from payctl.services.events.outbox import Change
from payctl.services.ledger import audit, entries

SOURCE = "opening_balance"  # journal_entries.source_type


@dataclass(frozen=True)
class OpeningBalance:
    journal: str
    date: dt.date
    amount: str  # decimal text
    currency: str
    entry: str  # the entry's number
    replaced: str | None  # the number of the entry it replaced


async def booked(session: AsyncSession, journal_id: int) -> JournalEntry | None:
    """The journal's live opening balance entry, if it has one."""
    return await session.scalar(
        select(JournalEntry).where(
            JournalEntry.journal_id == journal_id,
            JournalEntry.source_type == SOURCE,
            entries.live_entry(),
        )
    )


async def _amount_of(session: AsyncSession, entry: JournalEntry, bank: int) -> int:
    rows = await session.execute(
        select(JournalLine.debit, JournalLine.credit).where(
            JournalLine.entry_id == entry.id, JournalLine.account_id == bank
        )
    )
    return sum(int(d) - int(c) for d, c in rows)


async def first_opening(session: AsyncSession, journal_id: int) -> BankStatement | None:
    """The journal's first statement (by date), the one whose opening balance is the
    journal's."""
    return await session.scalar(
        select(BankStatement)
        .where(BankStatement.journal_id == journal_id)
        .order_by(BankStatement.opening_date, BankStatement.closing_date, BankStatement.id)
        .limit(1)
    )


async def book(
    session: AsyncSession,
    user: str,
    journal: Journal,
    day: dt.date,
    amount: int,
    replace: bool = False,
) -> OpeningBalance:
    """Book ``amount`` (signed minor units of the journal's currency) as the journal's
    opening balance on ``day``."""
    cur = journal.currency
    if journal.account_id is None:
        raise RuleViolation(f"journal {journal.code} has no bank account to open")
    if amount == 0:
        raise RuleViolation("--amount: an opening balance of zero needs no booking")
    equity = (await entries.account_roles(session)).get(AccountRole.OPENING_EQUITY)
    if equity is None:
        raise RuleViolation(
            "the chart has no opening balance equity account: create one with `payctl account "
            "create CODE --name 'Opening balance equity' --type equity --role opening_equity`"
        )
    old = await booked(session, journal.id)
    if old is not None and not replace:
        was = await _amount_of(session, old, journal.account_id)
        raise RuleViolation(
            f"journal {journal.code} already has its opening balance {format_amount(was, cur)} "
            f"on {old.date} (entry {old.number}): to correct it, run the command again with "
            "--replace (its entry is reversed and the new one booked)"
        )
    replaced = None
    if old is not None:
        await entries.reverse_entries(session, [old.id], user, on=old.date)
        replaced = old
    label = f"Opening balance of {journal.code}"
    value = abs(amount)
    bank = journal.account_id
    lines = (
        [Line(bank, debit=value, label=label), Line(equity, credit=value, label=label)]
        if amount > 0
        else [Line(equity, debit=value, label=label), Line(bank, credit=value, label=label)]
    )
    (posted,) = await entries.post_entries(
        session,
        [
            entries.EntryDraft(
                journal_id=journal.id,
                journal_code=journal.code,
                date=day,
                source_type=SOURCE,
                source_id=journal.id,
                lines=lines,
                memo=label,
            )
        ],
        user,
    )
    data = {
        "journal_id": journal.id,
        "date": day.isoformat(),
        "amount": str(from_minor(amount, cur)),
        "currency": cur,
        "entry_id": posted.id,
        "entry_number": posted.number,
    }
    if replaced is not None:
        data["replaced_entry_id"] = replaced.id
    await outbox.emit(
        session,
        user,
        [Change("journal.opening_balance_booked", "journal", journal.id, journal.code, data)],
    )
    await audit.append(
        session,
        [audit.AuditEvent(user, "opening_balance", "journal", journal.id, dict(data))],
    )
    return OpeningBalance(
        journal.code,
        day,
        str(from_minor(amount, cur)),
        cur,
        posted.number,
        replaced.number if replaced is not None else None,
    )

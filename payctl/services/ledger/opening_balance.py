"""A journal's opening balance: what its bank account held before its first imported line.

Booked once per journal against the opening balance equity account (role ``opening_equity``):
a positive balance Dr bank / Cr opening equity, a negative one the reverse, zero no entry. The
setting ``opening_balance:<journal id>`` (``DATE AMOUNT``) records that it is booked (zero
included): from then on `payctl check` holds the journal's bank account to its statements
(bank_balance_check.py). A second booking is refused; ``replace`` reverses the first (on its
own date) and books the new one, both audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import BankStatement, Journal, JournalEntry
from payctl.domain.enums import AccountRole
from payctl.domain.journal import Line
from payctl.domain.money import format_amount, from_minor
from payctl.errors import RuleViolation
from payctl.services.events import outbox
from payctl.services.events.outbox import Change
from payctl.services.ledger import audit, entries, settings

SOURCE = "opening_balance"  # journal_entries.source_type
KEY = "opening_balance:"  # + journal id: the settings row saying the opening balance is booked


def key(journal_id: int) -> str:
    return f"{KEY}{journal_id}"


@dataclass(frozen=True)
class OpeningBalance:
    journal: str
    date: dt.date
    amount: str  # decimal text
    currency: str
    entry: str | None  # the entry's number (None: a balance of zero books no entry)
    replaced: str | None  # the number of the entry it replaced


async def is_booked(session: AsyncSession, journal_id: int) -> bool:
    return await settings.get(session, key(journal_id)) is not None


async def booked(session: AsyncSession, journal_id: int) -> JournalEntry | None:
    """The journal's live opening balance entry, if it has one."""
    return await session.scalar(
        select(JournalEntry).where(
            JournalEntry.journal_id == journal_id,
            JournalEntry.source_type == SOURCE,
            entries.live_entry(),
        )
    )


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
    equity = (await entries.account_roles(session)).get(AccountRole.OPENING_EQUITY)
    if equity is None:
        raise RuleViolation(
            "the chart has no opening balance equity account: create one with `payctl account "
            "create CODE --name 'Opening balance equity' --type equity --role opening_equity`"
        )
    recorded = await settings.get(session, key(journal.id))
    old = await booked(session, journal.id)
    if recorded is not None and not replace:
        day_was, _, minor_was = recorded.partition(" ")
        raise RuleViolation(
            f"journal {journal.code} already has its opening balance "
            f"{format_amount(int(minor_was or 0), cur)} on {day_was}"
            f"{f' (entry {old.number})' if old is not None else ''}: to correct it, run the "
            "command again with --replace (its entry is reversed and the new one booked)"
        )
    replaced = None
    if old is not None:
        await entries.reverse_entries(session, [old.id], user, on=old.date)
        replaced = old
    await settings.put(session, key(journal.id), f"{day.isoformat()} {amount}")
    if amount == 0:  # nothing to book: the setting says the journal opens at zero
        return await _recorded(session, user, journal, day, amount, None, replaced)
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
    return await _recorded(session, user, journal, day, amount, posted, replaced)


async def _recorded(
    session: AsyncSession,
    user: str,
    journal: Journal,
    day: dt.date,
    amount: int,
    posted: entries.PostedEntry | None,
    replaced: JournalEntry | None,
) -> OpeningBalance:
    """The event and audit record of a booked opening balance, and what the caller shows."""
    cur = journal.currency
    data: dict[str, object] = {
        "journal_id": journal.id,
        "date": day.isoformat(),
        "amount": str(from_minor(amount, cur)),
        "currency": cur,
        "entry_id": posted.id if posted else None,
        "entry_number": posted.number if posted else None,
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
        posted.number if posted else None,
        replaced.number if replaced is not None else None,
    )

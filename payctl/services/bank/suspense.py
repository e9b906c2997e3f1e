"""The bank suspense account: the one rule for bank lines nobody has decided yet.

Every imported line changes the bank balance, so every line is booked (DESIGN.md, "Bank lines
and the bank balance"). A line left undecided (``review``, or ``ignored``: decided to stay in
suspense, out of the review queue) is booked bank <-> suspense: money in Dr bank / Cr
suspense, money out the reverse. ``bank_lines.suspense_entry_id`` names the entry that holds
it there. Whenever a line leaves the undecided set (accepted to a payment or an invoice,
booked to an account, later a rule or a transfer) :func:`release` posts the reverse for that
line (Dr suspense / Cr bank for money in) in the same transaction, and then the decision's own
booking runs unchanged: the net effect moves the amount from suspense to the counterpart. A
line put back in review (`review unmatch`) is booked into suspense again.

Bookings are set-wise: one entry per journal and booking date carries the sum of the lines
(money in and money out as two pairs of journal lines), never one entry or ORM object per line.
An entry is dated on its lines' booking date (so the ledger's bank balance on any day follows
the statements), or the day after the lock date for lines dated on or before it.

Lines in another currency than their journal's are not booked: the journal's entries are in
its currency (they wait in review, held back by the import, see `payctl check`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import BankLine, Journal
from payctl.domain.enums import AccountRole
from payctl.domain.journal import Line
from payctl.services.ledger import entries
from payctl.services.ledger.settings import lock_date

UNDECIDED = ("review", "ignored")
SOURCE = "bank_suspense"  # journal_entries.source_type of the bookings into and out of suspense
IDS_PER_UPDATE = 900  # ids per IN list (well under every backend's bind limit)


class SuspenseLine(NamedTuple):
    """What booking a line into or out of suspense needs of it."""

    id: int
    journal_id: int
    amount: int  # signed minor units: money in is positive
    currency: str
    booking_date: dt.date


def of(line: BankLine) -> SuspenseLine:
    return SuspenseLine(line.id, line.journal_id, line.amount, line.currency, line.booking_date)


async def suspense_account(session: AsyncSession) -> int | None:
    return (await entries.account_roles(session)).get(AccountRole.BANK_SUSPENSE)


def entry_day(day: dt.date, lock: dt.date | None) -> dt.date:
    """The date of a suspense booking of a line dated ``day``: its own, or the first day
    after the lock date."""
    return max(day, lock + dt.timedelta(days=1)) if lock is not None else day


def _lines(inflow: int, outflow: int, bank: int, suspense: int, label: str) -> list[Line]:
    """Into suspense: Dr bank / Cr suspense for money in, Dr suspense / Cr bank for money out
    (``inflow`` and ``outflow`` positive sums). :func:`release` swaps the sides."""
    out: list[Line] = []
    if inflow:
        out += [Line(bank, debit=inflow, label=label), Line(suspense, credit=inflow, label=label)]
    if outflow:
        out += [
            Line(suspense, debit=outflow, label=label),
            Line(bank, credit=outflow, label=label),
        ]
    return out


def _swap(lines: list[Line]) -> list[Line]:
    return [Line(ln.account_id, debit=ln.credit, credit=ln.debit, label=ln.label) for ln in lines]


async def _post(
    session: AsyncSession,
    user: str,
    lines: Iterable[SuspenseLine],
    releasing: bool,
) -> dict[int, int]:
    """Post one entry per (journal, entry date) for ``lines``; line id -> its entry's id.
    Lines that cannot be booked (zero amount, another currency than the journal's, a journal
    without a bank account, a chart without a suspense account) are left out."""
    todo = [ln for ln in lines if ln.amount != 0]
    if not todo:
        return {}
    suspense = await suspense_account(session)
    if suspense is None:
        return {}
    journals = {
        j.id: j
        for j in (
            await session.scalars(
                select(Journal).where(Journal.id.in_({ln.journal_id for ln in todo}))
            )
        )
    }
    lock = await lock_date(session)
    groups: dict[tuple[int, dt.date], list[SuspenseLine]] = defaultdict(list)
    for ln in todo:
        j = journals[ln.journal_id]
        if j.account_id is None or ln.currency != j.currency:
            continue
        groups[(j.id, entry_day(ln.booking_date, lock))].append(ln)
    drafts, members = [], []
    for (journal_id, day), group in sorted(groups.items()):
        j = journals[journal_id]
        assert j.account_id is not None
        inflow = sum(ln.amount for ln in group if ln.amount > 0)
        outflow = -sum(ln.amount for ln in group if ln.amount < 0)
        what = "out of" if releasing else "into"
        first = group[0].id
        label = (
            f"bank line {first} {what} suspense"
            if len(group) == 1
            else f"{len(group)} bank lines {what} suspense"
        )
        booked = _lines(inflow, outflow, j.account_id, suspense, label)
        drafts.append(
            entries.EntryDraft(
                journal_id=j.id,
                journal_code=j.code,
                date=day,
                source_type=SOURCE,
                source_id=first if len(group) == 1 else None,
                lines=_swap(booked) if releasing else booked,
                memo=label,
            )
        )
        members.append(group)
    posted = await entries.post_entries(session, drafts, user)
    return {ln.id: e.id for e, group in zip(posted, members, strict=True) for ln in group}


async def _mark(session: AsyncSession, entry_of: dict[int, int | None]) -> None:
    """Set ``suspense_entry_id`` of the lines: one UPDATE per entry and slice of ids."""
    by_entry: dict[int | None, list[int]] = defaultdict(list)
    for line_id, entry_id in entry_of.items():
        by_entry[entry_id].append(line_id)
    for entry_id, ids in by_entry.items():
        for start in range(0, len(ids), IDS_PER_UPDATE):
            await session.execute(
                update(BankLine)
                .where(BankLine.id.in_(ids[start : start + IDS_PER_UPDATE]))
                .values(suspense_entry_id=entry_id)
                .execution_options(synchronize_session=False)
            )


async def book(session: AsyncSession, user: str, lines: Sequence[SuspenseLine]) -> dict[int, int]:
    """Book undecided lines (stored, not in suspense yet) into suspense and record the entry
    on each; line id -> entry id of those booked."""
    entry_of = await _post(session, user, lines, releasing=False)
    await _mark(session, dict(entry_of))
    return entry_of


async def release(session: AsyncSession, user: str, lines: Sequence[BankLine]) -> list[int]:
    """The lines leave the undecided set: post the reverse of their suspense booking (only
    for those in suspense) and clear ``suspense_entry_id``; the ids of the entries posted.
    The caller books the decision itself in the same transaction."""
    held = [ln for ln in lines if ln.suspense_entry_id is not None]
    if not held:
        return []
    entry_of = await _post(session, user, [of(ln) for ln in held], releasing=True)
    for ln in held:  # loaded objects (the review queue's one line, a rule's set)
        ln.suspense_entry_id = None
    await session.flush()
    return sorted(set(entry_of.values()))


async def book_pending(session: AsyncSession, user: str) -> int:
    """Book every undecided line that is not in suspense yet (a database upgraded from
    schema 0008, whose lines in review or ignored booked nothing): `payctl init` runs it after
    the migrations. Returns the number of lines booked; 0 when there is nothing to do."""
    rows = await session.execute(
        select(
            BankLine.id,
            BankLine.journal_id,
            BankLine.amount,
            BankLine.currency,
            BankLine.booking_date,
        )
        .where(
            BankLine.state.in_(UNDECIDED),
            BankLine.suspense_entry_id.is_(None),
            BankLine.amount != 0,
        )
        .order_by(BankLine.id)
    )
    return len(await book(session, user, [SuspenseLine(*row) for row in rows]))

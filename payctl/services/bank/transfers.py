"""Internal transfers: money moved between two of the company's own journals.

A line leaving BNK1 and the line arriving on BNK2 are the same money. Each is booked, when it
is decided (a rule's ``transfer_to``, a counterparty account that is another own journal's, or
`review accept LINE --transfer JOURNAL`), against the internal transfer account (role
``internal_transfer``): money out of BNK1 Dr transfer / Cr bank, money into BNK2 Dr bank / Cr
transfer (``BankDecisions.book_to_account``, released from suspense like every decision).
Whichever arrives first waits on the transfer account; when the other arrives (same amount,
opposite sign, the journals each other's, booked within ``days`` of each other) the two are
paired (``transfer_line_id`` on both). So the transfer account's balance is the transfers still
on their way: money out of a line not yet paired, less money in of one not yet paired —
`payctl check` holds it to that (``findings``).

Pairing is deterministic: a line pairs with the earliest waiting line of the other journal
that fits (booking date, then id).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Account, BankLine, Journal, JournalEntry, JournalLine
from payctl.domain.enums import AccountRole
from payctl.domain.iban import normalise_iban, statement_belongs
from payctl.domain.money import format_amount
from payctl.errors import RuleViolation
from payctl.services.bank.decisions import BOOKED, BankDecisions

LINK = "transfer"  # bank_lines.link of a line booked as an internal transfer
TRANSFER_DAYS = 5  # how far apart the two lines of one transfer may be booked, by default

Finding = tuple[str, str, str]


@dataclass(frozen=True)
class TransferDecision:
    line_id: int
    to_journal_id: int
    rule: str
    reason: str


async def transfer_account(session: AsyncSession) -> Account:
    found = await session.scalar(
        select(Account).where(Account.role == AccountRole.INTERNAL_TRANSFER)
    )
    if found is None:
        raise RuleViolation(
            "the chart has no internal transfer account: create one with payctl account "
            "create 1095 --name 'Internal transfers' --type asset --role internal_transfer"
        )
    return found


async def own_accounts(session: AsyncSession) -> dict[int, set[str]]:
    """Each own journal's bank accounts (normalised IBAN / account number)."""
    out: dict[int, set[str]] = {}
    for jid, iban, number in await session.execute(
        select(Journal.id, Journal.iban, Journal.bank_account_number)
    ):
        own = {normalise_iban(v) for v in (iban, number) if v}
        if own:
            out[jid] = own
    return out


def journal_of(counterparty: str | None, journal_id: int, own: dict[int, set[str]]) -> int | None:
    """The other own journal whose bank account ``counterparty`` is, if any (lowest id)."""
    if not counterparty or not normalise_iban(counterparty):
        return None
    for jid in sorted(own):
        if jid != journal_id and statement_belongs(counterparty, own[jid]):
            return jid
    return None


async def book_transfers(
    session: AsyncSession,
    user: str,
    decisions: Sequence[TransferDecision],
    days: int = TRANSFER_DAYS,
) -> list[int]:
    """Book the lines of ``decisions`` (undecided, stored) as internal transfers and pair each
    with its other half when it has arrived; the ids booked."""
    if not decisions:
        return []
    account = await transfer_account(session)
    by_id = {
        ln.id: ln
        for ln in await session.scalars(
            select(BankLine)
            .where(BankLine.id.in_([d.line_id for d in decisions]))
            .with_for_update()
        )
    }
    codes = dict((await session.execute(select(Journal.id, Journal.code))).all())
    booking = BankDecisions(session, user)
    done: list[int] = []
    for d in sorted(decisions, key=lambda d: d.line_id):
        line = by_id[d.line_id]
        if line.journal_id == d.to_journal_id:
            raise RuleViolation(f"bank line {line.id}: a transfer goes to another journal")
        way = "to" if line.amount < 0 else "from"
        label = f"transfer {way} {codes.get(d.to_journal_id)}"
        await booking.book_to_account([line], account, label, d.reason, d.rule)
        line.link, line.transfer_journal_id = LINK, d.to_journal_id
        await session.flush()
        await _pair(session, line, days)
        done.append(line.id)
    return done


async def _pair(session: AsyncSession, line: BankLine, days: int) -> None:
    other = await session.scalar(
        select(BankLine)
        .where(
            BankLine.journal_id == line.transfer_journal_id,
            BankLine.transfer_journal_id == line.journal_id,
            BankLine.transfer_line_id.is_(None),
            BankLine.state == BOOKED,
            BankLine.link == LINK,
            BankLine.amount == -line.amount,
            BankLine.currency == line.currency,
            BankLine.booking_date >= line.booking_date - dt.timedelta(days=days),
            BankLine.booking_date <= line.booking_date + dt.timedelta(days=days),
            BankLine.id != line.id,
        )
        .order_by(BankLine.booking_date, BankLine.id)
        .limit(1)
        .with_for_update()
    )
    if other is not None:
        line.transfer_line_id, other.transfer_line_id = other.id, line.id
        line.reason = f"{line.reason}; paired with bank line {other.id}"
        other.reason = f"{other.reason}; paired with bank line {line.id}"
        await session.flush()


async def unpair(session: AsyncSession, line: BankLine) -> None:
    """A transfer line leaves its booking (review unmatch): its other half waits again."""
    if line.transfer_line_id is not None:
        other = await session.get(BankLine, line.transfer_line_id, with_for_update=True)
        if other is not None:
            other.transfer_line_id = None
    line.transfer_line_id = line.transfer_journal_id = None
    await session.flush()


async def findings(session: AsyncSession) -> list[Finding]:
    """The internal transfer account holds exactly the transfers on their way (the lines booked
    as transfers, unpaired), and every pair is one amount in and out."""
    account = await session.scalar(
        select(Account.id).where(Account.role == AccountRole.INTERNAL_TRANSFER)
    )
    if account is None:
        return []
    out: list[Finding] = []
    by_currency = dict(
        (
            await session.execute(
                select(BankLine.currency, func.sum(-BankLine.amount))
                .where(
                    BankLine.state == BOOKED,
                    BankLine.link == LINK,
                    BankLine.transfer_line_id.is_(None),
                )
                .group_by(BankLine.currency)
            )
        ).all()
    )
    waiting = sum(int(v or 0) for v in by_currency.values())
    ledger = int(
        await session.scalar(
            select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(JournalLine.account_id == account)
        )
        or 0
    )
    if ledger != waiting:
        shown = ", ".join(
            f"{format_amount(int(v or 0), c)} {c}" for c, v in sorted(by_currency.items())
        )
        out.append(
            (
                "transfer_balance",
                "internal transfers",
                f"the internal transfer account's balance ({ledger} minor units) is not the "
                f"transfers on their way ({shown or 'none'})",
            )
        )
    other = BankLine.__table__.alias("other")
    bad = await session.execute(
        select(BankLine.id, other.c.id)
        .join(other, other.c.id == BankLine.transfer_line_id)
        .where(
            BankLine.id < other.c.id,
            ~and_(
                other.c.amount == -BankLine.amount,
                other.c.transfer_line_id == BankLine.id,
                other.c.journal_id == BankLine.transfer_journal_id,
            ),
        )
        .order_by(BankLine.id)
    )
    for a, b in bad:
        out.append(
            (
                "transfer_pair",
                f"bank line {a}",
                f"bank lines {a} and {b} are paired as one transfer but are not its two halves",
            )
        )
    return out

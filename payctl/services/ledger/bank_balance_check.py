"""What `payctl check` verifies of each journal's bank lines and bank account (DESIGN.md, "Bank
lines and the bank balance"), in a handful of aggregate queries:

(a) the bank suspense account's balance in the journal's entries equals the undecided lines
    (review and ignored): money in waits as a credit, money out as a debit; and every
    undecided line is in suspense (a database upgraded from schema 0008 gets its lines booked
    by `payctl init`);
(b) once the journal's opening balance is booked (`payctl journal opening-balance`, zero
    included: opening_balance.py), the ledger balance of its bank account
    equals the opening balance plus every imported line, and equals the closing balance of
    its last statement when that statement carries one and no line is later.

A line matched at import whose payment was made from it books the bank when that payment is
posted: until then (a draft) the line is counted apart and named in the message, not a
violation. Lines in another currency than their journal's are not in the journal's ledger
and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import (
    Account,
    BankLine,
    BankStatement,
    Journal,
    JournalEntry,
    JournalLine,
    Payment,
    Setting,
)
from payctl.domain.enums import AccountRole, PaymentState
from payctl.domain.money import format_amount
from payctl.services.bank import suspense
from payctl.services.ledger import opening_balance

Finding = tuple[str, str, str]  # (code, object, message)
OPENING = opening_balance.SOURCE


@dataclass
class _Journal:
    code: str
    currency: str
    account: str | None
    ledger_bank: int = 0
    ledger_suspense: int = 0
    opening: int = 0
    lines: int = 0  # sum of every line in the journal's currency
    undecided: int = 0
    not_in_suspense: list[int] = field(default_factory=lambda: [0, 0])  # count, sum
    decided_in_suspense: int = 0
    waiting: list[int] = field(default_factory=lambda: [0, 0])  # drafts: count, sum
    last_line: object = None


async def findings(session: AsyncSession) -> list[Finding]:
    roles = {
        role: acc_id
        for role, acc_id in await session.execute(
            select(Account.role, Account.id).where(Account.role.is_not(None))
        )
    }
    suspense_id = roles.get(AccountRole.BANK_SUSPENSE)
    codes = {i: c for i, c in await session.execute(select(Account.id, Account.code))}
    journals = {
        jid: _Journal(code, cur, codes.get(acc) if acc else None)
        for jid, code, cur, acc in await session.execute(
            select(Journal.id, Journal.code, Journal.currency, Journal.account_id).where(
                Journal.account_id.is_not(None)
            )
        )
    }
    account_of = {i: a for i, a in await session.execute(select(Journal.id, Journal.account_id))}
    await _ledger(session, journals, account_of, suspense_id)
    await _lines(session, journals)
    out: list[Finding] = []
    closing = await _last_closing(session)
    opened = {
        k[len(opening_balance.KEY) :]
        for k in await session.scalars(
            select(Setting.key).where(Setting.key.like(f"{opening_balance.KEY}%"))
        )
    }
    for jid, j in sorted(journals.items(), key=lambda kv: kv[1].code):
        out += _suspense_findings(j, suspense_id)
        if str(jid) in opened:
            out += _bank_findings(j, closing.get(jid))
    return out


async def _ledger(
    session: AsyncSession,
    journals: dict[int, _Journal],
    account_of: dict[int, int | None],
    suspense_id: int | None,
) -> None:
    balance = func.sum(JournalLine.debit - JournalLine.credit)
    rows = await session.execute(
        select(JournalEntry.journal_id, JournalLine.account_id, JournalEntry.source_type, balance)
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(JournalEntry.journal_id.in_(list(journals)))
        .group_by(JournalEntry.journal_id, JournalLine.account_id, JournalEntry.source_type)
    )
    for jid, account_id, source, amount in rows:
        j = journals[jid]
        if account_id == account_of.get(jid):
            j.ledger_bank += int(amount or 0)
            if source == OPENING:
                j.opening += int(amount or 0)
        if suspense_id is not None and account_id == suspense_id:
            j.ledger_suspense += int(amount or 0)


async def _lines(session: AsyncSession, journals: dict[int, _Journal]) -> None:
    held = BankLine.suspense_entry_id.is_not(None)
    rows = await session.execute(
        select(
            BankLine.journal_id,
            BankLine.state,
            BankLine.currency,
            held,
            func.sum(case((BankLine.amount != 0, 1), else_=0)),  # a line of zero books nothing
            func.sum(BankLine.amount),
            func.max(BankLine.booking_date),
        ).group_by(BankLine.journal_id, BankLine.state, BankLine.currency, held)
    )
    for jid, state, currency, in_suspense, count, total, last in rows:
        j = journals.get(jid)
        if j is None or currency != j.currency:
            continue
        total = int(total or 0)
        j.lines += total
        j.last_line = max(j.last_line, last) if j.last_line else last
        count = int(count or 0)
        if state in suspense.UNDECIDED:
            j.undecided += total
            if not in_suspense and count:
                j.not_in_suspense[0] += count
                j.not_in_suspense[1] += total
        elif in_suspense:
            j.decided_in_suspense += count
    for jid, count, total in await session.execute(
        select(BankLine.journal_id, func.count(), func.sum(BankLine.amount))
        .join(Payment, Payment.id == BankLine.payment_id)
        .where(
            BankLine.state == "matched",
            BankLine.link == "created",
            Payment.state != PaymentState.POSTED,
        )
        .group_by(BankLine.journal_id)
    ):
        if jid in journals:
            journals[jid].waiting = [count, int(total or 0)]


async def _last_closing(session: AsyncSession) -> dict[int, tuple[int, object, int]]:
    """journal id -> (statement id, closing date, closing balance) of its last statement that
    carries a closing balance in the journal's currency."""
    rows = await session.execute(
        select(
            BankStatement.journal_id,
            BankStatement.id,
            BankStatement.closing_date,
            BankStatement.closing_balance,
        )
        .join(Journal, Journal.id == BankStatement.journal_id)
        .where(
            BankStatement.closing_balance.is_not(None),
            BankStatement.closing_date.is_not(None),
            BankStatement.currency == Journal.currency,
        )
        .order_by(BankStatement.closing_date, BankStatement.id)
    )
    return {jid: (sid, day, int(bal or 0)) for jid, sid, day, bal in rows}


def _suspense_findings(j: _Journal, suspense_id: int | None) -> list[Finding]:
    money = lambda v: format_amount(v, j.currency)  # noqa: E731
    where = f"journal {j.code}"
    out: list[Finding] = []
    count, total = j.not_in_suspense
    if count and suspense_id is not None:
        out.append(
            (
                "bank_suspense_missing",
                where,
                f"journal {j.code}: {count} bank lines in review or ignored ({money(total)}) "
                "are not booked in the bank suspense account: run `payctl init` to book them",
            )
        )
    if j.decided_in_suspense:
        out.append(
            (
                "bank_suspense_decided",
                where,
                f"journal {j.code}: {j.decided_in_suspense} decided bank lines still name the "
                "entry that held them in the bank suspense account",
            )
        )
    expected = -(j.undecided - (total if suspense_id is not None else 0))
    if j.ledger_suspense != expected:
        out.append(
            (
                "bank_suspense_balance",
                where,
                f"journal {j.code}: the bank suspense account holds {money(-j.ledger_suspense)}"
                f" of its lines, its undecided lines (review and ignored) sum to "
                f"{money(-expected)}",
            )
        )
    return out


def _bank_findings(j: _Journal, last: tuple[int, object, int] | None) -> list[Finding]:
    money = lambda v: format_amount(v, j.currency)  # noqa: E731
    where = f"journal {j.code}"
    count, waiting = j.waiting
    expected = j.opening + j.lines - waiting
    aside = (
        f" - {count} lines whose payment made from them is not posted yet {money(waiting)}"
        if count
        else ""
    )
    out: list[Finding] = []
    if j.ledger_bank != expected:
        out.append(
            (
                "bank_balance",
                where,
                f"journal {j.code}: bank account {j.account} holds {money(j.ledger_bank)}, "
                f"opening balance {money(j.opening)} + imported lines {money(j.lines)}{aside} "
                f"= {money(expected)}",
            )
        )
    if last is not None and (j.last_line is None or last[1] >= j.last_line):  # type: ignore[operator]
        sid, day, closing = last
        if j.ledger_bank + waiting != closing:
            out.append(
                (
                    "bank_closing_balance",
                    where,
                    f"journal {j.code}: bank account {j.account} holds {money(j.ledger_bank)}"
                    f"{' + ' + money(waiting) + ' not posted yet' if count else ''}, its last "
                    f"statement ({sid}, {day}) closes at {money(closing)}",
                )
            )
    return out

"""BankDecisions: booking bank lines to an account (fees, salaries, taxes, interest); undoing.

A line booked to an account leaves the bank suspense account (suspense.release) and is booked
against the account: money in Dr bank / Cr account, money out Dr account / Cr bank, one entry
per line (so each decision can be undone on its own by a reversal). The line becomes
``booked`` (link ``account``), its reason says who or which rule decided, its
``reconcile_entry_id`` names the booking entry. `review accept LINE --account CODE` calls it
for one line; a rule engine calls :meth:`BankDecisions.book_to_account` for many at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Account, BankLine, Journal
from payctl.domain.enums import AccountRole
from payctl.domain.journal import Line
from payctl.errors import NotFound, RuleViolation
from payctl.services.bank import suspense
from payctl.services.events import outbox, payloads
from payctl.services.ledger import audit, entries
from payctl.services.ledger.settings import lock_date

BOOKED, LINK = "booked", "account"
MANUAL = "manual"  # the rule a person's decision records

# Accounts a line is never booked to by hand or by a rule: each has its own path.
NOT_POSTABLE = {
    AccountRole.BANK: "a bank account (an internal transfer, not a booking)",
    AccountRole.CASH: "a cash account (an internal transfer, not a booking)",
    AccountRole.OUTSTANDING_RECEIPTS: "an outstanding account (accept the line to a payment)",
    AccountRole.OUTSTANDING_PAYMENTS: "an outstanding account (accept the line to a payment)",
    AccountRole.RECEIVABLE: "the receivable account (accept the line to an invoice or --partner)",
    AccountRole.PAYABLE: "the payable account (accept the line to a bill or --partner)",
    AccountRole.BANK_SUSPENSE: "the bank suspense account (where undecided lines wait)",
    AccountRole.OPENING_EQUITY: "the opening balance account (payctl journal opening-balance)",
}


@dataclass(frozen=True)
class Booked:
    """A line booked to an account: the entry that booked it and those that released it."""

    line_id: int
    entry_id: int
    entry_number: str


class BankDecisions:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    async def postable_account(self, code: str) -> Account:
        """The account ``code`` names, if bank lines may be booked to it; else NotFound or
        RuleViolation (exit 1) naming why."""
        account = await self.session.scalar(select(Account).where(Account.code == code.strip()))
        if account is None:
            raise NotFound(f"--account: unknown account {code!r}: see `payctl account list`")
        if account.role is not None and account.role in NOT_POSTABLE:
            raise RuleViolation(
                f"--account: account {account.code} is {NOT_POSTABLE[account.role]}: "
                "a bank line is not booked to it"
            )
        journal = await self.session.scalar(
            select(Journal.code).where(
                or_(
                    Journal.account_id == account.id,
                    Journal.outstanding_receipts_account_id == account.id,
                    Journal.outstanding_payments_account_id == account.id,
                )
            )
        )
        if journal is not None:
            raise RuleViolation(
                f"--account: account {account.code} is an account of journal {journal} "
                "(an internal transfer, not a booking): a bank line is not booked to it"
            )
        return account

    async def book_to_account(
        self,
        lines: Sequence[BankLine],
        account: Account,
        label: str | None,
        reason: str,
        rule: str = MANUAL,
    ) -> list[Booked]:
        """Book undecided ``lines`` (loaded, locked by the caller: state review or ignored)
        to ``account`` (checked by :meth:`postable_account`), set-wise, in the caller's
        transaction: release them from suspense, post one entry per line against the
        account, mark them ``booked`` with ``rule`` and ``reason``, one audit record and one
        ``bank_line.booked_to_account`` event each."""
        for ln in lines:
            if ln.state not in suspense.UNDECIDED:
                raise RuleViolation(f"bank line {ln.id} is {ln.state}: unmatch it first")
        released = await suspense.release(self.session, self.user, lines)
        journals = {
            j.id: j
            for j in await self.session.scalars(
                select(Journal).where(Journal.id.in_({ln.journal_id for ln in lines}))
            )
        }
        lock = await lock_date(self.session)
        drafts = []
        for ln in lines:
            j = journals[ln.journal_id]
            if j.account_id is None:
                raise RuleViolation(f"journal {j.code} has no bank account")
            if ln.amount == 0:
                raise RuleViolation(f"bank line {ln.id} moves no money: nothing to book")
            if ln.currency != j.currency:
                raise RuleViolation(
                    f"bank line {ln.id} is in {ln.currency}, journal {j.code} in {j.currency}: "
                    "it cannot be booked in the journal's ledger"
                )
            text = (label or ln.remittance or ln.counterparty_name or f"bank line {ln.id}")[:200]
            drafts.append(
                entries.EntryDraft(
                    journal_id=j.id,
                    journal_code=j.code,
                    date=suspense.entry_day(ln.booking_date, lock),
                    source_type="bank_line",
                    source_id=ln.id,
                    lines=_booking_lines(ln.amount, j.account_id, account.id, text),
                    memo=f"Bank line {ln.id} booked to {account.code}",
                )
            )
        posted = await entries.post_entries(self.session, drafts, self.user)
        for ln, entry in zip(lines, posted, strict=True):
            ln.state, ln.link, ln.rule, ln.score = BOOKED, LINK, rule, None
            ln.reason, ln.payment_id, ln.reconcile_entry_id = reason, None, entry.id
        await self.session.flush()
        changes = []
        for ln in lines:
            change = payloads.bank_line_change(ln)
            change.data["account"] = account.code
            changes.append(change)
        await outbox.emit(self.session, self.user, changes)
        await audit.append(
            self.session,
            [
                audit.AuditEvent(
                    self.user,
                    "book",
                    "bank_line",
                    ln.id,
                    {
                        "state": BOOKED,
                        "account": account.code,
                        "entry_id": entry.id,
                        "released_by": released,
                    },
                    reason=reason,
                )
                for ln, entry in zip(lines, posted, strict=True)
            ],
        )
        return [Booked(ln.id, e.id, e.number) for ln, e in zip(lines, posted, strict=True)]

    async def undo(self, line: BankLine) -> str:
        """Reverse the booking of a line booked to an account; the caller puts it back in
        review (and into suspense). What became of the booking, for the message."""
        entry_id = line.reconcile_entry_id
        line.link, line.reconcile_entry_id = None, None
        await self.session.flush()
        if entry_id is None:
            return "no booking was linked"
        (rev,) = await entries.reverse_entries(
            self.session, [entry_id], self.user, on=line.booking_date
        )
        return f"its booking reversed ({rev.number})"


def _booking_lines(amount: int, bank: int, account: int, label: str) -> list[Line]:
    """Money in: Dr bank / Cr account; money out: Dr account / Cr bank."""
    value = abs(amount)
    if amount > 0:
        return [Line(bank, debit=value, label=label), Line(account, credit=value, label=label)]
    return [Line(account, debit=value, label=label), Line(bank, credit=value, label=label)]

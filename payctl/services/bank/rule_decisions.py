"""What a bank rule's decision books, once the line it decided is stored.

The import (``BankExtractService._book_chunk``) asks the rules about every line matching left
undecided and records the decision on the line (its ``rule`` and ``reason``):

- REVIEW: the line stays in review, its reason naming the rule;
- PAYMENT: a payment on account for the partner, made in the import's own payment path for
  bank lines (``BankPosting.create_payments``, like a matched line's payment) — the line is
  matched, linked to the payment it created;
- ACCOUNT: the line is booked to the rule's account (``BankDecisions.book_to_account``, the
  one booking of a line to an account, by hand or by rule): it never enters the bank suspense
  account, and becomes ``booked`` with the rule's name and reason. An account a line may not
  be booked to (``BankDecisions.postable_account``) leaves the line in review, its reason
  saying why;
- TRANSFER: the line is booked as an internal transfer to the rule's journal and paired with
  its other half once that has arrived (services/bank/transfers.py). A line whose
  counterparty account is another own journal's is such a transfer without any rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import BankLine, Journal
from payctl.domain.bank_rules import Action
from payctl.errors import PayctlError
from payctl.services.bank import transfers
from payctl.services.bank.decisions import BankDecisions


@dataclass(frozen=True)
class RuleDecision:
    """A rule's decision about one stored bank line (amount signed, in minor units)."""

    line_id: int
    journal_id: int
    rule: str
    action: Action
    target: str | None  # account code / journal code
    label: str | None
    reason: str
    amount: int
    currency: str
    date: dt.date


BOOKED_BY_SERVICE = (Action.ACCOUNT,)  # TRANSFER: transfers.book_transfers


async def apply_rule_decisions(
    session: AsyncSession,
    user: str,
    decisions: Sequence[RuleDecision],
    transfer_days: int = transfers.TRANSFER_DAYS,
) -> list[int]:
    """Book the ACCOUNT decisions of stored lines (in the caller's transaction); the ids of
    the lines booked (the caller leaves the others in review, their reason the rule's
    proposal, and books them into suspense)."""
    booked = await _transfers(session, user, decisions, transfer_days)
    todo = [d for d in decisions if d.action in BOOKED_BY_SERVICE and d.target is not None]
    if not todo:
        return booked
    booking = BankDecisions(session, user)
    lines = {
        ln.id: ln
        for ln in await session.scalars(
            select(BankLine).where(BankLine.id.in_([d.line_id for d in todo]))
        )
    }
    ledger = await _ledgers(session, {d.journal_id for d in todo})
    by_account: dict[str, list[RuleDecision]] = defaultdict(list)
    for d in todo:
        by_account[str(d.target)].append(d)
    for code, group in sorted(by_account.items()):
        try:
            account = await booking.postable_account(code)
        except PayctlError as exc:
            for d in group:
                lines[d.line_id].reason = f"{d.reason}; not booked: {exc.message}"
            continue
        # one call per rule and label; one entry per line, so each is undone on its own
        by_rule: dict[tuple[str, str | None], list[BankLine]] = defaultdict(list)
        reasons: dict[tuple[str, str | None], str] = {}
        for d in group:
            line = lines[d.line_id]
            if line.amount == 0 or ledger.get(line.journal_id) != line.currency:
                line.reason = f"{d.reason}; not booked: the journal's ledger cannot hold it"
                continue
            by_rule[(d.rule, d.label)].append(line)
            reasons.setdefault((d.rule, d.label), d.reason)
        for (rule, label), members in sorted(by_rule.items(), key=lambda kv: kv[1][0].id):
            await booking.book_to_account(members, account, label, reasons[(rule, label)], rule)
            booked += [line.id for line in members]
    await session.flush()
    return sorted(booked)


async def _transfers(
    session: AsyncSession, user: str, decisions: Sequence[RuleDecision], days: int
) -> list[int]:
    """Book the TRANSFER decisions (target: the other journal's code)."""
    wanted = [d for d in decisions if d.action is Action.TRANSFER and d.target is not None]
    if not wanted:
        return []
    ids = {
        code.upper(): jid for jid, code in await session.execute(select(Journal.id, Journal.code))
    }
    ledger = await _ledgers(session, {d.journal_id for d in wanted})
    todo = [
        transfers.TransferDecision(d.line_id, ids[str(d.target).upper()], d.rule, d.reason)
        for d in wanted
        if str(d.target).upper() in ids
        and d.amount != 0
        and ledger.get(d.journal_id) == d.currency
        and ids[str(d.target).upper()] != d.journal_id
    ]
    return await transfers.book_transfers(session, user, todo, days)


async def _ledgers(session: AsyncSession, journal_ids: set[int]) -> dict[int, str]:
    """The currency of each journal that has a bank account (a ledger lines can be booked in)."""
    found = await session.execute(
        select(Journal.id, Journal.currency).where(
            Journal.id.in_(journal_ids), Journal.account_id.is_not(None)
        )
    )
    return dict(found.all())

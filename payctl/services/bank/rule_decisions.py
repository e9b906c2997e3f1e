"""What a bank rule's decision books, once the line it decided is stored.

The import (``BankExtractService._book_chunk``) asks the rules about every line matching left
undecided and records the decision on the line (its ``rule`` and ``reason``):

- REVIEW: the line stays in review, its reason naming the rule;
- PAYMENT: a payment on account for the partner, made in the import's own payment path for
  bank lines (``BankPosting.create_payments``, like a matched line's payment) — the line is
  matched, linked to the payment it created;
- ACCOUNT and TRANSFER: the booking (release from the bank suspense account to the rule's
  account, or to the transfer account for the other journal) is the booking service's.
  Until it is connected, :func:`apply_rule_decisions` books nothing: the line stays in review
  with the rule's proposal as its reason ("rule 'bank fees' proposes account 6270 (Bank
  fees): text matches 'KONTOFUEHRUNG'"), and a person accepts it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from payctl.domain.bank_rules import Action


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


BOOKED_BY_SERVICE = (Action.ACCOUNT, Action.TRANSFER)


async def apply_rule_decisions(
    session: AsyncSession, user: str, decisions: Sequence[RuleDecision]
) -> list[int]:
    """Book the ACCOUNT and TRANSFER decisions of stored lines; the ids of the lines booked
    (the caller counts them and leaves the others in review with their proposal).

    TO CONNECT after the merge of the booking service (branch i10suspense): for each decision
    of ``BOOKED_BY_SERVICE``, book the line through that service — ACCOUNT: release the line
    from the bank suspense account to account ``target`` with ``label``; TRANSFER: to the
    transfer account, towards journal ``target`` — set the line's state to what that service
    calls a line booked by a rule (keeping ``rule`` and ``reason``), write its audit record
    and event, and return the line's id. Until then nothing is booked and nothing raised."""
    del session, user, decisions  # used once the booking service is connected
    return []

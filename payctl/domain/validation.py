"""Payment validation: pure functions returning every rule broken, not just the first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from payctl.domain import states
from payctl.domain.dates import is_locked
from payctl.domain.enums import (
    SETTLES,
    InvoiceState,
    InvoiceType,
    JournalType,
    PartnerKind,
    PaymentState,
    PaymentType,
    partner_kind_allows,
)
from payctl.domain.money import format_amount


# The facts a payment is validated on: immutable records, NamedTuples rather than frozen
# dataclasses because a bank import builds three per draft for tens of thousands of drafts
# (a frozen dataclass costs about 1 µs to build, a NamedTuple a third of that).
class PartnerFacts(NamedTuple):
    id: int
    name: str
    kind: PartnerKind


class JournalFacts(NamedTuple):
    id: int
    code: str
    type: JournalType
    currency: str


class InvoiceFacts(NamedTuple):
    id: int
    number: str
    type: InvoiceType
    partner_id: int
    currency: str
    residual: int
    state: InvoiceState


class AllocationFacts(NamedTuple):
    invoice: InvoiceFacts
    amount: int
    writeoff: int = 0


class PaymentFacts(NamedTuple):
    type: PaymentType
    amount: int
    currency: str
    date: dt.date
    partner: PartnerFacts | None
    journal: JournalFacts | None
    allocations: Sequence[AllocationFacts] = ()


@dataclass(frozen=True)
class Problem:
    """One rule a payment breaks: a stable code, the field concerned and a readable message
    (like a `payctl check` violation)."""

    code: str
    field: str
    message: str


def messages(problems: Sequence[Problem]) -> list[str]:
    return [p.message for p in problems]


def journal_currency_problem(
    currency: str, journal_code: str, journal_currency: str
) -> Problem | None:
    """The one journal-currency rule: a payment is in its journal's currency."""
    if currency == journal_currency:
        return None
    return Problem(
        "journal_currency",
        "currency",
        f"currency {currency} differs from journal {journal_code}'s currency {journal_currency}",
    )


def _partner_problems(p: PaymentFacts) -> list[Problem]:
    if p.partner is None:
        return [Problem("partner_missing", "partner", "partner is missing")]
    if not partner_kind_allows(p.partner.kind, p.type):
        return [
            Problem(
                "partner_kind",
                "partner",
                f"partner {p.partner.name!r} is a {p.partner.kind}, not valid for a {p.type}",
            )
        ]
    return []


def _journal_problems(p: PaymentFacts) -> list[Problem]:
    if p.journal is None:
        return [Problem("journal_missing", "journal", "journal is missing")]
    problems = []
    if p.journal.type not in (JournalType.BANK, JournalType.CASH):
        problems.append(
            Problem(
                "journal_type",
                "journal",
                f"journal {p.journal.code} is a {p.journal.type} journal, "
                "payments need a bank or cash journal",
            )
        )
    currency = journal_currency_problem(p.currency, p.journal.code, p.journal.currency)
    if currency is not None:
        problems.append(currency)
    return problems


def _allocation_problems(p: PaymentFacts, a: AllocationFacts) -> list[Problem]:
    inv = a.invoice
    cur = p.currency
    found = []  # (code, message): no closure made per allocation (an import checks thousands)
    if a.amount <= 0:
        found.append(("allocation_amount", f"allocation to {inv.number} must be greater than zero"))
    settles = SETTLES[p.type]
    if inv.type != settles:
        found.append(
            ("invoice_type", f"{inv.number} is a {inv.type}; a {p.type} settles {settles}s")
        )
    if p.partner is not None and inv.partner_id != p.partner.id:
        found.append(("invoice_partner", f"{inv.number} belongs to another partner"))
    if inv.currency != cur:
        found.append(
            ("invoice_currency", f"{inv.number} is in {inv.currency}, the payment in {cur}")
        )
    if inv.state == InvoiceState.CANCELLED:
        found.append(("invoice_cancelled", f"{inv.number} is cancelled"))
    elif a.amount + a.writeoff > inv.residual:
        found.append(
            (
                "invoice_residual",
                f"allocation {format_amount(a.amount + a.writeoff, cur)} to {inv.number} "
                f"exceeds its open residual {format_amount(inv.residual, cur)}",
            )
        )
    if not found:
        return []
    return [Problem(code, "allocations", message) for code, message in found]


def party_problems(p: PaymentFacts) -> list[Problem]:
    """The rules of ``p``'s partner and journal: they depend only on the partner, the journal,
    the payment type and the currency, so a batch of many payments of few partners (the bank
    import) checks them once per combination and hands the outcome to ``validate_payment``."""
    return _partner_problems(p) + _journal_problems(p)


def validate_payment(
    p: PaymentFacts,
    lock_date: dt.date | None = None,
    parties: Sequence[Problem] | None = None,
) -> list[Problem]:
    """Every rule ``p`` breaks for confirmation, as records (code, field, message).

    ``parties``: what ``party_problems`` said of a payment with the same partner, journal, type
    and currency, if the caller already asked (checked here otherwise)."""
    problems = party_problems(p) if parties is None else list(parties)
    if p.amount <= 0:
        problems.append(Problem("amount", "amount", "amount must be greater than zero"))
    allocated = sum(a.amount for a in p.allocations)
    if allocated > p.amount:
        problems.append(
            Problem(
                "allocations_total",
                "allocations",
                f"allocations total {format_amount(allocated, p.currency)} exceeds the payment "
                f"amount {format_amount(p.amount, p.currency)}",
            )
        )
    for allocation in p.allocations:
        problems.extend(_allocation_problems(p, allocation))
    if is_locked(p.date, lock_date):
        problems.append(
            Problem("locked", "date", f"date {p.date} is on or before the lock date {lock_date}")
        )
    return problems


def confirm_problems(
    label: str,
    state: PaymentState,
    facts: Callable[[], PaymentFacts],
    lock_date: dt.date | None = None,
    parties: Callable[[PaymentFacts], Sequence[Problem]] | None = None,
) -> list[Problem]:
    """The one answer to "can this payment be confirmed": the state machine first (a payment
    that is not a draft gets that one refusal), then every rule of ``validate_payment`` on
    ``facts()`` (built only for a payment the state machine lets through).

    ``parties``: ``party_problems`` of the facts as the caller keeps them (a batch checks
    each partner, journal, type and currency once; see ``validate_payment``)."""
    refused = states.refusal(label, state, states.Action.CONFIRM)
    if refused is not None:
        return [Problem("state", "state", refused)]
    made = facts()
    return validate_payment(made, lock_date, None if parties is None else parties(made))

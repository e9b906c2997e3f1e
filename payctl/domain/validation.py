"""Payment validation: pure functions returning every rule broken, not just the first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from payctl.domain.enums import (
    SETTLES,
    InvoiceState,
    InvoiceType,
    JournalType,
    PartnerKind,
    PaymentType,
    partner_kind_allows,
)
from payctl.domain.money import format_amount


@dataclass(frozen=True)
class PartnerFacts:
    id: int
    name: str
    kind: PartnerKind


@dataclass(frozen=True)
class JournalFacts:
    id: int
    code: str
    type: JournalType
    currency: str


@dataclass(frozen=True)
class InvoiceFacts:
    id: int
    number: str
    type: InvoiceType
    partner_id: int
    currency: str
    residual: int
    state: InvoiceState


@dataclass(frozen=True)
class AllocationFacts:
    invoice: InvoiceFacts
    amount: int
    writeoff: int = 0


@dataclass(frozen=True)
class PaymentFacts:
    type: PaymentType
    amount: int
    currency: str
    date: dt.date
    partner: PartnerFacts | None
    journal: JournalFacts | None
    allocations: Sequence[AllocationFacts] = ()


def _partner_problems(p: PaymentFacts) -> list[str]:
    if p.partner is None:
        return ["partner is missing"]
    if not partner_kind_allows(p.partner.kind, p.type):
        return [f"partner {p.partner.name!r} is a {p.partner.kind}, not valid for a {p.type}"]
    return []


def _journal_problems(p: PaymentFacts) -> list[str]:
    if p.journal is None:
        return ["journal is missing"]
    problems = []
    if p.journal.type not in (JournalType.BANK, JournalType.CASH):
        problems.append(
            f"journal {p.journal.code} is a {p.journal.type} journal, "
            "payments need a bank or cash journal"
        )
    if p.journal.currency != p.currency:
        problems.append(
            f"currency {p.currency} differs from journal {p.journal.code}'s "
            f"currency {p.journal.currency}"
        )
    return problems


def _allocation_problems(p: PaymentFacts, a: AllocationFacts) -> list[str]:
    inv = a.invoice
    cur = p.currency
    problems = []
    if a.amount <= 0:
        problems.append(f"allocation to {inv.number} must be greater than zero")
    if inv.type != SETTLES[p.type]:
        problems.append(f"{inv.number} is a {inv.type}; a {p.type} settles {SETTLES[p.type]}s")
    if p.partner is not None and inv.partner_id != p.partner.id:
        problems.append(f"{inv.number} belongs to another partner")
    if inv.currency != cur:
        problems.append(f"{inv.number} is in {inv.currency}, the payment in {cur}")
    if inv.state == InvoiceState.CANCELLED:
        problems.append(f"{inv.number} is cancelled")
    elif a.amount + a.writeoff > inv.residual:
        problems.append(
            f"allocation {format_amount(a.amount + a.writeoff, cur)} to {inv.number} exceeds "
            f"its open residual {format_amount(inv.residual, cur)}"
        )
    return problems


def validate_payment(p: PaymentFacts, lock_date: dt.date | None = None) -> list[str]:
    """Every rule ``p`` breaks for confirmation, as human-readable messages."""
    problems = _partner_problems(p) + _journal_problems(p)
    if p.amount <= 0:
        problems.append("amount must be greater than zero")
    allocated = sum(a.amount for a in p.allocations)
    if allocated > p.amount:
        problems.append(
            f"allocations total {format_amount(allocated, p.currency)} exceeds the payment "
            f"amount {format_amount(p.amount, p.currency)}"
        )
    for allocation in p.allocations:
        problems.extend(_allocation_problems(p, allocation))
    if lock_date is not None and p.date <= lock_date:
        problems.append(f"date {p.date} is on or before the lock date {lock_date}")
    return problems

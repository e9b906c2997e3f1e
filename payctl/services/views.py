"""DTOs the services return: plain frozen dataclasses, Decimal amounts, no ORM objects."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from payctl.db.models import Invoice, JournalEntry, Partner, Payment
from payctl.domain.money import from_minor
from payctl.services import lookups


def plain(value: Any) -> Any:
    """JSON-ready form: amounts as strings, dates ISO, enums as their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class AllocationView:
    invoice: str
    amount: Decimal
    writeoff: Decimal
    invoice_residual: Decimal


@dataclass(frozen=True)
class LineView:
    account: str
    account_name: str
    partner: str | None
    debit: Decimal
    credit: Decimal
    label: str | None


@dataclass(frozen=True)
class EntryView:
    id: int
    number: str
    journal: str
    date: dt.date
    source: str
    reversal_of: str | None
    reversed_by: str | None
    lines: list[LineView]


@dataclass(frozen=True)
class PaymentView:
    id: int
    number: str | None
    type: str
    state: str
    partner: str
    journal: str
    amount: Decimal
    currency: str
    date: dt.date
    reference: str | None
    memo: str | None
    allocated: Decimal
    unallocated: Decimal
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    confirmed_by: str | None
    confirmed_at: dt.datetime | None
    allocations: list[AllocationView] = field(default_factory=list)
    entries: list[EntryView] = field(default_factory=list)

    @property
    def label(self) -> str:
        return lookups.label(self.number, self.id)


def payment_view(p: Payment, entries: list[EntryView] | None = None) -> PaymentView:
    cur = p.currency
    allocations = []
    allocated = 0
    for a in p.allocations:
        allocated += a.amount
        allocations.append(
            AllocationView(
                a.invoice.number,
                from_minor(a.amount, cur),
                from_minor(a.writeoff, cur),
                from_minor(a.invoice.residual, a.invoice.currency),
            )
        )
    return PaymentView(
        id=p.id,
        number=p.number,
        type=p.type.value,
        state=p.state.value,
        partner=p.partner.name,
        journal=p.journal.code,
        amount=from_minor(p.amount, cur),
        currency=cur,
        date=p.date,
        reference=p.reference,
        memo=p.memo,
        allocated=from_minor(allocated, cur),
        unallocated=from_minor(p.amount - allocated, cur),
        created_by=p.created_by,
        created_at=p.created_at,
        updated_at=p.updated_at,
        confirmed_by=p.confirmed_by,
        confirmed_at=p.confirmed_at,
        allocations=allocations,
        entries=entries or [],
    )


@dataclass(frozen=True)
class PaymentRow:
    """One line of ``payctl list``: no allocations, computed allocated total."""

    id: int
    number: str | None
    type: str
    state: str
    partner: str
    journal: str
    date: dt.date
    amount: Decimal
    allocated: Decimal
    currency: str
    reference: str | None


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    limit: int | None
    offset: int


@dataclass(frozen=True)
class PartnerView:
    id: int
    name: str
    kind: str
    ibans: list[str]
    email: str | None
    vat: str | None
    open_receivable: Decimal = Decimal("0.00")
    open_payable: Decimal = Decimal("0.00")
    unallocated_credit: Decimal = Decimal("0.00")  # customer payments not yet allocated
    vendor_prepayment: Decimal = Decimal("0.00")  # vendor payments not yet allocated


def partner_view(p: Partner, **balances: Decimal) -> PartnerView:
    return PartnerView(
        p.id, p.name, p.kind.value, [b.iban for b in p.ibans], p.email, p.vat, **balances
    )


@dataclass(frozen=True)
class InvoiceView:
    id: int
    number: str
    type: str
    partner: str
    date: dt.date
    due_date: dt.date | None
    currency: str
    total: Decimal
    residual: Decimal
    state: str


@dataclass(frozen=True)
class SettlementView:
    """A payment allocated to an invoice (`payctl invoice show`): the payment (its number, or
    ``draft #id``), the allocated amount and write-off in the payment's currency, and the bank
    line the payment came from or was reconciled by, with its statement, when there is one."""

    payment: str
    payment_id: int
    date: dt.date
    state: str
    amount: Decimal
    writeoff: Decimal
    currency: str
    bank_line: int | None
    bank_line_date: dt.date | None
    statement: str | None
    statement_id: int | None


@dataclass(frozen=True)
class InvoiceDetail(InvoiceView):
    """An invoice with the payments that settle it."""

    settlements: list[SettlementView] = field(default_factory=list)


def invoice_view(inv: Invoice, partner_name: str) -> InvoiceView:
    cur = inv.currency
    return InvoiceView(
        inv.id,
        inv.number,
        inv.type.value,
        partner_name,
        inv.date,
        inv.due_date,
        cur,
        from_minor(inv.total, cur),
        from_minor(inv.residual, cur),
        inv.state.value,
    )


def entry_view(
    e: JournalEntry,
    journal_code: str,
    numbers: dict[int, str],
    accounts: dict[int, tuple[str, str]],
    partners: dict[int, str],
    currency: str,
) -> EntryView:
    return EntryView(
        id=e.id,
        number=e.number,
        journal=journal_code,
        date=e.date,
        source=e.source_type,
        reversal_of=numbers.get(e.reversal_of_id) if e.reversal_of_id else None,
        reversed_by=numbers.get(e.reversed_by_id) if e.reversed_by_id else None,
        lines=[
            LineView(
                accounts[ln.account_id][0],
                accounts[ln.account_id][1],
                partners.get(ln.partner_id) if ln.partner_id else None,
                from_minor(ln.debit, currency),
                from_minor(ln.credit, currency),
                ln.label,
            )
            for ln in e.lines
        ],
    )

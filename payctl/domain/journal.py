"""Building balanced journal lines. Pure: account ids and minor units in, lines out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from payctl.domain.enums import InvoiceType, PaymentType, is_inbound
from payctl.errors import RuleViolation


class JournalAccounts(Protocol):
    """The accounts of a bank or cash journal (a Journal row has them)."""

    @property
    def account_id(self) -> int | None: ...
    @property
    def outstanding_receipts_account_id(self) -> int | None: ...
    @property
    def outstanding_payments_account_id(self) -> int | None: ...


def outstanding_account(journal: JournalAccounts, payment_type: PaymentType | str) -> int | None:
    """The one rule for the account a confirmed payment waits on until the bank shows it: the
    journal's outstanding receipts (inbound) or payments (outbound) account; a journal without
    one books the payment on its bank account (None: it has neither)."""
    outstanding = (
        journal.outstanding_receipts_account_id
        if is_inbound(payment_type)
        else journal.outstanding_payments_account_id
    )
    return outstanding or journal.account_id


@dataclass(frozen=True)
class Line:
    """One journal line. Amounts are integer minor units; exactly one side is non-zero."""

    account_id: int
    debit: int = 0
    credit: int = 0
    partner_id: int | None = None
    label: str = ""


class UnbalancedEntry(RuleViolation):
    pass


def check_balanced(lines: Sequence[Line]) -> None:
    """Refuse an entry that does not balance exactly, is empty, or has malformed lines."""
    if len(lines) < 2:
        raise UnbalancedEntry("a journal entry needs at least two lines")
    debit = credit = 0
    for line in lines:
        d, c = line.debit, line.credit
        if d < 0 or c < 0:
            raise UnbalancedEntry("journal line amounts must not be negative")
        if (d == 0) == (c == 0):
            raise UnbalancedEntry("each journal line needs exactly one of debit or credit")
        if isinstance(d, float) or isinstance(c, float):
            raise TypeError("journal line amounts must be integers of minor units")
        debit += d
        credit += c
    if debit != credit:
        raise UnbalancedEntry(f"transaction does not balance: debit {debit} != credit {credit}")


def _pair(
    debit_account: int, credit_account: int, amount: int, partner_id: int | None, label: str
) -> list[Line]:
    return [
        Line(debit_account, debit=amount, partner_id=partner_id, label=label),
        Line(credit_account, credit=amount, partner_id=partner_id, label=label),
    ]


def invoice_lines(
    invoice_type: InvoiceType,
    total: int,
    partner_id: int,
    receivable: int,
    payable: int,
    sales: int,
    purchases: int,
    label: str,
) -> list[Line]:
    """Booking of an invoice, bill or credit note (DESIGN.md, "The accounting")."""
    debit, credit = {
        InvoiceType.CUSTOMER_INVOICE: (receivable, sales),
        InvoiceType.VENDOR_BILL: (purchases, payable),
        InvoiceType.CUSTOMER_CREDIT_NOTE: (sales, receivable),
        InvoiceType.VENDOR_CREDIT_NOTE: (payable, purchases),
    }[InvoiceType(invoice_type)]
    lines = _pair(debit, credit, total, partner_id, label)
    check_balanced(lines)
    return lines


def payment_lines(
    payment_type: PaymentType,
    amount: int,
    partner_id: int,
    liquidity_account: int,
    counterpart_account: int,
    label: str,
    writeoff: int = 0,
    writeoff_account: int | None = None,
) -> list[Line]:
    """Entry posted when a payment is confirmed.

    ``liquidity_account`` is the journal's outstanding receipts/payments (or bank) account,
    ``counterpart_account`` receivable or payable. A write-off (minor units, >= 0) closes
    an invoice difference: the counterpart moves ``amount + writeoff`` and the difference
    goes to ``writeoff_account`` on the liquidity side.
    """
    inbound = is_inbound(payment_type)
    settle = amount + writeoff
    # Line(account, debit, credit, partner, label), positionally: one entry per payment
    if inbound:
        lines = [
            Line(liquidity_account, amount, 0, partner_id, label),
            Line(counterpart_account, 0, settle, partner_id, label),
        ]
    else:
        lines = [
            Line(counterpart_account, settle, 0, partner_id, label),
            Line(liquidity_account, 0, amount, partner_id, label),
        ]
    if writeoff:
        if writeoff_account is None:
            raise UnbalancedEntry("a write-off needs the payment differences account")
        diff = f"{label} write-off"
        lines.append(
            Line(writeoff_account, writeoff, 0, partner_id, diff)
            if inbound
            else Line(writeoff_account, 0, writeoff, partner_id, diff)
        )
    check_balanced(lines)
    return lines


def reversal_lines(lines: Iterable[Line]) -> list[Line]:
    """Swap debits and credits: the entry that undoes ``lines``."""
    out = [replace(line, debit=line.credit, credit=line.debit) for line in lines]
    check_balanced(out)
    return out


def reconcile_lines(
    inbound: bool,
    amount: int,
    bank_account: int,
    outstanding_account: int,
    partner_id: int | None,
    label: str,
) -> list[Line]:
    """A bank line settles a posted payment: move the amount from outstanding to the bank."""
    if inbound:
        lines = _pair(bank_account, outstanding_account, amount, partner_id, label)
    else:
        lines = _pair(outstanding_account, bank_account, amount, partner_id, label)
    check_balanced(lines)
    return lines

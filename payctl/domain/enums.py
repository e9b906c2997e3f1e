"""Fixed vocabularies of the ledger."""

from __future__ import annotations

from enum import StrEnum
from functools import cache


class PaymentType(StrEnum):
    CUSTOMER_PAYMENT = "customer_payment"
    VENDOR_PAYMENT = "vendor_payment"
    CUSTOMER_REFUND = "customer_refund"
    VENDOR_REFUND = "vendor_refund"


class PaymentState(StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    CANCELLED = "cancelled"


class InvoiceType(StrEnum):
    CUSTOMER_INVOICE = "customer_invoice"
    VENDOR_BILL = "vendor_bill"
    CUSTOMER_CREDIT_NOTE = "customer_credit_note"
    VENDOR_CREDIT_NOTE = "vendor_credit_note"


class InvoiceState(StrEnum):
    OPEN = "open"
    PARTIAL = "partial"
    PAID = "paid"
    CANCELLED = "cancelled"


class PartnerKind(StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"
    BOTH = "both"


class JournalType(StrEnum):
    BANK = "bank"
    CASH = "cash"
    SALE = "sale"
    PURCHASE = "purchase"


class AccountRole(StrEnum):
    BANK = "bank"
    CASH = "cash"
    OUTSTANDING_RECEIPTS = "outstanding_receipts"
    OUTSTANDING_PAYMENTS = "outstanding_payments"
    RECEIVABLE = "receivable"
    PAYABLE = "payable"
    BANK_SUSPENSE = "bank_suspense"
    SALES = "sales"
    PURCHASES = "purchases"
    PAYMENT_DIFFERENCES = "payment_differences"
    OPENING_EQUITY = "opening_equity"
    INTERNAL_TRANSFER = "internal_transfer"


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"
    EQUITY = "equity"


PAYMENT_TYPE_HELP = {
    PaymentType.CUSTOMER_PAYMENT: "money received from a customer (settles customer invoices)",
    PaymentType.VENDOR_PAYMENT: "money paid to a vendor (settles vendor bills)",
    PaymentType.CUSTOMER_REFUND: "money paid back to a customer (settles customer credit notes)",
    PaymentType.VENDOR_REFUND: "money received back from a vendor (settles vendor credit notes)",
}

PAYMENT_STATE_HELP = {
    PaymentState.DRAFT: "editable, not booked; can be confirmed, cancelled or deleted",
    PaymentState.POSTED: "confirmed and booked; can be reset to draft or cancelled",
    PaymentState.CANCELLED: "void; kept for the audit trail",
}

# Which invoice types each payment type may settle, and which partner kinds it needs.
SETTLES = {
    PaymentType.CUSTOMER_PAYMENT: InvoiceType.CUSTOMER_INVOICE,
    PaymentType.VENDOR_PAYMENT: InvoiceType.VENDOR_BILL,
    PaymentType.CUSTOMER_REFUND: InvoiceType.CUSTOMER_CREDIT_NOTE,
    PaymentType.VENDOR_REFUND: InvoiceType.VENDOR_CREDIT_NOTE,
}

_CUSTOMER_SIDE = frozenset({InvoiceType.CUSTOMER_INVOICE, InvoiceType.CUSTOMER_CREDIT_NOTE})
_INBOUND = frozenset({PaymentType.CUSTOMER_PAYMENT, PaymentType.VENDOR_REFUND})


def is_customer_side(invoice_type: InvoiceType | str) -> bool:
    """The one rule of which invoice types are the customer side (receivable) of the books;
    the others are the vendor side (payable)."""
    return invoice_type in _CUSTOMER_SIDE


def is_customer_payment(payment_type: PaymentType | str) -> bool:
    """A payment type is on the side of the invoice type it settles."""
    return is_customer_side(SETTLES[PaymentType(payment_type)])


def is_inbound(payment_type: PaymentType | str) -> bool:
    """The one rule of which payment types bring money in (the others pay it out)."""
    return payment_type in _INBOUND


# The customer-side invoice types as a list, for SQL ``IN`` clauses.
CUSTOMER_SIDE_INVOICE_TYPES = [t for t in InvoiceType if is_customer_side(t)]
# The payment types that bring money in, and the invoice types whose settlement does (a
# customer invoice, a vendor credit note), as lists for SQL ``IN`` clauses.
INBOUND_PAYMENT_TYPES = [t for t in PaymentType if is_inbound(t)]
INBOUND_INVOICE_TYPES = [SETTLES[t] for t in INBOUND_PAYMENT_TYPES]


def _kind_allows(kind: PartnerKind, customer: bool) -> bool:
    if kind == PartnerKind.BOTH:
        return True
    return kind == (PartnerKind.CUSTOMER if customer else PartnerKind.VENDOR)


@cache  # a few kinds and types; validating tens of thousands of imported drafts asks each time
def partner_kind_allows(kind: PartnerKind, payment_type: PaymentType) -> bool:
    return _kind_allows(kind, is_customer_payment(payment_type))


def invoice_partner_kind_allows(kind: PartnerKind, invoice_type: InvoiceType) -> bool:
    return _kind_allows(kind, is_customer_side(invoice_type))


def invoice_state_for(total: int, residual: int) -> InvoiceState:
    if residual == 0:
        return InvoiceState.PAID
    if residual == total:
        return InvoiceState.OPEN
    return InvoiceState.PARTIAL

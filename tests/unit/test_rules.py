"""Each ledger rule lives in one pure function: inbound types, the customer side, the lock
date, the outstanding account, and what the state machine says is already done."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from payctl.domain.dates import is_locked
from payctl.domain.enums import (
    CUSTOMER_SIDE_INVOICE_TYPES,
    InvoiceType,
    PartnerKind,
    PaymentState,
    PaymentType,
    invoice_partner_kind_allows,
    is_customer_payment,
    is_customer_side,
    is_inbound,
    partner_kind_allows,
)
from payctl.domain.journal import outstanding_account
from payctl.domain.matching import INBOUND_ITEMS, OUTBOUND_ITEMS
from payctl.domain.states import INITIAL, Action, already_done, refusal

D, P, C = PaymentState.DRAFT, PaymentState.POSTED, PaymentState.CANCELLED


def test_inbound_payment_types():
    assert is_inbound(PaymentType.CUSTOMER_PAYMENT)
    assert is_inbound(PaymentType.VENDOR_REFUND)
    assert not is_inbound(PaymentType.VENDOR_PAYMENT)
    assert not is_inbound(PaymentType.CUSTOMER_REFUND)
    assert is_inbound("customer_payment")  # a stored value reads the same
    assert not is_inbound("vendor_payment")


def test_customer_side_invoice_types_and_payments():
    assert is_customer_side(InvoiceType.CUSTOMER_INVOICE)
    assert is_customer_side(InvoiceType.CUSTOMER_CREDIT_NOTE)
    assert not is_customer_side(InvoiceType.VENDOR_BILL)
    assert not is_customer_side(InvoiceType.VENDOR_CREDIT_NOTE)
    assert CUSTOMER_SIDE_INVOICE_TYPES == [
        InvoiceType.CUSTOMER_INVOICE,
        InvoiceType.CUSTOMER_CREDIT_NOTE,
    ]
    assert is_customer_payment(PaymentType.CUSTOMER_PAYMENT)
    assert is_customer_payment(PaymentType.CUSTOMER_REFUND)
    assert not is_customer_payment(PaymentType.VENDOR_PAYMENT)
    assert not is_customer_payment("vendor_refund")


@pytest.mark.parametrize(
    ("kind", "customer_ok", "vendor_ok"),
    [
        (PartnerKind.CUSTOMER, True, False),
        (PartnerKind.VENDOR, False, True),
        (PartnerKind.BOTH, True, True),
    ],
)
def test_partner_kinds_follow_the_side(kind, customer_ok, vendor_ok):
    assert partner_kind_allows(kind, PaymentType.CUSTOMER_REFUND) is customer_ok
    assert partner_kind_allows(kind, PaymentType.VENDOR_REFUND) is vendor_ok
    assert invoice_partner_kind_allows(kind, InvoiceType.CUSTOMER_CREDIT_NOTE) is customer_ok
    assert invoice_partner_kind_allows(kind, InvoiceType.VENDOR_BILL) is vendor_ok


def test_matcher_items_by_direction_come_from_the_inbound_rule():
    assert INBOUND_ITEMS == {
        InvoiceType.CUSTOMER_INVOICE: PaymentType.CUSTOMER_PAYMENT,
        InvoiceType.VENDOR_CREDIT_NOTE: PaymentType.VENDOR_REFUND,
    }
    assert OUTBOUND_ITEMS == {
        InvoiceType.VENDOR_BILL: PaymentType.VENDOR_PAYMENT,
        InvoiceType.CUSTOMER_CREDIT_NOTE: PaymentType.CUSTOMER_REFUND,
    }


def test_lock_date_refuses_on_or_before():
    lock = dt.date(2026, 1, 31)
    assert is_locked(dt.date(2026, 1, 30), lock)
    assert is_locked(lock, lock)
    assert not is_locked(dt.date(2026, 2, 1), lock)
    assert not is_locked(dt.date(1900, 1, 1), None)


@dataclass
class Journal:
    account_id: int | None
    outstanding_receipts_account_id: int | None
    outstanding_payments_account_id: int | None


def test_outstanding_account_by_direction_with_bank_fallback():
    j = Journal(1000, 1021, 1031)
    assert outstanding_account(j, PaymentType.CUSTOMER_PAYMENT) == 1021
    assert outstanding_account(j, PaymentType.VENDOR_REFUND) == 1021
    assert outstanding_account(j, PaymentType.VENDOR_PAYMENT) == 1031
    assert outstanding_account(j, PaymentType.CUSTOMER_REFUND) == 1031
    bank_only = Journal(1000, None, None)
    assert outstanding_account(bank_only, PaymentType.CUSTOMER_PAYMENT) == 1000
    assert outstanding_account(bank_only, PaymentType.VENDOR_PAYMENT) == 1000
    assert outstanding_account(Journal(None, None, None), PaymentType.VENDOR_PAYMENT) is None


@pytest.mark.parametrize(
    ("state", "action", "done"),
    [
        (P, Action.CONFIRM, True),
        (D, Action.RESET, True),
        (C, Action.CANCEL, True),
        (D, Action.CONFIRM, False),
        (C, Action.CONFIRM, False),  # refused, not done
        (C, Action.RESET, False),
        (P, Action.RESET, False),
        (D, Action.CANCEL, False),
        (P, Action.CANCEL, False),
        (D, Action.DELETE, False),
        (P, Action.DELETE, False),
    ],
)
def test_already_done_is_where_the_action_leads(state, action, done):
    assert already_done(state, action) is done


def test_refusal_names_the_payment_and_new_payments_are_drafts():
    assert refusal("#1", D, Action.CONFIRM) is None
    assert refusal("#1", P, Action.CONFIRM) == "payment #1 is already posted"
    assert refusal("#1", C, Action.RESET) == "payment #1 is cancelled and cannot be reset to draft"
    assert INITIAL == D


@pytest.mark.parametrize(
    ("kind", "inbound", "expected"),
    [
        (PartnerKind.CUSTOMER, True, PaymentType.CUSTOMER_PAYMENT),
        (PartnerKind.VENDOR, True, PaymentType.VENDOR_REFUND),
        (PartnerKind.BOTH, True, PaymentType.CUSTOMER_PAYMENT),
        (PartnerKind.CUSTOMER, False, PaymentType.CUSTOMER_REFUND),
        (PartnerKind.VENDOR, False, PaymentType.VENDOR_PAYMENT),
        (PartnerKind.BOTH, False, PaymentType.VENDOR_PAYMENT),
    ],
)
def test_review_picks_the_payment_type_of_the_lines_direction(kind, inbound, expected):
    from payctl.services.bank.review_service import ReviewService

    chosen = ReviewService._type_for(kind, inbound)
    assert chosen == expected
    assert is_inbound(chosen) == inbound

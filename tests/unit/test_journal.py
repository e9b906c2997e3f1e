"""The journal-entry core: balanced lines, payment/invoice bookings, reversals. No database."""

from __future__ import annotations

import pytest

from payctl.domain.enums import InvoiceType, PaymentType
from payctl.domain.journal import (
    Line,
    UnbalancedEntry,
    check_balanced,
    invoice_lines,
    payment_lines,
    reversal_lines,
)
from payctl.errors import RuleViolation

LIQ, RECV, PAYB, SALES, PURCH, DIFF = 10, 11, 20, 40, 50, 69
PARTNER = 7


def sides(lines: list[Line]) -> tuple[dict[int, int], dict[int, int]]:
    """(debits by account, credits by account), zero sides left out."""
    debit: dict[int, int] = {}
    credit: dict[int, int] = {}
    for ln in lines:
        if ln.debit:
            debit[ln.account_id] = debit.get(ln.account_id, 0) + ln.debit
        if ln.credit:
            credit[ln.account_id] = credit.get(ln.account_id, 0) + ln.credit
    return debit, credit


# ------------------------------------------------------------------ check_balanced
def test_balanced_entry_is_accepted():
    check_balanced([Line(1, debit=100), Line(2, credit=60), Line(3, credit=40)])


def test_unbalanced_entry_is_refused():
    with pytest.raises(UnbalancedEntry, match="debit 100 != credit 99"):
        check_balanced([Line(1, debit=100), Line(2, credit=99)])


def test_unbalanced_is_a_rule_violation():
    assert issubclass(UnbalancedEntry, RuleViolation)


def test_negative_line_is_refused():
    # balanced in total, but a negative amount is never a valid line
    with pytest.raises(UnbalancedEntry, match="must not be negative"):
        check_balanced([Line(1, debit=-100), Line(2, credit=-100)])
    with pytest.raises(UnbalancedEntry, match="must not be negative"):
        check_balanced([Line(1, debit=100), Line(2, credit=200), Line(3, credit=-100)])


def test_both_sided_line_is_refused():
    with pytest.raises(UnbalancedEntry, match="exactly one of debit or credit"):
        check_balanced([Line(1, debit=100, credit=100), Line(2, debit=50), Line(3, credit=50)])


def test_empty_line_is_refused():
    with pytest.raises(UnbalancedEntry, match="exactly one of debit or credit"):
        check_balanced([Line(1), Line(2, debit=5), Line(3, credit=5)])


@pytest.mark.parametrize("lines", [[], [Line(1, debit=1)]])
def test_fewer_than_two_lines_refused(lines):
    with pytest.raises(UnbalancedEntry, match="at least two lines"):
        check_balanced(lines)


def test_float_line_amount_raises_type_error():
    with pytest.raises(TypeError):
        check_balanced([Line(1, debit=1.5), Line(2, credit=1.5)])  # type: ignore[arg-type]


# ------------------------------------------------------------------- payment_lines
@pytest.mark.parametrize(
    ("ptype", "debited", "credited"),
    [
        (
            PaymentType.CUSTOMER_PAYMENT,
            LIQ,
            RECV,
        ),  # inbound: Dr outstanding receipts / Cr receivable
        (PaymentType.VENDOR_PAYMENT, PAYB, LIQ),  # outbound: Dr payable / Cr outstanding payments
        (
            PaymentType.CUSTOMER_REFUND,
            RECV,
            LIQ,
        ),  # outbound: Dr receivable / Cr outstanding payments
        (PaymentType.VENDOR_REFUND, LIQ, PAYB),  # inbound: Dr outstanding receipts / Cr payable
    ],
)
def test_payment_lines_for_each_type(ptype, debited, credited):
    customer_side = ptype in (PaymentType.CUSTOMER_PAYMENT, PaymentType.CUSTOMER_REFUND)
    counterpart = RECV if customer_side else PAYB
    lines = payment_lines(ptype, 119000, PARTNER, LIQ, counterpart, "REF-1")
    assert sides(lines) == ({debited: 119000}, {credited: 119000})
    assert all(ln.partner_id == PARTNER for ln in lines)
    assert all(ln.label == "REF-1" for ln in lines)
    check_balanced(lines)


def test_payment_lines_accept_plain_strings_for_the_type():
    lines = payment_lines("vendor_payment", 500, PARTNER, LIQ, PAYB, "x")  # type: ignore[arg-type]
    assert sides(lines) == ({PAYB: 500}, {LIQ: 500})


def test_inbound_write_off_lines():
    # customer pays 1180.00 for a 1190.00 invoice; 10.00 written off to payment differences
    lines = payment_lines(
        PaymentType.CUSTOMER_PAYMENT,
        118000,
        PARTNER,
        LIQ,
        RECV,
        "R",
        writeoff=1000,
        writeoff_account=DIFF,
    )
    assert sides(lines) == ({LIQ: 118000, DIFF: 1000}, {RECV: 119000})
    assert len(lines) == 3
    assert any("write-off" in ln.label for ln in lines if ln.account_id == DIFF)


def test_outbound_write_off_lines():
    lines = payment_lines(
        PaymentType.VENDOR_PAYMENT,
        99500,
        PARTNER,
        LIQ,
        PAYB,
        "R",
        writeoff=500,
        writeoff_account=DIFF,
    )
    assert sides(lines) == ({PAYB: 100000}, {LIQ: 99500, DIFF: 500})


def test_write_off_without_account_is_refused():
    with pytest.raises(UnbalancedEntry, match="payment differences account"):
        payment_lines(PaymentType.CUSTOMER_PAYMENT, 100, PARTNER, LIQ, RECV, "R", writeoff=1)


def test_zero_amount_payment_lines_are_refused():
    with pytest.raises(UnbalancedEntry):
        payment_lines(PaymentType.CUSTOMER_PAYMENT, 0, PARTNER, LIQ, RECV, "R")


# ------------------------------------------------------------------- invoice_lines
@pytest.mark.parametrize(
    ("itype", "debited", "credited"),
    [
        (InvoiceType.CUSTOMER_INVOICE, RECV, SALES),
        (InvoiceType.VENDOR_BILL, PURCH, PAYB),
        (InvoiceType.CUSTOMER_CREDIT_NOTE, SALES, RECV),
        (InvoiceType.VENDOR_CREDIT_NOTE, PAYB, PURCH),
    ],
)
def test_invoice_lines_for_each_type(itype, debited, credited):
    lines = invoice_lines(itype, 2500, PARTNER, RECV, PAYB, SALES, PURCH, "INV-1")
    assert sides(lines) == ({debited: 2500}, {credited: 2500})
    assert all(ln.partner_id == PARTNER and ln.label == "INV-1" for ln in lines)


# ------------------------------------------------------------------------ reversal
def test_reversal_swaps_debits_and_credits():
    original = payment_lines(
        PaymentType.CUSTOMER_PAYMENT,
        118000,
        PARTNER,
        LIQ,
        RECV,
        "R",
        writeoff=1000,
        writeoff_account=DIFF,
    )
    reversed_ = reversal_lines(original)
    assert sides(reversed_) == ({RECV: 119000}, {LIQ: 118000, DIFF: 1000})
    for before, after in zip(original, reversed_, strict=True):
        assert (after.debit, after.credit) == (before.credit, before.debit)
        assert (after.account_id, after.partner_id, after.label) == (
            before.account_id,
            before.partner_id,
            before.label,
        )
    # original + reversal nets every account to zero
    net: dict[int, int] = {}
    for ln in original + reversed_:
        net[ln.account_id] = net.get(ln.account_id, 0) + ln.debit - ln.credit
    assert set(net.values()) == {0}
    assert reversal_lines(reversed_) == original


def test_reversal_of_malformed_lines_is_refused():
    with pytest.raises(UnbalancedEntry):
        reversal_lines([Line(1, debit=5), Line(2, credit=4)])

"""validate_payment returns every rule a payment breaks, all at once, as records."""

from __future__ import annotations

import datetime as dt
from dataclasses import FrozenInstanceError

import pytest

from payctl.domain.enums import (
    InvoiceState,
    InvoiceType,
    JournalType,
    PartnerKind,
    PaymentState,
    PaymentType,
)
from payctl.domain.validation import (
    AllocationFacts,
    InvoiceFacts,
    JournalFacts,
    PartnerFacts,
    PaymentFacts,
    Problem,
    confirm_problems,
    journal_currency_problem,
    messages,
    party_problems,
)
from payctl.domain.validation import validate_payment as validate_records

ACME = PartnerFacts(1, "ACME GmbH", PartnerKind.CUSTOMER)
SUPPLIER = PartnerFacts(2, "Supplier BV", PartnerKind.VENDOR)
BOTH = PartnerFacts(3, "Both Ltd", PartnerKind.BOTH)
BNK1 = JournalFacts(1, "BNK1", JournalType.BANK, "EUR")
CSH1 = JournalFacts(2, "CSH1", JournalType.CASH, "EUR")
SAL = JournalFacts(3, "SAL", JournalType.SALE, "EUR")
DAY = dt.date(2026, 2, 1)


def validate_payment(p: PaymentFacts, lock_date: dt.date | None = None) -> list[str]:
    """The messages of the records, as `payctl validate` shows them."""
    return messages(validate_records(p, lock_date))


def invoice(
    number="INV-1",
    residual=119000,
    partner_id=1,
    type=InvoiceType.CUSTOMER_INVOICE,
    currency="EUR",
    state=InvoiceState.OPEN,
):
    return InvoiceFacts(10, number, type, partner_id, currency, residual, state)


def payment(**kw):
    base = dict(
        type=PaymentType.CUSTOMER_PAYMENT,
        amount=119000,
        currency="EUR",
        date=DAY,
        partner=ACME,
        journal=BNK1,
        allocations=(),
    )
    base.update(kw)
    return PaymentFacts(**base)


def test_valid_payment_has_no_problems():
    assert validate_payment(payment(allocations=[AllocationFacts(invoice(), 119000)])) == []
    assert validate_payment(payment(journal=CSH1)) == []
    assert validate_payment(payment(type=PaymentType.VENDOR_PAYMENT, partner=SUPPLIER)) == []
    assert validate_payment(payment(type=PaymentType.VENDOR_REFUND, partner=BOTH)) == []


def test_partial_allocation_and_write_off_within_residual_are_fine():
    alloc = AllocationFacts(invoice(residual=119000), 118000, writeoff=1000)
    assert validate_payment(payment(amount=118000, allocations=[alloc])) == []


def test_every_problem_is_reported_at_once():
    p = payment(
        partner=SUPPLIER,  # a vendor cannot make a customer payment
        journal=JournalFacts(5, "USD1", JournalType.BANK, "USD"),  # currency mismatch
        amount=10000,
        allocations=[
            AllocationFacts(invoice("INV-1", residual=5000, partner_id=2), 6000),  # > residual
            AllocationFacts(
                invoice("BILL-1", type=InvoiceType.VENDOR_BILL, partner_id=2, currency="USD"), 5000
            ),  # wrong type
            AllocationFacts(invoice("INV-2", partner_id=1, state=InvoiceState.CANCELLED), 100),
        ],
        date=dt.date(2026, 1, 31),
    )
    problems = validate_payment(p, lock_date=dt.date(2026, 1, 31))
    expected = [
        "partner 'Supplier BV' is a vendor, not valid for a customer_payment",
        "currency EUR differs from journal USD1's currency USD",
        "allocations total 111.00 exceeds the payment amount 100.00",
        "allocation 60.00 to INV-1 exceeds its open residual 50.00",
        "BILL-1 is a vendor_bill; a customer_payment settles customer_invoices",
        "BILL-1 is in USD, the payment in EUR",
        "INV-2 belongs to another partner",
        "INV-2 is cancelled",
        "date 2026-01-31 is on or before the lock date 2026-01-31",
    ]
    for message in expected:
        assert message in problems, (message, problems)
    assert len(problems) == len(expected), problems


def test_missing_partner_and_journal_and_non_positive_amount():
    problems = validate_payment(payment(partner=None, journal=None, amount=0))
    assert problems == [
        "partner is missing",
        "journal is missing",
        "amount must be greater than zero",
    ]


def test_non_liquidity_journal_is_refused():
    problems = validate_payment(payment(journal=SAL))
    assert problems == ["journal SAL is a sale journal, payments need a bank or cash journal"]


def test_non_positive_allocation_is_refused():
    problems = validate_payment(payment(allocations=[AllocationFacts(invoice(), 0)]))
    assert problems == ["allocation to INV-1 must be greater than zero"]


def test_allocations_above_payment_amount():
    allocs = [AllocationFacts(invoice("INV-1"), 60000), AllocationFacts(invoice("INV-2"), 60000)]
    problems = validate_payment(payment(amount=100000, allocations=allocs))
    assert problems == ["allocations total 1200.00 exceeds the payment amount 1000.00"]


def test_write_off_counts_against_residual():
    alloc = AllocationFacts(invoice(residual=10000), 9900, writeoff=200)
    problems = validate_payment(payment(amount=9900, allocations=[alloc]))
    assert problems == ["allocation 101.00 to INV-1 exceeds its open residual 100.00"]


def test_lock_date_only_refuses_on_or_before():
    assert validate_payment(payment(date=dt.date(2026, 2, 1)), lock_date=dt.date(2026, 1, 31)) == []
    assert validate_payment(payment(date=dt.date(2026, 1, 30)), lock_date=dt.date(2026, 1, 31)) == [
        "date 2026-01-30 is on or before the lock date 2026-01-31"
    ]


def test_refund_types_settle_credit_notes():
    note = invoice("RINV-1", type=InvoiceType.CUSTOMER_CREDIT_NOTE)
    ok = payment(type=PaymentType.CUSTOMER_REFUND, allocations=[AllocationFacts(note, 100)])
    assert validate_payment(ok) == []
    wrong = payment(
        type=PaymentType.CUSTOMER_REFUND, allocations=[AllocationFacts(invoice("INV-9"), 100)]
    )
    assert validate_payment(wrong) == [
        "INV-9 is a customer_invoice; a customer_refund settles customer_credit_notes"
    ]


def test_problems_are_records_with_a_code_and_a_field():
    p = payment(
        partner=SUPPLIER,
        journal=JournalFacts(5, "USD1", JournalType.BANK, "USD"),
        amount=0,
        allocations=[AllocationFacts(invoice("INV-1", residual=5000, partner_id=2), 6000)],
        date=dt.date(2026, 1, 31),
    )
    records = validate_records(p, lock_date=dt.date(2026, 1, 31))
    assert all(isinstance(r, Problem) for r in records)
    assert [(r.code, r.field) for r in records] == [
        ("partner_kind", "partner"),
        ("journal_currency", "currency"),
        ("amount", "amount"),
        ("allocations_total", "allocations"),
        ("invoice_residual", "allocations"),
        ("locked", "date"),
    ]
    with pytest.raises(FrozenInstanceError):
        records[0].message = "changed"  # type: ignore[misc]


def test_party_problems_checked_once_give_the_same_records():
    """A batch hands validate_payment the partner and journal rules' outcome it already has
    (the bank import checks them once per partner): the records are the same, in order."""
    for p in (
        payment(allocations=[AllocationFacts(invoice(), 119000)]),
        payment(
            partner=SUPPLIER,
            journal=JournalFacts(5, "USD1", JournalType.BANK, "USD"),
            amount=0,
            allocations=[AllocationFacts(invoice("INV-1", residual=5000, partner_id=2), 6000)],
        ),
        payment(journal=SAL, allocations=[AllocationFacts(invoice(), 0)]),
    ):
        checked = party_problems(p)
        assert validate_records(p, parties=checked) == validate_records(p)
        assert validate_records(p, parties=checked) == validate_records(p, parties=checked)


def test_journal_currency_rule():
    assert journal_currency_problem("EUR", "BNK1", "EUR") is None
    assert journal_currency_problem("USD", "BNK1", "EUR") == Problem(
        "journal_currency", "currency", "currency USD differs from journal BNK1's currency EUR"
    )


def test_confirm_problems_asks_the_state_machine_first():
    built = []

    def facts():
        built.append(1)
        return payment(amount=0)

    assert confirm_problems("#7", PaymentState.POSTED, facts) == [
        Problem("state", "state", "payment #7 is already posted")
    ]
    assert confirm_problems("#7", PaymentState.CANCELLED, facts) == [
        Problem("state", "state", "payment #7 is cancelled and cannot be confirmed")
    ]
    assert built == []  # a payment that is not a draft is not validated
    assert messages(confirm_problems("#7", PaymentState.DRAFT, facts)) == [
        "amount must be greater than zero"
    ]
    assert confirm_problems("#7", PaymentState.DRAFT, lambda: payment()) == []
    locked = confirm_problems("#7", PaymentState.DRAFT, lambda: payment(), lock_date=DAY)
    assert [r.code for r in locked] == ["locked"]


def test_confirm_problems_takes_the_party_rules_as_the_caller_keeps_them():
    """A batch checks the partner and journal rules once per partner, journal, type and
    currency: ``parties`` hands them in, with the same problems, in the same order."""
    wrong = payment(partner=SUPPLIER, journal=SAL, currency="USD", amount=0)
    asked = []

    def parties(facts):
        asked.append(facts)
        return party_problems(facts)

    kept = confirm_problems("#7", PaymentState.DRAFT, lambda: wrong, parties=parties)
    assert kept == confirm_problems("#7", PaymentState.DRAFT, lambda: wrong)
    assert [r.code for r in kept][:3] == ["partner_kind", "journal_type", "journal_currency"]
    assert asked == [wrong]
    assert confirm_problems("#7", PaymentState.POSTED, lambda: wrong, parties=parties) == [
        Problem("state", "state", "payment #7 is already posted")
    ]
    assert asked == [wrong]  # not asked for a payment the state machine refuses

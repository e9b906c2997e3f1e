"""The pure matcher (payctl/domain/matching.py, issue 5 item 3): no database.

Each rule is checked for its decision (rule, score, partner, payment type), its allocations and
the facts its reason gives a person in the review queue (which invoice, which evidence, which
amounts; not the wording); then the ambiguity, threshold and consume() behaviour. Scores are
the matcher's own constants: what is tested is which rule scores what, and whether that is
decided or left for review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from payctl.domain.enums import InvoiceType, PaymentType
from payctl.domain.matching import (
    SCORE_AMBIGUOUS_PENALTY,
    SCORE_EXACT_REFERENCE,
    SCORE_IBAN_AMOUNT,
    SCORE_IBAN_SUBSET,
    SCORE_NAME_PENALTY,
    SCORE_PAYMENT,
    SCORE_REFERENCE_OVER,
    SCORE_REFERENCE_PARTIAL,
    SCORE_REFERENCE_WRITEOFF,
    LineFacts,
    Matcher,
    MatchResult,
    OpenItem,
    PostedPayment,
)

CI = InvoiceType.CUSTOMER_INVOICE
VB = InvoiceType.VENDOR_BILL
CCN = InvoiceType.CUSTOMER_CREDIT_NOTE
VCN = InvoiceType.VENDOR_CREDIT_NOTE

ACME, GLOBEX, SUPPLIER = 1, 2, 3
ACME_IBAN = "DE89370400440532013000"
GLOBEX_IBAN = "NL91ABNA0417164300"
SUPPLIER_IBAN = "GB29NWBK60161331926819"
NAMES = {ACME: "ACME GmbH", GLOBEX: "Globex Corporation", SUPPLIER: "Supplier BV"}
ACCOUNTS = {ACME_IBAN: ACME, GLOBEX_IBAN: GLOBEX, SUPPLIER_IBAN: SUPPLIER}
DAY = dt.date(2026, 2, 10)
TOLERANCE = Decimal("1.00")  # the default write-off tolerance, in each item's currency


def item(
    iid: int,
    number: str,
    residual: int,
    partner: int = ACME,
    type: InvoiceType = CI,
    date: dt.date = dt.date(2026, 1, 5),
    currency: str = "EUR",
) -> OpenItem:
    return OpenItem(iid, number, partner, type, residual, currency, date)


def line(
    amount: int,
    text: str = "",
    account: str | None = None,
    name: str | None = None,
    date: dt.date = DAY,
    currency: str = "EUR",
) -> LineFacts:
    return LineFacts(amount, currency, date, name, account, text)


def matcher(
    items: list[OpenItem] = (),
    payments: list[PostedPayment] = (),
    fuzzy: Callable[[str], list[tuple[int, int]]] | None = None,
    **kw: object,
) -> Matcher:
    kw.setdefault("writeoff_tolerance", TOLERANCE)
    return Matcher(list(items), dict(ACCOUNTS), dict(NAMES), list(payments), fuzzy=fuzzy, **kw)


def says(text: str | None, *facts: str) -> None:
    """A reason gives each of ``facts`` (an invoice number, the evidence, an amount)."""
    assert text is not None
    for fact in facts:
        assert fact in text, (fact, text)


def left_below_the_threshold(result: MatchResult, m: Matcher, score: int) -> None:
    """Not decided: the best candidate scores ``score``, below the threshold, and the review
    reason gives both numbers."""
    assert result.decision is None
    assert max(c.score for c in result.candidates) == score < m.threshold
    says(result.review_reason, f"score {score}", f"threshold {m.threshold}")


class Fuzzy:
    """A fuzzy name finder for tests: fixed answers, and a record of what was asked."""

    def __init__(self, answers: dict[str, list[tuple[int, int]]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, name: str) -> list[tuple[int, int]]:
        self.asked.append(name)
        return self.answers.get(name, [])


# ------------------------------------------------------------------- (a) reference
@pytest.mark.parametrize(
    "text",
    [
        "inv 2026 0001",
        "INV-2026-0001",
        "INV20260001",
        "Payment for invoice Inv/2026/0001, thank you",
        "INV.2026.0001",
        "  iNv _2026- 0001 ",
    ],
)
def test_reference_found_despite_case_spaces_and_separators(text):
    m = matcher([item(10, "INV-2026-0001", 119000), item(11, "INV-2026-0002", 119000)])
    result = m.match(line(119000, text))
    assert result.decision is not None, result.review_reason
    d = result.decision
    assert d.rule == "reference"
    assert d.score == SCORE_EXACT_REFERENCE
    says(d.reason, "INV-2026-0001")
    assert d.partner_id == ACME
    assert d.payment_type == PaymentType.CUSTOMER_PAYMENT
    assert [(a.invoice_id, a.amount, a.writeoff) for a in d.allocations] == [(10, 119000, 0)]
    assert result.review_reason is None


def test_reference_is_not_found_inside_a_longer_number():
    """INV-2026-00012 is not INV-2026-0001 (no candidate from a prefix of another number)."""
    m = matcher([item(10, "INV-2026-0001", 119000)])
    result = m.match(line(119000, "INV-2026-00012"))
    assert result.candidates == []
    assert result.decision is None


def test_several_referenced_invoices_summing_to_the_amount():
    m = matcher(
        [
            item(10, "INV-1", 10000),
            item(11, "INV-2", 5000, date=dt.date(2026, 1, 6)),
            item(12, "INV-3", 7000),
        ]
    )
    result = m.match(line(15000, "pays INV-1 and inv 2"))
    d = result.decision
    assert d is not None, result.review_reason
    assert d.rule == "reference"
    assert d.score == SCORE_EXACT_REFERENCE
    says(d.reason, "INV-1", "INV-2")
    assert "INV-3" not in d.reason
    assert [(a.number, a.amount) for a in d.allocations] == [("INV-1", 10000), ("INV-2", 5000)]
    assert d.allocated == 15000


def test_several_references_that_do_not_sum_are_penalised():
    """Two numbers in the text, the amount fits neither alone nor together: partial candidates
    lose the ambiguity penalty and go to review."""
    m = matcher([item(10, "INV-1", 10000), item(11, "INV-2", 5000)])
    result = m.match(line(4000, "INV-1 INV-2"))
    assert {c.rule for c in result.candidates} == {"partial"}
    penalised = SCORE_REFERENCE_PARTIAL - SCORE_AMBIGUOUS_PENALTY
    assert [c.score for c in result.candidates] == [penalised, penalised]
    left_below_the_threshold(result, m, penalised)


def test_reference_of_another_currency_does_not_match():
    m = matcher([item(10, "INV-1", 10000, currency="USD")])
    result = m.match(line(10000, "INV-1"))
    assert result.decision is None
    assert result.candidates == []


# --------------------------------------------------- (d) partial / over / write-off
def test_partial_payment():
    m = matcher([item(10, "INV-1", 100000)])
    d = m.match(line(40000, "INV-1")).decision
    assert d is not None
    assert d.rule == "partial"
    assert d.score == SCORE_REFERENCE_PARTIAL
    says(d.reason, "INV-1", "400.00", "1000.00")
    assert [(a.amount, a.writeoff) for a in d.allocations] == [(40000, 0)]


def test_overpayment_leaves_the_rest_as_credit():
    m = matcher([item(10, "INV-1", 100000)])
    d = m.match(line(120000, "INV-1")).decision
    assert d is not None
    assert d.rule == "overpayment"
    assert d.score == SCORE_REFERENCE_OVER
    says(d.reason, "INV-1", "200.00")
    assert [(a.amount, a.writeoff) for a in d.allocations] == [(100000, 0)]
    assert d.allocated == 100000  # the other 200.00 stays unallocated: partner credit


@pytest.mark.parametrize(
    "paid, rule, writeoff",
    [
        (99950, "writeoff", 50),  # 0.50 short, tolerance 1.00
        (99900, "writeoff", 100),  # exactly the tolerance
        (99899, "partial", 0),  # 1.01 short: beyond it
    ],
)
def test_writeoff_within_tolerance(paid, rule, writeoff):
    m = matcher([item(10, "INV-1", 100000)], writeoff_tolerance=Decimal("1.00"))
    d = m.match(line(paid, "INV-1")).decision
    assert d is not None
    assert d.rule == rule
    assert [(a.amount, a.writeoff) for a in d.allocations] == [(paid, writeoff)]
    if rule == "writeoff":
        assert d.score == SCORE_REFERENCE_WRITEOFF
        says(d.reason, "INV-1", f"{writeoff // 100}.{writeoff % 100:02d}")


def test_writeoff_tolerance_zero_makes_it_partial():
    m = matcher([item(10, "INV-1", 100000)], writeoff_tolerance=Decimal("0"))
    assert m.match(line(99999, "INV-1")).decision.rule == "partial"


@pytest.mark.parametrize(
    ("currency", "residual", "paid", "rule", "shown"),
    [
        # the tolerance 1.00 is 1 yen: 100 yen short is a partial payment, not a write-off
        ("JPY", 100000, 99900, "partial", "partial payment (99900 of 100000)"),
        ("JPY", 100000, 99999, "writeoff", "difference 1 within the write-off tolerance"),
        ("KWD", 100000, 99000, "writeoff", "difference 1.000 within the write-off tolerance"),
        ("KWD", 100000, 98999, "partial", "partial payment (98.999 of 100.000)"),
        ("EUR", 100000, 99900, "writeoff", "difference 1.00 within the write-off tolerance"),
    ],
)
def test_the_tolerance_and_the_reason_are_in_the_item_currency(
    currency, residual, paid, rule, shown
):
    m = matcher([item(10, "INV-1", residual, currency=currency)])
    d = m.match(line(paid, "INV-1", currency=currency)).decision
    assert d is not None and d.rule == rule
    assert d.reason == f"invoice number INV-1 in the text; {shown}"


def test_a_fractional_tolerance_is_no_yen_and_no_error():
    m = matcher([item(10, "INV-1", 1000, currency="JPY")], writeoff_tolerance=Decimal("0.50"))
    assert m.match(line(999, "INV-1", currency="JPY")).decision.rule == "partial"
    assert m.writeoff_limit("EUR") == 50


# ------------------------------------------------------------ (b) partner + amount
def test_partner_by_iban_and_amount():
    fuzzy = Fuzzy({})
    m = matcher([item(10, "INV-1", 50000), item(11, "INV-2", 70000)], fuzzy=fuzzy)
    result = m.match(line(70000, "no reference here", account=ACME_IBAN, name="Someone Else"))
    d = result.decision
    assert d is not None
    assert d.rule == "partner_amount"
    assert d.score == SCORE_IBAN_AMOUNT
    says(d.reason, "IBAN", "INV-2")
    assert d.partner_id == ACME
    assert [a.invoice_id for a in d.allocations] == [11]
    assert fuzzy.asked == []  # the IBAN decided: no name look-up


def test_iban_wins_over_name():
    fuzzy = Fuzzy({"Globex Corporation": [(GLOBEX, 100)]})
    m = matcher(
        [item(10, "INV-1", 50000, partner=ACME), item(20, "G-1", 50000, partner=GLOBEX)],
        fuzzy=fuzzy,
    )
    d = m.match(line(50000, account=ACME_IBAN, name="Globex Corporation")).decision
    assert d is not None and d.partner_id == ACME
    assert fuzzy.asked == []


def test_partner_by_fuzzy_name_when_iban_unknown():
    fuzzy = Fuzzy({"ACME GMBH.": [(ACME, 93)]})
    m = matcher([item(10, "INV-1", 50000)], fuzzy=fuzzy)
    d = m.match(line(50000, account="FR7630006000011234567890189", name="ACME GMBH.")).decision
    assert d is not None
    assert d.rule == "partner_amount"
    assert d.score == SCORE_IBAN_AMOUNT - SCORE_NAME_PENALTY  # a name is weaker than an IBAN
    says(d.reason, "name (similarity 93)", "INV-1")
    assert fuzzy.asked == ["ACME GMBH."]


def test_fuzzy_name_tie_is_rejected():
    fuzzy = Fuzzy({"Acme": [(ACME, 90), (GLOBEX, 90)]})
    m = matcher([item(10, "INV-1", 50000), item(20, "G-1", 50000, partner=GLOBEX)], fuzzy=fuzzy)
    result = m.match(line(50000, name="Acme"))
    assert result.decision is None
    assert result.candidates == []
    says(result.review_reason, "name", "several partners")


def test_fuzzy_name_clear_winner_over_runner_up():
    fuzzy = Fuzzy({"Acme": [(ACME, 95), (GLOBEX, 88)]})
    m = matcher([item(10, "INV-1", 50000), item(20, "G-1", 50000, partner=GLOBEX)], fuzzy=fuzzy)
    d = m.match(line(50000, name="Acme")).decision
    assert d is not None and d.partner_id == ACME


def test_no_partner_no_reference():
    result = matcher([item(10, "INV-1", 50000)], fuzzy=Fuzzy({})).match(line(50000, "rent"))
    assert result.decision is None
    says(result.review_reason, "no invoice number", "no partner")


def test_partner_found_but_nothing_fits():
    result = matcher([item(10, "INV-1", 50000)]).match(line(12345, account=ACME_IBAN))
    assert result.decision is None
    says(result.review_reason, "partner found by IBAN", "amount")


def test_two_open_items_with_the_same_amount_are_ambiguous():
    m = matcher([item(10, "INV-1", 50000), item(11, "INV-2", 50000, date=dt.date(2026, 1, 9))])
    result = m.match(line(50000, account=ACME_IBAN))
    (c,) = result.candidates
    assert c.score == SCORE_IBAN_AMOUNT - SCORE_AMBIGUOUS_PENALTY
    says(c.reason, "INV-1", "oldest of several")
    assert [a.number for a in c.allocations] == ["INV-1"]
    left_below_the_threshold(result, m, c.score)


def test_subset_of_oldest_open_items():
    items = [
        item(10, "A", 10000, date=dt.date(2026, 1, 1)),
        item(11, "B", 20000, date=dt.date(2026, 1, 2)),
        item(12, "C", 30000, date=dt.date(2026, 1, 3)),
        item(13, "D", 40000, date=dt.date(2026, 1, 4)),
    ]
    # 500.00 = A + D = B + C: fewest items first, then the oldest set (A is the oldest).
    d = matcher(items).match(line(50000, account=ACME_IBAN)).decision
    assert d is not None
    assert d.rule == "partner_subset"
    assert d.score == SCORE_IBAN_SUBSET
    says(d.reason, "IBAN", "A, D")
    assert [(a.number, a.amount) for a in d.allocations] == [("A", 10000), ("D", 40000)]
    # 600.00 = A + B + C = B + D: two items beat three.
    m = matcher(items)
    assert [a.number for a in m.match(line(60000, account=ACME_IBAN)).decision.allocations] == [
        "B",
        "D",
    ]
    # 1000.00 = all four
    assert len(matcher(items).match(line(100000, account=ACME_IBAN)).decision.allocations) == 4


def test_subset_search_is_bounded_to_the_oldest_items():
    items = [item(10 + k, f"I-{k}", 1000 * (k + 1), date=dt.date(2026, 1, 1 + k)) for k in range(6)]
    # I-4 + I-5 = 5000 + 6000 = 11000 needs the 5th and 6th oldest; only 3 are searched
    # (1000+2000+3000 max 6000).
    m = matcher(items, subset_limit=3)
    assert m.match(line(11000, account=ACME_IBAN)).decision is None
    m = matcher(items, subset_limit=10)
    assert m.match(line(11000, account=ACME_IBAN)).decision is not None


def test_subset_by_name_is_penalised_below_the_threshold():
    fuzzy = Fuzzy({"ACME": [(ACME, 90)]})
    items = [item(10, "A", 10000), item(11, "B", 20000)]
    m = matcher(items, fuzzy=fuzzy)
    result = m.match(line(30000, name="ACME"))
    assert result.candidates[0].rule == "partner_subset"
    assert result.candidates[0].score == SCORE_IBAN_SUBSET - SCORE_NAME_PENALTY
    left_below_the_threshold(result, m, SCORE_IBAN_SUBSET - SCORE_NAME_PENALTY)


def test_partner_amount_ignores_other_partners_and_types():
    items = [item(10, "G-1", 50000, partner=GLOBEX), item(11, "B-1", 50000, type=VB)]
    result = matcher(items).match(line(50000, account=ACME_IBAN))
    assert result.decision is None


# ------------------------------------------------------------------- (c) payment
def posted(
    pid: int = 7,
    amount: int = 119000,
    date: dt.date = dt.date(2026, 2, 5),
    partner: int = ACME,
    type: PaymentType = PaymentType.CUSTOMER_PAYMENT,
) -> PostedPayment:
    return PostedPayment(pid, partner, type, amount, "EUR", date, f"BNK1/2026/{pid:05d}")


def test_posted_payment_within_the_date_window():
    m = matcher(payments=[posted()], date_window=10)
    d = m.match(line(119000, account=ACME_IBAN, date=dt.date(2026, 2, 15))).decision
    assert d is not None
    assert d.rule == "payment"
    assert d.score == SCORE_PAYMENT
    assert d.payment_id == 7
    assert d.allocations == ()
    assert d.payment_type == PaymentType.CUSTOMER_PAYMENT
    says(d.reason, "#7", "IBAN", "2026-02-05")


@pytest.mark.parametrize("day", [dt.date(2026, 2, 16), dt.date(2026, 1, 25)])
def test_posted_payment_outside_the_date_window(day):
    m = matcher(payments=[posted()], date_window=10)
    result = m.match(line(119000, account=ACME_IBAN, date=day))
    assert result.decision is None
    assert result.candidates == []


def test_posted_payment_of_the_other_direction_is_not_matched():
    m = matcher(payments=[posted(type=PaymentType.CUSTOMER_REFUND)])
    assert m.match(line(119000, account=ACME_IBAN, date=dt.date(2026, 2, 5))).decision is None
    d = m.match(line(-119000, account=ACME_IBAN, date=dt.date(2026, 2, 5))).decision
    assert d is not None and d.rule == "payment" and d.payment_id == 7


def test_closest_of_two_posted_payments_is_penalised():
    m = matcher(payments=[posted(7, date=dt.date(2026, 2, 1)), posted(8, date=dt.date(2026, 2, 9))])
    result = m.match(line(119000, account=ACME_IBAN, date=DAY))
    assert result.decision is None
    assert result.candidates[0].payment_id == 8  # the closer one
    assert result.candidates[0].score == SCORE_PAYMENT - SCORE_AMBIGUOUS_PENALTY


def test_payment_beats_an_open_invoice_of_the_same_amount():
    m = matcher([item(10, "INV-1", 119000)], payments=[posted()])
    result = m.match(line(119000, account=ACME_IBAN))
    assert result.decision.rule == "payment"
    assert [c.rule for c in result.candidates] == ["payment", "partner_amount"]


# ------------------------------------------------------------------ outgoing lines
def test_outgoing_line_pays_a_vendor_bill():
    m = matcher(
        [
            item(30, "BILL-7", 45000, partner=SUPPLIER, type=VB),
            item(31, "INV-7", 45000, partner=SUPPLIER, type=CI),
        ]
    )
    d = m.match(line(-45000, "Invoice BILL 7")).decision
    assert d is not None
    assert d.rule == "reference"
    assert d.payment_type == PaymentType.VENDOR_PAYMENT
    assert [a.invoice_id for a in d.allocations] == [30]


def test_outgoing_line_refunds_a_customer_credit_note():
    m = matcher([item(40, "CN-3", 2500, type=CCN)])
    d = m.match(line(-2500, account=ACME_IBAN)).decision
    assert d is not None
    assert d.rule == "partner_amount"
    assert d.payment_type == PaymentType.CUSTOMER_REFUND


def test_incoming_line_from_a_vendor_credit_note():
    m = matcher([item(50, "VCN-1", 3000, partner=SUPPLIER, type=VCN)])
    d = m.match(line(3000, "VCN-1")).decision
    assert d is not None and d.payment_type == PaymentType.VENDOR_REFUND


def test_direction_must_fit_the_item():
    """Money in never pays a vendor bill; money out never settles a customer invoice."""
    m = matcher([item(30, "BILL-7", 45000, partner=SUPPLIER, type=VB), item(10, "INV-1", 45000)])
    assert m.match(line(45000, "BILL-7")).decision is None
    assert m.match(line(-45000, "INV-1")).decision is None


# ------------------------------------------------------- threshold and ambiguity
def test_threshold_sends_to_review_with_the_reason():
    fuzzy = Fuzzy({"ACME": [(ACME, 90)]})
    by_name = SCORE_IBAN_AMOUNT - SCORE_NAME_PENALTY
    m = matcher([item(10, "INV-1", 50000)], fuzzy=fuzzy, threshold=by_name + 1)
    left_below_the_threshold(m.match(line(50000, name="ACME")), m, by_name)
    m = matcher([item(10, "INV-1", 50000)], fuzzy=fuzzy, threshold=by_name)
    assert m.match(line(50000, name="ACME")).decision is not None


def test_equal_scores_for_different_targets_go_to_review():
    m = matcher([item(10, "INV-1", 50000, partner=ACME), item(20, "G-1", 50000, partner=GLOBEX)])
    result = m.match(line(50000, "INV-1 G-1"))
    assert result.decision is None
    assert [c.score for c in result.candidates] == [SCORE_EXACT_REFERENCE] * 2
    assert [c.partner_id for c in result.candidates] == [ACME, GLOBEX]
    says(result.review_reason, "several candidates")


def test_an_exact_reference_decides_without_a_partner_search():
    m = matcher([item(10, "INV-1", 50000)])
    result = m.match(line(50000, "INV-1", account=ACME_IBAN))
    assert result.decision is not None and result.decision.rule == "reference"
    assert result.decision.score == SCORE_EXACT_REFERENCE
    assert [c.rule for c in result.candidates] == ["reference"]  # partner rules not needed


def test_zero_amount_goes_to_review():
    result = matcher([item(10, "INV-1", 50000)]).match(line(0, "INV-1"))
    assert result.decision is None
    assert result.candidates == []
    says(result.review_reason, "zero amount")


# ------------------------------------------------------------------------ consume
def test_consume_prevents_paying_the_same_invoice_twice():
    m = matcher([item(10, "INV-1", 50000)])
    first = m.match(line(50000, "INV-1"))
    assert first.decision is not None
    m.consume(first.decision)
    second = m.match(line(50000, "INV-1", account=ACME_IBAN))
    assert second.decision is None
    assert second.candidates == []


def test_consume_of_a_partial_leaves_the_rest_open():
    m = matcher([item(10, "INV-1", 50000)])
    m.consume(m.match(line(20000, "INV-1")).decision)
    d = m.match(line(30000, "INV-1")).decision
    assert d is not None and d.rule == "reference"  # the rest is the residual now
    assert [(a.invoice_id, a.amount) for a in d.allocations] == [(10, 30000)]


def test_consume_counts_the_writeoff():
    m = matcher([item(10, "INV-1", 50000)], writeoff_tolerance=Decimal("1.00"))
    d = m.match(line(49950, "INV-1")).decision
    assert d.rule == "writeoff"
    m.consume(d)
    assert m.items[10].residual == 0
    assert m.match(line(50, "INV-1")).candidates == []


def test_consume_uses_a_payment_once():
    m = matcher(payments=[posted()])
    first = m.match(line(119000, account=ACME_IBAN, date=dt.date(2026, 2, 5)))
    m.consume(first.decision)
    second = m.match(line(119000, account=ACME_IBAN, date=dt.date(2026, 2, 5)))
    assert second.decision is None and second.candidates == []

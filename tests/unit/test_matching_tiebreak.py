"""The matcher's tie-break "fewest, then oldest" (issue "Trust first", point 4): pure, no database.

When several sets of open items fit a line, across invoice types too (a partner who is both
customer and vendor), the fewest items win, then the oldest set (dates oldest first, then ids);
the order in which the open items are handed over never matters.
"""

from __future__ import annotations

import datetime as dt

from payctl.domain.enums import PaymentType
from tests.unit.test_matching import ACME_IBAN, GLOBEX, VCN, item, line, matcher


def test_subset_tie_between_types_goes_to_the_oldest_set():
    # A partner who is customer and vendor: 100.00 in is two invoices or two vendor credit
    # notes. Fewest items tie (2 and 2); the oldest set wins: INV-1 (5 Jan) before VCN-1 (10 Jan).
    items = [
        item(10, "INV-1", 6000, date=dt.date(2026, 1, 5)),
        item(11, "INV-2", 4000, date=dt.date(2026, 1, 20)),
        item(12, "VCN-1", 7000, type=VCN, date=dt.date(2026, 1, 10)),
        item(13, "VCN-2", 3000, type=VCN, date=dt.date(2026, 1, 12)),
    ]
    for order in (items, items[::-1], items[2:] + items[:2]):
        d = matcher(order).match(line(10000, account=ACME_IBAN)).decision
        assert d is not None and d.rule == "partner_subset"
        assert d.payment_type == PaymentType.CUSTOMER_PAYMENT
        assert [a.number for a in d.allocations] == ["INV-1", "INV-2"]
    # the other way round when the credit notes are older
    older = [
        item(12, "VCN-1", 7000, type=VCN, date=dt.date(2026, 1, 1)),
        *items[1:2],
        items[0],
        items[3],
    ]
    d = matcher(older).match(line(10000, account=ACME_IBAN)).decision
    assert d.payment_type == PaymentType.VENDOR_REFUND
    assert [a.number for a in d.allocations] == ["VCN-1", "VCN-2"]


def test_subset_tie_between_types_fewest_items_first():
    # three (older) invoices against two credit notes: two items win
    items = [
        item(10, "INV-1", 2000, date=dt.date(2026, 1, 1)),
        item(11, "INV-2", 3000, date=dt.date(2026, 1, 2)),
        item(12, "INV-3", 5000, date=dt.date(2026, 1, 3)),
        item(13, "VCN-1", 7000, type=VCN, date=dt.date(2026, 1, 10)),
        item(14, "VCN-2", 3000, type=VCN, date=dt.date(2026, 1, 12)),
    ]
    for order in (items, items[::-1]):
        d = matcher(order).match(line(10000, account=ACME_IBAN)).decision
        assert d.payment_type == PaymentType.VENDOR_REFUND
        assert [a.number for a in d.allocations] == ["VCN-1", "VCN-2"]


def test_subset_tie_on_the_same_dates_goes_to_the_lower_ids():
    day = dt.date(2026, 1, 5)
    items = [
        item(20, "INV-1", 6000, date=day),
        item(21, "INV-2", 4000, date=day),
        item(12, "CN-1", 7000, type=VCN, date=day),
        item(13, "CN-2", 3000, type=VCN, date=day),
    ]
    for order in (items, items[::-1]):
        d = matcher(order).match(line(10000, account=ACME_IBAN)).decision
        assert [a.number for a in d.allocations] == ["CN-1", "CN-2"]


def test_items_with_the_same_normalised_number_are_taken_oldest_first():
    # "INV-1" and "INV/1" both read as INV1: the candidates come in the same order (oldest
    # first) however the open items were handed over (a database returns them in any order).
    items = [
        item(10, "INV-1", 5000, date=dt.date(2026, 1, 5)),
        item(11, "INV/1", 5000, partner=GLOBEX, date=dt.date(2026, 1, 3)),
    ]
    seen = []
    for order in (items, items[::-1]):
        result = matcher(order).match(line(5000, "INV 1"))
        assert result.decision is None
        assert result.candidates[0].score == result.candidates[1].score  # a tie: review
        seen.append([c.allocations[0].number for c in result.candidates])
    assert seen == [["INV/1", "INV-1"]] * 2

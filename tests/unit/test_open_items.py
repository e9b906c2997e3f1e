"""Open items held column-wise (domain.open_items): age order, look-ups, residuals."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from payctl.domain.enums import InvoiceType
from payctl.domain.open_items import OpenItem, OpenItems, ReadRows

CI = InvoiceType.CUSTOMER_INVOICE
VCN = InvoiceType.VENDOR_CREDIT_NOTE
JAN = dt.date(2026, 1, 5)
FEB = dt.date(2026, 2, 1)

ROWS = [
    OpenItem(30, "INV-30", 1, CI, 500, "EUR", FEB),
    OpenItem(10, "INV-10", 2, VCN, 700, "USD", FEB),
    OpenItem(20, "INV-20", 1, CI, 900, "EUR", JAN),
    OpenItem(5, "INV-5", 3, CI, 100, "JPY", FEB),
]


def test_items_are_held_oldest_first_by_date_then_id():
    items = OpenItems(ROWS)
    assert list(items) == [20, 5, 10, 30]
    assert [items.at(k) for k in range(4)] == [items[20], items[5], items[10], items[30]]
    assert items[10] == OpenItem(10, "INV-10", 2, VCN, 700, "USD", FEB)
    assert len(items) == 4
    assert items.currency_names[items.currencies[items.position(10)]] == "USD"


def test_the_same_rows_in_any_order_give_the_same_positions():
    rng = random.Random(7)
    rows = [
        (i, f"N{i}", i % 7, CI, i * 10, "EUR", JAN + dt.timedelta(days=rng.randrange(30)))
        for i in range(1, 400)
    ]
    first = OpenItems(rows)
    for _ in range(5):
        rng.shuffle(rows)
        again = OpenItems(rows)
        assert list(again) == list(first)
        assert [again.at(k) for k in range(len(again))] == [first.at(k) for k in range(len(first))]
    ages = [(first.at(k).date, first.at(k).id) for k in range(len(first))]
    assert ages == sorted(ages)


def test_rows_read_in_parts_are_the_rows_read_at_once():
    read = ReadRows().add(ROWS[:1]).add(ROWS[1:3]).add(()).add(ROWS[3:])
    parts, whole = OpenItems(read), OpenItems(ROWS)
    assert [parts.at(k) for k in range(4)] == [whole.at(k) for k in range(4)]
    assert len(read.ids) == 0 and read.numbers == []  # the items took the columns


def test_unknown_ids_are_not_items():
    items = OpenItems(ROWS)
    assert items.position(11) is None and items.position(0) is None
    assert items.position(31) is None
    assert 11 not in items and 30 in items
    with pytest.raises(KeyError):
        items[11]
    assert items.get(11) is None
    assert OpenItems(()).position(1) is None and len(OpenItems(())) == 0


def test_lowering_changes_what_the_items_say_and_ignores_unknown_ids():
    items = OpenItems(ROWS)
    before = items[30]
    items.lower(30, 200)
    items.lower(999, 50)
    assert items[30].residual == 300
    assert before.residual == 500  # an item read earlier is a snapshot
    assert [items[i].residual for i in (10, 20, 5)] == [700, 900, 100]


def test_a_residual_copy_is_lowered_apart_from_the_items():
    items = OpenItems(ROWS)
    copy = items.residuals_now()
    copy[20] -= 400
    items.lower(30, 100)
    assert copy[20] == 500 and items[20].residual == 900
    assert copy[30] == 500 and items[30].residual == 400
    with pytest.raises(KeyError):
        copy[11]
    with pytest.raises(KeyError):
        copy[11] = 1


def test_an_id_given_twice_or_out_of_range_is_refused():
    with pytest.raises(ValueError, match="open item 30 given twice"):
        OpenItems([*ROWS, OpenItem(30, "INV-30b", 1, CI, 1, "EUR", JAN)])
    with pytest.raises(ValueError, match="not between 0 and 2"):
        OpenItems([OpenItem(-1, "X", 1, CI, 1, "EUR", JAN)])
    with pytest.raises(ValueError, match="not between 0 and 2"):
        OpenItems([OpenItem(1 << 40, "X", 1, CI, 1, "EUR", JAN)])

"""db.limits.check_rows: the rule of text and dates for set-wise inserts, whole columns at a
time when everything fits, and the first offending value named when something does not."""

from __future__ import annotations

import datetime as dt

import pytest

from payctl.db.limits import check_rows
from payctl.db.models import Payment
from payctl.errors import InputError

TABLE = Payment.__table__


def rows(n: int = 5, **change: object) -> list[dict[str, object]]:
    out: list[dict[str, object]] = [
        {"reference": f"ref {i}", "memo": f"memo {i}", "date": dt.date(2026, 1, 1 + i)}
        for i in range(n)
    ]
    for key, value in change.items():
        index, field = key.split("_", 1)
        out[int(index[1:])][field] = value
    return out


def test_rows_that_fit_pass():
    check_rows(TABLE, rows())
    check_rows(TABLE, rows(r0_reference=None, r1_memo=None, r2_date=None))
    check_rows(TABLE, rows(r3_reference="x" * 200, r4_memo="y" * 100_000))  # memo: no limit
    check_rows(TABLE, rows(r0_date=dt.date(1900, 1, 1), r1_date=dt.date(2199, 12, 31)))
    check_rows(TABLE, [])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"r3_reference": "x" * 201}, "reference: 201 characters, at most 200"),
        ({"r2_memo": "a\x00b"}, "memo: NUL character: binary data, not text"),
        ({"r4_reference": "\x00"}, "reference: NUL character: binary data, not text"),
        ({"r1_date": dt.date(1899, 12, 31)}, "date: 1899-12-31 is outside the dates payctl"),
        ({"r4_date": dt.date(2200, 1, 1)}, "date: 2200-01-01 is outside the dates payctl"),
    ],
)
def test_a_value_that_does_not_fit_is_named(change, message):
    with pytest.raises(InputError) as info:
        check_rows(TABLE, rows(**change))
    assert info.value.message.startswith(message)


def test_the_first_offending_value_in_row_order_is_named():
    with pytest.raises(InputError) as info:
        check_rows(TABLE, rows(r1_memo="\x00", r3_reference="x" * 300))
    assert info.value.message.startswith("memo: NUL")
    with pytest.raises(InputError) as info:
        check_rows(TABLE, rows(r1_date=dt.date(1800, 1, 1), r3_reference="x" * 300))
    assert info.value.message.startswith("date: 1800-01-01")

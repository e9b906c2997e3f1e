"""Aging buckets (payctl.domain.aging): parsing --buckets and the due dates of each bucket."""

from __future__ import annotations

import datetime as dt

import pytest

from payctl.domain.aging import Bucket, parse_buckets
from payctl.errors import InputError


def test_default_and_given_limits():
    assert parse_buckets(None) == [Bucket(1, 30), Bucket(31, 60), Bucket(61, 90), Bucket(91, None)]
    assert [b.label for b in parse_buckets(" 7, 14 ")] == ["1-7", "8-14", ">14"]
    assert [b.key for b in parse_buckets("30")] == ["days_1_30", "days_over_30"]


@pytest.mark.parametrize(
    "text", ["", "30,20", "30,30", "0", "a", "30,,60", "-5", "1.5", "²", "100001"]
)
def test_bad_limits_name_the_option(text):
    with pytest.raises(InputError, match="^--buckets: "):
        parse_buckets(text)


def test_due_window_is_days_overdue_as_dates():
    day = dt.date(2026, 3, 31)
    first, second, last = parse_buckets("30,60")
    assert first.due_window(day) == (dt.date(2026, 3, 1), dt.date(2026, 3, 30))  # 1..30 days
    assert second.due_window(day) == (dt.date(2026, 1, 30), dt.date(2026, 2, 28))
    assert last.due_window(day) == (None, dt.date(2026, 1, 29))

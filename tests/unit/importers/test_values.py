"""The decimals rule of every bank reader (values.exact_amount)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payctl.importers.values import exact_amount

D = Decimal


@pytest.mark.parametrize(
    ("text", "currency", "taken"),
    [
        ("1.500", "EUR", "1.50"),
        ("1.5", "EUR", "1.50"),
        ("-12", "EUR", "-12.00"),
        ("0.000", "EUR", "0.00"),
        ("100.00", "JPY", "100"),
        ("1.2340", "KWD", "1.234"),
    ],
)
def test_extra_zeros_are_dropped(text, currency, taken):
    value = exact_amount(D(text), currency)
    assert value == D(taken) and str(value) == taken


@pytest.mark.parametrize(
    ("text", "currency"),
    [("1.505", "EUR"), ("-0.001", "EUR"), ("100.5", "JPY"), ("1.2345", "KWD")],
)
def test_other_extra_digits_refuse_the_amount(text, currency):
    with pytest.raises(ValueError, match=rf"^{text.lstrip('-')} has more decimals than {currency}"):
        exact_amount(D(text), currency)


def test_digits_beyond_the_context_precision_are_not_rounded_away():
    with pytest.raises(ValueError, match="more decimals"):
        exact_amount(D("1." + "0" * 30 + "1"), "EUR")


def test_not_a_number_is_refused():
    for text in ("NaN", "Infinity"):
        with pytest.raises(ValueError, match="is not an amount"):
            exact_amount(D(text), "EUR")


def test_a_huge_value_is_left_to_the_limit_check_without_building_it():
    huge = D("1E+999999999")
    assert exact_amount(huge, "EUR") is huge  # money.check_limit refuses it, every reader's way

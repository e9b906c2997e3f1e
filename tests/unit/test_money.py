"""Money parsing and rounding: Decimal in code, integer minor units in storage, never float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payctl.domain.money import (
    MAX_AMOUNT_MINOR,
    AmountTooLarge,
    exponent,
    format_amount,
    from_minor,
    normalise_currency,
    parse_amount,
    quantize,
    to_minor,
)
from payctl.errors import InputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1190", Decimal("1190.00")),
        ("1190.5", Decimal("1190.50")),
        ("1190.50", Decimal("1190.50")),
        ("  42.10 ", Decimal("42.10")),
        ("0.01", Decimal("0.01")),
        (7, Decimal("7.00")),
        (Decimal("3.1"), Decimal("3.10")),
    ],
)
def test_parse_amount_accepts_ints_and_decimals(text, expected):
    value = parse_amount(text)
    assert value == expected
    assert isinstance(value, Decimal)
    # always carries the currency's number of places
    assert value.as_tuple().exponent == -2


def test_parse_amount_keeps_exact_value_for_large_amounts():
    assert parse_amount("1234567890.12") == Decimal("1234567890.12")


@pytest.mark.parametrize("text", ["10.001", "0.005", "1.999"])
def test_over_precise_amount_is_refused(text):
    with pytest.raises(InputError, match="more than 2 decimal places for EUR"):
        parse_amount(text)


def test_trailing_zeros_beyond_precision_are_fine():
    assert parse_amount("10.000") == Decimal("10.00")


@pytest.mark.parametrize("text", ["-5", "-0.01"])
def test_negative_amount_is_refused(text):
    with pytest.raises(InputError, match="must not be negative"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["0", "0.00", "-0"])
def test_zero_amount_is_refused(text):
    with pytest.raises(InputError, match="greater than zero"):
        parse_amount(text)


def test_zero_and_negative_allowed_on_request():
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")
    assert parse_amount("-5.5", allow_negative=True) == Decimal("-5.50")


@pytest.mark.parametrize(
    "text", ["abc", "", "  ", "1,190.50", "12 EUR", "€5", "1.2.3", "1e3", "1_000", "0x10"]
)
def test_non_numeric_amount_is_refused(text):
    with pytest.raises(InputError, match="is not a number"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["NaN", "nan", "sNaN", "inf", "-Infinity", "Infinity"])
def test_nan_and_infinity_are_refused(text):
    with pytest.raises(InputError, match="is not a number"):
        parse_amount(text)


def test_error_names_the_field():
    with pytest.raises(InputError) as info:
        parse_amount("abc", field="allocation to INV-1")
    assert info.value.message.startswith("allocation to INV-1:")
    assert info.value.exit_code == 2


def test_float_raises_type_error_everywhere():
    with pytest.raises(TypeError):
        parse_amount(10.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_minor(10.5)  # type: ignore[arg-type]


def test_jpy_has_no_decimals():
    assert exponent("JPY") == 0
    assert exponent("jpy") == 0
    assert parse_amount("1000", "JPY") == Decimal("1000")
    assert to_minor(Decimal("1000"), "JPY") == 1000
    assert from_minor(1000, "JPY") == Decimal("1000")
    with pytest.raises(InputError, match="more than 0 decimal places for JPY"):
        parse_amount("10.5", "JPY")


def test_three_decimal_currency():
    assert exponent("BHD") == 3
    assert to_minor(parse_amount("1.234", "BHD"), "BHD") == 1234
    with pytest.raises(InputError):
        parse_amount("1.2345", "BHD")


def test_to_minor_and_from_minor():
    assert to_minor(Decimal("1190.00")) == 119000
    assert to_minor(Decimal("0.01")) == 1
    assert to_minor(Decimal("1190")) == 119000
    assert from_minor(119000) == Decimal("1190.00")
    assert str(from_minor(5)) == "0.05"
    assert str(from_minor(-5)) == "-0.05"
    assert format_amount(119000) == "1190.00"
    assert format_amount(100, "JPY") == "100"


def test_to_minor_refuses_lost_precision():
    with pytest.raises(ValueError, match="whole number of minor units"):
        to_minor(Decimal("10.001"))


@given(
    st.integers(min_value=-MAX_AMOUNT_MINOR, max_value=MAX_AMOUNT_MINOR),
    st.sampled_from(["EUR", "JPY", "BHD", "USD"]),
)
def test_minor_round_trip(minor, currency):
    assert to_minor(from_minor(minor, currency), currency) == minor
    assert parse_amount(
        format_amount(minor, currency), currency, allow_zero=True, allow_negative=True
    ) == from_minor(minor, currency)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.125", "0.12"),  # half to even: down
        ("0.135", "0.14"),  # half to even: up
        ("2.675", "2.68"),
        ("2.665", "2.66"),
        ("-0.125", "-0.12"),
        ("1.005", "1.00"),
        ("1.0051", "1.01"),  # above half always rounds up
    ],
)
def test_quantize_is_half_even(value, expected):
    assert quantize(Decimal(value)) == Decimal(expected)
    assert str(quantize(Decimal(value))) == expected


def test_quantize_jpy():
    assert quantize(Decimal("2.5"), "JPY") == Decimal("2")
    assert quantize(Decimal("3.5"), "JPY") == Decimal("4")


def test_normalise_currency():
    assert normalise_currency("eur") == "EUR"
    assert normalise_currency(None) == "EUR"
    assert normalise_currency(" usd ") == "USD"
    for bad in ("EURO", "E1R", "eu"):
        with pytest.raises(InputError, match="3-letter ISO code"):
            normalise_currency(bad)


@pytest.mark.parametrize(
    "text", ["100000000000000000000", "92233720368547758.08", "100000000000000000000000000000"]
)
def test_amount_beyond_64_bit_minor_units_is_refused_as_input_error(text):
    # stored as BigInteger minor units; larger values must be bad input, not a crash
    with pytest.raises(InputError, match="too large"):
        parse_amount(text)


def test_the_largest_amount_is_accepted_and_one_minor_unit_more_refused():
    # one limit for every amount (#14), well below 2**63 - 1 so that sums fit too
    assert to_minor(parse_amount("9999999999.99")) == MAX_AMOUNT_MINOR == 10**12 - 1
    assert to_minor(parse_amount("-9999999999.99", allow_negative=True)) == -MAX_AMOUNT_MINOR
    assert to_minor(parse_amount("999999999999", "JPY"), "JPY") == MAX_AMOUNT_MINOR
    for text, currency in [("10000000000.00", "EUR"), ("92233720368547758.07", "EUR")]:
        with pytest.raises(InputError, match=r"too large \(at most 9999999999\.99 EUR\)"):
            parse_amount(text, currency)
    with pytest.raises(InputError, match=r"at most 999999999999 JPY"):
        parse_amount("1000000000000", "JPY")


@pytest.mark.parametrize(
    "value", ["10000000000.00", "-10000000000", "92233720368547758.07", "1e400"]
)
def test_to_minor_refuses_what_is_above_the_limit(value):
    # every amount on its way into the database, from a reader or a service, goes through it
    with pytest.raises(AmountTooLarge) as caught:
        to_minor(Decimal(value), "EUR", "closing balance")
    assert caught.value.field == "closing balance"
    assert caught.value.message == f"closing balance: {caught.value.problem}"
    assert "too large (at most 9999999999.99 EUR)" in caught.value.problem

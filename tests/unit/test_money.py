"""Money parsing and rounding: Decimal in code, integer minor units in storage, never float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payctl.domain.money import (
    MAX_AMOUNT_MINOR,
    USUAL_EXPONENT,
    AmountTooLarge,
    exponent,
    format_amount,
    from_minor,
    minor_bound,
    normalise_currency,
    parse_amount,
    parse_number,
    quantize,
    to_minor,
    unusual_exponents,
    writeoff_limit,
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
    value = parse_amount(text, "EUR")
    assert value == expected
    assert isinstance(value, Decimal)
    # always carries the currency's number of places
    assert value.as_tuple().exponent == -2


def test_parse_amount_keeps_exact_value_for_large_amounts():
    assert parse_amount("1234567890.12", "EUR") == Decimal("1234567890.12")


@pytest.mark.parametrize("text", ["10.001", "0.005", "1.999"])
def test_over_precise_amount_is_refused(text):
    with pytest.raises(InputError, match="more than 2 decimal places for EUR"):
        parse_amount(text, "EUR")


def test_trailing_zeros_beyond_precision_are_fine():
    assert parse_amount("10.000", "EUR") == Decimal("10.00")


@pytest.mark.parametrize("text", ["-5", "-0.01"])
def test_negative_amount_is_refused(text):
    with pytest.raises(InputError, match="must not be negative"):
        parse_amount(text, "EUR")


@pytest.mark.parametrize("text", ["0", "0.00", "-0"])
def test_zero_amount_is_refused(text):
    with pytest.raises(InputError, match="greater than zero"):
        parse_amount(text, "EUR")


def test_zero_and_negative_allowed_on_request():
    assert parse_amount("0", "EUR", allow_zero=True) == Decimal("0.00")
    assert parse_amount("-5.5", "EUR", allow_negative=True) == Decimal("-5.50")


@pytest.mark.parametrize(
    "text", ["abc", "", "  ", "1,190.50", "12 EUR", "€5", "1.2.3", "1e3", "1_000", "0x10"]
)
def test_non_numeric_amount_is_refused(text):
    with pytest.raises(InputError, match="is not a number"):
        parse_amount(text, "EUR")


@pytest.mark.parametrize("text", ["NaN", "nan", "sNaN", "inf", "-Infinity", "Infinity"])
def test_nan_and_infinity_are_refused(text):
    with pytest.raises(InputError, match="is not a number"):
        parse_amount(text, "EUR")


def test_error_names_the_field():
    with pytest.raises(InputError) as info:
        parse_amount("abc", "EUR", field="allocation to INV-1")
    assert info.value.message.startswith("allocation to INV-1:")
    assert info.value.exit_code == 2


def test_float_raises_type_error_everywhere():
    with pytest.raises(TypeError):
        parse_amount(10.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_minor(10.5, "EUR")  # type: ignore[arg-type]


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
    assert to_minor(Decimal("1190.00"), "EUR") == 119000
    assert to_minor(Decimal("0.01"), "EUR") == 1
    assert to_minor(Decimal("1190"), "EUR") == 119000
    assert from_minor(119000, "EUR") == Decimal("1190.00")
    assert str(from_minor(5, "EUR")) == "0.05"
    assert str(from_minor(-5, "EUR")) == "-0.05"
    assert format_amount(119000, "EUR") == "1190.00"
    assert format_amount(100, "JPY") == "100"


@given(
    st.integers(min_value=-MAX_AMOUNT_MINOR, max_value=MAX_AMOUNT_MINOR)
    | st.integers(min_value=-1000, max_value=1000),
    st.sampled_from(["EUR", "JPY", "KWD", "CLF", "usd"]),
)
def test_format_amount_is_the_decimal_written_out(minor, currency):
    """format_amount writes with integers what str(from_minor(...)) writes (small amounts and
    negatives included: ``0.05``, ``-0.05``, ``0.000``)."""
    assert format_amount(minor, currency) == str(from_minor(minor, currency))


def test_to_minor_refuses_lost_precision():
    with pytest.raises(ValueError, match="whole number of minor units"):
        to_minor(Decimal("10.001"), "EUR")


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
    assert quantize(Decimal(value), "EUR") == Decimal(expected)
    assert str(quantize(Decimal(value), "EUR")) == expected


def test_quantize_jpy():
    assert quantize(Decimal("2.5"), "JPY") == Decimal("2")
    assert quantize(Decimal("3.5"), "JPY") == Decimal("4")


def test_normalise_currency():
    assert normalise_currency("eur") == "EUR"
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
        parse_amount(text, "EUR")


def test_the_largest_amount_is_accepted_and_one_minor_unit_more_refused():
    # one limit for every amount (#14), well below 2**63 - 1 so that sums fit too
    assert to_minor(parse_amount("9999999999.99", "EUR"), "EUR") == MAX_AMOUNT_MINOR == 10**12 - 1
    assert (
        to_minor(parse_amount("-9999999999.99", "EUR", allow_negative=True), "EUR")
        == -MAX_AMOUNT_MINOR
    )
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


def test_exponents_are_those_of_iso_4217():
    """The short table against the ISO 4217 list (the iso4217 package ships the maintainer's
    list; babel's CLDR "digits" are display digits, not ISO minor units: HUF 0, IQD 0)."""
    from iso4217 import Currency

    wrong = {
        c.code: (exponent(c.code), c.exponent)
        for c in Currency
        if c.exponent is not None and exponent(c.code) != c.exponent
    }
    assert wrong == {}, "payctl's exponent differs from ISO 4217 (payctl, ISO): " + str(wrong)
    assert len(list(Currency)) > 150  # the whole list was read, not an empty one
    # codes without a minor unit in ISO 4217 (metals, funds) count as the usual 2
    assert exponent("XAU") == USUAL_EXPONENT


def test_unusual_exponents_groups_the_table():
    groups = unusual_exponents()
    assert USUAL_EXPONENT not in groups
    assert "JPY" in groups[0] and "KWD" in groups[3] and "CLF" in groups[4]
    assert all(exponent(code) == places for places, codes in groups.items() for code in codes)


@pytest.mark.parametrize(
    ("currency", "text", "minor", "shown"),
    [
        ("EUR", "1190.50", 119050, "1190.50"),
        ("JPY", "1190", 1190, "1190"),
        ("KWD", "1190.505", 1190505, "1190.505"),
        ("CLF", "1.2345", 12345, "1.2345"),
    ],
)
def test_each_currency_keeps_its_own_places(currency, text, minor, shown):
    assert to_minor(parse_amount(text, currency), currency) == minor
    assert format_amount(minor, currency) == shown


def test_kwd_refuses_a_fourth_decimal_and_pads_to_three():
    assert str(parse_amount("5", "KWD")) == "5.000"
    with pytest.raises(InputError, match="more than 3 decimal places for KWD"):
        parse_amount("1.0005", "KWD")


def test_parse_number_is_the_currency_free_part():
    assert parse_number("1.00001") == Decimal("1.00001")
    assert parse_number("-2", allow_negative=True) == Decimal("-2")
    with pytest.raises(InputError, match="amount_min: -2 must not be negative"):
        parse_number("-2", field="amount_min")
    with pytest.raises(InputError, match="is not a number"):
        parse_number("1e3")
    with pytest.raises(TypeError):
        parse_number(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "places", "upper", "expected"),
    [
        ("100.5", 0, True, 100),  # at most 100.5 yen: at most 100
        ("100.5", 0, False, 101),  # at least 100.5 yen: at least 101
        ("100.5", 2, True, 10050),
        ("100.5", 3, False, 100500),
        ("0.0001", 2, False, 1),
        ("-0.5", 0, True, -1),
        ("1" + "0" * 30, 2, True, MAX_AMOUNT_MINOR + 1),  # no amount is larger: clamped
        ("1" + "0" * 30, 0, False, MAX_AMOUNT_MINOR + 1),
    ],
)
def test_minor_bound_rounds_towards_the_amounts_it_admits(value, places, upper, expected):
    assert minor_bound(Decimal(value), places, upper=upper) == expected


@pytest.mark.parametrize(
    ("tolerance", "currency", "expected"),
    [
        ("1.00", "EUR", 100),
        ("1.00", "JPY", 1),  # 1 yen, not 100: the tolerance is applied in the currency
        ("1.00", "KWD", 1000),
        ("0.50", "JPY", 0),  # a fraction of a yen is no yen (never an error)
        ("0.505", "EUR", 50),  # rounded down: nothing above the tolerance is written off
        ("0", "EUR", 0),
        ("-1", "EUR", 0),
    ],
)
def test_writeoff_limit_is_the_tolerance_in_each_currency(tolerance, currency, expected):
    assert writeoff_limit(Decimal(tolerance), currency) == expected

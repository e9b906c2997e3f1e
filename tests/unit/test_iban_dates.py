"""IBAN check digits and date parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from payctl.domain.dates import parse_date
from payctl.domain.iban import is_valid_iban, normalise_iban, parse_iban
from payctl.errors import InputError


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "NL91ABNA0417164300",
        "BE68539007547034",
        "FR1420041010050500013M02606",
    ],
)
def test_valid_ibans(iban):
    assert is_valid_iban(iban)
    assert parse_iban(iban) == iban


def test_iban_is_normalised():
    assert normalise_iban("de89 3704-0044 0532 0130 00") == "DE89370400440532013000"
    assert parse_iban(" de89 3704 0044 0532 0130 00") == "DE89370400440532013000"


@pytest.mark.parametrize(
    "iban",
    [
        "DE88370400440532013000",  # wrong check digits
        "DE89370400440532013001",  # altered account number
        "DE89",  # too short
        "1289370400440532013000",  # no country code
        "DE89 3704 0044 0532 0130 00!",
        "",
    ],
)
def test_invalid_ibans(iban):
    assert not is_valid_iban(iban)
    with pytest.raises(InputError, match="is not a valid IBAN"):
        parse_iban(iban, field="iban")


def test_iban_error_names_the_field():
    with pytest.raises(InputError) as info:
        parse_iban("XX00", field="partner iban")
    assert info.value.message.startswith("partner iban: 'XX00'")


def test_parse_date_forms():
    assert parse_date("2026-01-05") == dt.date(2026, 1, 5)
    assert parse_date(" 2026-01-05 ") == dt.date(2026, 1, 5)
    assert parse_date("2026-01-05 00:00:00") == dt.date(2026, 1, 5)  # a spreadsheet date cell
    assert parse_date("2026-01-05T00:00") == dt.date(2026, 1, 5)
    assert parse_date(dt.date(2026, 3, 1)) == dt.date(2026, 3, 1)
    assert parse_date(dt.datetime(2026, 3, 1)) == dt.date(2026, 3, 1)
    assert parse_date("today") == dt.date.today()
    assert parse_date(None) is None
    assert parse_date("1900-01-01") == dt.date(1900, 1, 1)
    assert parse_date("2199-12-31") == dt.date(2199, 12, 31)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "the value is empty"),
        ("  ", "the value is empty"),
        ("2026-01-05T10:30:00", "has a time of day"),
        ("2026-01-05 10:30", "has a time of day"),
        (dt.datetime(2026, 3, 1, 23, 59), "has a time of day"),
        ("1899-12-31", "outside the dates payctl books (1900–2199)"),
        ("2200-01-01", "outside the dates payctl books"),
        ("0001-01-01", "outside the dates payctl books"),
        (dt.date(9999, 12, 31), "outside the dates payctl books"),
    ],
)
def test_empty_timed_and_implausible_dates_are_refused(value, problem):
    """They used to mean today (empty), be cut to the date (a time), or be booked."""
    with pytest.raises(InputError) as info:
        parse_date(value, "date_from")
    assert info.value.message.startswith("date_from: ") and problem in info.value.message
    assert info.value.exit_code == 2


@pytest.mark.parametrize("text", ["05.01.2026", "2026-13-01", "2026-02-30", "yesterday", "abc"])
def test_bad_dates_are_refused_naming_the_field(text):
    with pytest.raises(InputError) as info:
        parse_date(text, "due_date")
    assert info.value.message.startswith("due_date: ")
    assert "YYYY-MM-DD" in info.value.message
    assert info.value.exit_code == 2

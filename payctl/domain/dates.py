"""Parsing user-supplied dates: the one parser of every date option and date file field."""

from __future__ import annotations

import datetime as dt
import re

from payctl.errors import InputError

# No booking happens before or after these: a date outside is a typo (20226-01-01, 1026-...).
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)
# The longest cash forecast, in weeks: ten years; a longer horizon is a typo.
MAX_FORECAST_WEEKS = 520

# What a spreadsheet writes for a date cell read as text: the date at midnight.
_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})[T ]00:00(?::00(?:\.0+)?)?")


def check_plausible(value: dt.date, field: str = "date") -> dt.date:
    """``value`` unless it lies outside 1900-01-01 .. 2199-12-31."""
    if not EARLIEST <= value <= LATEST:
        raise InputError(
            f"{field}: {value.isoformat()} is outside the dates payctl books "
            f"({EARLIEST.year}–{LATEST.year})"
        )
    return value


def parse_date(value: str | dt.date | None, field: str = "date") -> dt.date | None:
    """``None`` (not given) stays None; an empty text, a date with a time of day other than
    midnight, or a date outside 1900–2199 is refused (exit 2) naming ``field``."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise InputError(f"{field}: {value.isoformat()} has a time of day: give only a date")
        return check_plausible(value.date(), field)
    if isinstance(value, dt.date):
        return check_plausible(value, field)
    text = str(value).strip()
    if not text:
        raise InputError(f"{field}: the value is empty: give a date (YYYY-MM-DD) or today")
    if text.lower() == "today":
        return dt.date.today()
    if midnight := _MIDNIGHT.fullmatch(text):
        text = midnight.group(1)
    try:
        parsed = dt.date.fromisoformat(text)
    except ValueError:
        if len(text) > 10 and text[10] in "T ":
            raise InputError(
                f"{field}: {value!r} has a time of day: give only a date (YYYY-MM-DD)"
            ) from None
        raise InputError(f"{field}: {value!r} is not a date (use YYYY-MM-DD)") from None
    return check_plausible(parsed, field)


def parse_period(
    date_from: str | dt.date | None,
    date_to: str | dt.date | None,
    names: tuple[str, str] = ("--from", "--to"),
) -> tuple[dt.date | None, dt.date | None]:
    """A period's first and last day (each optional, both included), parsed by
    :func:`parse_date` naming the options ``names``; a first day after the last is refused."""
    start, end = parse_date(date_from, names[0]), parse_date(date_to, names[1])
    if start and end and start > end:
        raise InputError(f"{names[0]} {start} is after {names[1]} {end}")
    return start, end


def is_locked(day: dt.date, lock: dt.date | None) -> bool:
    """The one lock-date rule: nothing is booked on or before the lock date (none: no lock)."""
    return lock is not None and day <= lock

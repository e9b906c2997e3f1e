"""Parsing user-supplied dates."""

from __future__ import annotations

import datetime as dt

from payctl.errors import InputError


def parse_date(value: str | dt.date | None, field: str = "date") -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if text.lower() == "today":
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text)
    except ValueError:
        raise InputError(f"{field}: {value!r} is not a date (use YYYY-MM-DD)") from None

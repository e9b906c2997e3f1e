"""Text must fit its column, and be text: no NUL character (PostgreSQL cannot store one, SQLite
would). The limits are the models' ``String(N)`` lengths, so they live in
one place: PostgreSQL refuses a longer value (an internal error once it reached the database)
while SQLite would store it, so the same input would be accepted on one backend and crash on
the other. Every ORM attribute with a length checks what is assigned to it; set-wise inserts
that build rows without ORM objects go through :func:`check_rows` (``bulk_insert``).

Dates obey the one date rule (:func:`payctl.domain.dates.check_plausible`, 1900–2199) here too,
whoever built them: a date near the end of the calendar overflows date arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import Any, TypeGuard

from sqlalchemy import Date, DateTime, Enum, String, event
from sqlalchemy.orm import DeclarativeBase

from payctl.domain.dates import EARLIEST, LATEST, check_plausible
from payctl.errors import InputError


def _too_long(field: str, value: str, limit: int) -> InputError:
    return InputError(f"{field}: {len(value)} characters, at most {limit}")


def _refuse(field: str, value: str, limit: int | None) -> None:
    """The one rule of text in a column: no NUL, at most ``limit`` characters."""
    if "\x00" in value:
        raise InputError(f"{field}: NUL character: binary data, not text")
    if limit is not None and len(value) > limit:
        raise _too_long(field, value, limit)


def check_fits(model: type[DeclarativeBase], **values: str | None) -> None:
    """Refuse any of ``values`` longer than its column of ``model`` allows, or not text."""
    table = model.__table__
    for field, value in values.items():
        if value is not None:
            _refuse(field, value, getattr(table.c[field].type, "length", None))


def check_rows(table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set-wise inserts (:func:`payctl.db.bulk.bulk_insert`), which build rows without ORM
    objects: every text value of ``rows`` obeys the same rule as an ORM attribute."""
    if not rows:
        return
    columns = list(rows[0])
    getter = itemgetter(*columns)
    tuples = [getter(row) for row in rows] if len(columns) > 1 else [(r[columns[0]],) for r in rows]
    check_columns(table, columns, tuples)


def check_columns(
    table: Any,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    by_column: Sequence[Sequence[Any]] | None = None,
) -> None:
    """:func:`check_rows` for rows given as tuples of the values of ``columns`` (and, if the
    caller has it, the same values a column at a time: ``by_column``)."""
    if not rows:
        return
    dates = [(i, c) for i, c in enumerate(columns) if _is_date(table.c[c].type)]
    texts = [
        (i, c, table.c[c].type.length) for i, c in enumerate(columns) if _is_text(table.c[c].type)
    ]
    if not texts and not dates:
        return
    if by_column is None:
        by_column = list(zip(*rows, strict=True))
    if _all_fit(by_column, texts, dates):
        return
    for row in rows:  # something does not fit: find the first value, as an attribute would
        for i, field, limit in texts:
            value = row[i]
            if isinstance(value, str):
                _refuse(field, value, limit)
        for i, field in dates:
            if row[i] is not None:
                check_plausible(row[i], field)


def _all_fit(
    by_column: Sequence[Sequence[Any]],
    texts: list[tuple[int, str, int | None]],
    dates: list[tuple[int, str]],
) -> bool:
    """The quick answer for the usual case, a column at a time (an import checks hundreds of
    thousands of values): True when every value obeys the rule of :func:`_refuse` and
    :func:`check_plausible`; False on any doubt, for the row-by-row loop to name the value."""
    if not all(_texts_fit(by_column[i], limit) for i, _field, limit in texts):
        return False
    for i, _field in dates:
        column = by_column[i]
        days = list(compress(column, map(is_not, column, repeat(None))))  # at C speed
        try:
            if days and not (min(days) >= EARLIEST and max(days) <= LATEST):
                return False
        except TypeError:  # not comparable with a date: let check_plausible say so
            return False
    return True


def _texts_fit(column: Sequence[Any], limit: int | None) -> bool:
    """The text values of a column (others are not this rule's) hold no NUL and are at most
    ``limit`` long: joined and measured at C speed."""
    try:  # the usual column: text and None only
        values: Any = list(filter(None, column))
        joined = "".join(values)
    except TypeError:  # something else than text in it
        values = [v for v in column if isinstance(v, str)]
        joined = "".join(values)
    if "\x00" in joined:
        return False
    return limit is None or not values or max(map(len, values)) <= limit


def _is_date(type_: Any) -> bool:
    return isinstance(type_, Date) and not isinstance(type_, DateTime)


def _is_text(type_: Any) -> TypeGuard[String]:
    return isinstance(type_, String) and not isinstance(type_, Enum)


def install(base: type[DeclarativeBase]) -> None:
    """Make every text attribute of every model refuse a value that does not fit its length
    or holds a NUL character."""
    for mapper in base.registry.mappers:
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            if _is_date(column.type):
                event.listen(getattr(mapper.class_, attr.key), "set", _date_checker(attr.key))
            if _is_text(column.type):
                event.listen(
                    getattr(mapper.class_, attr.key), "set", _checker(attr.key, column.type.length)
                )


def _checker(field: str, limit: int | None) -> Any:
    def check(_target: object, value: object, _old: object, _initiator: object) -> object:
        if isinstance(value, str):
            _refuse(field, value, limit)
        return value

    return check


def _date_checker(field: str) -> Any:
    def check(_target: object, value: object, _old: object, _initiator: object) -> object:
        if isinstance(value, dt.date):
            check_plausible(value, field)
        return value

    return check

"""The rules every filtered, sorted and paged listing shares (`payctl list`, `payctl invoice
list`), each written once: an empty filter value, a date range, amount bounds read in each row's
currency, the text search, the sort keys, limit and offset. Each builds SQL: no listing loads
rows to filter them in Python."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.domain.dates import parse_date
from payctl.domain.money import USUAL_EXPONENT, minor_bound, parse_number, unusual_exponents
from payctl.errors import InputError

# Any SELECT, whatever its columns.
AnySelect = TypeVar("AnySelect", bound="Select[*tuple[Any, ...]]")

# How a filter field is named in messages when its option is not simply its name.
_SHOWN = {"text": "search"}


class RawFilter:
    """Base of the frozen dataclasses holding a listing's filters as raw user strings.

    An empty value is refused, never read as "no filter": `bulk delete --state draft --partner
    "$UNSET"` must not delete every draft."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, str) and not value.strip():
                raise InputError(
                    f"{_SHOWN.get(name, name)}: the value is empty: give a value or leave it out"
                )

    def is_empty(self) -> bool:
        return all(value is None or value is False for value in vars(self).values())


def date_range(
    column: Any, date_from: str | None, date_to: str | None
) -> list[ColumnElement[bool]]:
    """``--date-from``/``--date-to``: both days included."""
    conditions: list[ColumnElement[bool]] = []
    if date_from:
        conditions.append(column >= parse_date(date_from, "date_from"))
    if date_to:
        conditions.append(column <= parse_date(date_to, "date_to"))
    return conditions


def amount_bound(
    text: str, field: str, currency: Any, *, upper: bool = False
) -> ColumnElement[int]:
    """A ``--amount-min``/``--amount-max`` bound read in each row's own ``currency`` (a
    column): ``100`` is 100.00 EUR, 100 JPY and 100.000 KWD. A bound finer than a currency's
    minor unit keeps exactly the amounts it says (``--amount-max 100.5`` is at most 100 JPY)."""
    value = parse_number(text, field=field)

    def minor(places: int) -> ColumnElement[int]:
        return literal(minor_bound(value, places, upper=upper), BigInteger)

    return case(
        *((currency.in_(codes), minor(places)) for places, codes in unusual_exponents().items()),
        else_=minor(USUAL_EXPONENT),
    )


def amount_range(
    amount: Any, currency: Any, amount_min: str | None, amount_max: str | None
) -> list[ColumnElement[bool]]:
    """``--amount-min``/``--amount-max`` on an ``amount`` column of minor units."""
    conditions: list[ColumnElement[bool]] = []
    if amount_min:
        conditions.append(amount >= amount_bound(amount_min, "amount_min", currency))
    if amount_max:
        conditions.append(amount <= amount_bound(amount_max, "amount_max", currency, upper=True))
    return conditions


def text_search(text: str, columns: Sequence[Any], id_column: Any) -> ColumnElement[bool]:
    """``--search``: the text anywhere in one of ``columns`` (any case), or the row's id
    (``42`` or ``#42``)."""
    pattern = f"%{text.lower()}%"
    return or_(
        *(func.lower(column).like(pattern) for column in columns),
        cast(id_column, String) == text.strip().lstrip("#"),
    )


def sort_order(sort: str, sortable: Mapping[str, Any], id_column: Any) -> list[Any]:
    """``--sort KEY`` (``-KEY`` descending), rows without a value last, the id breaking ties
    in the same direction."""
    key = sort.lstrip("-")
    if key not in sortable:
        raise InputError(
            f"sort: {sort!r} is not one of {', '.join(sortable)} (prefix - to reverse)"
        )
    column = sortable[key]
    descending = sort.startswith("-")
    return [
        (column.desc() if descending else column.asc()).nulls_last(),
        id_column.desc() if descending else id_column.asc(),
    ]


def check_page(limit: int | None, offset: int) -> None:
    if limit is not None and limit < 0 or offset < 0:
        raise InputError("limit and offset must not be negative")


async def count(session: AsyncSession, stmt: Select[*tuple[Any, ...]]) -> int:
    """How many rows ``stmt`` (filtered, not yet sorted or paged) selects."""
    return (await session.scalar(select(func.count()).select_from(stmt.subquery()))) or 0


def paged(stmt: AnySelect, limit: int | None, offset: int) -> AnySelect:
    stmt = stmt.offset(offset)
    return stmt if limit is None else stmt.limit(limit)

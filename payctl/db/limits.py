"""Text must fit its column. The limits are the models' ``String(N)`` lengths, so they live in
one place: PostgreSQL refuses a longer value (an internal error once it reached the database)
while SQLite would store it, so the same input would be accepted on one backend and crash on
the other. Every ORM attribute with a length checks what is assigned to it; set-wise inserts
that build rows without ORM objects call :func:`check_fits` for their typed fields.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Enum, String, event
from sqlalchemy.orm import DeclarativeBase

from payctl.errors import InputError


def _too_long(field: str, value: str, limit: int) -> InputError:
    return InputError(f"{field}: {len(value)} characters, at most {limit}")


def check_fits(model: type[DeclarativeBase], **values: str | None) -> None:
    """Refuse any of ``values`` longer than its column of ``model`` allows."""
    table = model.__table__
    for field, value in values.items():
        limit = getattr(table.c[field].type, "length", None)
        if value is not None and limit is not None and len(value) > limit:
            raise _too_long(field, value, limit)


def install(base: type[DeclarativeBase]) -> None:
    """Make every length-limited attribute of every model refuse a value that does not fit."""
    for mapper in base.registry.mappers:
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            if isinstance(column.type, Enum) or not isinstance(column.type, String):
                continue
            if column.type.length is None:
                continue
            event.listen(
                getattr(mapper.class_, attr.key), "set", _checker(attr.key, column.type.length)
            )


def _checker(field: str, limit: int) -> Any:
    def check(_target: object, value: object, _old: object, _initiator: object) -> object:
        if isinstance(value, str) and len(value) > limit:
            raise _too_long(field, value, limit)
        return value

    return check

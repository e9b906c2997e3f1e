"""Set-wise inserts of many rows with as little per-row overhead as possible.

On SQLite the rows go straight to the driver's ``executemany`` (values converted here exactly
as SQLAlchemy's SQLite types store them); on PostgreSQL through SQLAlchemy Core, which asyncpg
already executes efficiently. Used for the big inserts of imports and bulk runs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from enum import Enum
from operator import itemgetter
from typing import Any

from sqlalchemy import Date, DateTime, FromClause, Table, insert, update
from sqlalchemy import Enum as SAEnum
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from payctl.db.engine import dialect_name
from payctl.db.limits import check_columns


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime):
        # SQLAlchemy's SQLite DATETIME storage format (naive; payctl stores UTC).
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def bulk_insert(
    session: AsyncSession, table: FromClause, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert rows that all have the same keys (column names of ``table``).

    ``table`` is a model's ``__table__`` (typed ``FromClause`` by SQLAlchemy; must be a Table).
    """
    if not isinstance(table, Table):
        raise TypeError(f"bulk_insert needs a Table, got {type(table).__name__}")
    if not rows:
        return
    columns = list(rows[0])
    getter = itemgetter(*columns)
    params = [getter(row) for row in rows] if len(columns) > 1 else [(r[columns[0]],) for r in rows]
    await insert_rows(session, table, columns, params, rows)


async def insert_rows(
    session: AsyncSession,
    table: FromClause,
    columns: Sequence[str],
    params: Sequence[Sequence[Any]],
    mappings: Sequence[dict[str, Any]] | None = None,
) -> None:
    """:func:`bulk_insert` for rows given as tuples of the values of ``columns``, in that order
    (the big inserts build tuples: a dict per row costs more than the row's SQL on SQLite).
    ``mappings``: the same rows as dicts, if the caller has them (PostgreSQL takes dicts)."""
    if not isinstance(table, Table):
        raise TypeError(f"bulk_insert needs a Table, got {type(table).__name__}")
    if not params:
        return
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise KeyError(f"{table.name} has no column(s) {unknown}")
    by_column = list(zip(*params, strict=True))
    if len(by_column) != len(columns):
        raise ValueError(f"{table.name}: rows of {len(by_column)} values, {len(columns)} columns")
    # the text rule of every ORM attribute (db/limits.py)
    check_columns(table, columns, params, by_column)
    if dialect_name(session) != "sqlite":
        if mappings is None:
            mappings = [dict(zip(columns, row, strict=True)) for row in params]
        await session.execute(insert(table), list(mappings))
        return
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    connection = await session.connection()
    await connection.exec_driver_sql(sql, _sqlite_params(table, columns, params, by_column))


def _sqlite_params(
    table: Table,
    columns: Sequence[str],
    params: Sequence[Sequence[Any]],
    by_column: list[tuple[Any, ...]],
) -> Sequence[Sequence[Any]]:
    """The rows with their values converted as SQLAlchemy's SQLite types store them. Only the
    columns whose values need it are touched, a column at a time (zip transposes at C speed);
    dates and timestamps repeat a lot, so each distinct value is converted once."""
    converted = [
        i for i, c in enumerate(columns) if isinstance(table.c[c].type, (Date, DateTime, SAEnum))
    ]
    if not converted:
        return params
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            return cache[value]
        except KeyError:
            return cache.setdefault(value, _sqlite_value(value))

    for i in converted:
        by_column[i] = tuple(map(convert, by_column[i]))
    return list(zip(*by_column, strict=True))


class BatchedUpdates:
    """Column changes of loaded ORM objects, written with one UPDATE per table and column set.

    The new values go onto the objects as committed state (no unit-of-work change tracking,
    which costs more than the SQL for a batch of 1000), then ``write`` sends them as
    executemany UPDATEs by primary key.
    """

    def __init__(self) -> None:
        self._rows: dict[type, dict[int, dict[str, Any]]] = defaultdict(dict)

    def set(self, obj: Any, **values: Any) -> None:
        for key, value in values.items():
            set_committed_value(obj, key, value)
        self._rows[type(obj)].setdefault(obj.id, {"id": obj.id}).update(values)

    async def write(self, session: AsyncSession) -> None:
        for model, rows in self._rows.items():
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
            for row in rows.values():
                groups[tuple(sorted(row))].append(row)
            for group in groups.values():
                await session.execute(update(model), group)
        self._rows.clear()

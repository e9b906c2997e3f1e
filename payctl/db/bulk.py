"""Set-wise inserts of many rows with as little per-row overhead as possible.

On SQLite the rows go straight to the driver's ``executemany`` (values converted here exactly
as SQLAlchemy's SQLite types store them). On PostgreSQL a large insert goes through asyncpg's
``COPY`` (``copy_records_to_table``, binary, on the session's own connection and transaction:
several times faster than the prepared ``executemany`` SQLAlchemy issues, benchmarks/README.md
"Issue 12: PostgreSQL"); a small one through SQLAlchemy Core. Used for the big inserts of
imports and bulk runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import Enum
from itertools import repeat
from operator import is_, itemgetter
from typing import Any

from sqlalchemy import Date, DateTime, FromClause, Table, bindparam, insert, update
from sqlalchemy import Enum as SAEnum
from sqlalchemy.ext.asyncio import AsyncSession

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
    params = list(map(getter, rows)) if len(columns) > 1 else [(r[columns[0]],) for r in rows]
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
    dialect = dialect_name(session)
    if dialect == "postgresql" and len(params) >= COPY_MIN_ROWS and _copyable(table, columns):
        await _copy(session, table, columns, by_column)
        return
    if dialect != "sqlite":
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
    for i in converted:
        by_column[i] = _converted(by_column[i], _sqlite_value)
    return list(zip(*by_column, strict=True))


def _converted(column: Sequence[Any], convert: Any) -> tuple[Any, ...]:
    """``column`` with ``convert`` applied to each value but None: once per distinct value
    (dates, timestamps and states repeat a lot), then looked up at C speed. A column of one
    object throughout (a unit of work's timestamp on every row) is converted once, without
    hashing its values."""
    if column:
        first = column[0]
        if all(map(is_, column, repeat(first))):  # stops at the first other object
            return (None if first is None else convert(first),) * len(column)
    try:
        table = {v: convert(v) for v in dict.fromkeys(column) if v is not None}
    except TypeError:  # an unhashable value: convert one by one
        return tuple(None if v is None else convert(v) for v in column)
    table[None] = None
    return tuple(map(table.__getitem__, column))


# Below this many rows the prepared executemany costs less than COPY's setup (asyncpg reads
# the table's column types first).
COPY_MIN_ROWS = 200


def _copyable(table: Table, columns: Sequence[str]) -> bool:
    """COPY writes what it is given: every column with a Python-side default (which
    SQLAlchemy's insert would fill in) must be among ``columns``."""
    given = set(columns)
    return all(c.name in given for c in table.c if c.default is not None)


async def _copy(
    session: AsyncSession, table: Table, columns: Sequence[str], by_column: list[Any]
) -> None:
    """The rows (a column at a time) inserted by binary COPY on the session's asyncpg
    connection, in its transaction. Values go through the same bind processors as
    SQLAlchemy's own path (on asyncpg only the enum columns have one: member -> value, an
    unknown name refused); driver errors come back as SQLAlchemy's (IntegrityError, ...), as
    from an execute."""
    import asyncpg
    from sqlalchemy import exc as sa_exc

    connection = await session.connection()
    dialect = connection.dialect
    for i, name in enumerate(columns):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            by_column[i] = _converted(by_column[i], process)
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # a checked-out connection
    if not driver.is_in_transaction():  # SQLAlchemy begins lazily, at the first statement
        await connection.exec_driver_sql("SELECT 1")
    try:
        await driver.copy_records_to_table(
            table.name, records=zip(*by_column, strict=True), columns=list(columns)
        )
    except asyncpg.PostgresError as error:
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        wrap = (
            sa_exc.IntegrityError
            if isinstance(error, asyncpg.IntegrityConstraintViolationError)
            else sa_exc.DBAPIError
        )
        raise wrap(statement, None, error) from error


async def update_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows of ``table`` by primary key: each dict holds its ``id`` and new values, every dict
    the same columns. One executemany UPDATE; on PostgreSQL a large group is one UPDATE ...
    FROM unnest(arrays) instead."""
    if not rows:
        return
    keys = tuple(sorted(rows[0]))
    dialect = dialect_name(session)
    if dialect == "postgresql" and len(rows) >= COPY_MIN_ROWS and _unnestable(table, keys):
        await _update_from_arrays(session, table, keys, rows)
        return
    if dialect == "sqlite" and _unnestable(table, keys):
        await _update_executemany(session, table, keys, rows)
        return
    stmt = update(table).where(table.c.id == bindparam("row_id"))
    await session.execute(
        stmt, [{"row_id": row["id"], **{k: v for k, v in row.items() if k != "id"}} for row in rows]
    )


def _unnestable(table: Table, keys: Sequence[str]) -> bool:
    """One UPDATE ... FROM unnest(arrays) does what SQLAlchemy's executemany would: rows by
    the integer primary key ``id``, and no column SQLAlchemy would set by itself (onupdate)
    left out."""
    given = set(keys)
    return "id" in given and all(c.name in given for c in table.c if c.onupdate is not None)


def _processed_columns(
    dialect: Any, table: Table, names: Sequence[str], rows: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows' values of ``names``, a column at a time, through the columns' bind processors
    (what SQLAlchemy's own executemany would send)."""
    columns = []
    for name in names:
        column = tuple(map(itemgetter(name), rows))
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(column if process is None else _converted(column, process))
    return columns


async def _update_executemany(
    session: AsyncSession, table: Table, keys: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    """SQLite: the UPDATE by id straight to the driver's executemany, the values converted by
    the columns' bind processors (SQLAlchemy's executemany builds and processes a parameter
    dict per row: more CPU than the row's UPDATE itself)."""
    connection = await session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = [c.name for c in table.c if c.name in keys and c.name != "id"]
    sql = (
        f"UPDATE {quote(table.name)} SET "
        + ", ".join(f"{quote(n)}=?" for n in names)
        + f" WHERE {quote(table.name)}.id = ?"
    )
    columns = _processed_columns(dialect, table, [*names, "id"], rows)
    await connection.exec_driver_sql(sql, list(zip(*columns, strict=True)))


async def _update_from_arrays(
    session: AsyncSession, table: Table, keys: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    """PostgreSQL: the rows' new values as one array per column, joined by id in one UPDATE
    (one statement instead of one bind-and-execute per row: several times faster on a batch of
    thousands). Values through the columns' bind processors, as SQLAlchemy's path."""
    connection = await session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = ["id", *(k for k in keys if k != "id")]
    arrays = [list(c) for c in _processed_columns(dialect, table, names, rows)]
    types = [table.c[name].type.compile(dialect=dialect) for name in names]
    sql = (
        f"UPDATE {quote(table.name)} AS t SET "
        + ", ".join(f"{quote(n)} = v.{quote(n)}" for n in names[1:])
        + " FROM unnest("
        + ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, 1))
        + ") AS v("
        + ", ".join(quote(n) for n in names)
        + ") WHERE t.id = v.id"
    )
    await connection.exec_driver_sql(sql, tuple(arrays))

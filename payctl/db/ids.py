"""Allocating primary keys for set-wise inserts.

``INSERT ... RETURNING`` with guaranteed row order gets slow on SQLite for large batches (it
falls back to one sentinel per row), so bulk inserts take their ids up front and insert with
``executemany``: on SQLite after the highest id the table ever handed out (its AUTOINCREMENT
counter in ``sqlite_sequence``, which the explicit inserts then move on) — safe because write
transactions hold the database write lock (``BEGIN IMMEDIATE``) — and on PostgreSQL from the
table's own sequence. Never from MAX(id): that is the id of a deleted last row again.
"""

from __future__ import annotations

from sqlalchemy import FromClause, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.engine import dialect_name


async def allocate_ids(session: AsyncSession, table: FromClause, count: int) -> list[int]:
    """Reserve ``count`` new ids for ``table`` (a model's ``__table__``)."""
    if not isinstance(table, Table):
        raise TypeError(f"allocate_ids needs a Table, got {type(table).__name__}")
    if count <= 0:
        return []
    dialect = dialect_name(session)
    if dialect == "postgresql":
        rows = await session.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                "FROM generate_series(1, :count)"
            ),
            {"table": table.name, "count": count},
        )
        return sorted(r[0] for r in rows)
    counter = await session.scalar(
        text("SELECT seq FROM sqlite_sequence WHERE name = :table"), {"table": table.name}
    )
    top = await session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    first = max(int(counter or 0), int(top or 0)) + 1
    return list(range(first, first + count))

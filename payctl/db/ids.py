"""Allocating primary keys for set-wise inserts.

``INSERT ... RETURNING`` with guaranteed row order gets slow on SQLite for large batches (it
falls back to one sentinel per row), so bulk inserts take their ids up front and insert with
``executemany``: on SQLite from MAX(id) — safe because write transactions hold the database
write lock (``BEGIN IMMEDIATE``) — and on PostgreSQL from the table's own sequence.
"""

from __future__ import annotations

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession


async def allocate_ids(session: AsyncSession, table: Table, count: int) -> list[int]:
    if count <= 0:
        return []
    dialect = session.bind.dialect.name
    if dialect == "postgresql":
        rows = await session.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                "FROM generate_series(1, :count)"
            ),
            {"table": table.name, "count": count},
        )
        return sorted(r[0] for r in rows)
    top = await session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return list(range(int(top) + 1, int(top) + 1 + count))

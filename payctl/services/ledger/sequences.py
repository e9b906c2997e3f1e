"""Gapless per-journal, per-year counters.

The counter row is incremented with ``UPDATE ... RETURNING`` inside the consuming
transaction: PostgreSQL holds the row lock until commit and SQLite's writer lock serialises
writers, so a rolled-back transaction gives its numbers back and no number is used twice.
"""

from __future__ import annotations

from sqlalchemy import Executable, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.engine import dialect_name
from payctl.db.models import Sequence

PAYMENT = "payment"
ENTRY = "entry"


async def _ensure_row(session: AsyncSession, journal_id: int, year: int, kind: str) -> None:
    exists = await session.scalar(
        select(Sequence.id).where(
            Sequence.journal_id == journal_id, Sequence.year == year, Sequence.kind == kind
        )
    )
    if exists is not None:
        return
    dialect = dialect_name(session)
    stmt: Executable
    values = {"journal_id": journal_id, "year": year, "kind": kind, "last_value": 0}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = (
            pg_insert(Sequence)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["journal_id", "year", "kind"])
        )
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = (
            sqlite_insert(Sequence)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["journal_id", "year", "kind"])
        )
    else:  # pragma: no cover
        stmt = insert(Sequence).values(**values)
    await session.execute(stmt)


async def reserve(
    session: AsyncSession, journal_id: int, year: int, kind: str, count: int = 1
) -> int:
    """Reserve ``count`` consecutive values; return the first. The counter row is made the
    first time a journal and year need it (one UPDATE when it exists: the usual case)."""
    last = await _advance(session, journal_id, year, kind, count)
    if last is None:
        await _ensure_row(session, journal_id, year, kind)
        last = await _advance(session, journal_id, year, kind, count)
    if last is None:
        raise RuntimeError(f"sequence row for journal {journal_id}, {year}, {kind} is missing")
    return int(last) - count + 1


async def _advance(
    session: AsyncSession, journal_id: int, year: int, kind: str, count: int
) -> int | None:
    """Move the counter on by ``count``; its new last value (None: no counter row yet)."""
    return await session.scalar(
        update(Sequence)
        .where(Sequence.journal_id == journal_id, Sequence.year == year, Sequence.kind == kind)
        .values(last_value=Sequence.last_value + count)
        .returning(Sequence.last_value)
    )


def format_number(journal_code: str, year: int, value: int, kind: str) -> str:
    if kind == PAYMENT:
        return f"{journal_code}/{year}/{value:05d}"
    return f"JE/{journal_code}/{year}/{value:05d}"

"""Planner statistics after bulk loads.

PostgreSQL plans from statistics that autovacuum refreshes only on its next round (a minute
by default) once a tenth of a table changed, so right after a bulk load the planner still
sees the tables as they were: empty, or without the new payments' states, entries and links.
It then estimates the loaded rows at one or two and picks nested loops over whole tables
(`payctl check` after a large import). A load of at least ``ANALYZE_MIN_ROWS`` rows therefore
ends with ``ANALYZE`` of the tables it loaded and of the audit trail, inside its own
transaction, as the last step before the commit (after the audit records are written): rows
the transaction inserted are counted, and a failure rolls the load back and leaves through the
usual door like any other error. Smaller loads leave it to autovacuum.

SQLite: nothing. payctl never runs ANALYZE there, so the planner has no statistics to go
stale and chooses from the indexes alone; ``PRAGMA optimize`` would start keeping
``sqlite_stat1`` for the big tables, which would then go stale between loads exactly like
PostgreSQL's.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.engine import dialect_name
from payctl.db.models import AuditRecord, Base
from payctl.db.uow import before_commit

ANALYZE_MIN_ROWS = 1000


def analyze_loaded(session: AsyncSession, models: Iterable[type[Base]], rows: int) -> None:
    """After loading ``rows`` rows into the tables of ``models`` in this transaction: refresh
    the planner's statistics of those tables and of the audit trail on PostgreSQL when the load
    is a bulk one, as the last step before the commit (after the audit records are written)."""
    if rows < ANALYZE_MIN_ROWS or dialect_name(session) != "postgresql":
        return
    assert session.bind is not None
    quote = session.bind.dialect.identifier_preparer.quote
    tables: list[type[Base]] = [*models, AuditRecord]
    names = sorted({m.__tablename__ for m in tables})
    statement = text("ANALYZE " + ", ".join(quote(n) for n in names))

    async def analyze() -> None:
        await session.execute(statement)

    before_commit(session, "analyze", analyze, last=True)

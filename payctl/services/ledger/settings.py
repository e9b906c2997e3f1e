"""Ledger settings kept in the database: lock date, write-off tolerance, default currency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Setting
from payctl.domain.dates import is_locked
from payctl.errors import NotInitialised, RuleViolation

LOCK_DATE = "lock_date"
WRITEOFF_TOLERANCE = "writeoff_tolerance"
DEFAULT_WRITEOFF_TOLERANCE = Decimal("1.00")  # applied in each payment's currency
# The currency of the journals `init` creates, and of what is recorded without one (an invoice
# without a currency, a new journal); written by `init`, by migration 0007 for older databases.
CURRENCY = "currency"


async def get(session: AsyncSession, key: str) -> str | None:
    return await session.scalar(select(Setting.value).where(Setting.key == key))


async def put(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    await session.flush()


async def lock_date(session: AsyncSession) -> dt.date | None:
    value = await get(session, LOCK_DATE)
    return dt.date.fromisoformat(value) if value else None


async def writeoff_tolerance(session: AsyncSession) -> Decimal:
    value = await get(session, WRITEOFF_TOLERANCE)
    return Decimal(value) if value else DEFAULT_WRITEOFF_TOLERANCE


async def default_currency(session: AsyncSession) -> str:
    """The database's default currency (the ``currency`` setting ``init`` writes)."""
    value = await get(session, CURRENCY)
    if not value:
        raise NotInitialised("the database has no default currency: run `payctl init`")
    return value


def check_after_lock(day: dt.date, lock: dt.date | None, what: str) -> None:
    if is_locked(day, lock):
        raise RuleViolation(f"{what} dated {day} is on or before the lock date {lock}")

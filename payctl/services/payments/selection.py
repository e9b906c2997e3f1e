"""Turning what a user names (ids, numbers, a file, a filter) into payment ids, batch by batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Payment
from payctl.services.lookups import as_id
from payctl.services.payments.payment_queries import PaymentFilter, PaymentQueries

BATCH_SIZE = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class Selection:
    """Identifiers (ids or numbers, in the user's order) or, when there are none, a filter."""

    identifiers: Sequence[str] = ()
    filters: PaymentFilter | None = None


@dataclass(frozen=True)
class Repeated:
    """A payment named more than once in one run (by the same or another identifier)."""

    item: str  # its first repetition, as written
    payment_id: int
    times: int


@dataclass(frozen=True)
class Resolved:
    """Payment ids in order, identifiers that name nothing, and payments named repeatedly
    (each once, in the order of their first repetition)."""

    ids: list[tuple[str, int]]
    unknown: list[str]
    duplicates: list[Repeated]


async def resolve(session: AsyncSession, selection: Selection) -> Resolved:
    if not selection.identifiers:
        matching = await PaymentQueries(session).ids(selection.filters or PaymentFilter())
        return Resolved([(str(i), i) for i in matching], [], [])
    cleaned = [str(i).strip() for i in selection.identifiers if str(i).strip()]
    numeric = {n for n in map(as_id, cleaned) if n is not None}
    names = {i for i in cleaned if as_id(i) is None}
    found: dict[str, int] = {}
    for id_chunk in _chunks(sorted(numeric), BATCH_SIZE):
        for pid in (
            await session.execute(select(Payment.id).where(Payment.id.in_(id_chunk)))
        ).scalars():
            found[str(pid)] = pid
    for name_chunk in _chunks(sorted(names), BATCH_SIZE):
        rows = await session.execute(
            select(Payment.id, Payment.number).where(or_(Payment.number.in_(name_chunk)))
        )
        for pid, number in rows:
            if number is not None:  # always: matched by number
                found[number] = pid
    ids: list[tuple[str, int]] = []
    unknown: list[str] = []
    times: dict[int, int] = {}
    first_repeat: dict[int, str] = {}  # insertion order = order of first repetition
    for ident in cleaned:
        ident_id = as_id(ident)
        match = found.get(ident if ident_id is None else str(ident_id))
        if match is None:
            unknown.append(ident)
            continue
        times[match] = times.get(match, 0) + 1
        if times[match] == 1:
            ids.append((ident, match))
        else:
            first_repeat.setdefault(match, ident)
    duplicates = [Repeated(ident, pid, times[pid]) for pid, ident in first_repeat.items()]
    return Resolved(ids, unknown, duplicates)


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def batches(ids: list[tuple[str, int]], size: int = BATCH_SIZE) -> list[list[tuple[str, int]]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]

"""Payments as plain records for transitions of many at once, and their writes.

A bulk run confirms, resets or cancels up to 1000 payments per batch (50,000 in 50 batches).
Loading them as ORM objects (a payment, its allocations, their invoices: three instances per
payment, with change tracking) and writing their changes through the ORM cost more CPU than
all of the batch's SQL (issue 12). So a transition reads the columns it needs with plain
selects into the slotted records below, which have the attribute names of the models (every
rule that reads a ``Payment`` reads a ``PaymentRecord`` the same way), and writes their changes
with ``RowWrites``: one UPDATE per table and column set (``db.bulk.update_rows``).

ORM objects of the same rows that the session already holds (a single `payctl confirm` shows
its payment afterwards; the bank import hands loaded payments in) get the written values as
their committed state, so nothing in the session is left stale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from payctl.db.bulk import update_rows
from payctl.db.engine import dialect_name
from payctl.db.models import Invoice, Journal, Partner, Payment, PaymentAllocation
from payctl.domain.enums import InvoiceState, InvoiceType, PaymentState, PaymentType

_P = Payment.__table__
_A = PaymentAllocation.__table__
_I = Invoice.__table__


@dataclass(slots=True)
class InvoiceRecord:
    """The columns of an invoice a payment's transition reads (its residual moves)."""

    id: int
    number: str
    type: InvoiceType
    partner_id: int
    date: dt.date
    due_date: dt.date | None
    currency: str
    total: int
    residual: int
    state: InvoiceState


@dataclass(slots=True)
class AllocationRecord:
    id: int
    payment_id: int
    invoice_id: int
    amount: int
    writeoff: int
    invoice: InvoiceRecord | None = None  # set when the invoices are locked


@dataclass(slots=True)
class PaymentRecord:
    """A stored payment with its partner and journal (the ORM objects: a batch has few) and
    its allocations, in id order."""

    id: int
    number: str | None
    type: PaymentType
    state: PaymentState
    partner_id: int
    journal_id: int
    amount: int
    currency: str
    date: dt.date
    reference: str | None
    memo: str | None
    confirmed_by: str | None
    confirmed_at: dt.datetime | None
    updated_at: dt.datetime | None
    partner: Partner
    journal: Journal
    allocations: list[AllocationRecord] = field(default_factory=list)


# The stored columns a record reads: its fields up to its partner and journal objects.
_PAYMENT_COLUMNS = tuple(
    f.name for f in fields(PaymentRecord) if f.name not in ("partner", "journal", "allocations")
)
_ALLOCATION_COLUMNS = tuple(f.name for f in fields(AllocationRecord) if f.name != "invoice")
_INVOICE_COLUMNS = tuple(f.name for f in fields(InvoiceRecord))


def record_of(p: Payment) -> PaymentRecord:
    """A loaded ORM payment (partner, journal, allocations eager) as a record."""
    return _payment(
        [getattr(p, c) for c in _PAYMENT_COLUMNS],
        p.partner,
        p.journal,
        [
            AllocationRecord(a.id, a.payment_id, a.invoice_id, a.amount, a.writeoff)
            for a in p.allocations
        ],
    )


def _payment(
    columns: Sequence[Any], partner: Partner, journal: Journal, allocations: list[AllocationRecord]
) -> PaymentRecord:
    """A record from the values of ``_PAYMENT_COLUMNS`` (the record's first fields, in order)."""
    return PaymentRecord(*columns, partner, journal, allocations)  # type: ignore[call-arg]


async def load_payments(
    session: AsyncSession, ids: Sequence[int], lock: bool = False
) -> list[PaymentRecord]:
    """Payments by id, in id order (the lock order), with their allocations, partners and
    journals, in four queries. ``lock``: the payments' rows are locked on PostgreSQL (SQLite's
    writer lock already serialises)."""
    if not ids:
        return []
    stmt = select(*(_P.c[c] for c in _PAYMENT_COLUMNS)).where(_P.c.id.in_(ids)).order_by(_P.c.id)
    if lock:
        stmt = stmt.with_for_update()
    rows = (await session.execute(stmt)).all()
    if not rows:
        return []
    found = [r[0] for r in rows]
    allocations: dict[int, list[AllocationRecord]] = defaultdict(list)
    for a in (
        await session.execute(
            select(*(_A.c[c] for c in _ALLOCATION_COLUMNS))
            .where(_A.c.payment_id.in_(found))
            .order_by(_A.c.id)
        )
    ).all():
        allocations[a[1]].append(AllocationRecord(*a))
    partners = await _by_id(session, Partner, {r[4] for r in rows})
    journals = await _by_id(session, Journal, {r[5] for r in rows})
    return [_payment(r, partners[r[4]], journals[r[5]], allocations.get(r[0], [])) for r in rows]


async def _by_id(session: AsyncSession, model: Any, ids: set[int]) -> dict[int, Any]:
    objs = (await session.execute(select(model).where(model.id.in_(sorted(ids))))).scalars()
    return {o.id: o for o in objs}


async def lock_invoices(session: AsyncSession, ids: Sequence[int]) -> dict[int, InvoiceRecord]:
    """The invoices by id, read (and on PostgreSQL locked) in id order: one lock order, so
    concurrent confirms cannot deadlock."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    stmt = select(*(_I.c[c] for c in _INVOICE_COLUMNS)).where(_I.c.id.in_(wanted)).order_by(_I.c.id)
    if dialect_name(session) != "sqlite":
        stmt = stmt.with_for_update()
    return {r[0]: InvoiceRecord(*r) for r in (await session.execute(stmt)).all()}


_TABLES: dict[type, Any] = {Payment: _P, PaymentAllocation: _A, Invoice: _I}


class RowWrites:
    """Column changes of records by table and id, written with one executemany UPDATE per
    table and set of columns; the records take the new values at once."""

    def __init__(self) -> None:
        self._rows: dict[Table, dict[int, dict[str, Any]]] = defaultdict(dict)

    def set(self, table: Any, record: Any, **values: Any) -> None:
        for key, value in values.items():
            setattr(record, key, value)
        self._rows[table].setdefault(record.id, {}).update(values)

    def payment(self, record: Any, **values: Any) -> None:
        self.set(_P, record, **values)

    def allocation(self, record: Any, **values: Any) -> None:
        self.set(_A, record, **values)

    def invoice(self, record: Any, **values: Any) -> None:
        self.set(_I, record, **values)

    async def write(self, session: AsyncSession) -> None:
        for table, rows in self._rows.items():
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
            for row_id, values in rows.items():
                groups[tuple(sorted(values))].append({"id": row_id, **values})
            for group in groups.values():
                await update_rows(session, table, group)
        # ORM objects of these rows the session holds (a bulk run holds only partners and
        # journals: walking the identity map is cheaper than a lookup per row)
        for state in list(session.identity_map.all_states()):
            held = _TABLES.get(state.class_)
            if held is None or held not in self._rows or state.key is None:
                continue
            changed = self._rows[held].get(state.key[1][0])
            obj = state.obj()
            if changed and obj is not None:
                for key, value in changed.items():
                    set_committed_value(obj, key, value)
        self._rows.clear()

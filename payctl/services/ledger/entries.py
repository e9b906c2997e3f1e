"""The journal-entry core: every booking in payctl goes through ``post_entries``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.bulk import insert_rows
from payctl.db.engine import dialect_name
from payctl.db.ids import allocate_ids
from payctl.db.models import Account, Invoice, Journal, JournalEntry, JournalLine
from payctl.domain.enums import AccountRole
from payctl.domain.journal import Line, check_balanced, reversal_lines
from payctl.errors import RuleViolation
from payctl.services.ledger import sequences
from payctl.services.ledger.settings import check_after_lock, lock_date


def entry_currency() -> ColumnElement[str]:
    """The currency of a journal entry's amounts: its invoice's (an invoice may be in another
    currency than the sale or purchase journal it is booked in), else its journal's (a payment
    is in its journal's currency). For a query that joins ``Journal`` on the entry's journal and
    outer-joins ``Invoice`` on its invoice (:func:`with_entry_currency`)."""
    return func.coalesce(Invoice.currency, Journal.currency)


def with_entry_currency(stmt: Any) -> Any:
    """``stmt`` (over ``JournalEntry``) joined to what :func:`entry_currency` reads."""
    return stmt.join(Journal, Journal.id == JournalEntry.journal_id).outerjoin(
        Invoice, Invoice.id == JournalEntry.invoice_id
    )


_ENTRIES = JournalEntry.__table__
_LINES = JournalLine.__table__
_ENTRY_COLUMNS = (
    "number",
    "journal_id",
    "date",
    "source_type",
    "source_id",
    "payment_id",
    "invoice_id",
    "reversal_of_id",
    "memo",
    "created_by",
    "created_at",
)
_LINE_COLUMNS = ("entry_id", "account_id", "partner_id", "debit", "credit", "label")


@dataclass
class EntryDraft:
    journal_id: int
    journal_code: str
    date: dt.date
    source_type: str
    lines: Sequence[Line]
    source_id: int | None = None
    payment_id: int | None = None
    invoice_id: int | None = None
    reversal_of_id: int | None = None
    memo: str | None = None


@dataclass(frozen=True)
class PostedEntry:
    id: int
    number: str


def live_entry(entry: Any = JournalEntry) -> Any:
    """SQL condition: ``entry`` (the model or an alias of it) is live, neither a reversal nor
    reversed; a posted payment or booked invoice has exactly one."""
    return and_(entry.reversal_of_id.is_(None), entry.reversed_by_id.is_(None))


async def account_roles(session: AsyncSession) -> dict[AccountRole, int]:
    rows = await session.execute(select(Account.role, Account.id).where(Account.role.is_not(None)))
    return {AccountRole(role): acc_id for role, acc_id in rows if role is not None}


async def post_entries(
    session: AsyncSession,
    drafts: Sequence[EntryDraft],
    user: str,
) -> list[PostedEntry]:
    """Check, number and insert entries; numbers come from one counter update per journal-year."""
    if not drafts:
        return []
    lock = await lock_date(session)
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, draft in enumerate(drafts):
        check_balanced(draft.lines)
        check_after_lock(draft.date, lock, "journal entry")
        groups[(draft.journal_id, draft.date.year)].append(index)
    numbers: list[str] = [""] * len(drafts)
    for (journal_id, year), indexes in sorted(groups.items()):
        first = await sequences.reserve(session, journal_id, year, sequences.ENTRY, len(indexes))
        code = drafts[indexes[0]].journal_code
        for offset, index in enumerate(indexes):
            numbers[index] = sequences.format_number(code, year, first + offset, sequences.ENTRY)
    now = dt.datetime.now(dt.UTC)
    rows = [
        (
            number,
            d.journal_id,
            d.date,
            d.source_type,
            d.source_id,
            d.payment_id,
            d.invoice_id,
            d.reversal_of_id,
            d.memo,
            user,
            now,
        )
        for number, d in zip(numbers, drafts, strict=True)
    ]
    ids = await _insert_entries(session, rows, numbers)
    await insert_rows(
        session,
        _LINES,
        _LINE_COLUMNS,
        [
            (entry_id, ln.account_id, ln.partner_id, ln.debit, ln.credit, ln.label[:200] or None)
            for entry_id, d in zip(ids, drafts, strict=True)
            for ln in d.lines
        ],
    )
    return [PostedEntry(i, n) for i, n in zip(ids, numbers, strict=True)]


async def _insert_entries(
    session: AsyncSession, rows: list[tuple[Any, ...]], numbers: list[str]
) -> list[int]:
    """Insert the entries (values of ``_ENTRY_COLUMNS``, in order); their ids, in order.

    SQLite: ids taken up front (``db.ids``: the ids the inserts would get, in the rows' order,
    under the writer lock) and the rows straight to the driver's executemany, without
    SQLAlchemy's per-row RETURNING work. PostgreSQL: one INSERT ... RETURNING, the ids mapped
    back by the unique number."""
    if dialect_name(session) == "sqlite":
        ids = await allocate_ids(session, _ENTRIES, len(rows))
        await insert_rows(
            session,
            _ENTRIES,
            ("id", *_ENTRY_COLUMNS),
            [(i, *r) for i, r in zip(ids, rows, strict=True)],
        )
        return ids
    # the ids mapped back by number, not by RETURNING's row order
    result = await session.execute(
        insert(JournalEntry).returning(JournalEntry.id, JournalEntry.number),
        [dict(zip(_ENTRY_COLUMNS, r, strict=True)) for r in rows],
    )
    id_of = {number: entry_id for entry_id, number in result}
    return [id_of[number] for number in numbers]


async def load_lines(session: AsyncSession, entry_ids: Sequence[int]) -> dict[int, list[Line]]:
    rows = await session.execute(
        select(JournalLine).where(JournalLine.entry_id.in_(entry_ids)).order_by(JournalLine.id)
    )
    out: dict[int, list[Line]] = defaultdict(list)
    for ln in rows.scalars():
        out[ln.entry_id].append(
            Line(ln.account_id, ln.debit, ln.credit, ln.partner_id, ln.label or "")
        )
    return out


async def reverse_entries(
    session: AsyncSession,
    entry_ids: Sequence[int],
    user: str,
    on: dt.date | None = None,
    memo: str | None = None,
) -> list[PostedEntry]:
    """Post one reversal per entry (debits and credits swapped) and link both ways."""
    if not entry_ids:
        return []
    rows = (
        await session.execute(
            select(JournalEntry, Journal.code)
            .join(Journal, Journal.id == JournalEntry.journal_id)
            .where(JournalEntry.id.in_(entry_ids))
            .execution_options(populate_existing=True)
        )
    ).all()
    by_id = {e.id: (e, code) for e, code in rows}
    lock = await lock_date(session)
    lines = await load_lines(session, entry_ids)
    drafts = []
    for entry_id in entry_ids:
        entry, journal_code = by_id[entry_id]
        if entry.reversed_by_id is not None:
            raise RuleViolation(f"journal entry {entry.number} is already reversed")
        check_after_lock(entry.date, lock, f"reversing entry {entry.number}")
        day = max(on or dt.date.today(), entry.date)
        drafts.append(
            EntryDraft(
                journal_id=entry.journal_id,
                journal_code=journal_code,
                date=day,
                source_type=entry.source_type,
                source_id=entry.source_id,
                payment_id=entry.payment_id,
                invoice_id=entry.invoice_id,
                reversal_of_id=entry.id,
                lines=reversal_lines(lines[entry_id]),
                memo=memo or f"Reversal of {entry.number}",
            )
        )
    posted = await post_entries(session, drafts, user)
    for entry_id, rev in zip(entry_ids, posted, strict=True):  # one executemany at flush
        by_id[entry_id][0].reversed_by_id = rev.id
    await session.flush()
    return posted

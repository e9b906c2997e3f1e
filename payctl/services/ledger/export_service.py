"""ExportService: journal entries of a date range as plain records for the exporters.

Streamed, in one snapshot: two aggregate queries give the head a format writes first
(entries and lines counted, accounts used, currencies, first date), then the entries are read
in chunks of ``CHUNK`` in date and posting order (keyset on date and id, no OFFSET), each
chunk with its lines (with account and partner) in a second query by the chunk's entry ids,
and handed to the writer: memory holds one chunk, not the ledger. An export from a date on,
when asked for its opening balances, adds one query: the balance of every account and
currency before that date, summed by the database (GROUP BY account, currency).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from payctl.db.models import Account, Journal, JournalEntry, JournalLine, Partner
from payctl.db.uow import gc_paused
from payctl.domain.dates import parse_period
from payctl.domain.money import from_minor
from payctl.exporters import (
    ExportAccount,
    ExportData,
    ExportEntry,
    ExportHead,
    ExportLine,
    ExportOpening,
    Writer,
    head_accounts,
)
from payctl.services.ledger import settings
from payctl.services.ledger.entries import entry_currency, with_entry_currency
from payctl.services.ledger.integrity_service import read_snapshot

CHUNK = 2_000  # entries per chunk of a streamed export


class ExportService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    @staticmethod
    def _in_range(stmt: Select, start: dt.date | None, end: dt.date | None) -> Select:
        if start is not None:
            stmt = stmt.where(JournalEntry.date >= start)
        if end is not None:
            stmt = stmt.where(JournalEntry.date <= end)
        return stmt

    async def _openings(self, start: dt.date) -> list[ExportOpening]:
        """Per currency, the non-zero balance of each account before ``start``, by code."""
        currency = entry_currency().label("currency")
        balance = func.sum(JournalLine.debit - JournalLine.credit)
        stmt = (
            with_entry_currency(
                select(Account.code, Account.name, Account.type, currency, balance)
                .select_from(JournalLine)
                .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                .join(Account, Account.id == JournalLine.account_id)
            )
            .where(JournalEntry.date < start)
            .group_by(Account.code, Account.name, Account.type, currency)
            .having(balance != 0)
        )
        found: dict[str, list[tuple[ExportAccount, Decimal]]] = {}
        for code, name, acc_type, cur, value in await self.session.execute(stmt):
            account = ExportAccount(code, name, str(acc_type.value))
            found.setdefault(cur, []).append((account, from_minor(int(value), cur)))
        return [
            ExportOpening(start, cur, sorted(found[cur], key=lambda item: item[0].code))
            for cur in sorted(found)
        ]

    async def export_entries(
        self,
        date_from: str | dt.date | None = None,
        date_to: str | dt.date | None = None,
        openings: bool = False,
    ) -> ExportData:
        """Entries dated within [date_from, date_to] (both optional), in date and posting order;
        with ``openings`` and a ``date_from``, the balances before it too. All in memory: the
        command streams them instead (``export_to``)."""
        collected: list[ExportEntry] = []
        head = await self.export_to(lambda _head: _Collect(collected), date_from, date_to, openings)
        return ExportData(collected, head.date_from, head.date_to, head.currency, head.openings)

    async def export_to(
        self,
        open_writer: Callable[[ExportHead], Writer],
        date_from: str | dt.date | None = None,
        date_to: str | dt.date | None = None,
        openings: bool = False,
        chunk: int = CHUNK,
    ) -> ExportHead:
        """The export of ``export_entries`` given to a writer as it is read: the head first
        (counts, accounts, currencies, opening balances: a few aggregate queries), then the
        entries ``chunk`` at a time in date and posting order, each with its lines, all from
        one snapshot. Memory holds one chunk, whatever the size of the books."""
        start, end = parse_period(date_from, date_to, ("--date-from", "--date-to"))
        # each chunk makes ~10 short-lived, acyclic objects per line: the collector's passes
        # over them cost more than the SQL (memory stays bounded by the chunk)
        with gc_paused():
            return await self._export_to(open_writer, start, end, openings, chunk)

    async def _export_to(
        self,
        open_writer: Callable[[ExportHead], Writer],
        start: dt.date | None,
        end: dt.date | None,
        openings: bool,
        chunk: int,
    ) -> ExportHead:
        async with read_snapshot(self.session):
            conn = await self.session.connection()
            opening = await self._openings(start) if openings and start is not None else []
            head = await self._head(conn, start, end, opening)
            writer = open_writer(head)
            after: tuple[dt.date, int] | None = None
            names = _Names()
            while True:
                entries, after = await self._chunk(conn, start, end, after, chunk, names)
                if entries:
                    writer.write(entries)
                if after is None:
                    break
            writer.close()
        return head

    async def _head(
        self,
        conn: AsyncConnection,
        start: dt.date | None,
        end: dt.date | None,
        opening: list[ExportOpening],
    ) -> ExportHead:
        currency = entry_currency()
        entry_count, first, currencies = 0, None, set()
        for cur, count, day in (
            await conn.execute(
                self._in_range(
                    with_entry_currency(
                        select(currency, func.count(JournalEntry.id), func.min(JournalEntry.date))
                    ),
                    start,
                    end,
                ).group_by(currency)
            )
        ).all():
            entry_count += count
            currencies.add(cur)
            first = day if first is None else min(first, day)
        used: dict[str, ExportAccount] = {}
        line_count = 0
        for code, name, acc_type, count in (
            await conn.execute(
                self._in_range(
                    select(Account.code, Account.name, Account.type, func.count(JournalLine.id))
                    .select_from(JournalLine)
                    .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                    .join(Account, Account.id == JournalLine.account_id),
                    start,
                    end,
                ).group_by(Account.code, Account.name, Account.type)
            )
        ).all():
            used.setdefault(code, ExportAccount(code, name, str(acc_type.value)))
            line_count += count
        currencies |= {o.currency for o in opening}
        return ExportHead(
            entry_count,
            line_count,
            head_accounts(used, opening),
            sorted(currencies),
            min([o.date for o in opening] + ([first] if first is not None else []), default=None),
            start,
            end,
            await settings.default_currency(self.session),
            opening,
        )

    def _after(self, stmt: Select, after: tuple[dt.date, int] | None) -> Select:
        """Entries after ``after`` (date, id) in date and posting order (keyset)."""
        if after is None:
            return stmt
        day, entry_id = after
        return stmt.where(
            or_(JournalEntry.date > day, and_(JournalEntry.date == day, JournalEntry.id > entry_id))
        )

    async def _chunk(
        self,
        conn: AsyncConnection,
        start: dt.date | None,
        end: dt.date | None,
        after: tuple[dt.date, int] | None,
        size: int,
        names: _Names,
    ) -> tuple[list[ExportEntry], tuple[dt.date, int] | None]:
        """The next ``size`` entries after ``after`` with their lines, and the key to go on
        from (None after the last)."""
        original = aliased(JournalEntry)
        entry_rows = (
            await conn.execute(
                self._after(
                    self._in_range(
                        with_entry_currency(
                            select(
                                JournalEntry.id,
                                JournalEntry.number,
                                JournalEntry.date,
                                Journal.code,
                                entry_currency(),
                                JournalEntry.source_type,
                                JournalEntry.memo,
                                original.number,
                            )
                        ).outerjoin(original, original.id == JournalEntry.reversal_of_id),
                        start,
                        end,
                    ),
                    after,
                )
                .order_by(JournalEntry.date, JournalEntry.id)
                .limit(size)
            )
        ).all()
        if not entry_rows:
            return [], None
        last = (entry_rows[-1][2], entry_rows[-1][0])
        # the lines of these entries, by their ids (CHUNK bound parameters: far below
        # SQLite's and PostgreSQL's limits of 32,766); plain columns, no join: accounts and
        # partners are few and repeat, so they are looked up by id (``_Names``)
        line_rows = (
            await conn.execute(
                select(
                    JournalLine.entry_id,
                    JournalLine.account_id,
                    JournalLine.partner_id,
                    JournalLine.debit,
                    JournalLine.credit,
                    JournalLine.label,
                )
                .where(JournalLine.entry_id.in_([row[0] for row in entry_rows]))
                .order_by(JournalLine.id)
            )
        ).all()
        accounts = await names.accounts(conn)
        partners = await names.partners(conn, {row[2] for row in line_rows})
        currency = {row[0]: row[4] for row in entry_rows}
        lines: dict[int, list[ExportLine]] = {}
        amounts: dict[tuple[int, str], Decimal] = {}  # a chunk's amounts repeat (0, pairs)

        def decimal(minor: int, cur: str) -> Decimal:
            value = amounts.get((minor, cur))
            if value is None:
                value = amounts[(minor, cur)] = from_minor(minor, cur)
            return value

        for entry_id, account_id, partner_id, debit, credit, label in line_rows:
            cur = currency.get(entry_id)
            if cur is None:  # pragma: no cover - the range holds only this chunk's entries
                continue
            account = accounts.get(account_id)
            if account is None:  # pragma: no cover - a foreign key: as the join left it out
                continue
            line = ExportLine(
                account,
                None if partner_id is None else partners.get(partner_id),
                decimal(debit, cur),
                decimal(credit, cur),
                label,
            )
            found = lines.get(entry_id)
            if found is None:
                lines[entry_id] = [line]
            else:
                found.append(line)
        entries = [
            ExportEntry(
                number, day, journal, cur, source, memo, reversal_of, lines.get(entry_id, [])
            )
            for entry_id, number, day, journal, cur, source, memo, reversal_of in entry_rows
        ]
        return entries, (last if len(entry_rows) == size else None)


class _Names:
    """Accounts and partners of the lines by id, read as the export meets them (in its
    snapshot): every account at the first chunk (a chart is short), the partners of each
    chunk that earlier chunks did not have."""

    def __init__(self) -> None:
        self._accounts: dict[int, ExportAccount] | None = None
        self._partners: dict[int, str] = {}

    async def accounts(self, conn: AsyncConnection) -> dict[int, ExportAccount]:
        if self._accounts is None:
            self._accounts = {
                acc_id: ExportAccount(code, name, str(acc_type.value))
                for acc_id, code, name, acc_type in (
                    await conn.execute(select(Account.id, Account.code, Account.name, Account.type))
                ).all()
            }
        return self._accounts

    async def partners(self, conn: AsyncConnection, ids: set[int | None]) -> dict[int, str]:
        known = self._partners
        missing = sorted(i for i in ids if i is not None and i not in known)
        for at in range(0, len(missing), CHUNK):  # bound parameters as a chunk's entries
            part = missing[at : at + CHUNK]
            query = select(Partner.id, Partner.name).where(Partner.id.in_(part))
            known.update((await conn.execute(query)).all())
        return known


class _Collect:
    """A writer that keeps the entries (``export_entries``)."""

    def __init__(self, into: list[ExportEntry]) -> None:
        self.into = into

    def write(self, entries: Sequence[ExportEntry]) -> None:
        self.into.extend(entries)

    def close(self) -> None:
        pass

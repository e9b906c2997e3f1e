"""ExportService: journal entries of a date range as plain records for the exporters.

Two queries, whatever the size: the entries (with journal and reversal link) and their lines
(with account and partner), both filtered by the entry date, read in one snapshot. An export
from a date on, when asked for its opening balances, adds a third: the balance of every
account and currency before that date, summed by the database (GROUP BY account, currency).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from payctl.db.models import Account, Journal, JournalEntry, JournalLine, Partner
from payctl.domain.dates import parse_period
from payctl.domain.money import from_minor
from payctl.exporters import ExportAccount, ExportData, ExportEntry, ExportLine, ExportOpening
from payctl.services.ledger import settings
from payctl.services.ledger.entries import entry_currency, with_entry_currency
from payctl.services.ledger.integrity_service import read_snapshot


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
        with ``openings`` and a ``date_from``, the balances before it too."""
        start, end = parse_period(date_from, date_to, ("--date-from", "--date-to"))
        original = aliased(JournalEntry)
        async with read_snapshot(self.session):
            opening = await self._openings(start) if openings and start is not None else []
            entry_rows = (
                await self.session.execute(
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
                    ).order_by(JournalEntry.date, JournalEntry.id)
                )
            ).all()
            line_rows = (
                await self.session.execute(
                    self._in_range(
                        select(
                            JournalLine.entry_id,
                            Account.code,
                            Account.name,
                            Account.type,
                            Partner.name,
                            JournalLine.debit,
                            JournalLine.credit,
                            JournalLine.label,
                        )
                        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                        .join(Account, Account.id == JournalLine.account_id)
                        .outerjoin(Partner, Partner.id == JournalLine.partner_id),
                        start,
                        end,
                    ).order_by(JournalLine.id)
                )
            ).all()
        currency = {row[0]: row[4] for row in entry_rows}
        accounts: dict[str, ExportAccount] = {}
        lines: dict[int, list[ExportLine]] = {}
        for entry_id, code, name, acc_type, partner, debit, credit, label in line_rows:
            account = accounts.setdefault(code, ExportAccount(code, name, str(acc_type.value)))
            cur = currency[entry_id]
            lines.setdefault(entry_id, []).append(
                ExportLine(account, partner, from_minor(debit, cur), from_minor(credit, cur), label)
            )
        entries = [
            ExportEntry(
                number, day, journal, cur, source, memo, reversal_of, lines.get(entry_id, [])
            )
            for entry_id, number, day, journal, cur, source, memo, reversal_of in entry_rows
        ]
        return ExportData(
            entries, start, end, await settings.default_currency(self.session), opening
        )

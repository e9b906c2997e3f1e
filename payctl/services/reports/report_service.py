"""ReportService: the reports an accountant reads, each one read-only snapshot.

Parses what the user gave (dates, buckets, partner) and hands the SQL to the report's module:
:mod:`.aging`, :mod:`.trial_balance`, :mod:`.partner_statement`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Account
from payctl.domain.aging import parse_buckets
from payctl.domain.dates import parse_date, parse_period
from payctl.errors import InputError
from payctl.services import lookups
from payctl.services.ledger.integrity_service import read_snapshot, whole_table_plans
from payctl.services.reports.aging import PAYABLE, RECEIVABLE, AgingReport, aging
from payctl.services.reports.bank_reconciliation import BankReconciliation, bank_reconciliation
from payctl.services.reports.partner_statement import PartnerStatement, partner_statement
from payctl.services.reports.trial_balance import TrialBalance, trial_balance


def _named(value: str | None, option: str) -> str | None:
    if value is not None and not value.strip():
        raise InputError(f"{option}: the value is empty: give a partner name or id")
    return value


class ReportService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    async def aging(
        self,
        side: str,
        as_of: str | None = None,
        buckets: str | None = None,
        partner: str | None = None,
    ) -> AgingReport:
        """Aged receivables (``side`` "receivable") or payables ("payable") on ``as_of``
        (None: now), in the buckets of days overdue given as ``"30,60,90"``."""
        if side not in (RECEIVABLE, PAYABLE):
            raise InputError(f"side: {side!r} is neither {RECEIVABLE} nor {PAYABLE}")
        limits = parse_buckets(buckets)
        day = parse_date(as_of, "--as-of")
        partner = _named(partner, "--partner")
        async with read_snapshot(self.session):
            await whole_table_plans(self.session)  # whole tables: no nested loops (PostgreSQL)
            partner_id = None
            if partner is not None:
                partner_id = (await lookups.partner(self.session, partner)).id
            return await aging(self.session, side, day, limits, partner_id)

    async def trial_balance(
        self,
        as_of: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> TrialBalance:
        """Per account and currency up to ``as_of`` (everything), or for a period."""
        if as_of is not None and (date_from is not None or date_to is not None):
            raise InputError("--as-of: give either --as-of or --from/--to, not both")
        start, end = parse_period(date_from, date_to)
        if as_of is not None:
            end = parse_date(as_of, "--as-of")
        async with read_snapshot(self.session):
            await whole_table_plans(self.session)
            return await trial_balance(self.session, start, end)

    async def partner_statement(
        self, partner: str, date_from: str | None = None, date_to: str | None = None
    ) -> PartnerStatement:
        """Every booking on ``partner``'s account in the period, with running balances."""
        _named(partner, "NAME")
        start, end = parse_period(date_from, date_to)
        async with read_snapshot(self.session):
            found = await lookups.partner(self.session, partner)
            return await partner_statement(self.session, found, start, end)

    async def bank_reconciliation(
        self, journal: str, as_of: str | None = None
    ) -> BankReconciliation:
        """The bank reconciliation of ``journal`` on ``as_of`` (None: now)."""
        day = parse_date(as_of, "--as-of")
        async with read_snapshot(self.session):
            j = await lookups.journal(self.session, journal)
            code = await self.session.scalar(select(Account.code).where(Account.id == j.account_id))
            return await bank_reconciliation(self.session, j, code, day)

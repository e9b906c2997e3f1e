"""`payctl init`: schema to head, default chart of accounts and journals. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Account, AuditHead, Journal
from payctl.db.uow import unit_of_work
from payctl.domain.enums import AccountRole, AccountType, JournalType
from payctl.domain.money import normalise_currency
from payctl.errors import InputError
from payctl.services.bank import suspense
from payctl.services.ledger import audit, settings
from payctl.services.ledger.audit import GENESIS

CHART = [
    ("1000", "Bank", AccountType.ASSET, AccountRole.BANK),
    ("1010", "Cash", AccountType.ASSET, AccountRole.CASH),
    ("1020", "Outstanding receipts", AccountType.ASSET, AccountRole.OUTSTANDING_RECEIPTS),
    ("1030", "Outstanding payments", AccountType.ASSET, AccountRole.OUTSTANDING_PAYMENTS),
    ("1090", "Bank suspense", AccountType.ASSET, AccountRole.BANK_SUSPENSE),
    ("1100", "Accounts receivable", AccountType.ASSET, AccountRole.RECEIVABLE),
    ("2000", "Accounts payable", AccountType.LIABILITY, AccountRole.PAYABLE),
    ("3000", "Opening balance equity", AccountType.EQUITY, AccountRole.OPENING_EQUITY),
    ("1095", "Internal transfers", AccountType.ASSET, AccountRole.INTERNAL_TRANSFER),
    ("4000", "Sales", AccountType.INCOME, AccountRole.SALES),
    ("5000", "Purchases", AccountType.EXPENSE, AccountRole.PURCHASES),
    ("6900", "Payment differences", AccountType.EXPENSE, AccountRole.PAYMENT_DIFFERENCES),
]

JOURNALS = [
    ("BNK1", "Bank", JournalType.BANK, AccountRole.BANK),
    ("CSH1", "Cash", JournalType.CASH, AccountRole.CASH),
    ("SAL", "Customer invoices", JournalType.SALE, None),
    ("PUR", "Vendor bills", JournalType.PURCHASE, None),
]


@dataclass(frozen=True)
class InitResult:
    accounts_created: int
    journals_created: int
    currency: str  # the database's default currency
    lines_booked: int = 0  # undecided bank lines of an upgraded database booked into suspense


class SetupService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    @unit_of_work(write=True)
    async def seed(self, currency: str | None = None, *, if_new: str | None = None) -> InitResult:
        """Seed the chart, the journals and the default currency (the ``currency`` setting).

        ``currency`` is the one the user asked for: refused when the database already has
        another (its journals and records are in it); None keeps the recorded one, or takes
        ``if_new`` for a database that has none yet."""
        s = self.session
        default_currency = await self._currency(currency, if_new)
        existing = {a.code: a for a in (await s.execute(select(Account))).scalars()}
        created_accounts = 0
        for code, name, acc_type, role in CHART:
            if code not in existing:
                existing[code] = Account(code=code, name=name, type=acc_type, role=role)
                s.add(existing[code])
                created_accounts += 1
        await s.flush()
        by_role = {a.role: a.id for a in existing.values() if a.role is not None}
        codes = set((await s.execute(select(Journal.code))).scalars())
        created_journals = 0
        for code, name, j_type, j_role in JOURNALS:
            if code in codes:
                continue
            liquidity = j_role is not None
            s.add(
                Journal(
                    code=code,
                    name=name,
                    type=j_type,
                    currency=default_currency,
                    account_id=by_role[j_role] if j_role else None,
                    outstanding_receipts_account_id=(
                        by_role[AccountRole.OUTSTANDING_RECEIPTS] if liquidity else None
                    ),
                    outstanding_payments_account_id=(
                        by_role[AccountRole.OUTSTANDING_PAYMENTS] if liquidity else None
                    ),
                )
            )
            created_journals += 1
        if await s.get(AuditHead, 1) is None:
            s.add(AuditHead(id=1, last_hash=GENESIS))
        await s.flush()
        booked = await self._book_undecided_lines()
        return InitResult(created_accounts, created_journals, default_currency, booked)

    async def _book_undecided_lines(self) -> int:
        """A database upgraded from schema 0008 has lines in review or ignored that booked
        nothing: they go into the bank suspense account now (suspense.book_pending), with
        their entries numbered like every other, and one audit record says so."""
        booked = await suspense.book_pending(self.session, self.user)
        if booked:
            await audit.append(
                self.session,
                [
                    audit.AuditEvent(
                        self.user, "suspense", "bank_lines", None, {"lines_booked": booked}
                    )
                ],
            )
        return booked

    async def _currency(self, asked: str | None, if_new: str | None) -> str:
        asked = normalise_currency(asked) if asked is not None else None
        recorded = await settings.get(self.session, settings.CURRENCY)
        if recorded is not None:
            if asked is not None and asked != recorded:
                raise InputError(
                    f"currency: the database's default currency is {recorded}; "
                    f"init does not change it to {asked}"
                )
            return recorded
        code = asked or (normalise_currency(if_new) if if_new is not None else None)
        if code is None:
            raise InputError("currency: a new database needs its default currency")
        await settings.put(self.session, settings.CURRENCY, code)
        return code

"""Journals and the chart of accounts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Account, Journal
from payctl.db.uow import unit_of_work
from payctl.domain.enums import AccountRole, AccountType, JournalType
from payctl.domain.iban import parse_iban
from payctl.domain.money import normalise_currency
from payctl.errors import InputError, RuleViolation
from payctl.services.ledger import settings
from payctl.services.rows import enum_value


@dataclass(frozen=True)
class JournalView:
    code: str
    name: str
    type: str
    currency: str
    account: str | None
    iban: str | None
    bank_account_number: str | None


@dataclass(frozen=True)
class AccountView:
    code: str
    name: str
    type: str
    role: str | None


class JournalService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    async def _views(self) -> list[JournalView]:
        codes = dict((await self.session.execute(select(Account.id, Account.code))).all())
        journals = (await self.session.execute(select(Journal).order_by(Journal.code))).scalars()
        return [
            JournalView(
                j.code,
                j.name,
                j.type.value,
                j.currency,
                codes.get(j.account_id) if j.account_id is not None else None,
                j.iban,
                j.bank_account_number,
            )
            for j in journals
        ]

    @unit_of_work(write=False)
    async def list_journals(self) -> list[JournalView]:
        return await self._views()

    @unit_of_work(write=True)
    async def create_journal(
        self,
        code: str,
        name: str,
        type: str = "bank",
        currency: str | None = None,
        iban: str | None = None,
        account_number: str | None = None,
    ) -> JournalView:
        code = code.strip().upper()
        if not code or len(code) > 16 or "/" in code:
            raise InputError("code: 1-16 characters without '/' (e.g. BNK2)")
        j_type = enum_value(JournalType, "type")(type)
        if j_type not in (JournalType.BANK, JournalType.CASH):
            raise InputError("type: payctl creates bank or cash journals")
        if await self.session.scalar(select(Journal.id).where(func.upper(Journal.code) == code)):
            raise RuleViolation(f"journal {code} already exists")
        roles = dict(
            (
                await self.session.execute(
                    select(Account.role, Account.id).where(Account.role.is_not(None))
                )
            ).all()
        )
        top = await self.session.scalar(
            select(func.max(Account.code)).where(Account.code.like("10%"))
        )
        account = Account(
            code=str(int(top or "1000") + 1) if top and top.isdigit() else f"10{code}",
            name=f"{name} ({code})",
            type=AccountType.ASSET,
            role=None,
        )
        if await self.session.scalar(select(Account.id).where(Account.code == account.code)):
            account.code = f"10-{code}"
        self.session.add(account)
        await self.session.flush()
        self.session.add(
            Journal(
                code=code,
                name=name,
                type=j_type,
                currency=normalise_currency(
                    currency or await settings.default_currency(self.session)
                ),
                account_id=account.id,
                outstanding_receipts_account_id=roles[AccountRole.OUTSTANDING_RECEIPTS],
                outstanding_payments_account_id=roles[AccountRole.OUTSTANDING_PAYMENTS],
                iban=parse_iban(iban) if iban else None,
                bank_account_number=(account_number or None),
            )
        )
        await self.session.flush()
        return next(v for v in await self._views() if v.code == code)

    @unit_of_work(write=False)
    async def list_accounts(self) -> list[AccountView]:
        rows = (await self.session.execute(select(Account).order_by(Account.code))).scalars()
        return [
            AccountView(a.code, a.name, a.type.value, a.role.value if a.role else None)
            for a in rows
        ]

"""Journals and the chart of accounts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Account, BankStatement, Journal, JournalLine
from payctl.db.uow import unit_of_work
from payctl.domain.enums import AccountRole, AccountType, JournalType
from payctl.domain.iban import normalise_iban, parse_iban, statement_belongs
from payctl.domain.money import normalise_currency
from payctl.errors import InputError, RuleViolation
from payctl.services import lookups
from payctl.services.events import outbox
from payctl.services.events.payloads import journal_change
from payctl.services.ledger import audit, settings
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


@dataclass(frozen=True)
class JournalChanges:
    """What `payctl journal update` changes (None: unchanged; an empty text clears a bank
    account). Ledger accounts are named by code."""

    name: str | None = None
    iban: str | None = None
    account_number: str | None = None
    account: str | None = None
    receipts: str | None = None
    payments: str | None = None
    reason: str | None = None


# Roles an account may hold and still be a journal's own (bank or outstanding) account.
_JOURNAL_ROLES = (
    AccountRole.BANK,
    AccountRole.CASH,
    AccountRole.OUTSTANDING_RECEIPTS,
    AccountRole.OUTSTANDING_PAYMENTS,
)


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

    @unit_of_work(write=True)
    async def update_journal(self, code: str, changes: JournalChanges) -> JournalView:
        """Change a journal's name, bank account (IBAN or number) or ledger accounts.

        The ledger accounts of a journal that has postings on them stay: moving them would
        split the journal's balance over two accounts. A bank account that statements already
        imported into the journal do not carry is refused, and so is one another journal has.
        """
        j = await lookups.journal(self.session, code)
        before = await self._snapshot(j)
        if changes.name is not None:
            if not changes.name.strip():
                raise InputError("--name: must not be empty")
            j.name = changes.name.strip()
        if changes.iban is not None:
            j.iban = parse_iban(changes.iban, "--iban") if changes.iban else None
        if changes.account_number is not None:
            j.bank_account_number = changes.account_number.strip() or None
        for option, attr, new_code in (
            ("--account", "account_id", changes.account),
            ("--outstanding-receipts", "outstanding_receipts_account_id", changes.receipts),
            ("--outstanding-payments", "outstanding_payments_account_id", changes.payments),
        ):
            if new_code is not None:
                await self._move_account(j, option, attr, new_code)
        await self._check_bank_account(j)
        after = await self._snapshot(j)
        diff = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if diff:
            await self.session.flush()
            await audit.append(
                self.session,
                [
                    audit.AuditEvent(
                        self.user, "update", "journal", j.id, diff, reason=changes.reason
                    )
                ],
            )
            await outbox.emit(
                self.session, self.user, [journal_change(j.id, after, sorted(diff), changes.reason)]
            )
        return next(v for v in await self._views() if v.code == j.code)

    async def _snapshot(self, j: Journal) -> dict[str, str | None]:
        codes: dict[int | None, str] = dict(
            (await self.session.execute(select(Account.id, Account.code))).all()
        )
        return {
            "code": j.code,
            "name": j.name,
            "currency": j.currency,
            "iban": j.iban,
            "bank_account_number": j.bank_account_number,
            "account": codes.get(j.account_id),
            "outstanding_receipts_account": codes.get(j.outstanding_receipts_account_id),
            "outstanding_payments_account": codes.get(j.outstanding_payments_account_id),
        }

    async def _move_account(self, j: Journal, option: str, attr: str, code: str) -> None:
        account = await self.session.scalar(select(Account).where(Account.code == code.strip()))
        if account is None:
            raise RuleViolation(f"{option}: no account {code.strip()} (see payctl account list)")
        if account.type != AccountType.ASSET:
            raise RuleViolation(
                f"{option}: account {account.code} is {account.type.value}; a journal's bank "
                "and outstanding accounts are assets"
            )
        if account.role is not None and account.role not in _JOURNAL_ROLES:
            raise RuleViolation(
                f"{option}: account {account.code} is the {account.role.value} account; "
                "it cannot serve a journal"
            )
        current = getattr(j, attr)
        if current == account.id:
            return
        if attr == "account_id":
            other = await self.session.scalar(
                select(Journal.code).where(Journal.account_id == account.id, Journal.id != j.id)
            )
            if other is not None:
                raise RuleViolation(
                    f"{option}: account {account.code} is journal {other}'s bank account"
                )
        if current is not None:
            posted = await self.session.scalar(
                select(JournalLine.id).where(JournalLine.account_id == current).limit(1)
            )
            if posted is not None:
                raise RuleViolation(
                    f"{option}: journal {j.code}'s account has postings; moving it would "
                    "split the journal's balance over two accounts"
                )
        setattr(j, attr, account.id)

    async def _check_bank_account(self, j: Journal) -> None:
        for value, column in (
            (j.iban, Journal.iban),
            (j.bank_account_number, Journal.bank_account_number),
        ):
            if value is None:
                continue
            other = await self.session.scalar(
                select(Journal.code).where(column == value, Journal.id != j.id)
            )
            if other is not None:
                raise RuleViolation(f"bank account {value} already belongs to journal {other}")
        own = {normalise_iban(v) for v in (j.iban, j.bank_account_number) if v}
        if not own:
            return
        seen: list[str | None] = list(
            (
                await self.session.execute(
                    select(BankStatement.account)
                    .where(BankStatement.journal_id == j.id, BankStatement.account.is_not(None))
                    .distinct()
                )
            ).scalars()
        )
        foreign = sorted(a for a in seen if a and not statement_belongs(a, own))
        if foreign:
            raise RuleViolation(
                f"journal {j.code} holds statements of account {foreign[0]}: "
                "that account must stay one of its bank accounts"
            )

    @unit_of_work(write=False)
    async def list_accounts(self) -> list[AccountView]:
        rows = (await self.session.execute(select(Account).order_by(Account.code))).scalars()
        return [
            AccountView(a.code, a.name, a.type.value, a.role.value if a.role else None)
            for a in rows
        ]

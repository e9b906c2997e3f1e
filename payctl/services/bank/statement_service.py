"""Imported bank statements: what each holds and what became of its lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import BankLine, BankStatement, Journal, Payment
from payctl.db.uow import unit_of_work
from payctl.domain.money import from_minor
from payctl.errors import InputError, NotFound, RuleViolation
from payctl.services import lookups
from payctl.services.events import outbox, payloads
from payctl.services.ledger import audit
from payctl.services.views import Page

# The states of a line nobody has decided yet: a statement of only such lines can be deleted.
UNDECIDED = ("review", "ignored")


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# What a line's state says about its decision, in the order statements list them.
DECISIONS = {
    "matched": "matched",
    "booked_by_rule": "booked by rule",
    "booked_by_hand": "booked by hand",
    "review": "in review",
    "ignored": "ignored",
}


def decision(state: str, rule: str | None) -> str:
    """The decision key (of DECISIONS) of a line in ``state`` decided by ``rule``."""
    if state == "booked":
        return "booked_by_rule" if rule else "booked_by_hand"
    return state


@dataclass(frozen=True)
class StatementView:
    id: int
    journal: str
    account: str | None
    format: str
    source: str
    reference: str | None
    currency: str
    opening_date: dt.date | None
    closing_date: dt.date | None
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    line_count: int
    total: Decimal  # the sum of its lines (money in positive)
    # closing - opening - lines: zero when the stored lines explain the balances; lines the
    # import found already stored with another (overlapping) statement count there, not here.
    # None: the bank gave no balances.
    difference: Decimal | None
    by_decision: dict[str, int] = field(default_factory=dict)
    imported_by: str = ""
    imported_at: dt.datetime | None = None


@dataclass(frozen=True)
class StatementLineView:
    id: int
    date: dt.date
    amount: Decimal
    currency: str
    counterparty: str | None
    text: str | None
    decision: str
    payment: str | None
    reason: str | None


@dataclass(frozen=True)
class StatementDetail:
    statement: StatementView
    lines: list[StatementLineView]


def _statement_id(ident: str) -> int:
    try:
        sid = int(str(ident).strip().lstrip("#"))
    except ValueError:
        raise InputError(f"statement: {ident!r} is not a statement id") from None
    if not 0 < sid <= lookups.MAX_ID:
        raise NotFound(f"unknown statement {ident}: see `payctl statement list`")
    return sid


@dataclass(frozen=True)
class DeletedStatement:
    id: int
    journal: str
    source: str
    lines: int


class StatementService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    @unit_of_work(write=False)
    async def list_statements(
        self, journal: str | None = None, limit: int = 50, offset: int = 0
    ) -> Page:
        where = []
        if journal is not None:
            where.append(
                BankStatement.journal_id == (await lookups.journal(self.session, journal)).id
            )
        total = await self.session.scalar(
            select(func.count()).select_from(BankStatement).where(*where)
        )
        query = (
            select(BankStatement, Journal.code, Journal.currency)
            .join(Journal, Journal.id == BankStatement.journal_id)
            .where(*where)
            .order_by(Journal.code, BankStatement.closing_date, BankStatement.id)
            .offset(offset)
        )
        if limit:
            query = query.limit(limit)
        found = (await self.session.execute(query)).all()
        views = await self._views([(st, code, cur) for st, code, cur in found])
        return Page(views, int(total or 0), limit or None, offset)

    @unit_of_work(write=False)
    async def show_statement(self, ident: str) -> StatementDetail:
        sid = _statement_id(ident)
        found = (
            await self.session.execute(
                select(BankStatement, Journal.code, Journal.currency)
                .join(Journal, Journal.id == BankStatement.journal_id)
                .where(BankStatement.id == sid)
            )
        ).first()
        if found is None:
            raise NotFound(f"unknown statement {ident}: see `payctl statement list`")
        st, code, currency = found
        (view,) = await self._views([(st, code, currency)])
        rows = await self.session.execute(
            select(BankLine, Payment.number, Payment.id)
            .outerjoin(Payment, Payment.id == BankLine.payment_id)
            .where(BankLine.statement_id == sid)
            .order_by(BankLine.booking_date, BankLine.id)
        )
        lines = [
            StatementLineView(
                ln.id,
                ln.booking_date,
                from_minor(ln.amount, ln.currency),
                ln.currency,
                ln.counterparty_name,
                ln.remittance,
                DECISIONS.get(decision(ln.state, ln.rule), ln.state),
                number or (f"#{pid}" if pid is not None else None),
                ln.reason,
            )
            for ln, number, pid in rows
        ]
        return StatementDetail(view, lines)

    async def _views(self, found: list[tuple[BankStatement, str, str]]) -> list[StatementView]:
        ids = [st.id for st, _, _ in found]
        counts: dict[int, dict[str, int]] = {i: {} for i in ids}
        sums: dict[int, int] = dict.fromkeys(ids, 0)
        if ids:
            booked_by_rule = case((BankLine.rule.is_not(None), 1), else_=0)
            grouped = await self.session.execute(
                select(
                    BankLine.statement_id,
                    BankLine.state,
                    booked_by_rule,
                    func.count(),
                    func.coalesce(func.sum(BankLine.amount), 0),
                )
                .where(BankLine.statement_id.in_(ids))
                .group_by(BankLine.statement_id, BankLine.state, booked_by_rule)
            )
            for sid, state, by_rule, n, amount in grouped:
                key = decision(state, "rule" if by_rule else None)
                counts[sid][key] = counts[sid].get(key, 0) + int(n)
                sums[sid] += int(amount)
        views = []
        for st, code, journal_currency in found:
            cur = st.currency or journal_currency
            opening = None if st.opening_balance is None else from_minor(st.opening_balance, cur)
            closing = None if st.closing_balance is None else from_minor(st.closing_balance, cur)
            difference = (
                None
                if st.opening_balance is None or st.closing_balance is None
                else from_minor(st.closing_balance - st.opening_balance - sums[st.id], cur)
            )
            ordered = {k: counts[st.id][k] for k in DECISIONS if k in counts[st.id]}
            ordered.update({k: v for k, v in sorted(counts[st.id].items()) if k not in ordered})
            views.append(
                StatementView(
                    st.id,
                    code,
                    st.account,
                    st.format,
                    st.source_name,
                    st.statement_ref,
                    cur,
                    st.opening_date,
                    st.closing_date,
                    opening,
                    closing,
                    sum(ordered.values()),
                    from_minor(sums[st.id], cur),
                    difference,
                    ordered,
                    st.imported_by,
                    st.imported_at,
                )
            )
        return views

    @unit_of_work(write=True)
    async def delete_statement(self, ident: str, reason: str | None = None) -> DeletedStatement:
        """Undo an import: remove a statement whose lines nobody has decided (all in review or
        ignored), with its lines, so the file can be imported again. A statement with a decided
        line is refused, naming the lines to unmatch first. The audit trail keeps the statement
        and every line it removes; one ``bank_statement.deleted`` event."""
        sid = _statement_id(ident)
        st = await self.session.scalar(
            select(BankStatement).where(BankStatement.id == sid).with_for_update()
        )
        if st is None:
            raise NotFound(f"unknown statement {ident}: see `payctl statement list`")
        code = await self.session.scalar(select(Journal.code).where(Journal.id == st.journal_id))
        lines = list(
            (
                await self.session.scalars(
                    select(BankLine)
                    .where(BankLine.statement_id == sid)
                    .order_by(BankLine.id)
                    .with_for_update()
                )
            ).all()
        )
        decided = [ln.id for ln in lines if ln.state not in UNDECIDED]
        if decided:
            shown = ", ".join(str(i) for i in decided[:10])
            more = f" and {len(decided) - 10} more" if len(decided) > 10 else ""
            raise RuleViolation(
                f"statement {sid} has decided lines ({shown}{more}): undo them first with "
                "payctl review unmatch LINE"
            )
        record = {
            "statement": {
                "journal": code,
                "source": st.source_name,
                "source_hash": st.source_hash,
                "format": st.format,
                "account": st.account,
                "currency": st.currency,
                "opening_balance": st.opening_balance,
                "closing_balance": st.closing_balance,
                "opening_date": _day(st.opening_date),
                "closing_date": _day(st.closing_date),
            },
            "lines": {
                str(ln.id): {
                    "booking_date": ln.booking_date.isoformat(),
                    "amount": ln.amount,
                    "currency": ln.currency,
                    "fingerprint": ln.fingerprint,
                    "state": ln.state,
                    "counterparty_name": ln.counterparty_name,
                    "remittance": ln.remittance,
                }
                for ln in lines
            },
        }
        await audit.append(
            self.session,
            [audit.AuditEvent(self.user, "delete", "bank_statement", sid, record, reason=reason)],
        )
        await outbox.emit(
            self.session,
            self.user,
            [payloads.bank_statement_deleted(st, len(lines), reason)],
        )
        await self.session.execute(delete(BankLine).where(BankLine.statement_id == sid))
        await self.session.execute(delete(BankStatement).where(BankStatement.id == sid))
        return DeletedStatement(sid, code or "", st.source_name, len(lines))

"""The review queue: bank lines the matcher was not sure about, and what a person decides."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import BankLine, Journal, Partner, Payment
from payctl.db.uow import unit_of_work
from payctl.domain.enums import (
    SETTLES,
    PartnerKind,
    PaymentState,
    PaymentType,
    is_inbound,
    partner_kind_allows,
)
from payctl.domain.money import from_minor
from payctl.errors import InputError, NotFound, RuleViolation
from payctl.services import lookups
from payctl.services.bank import suspense, transfers
from payctl.services.bank.bank_posting import BankPosting, Reconciliation
from payctl.services.bank.decisions import BOOKED, MANUAL, BankDecisions
from payctl.services.bank.matching_data import booked_on_bank
from payctl.services.events import outbox, payloads
from payctl.services.ledger import audit
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_service import PaymentService
from payctl.services.views import Page

INVOICE_TO_PAYMENT = {v: k for k, v in SETTLES.items()}


@dataclass(frozen=True)
class ReviewItem:
    id: int
    journal: str
    date: dt.date
    amount: Decimal
    currency: str
    counterparty: str | None
    account: str | None
    text: str | None
    state: str
    reason: str | None
    candidates: list[dict[str, Any]]


@dataclass(frozen=True)
class ReviewOutcome:
    line: int
    action: str
    payment: str | None
    message: str


def _inbound(line: BankLine) -> bool:
    return line.amount > 0


class ReviewService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    async def _line(self, line_id: int | str) -> BankLine:
        try:
            ident = int(str(line_id).lstrip("#"))
        except ValueError:
            raise InputError(f"bank line: {line_id!r} is not a line id") from None
        if ident > lookups.MAX_ID:  # no such row; larger than the id column holds on PostgreSQL
            raise NotFound(f"unknown bank line {line_id}: see `payctl review list`")
        line = await self.session.scalar(
            select(BankLine)
            .where(BankLine.id == ident)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if line is None:
            raise NotFound(f"unknown bank line {line_id}: see `payctl review list`")
        return line

    @unit_of_work(write=False)
    async def list_lines(
        self, state: str = "review", limit: int | None = 50, offset: int = 0
    ) -> Page:
        stmt = select(BankLine, Journal.code).join(Journal, Journal.id == BankLine.journal_id)
        if state != "all":
            stmt = stmt.where(BankLine.state == state)
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        stmt = stmt.order_by(BankLine.booking_date, BankLine.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = (await self.session.execute(stmt)).all()
        names = dict((await self.session.execute(select(Partner.id, Partner.name))).all())
        items = []
        for line, code in rows:
            candidates = json.loads(line.candidates or "[]")
            for c in candidates:
                c["partner"] = names.get(c.pop("partner_id", None))
                c["allocations"] = [
                    f"{n}={from_minor(a, line.currency)}" for n, a, _w in c.get("allocations", [])
                ]
            text = " ".join(filter(None, [line.structured_reference, line.remittance]))
            items.append(
                ReviewItem(
                    line.id,
                    code,
                    line.booking_date,
                    from_minor(line.amount, line.currency),
                    line.currency,
                    line.counterparty_name,
                    line.counterparty_account,
                    text or None,
                    line.state,
                    line.reason,
                    candidates,
                )
            )
        return Page(items, total or 0, limit, offset)

    @unit_of_work(write=True)
    async def accept(
        self,
        line_id: int | str,
        invoices: list[tuple[str, str | None]] | None = None,
        payment: str | None = None,
        partner: str | None = None,
        auto_confirm: bool = False,
        account: str | None = None,
        label: str | None = None,
        transfer: str | None = None,
    ) -> ReviewOutcome:
        """Decide a line in review (or ignored): the payment it settles, the invoice(s) or
        partner a new payment is made for, (``account``) the account it is booked to, or
        (``transfer``) the own journal it is an internal transfer to or from. The line leaves
        the bank suspense account (suspense.release) in the same transaction."""
        line = await self._line(line_id)
        if line.state not in suspense.UNDECIDED:
            raise RuleViolation(f"bank line {line.id} is already {line.state}")
        if transfer is not None:
            if invoices or payment or partner or account is not None:
                raise InputError(
                    "--transfer books the line as an internal transfer: leave out --invoice, "
                    "--payment, --partner and --account"
                )
            return await self._transfer(line, transfer)
        if account is not None:
            if invoices or payment or partner:
                raise InputError(
                    "--account books the line to an account: leave out --invoice, "
                    "--payment and --partner"
                )
            return await self._book(line, account, label)
        journal = await self.session.get(Journal, line.journal_id)
        assert journal is not None
        await suspense.release(self.session, self.user, [line])
        if payment:
            return await self._reconcile(line, journal, payment)
        if not invoices and not partner:
            best = json.loads(line.candidates or "[]")
            if not best:
                raise RuleViolation(
                    f"bank line {line.id} has no candidate: say --invoice, --payment or --partner"
                )
            top = best[0]
            if top.get("payment_id"):
                return await self._reconcile(line, journal, str(top["payment_id"]))
            invoices = [(n, str(from_minor(a, line.currency))) for n, a, _w in top["allocations"]]
            partner = str(top["partner_id"])
        return await self._create(line, journal, invoices or [], partner, auto_confirm)

    async def _create(
        self,
        line: BankLine,
        journal: Journal,
        invoices: list[tuple[str, str | None]],
        partner: str | None,
        auto_confirm: bool,
    ) -> ReviewOutcome:
        amount = abs(line.amount)
        allocations, ptype, partner_obj, left = [], None, None, amount
        for number, given in invoices:
            inv = await lookups.invoice(self.session, number)
            ptype = ptype or INVOICE_TO_PAYMENT[inv.type]
            partner_obj = partner_obj or await lookups.partner(self.session, inv.partner_id)
            take = given if given else str(from_minor(min(inv.residual, left), inv.currency))
            allocations.append((inv.number, take))
            left -= min(inv.residual, left)
        if partner_obj is None:
            if partner is None:
                raise InputError("say which --invoice, --payment or --partner this line settles")
            partner_obj = await lookups.partner(self.session, partner)
        if ptype is None:
            ptype = self._type_for(partner_obj.kind, _inbound(line))
        if is_inbound(ptype) != _inbound(line):
            raise RuleViolation(
                f"bank line {line.id} is {'incoming' if _inbound(line) else 'outgoing'}"
                f" money; a {ptype} goes the other way"
            )
        flow = PaymentFlowService(self.session, self.user)
        view = await flow.payments.create_payment(
            ptype,
            str(partner_obj.id),
            journal.code,
            str(from_minor(amount, line.currency)),
            line.booking_date,
            (line.structured_reference or line.transaction_id or None),
            line.remittance,
            line.currency,
            allocations,
        )
        line.state, line.link, line.payment_id = "matched", "created", view.id
        line.partner_id, line.rule, line.reason = (
            partner_obj.id,
            "manual",
            f"accepted by {self.user}",
        )
        await self.session.flush()
        label = f"#{view.id}"
        if auto_confirm:
            label = (await flow.confirm_payment(view.id, write_off=True)).label
        await self._audit(line, "accept", {"payment_id": view.id})
        return ReviewOutcome(
            line.id, "created payment", label, f"bank line {line.id} -> payment {label}"
        )

    @staticmethod
    def _type_for(kind: PartnerKind, inbound: bool) -> PaymentType:
        """The first payment type of the line's direction the partner may use (PaymentType
        lists payments before refunds, so a partner of both kinds gets a payment)."""
        return next(
            t for t in PaymentType if is_inbound(t) == inbound and partner_kind_allows(kind, t)
        )

    async def _reconcile(self, line: BankLine, journal: Journal, ident: str) -> ReviewOutcome:
        payment = await self.session.scalar(
            select(Payment).where(lookups.payment_filter(ident)).with_for_update()
        )
        if payment is None:
            raise NotFound(f"unknown payment {ident!r}")
        label = lookups.payment_label(payment)
        if payment.state != PaymentState.POSTED:
            raise RuleViolation(
                f"payment {label} is {payment.state}: only posted payments "
                "can be reconciled with a bank line"
            )
        if payment.journal_id != line.journal_id:
            other = await self.session.get(Journal, payment.journal_id)
            raise RuleViolation(
                f"payment {label} is in journal {other.code if other else payment.journal_id}, "
                f"bank line {line.id} in {journal.code}: a bank line only reconciles payments "
                "of its own journal"
            )
        if payment.amount != abs(line.amount) or is_inbound(payment.type) != _inbound(line):
            raise RuleViolation(
                f"payment {label} ({from_minor(payment.amount, payment.currency)}) "
                f"does not match bank line {line.id} "
                f"({from_minor(line.amount, line.currency)})"
            )
        taken = await PaymentService(self.session, self.user).held_by([payment.id])
        if taken:
            raise RuleViolation(
                f"payment {label} is already matched to bank line {taken[payment.id]}"
            )
        if await self.session.scalar(
            select(Payment.id).where(Payment.id == payment.id, booked_on_bank())
        ):
            raise RuleViolation(
                f"payment {label} is already booked on the bank account (it was "
                f"made from a bank line): reset it (payctl reset {label}) and "
                "confirm it again, then match it"
            )
        (entry_id,) = await BankPosting(self.session, self.user).reconcile(
            journal,
            [
                Reconciliation(
                    line.id, payment, payment.amount, line.booking_date, f"bank line {line.id}"
                )
            ],
        )
        line.state, line.link, line.payment_id = "matched", "reconciled", payment.id
        line.reconcile_entry_id, line.partner_id = entry_id, payment.partner_id
        line.rule, line.reason = "manual", f"accepted by {self.user}"
        await self.session.flush()
        await self._audit(line, "accept", {"payment_id": payment.id, "entry_id": entry_id})
        return ReviewOutcome(line.id, "reconciled", label, f"bank line {line.id} settles {label}")

    async def _transfer(self, line: BankLine, journal: str) -> ReviewOutcome:
        other = await lookups.journal(self.session, journal)
        if other.id == line.journal_id:
            raise RuleViolation(
                f"--transfer: bank line {line.id} is on journal {other.code} already: a "
                "transfer goes to another journal"
            )
        way = "to" if line.amount < 0 else "from"
        reason = f"transfer {way} {other.code} by {self.user}"
        decision = transfers.TransferDecision(line.id, other.id, MANUAL, reason)
        await transfers.book_transfers(self.session, self.user, [decision])
        paired = (
            f", paired with bank line {line.transfer_line_id}"
            if line.transfer_line_id is not None
            else ": it waits on the transfer account for its other half"
        )
        return ReviewOutcome(
            line.id,
            "transfer",
            None,
            f"bank line {line.id} booked as a transfer {way} {other.code}{paired}",
        )

    async def _book(self, line: BankLine, code: str, label: str | None) -> ReviewOutcome:
        decisions = BankDecisions(self.session, self.user)
        account = await decisions.postable_account(code)
        reason = f"booked by hand to {account.code} by {self.user}"
        (booked,) = await decisions.book_to_account([line], account, label, reason)
        return ReviewOutcome(
            line.id,
            "booked",
            None,
            f"bank line {line.id} booked to {account.code} {account.name} "
            f"(entry {booked.entry_number})",
        )

    @unit_of_work(write=True)
    async def ignore(self, line_id: int | str, reason: str | None = None) -> ReviewOutcome:
        line = await self._line(line_id)
        if line.state not in suspense.UNDECIDED:
            raise RuleViolation(f"bank line {line.id} is {line.state}: unmatch it first")
        # An ignored line stays in the bank suspense account: decided to wait there, out of
        # the review queue (accept it later to book it elsewhere).
        line.state, line.reason = "ignored", reason or f"ignored by {self.user}"
        await self.session.flush()
        await self._audit(line, "ignore", {}, reason)
        return ReviewOutcome(line.id, "ignored", None, f"bank line {line.id} ignored")

    @unit_of_work(write=True)
    async def unmatch(self, line_id: int | str, reason: str | None = None) -> ReviewOutcome:
        """Put a matched or booked line back in review, undoing what the decision booked
        (BankPosting.undo, BankDecisions.undo) and booking it into the bank suspense account
        again: accept -> unmatch -> accept leaves one payment, not two."""
        line = await self._line(line_id)
        if line.state not in ("matched", BOOKED):
            raise RuleViolation(f"bank line {line.id} is not matched")
        payment_id, link = line.payment_id, line.link
        if line.state == BOOKED:
            await transfers.unpair(self.session, line)
            done = await BankDecisions(self.session, self.user).undo(line)
        else:
            done = await BankPosting(self.session, self.user).undo(line, reason)
        line.state, line.rule, line.score = "review", None, None
        line.reason = f"unmatched by {self.user}"
        await self.session.flush()
        entry_of = await suspense.book(self.session, self.user, [suspense.of(line)])
        line.suspense_entry_id = entry_of.get(line.id)
        await self.session.flush()
        await self._audit(
            line, "unmatch", {"payment_id": payment_id, "link": link, "payment": done}, reason
        )
        return ReviewOutcome(
            line.id, "unmatched", None, f"bank line {line.id} is back in review; {done}"
        )

    async def _audit(
        self, line: BankLine, action: str, changes: dict[str, Any], reason: str | None = None
    ) -> None:
        """The audit record of a review command and its event: every command that changes a
        line writes exactly one, named for the state it leaves the line in (catalog.py)."""
        await outbox.emit(self.session, self.user, [payloads.bank_line_change(line)])
        await audit.append(
            self.session,
            [
                audit.AuditEvent(
                    self.user,
                    action,
                    "bank_line",
                    line.id,
                    {"state": line.state, **changes},
                    payment_id=changes.get("payment_id"),
                    reason=reason,
                )
            ],
        )

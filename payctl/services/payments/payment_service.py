"""PaymentService: payment CRUD, allocations on drafts, validation and queries.

It holds each payment rule once; PaymentFlowService calls it for loading, validating and
numbering and adds the accounting orchestration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from payctl.db.bulk import insert_rows
from payctl.db.ids import allocate_ids
from payctl.db.models import (
    BankLine,
    Invoice,
    Journal,
    JournalEntry,
    Partner,
    Payment,
    PaymentAllocation,
    loaded_attribute,
)
from payctl.db.uow import unit_of_work
from payctl.domain import states
from payctl.domain.dates import parse_date
from payctl.domain.enums import PaymentState, PaymentType, is_inbound
from payctl.domain.money import normalise_currency, parse_amount, to_minor
from payctl.domain.validation import (
    AllocationFacts,
    InvoiceFacts,
    JournalFacts,
    PartnerFacts,
    PaymentFacts,
    Problem,
    confirm_problems,
    messages,
    party_problems,
    validate_payment,
)
from payctl.errors import InputError, NotFound, RuleViolation
from payctl.services import lookups
from payctl.services.events import outbox
from payctl.services.events.outbox import Change
from payctl.services.events.payloads import payment_change
from payctl.services.ledger import audit
from payctl.services.ledger.settings import lock_date
from payctl.services.payments.payment_queries import PaymentFilter, PaymentQueries
from payctl.services.rows import enum_value
from payctl.services.views import Page, PaymentView, payment_view

if TYPE_CHECKING:  # payctl.importers only in the commands that read files (issue 12)
    from payctl.importers.records import SourceRow
    from payctl.services.payments.bulk_create import BulkCreateResult

AllocationInput = tuple[str, str | Decimal]


_PAYMENT_COLUMNS = [c.key for c in Payment.__table__.c]
_ALLOCATION_COLUMNS = [c.key for c in PaymentAllocation.__table__.c if c.key != "id"]
# A new draft's (allocation's) row: its values of those columns, in their order.
_payment_row = attrgetter(*_PAYMENT_COLUMNS)
_allocation_row = attrgetter(*_ALLOCATION_COLUMNS)


@dataclass(slots=True)
class NewAllocation:
    """An allocation of a new draft. ``invoice`` is the loaded invoice for `create` and `bulk
    create`; the bank import validates against its open items instead (None here)."""

    invoice_id: int
    amount: int
    invoice: Invoice | None = None
    writeoff: int = 0
    payment_id: int = 0  # set by add_drafts
    # The invoice's number as this transaction read it (the bank import's open items): what
    # the outbox names ``invoice_id`` with (else the loaded ``invoice``'s, else a look-up).
    number: str | None = None


@dataclass(slots=True)
class NewPayment:
    """A new draft as PaymentService.new_draft builds it: a payments row's columns, its
    partner and journal, its allocations. A plain object, not an ORM instance: the bank
    import builds tens of thousands at once and an ORM instance costs about 70 µs of CPU
    each (the whole import had 10 s for 100,000 lines); add_drafts inserts the columns."""

    type: PaymentType
    partner: Partner
    partner_id: int
    journal: Journal
    journal_id: int
    amount: int
    currency: str
    date: dt.date
    reference: str | None
    memo: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    allocations: list[NewAllocation] = field(default_factory=list)
    state: PaymentState = states.INITIAL
    id: int = 0  # reserved by add_drafts
    number: str | None = None
    idempotency_key: str | None = None
    confirmed_by: str | None = None
    confirmed_at: dt.datetime | None = None


AnyPayment = Payment | NewPayment


def draft_view(p: NewPayment) -> PaymentView:
    """The view of a stored new draft (payment_view reads the same attributes of it)."""
    return payment_view(cast(Payment, p))


def _payment_options() -> list[Any]:
    return [
        selectinload(Payment.partner),
        selectinload(Payment.journal),
        selectinload(Payment.allocations).selectinload(PaymentAllocation.invoice),
    ]


def invoice_facts(inv: Invoice) -> InvoiceFacts:
    return InvoiceFacts(
        inv.id, inv.number, inv.type, inv.partner_id, inv.currency, inv.residual, inv.state
    )


@dataclass(slots=True)
class BatchMemo:
    """What the drafts of one batch share, worked out once: the facts of each (partner id,
    journal id), and what the partner and journal rules (``party_problems``) say of each
    (partner id, journal id, type, currency). Only for drafts whose partners and journals
    cannot change meanwhile (the bank import validates tens of thousands, of a few thousand
    partners and one journal)."""

    parties: dict[tuple[int, int], tuple[PartnerFacts, JournalFacts]] = field(default_factory=dict)
    checked: dict[tuple[int, int, PaymentType, str], list[Problem]] = field(default_factory=dict)


def _parties(p: AnyPayment, memo: BatchMemo | None) -> tuple[PartnerFacts, JournalFacts]:
    """The facts of ``p``'s partner and journal, read once per (partner, journal) when the
    caller keeps a ``memo``."""
    if memo is not None:
        hit = memo.parties.get((p.partner_id, p.journal_id))
        if hit is not None:
            return hit
    partner, journal = p.partner, p.journal
    facts = (
        PartnerFacts(partner.id, partner.name, partner.kind),
        JournalFacts(journal.id, journal.code, journal.type, journal.currency),
    )
    if memo is not None:
        memo.parties[(p.partner_id, p.journal_id)] = facts
    return facts


def _party_problems(p: AnyPayment, facts: PaymentFacts, memo: BatchMemo) -> list[Problem]:
    """``party_problems(facts)``, worked out once per partner, journal, type and currency of
    the batch (``memo``)."""
    key = (p.partner_id, p.journal_id, p.type, p.currency)
    checked = memo.checked.get(key)
    if checked is None:
        checked = memo.checked[key] = party_problems(facts)
    return checked


def facts_of(
    p: AnyPayment,
    writeoffs: Mapping[int, int] | None = None,
    invoices: Mapping[int, InvoiceFacts] | None = None,
    memo: BatchMemo | None = None,
) -> PaymentFacts:
    """The pure-domain view of a loaded payment (partner, journal, allocations eager).

    ``invoices`` (invoice id -> facts) stands in for the allocations' loaded invoices: the
    bank import validates its drafts against the residuals as they were before it;
    ``memo`` is a batch's memo of partner and journal facts (see ``BatchMemo``)."""
    partner, journal = _parties(p, memo)
    allocations = []
    for a in p.allocations:
        invoice = _loaded(a.invoice) if invoices is None else invoices[a.invoice_id]
        writeoff = writeoffs.get(a.invoice_id, 0) if writeoffs else 0
        allocations.append(AllocationFacts(invoice, a.amount, writeoff))
    return PaymentFacts(p.type, p.amount, p.currency, p.date, partner, journal, allocations)


def _loaded(invoice: Invoice | None) -> InvoiceFacts:
    if invoice is None:
        raise RuntimeError("an allocation without its invoice needs the invoices' facts")
    return invoice_facts(invoice)


def snapshot(p: AnyPayment, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The audited fields of a payment, JSON-ready (and ``extra``'s, if given: what a new
    draft was made from, added to the same dict rather than merged into a copy)."""
    fields = {  # enums' ``_value_``: ``value`` is a property, a Python call on 3.11
        "number": p.number,
        "type": p.type._value_,
        "state": p.state._value_,
        "partner_id": p.partner_id,
        "journal_id": p.journal_id,
        "amount": p.amount,
        "currency": p.currency,
        "date": p.date.isoformat(),
        "reference": p.reference,
        "memo": p.memo,
        "allocations": {str(a.invoice_id): a.amount for a in p.allocations},
    }
    if extra:
        fields.update(extra)
    return fields


def payment_events(
    user: str,
    action: str,
    payments: Sequence[AnyPayment],
    changes: Callable[[Any], dict[str, Any]] = snapshot,
    reason: str | None = None,
) -> list[audit.AuditEvent]:
    """The one builder of payments' audit records: one per payment, what changed (by default
    the payment's snapshot) under ``action``."""
    return [
        audit.AuditEvent(user, action, "payment", p.id, changes(p), payment_id=p.id, reason=reason)
        for p in payments
    ]


def _as_loaded(obj: Any, name_key: str, known: dict[int, tuple[Any, Any]]) -> tuple[Any, Any]:
    """(id, name) of an ORM instance as the outbox would read them (its ``id`` and
    ``name_key`` columns), from what this transaction loaded, if unchanged since; else
    (None, None) and the outbox looks the name up. Never loads: only the instance's loaded
    attributes are read. ``known``: the answers so far, by id() of the instance."""
    key = id(obj)
    hit = known.get(key)
    if hit is None:
        hit = known[key] = (loaded_attribute(obj, "id"), loaded_attribute(obj, name_key))
    return hit


def _name_drafts(payments: Sequence[AnyPayment], events: list[Change]) -> None:
    """Name in the events of new drafts the partner, journal and invoices the drafts were made
    with (rows this transaction read), as the outbox would name them: it names only the ids
    left without a name, so the bank import's tens of thousands of drafts are not looked up
    again. Only what is loaded and unchanged is used (``_as_loaded``)."""
    partners: dict[int, tuple[Any, Any]] = {}
    journals: dict[int, tuple[Any, Any]] = {}
    invoices: dict[int, tuple[Any, Any]] = {}
    for p, event in zip(payments, events, strict=True):
        if type(p) is not NewPayment:
            continue
        data = event.data
        pid, name = _as_loaded(p.partner, "name", partners)
        if name is not None and pid == data["partner_id"]:
            data["partner"] = name
        jid, code = _as_loaded(p.journal, "code", journals)
        if code is not None and jid == data["journal_id"]:
            data["journal"] = code
        numbers = _invoice_numbers(p.allocations, invoices)
        if numbers:
            for d in data["allocations"]:
                number = numbers.get(d["invoice_id"])
                if number is not None:
                    d["invoice"] = number


def _invoice_numbers(
    allocations: list[NewAllocation], known: dict[int, tuple[Any, Any]]
) -> dict[int, str]:
    """invoice id -> number of a new draft's allocations, where this transaction has it."""
    numbers = {}
    for a in allocations:
        number = a.number
        if number is None and a.invoice is not None:
            iid, number = _as_loaded(a.invoice, "number", known)
            if iid != a.invoice_id:
                number = None
        if number is not None:
            numbers[a.invoice_id] = number
    return numbers


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def held_message(p: Payment, line_id: int, detail: str = "") -> str:
    """The one refusal for a payment a bank line holds (made from it, or reconciled by it):
    reset, cancel, delete, and an update of what the line fixes all wait for the unmatch."""
    return (
        f"payment {lookups.payment_label(p)} is matched to bank line {line_id}{detail}: "
        f"unmatch it first (payctl review unmatch {line_id})"
    )


def ensure_deletable(p: Payment, with_history: set[int], held: dict[int, int]) -> None:
    """Only drafts that were never posted and no bank line holds can be deleted: a number or
    entries are history, and a line would keep pointing at a payment that is gone."""
    label = lookups.payment_label(p)
    states.transition(label, p.state, states.Action.DELETE)
    if p.number is not None or p.id in with_history:
        raise RuleViolation(
            f"payment {label} has been posted before and keeps its "
            "history: cancel it instead of deleting"
        )
    if p.id in held:
        raise RuleViolation(held_message(p, held[p.id]))


def _bank_facts(type: PaymentType, amount: int, journal_id: int) -> tuple[bool, int, int]:
    """What a bank line fixes of the payment it holds: direction, amount, journal."""
    return (is_inbound(type), amount, journal_id)


class PaymentService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user
        self.queries = PaymentQueries(session)

    # ----------------------------------------------------------------- loading
    async def load(self, ident: str | int, lock: bool = False) -> Payment:
        """A payment with partner, journal, allocations and their invoices loaded.

        ``lock`` takes a row lock on PostgreSQL (SQLite's writer lock already serialises)."""
        stmt = select(Payment).where(lookups.payment_filter(ident)).options(*_payment_options())
        if lock:
            stmt = stmt.with_for_update(of=Payment)
        stmt = stmt.execution_options(populate_existing=True)
        payment = await self.session.scalar(stmt)
        if payment is None:
            raise NotFound(f"unknown payment {ident!r}: see `payctl list`")
        return payment

    async def load_many(self, ids: Sequence[int], lock: bool = False) -> list[Payment]:
        """Payments by id (in id order, the lock order), eager-loaded, in a constant number
        of queries."""
        stmt = (
            select(Payment)
            .where(Payment.id.in_(ids))
            .options(*_payment_options())
            .order_by(Payment.id)
            .execution_options(populate_existing=True)
        )
        if lock:
            stmt = stmt.with_for_update(of=Payment)
        return list((await self.session.execute(stmt)).scalars())

    async def with_history(self, payment_ids: Sequence[int]) -> set[int]:
        """Those of the payments that have journal entries (they were posted once)."""
        if not payment_ids:
            return set()
        rows = await self.session.execute(
            select(JournalEntry.payment_id)
            .where(JournalEntry.payment_id.in_(payment_ids))
            .distinct()
        )
        return {pid for pid in rows.scalars() if pid is not None}

    async def held_by(self, payment_ids: Sequence[int], link: str | None = None) -> dict[int, int]:
        """payment id -> the matched bank line holding it (optionally of one link kind:
        "created" from the line, or "reconciled" by it). The one query for that rule.

        Only ``payment_id`` is in the WHERE clause, state and link are checked here: a line
        holds at most one payment (a unique index), so the rows are at most the ids asked
        for; with ``state = 'matched'`` in SQL, SQLite (no statistics) used the state index
        and read every matched line for each chunk of 1000 ids, 80 times over the lines of a
        100,000-line import confirmed with ``--auto-confirm``."""
        if not payment_ids:
            return {}
        rows = await self.session.execute(
            select(BankLine.payment_id, BankLine.id, BankLine.state, BankLine.link).where(
                BankLine.payment_id.in_(payment_ids)
            )
        )
        # payment_id is never NULL here (filtered with IN); the check narrows the type.
        return {
            pid: line_id
            for pid, line_id, state, kind in rows
            if pid is not None and state == "matched" and (link is None or kind == link)
        }

    async def view(self, p: Payment, with_entries: bool = False) -> PaymentView:
        entries = await self.queries.entries_of(p) if with_entries else []
        return payment_view(p, entries)

    async def record(
        self,
        action: str,
        payments: Sequence[AnyPayment],
        changes: Callable[[Any], dict[str, Any]] = snapshot,
        reason: str | None = None,
    ) -> None:
        """Queue the audit records of ``action`` on ``payments`` (see ``payment_events``) and
        their events in the outbox: the one place every change of a payment is reported."""
        records = payment_events(self.user, action, payments, changes, reason)
        await audit.append(self.session, records)
        events = [
            payment_change(action, p, record.changes, reason)
            for p, record in zip(payments, records, strict=True)
        ]
        if action == "create":
            _name_drafts(payments, events)
        await outbox.emit(self.session, self.user, events)

    # -------------------------------------------------------------- validation
    def ensure_valid(
        self,
        p: AnyPayment,
        writeoffs: Mapping[int, int] | None = None,
        invoices: Mapping[int, InvoiceFacts] | None = None,
        memo: BatchMemo | None = None,
    ) -> None:
        """Refuse a draft that breaks a rule of ``validate_payment`` (all of them named).

        With a batch's ``memo`` the partner and journal rules are checked once per partner,
        journal, type and currency of the batch, not once per draft."""
        facts = facts_of(p, writeoffs, invoices, memo)
        checked = None if memo is None else _party_problems(p, facts, memo)
        problems = validate_payment(facts, parties=checked)
        if problems:
            raise RuleViolation(messages(problems))

    def confirm_problems(
        self,
        p: Payment,
        lock: dt.date | None,
        writeoffs: Mapping[int, int] | None = None,
        memo: BatchMemo | None = None,
    ) -> list[Problem]:
        """Why ``p`` cannot be confirmed now (empty: it can): see domain ``confirm_problems``.
        ``memo``: a batch's memo of partner and journal facts (see ``BatchMemo``)."""
        return confirm_problems(
            lookups.payment_label(p),
            p.state,
            lambda: facts_of(p, writeoffs, None, memo),
            lock,
            None if memo is None else lambda facts: _party_problems(p, facts, memo),
        )

    @unit_of_work(write=False)
    async def validate_payment(self, ident: str | int) -> list[Problem]:
        """Every rule the payment breaks for confirmation (empty list: it can be confirmed)."""
        p = await self.load(ident)
        return self.confirm_problems(p, await lock_date(self.session))

    # -------------------------------------------------------------------- CRUD
    async def _find(self, kind: str, ident: str, known: dict[tuple[str, str], Any] | None) -> Any:
        """lookups.partner/journal/invoice, remembered for one bulk create (no query per row)."""
        finder = {
            "partner": lookups.partner,
            "journal": lookups.journal,
            "invoice": lookups.invoice,
        }[kind]
        if known is None:
            return await finder(self.session, ident)
        key = (kind, str(ident).strip())
        if key not in known:
            known[key] = await finder(self.session, ident)
        return known[key]

    async def _allocations(
        self,
        p: NewPayment,
        inputs: Sequence[AllocationInput],
        known: dict[tuple[str, str], Any] | None = None,
    ) -> None:
        seen: set[int] = set()
        for ident, amount in inputs:
            invoice = await self._find("invoice", ident, known)
            if invoice.id in seen:
                raise InputError(f"allocations: invoice {invoice.number} is listed twice")
            seen.add(invoice.id)
            minor = to_minor(
                parse_amount(amount, p.currency, field=f"allocation to {ident}"), p.currency
            )
            p.allocations.append(NewAllocation(invoice.id, minor, invoice))

    async def build_draft(
        self,
        type: str,
        partner: str,
        journal: str,
        amount: str | Decimal,
        date: str | dt.date | None,
        reference: str | None,
        memo: str | None,
        currency: str | None,
        allocations: Sequence[AllocationInput],
        validate: bool = True,
        known: dict[tuple[str, str], Any] | None = None,
    ) -> NewPayment:
        """A new, validated draft (not yet added to the session). The rules of `create`."""
        p_type = enum_value(PaymentType, "type")(str(type))
        found_journal = await self._find("journal", journal, known)
        found_partner = await self._find("partner", partner, known)
        cur = normalise_currency(currency or found_journal.currency)
        p = self.new_draft(
            p_type,
            found_partner,
            found_journal,
            to_minor(parse_amount(amount, cur), cur),
            cur,
            parse_date(date) or dt.date.today(),
            reference,
            memo,
        )
        await self._allocations(p, allocations, known)
        if validate:
            self.ensure_valid(p)
        return p

    def new_draft(
        self,
        type: PaymentType,
        partner: Partner,
        journal: Journal,
        amount: int,
        currency: str,
        date: dt.date,
        reference: str | None,
        memo: str | None,
        now: dt.datetime | None = None,
    ) -> NewPayment:
        """The one builder of a new payment from resolved values (not yet added to the
        session, no allocations yet): `create`, `bulk create` and the bank import make their
        drafts here, validate them with ``ensure_valid`` and store them with ``add_drafts``."""
        now = now or dt.datetime.now(dt.UTC)
        return NewPayment(
            type,
            partner,
            partner.id,
            journal,
            journal.id,
            amount,
            currency,
            date,
            reference or None,
            memo or None,
            self.user,
            now,
            now,
        )

    async def add_drafts(
        self, payments: list[NewPayment], origin: Sequence[dict[str, Any]] | None = None
    ) -> None:
        """Insert new drafts set-wise: ids reserved up front, one executemany for the payments
        and one for their allocations (the ORM's flush would insert them one by one), and queue
        their audit records (the snapshot, plus ``origin``: what each was made from, if given,
        in the order of ``payments``). The drafts get their ids."""
        if not payments:
            return
        ids = await allocate_ids(self.session, Payment.__table__, len(payments))
        for pid, p in zip(ids, payments, strict=True):
            p.id = pid
            for a in p.allocations:
                a.payment_id = pid
        await insert_rows(
            self.session, Payment.__table__, _PAYMENT_COLUMNS, list(map(_payment_row, payments))
        )
        allocations = [a for p in payments for a in p.allocations]
        if allocations:
            await insert_rows(
                self.session,
                PaymentAllocation.__table__,
                _ALLOCATION_COLUMNS,
                list(map(_allocation_row, allocations)),
            )
        if origin:
            made_from = {p.id: o for p, o in zip(payments, origin, strict=True)}
            await self.record("create", payments, lambda p: snapshot(p, made_from[p.id]))
        else:
            await self.record("create", payments)

    @unit_of_work(write=True)
    async def create_payment(
        self,
        type: str,
        partner: str,
        journal: str,
        amount: str | Decimal,
        date: str | dt.date | None = None,
        reference: str | None = None,
        memo: str | None = None,
        currency: str | None = None,
        allocations: Sequence[AllocationInput] = (),
    ) -> PaymentView:
        p = await self.build_draft(
            type, partner, journal, amount, date, reference, memo, currency, allocations
        )
        await self.add_drafts([p])
        return draft_view(p)

    async def create_payments(
        self,
        rows: Sequence[SourceRow],
        header: Sequence[str],
        source: str,
        *,
        dry_run: bool = False,
    ) -> BulkCreateResult:
        """Bulk create drafts from file rows, all or nothing, safely repeatable: see
        payctl/services/payments/bulk_create.py."""
        from payctl.services.payments.bulk_create import BulkCreate

        return await BulkCreate(self).run(rows, header, source, dry_run=dry_run)

    @unit_of_work(write=False)
    async def get_payment(self, ident: str | int, with_entries: bool = True) -> PaymentView:
        return await self.view(await self.load(ident), with_entries)

    @unit_of_work(write=True)
    async def update_payment(
        self,
        ident: str | int,
        *,
        type: str | None = None,
        partner: str | None = None,
        journal: str | None = None,
        amount: str | Decimal | None = None,
        date: str | dt.date | None = None,
        reference: str | None = None,
        memo: str | None = None,
        reason: str | None = None,
    ) -> PaymentView:
        p = await self.load(ident, lock=True)
        states.transition(lookups.payment_label(p), p.state, states.Action.EDIT)
        before = snapshot(p)
        if type is not None:
            p.type = enum_value(PaymentType, "type")(type)
        if partner is not None:
            p.partner = await lookups.partner(self.session, partner)
        if journal is not None:
            p.journal = await lookups.journal(self.session, journal)
            p.currency = p.journal.currency
        if amount is not None:
            p.amount = to_minor(parse_amount(amount, p.currency), p.currency)
        if date is not None:
            p.date = parse_date(date) or p.date
        if reference is not None:
            p.reference = reference or None
        if memo is not None:
            p.memo = memo or None
        was = _bank_facts(PaymentType(before["type"]), before["amount"], before["journal_id"])
        if _bank_facts(p.type, p.amount, p.journal.id) != was:
            held = await self.held_by([p.id])
            if held:
                raise RuleViolation(
                    held_message(p, held[p.id], ", which fixes its amount, journal and direction")
                )
        return await self._save_edit(p, before, "update", reason)

    async def _save_edit(
        self, p: Payment, before: dict[str, Any], action: str, reason: str | None
    ) -> PaymentView:
        self.ensure_valid(p)
        await self.session.flush()
        changes = diff(before, snapshot(p))
        if changes:
            p.updated_at = dt.datetime.now(dt.UTC)
            await self.session.flush()
            await self.record(action, [p], lambda _: changes, reason)
        return await self.view(p)

    @unit_of_work(write=True)
    async def delete_payment(self, ident: str | int, reason: str | None = None) -> str:
        p = await self.load(ident, lock=True)
        label = lookups.payment_label(p)
        ensure_deletable(p, await self.with_history([p.id]), await self.held_by([p.id]))
        await self.record("delete", [p], reason=reason)
        await self.session.delete(p)
        await self.session.flush()
        return label

    # ------------------------------------------------------------- allocations
    @unit_of_work(write=True)
    async def set_allocation(
        self, ident: str | int, invoice: str, amount: str | Decimal, reason: str | None = None
    ) -> PaymentView:
        """Add an allocation to a draft, or change the amount of an existing one."""
        p = await self.load(ident, lock=True)
        states.transition(lookups.payment_label(p), p.state, states.Action.EDIT)
        before = snapshot(p)
        inv = await lookups.invoice(self.session, invoice)
        minor = to_minor(parse_amount(amount, p.currency, field="allocation"), p.currency)
        current = next((a for a in p.allocations if a.invoice_id == inv.id), None)
        if current is None:
            p.allocations.append(
                PaymentAllocation(invoice=inv, invoice_id=inv.id, amount=minor, writeoff=0)
            )
        else:
            current.amount = minor
        return await self._save_edit(p, before, "allocate", reason)

    @unit_of_work(write=True)
    async def remove_allocation(
        self, ident: str | int, invoice: str, reason: str | None = None
    ) -> PaymentView:
        p = await self.load(ident, lock=True)
        states.transition(lookups.payment_label(p), p.state, states.Action.EDIT)
        before = snapshot(p)
        inv = await lookups.invoice(self.session, invoice)
        current = next((a for a in p.allocations if a.invoice_id == inv.id), None)
        if current is None:
            raise NotFound(f"payment {lookups.payment_label(p)} has no allocation to {inv.number}")
        p.allocations.remove(current)
        return await self._save_edit(p, before, "unallocate", reason)

    # ----------------------------------------------------------------- queries
    @unit_of_work(write=False)
    async def get_payments(
        self,
        filters: PaymentFilter | None = None,
        sort: str = "-date",
        limit: int | None = 50,
        offset: int = 0,
    ) -> Page:
        return await self.queries.page(filters or PaymentFilter(), sort, limit, offset)

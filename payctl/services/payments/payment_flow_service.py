"""PaymentFlowService: confirm, reset to draft, cancel — one payment or a batch.

Every transition is implemented once, set-wise, for a list of loaded payments; the
single-payment methods run it on a batch of one. CRUD, loading, validation and numbering
come from PaymentService.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import JournalEntry, Payment
from payctl.db.uow import unit_of_work
from payctl.domain import states
from payctl.domain.enums import AccountRole, PaymentState, is_customer_payment
from payctl.domain.journal import outstanding_account, payment_lines
from payctl.domain.money import writeoff_limit
from payctl.domain.validation import messages
from payctl.errors import RuleViolation
from payctl.services.ledger import audit, entries, sequences
from payctl.services.ledger.settings import lock_date, writeoff_tolerance
from payctl.services.lookups import label
from payctl.services.payments.bulk_types import (
    BulkAction,
    BulkOptions,
    BulkReport,
    ItemResult,
    refused,
)
from payctl.services.payments.payment_service import (
    BatchMemo,
    PaymentService,
    held_message,
    snapshot,
)
from payctl.services.payments.records import (
    PaymentRecord,
    RowWrites,
    lock_invoices,
    record_of,
)
from payctl.services.payments.residuals import ResidualMoves
from payctl.services.payments.selection import Selection
from payctl.services.views import PaymentView

Progress = Callable[[int, int], None]


@dataclass
class _Batch:
    ok: list[PaymentRecord]
    failed: list[ItemResult]

    def failed_by_payment(self) -> dict[int, ItemResult]:
        """The failures by payment id (every failure of a run names its payment)."""
        out: dict[int, ItemResult] = {}
        for f in self.failed:
            if f.payment_id is None:
                raise RuntimeError(f"transition failure without a payment id: {f.item}")
            out[f.payment_id] = f
        return out


class PaymentFlowService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user
        self.payments = PaymentService(session, user)

    # ----------------------------------------------------------- single payment
    async def _single(
        self, ident: str | int, action: states.Action, reason: str | None, write_off: bool = False
    ) -> PaymentView:
        p = await self.payments.load(ident, lock=True)
        batch = await self.run_transition([p], action, reason, write_off=write_off)
        if batch.failed:
            raise RuleViolation(batch.failed[0].message.split("; "))
        return await self.payments.view(p, with_entries=True)

    @unit_of_work(write=True)
    async def confirm_payment(
        self, ident: str | int, reason: str | None = None, write_off: bool = False
    ) -> PaymentView:
        return await self._single(ident, states.Action.CONFIRM, reason, write_off)

    @unit_of_work(write=True)
    async def reset_payment_to_draft(
        self, ident: str | int, reason: str | None = None
    ) -> PaymentView:
        return await self._single(ident, states.Action.RESET, reason)

    @unit_of_work(write=True)
    async def cancel_payment(self, ident: str | int, reason: str | None = None) -> PaymentView:
        return await self._single(ident, states.Action.CANCEL, reason)

    # --------------------------------------------------------------------- bulk
    async def bulk(
        self,
        action: BulkAction | str,
        selection: Selection,
        options: BulkOptions | None = None,
        progress: Progress | None = None,
    ) -> BulkReport:
        """validate / confirm / post / reset / cancel / delete the selected payments, in
        batches of 1000: `payctl bulk` and `payctl confirm|reset|cancel`."""
        from payctl.services.payments.bulk_flow import BulkFlow

        return await BulkFlow(self).run(
            BulkAction(action), selection, options or BulkOptions(), progress
        )

    # ------------------------------------------------------------------ batches
    async def run_transition(
        self,
        payments: Sequence[Payment | PaymentRecord],
        action: states.Action,
        reason: str | None = None,
        write_off: bool = False,
    ) -> _Batch:
        """Apply ``action`` to loaded, locked payments (records, or ORM payments with partner,
        journal and allocations loaded: they get the new values too); invalid ones are
        reported, not applied."""
        records = [p if isinstance(p, PaymentRecord) else record_of(p) for p in payments]
        if action == states.Action.CONFIRM:
            return await self._confirm(records, reason, write_off)
        if action in (states.Action.RESET, states.Action.CANCEL):
            return await self._unpost(records, action, reason)
        raise ValueError(f"unsupported transition {action}")

    def _state_problem(self, p: PaymentRecord, action: states.Action) -> ItemResult | None:
        try:
            states.transition(_label(p), p.state, action)
        except RuleViolation as exc:
            return refused(p, exc.message)
        return None

    async def _confirm(
        self, payments: Sequence[PaymentRecord], reason: str | None, write_off: bool
    ) -> _Batch:
        lock = await lock_date(self.session)
        tolerance = await writeoff_tolerance(self.session)
        invoices = await lock_invoices(
            self.session, [a.invoice_id for p in payments for a in p.allocations]
        )
        batch, writes = _Batch([], []), RowWrites()
        residuals = ResidualMoves(writes)
        memo = BatchMemo()  # facts of the partners and journals the batch loaded once
        for p in payments:
            for a in p.allocations:  # current, locked residuals
                a.invoice = invoices[a.invoice_id]
            writeoffs = self._writeoffs(p, tolerance) if write_off else {}
            problems = self.payments.confirm_problems(_orm(p), lock, writeoffs, memo)
            if problems:
                batch.failed.append(refused(p, "; ".join(messages(problems))))
                continue
            for a in p.allocations:
                if a.writeoff != writeoffs.get(a.invoice_id, 0):
                    writes.allocation(a, writeoff=writeoffs.get(a.invoice_id, 0))
                residuals.move(invoices[a.invoice_id], -(a.amount + a.writeoff), p)
            batch.ok.append(p)
        await self._number(batch.ok, writes)
        posted = await self._post(batch.ok)
        now = dt.datetime.now(dt.UTC)
        before = {p.id: p.state.value for p in batch.ok}
        for p in batch.ok:
            writes.payment(
                p,
                state=states.transition(_label(p), p.state, states.Action.CONFIRM),
                confirmed_by=self.user,
                confirmed_at=now,
                updated_at=now,
            )
        await writes.write(self.session)
        await self._audit(batch.ok, "confirm", reason, before, posted)
        await residuals.emit(self.session, self.user)
        return batch

    @staticmethod
    def _writeoffs(p: PaymentRecord, tolerance: Decimal) -> dict[int, int]:
        limit = writeoff_limit(tolerance, p.currency)
        out = {}
        for a in p.allocations:
            assert a.invoice is not None  # the locked invoices are set first
            gap = a.invoice.residual - a.amount
            if 0 < gap <= limit:
                out[a.invoice_id] = gap
        return out

    async def _number(self, payments: list[PaymentRecord], writes: RowWrites) -> None:
        """Give first-time confirms their numbers: one counter update per journal and year."""
        todo: dict[tuple[int, int], list[PaymentRecord]] = {}
        for p in payments:
            if p.number is None:
                todo.setdefault((p.journal_id, p.date.year), []).append(p)
        for (journal_id, year), group in sorted(todo.items()):
            first = await sequences.reserve(
                self.session, journal_id, year, sequences.PAYMENT, len(group)
            )
            for offset, p in enumerate(group):
                writes.payment(
                    p,
                    number=sequences.format_number(
                        p.journal.code, year, first + offset, sequences.PAYMENT
                    ),
                )

    async def _post(self, payments: list[PaymentRecord]) -> dict[int, dict[str, object]]:
        """Post the payments' entries; payment id -> the entry as the audit trail records it."""
        if not payments:
            return {}
        roles = await entries.account_roles(self.session)
        from_bank = await self.payments.held_by([p.id for p in payments], link="created")
        drafts = []
        for p in payments:
            # A payment made from a bank line is already in the bank: book it there directly.
            liquidity = (
                p.journal.account_id if p.id in from_bank else None
            ) or outstanding_account(p.journal, p.type)
            counterpart = roles[
                AccountRole.RECEIVABLE if is_customer_payment(p.type) else AccountRole.PAYABLE
            ]
            assert liquidity is not None
            lines = payment_lines(
                p.type,
                p.amount,
                p.partner_id,
                liquidity,
                counterpart,
                label=p.reference or p.number or "",
                writeoff=sum(a.writeoff for a in p.allocations),
                writeoff_account=roles[AccountRole.PAYMENT_DIFFERENCES],
            )
            drafts.append(
                entries.EntryDraft(
                    journal_id=p.journal_id,
                    journal_code=p.journal.code,
                    date=p.date,
                    source_type="payment",
                    source_id=p.id,
                    payment_id=p.id,
                    lines=lines,
                    memo=p.number,
                )
            )
        posted = await entries.post_entries(self.session, drafts, self.user)
        return {
            p.id: audit.entry_record(e.number, d.lines)
            for p, d, e in zip(payments, drafts, posted, strict=True)
        }

    async def _unpost(
        self, payments: Sequence[PaymentRecord], action: states.Action, reason: str | None
    ) -> _Batch:
        batch = _Batch([], [])
        held = await self.payments.held_by([p.id for p in payments])
        for p in payments:
            failure = self._state_problem(p, action)
            if failure is None and p.id in held:  # posted, or a draft the line made
                failure = refused(p, held_message(_orm(p), held[p.id]))
            if failure:
                batch.failed.append(failure)
            else:
                batch.ok.append(p)
        posted = [p for p in batch.ok if p.state == PaymentState.POSTED]
        before = {p.id: p.state.value for p in batch.ok}
        # invoices before the entry counter, as confirm does: one lock order, no deadlock
        invoices = await lock_invoices(
            self.session, [a.invoice_id for p in posted for a in p.allocations]
        )
        await self._reverse(posted)
        writes = RowWrites()
        residuals = ResidualMoves(writes)
        for p in posted:
            for a in p.allocations:
                residuals.move(invoices[a.invoice_id], a.amount + a.writeoff, p)
                if a.writeoff:
                    writes.allocation(a, writeoff=0)
        now = dt.datetime.now(dt.UTC)
        for p in batch.ok:
            writes.payment(p, state=states.transition(_label(p), p.state, action), updated_at=now)
        await writes.write(self.session)
        await self._audit(
            batch.ok, "reset" if action == states.Action.RESET else "cancel", reason, before
        )
        await residuals.emit(self.session, self.user)
        return batch

    async def _reverse(self, payments: list[PaymentRecord]) -> None:
        if not payments:
            return
        live = (
            (
                await self.session.execute(
                    select(JournalEntry.id)
                    .where(
                        JournalEntry.payment_id.in_([p.id for p in payments]),
                        JournalEntry.reversal_of_id.is_(None),
                        JournalEntry.reversed_by_id.is_(None),
                    )
                    .order_by(JournalEntry.id)
                )
            )
            .scalars()
            .all()
        )
        await entries.reverse_entries(self.session, list(live), self.user)

    async def _audit(
        self,
        payments: list[PaymentRecord],
        action: str,
        reason: str | None,
        before: dict[int, str],
        entries: dict[int, dict[str, object]] | None = None,
    ) -> None:
        """One record per payment; a confirm also records the entry it posted (what `payctl
        check` compares the posted payment and its entry with)."""
        await self.payments.record(
            action,
            _orm(payments),
            lambda p: {
                "state": p.state.value,
                "state_before": before[p.id],
                "number": p.number,
                "snapshot": snapshot(p),
                **({"entry": entries[p.id]} if entries is not None else {}),
            },
            reason,
        )


def _label(p: PaymentRecord) -> str:
    return label(p.number, p.id)


def _orm(p: PaymentRecord | list[PaymentRecord]) -> Any:
    """Records where a rule is typed for the model: it reads the same attributes."""
    return cast(Any, p)

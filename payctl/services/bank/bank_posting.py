"""Turning matched bank lines into accounting: draft payments, or reconciliations.

Shared by the import (many lines at once) and the review queue (one line at a time).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import BankLine, Journal, Partner, Payment
from payctl.domain import states
from payctl.domain.enums import InvoiceState, is_inbound
from payctl.domain.journal import outstanding_account, reconcile_lines
from payctl.domain.matching import Candidate, OpenItems, PostedPayment
from payctl.domain.states import Action
from payctl.domain.validation import InvoiceFacts
from payctl.errors import RuleViolation
from payctl.services.ledger import entries
from payctl.services.lookups import payment_label
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_service import BatchMemo, NewAllocation

CONFIRM_CHUNK = 1000


@dataclass
class NewLinePayment:
    """A draft to create for a bank line from a matching decision."""

    line_key: int  # the bank line's id
    decision: Candidate
    amount: int
    currency: str
    date: dt.date
    reference: str | None
    memo: str | None


class Reconciliation(NamedTuple):
    """A bank line that settles a posted payment: its bank entry to post."""

    line_id: int
    payment: Payment | PostedPayment
    amount: int  # minor units, positive
    date: dt.date
    label: str  # of the entry's lines


# json.dumps(value, ensure_ascii=False) makes an encoder per call; this one is made once and
# gives the same text (json.dumps is exactly this encoder's encode).
_encode_candidates = json.JSONEncoder(ensure_ascii=False).encode


def candidate_json(candidates: Sequence[Candidate]) -> str:
    return _encode_candidates(
        [
            {
                "rule": c.rule,
                "score": c.score,
                "reason": c.reason,
                "partner_id": c.partner_id,
                "payment_type": c.payment_type.value,
                "payment_id": c.payment_id,
                "allocations": [[a.number, a.amount, a.writeoff] for a in c.allocations],
            }
            for c in candidates
        ]
    )


class _OpenItems(Mapping[int, InvoiceFacts]):
    """The facts of the open items a posting's drafts settle, each made when a draft asks for
    it (with the residual left by the drafts before it), not a dict per draft."""

    def __init__(self, posting: BankPosting) -> None:
        self.posting = posting

    def __getitem__(self, invoice_id: int) -> InvoiceFacts:
        """An open item the matcher settles, with its residual before this import's drafts."""
        inv = self.posting.invoices[invoice_id]
        return InvoiceFacts(
            inv.id,
            inv.number,
            inv.type,
            inv.partner_id,
            inv.currency,
            self.posting.residual[invoice_id],
            InvoiceState.OPEN,
        )

    def __iter__(self) -> Iterator[int]:
        return iter(self.posting.invoices)

    def __len__(self) -> int:
        return len(self.posting.invoices)


class BankPosting:
    def __init__(self, session: AsyncSession, user: str, invoices: OpenItems | None = None) -> None:
        self.session = session
        self.user = user
        self.flow = PaymentFlowService(session, user)
        # The matcher's open items: it lowers their residuals as it decides, so the residuals
        # as they were before this import are copied first, for validating the drafts.
        self.invoices = invoices if invoices is not None else OpenItems(())
        self.residual = self.invoices.residuals_now()
        # Partners and the journal do not change during an import: each partner is read, and
        # its facts and rules are checked, once for all the chunks of this import.
        self._partners: dict[int, Partner] = {}
        self._memo = BatchMemo()

    async def create_payments(
        self,
        journal: Journal,
        drafts: list[NewLinePayment],
    ) -> dict[int, int]:
        """Make the drafts through PaymentService (its builder, validation, set-wise insert and
        audit snapshot, like `create` and `bulk create`); return line_key -> payment id."""
        if not drafts:
            return {}
        service = self.flow.payments
        partners = self._partners
        missing = sorted({d.decision.partner_id for d in drafts} - partners.keys())
        if missing:
            rows = await self.session.execute(select(Partner).where(Partner.id.in_(missing)))
            partners.update((p.id, p) for p in rows.scalars())
        now = dt.datetime.now(dt.UTC)
        new_draft, ensure_valid = service.new_draft, service.ensure_valid
        open_items, residual, memo = _OpenItems(self), self.residual, self._memo
        payments = []
        for d in drafts:
            best = d.decision
            p = new_draft(
                best.payment_type,
                partners[best.partner_id],
                journal,
                d.amount,
                d.currency,
                d.date,
                d.reference,
                d.memo,
                now,
            )
            p.allocations = [
                NewAllocation(a.invoice_id, a.amount, number=a.number) for a in best.allocations
            ]
            writeoffs = {a.invoice_id: a.writeoff for a in best.allocations if a.writeoff}
            ensure_valid(p, writeoffs, open_items, memo)
            for a in best.allocations:
                residual[a.invoice_id] -= a.amount + a.writeoff
            payments.append(p)
        await service.add_drafts(
            payments,
            [{"from_bank_line": d.line_key, "rule": d.decision.rule} for d in drafts],
        )
        return {d.line_key: p.id for d, p in zip(drafts, payments, strict=True)}

    async def confirm(self, payment_ids: list[int]) -> tuple[int, list[str]]:
        """Post payments made from bank lines through the workflow (write-offs allowed)."""
        confirmed, problems = 0, []
        for start in range(0, len(payment_ids), CONFIRM_CHUNK):
            chunk = payment_ids[start : start + CONFIRM_CHUNK]
            payments = await self.flow.payments.load_many(chunk, lock=True)
            batch = await self.flow.run_transition(payments, Action.CONFIRM, write_off=True)
            confirmed += len(batch.ok)
            problems += [f.message for f in batch.failed]
        return confirmed, problems

    async def reconcile(
        self,
        journal: Journal,
        items: list[Reconciliation],
    ) -> list[int]:
        """Post the outstanding -> bank entry of each item; their ids, in order."""
        if not items:
            return []
        drafts = []
        for line_id, payment, amount, day, label in items:
            outstanding = outstanding_account(journal, payment.type)
            if journal.account_id is None or outstanding in (None, journal.account_id):
                # without an outstanding account confirm booked the payment on the bank account
                # itself: there is nothing to move (a bank -> bank entry would be noise)
                raise RuleViolation(f"journal {journal.code} has no bank/outstanding accounts")
            drafts.append(
                entries.EntryDraft(
                    journal_id=journal.id,
                    journal_code=journal.code,
                    date=day,
                    source_type="bank_line",
                    source_id=line_id,
                    lines=reconcile_lines(
                        is_inbound(payment.type),
                        amount,
                        journal.account_id,
                        outstanding,
                        payment.partner_id,
                        label,
                    ),
                    memo=f"Bank line {line_id} settles {payment.number or payment.id}",
                )
            )
        posted = await entries.post_entries(self.session, drafts, self.user)
        return [e.id for e in posted]

    async def undo(self, line: BankLine, reason: str | None) -> str:
        """Undo what matching ``line`` booked, unlink it, and say what became of its payment.

        A reconciliation of an existing payment is reversed (the payment stays posted, back on
        its outstanding account). A payment the match created goes with it: deleted while it is
        a draft that was never posted, else cancelled through the workflow (its entry reversed,
        its allocations given back to the invoices). The line's state is the caller's to set."""
        link, payment_id, entry_id = line.link, line.payment_id, line.reconcile_entry_id
        line.link, line.payment_id, line.reconcile_entry_id = None, None, None
        await self.session.flush()  # the workflow refuses payments a line still holds
        if entry_id is not None:
            await entries.reverse_entries(self.session, [entry_id], self.user)
        if payment_id is None:
            return "no payment was linked"
        p = await self.flow.payments.load(payment_id, lock=True)
        label = payment_label(p)
        if link != "created":
            return f"payment {label} stays {p.state.value}, its reconciliation reversed"
        why = reason or f"bank line {line.id} unmatched"
        if states.already_done(p.state, Action.CANCEL):
            return f"payment {label} was already cancelled"
        never_posted = p.number is None and not await self.flow.payments.with_history([p.id])
        if states.can(p.state, Action.DELETE) and never_posted:
            await self.flow.payments.delete_payment(p.id, why)
            return f"draft payment {label} made from it is deleted"
        batch = await self.flow.run_transition([p], Action.CANCEL, why)
        if batch.failed:
            raise RuleViolation(batch.failed[0].message.split("; "))
        return f"payment {label} made from it is cancelled, its entry reversed"

"""Invoice residuals moved by payments (confirm gives them down, reset and cancel give them
back): the one place they change, written with the batch's other updates, and the invoices
that became paid or were reopened reported as events (one per invoice and crossing of zero,
naming the payment that did it)."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from payctl.domain.enums import invoice_state_for
from payctl.services.events import outbox
from payctl.services.events.payloads import INVOICE_FIELDS, invoice_change, residual_event
from payctl.services.payments.records import InvoiceRecord, PaymentRecord, RowWrites

_invoice_columns = attrgetter(*INVOICE_FIELDS)


class ResidualMoves:
    def __init__(self, writes: RowWrites) -> None:
        self.writes = writes
        # (event type, the invoice's columns after the move, the payment that moved it)
        self.crossed: list[tuple[str, dict[str, Any], PaymentRecord]] = []

    def move(self, invoice: InvoiceRecord, delta: int, payment: PaymentRecord) -> None:
        """Move ``invoice``'s residual by ``delta`` (minor units) for ``payment``."""
        before = invoice.residual
        residual = before + delta
        state = invoice_state_for(invoice.total, residual)
        self.writes.invoice(invoice, residual=residual, state=state)
        event = residual_event(before, residual)
        if event is not None:
            columns = dict(zip(INVOICE_FIELDS, _invoice_columns(invoice), strict=True))
            self.crossed.append((event, columns, payment))

    async def emit(self, session: AsyncSession, actor: str) -> None:
        """Queue the events of the moves so far, once the payments have their numbers (a
        confirm numbers them after moving the residuals)."""
        await outbox.emit(session, actor, [invoice_change(e, inv, p) for e, inv, p in self.crossed])
        self.crossed = []

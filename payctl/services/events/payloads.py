"""The data of each kind of event, built from what the service that made the change holds.

Amounts are decimal strings next to their currency, as `--format json` shows them; ids of
partners, journals and invoices get their names added when the event is written (outbox.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payctl.domain.money import format_amount
from payctl.services.events.catalog import PAYMENT_ACTIONS
from payctl.services.events.outbox import Change


def amount(minor: int, currency: str) -> str:
    return format_amount(minor, currency)


def payment_data(p: Any) -> dict[str, Any]:
    """A payment as the event shows it (a stored ``Payment`` or a new draft's record)."""
    cur = p.currency
    return {
        "id": p.id,
        "number": p.number,
        "type": p.type.value,
        "state": p.state.value,
        "partner_id": p.partner_id,
        "journal_id": p.journal_id,
        "amount": format_amount(p.amount, cur),
        "currency": cur,
        "date": p.date.isoformat(),
        "reference": p.reference,
        "memo": p.memo,
        "allocations": [
            {"invoice_id": a.invoice_id, "amount": format_amount(a.amount, cur)}
            for a in p.allocations
        ],
    }


def payment_change(action: str, p: Any, audited: Mapping[str, Any], reason: str | None) -> Change:
    """The event of ``action`` on payment ``p``; ``audited`` is what its audit record says
    changed (a transition's ``state_before``, an update's fields as [before, after])."""
    data = payment_data(p)
    if "state_before" in audited:
        data["previous_state"] = audited["state_before"]
    if action == "update":
        data["changed"] = sorted(audited)
    if reason is not None:
        data["reason"] = reason
    return Change(PAYMENT_ACTIONS[action], "payment", p.id, p.number, data)

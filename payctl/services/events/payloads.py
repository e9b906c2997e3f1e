"""The data of each kind of event, built from what the service that made the change holds.

Amounts are decimal strings next to their currency, as `--format json` shows them; ids of
partners, journals and invoices get their names added when the event is written (outbox.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from payctl.domain.money import from_minor
from payctl.services.events.catalog import PAYMENT_ACTIONS
from payctl.services.events.outbox import Change


def amount(minor: int, currency: str) -> str:
    return str(from_minor(int(minor), currency))


# Payment actions whose audit record is the diff of the fields they changed ("changed").
_CHANGES = ("update", "allocate", "unallocate")


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
        "amount": amount(p.amount, cur),
        "currency": cur,
        "date": p.date.isoformat(),
        "reference": p.reference,
        "memo": p.memo,
        "allocations": [
            {"invoice_id": a.invoice_id, "amount": amount(a.amount, cur)} for a in p.allocations
        ],
    }


def payment_change(action: str, p: Any, audited: Mapping[str, Any], reason: str | None) -> Change:
    """The event of ``action`` on payment ``p``; ``audited`` is what its audit record says
    changed (a transition's ``state_before``, an update's fields as [before, after])."""
    data = payment_data(p)
    if "state_before" in audited:
        data["previous_state"] = audited["state_before"]
    if action in _CHANGES:
        data["changed"] = sorted(audited)
    if reason is not None:
        data["reason"] = reason
    return Change(PAYMENT_ACTIONS[action], "payment", p.id, p.number, data)


INVOICE_FIELDS = (
    "id",
    "number",
    "type",
    "state",
    "partner_id",
    "currency",
    "total",
    "residual",
    "date",
    "due_date",
)


def invoice_change(type: str, inv: Mapping[str, Any], payment: Any = None) -> Change:
    """The event ``type`` (``invoice.created|paid|reopened``) of an invoice given by its
    columns (INVOICE_FIELDS); ``paid`` and ``reopened`` name the ``payment`` (a posted one,
    so it has its number: the writer need not look it up) that did it."""
    cur = inv["currency"]
    due: dt.date | None = inv["due_date"]
    data: dict[str, Any] = {
        "id": inv["id"],
        "number": inv["number"],
        "type": str(inv["type"]),
        "state": str(inv["state"]),
        "partner_id": inv["partner_id"],
        "currency": cur,
        "total": amount(inv["total"], cur),
        "residual": amount(inv["residual"], cur),
        "date": inv["date"].isoformat(),
        "due_date": due.isoformat() if due else None,
    }
    if payment is not None:
        data["payment_id"], data["payment"] = payment.id, payment.number
    return Change(type, "invoice", inv["id"], inv["number"], data)


def residual_event(before: int, after: int) -> str | None:
    """What an invoice's residual going from ``before`` to ``after`` (a payment posted, reset
    or cancelled) is as an event: ``invoice.paid`` when it reached zero, ``invoice.reopened``
    when it left zero, None otherwise."""
    if (before == 0) == (after == 0):
        return None
    return "invoice.paid" if after == 0 else "invoice.reopened"


def lock_date_change(new: dt.date, old: dt.date | None, forced: bool, reason: str | None) -> Change:
    data: dict[str, Any] = {
        "lock_date": new.isoformat(),
        "previous_lock_date": old.isoformat() if old else None,
        "forced": forced,
    }
    if reason is not None:
        data["reason"] = reason
    return Change("lock_date.moved", "lock_date", None, None, data)

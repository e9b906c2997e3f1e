"""The data of each kind of event, built from what the service that made the change holds.

Amounts are decimal strings next to their currency, as `--format json` shows them; ids of
partners, journals and invoices get their names added when the event is written (outbox.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from operator import attrgetter, itemgetter
from typing import Any

from payctl.domain.money import format_amount as amount
from payctl.services.events.catalog import PAYMENT_ACTIONS
from payctl.services.events.outbox import Change

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


def snapshot_data(payment_id: int, snap: Mapping[str, Any]) -> dict[str, Any]:
    """``payment_data`` from a payment's audit snapshot (``payment_service.snapshot``: the
    same fields, amounts in minor units): a bulk run reads each payment once, not twice."""
    cur = snap["currency"]
    return {
        "id": payment_id,
        "number": snap["number"],
        "type": snap["type"],
        "state": snap["state"],
        "partner_id": snap["partner_id"],
        "journal_id": snap["journal_id"],
        "amount": amount(snap["amount"], cur),
        "currency": cur,
        "date": snap["date"],
        "reference": snap["reference"],
        "memo": snap["memo"],
        "allocations": [
            {"invoice_id": int(invoice_id), "amount": amount(minor, cur)}
            for invoice_id, minor in snap["allocations"].items()
        ],
    }


# Payment actions whose audit record is the payment's snapshot itself (with extra keys for a
# payment made from a bank line); a transition's record holds it under "snapshot".
_SNAPSHOT_RECORDS = ("create", "delete")


def payment_change(action: str, p: Any, audited: Mapping[str, Any], reason: str | None) -> Change:
    """The event of ``action`` on payment ``p``; ``audited`` is what its audit record says
    changed (a transition's ``state_before`` and ``snapshot``, an update's fields as [before,
    after], a creation's or deletion's snapshot)."""
    snap = audited.get("snapshot")
    if snap is None and action in _SNAPSHOT_RECORDS and "allocations" in audited:
        snap = audited
    data = payment_data(p) if snap is None else snapshot_data(p.id, snap)
    if "state_before" in audited:
        data["previous_state"] = audited["state_before"]
    if action in _CHANGES:
        data["changed"] = sorted(audited)
    if reason is not None:
        data["reason"] = reason
    dicts = [data, *data["allocations"]]  # every dict of the payload (outbox._dicts)
    return Change(PAYMENT_ACTIONS[action], "payment", data["id"], data["number"], data, dicts)


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _maybe_amount(minor: int | None, currency: str | None) -> str | None:
    return None if minor is None or currency is None else amount(minor, currency)


# The outcomes of bank lines: what a statement's lines are counted by (bank_statement.imported),
# and the event a line's change writes, named for the outcome it is left in (catalog.py).
LINE_OUTCOMES = ("matched", "booked", "review", "ignored")
LINE_EVENTS = {
    "matched": "bank_line.matched",
    "booked": "bank_line.booked",
    "review": "bank_line.unmatched",
    "ignored": "bank_line.ignored",
    "booked_to_account": "bank_line.booked_to_account",
}


def line_outcome(state: str, link: str | None) -> str:
    """``booked`` (matched, a payment was made from it), ``matched`` (reconciled with an
    existing payment), or the line's state (review, ignored)."""
    if state == "matched":
        return "booked" if link == "created" else "matched"
    if state == "booked":  # to an account (services/bank/decisions.py)
        return "booked_to_account"
    return state


# The fields of a bank line its event reads, in the order bank_line_change unpacks them.
_LINE_FIELDS = (
    "id",
    "statement_id",
    "journal_id",
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "counterparty_name",
    "counterparty_account",
    "remittance",
    "state",
    "link",
    "rule",
    "payment_id",
    "partner_id",
    "reason",
)
_LINE_ITEMS = itemgetter(*_LINE_FIELDS)
_LINE_ATTRIBUTES = attrgetter(*_LINE_FIELDS)


def bank_line_change(line: Mapping[str, Any] | Any) -> Change:
    """The event of a bank line after its state changed: ``line`` is a stored ``BankLine`` or
    the row the import inserts (a mapping with the same names, amounts in minor units)."""
    # A plain dict (the import's rows, tens of thousands) first: a Mapping ABC check is slower.
    # Every value in one C call, then one dict literal of them.
    values = (
        _LINE_ITEMS(line)
        if type(line) is dict or isinstance(line, Mapping)
        else _LINE_ATTRIBUTES(line)
    )
    (
        id_,
        statement_id,
        journal_id,
        booking_date,
        value_date,
        minor,
        cur,
        counterparty_name,
        counterparty_account,
        remittance,
        state,
        link,
        rule,
        payment_id,
        partner_id,
        reason,
    ) = values
    data = {
        "id": id_,
        "statement_id": statement_id,
        "journal_id": journal_id,
        "booking_date": None if booking_date is None else booking_date.isoformat(),
        "value_date": None if value_date is None else value_date.isoformat(),
        "amount": amount(minor, cur),
        "currency": cur,
        "counterparty_name": counterparty_name,
        "counterparty_account": counterparty_account,
        "remittance": remittance,
        "state": state,
        "link": link,
        "rule": rule,
        "payment_id": payment_id,
        "partner_id": partner_id,
        "reason": reason,
    }
    event = LINE_EVENTS[line_outcome(data["state"], data["link"])]
    return Change(event, "bank_line", data["id"], None, data, [data])  # no nested dicts


def name_line(
    change: Change, journal_id: int, journal_code: str | None, partners: Mapping[int, str]
) -> None:
    """Name in a bank line's event its journal and partner where the caller read them in this
    transaction (the import: its journal, every partner's name for matching), as the outbox
    would name them: it names only the ids left without a name (the line's payment, a draft
    that may be numbered before commit, stays the outbox's)."""
    data = change.data
    if journal_code is not None and data["journal_id"] == journal_id:
        data["journal"] = journal_code
    partner_id = data["partner_id"]
    if partner_id is not None:
        name = partners.get(partner_id)
        if name is not None:
            data["partner"] = name


def _statement_data(st: Any, file: str, lines: int) -> dict[str, Any]:
    """A stored ``BankStatement`` as its events carry it (amounts as text with currency)."""
    cur = st.currency
    return {
        "id": st.id,
        "journal_id": st.journal_id,
        "account": st.account,
        "currency": cur,
        "opening_balance": _maybe_amount(st.opening_balance, cur),
        "closing_balance": _maybe_amount(st.closing_balance, cur),
        "opening_date": _day(st.opening_date),
        "closing_date": _day(st.closing_date),
        "file": file,
        "lines": lines,
    }


def bank_statement_change(st: Any, file: str, outcomes: Mapping[str, int]) -> Change:
    """The import of statement ``st`` (a stored ``BankStatement``) from ``file`` (its name as
    the user gave it), with the lines the import stored in it counted by outcome."""
    data = _statement_data(st, file, sum(outcomes.get(k, 0) for k in LINE_OUTCOMES))
    data.update((k, outcomes.get(k, 0)) for k in LINE_OUTCOMES)
    return Change("bank_statement.imported", "bank_statement", st.id, None, data)


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


def journal_change(
    journal_id: int, after: dict[str, str | None], changed: list[str], reason: str | None
) -> Change:
    data: dict[str, Any] = {**after, "changed": changed}
    if reason is not None:
        data["reason"] = reason
    return Change("journal.updated", "journal", journal_id, after["code"], data)


def bank_statement_deleted(st: Any, lines: int, reason: str | None) -> Change:
    """Statement ``st`` (a stored ``BankStatement``) deleted with its ``lines`` undecided
    lines (`payctl statement delete`)."""
    data = _statement_data(st, st.source_name, lines)
    if reason is not None:
        data["reason"] = reason
    return Change("bank_statement.deleted", "bank_statement", st.id, None, data)

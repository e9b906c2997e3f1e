"""Reading the audit trail of a payment, as an accountant reads it: amounts as decimals with
their currency, partners, journals, invoices and entries by name, one line per change."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import AuditRecord, Invoice, Journal, JournalEntry, Partner, Payment
from payctl.db.uow import unit_of_work
from payctl.domain.money import from_minor
from payctl.errors import NotFound
from payctl.services import lookups

NONE = "(none)"
# The fields of a payment's snapshot, in the order an accountant reads them (the currency
# goes with the amounts; others follow in their own order).
ORDER = (
    "number",
    "type",
    "state",
    "partner_id",
    "journal_id",
    "amount",
    "currency",
    "date",
    "reference",
    "memo",
    "allocations",
)
SHOWN = {"partner_id": "partner", "journal_id": "journal", "from_bank_line": "bank line"}


@dataclass(frozen=True)
class Change:
    """One line of a history record. ``before``/``after`` are text (amounts as decimal strings
    in ``currency``, names instead of ids; None: no value, or the value a record sets, such as
    a new payment's, has only an ``after``); ``item`` names what an allocation or a bank line
    change is about (the invoice number, the line id); ``text`` is the line as it is shown."""

    field: str
    item: str | None
    before: str | None
    after: str | None
    currency: str | None
    text: str


@dataclass(frozen=True)
class HistoryItem:
    id: int
    payment: str  # the payment's name: its number, or "draft #id"
    at: dt.datetime
    user: str
    action: str
    changes: list[Change]
    reason: str | None


@dataclass
class _Names:
    partners: dict[int, str]
    journals: dict[int, str]
    invoices: dict[int, str]
    entries: dict[int, str]

    def partner(self, pid: Any) -> str | None:
        return None if pid is None else self.partners.get(int(pid), f"partner #{pid}")

    def journal(self, jid: Any) -> str | None:
        return None if jid is None else self.journals.get(int(jid), f"journal #{jid}")

    def invoice(self, iid: Any) -> str:
        return self.invoices.get(int(iid), f"invoice #{iid}")

    def entry(self, eid: Any) -> str | None:
        return None if eid is None else self.entries.get(int(eid), f"entry #{eid}")


class HistoryService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    @unit_of_work(write=False)
    async def payment_history(self, ident: str | int) -> list[HistoryItem]:
        """The records of the payment (also of a deleted draft, named by its id), oldest
        first. The names they refer to are looked up once per kind, for all records."""
        found = (
            await self.session.execute(
                select(Payment.id, Payment.number, Payment.currency).where(
                    lookups.payment_filter(ident)
                )
            )
        ).first()
        pid = found[0] if found else lookups.as_id(ident)  # a deleted draft keeps its history
        records = (
            (
                await self.session.execute(
                    select(AuditRecord)
                    .where(AuditRecord.payment_id == pid)
                    .order_by(AuditRecord.id)
                )
            )
            .scalars()
            .all()
            if pid is not None
            else []
        )
        if pid is None or not records:
            raise NotFound(f"no history for payment {ident!r}")
        number = found[1] if found else None
        name = number or f"draft #{pid}"
        raw = [json.loads(r.changes) for r in records]
        names = await self._names(raw, records)
        currency = _first_currency(raw) or (found[2] if found else None)
        items = []
        for record, changes in zip(records, raw, strict=True):
            lines, currency = _lines(record, changes, names, currency)
            items.append(
                HistoryItem(
                    record.id, name, record.at, record.user, record.action, lines, record.reason
                )
            )
        return items

    async def _names(self, raw: list[dict[str, Any]], records: Any) -> _Names:
        partners: set[int] = set()
        journals: set[int] = set()
        invoices: set[int] = set()
        entries: set[int] = set()
        for changes in raw:
            pair = _is_pair(changes)
            for key, value in changes.items():
                values = value if pair else [value]
                for v in values:
                    if key == "partner_id" and v is not None:
                        partners.add(int(v))
                    elif key == "journal_id" and v is not None:
                        journals.add(int(v))
                    elif key == "allocations" and isinstance(v, dict):
                        invoices.update(int(i) for i in v)
                    elif key == "entry_id" and v is not None:
                        entries.add(int(v))
        return _Names(
            await self._lookup(Partner.id, Partner.name, partners),
            await self._lookup(Journal.id, Journal.code, journals),
            await self._lookup(Invoice.id, Invoice.number, invoices),
            await self._lookup(JournalEntry.id, JournalEntry.number, entries),
        )

    async def _lookup(self, key: Any, value: Any, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = await self.session.execute(select(key, value).where(key.in_(sorted(ids))))
        return {k: v for k, v in rows}


def _is_pair(changes: dict[str, Any]) -> bool:
    """A record of an edit: every value is ``[before, after]`` (a snapshot's never is a list)."""
    return bool(changes) and all(isinstance(v, list) and len(v) == 2 for v in changes.values())


def _first_currency(raw: list[dict[str, Any]]) -> str | None:
    for changes in raw:
        if _is_pair(changes):
            if "currency" in changes:
                return str(changes["currency"][0])
            continue
        for source in (changes, changes.get("snapshot") or {}):
            if isinstance(source, dict) and source.get("currency"):
                return str(source["currency"])
    return None


def _ordered(changes: dict[str, Any]) -> list[str]:
    known = [k for k in ORDER if k in changes]
    return known + sorted(k for k in changes if k not in ORDER)


def _amount(minor: Any, currency: str | None) -> str | None:
    if minor is None:
        return None
    if currency is None:  # a trail without any currency: the stored figure, said so
        return f"{minor} (minor units)"
    return str(from_minor(int(minor), currency))


def _plain(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _text(label: str, before: str | None, after: str | None, *, pair: bool) -> str:
    if not pair:
        return f"{label} {NONE if after is None else after}"
    return f"{label} {NONE if before is None else before} → {NONE if after is None else after}"


def _lines(
    record: AuditRecord, changes: dict[str, Any], names: _Names, currency: str | None
) -> tuple[list[Change], str | None]:
    """The lines of one record, and the payment's currency after it."""
    if record.object_type == "bank_line":
        return list(_bank_line(record.object_id, changes, names)), currency
    pair = _is_pair(changes)
    if pair:
        before_cur, after_cur = changes.get("currency", [currency, currency])
    elif "state_before" in changes:  # confirm, reset, cancel: the snapshot is for `check`
        after_cur = (changes.get("snapshot") or {}).get("currency") or currency
        return list(_transition(changes)), after_cur
    else:
        before_cur = after_cur = changes.get("currency") or currency
    out: list[Change] = []
    for key in _ordered(changes):
        before, after = changes[key] if pair else (None, changes[key])
        if key == "allocations":
            out.extend(_allocations(before or {}, after or {}, names, before_cur, after_cur, pair))
        elif key != "currency" or pair:  # a snapshot's currency is said with its amounts
            change = _field(key, before, after, names, (before_cur, after_cur), pair)
            if change is not None:
                out.append(change)
    return out, after_cur


def _field(
    key: str,
    before: Any,
    after: Any,
    names: _Names,
    currencies: tuple[str | None, str | None],
    pair: bool,
) -> Change | None:
    """The line of one field (None for a snapshot's empty field)."""
    before_cur, after_cur = currencies
    label = SHOWN.get(key, key)
    if key == "from_bank_line":
        line = _plain(after)
        return Change("bank_line", line, None, line, None, f"from bank line {line}")
    if key == "amount":
        old, new = _amount(before, before_cur), _amount(after, after_cur)
        text = _with_currency(label, old, new, before_cur, after_cur, pair)
        return Change(label, None, old, new, after_cur, text)
    if key == "partner_id":
        old, new = names.partner(before), names.partner(after)
    elif key == "journal_id":
        old, new = names.journal(before), names.journal(after)
    else:
        old, new = _plain(before), _plain(after)
    if not pair and new is None:
        return None
    return Change(label, None, old, new, None, _text(label, old, new, pair=pair))


def _with_currency(
    label: str,
    before: str | None,
    after: str | None,
    before_cur: str | None,
    after_cur: str | None,
    pair: bool,
) -> str:
    """``amount 1190.00 → 1200.00 EUR``; each side with its own currency when they differ."""
    if pair and before is not None and before_cur != after_cur:
        return (
            f"{label} {before} {before_cur} → {NONE if after is None else f'{after} {after_cur}'}"
        )
    return f"{_text(label, before, after, pair=pair)} {after_cur or before_cur or ''}".rstrip()


def _allocations(
    before: dict[str, int],
    after: dict[str, int],
    names: _Names,
    before_cur: str | None,
    after_cur: str | None,
    pair: bool,
) -> Iterator[Change]:
    for iid in sorted(set(before) | set(after), key=lambda i: names.invoice(i)):
        old, new = _amount(before.get(iid), before_cur), _amount(after.get(iid), after_cur)
        if pair and old == new and before_cur == after_cur:
            continue
        label = f"allocation {names.invoice(iid)}"
        cur = after_cur if new is not None else before_cur
        yield Change(
            "allocation",
            names.invoice(iid),
            old,
            new,
            cur,
            _with_currency(label, old, new, before_cur, after_cur, pair),
        )


def _transition(changes: dict[str, Any]) -> Iterator[Change]:
    before, after = _plain(changes.get("state_before")), _plain(changes.get("state"))
    yield Change("state", None, before, after, None, _text("state", before, after, pair=True))
    if changes.get("number") and before == "draft" and after == "posted":
        number = str(changes["number"])
        yield Change("number", None, None, number, None, f"number {number}")
    entry = changes.get("entry")
    if isinstance(entry, dict) and entry.get("number"):
        number = str(entry["number"])
        yield Change("entry", None, None, number, None, f"entry {number} posted")


def _bank_line(line_id: int | None, changes: dict[str, Any], names: _Names) -> Iterator[Change]:
    """A review command's record (accept, unmatch) on the bank line of this payment."""
    line = None if line_id is None else str(line_id)
    state = _plain(changes.get("state"))
    yield Change("bank_line", line, None, state, None, f"bank line {line}: {state or NONE}")
    if changes.get("link"):
        link = _plain(changes["link"])
        yield Change("link", line, link, None, None, f"link {link} undone")
    if changes.get("entry_id") is not None:
        entry = names.entry(changes["entry_id"])
        yield Change("entry", line, None, entry, None, f"entry {entry} posted")
    if changes.get("payment"):
        done = _plain(changes["payment"])
        yield Change("payment", None, None, done, None, f"payment: {done}")

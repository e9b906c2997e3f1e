"""What `payctl check` compares with the audit trail: posted payments, their entries, bank lines.

The hash chain alone proves only that the trail is intact, not that the books still say what
the trail recorded: someone with database access can change a posted payment and its entry
lines, or a bank line, and leave the trail alone. So every posted payment must match the
snapshot its last audit record (its confirmation) took, its live entry the lines that record
lists, and every bank line the digest its import recorded (``audit.bank_line_digest``). An
object the trail has no record of is a violation too (the trail was wiped or cut short).

Databases older than schema 0006 got one ``baseline`` record at the upgrade, with the entry
of each posted payment and the digest of each bank line as they stood then (migration 0006).

Every comparison is a handful of set-wise queries (no query per row); the JSON of the trail
is read only for the records that matter: the last record of each posted payment, the import
records and the baseline. A posted payment's record is first compared as text with what the
trail's encoder writes for its confirmation as the payment stands (``confirm_text``); only a
record that differs is decoded and compared field by field.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring as _text  # as the trail's encoder writes a str
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import AuditRecord, BankLine, JournalEntry, JournalLine, Payment
from payctl.db.models import PaymentAllocation as Allocation
from payctl.domain.enums import PaymentState
from payctl.domain.money import format_amount
from payctl.services import lookups
from payctl.services.ledger import audit
from payctl.services.ledger.entries import live_entry
from payctl.services.payments.payment_service import snapshot

Finding = tuple[str, str, str]  # (code, object, message)

_SHOWN = ("number", "type", "state", "partner_id", "journal_id", "amount", "currency", "date")
_COLUMNS = ("id", *_SHOWN, "reference", "memo")


async def _baseline(session: AsyncSession) -> dict[str, Any]:
    conn = await session.connection()
    out: dict[str, Any] = {"entries": {}, "bank_lines": {}}
    for (changes,) in (
        await conn.execute(
            select(AuditRecord.changes).where(AuditRecord.object_type == audit.BASELINE)
        )
    ).all():
        data = json.loads(changes)
        for key in out:
            out[key].update(data.get(key, {}))
    return out


# payment id -> (action, changes) of its last audit record
LastRecords = dict[int | None, tuple[str, str]]


def note_last_records(last: LastRecords, rows: Iterable[Sequence[Any]]) -> None:
    """Note the last record of each payment from audit records fed in id order, as
    ``audit_chain.COLUMNS`` (`check`'s chain walk reads the whole trail anyway: the comparison
    then need not read it again)."""
    for row in rows:
        if row[4] == "payment":  # object type; object id, action, changes
            last[row[5]] = (row[3], row[7])


async def posted_payments(session: AsyncSession, last: LastRecords | None = None) -> list[Finding]:
    """Each posted payment and its live entry against its last audit record (its confirm).
    ``last``: every payment's last record, noted from the whole trail in the same snapshot
    (``note_last_records``); read here when not given."""
    conn = await session.connection()
    posted = select(Payment.id).where(Payment.state == PaymentState.POSTED)
    trail = last if last is not None else await _last_records(session, posted)
    allocations: dict[int, list[Any]] = defaultdict(list)
    for row in (
        await conn.execute(
            select(Allocation.payment_id, Allocation.invoice_id, Allocation.amount)
            .where(Allocation.payment_id.in_(posted))
            .order_by(Allocation.id)
        )
    ).all():
        allocations[row[0]].append(row)  # a row: .invoice_id and .amount as snapshot reads
    entries = await _live_entries(session, posted)
    rows: list[Any] = list(
        (
            await conn.execute(
                select(*(getattr(Payment, c) for c in _COLUMNS)).where(
                    Payment.state == PaymentState.POSTED
                )
            )
        ).all()
    )
    out: list[Finding] = []
    baseline = _Baseline(session)
    for row in rows:
        p = _Posted(*row)
        p.allocations = allocations.get(p.id, [])
        if p.id not in trail:
            label = lookups.label(p.number, p.id)
            out.append(
                (
                    "audit_payment",
                    label,
                    f"payment {label} is posted but the audit trail has no record of it "
                    "(the trail was wiped or cut short)",
                )
            )
            continue
        action, changes = trail[p.id]
        live = entries.get(p.id, {})
        if action == "confirm" and len(live) == 1 and changes == confirm_text(p, live):
            continue  # the record is exactly what the comparison below would accept
        now = snapshot(p)  # type: ignore[arg-type]  # the columns snapshot reads
        out += await _compare(p, action, json.loads(changes), now, live, baseline)
    return out


async def _last_records(session: AsyncSession, posted: Any) -> LastRecords:
    conn = await session.connection()
    last = (
        select(func.max(AuditRecord.id))
        .where(AuditRecord.object_type == "payment", AuditRecord.object_id.in_(posted))
        .group_by(AuditRecord.object_id)
    )
    return {
        pid: (action, changes)
        for pid, action, changes in (
            await conn.execute(
                select(AuditRecord.object_id, AuditRecord.action, AuditRecord.changes).where(
                    AuditRecord.id.in_(last)
                )
            )
        ).all()
    }


def confirm_text(p: _Posted, live: dict[str, list[Any]]) -> str | None:
    """The text the trail's encoder (``audit._json``) gives the confirm record of ``p`` as it
    stands, with its one live entry: ``{"entry": audit.entry_record(number, lines), "number":
    p.number, "snapshot": snapshot(p), "state": "posted", "state_before": "draft"}`` (what
    payment_flow_service records at a confirmation), written directly rather than built as
    dicts and encoded (a fifth of the time; tests/unit/test_audit_confirm_text.py holds it to
    the encoder's text). None when a value is of a type this does not write (then the record
    is decoded and compared as a whole).

    A stored record with exactly this text decodes to exactly that dict, which the full
    comparison (``_compare``) accepts: a record that differs in any way, even only in its
    spelling, goes to the full comparison, so nothing it would report is skipped."""
    try:
        ((number, lines),) = live.items()
        allocated = p.allocations
        if len(allocated) == 1:
            allocations = f"{_text(str(allocated[0][1]))}:{allocated[0][2]:d}"
        else:
            by_invoice: dict[str, int] = {}
            for _, invoice_id, amount in allocated:  # as snapshot: the last of a key wins
                by_invoice[str(invoice_id)] = amount
            allocations = ",".join([f"{_text(k)}:{by_invoice[k]:d}" for k in sorted(by_invoice)])
        number_text = "null" if p.number is None else _text(p.number)
        state = _text(p.state.value)
        memo, reference, partner = p.memo, p.reference, p.partner_id
        return (
            f'{{"entry":{{"lines":[{_lines_text(lines)}],"number":{_text(number)}}},'
            f'"number":{number_text},"snapshot":{{"allocations":{{{allocations}}},'
            f'"amount":{p.amount:d},"currency":{_text(p.currency)},'
            f'"date":{_text(p.date.isoformat())},"journal_id":{p.journal_id:d},'
            f'"memo":{"null" if memo is None else _text(memo)},"number":{number_text},'
            f'"partner_id":{"null" if partner is None else format(partner, "d")},'
            f'"reference":{"null" if reference is None else _text(reference)},'
            f'"state":{state},"type":{_text(p.type.value)}}},"state":{state},'
            '"state_before":"draft"}'
        )
    except (TypeError, ValueError, AttributeError):
        return None


def _line_order(line: tuple[Any, Any, int, int]) -> tuple[Any, ...]:
    """``audit.entry_record``'s order of lines."""
    return (line[0], line[1] is None, line[1] or 0, line[2], line[3])


def _lines_text(lines: list[Any]) -> str:
    """``audit.entry_record``'s lines (account, partner, debit, credit, in its order) as the
    encoder writes them; the rows are (payment, entry, account, partner, debit, credit)."""
    rows = [(row[2], row[3], int(row[4]), int(row[5])) for row in lines]
    for row in rows:
        if row[1] is None:
            rows.sort(key=_line_order)
            break
    else:  # no line without a partner: _line_order is the tuples' own order (ints)
        rows.sort()
    return ",".join(
        [
            f"[{a:d},{'null' if partner is None else format(partner, 'd')},{d:d},{c:d}]"
            for a, partner, d, c in rows
        ]
    )


async def _compare(
    p: _Posted,
    action: str,
    recorded: dict[str, Any],
    now: dict[str, Any],
    live: dict[str, list[Any]],
    baseline: _Baseline,
) -> list[Finding]:
    """A posted payment (its snapshot ``now``) and its live entries against its last audit
    record, field by field."""
    label = lookups.label(p.number, p.id)
    if action != "confirm":
        return [
            (
                "audit_payment",
                label,
                f"payment {label} is posted but its last audit record is '{action}', not "
                "its confirmation",
            )
        ]
    out: list[Finding] = []
    then = recorded.get("snapshot", {})
    changed = [] if now == then else [k for k in now if now[k] != then.get(k)]
    if changed:
        out.append(("audit_payment", label, _changed(label, changed, now, then)))
    entry = recorded.get("entry")
    if entry is None:  # confirmed before schema 0006: the upgrade's baseline has it
        entry = (await baseline.get())["entries"].get(str(p.id))
    for number, lines in live.items():
        if entry is None:
            out.append(
                (
                    "audit_entry",
                    number,
                    f"journal entry {number} of payment {label}: the audit trail has no "
                    "record of it",
                )
            )
        elif audit.entry_record(number, lines) != entry:
            out.append(
                (
                    "audit_entry",
                    number,
                    f"journal entry {number} of payment {label} does not match the entry "
                    f"the audit trail recorded ({entry['number']}): number, accounts, "
                    "partners or amounts changed",
                )
            )
    return out


class _Baseline:
    """The upgrade's baseline record, read once when first needed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.data: dict[str, Any] | None = None

    async def get(self) -> dict[str, Any]:
        if self.data is None:
            self.data = await _baseline(self.session)
        return self.data


class _Posted:
    """A posted payment's columns (``_COLUMNS``) and allocations, with the names ``snapshot``
    reads."""

    __slots__ = (*_COLUMNS, "allocations")

    def __init__(  # the columns, in _COLUMNS' order
        self,
        id: int,
        number: str | None,
        type: Any,
        state: Any,
        partner_id: int,
        journal_id: int,
        amount: int,
        currency: str,
        date: Any,
        reference: str | None,
        memo: str | None,
    ) -> None:
        self.id, self.number, self.type, self.state = id, number, type, state
        self.partner_id, self.journal_id, self.amount = partner_id, journal_id, amount
        self.currency, self.date, self.reference, self.memo = currency, date, reference, memo
        self.allocations: list[Any] = []


def _changed(label: str, keys: list[str], now: dict[str, Any], then: dict[str, Any]) -> str:
    def show(key: str, value: Any, record: dict[str, Any]) -> str:
        currency = record.get("currency") or now["currency"]  # each amount in its own record's
        if key == "amount" and isinstance(value, int) and isinstance(currency, str):
            return format_amount(value, currency)
        return "(none)" if value is None else str(value)

    parts = [
        f"{k} is {show(k, now[k], now)}, recorded {show(k, then.get(k), then)}"
        if k in _SHOWN
        else f"{k} changed"
        for k in keys
    ]
    return f"payment {label} does not match its audit record of its confirmation: " + "; ".join(
        parts
    )


async def _live_entries(session: AsyncSession, posted: Any) -> dict[int, dict[str, list[Any]]]:
    """payment id -> {entry number: lines} of its live payment entries (rows with the names
    ``audit.entry_record`` reads)."""
    conn = await session.connection()
    out: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in (
        await conn.execute(
            select(
                JournalEntry.payment_id,
                JournalEntry.number,
                JournalLine.account_id,
                JournalLine.partner_id,
                JournalLine.debit,
                JournalLine.credit,
            )
            .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .where(
                JournalEntry.payment_id.in_(posted),
                JournalEntry.source_type == "payment",
                live_entry(),
            )
        )
    ).all():
        if row[0] is None:  # pragma: no cover - filtered in SQL
            continue
        out[row[0]][row[1]].append(row)  # payment id, entry number
    return out


async def bank_lines(session: AsyncSession) -> list[Finding]:
    """Each bank line against the digest its import recorded."""
    conn = await session.connection()
    recorded: dict[str, str] = {}
    for (changes,) in (
        await conn.execute(
            select(AuditRecord.changes)
            .where(AuditRecord.object_type == "bank_statement", AuditRecord.action == "import")
            .order_by(AuditRecord.id)
        )
    ).all():
        recorded.update(json.loads(changes).get("lines", {}))
    rows = (
        await conn.execute(
            select(BankLine.id, *(getattr(BankLine, f) for f in audit.BANK_LINE_FIELDS)).order_by(
                BankLine.id
            )
        )
    ).all()
    baseline: dict[str, Any] | None = None
    out: list[Finding] = []
    for line_id, *facts in rows:
        want = recorded.get(str(line_id))
        if want is None:
            baseline = baseline if baseline is not None else await _baseline(session)
            want = baseline["bank_lines"].get(str(line_id))
        if want is None:
            out.append(
                (
                    "audit_bank_line",
                    f"bank line {line_id}",
                    f"bank line {line_id}: the audit trail has no record of its import",
                )
            )
        elif audit.bank_line_digest(*facts) != want:
            out.append(
                (
                    "audit_bank_line",
                    f"bank line {line_id}",
                    f"bank line {line_id} does not match what the audit trail recorded at its "
                    "import: its amount, currency, booking date or fingerprint changed",
                )
            )
    return out

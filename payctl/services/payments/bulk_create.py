"""`bulk create`: many drafts from file rows, all or nothing, safely repeatable.

Each row has an idempotency key (payctl/domain/fingerprint.py): the file's own ``key`` or
``external_id`` column when it has one, else the row's content fingerprint and its occurrence
number in the file. The key is stored on the payment under a unique index, so

- re-running a file creates nothing (rows whose key exists are reported "skipped"),
- identical rows are separate payments (their occurrence numbers differ),
- two processes running one file at once create each payment once: the index refuses the
  second insert, and the loser's run is retried and then finds every key taken.

Every bad row is reported (file, row, field) before anything is written; one bad row means
nothing is created. A dry run does all of it and rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from payctl.db.models import Payment, PaymentAllocation
from payctl.db.stats import analyze_loaded
from payctl.db.uow import transaction
from payctl.domain.allocations import parse_allocation_spec
from payctl.domain.fingerprint import KEY_MAX, content_keys, given_key
from payctl.errors import InputError, InputErrors, PayctlError
from payctl.importers.records import SourceRow
from payctl.services.payments.payment_service import NewPayment, draft_view
from payctl.services.rows import require_columns, row_context
from payctl.services.views import PaymentView, payment_view

if TYPE_CHECKING:
    from payctl.services.payments.payment_service import PaymentService

REQUIRED = ["type", "partner", "journal", "amount"]
KEY_COLUMNS = ("key", "external_id")
CHUNK = 1000
ATTEMPTS = 3  # a run that lost a race for its keys is retried; the retry finds them taken


@dataclass(frozen=True)
class CreatedRow:
    """One file row's outcome: ``status`` is "created" or "skipped" (its key exists)."""

    line: int
    status: str
    key: str
    message: str
    payment: PaymentView


@dataclass(frozen=True)
class BulkCreateResult:
    source: str
    rows: list[CreatedRow]  # in file order
    dry_run: bool = False

    @property
    def created(self) -> int:
        return sum(r.status == "created" for r in self.rows)

    @property
    def skipped(self) -> int:
        return sum(r.status == "skipped" for r in self.rows)


@dataclass
class _Row:
    row: SourceRow
    payment: NewPayment
    given: str | None  # the file's own key, if it has a key column


def key_column(source: str, header: Sequence[str]) -> str | None:
    present = [c for c in KEY_COLUMNS if c in header]
    if len(present) > 1:
        raise InputError(f"{source}: columns {' and '.join(present)}: give one key column")
    return present[0] if present else None


def _content(p: NewPayment, row: SourceRow) -> tuple[Any, ...]:
    """What makes two rows the same payment: the normalised values, not their spelling.
    A row without a date counts as undated (not as today), so a re-run tomorrow matches."""
    return (
        p.type.value,
        p.partner_id,
        p.journal_id,
        p.amount,
        p.currency,
        p.date.isoformat() if row.get("date") else "",
        p.reference or "",
        p.memo or "",
        *sorted((a.invoice_id, a.amount) for a in p.allocations),
    )


def _key_race(exc: IntegrityError) -> bool:
    return "idempotency_key" in str(exc.orig)


class BulkCreate:
    def __init__(self, service: PaymentService) -> None:
        self.service = service
        self.session = service.session

    async def run(
        self, rows: Sequence[SourceRow], header: Sequence[str], source: str, *, dry_run: bool
    ) -> BulkCreateResult:
        require_columns(source, list(header), REQUIRED)
        column = key_column(source, header)
        joined = self.session.in_transaction()  # inside a caller's unit of work: no retry
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with transaction(self.session, write=True, keep=not dry_run):
                    return await self._once(rows, source, column, dry_run)
            except IntegrityError as exc:
                if joined or not _key_race(exc) or attempt == ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self, rows: Sequence[SourceRow], source: str, column: str | None, dry_run: bool
    ) -> BulkCreateResult:
        problems: list[tuple[int, str]] = []
        built = await self._build(rows, source, column, problems)
        keys = self._keys(built, source, problems)
        existing = await self._existing(keys)
        todo = [(b, k) for b, k in zip(built, keys, strict=True) if k not in existing]
        for b, _ in todo:
            try:
                with row_context(source, b.row):
                    self.service.ensure_valid(b.payment)
            except PayctlError as exc:
                problems.append((b.row.line, exc.message))
        if problems:
            lines = [message for _, message in sorted(problems, key=lambda p: p[0])]
            if len(lines) > 1:
                lines.append(f"{source}: {len(lines)} bad rows: nothing created")
            raise InputErrors(lines)
        for b, key in todo:
            b.payment.idempotency_key = key
        if todo:
            await self.service.add_drafts([b.payment for b, _ in todo])
            if not dry_run:
                analyze_loaded(self.session, (Payment, PaymentAllocation), len(todo))
        views = await self._existing_views(existing)
        out = []
        for b, key in zip(built, keys, strict=True):
            if key in existing:
                view = views[existing[key]]
                out.append(
                    CreatedRow(
                        b.row.line,
                        "skipped",
                        key,
                        f"already created from this row: payment {view.label}",
                        view,
                    )
                )
            else:
                message = "would be created (dry run)" if dry_run else "created"
                out.append(CreatedRow(b.row.line, "created", key, message, draft_view(b.payment)))
        return BulkCreateResult(source, out, dry_run)

    async def _build(
        self,
        rows: Sequence[SourceRow],
        source: str,
        column: str | None,
        problems: list[tuple[int, str]],
    ) -> list[_Row]:
        """Every row as an unsaved draft; bad rows go to ``problems`` (all of them)."""
        known: dict[tuple[str, str], Any] = {}  # partners, journals, invoices named by the rows
        built = []
        for row in rows:
            try:
                with row_context(source, row):
                    given = self._given_key(row, column)
                    p = await self.service.build_draft(
                        row.get("type"),
                        row.get("partner"),
                        row.get("journal"),
                        row.get("amount"),
                        row.get("date") or None,
                        row.get("reference") or None,
                        row.get("memo") or None,
                        row.get("currency") or None,
                        parse_allocation_spec(row.get("allocations")),
                        validate=False,
                        known=known,
                    )
            except PayctlError as exc:
                problems.append((row.line, exc.message))
                continue
            built.append(_Row(row, p, given))
        return built

    @staticmethod
    def _given_key(row: SourceRow, column: str | None) -> str | None:
        if column is None:
            return None
        value = row.get(column)
        if not value:
            raise InputError(f"{column}: value is missing (every row needs its key)")
        if len(value) > KEY_MAX:
            raise InputError(f"{column}: longer than {KEY_MAX} characters")
        return value

    @staticmethod
    def _keys(built: list[_Row], source: str, problems: list[tuple[int, str]]) -> list[str]:
        """Each row's idempotency key; a key given twice in the file is a bad row."""
        contents = content_keys([_content(b.payment, b.row) for b in built if b.given is None])
        fingerprints = iter(contents)
        first: dict[str, int] = {}
        keys = []
        for b in built:
            if b.given is None:
                keys.append(next(fingerprints))
                continue
            key = given_key(b.given)
            if key in first:
                problems.append(
                    (
                        b.row.line,
                        f"{source}: row {b.row.line}: key {b.given!r} is also on "
                        f"row {first[key]}: each row needs its own key",
                    )
                )
            first.setdefault(key, b.row.line)
            keys.append(key)
        return keys

    async def _existing(self, keys: list[str]) -> dict[str, int]:
        """Stored key -> payment id, for the keys already taken (a constant number of queries
        per 1000 rows)."""
        wanted = sorted(set(keys))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), CHUNK):
            rows = await self.session.execute(
                select(Payment.idempotency_key, Payment.id).where(
                    Payment.idempotency_key.in_(wanted[start : start + CHUNK])
                )
            )
            found.update({key: pid for key, pid in rows if key is not None})
        return found

    async def _existing_views(self, existing: dict[str, int]) -> dict[int, PaymentView]:
        ids = sorted(set(existing.values()))
        views: dict[int, PaymentView] = {}
        for start in range(0, len(ids), CHUNK):
            for p in await self.service.load_many(ids[start : start + CHUNK]):
                views[p.id] = payment_view(p)
        return views

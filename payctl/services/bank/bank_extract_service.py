"""BankExtractService: import bank extracts, deduplicate their lines, match and book them.

One file is one transaction: a bad file writes nothing, a good file is written whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.bulk import bulk_insert
from payctl.db.ids import allocate_ids
from payctl.db.models import (
    BankLine,
    BankStatement,
    Invoice,
    Journal,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentAllocation,
    loaded_attribute,
)
from payctl.db.stats import analyze_loaded
from payctl.db.uow import gc_paused, transaction
from payctl.domain.bank_rules import Action, proposal
from payctl.domain.dates import is_locked
from payctl.domain.fingerprint import fingerprint_kinds
from payctl.domain.iban import account_key, is_valid_iban, statement_belongs
from payctl.domain.matching import Candidate, LineFacts, Matcher
from payctl.domain.money import (
    MAX_AMOUNT_MINOR,
    AmountTooLarge,
    check_limit,
    exponent,
    format_amount,
    from_minor,
    to_minor,
)
from payctl.domain.validation import JournalFacts, journal_currency_problem
from payctl.errors import EXIT_BAD_INPUT, EXIT_OK, InputError, PayctlError
from payctl.importers.bank import (
    BankFileError,
    ParsedLine,
    ParsedStatement,
    check_dates,
    check_text,
    line_place,
)
from payctl.importers.values import exact_amount
from payctl.services import lookups
from payctl.services.bank import suspense, transfers
from payctl.services.bank.bank_posting import (
    BankPosting,
    NewLinePayment,
    Reconciliation,
    candidate_json,
)
from payctl.services.bank.decisions import BOOKED
from payctl.services.bank.decisions import LINK as BOOKED_LINK
from payctl.services.bank.matching_data import load_matcher, prime_fuzzy
from payctl.services.bank.rule_decisions import RuleDecision, apply_rule_decisions
from payctl.services.bank.streamed_file import Deferred, StreamedFile, runs
from payctl.services.events import outbox, payloads
from payctl.services.ledger import audit, opening_balance
from payctl.services.ledger.settings import lock_date

if TYPE_CHECKING:
    from payctl.services.bank.rules_service import ResolvedRules


@dataclass(frozen=True)
class FieldChange:
    """One fact of a known line that the file gives otherwise (dates ISO, amounts as text)."""

    field: str
    stored: str | None
    file: str | None


@dataclass(frozen=True)
class LineChange:
    """A line of the file already stored (same fingerprint: same bank transaction id) whose
    facts differ: the stored line is kept, the file's version is reported, not imported."""

    line: int | None
    transaction_id: str | None
    bank_line: int
    fields: list[FieldChange]


@dataclass
class FileReport:
    source: str
    format: str | None = None
    ok: bool = True
    error: str | None = None
    statements: int = 0
    lines_read: int = 0
    duplicates: int = 0
    changed: int = 0  # duplicates whose facts differ from the stored line (kept as stored)
    changes: list[LineChange] = field(default_factory=list)
    new_lines: int = 0
    matched: Counter[str] = field(default_factory=Counter)
    payments_created: int = 0
    payments_confirmed: int = 0
    reconciled: int = 0
    to_review: int = 0
    unmatched: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    # The journal's opening balance this import booked (--book-opening), in words
    opening_balance: str | None = None
    # lines the rules file decided (rule name -> lines): payments on account made, proposals
    # recorded, or left for review by a rule
    ruled: Counter[str] = field(default_factory=Counter)


# The counts of a FileReport an import of several files adds up.
COUNTS = (
    "statements",
    "lines_read",
    "duplicates",
    "changed",
    "new_lines",
    "payments_created",
    "payments_confirmed",
    "reconciled",
    "to_review",
    "unmatched",
)


@dataclass(frozen=True)
class ImportOptions:
    """How `payctl import` books its files: into ``journal``, in ``input_format`` (None:
    detected; standard input is JSON lines), CSV/XLSX read through ``profile``, payments made
    from matched lines posted (``auto_confirm``), or nothing written (``dry_run``). Lines
    matching leaves undecided go to the rules of ``rules`` (a file), else to those of the
    default rules file when there is one and ``default_rules``. Each file imported (or
    completely known) is moved to ``archive``, each that could not be read to ``failed``."""

    journal: str
    input_format: str | None = None
    profile: str | None = None
    auto_confirm: bool = False
    dry_run: bool = False
    book_opening: bool = False
    rules: str | None = None
    default_rules: bool = True
    archive: str | None = None
    failed: str | None = None
    transfer_days: int | None = None  # None: transfers.TRANSFER_DAYS


IMPORTED, DRY_RUN, FAILED, NOT_IMPORTED = "imported", "dry run", "failed", "not imported"
GONE = "gone"  # a file of a directory another run took (moved) before this one read it


@dataclass(frozen=True)
class FileOutcome:
    """One file of an import: "imported" or "dry run" (``report``), "failed" (``error``, with
    the exit code it gives), "not imported" (the database failed on an earlier file), or
    "gone" (listed in a directory, then moved by another run before this one read it).
    ``moved_to``: where --archive / --failed moved it; ``move_error``: why it could not be."""

    file: str
    status: str
    report: FileReport | None = None
    error: str | None = None
    exit_code: int = EXIT_OK
    moved_to: str | None = None
    move_error: str | None = None


@dataclass(frozen=True)
class ImportResult:
    """Every file of one import, in the order given (a directory's in name order), and the
    rules file the import used."""

    files: list[FileOutcome]
    rules: str | None = None

    def totals(self) -> dict[str, int]:
        out = {
            k: sum(getattr(f.report, k) for f in self.files if f.report is not None) for k in COUNTS
        }
        out["failed_files"] = sum(f.status in (FAILED, NOT_IMPORTED) for f in self.files)
        return out

    @property
    def exit_code(self) -> int:
        """0 when every file imported (lines to review included), else the highest exit code
        of a failed file: 2 a file could not be read, 3 the database failed."""
        return max((f.exit_code for f in self.files), default=EXIT_OK)


def _moved(outcome: FileOutcome, archive: Path | None, failed: Path | None) -> FileOutcome:
    """Move a file whose import is decided, so the next run does not take it again: imported
    (or completely known) to ``archive``, unreadable (exit 2) to ``failed``. A file another run
    moved first is no error; one that cannot be moved is said in ``move_error``."""
    from payctl.importers.files import STDIN
    from payctl.services.bank import folder

    if outcome.file == STDIN:
        return outcome
    to = None
    if outcome.status == IMPORTED:
        to = archive
    elif outcome.status == FAILED and outcome.exit_code == EXIT_BAD_INPUT:
        to = failed
    if to is None:
        return outcome
    try:
        return replace(outcome, moved_to=folder.move_to(outcome.file, to))
    except OSError as exc:
        return replace(outcome, move_error=f"cannot move it to {to}: {exc.strerror or exc}")


def _reader(
    data: bytes, source: str, input_format: str | None, profile: str | None
) -> tuple[str, Any, dict[str, Any]]:
    """The format (detected unless given), its reader module and the reader's options."""
    from payctl.importers import detect
    from payctl.importers.files import check_size

    check_size(len(data), source)
    fmt = input_format or detect.detect(data, source)
    reader = detect.reader_for(fmt)
    options = {"profile": profile} if profile and fmt in ("csv", "xlsx") else {}
    return fmt, reader, options


def parse_file(
    data: bytes, source: str, input_format: str | None = None, profile: str | None = None
) -> tuple[str, list[ParsedStatement]]:
    """Detect (unless given) the format and read the statements. Pure, no database."""
    fmt, reader, options = _reader(data, source, input_format, profile)
    statements = reader.read(data, source, **options)
    check_dates(statements, source)
    check_text(statements, source)
    return fmt, statements


# A file above STREAM_BYTES whose reader can stream (CSV, JSON lines) is read twice, STREAM_ROWS
# rows at a time, and never held whole as lines: a first pass keeps what the import needs of
# the whole file (statements, line counts and dates, transaction ids given twice), the second
# fingerprints, dedups, matches and books the lines a chunk at a time (StreamedFile).
STREAM_BYTES = 16 * 1024 * 1024
STREAM_ROWS = 10_000
# Stored lines of a streamed file's dates read at once for the dedup (as the whole-file path
# reads them); above, each chunk's fingerprints are probed instead (bounded memory).
PRELOAD_ROWS = 200_000


# A currency's minor units in one unit (100 for EUR): ``_minor``'s fast path.
_UNITS: dict[str, int] = {}


def _minor(
    amount: Decimal,
    currency: str,
    report: FileReport,
    source: str,
    line_no: int | None = None,
    field_: str = "amount",
) -> int:
    """A file's amount in minor units: above the limit every amount has (``to_minor``) or with
    more decimals than the currency has (the rule of every bank reader, ``exact_amount``:
    here for the lines of a file that names no currency, read in the journal's), the file is
    refused naming file, line (a workbook's row) and field."""
    if amount.is_finite() and -20 < amount.adjusted() < 20:  # the usual amount, in one step
        numerator, denominator = amount.as_integer_ratio()  # exact; small at these sizes
        unit = _UNITS.get(currency)
        if unit is None:
            unit = _UNITS[currency] = 10 ** exponent(currency)
        if unit % denominator == 0:  # no more decimals than the currency has
            whole = numerator * (unit // denominator)
            if -MAX_AMOUNT_MINOR <= whole <= MAX_AMOUNT_MINOR:
                return whole
    where = line_place(report.format, line_no)
    try:
        check_limit(amount, currency, field_)  # first: the limit names a huge value best
        return to_minor(exact_amount(amount, currency), currency, field_)
    except AmountTooLarge as exc:
        raise BankFileError.at(source, where, field_, exc.problem) from None
    except ValueError as exc:
        raise BankFileError.at(source, where, field_, str(exc)) from None


class _Stored(NamedTuple):
    """What the dedup reads of a stored line: enough to tell a re-sent line that differs."""

    id: int
    booking_date: dt.date
    value_date: dt.date | None
    amount: int
    currency: str


class _NewLine(NamedTuple):
    """A line of the file to store: no stored line and no earlier line of the file has its
    fingerprint."""

    statement: int  # its statement's position in the file (BankStatement.seq)
    parsed: ParsedLine
    fingerprint: str
    amount: int  # in minor units of ``currency``
    currency: str


def _line_change(stored: _Stored, line: ParsedLine, minor: int, cur: str) -> LineChange | None:
    """How a line of the file differs from the stored line with its fingerprint (the same
    bank transaction id re-sent with a corrected date or amount), or None when it does not.
    The amount is compared as it would be stored (``minor``), so a rounded line is not a
    change."""

    def day(value: dt.date | None) -> str | None:
        return value.isoformat() if value else None

    fields: list[FieldChange] = []
    if line.booking_date != stored.booking_date:
        fields.append(FieldChange("booking_date", day(stored.booking_date), day(line.booking_date)))
    if line.value_date != stored.value_date:
        fields.append(FieldChange("value_date", day(stored.value_date), day(line.value_date)))
    before = Decimal(stored.amount).scaleb(-exponent(stored.currency))
    after = Decimal(minor).scaleb(-exponent(cur))
    if before != after:
        fields.append(FieldChange("amount", str(before), str(after)))
    if cur != stored.currency:
        fields.append(FieldChange("currency", stored.currency, cur))
    if not fields:
        return None
    return LineChange(line.line_no, line.transaction_id, stored.id, fields)


def line_row(
    new: _NewLine,
    line_id: int,
    statement_id: int,
    journal_id: int,
    account: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The bank_lines row of a new line, in review until a decision says otherwise."""
    line = new.parsed
    name, ref, txn = line.counterparty_name, line.structured_reference, line.transaction_id
    return {  # texts cut to their columns' 200 characters
        "id": line_id,
        "statement_id": statement_id,
        "journal_id": journal_id,
        "fingerprint": new.fingerprint,
        "booking_date": line.booking_date,
        "value_date": line.value_date,
        "amount": new.amount,
        "currency": new.currency,
        "counterparty_name": name[:200] if name else None,
        "counterparty_account": account,
        "remittance": line.remittance or None,
        "structured_reference": ref[:200] if ref else None,
        "transaction_id": txn[:200] if txn else None,
        "state": "review",
        "link": None,
        "rule": None,
        "score": None,
        "reason": None,
        "candidates": None,
        "partner_id": None,
        "payment_id": None,
        "reconcile_entry_id": None,
        "created_at": now,
    }


def _held_back(
    decision: Any, cur: str, day: dt.date, j: JournalFacts, lock: dt.date | None
) -> str | None:
    """Why a matching decision cannot be booked by the import (the line then waits in review
    with this reason) rather than failing the whole file. ``j``: the journal's facts (plain
    values: read per line, an ORM attribute is a Python call)."""
    if decision is None:
        return None
    currency = journal_currency_problem(cur, j.code, j.currency)
    if currency is not None:
        return currency.message
    if decision.payment_id is not None and is_locked(day, lock):
        return (
            f"dated {day}, on or before the lock date {lock}: cannot reconcile payment "
            "automatically"
        )
    return None


def _rule_decision(
    ctx: _Booking, item: _NewLine, row: dict[str, Any], account: str | None
) -> NewLinePayment | RuleDecision | None:
    """Ask the rules about a line matching left undecided, and record the answer on its row
    (its ``rule`` and ``reason``): a payment on account to make (the line matched, linked to
    it), a booking for ``apply_rule_decisions`` (the line in review with the rule's proposal
    as its reason until it books), or None: no rule takes the line, or the rule leaves it
    for review (or its payment cannot be made, the reason says why)."""
    from payctl.services.bank.rules_service import line_view, payment_type_for

    if ctx.rules is None:
        return None
    line, j = item.parsed, ctx.journal
    view = line_view(
        j.code,
        item.amount,
        item.currency,
        line.structured_reference,
        line.remittance,
        line.counterparty_name,
        account,
    )
    decided = ctx.rules.decide(view)
    if decided is None:
        return None
    rule, why = decided
    then = rule.then
    row.update(rule=rule.name, reason=proposal(rule, why))
    if then.action is Action.PAYMENT:
        problem = journal_currency_problem(item.currency, j.code, j.currency)
        refusal = "a zero amount" if item.amount == 0 else problem.message if problem else None
        if refusal:  # the line stays in review, saying why the rule's payment is not made
            row["reason"] = f"{row['reason']}; not made: {refusal}"
            return None
        partner = ctx.rules.partners[str(then.target)]
        ptype = payment_type_for(partner.kind, item.amount > 0)
        row.update(
            state="matched", link="created", reason=why, partner_id=partner.id, candidates=None
        )
        return NewLinePayment(
            row["id"],
            Candidate(rule.name, 100, why, partner.id, ptype),
            abs(item.amount),
            item.currency,
            line.booking_date,
            (line.structured_reference or line.transaction_id or None),
            line.remittance,
        )
    if then.action is Action.REVIEW:
        return None
    return RuleDecision(
        row["id"],
        j.id,
        rule.name,
        then.action,
        then.target,
        then.label,
        why,
        item.amount,
        item.currency,
        line.booking_date,
    )


@dataclass
class _Ruled:
    """What the rules decided about one chunk's lines."""

    bookings: list[RuleDecision] = field(default_factory=list)
    names: Counter[str] = field(default_factory=Counter)  # lines decided, by rule

    def ask(
        self,
        ctx: _Booking,
        item: _NewLine,
        row: dict[str, Any],
        account: str | None,
        drafts: list[NewLinePayment],
    ) -> bool:
        """Ask the rules about an undecided line (_rule_decision); True when it is matched
        to a payment on account, added to ``drafts`` (the chunk's payments, in line order)."""
        ruled = _rule_decision(ctx, item, row, account)
        if row["rule"] is not None:
            self.names[row["rule"]] += 1
        if isinstance(ruled, NewLinePayment):
            drafts.append(ruled)
            return True
        if ruled is not None:
            self.bookings.append(ruled)
        return False


# What an import writes: its lines and statements, the payments it creates with their
# allocations and (with --auto-confirm or reconciling) entries, and the invoices they pay.
LOADED_TABLES = (
    BankStatement,
    BankLine,
    Payment,
    PaymentAllocation,
    JournalEntry,
    JournalLine,
    Invoice,
)
BOOK_CHUNK = 10_000
PROBE_CHUNK = 900  # fingerprints per IN list (well under every backend's bind limit)


def file_fingerprints(
    statements: list[ParsedStatement], journal_code: str
) -> list[list[tuple[str, bool]]]:
    """(fingerprint, dated) for every line, per statement. All statements of one account in
    the file are fingerprinted together, so identical lines anywhere in the file stay distinct
    (their occurrence numbers differ); lines are only ever duplicates of stored ones."""
    groups: dict[str, list[int]] = {}
    for index, st in enumerate(statements):
        groups.setdefault(account_key(st.account) or journal_code, []).append(index)
    out: list[list[tuple[str, bool]]] = [[] for _ in statements]
    for account, indexes in groups.items():
        kinds = fingerprint_kinds(account, [ln for i in indexes for ln in statements[i].lines])
        at = 0
        for i in indexes:
            out[i] = kinds[at : at + len(statements[i].lines)]
            at += len(statements[i].lines)
    return out


@dataclass
class _Booking:
    """What every chunk of one file's booking shares."""

    journal: Journal
    matcher: Matcher
    payments: dict[int, Any]
    lock: dt.date | None
    statement_ids: dict[int, int]
    now: dt.datetime
    # statement id -> its new lines counted by outcome (payloads.line_outcome)
    outcomes: dict[int, Counter[str]]
    rules: ResolvedRules | None = None


_STORED_COLUMNS = (
    BankLine.fingerprint,
    BankLine.id,
    BankLine.booking_date,
    BankLine.value_date,
    BankLine.amount,
    BankLine.currency,
)
# The stored lines of some fingerprints (PROBE_CHUNK at a time), built once: a statement built
# per probe, with its list of fingerprints, is a cycle of objects the import's paused collector
# never frees (every fingerprint of a million-line file held to the end).
_PROBE = select(*_STORED_COLUMNS).where(
    BankLine.journal_id == bindparam("journal_id"),
    BankLine.fingerprint.in_(bindparam("fingerprints", expanding=True)),
)


class _ChunkBooking:
    """The booking of an import's new lines, BOOK_CHUNK at a time (the whole file's, or a
    streamed file's as its chunks come): the matcher, the lock date and the payments' builder
    made at the first chunk and kept; the payments the import created. ``span``: the dates
    whose posted payments the matcher takes: the new lines' (whole file), or the whole file's
    for a streamed one (those of its new lines are not known before the last chunk): a payment
    is only ever matched within its date window of a line, so the decisions are the same."""

    def __init__(
        self,
        service: BankExtractService,
        journal: Journal,
        span: tuple[dt.date, dt.date] | None,
        statement_ids: dict[int, int],
        outcomes: dict[int, Counter[str]],
        report: FileReport,
        rules: ResolvedRules | None,
    ) -> None:
        self.service, self.journal, self.span = service, journal, span
        self.statement_ids, self.outcomes, self.report, self.rules = (
            statement_ids,
            outcomes,
            report,
            rules,
        )
        self.context: _Booking | None = None
        self.posting: BankPosting
        self.created = array("q")  # machine integers: 800,000 payments in a million lines
        self.count = 0
        self.own_from: int | None = None  # the first line id this import took

    async def chunk(self, new: list[_NewLine]) -> None:
        service, session, j = self.service, self.service.session, self.journal
        if self.context is None:
            assert self.span is not None  # new lines have dates
            matcher, invoices, payments = await load_matcher(session, j.id, *self.span)
            lock = await lock_date(session)
            self.posting = BankPosting(session, service.user, invoices)
            self.context = _Booking(
                j,
                matcher,
                payments,
                lock,
                self.statement_ids,
                dt.datetime.now(dt.UTC),
                self.outcomes,
                self.rules,
            )
        context = self.context
        prime_fuzzy(
            context.matcher,
            [
                (ln.parsed.counterparty_name, account_key(ln.parsed.counterparty_account) or None)
                for ln in new
            ],
        )
        line_ids = await allocate_ids(session, BankLine.__table__, len(new))
        if self.own_from is None:
            self.own_from = line_ids[0]
        self.count += len(new)
        created = await service._book_chunk(context, self.posting, new, line_ids, self.report)
        self.created.extend(created)

    async def finish(self, auto_confirm: bool) -> None:
        """Count the payments the import created, and confirm them (``auto_confirm``)."""
        self.report.payments_created = len(self.created)
        if auto_confirm and self.created:
            confirmed, problems = await self.posting.confirm(sorted(self.created))
            self.report.payments_confirmed = confirmed
            self.report.warnings += problems


class BankExtractService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user
        # how far apart the two halves of an internal transfer may be booked (import_files
        # takes it from ImportOptions)
        self.transfer_days = transfers.TRANSFER_DAYS

    async def import_files(
        self,
        files: Sequence[str],
        options: ImportOptions,
        database_error: Callable[[BaseException], PayctlError | None],
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportResult:
        """Import each file (``-``: standard input; a directory: its bank files in name
        order) in its own transaction, in order: a bad file is reported and the others go on.
        When the database fails (``database_error`` maps the exception to the error to report;
        None: not a database failure, it is raised) the files before it stay committed, the
        rest are not tried. A bad rules file (or --archive / --failed folder) refuses the whole
        import before any file is read (InputError, exit 2)."""
        from payctl.services.bank import folder

        if options.dry_run and (options.archive or options.failed):
            raise InputError("--archive and --failed move files: not with --dry-run")
        if options.transfer_days is not None:
            if not 0 <= options.transfer_days <= 366:
                raise InputError("--transfer-days: give a number of days from 0 to 366")
            self.transfer_days = options.transfer_days
        archive = folder.check_folder(options.archive, "--archive")
        failed = folder.check_folder(options.failed, "--failed")
        rules = await self._rules(options)
        paths, listed = folder.expand(files)
        out: list[FileOutcome] = []
        for index, file in enumerate(paths):
            try:
                outcome = await self._import_path(file, options, rules, progress)
            except PayctlError as exc:
                gone = file in listed and not Path(file).exists()
                outcome = (
                    FileOutcome(file, GONE)
                    if gone
                    else FileOutcome(file, FAILED, error=exc.message, exit_code=exc.exit_code)
                )
            except Exception as exc:
                mapped = database_error(exc)
                if mapped is None:
                    raise
                out.append(
                    FileOutcome(
                        file, FAILED, error=f"{file}: {mapped.message}", exit_code=mapped.exit_code
                    )
                )
                out += [FileOutcome(rest, NOT_IMPORTED) for rest in paths[index + 1 :]]
                break
            out.append(_moved(outcome, archive, failed))
        return ImportResult(out, rules.path if rules else None)

    async def _rules(self, options: ImportOptions) -> ResolvedRules | None:
        """The rules the import applies: ``options.rules``, else the default rules file when
        there is one; checked against the database (RulesFileError, exit 2)."""
        from payctl.services.bank.rules_service import default_rules_path, load_resolved

        path = options.rules
        if path is None and options.default_rules:
            default = default_rules_path()
            path = str(default) if default.is_file() else None
        if path is None:
            return None
        async with transaction(self.session, write=False):
            return await load_resolved(self.session, path)

    async def _import_path(
        self,
        file: str,
        options: ImportOptions,
        rules: ResolvedRules | None,
        progress: Callable[[int, int], None] | None,
    ) -> FileOutcome:
        from payctl.importers.files import STDIN, read_input

        data, source = read_input(file)
        report = await self.import_file(
            data,
            source,
            options.journal,
            input_format=options.input_format or ("jsonl" if file == STDIN else None),
            profile=options.profile,
            auto_confirm=options.auto_confirm,
            dry_run=options.dry_run,
            progress=progress,
            book_opening=options.book_opening,
            rules=rules,
        )
        return FileOutcome(source, DRY_RUN if options.dry_run else IMPORTED, report)

    async def import_file(
        self,
        data: bytes,
        source: str,
        journal: str,
        *,
        input_format: str | None = None,
        profile: str | None = None,
        auto_confirm: bool = False,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
        book_opening: bool = False,
        rules: ResolvedRules | None = None,
    ) -> FileReport:
        """Import one file in one transaction; ``rules`` decide the lines matching leaves
        undecided (rules_service.ResolvedRules)."""
        report = FileReport(source, dry_run=dry_run)
        # Parsing and booking make ~10 objects per line, all short-lived and acyclic: the
        # collector's passes over them would cost more than the work (memory stays bounded).
        with gc_paused():
            streamed = self._first_pass(data, source, input_format, profile)
            first_day: Callable[[int], dt.date | None]
            if streamed is not None:
                report.format, file = streamed
                report.statements = len(file.statements)
                report.lines_read = sum(file.counts)
                book = partial(self._import_streamed, file)
                first_day = file.first_day
            else:
                report.format, statements = parse_file(data, source, input_format, profile)
                report.statements = len(statements)
                report.lines_read = sum(len(s.lines) for s in statements)
                book = partial(self._import, statements)

                def first_day(seq: int) -> dt.date | None:
                    lines = statements[seq].lines if seq < len(statements) else []
                    return min((ln.booking_date for ln in lines), default=None)

            digest = hashlib.sha256(data).hexdigest()
            async with transaction(self.session, write=True, keep=not dry_run):
                await book(digest, source, journal, report, auto_confirm, progress, rules)
                await self._opening(journal, first_day, digest, report, book_opening)
                if not dry_run:
                    analyze_loaded(self.session, LOADED_TABLES, report.new_lines)
        return report

    @staticmethod
    def _first_pass(
        data: bytes, source: str, input_format: str | None, profile: str | None
    ) -> tuple[str, StreamedFile] | None:
        """The first pass over a file read in chunks (STREAM_BYTES), or None: the file is
        small, its format's reader reads it whole, or its statements are interleaved."""
        if len(data) <= STREAM_BYTES:
            return None
        fmt, reader, options = _reader(data, source, input_format, profile)
        open_stream = getattr(reader, "stream", None)
        if open_stream is None:
            return None
        file = StreamedFile.read(lambda: open_stream(data, source, **options), source, STREAM_ROWS)
        return None if file is None else (fmt, file)

    async def _locked_journal(self, journal: str) -> Journal:
        """The journal, locked for this import. One import per journal at a time (PostgreSQL;
        SQLite's write lock already serialises): a concurrent import of the same or an
        overlapping file waits here, then sees its lines."""
        j = await lookups.journal(self.session, journal)
        await self.session.execute(
            select(Journal.id).where(Journal.id == j.id).with_for_update(key_share=True)
        )
        return j

    async def _stored_statements(self, journal_id: int, digest: str) -> dict[int, int]:
        """The statements stored for these bytes before: position in the file -> id."""
        stored = await self.session.execute(
            select(BankStatement.seq, BankStatement.id).where(
                BankStatement.journal_id == journal_id, BankStatement.source_hash == digest
            )
        )
        return {seq: sid for seq, sid in stored}

    def _check_accounts(
        self, j: Journal, statements: list[ParsedStatement], source: str, report: FileReport
    ) -> None:
        """A statement lands only in the journal of its bank account. A journal that has no
        bank account yet takes the one its first file's statements carry, and the report says
        so (a file of several accounts gives it none, and says that too)."""
        own = {account_key(j.iban), account_key(j.bank_account_number)} - {""}
        if not own:
            accounts = sorted({account_key(st.account) for st in statements} - {""})
            if len(accounts) == 1:
                if is_valid_iban(accounts[0]):
                    j.iban = accounts[0]
                else:
                    j.bank_account_number = accounts[0][:64]
                report.warnings.append(
                    f"journal {j.code} had no bank account: it now belongs to {accounts[0]}, "
                    "the account of these statements (change it with payctl journal update "
                    f"{j.code})"
                )
            elif accounts:
                report.warnings.append(
                    f"journal {j.code} has no bank account and {source} holds statements of "
                    f"{len(accounts)} accounts ({', '.join(accounts)}): give the journal its "
                    f"own with payctl journal update {j.code} --iban …"
                )
            return
        for st in statements:
            if st.account and not statement_belongs(st.account, own):
                raise InputError(
                    f"{source}: statement of account {st.account} does not belong to "
                    f"journal {j.code} ({', '.join(sorted(own))}): choose the right "
                    "--journal"
                )

    async def _import(
        self,
        statements: list[ParsedStatement],
        digest: str,
        source: str,
        journal: str,
        report: FileReport,
        auto_confirm: bool,
        progress: Callable[[int, int], None] | None = None,
        rules: ResolvedRules | None = None,
    ) -> None:
        j = await self._locked_journal(journal)
        new: list[_NewLine] = []
        self._check_accounts(j, statements, source, report)
        kinds = file_fingerprints(statements, j.code)
        undated = [fp for per in kinds for fp, dated in per if not dated]
        existing = await self._existing(j.id, statements, undated)
        known = await self._stored_statements(j.id, digest)
        taken: set[str] = set()
        no_sums = Deferred()  # the whole file's balances are checked with its statements
        for seq, (st, per) in enumerate(zip(statements, kinds, strict=True)):
            new += self._dedup(j, st, seq, st.lines, per, existing, taken, no_sums, report)
        report.changed = len(report.changes)
        report.new_lines = len(new)
        # The same bytes read again (another --profile or --input-format) may give new lines:
        # they join the statement stored for that file and position, which is unique.
        fresh = [seq for seq in range(len(statements)) if seq not in known]
        added = await self._insert_statements(j, statements, fresh, digest, source, report)
        statement_ids = known | {seq: st.id for seq, st in added.items()}
        outcomes: dict[int, Counter[str]] = {}
        await self._match_and_book(
            j, new, statement_ids, outcomes, report, auto_confirm, progress, rules
        )
        await self._statement_events(list(added.values()), outcomes, source)

    async def _import_streamed(
        self,
        file: StreamedFile,
        digest: str,
        source: str,
        journal: str,
        report: FileReport,
        auto_confirm: bool,
        progress: Callable[[int, int], None] | None = None,
        rules: ResolvedRules | None = None,
    ) -> None:
        """``_import`` of a file read in chunks (``StreamedFile``): the same checks, rows,
        events and audit records in the same order, the lines fingerprinted, deduplicated,
        matched and booked a chunk at a time (bookings in chunks of BOOK_CHUNK new lines,
        as ``_match_and_book`` books them)."""
        j = await self._locked_journal(journal)
        statements = file.statements
        self._check_accounts(j, statements, source, report)
        printers = file.fingerprinters(j.code)
        span = file.span()
        preloaded = await self._preload(j.id, span)
        known = await self._stored_statements(j.id, digest)
        fresh = [seq for seq in range(len(statements)) if seq not in known]
        deferred = Deferred()
        added = await self._insert_statements(
            j, statements, fresh, digest, source, report, file, deferred
        )
        statement_ids = known | {seq: st.id for seq, st in added.items()}
        outcomes: dict[int, Counter[str]] = {}
        book = _ChunkBooking(self, j, span, statement_ids, outcomes, report, rules)
        new: list[_NewLine] = []
        taken: set[str] = set()  # fingerprints of new lines not stored yet
        done = 0
        for chunk in file.open().chunks(STREAM_ROWS):
            by_statement = runs(chunk)
            kinds = [printers[seq].kinds(lines) for seq, lines in by_statement]
            existing, own = await self._existing_chunk(j.id, kinds, preloaded, book.own_from)
            seen = taken | own
            for (seq, lines), per in zip(by_statement, kinds, strict=True):
                new += self._dedup(
                    j, statements[seq], seq, lines, per, existing, seen, deferred, report
                )
            done += len(chunk)
            while len(new) >= BOOK_CHUNK:
                if progress:
                    progress(done, report.lines_read)
                booked_now, new = new[:BOOK_CHUNK], new[BOOK_CHUNK:]
                await book.chunk(booked_now)
            taken = {item.fingerprint for item in new}
        for seq in sorted(deferred.errors.keys() | deferred.moved_errors.keys()):
            raise deferred.errors.get(seq) or deferred.moved_errors[seq]
        self._balance_warnings(deferred, source, report)
        if new:
            if progress:
                progress(done, report.lines_read)
            await book.chunk(new)
        report.changed = len(report.changes)
        report.new_lines = book.count
        await book.finish(auto_confirm)
        await self._statement_events(list(added.values()), outcomes, source)

    def _dedup(
        self,
        j: Journal,
        st: ParsedStatement,
        seq: int,
        lines: list[ParsedLine],
        kinds: list[tuple[str, bool]],
        existing: dict[str, tuple[Any, ...]],
        taken: set[str],
        deferred: Deferred,
        report: FileReport,
    ) -> list[_NewLine]:
        """The dedup of one statement's lines (all of them, or those of a chunk): its new lines
        (their fingerprints added to ``taken``), known lines counted and compared, the lines
        of a statement whose balances wait for them added to its sum (``deferred``)."""
        source = report.source
        default = (st.currency or j.currency).upper()
        balanced = deferred.balanced.get(seq)
        new: list[_NewLine] = []
        for line, (fp, _dated) in zip(lines, kinds, strict=True):
            cur = line.currency.upper() if line.currency else default
            minor = _minor(line.amount, cur, report, source, line.line_no)
            if balanced is not None:
                self._add_moved(deferred, seq, balanced[0], line, cur, minor, report)
            known_line = existing.get(fp)
            if known_line is not None:  # a known line: the stored version is kept
                report.duplicates += 1
                _id, booked, valued, amount, currency = known_line
                if (  # the usual re-sent line: the same facts, nothing to compare
                    minor == amount
                    and cur == currency
                    and line.booking_date == booked
                    and line.value_date == valued
                ):
                    continue
                change = _line_change(_Stored._make(known_line), line, minor, cur)
                if change is not None:
                    report.changes.append(change)
                continue
            if fp in taken:
                report.duplicates += 1
                continue
            taken.add(fp)
            new.append(_NewLine(seq, line, fp, minor, cur))
        return new

    @staticmethod
    def _add_moved(
        deferred: Deferred,
        seq: int,
        cur: str,
        line: ParsedLine,
        line_cur: str,
        minor: int,
        report: FileReport,
    ) -> None:
        """Add a line to its statement's sum (in the statement's currency, as
        ``_insert_statements`` adds them); the first line that cannot be is its error."""
        if seq in deferred.moved_errors:
            return
        if line_cur != cur:
            try:
                minor = _minor(line.amount, cur, report, report.source, line.line_no)
            except BankFileError as exc:
                deferred.moved_errors[seq] = exc
                return
        deferred.moved[seq] += minor

    @staticmethod
    def _balance_warnings(deferred: Deferred, source: str, report: FileReport) -> None:
        """The warnings of statements whose lines do not add up to their balances, each where
        ``_insert_statements`` would have put it (later ones first, so the places hold)."""
        for seq in sorted(deferred.balanced, reverse=True):
            cur, opening, closing, at = deferred.balanced[seq]
            moved = deferred.moved[seq]
            if opening + moved != closing:
                report.warnings.insert(
                    at,
                    f"{source}: statement {seq + 1}: opening {format_amount(opening, cur)} "
                    f"+ lines {format_amount(moved, cur)} "
                    f"!= closing {format_amount(closing, cur)}",
                )

    async def _preload(
        self, journal_id: int, span: tuple[dt.date, dt.date] | None
    ) -> dict[str, tuple[Any, ...]] | None:
        """The stored lines of a streamed file's dates by fingerprint (read once, as
        ``_existing`` reads them), or None when there are more than PRELOAD_ROWS: each chunk's
        fingerprints are then probed (``_existing_chunk``)."""
        if span is None:
            return {}
        where = (
            BankLine.journal_id == journal_id,
            BankLine.booking_date >= span[0],
            BankLine.booking_date <= span[1],
        )
        count = await self.session.scalar(select(func.count()).select_from(BankLine).where(*where))
        if count and count > PRELOAD_ROWS:
            return None
        if not count:
            return {}
        connection = await self.session.connection()
        rows = await connection.execute(select(*_STORED_COLUMNS).where(*where))
        return {row[0]: row[1:] for row in rows}

    async def _existing_chunk(
        self,
        journal_id: int,
        kinds: list[list[tuple[str, bool]]],
        preloaded: dict[str, tuple[Any, ...]] | None,
        own_from: int | None,
    ) -> tuple[dict[str, tuple[Any, ...]], set[str]]:
        """The stored lines of a chunk's fingerprints (``_existing``'s facts), and the
        fingerprints of lines this import stored (from id ``own_from`` on: the journal is
        locked, no other import adds to it): those are lines of the file seen before."""
        found: dict[str, tuple[Any, ...]] = {}
        if preloaded is not None:
            for per in kinds:
                for fp, _dated in per:
                    hit = preloaded.get(fp)
                    if hit is not None:
                        found[fp] = hit
            probe = sorted({fp for per in kinds for fp, dated in per if not dated} - found.keys())
        else:
            probe = sorted({fp for per in kinds for fp, _dated in per})
        own: set[str] = set()
        if not probe:
            return found, own
        connection = await self.session.connection()
        for start in range(0, len(probe), PROBE_CHUNK):
            rows = await connection.execute(
                _PROBE,
                {"journal_id": journal_id, "fingerprints": probe[start : start + PROBE_CHUNK]},
            )
            for row in rows:
                if own_from is not None and row[1] >= own_from:
                    own.add(row[0])
                else:
                    found[row[0]] = row[1:]
        return found, own

    async def _opening(
        self,
        journal: str,
        first_day: Callable[[int], dt.date | None],
        digest: str,
        report: FileReport,
        book_opening: bool,
    ) -> None:
        """The first statement of a journal that opens at a balance other than zero, while no
        opening balance is booked: book it (``book_opening``) or say how, never silently."""
        j = await lookups.journal(self.session, journal)
        if await opening_balance.is_booked(self.session, j.id):
            return
        first = await opening_balance.first_opening(self.session, j.id)
        if (
            first is None
            or first.source_hash != digest  # this file holds the journal's first statement
            or first.opening_balance in (None, 0)
            or first.currency != j.currency
        ):
            return
        day = first.opening_date or first_day(first.seq) or first.closing_date
        if day is None:
            return
        amount = format_amount(first.opening_balance, j.currency)
        if book_opening:
            done = await opening_balance.book(
                self.session, self.user, j, day, first.opening_balance
            )
            report.opening_balance = (
                f"opening balance {amount} of journal {j.code} on {day} booked ({done.entry})"
            )
            return
        plain = str(from_minor(first.opening_balance, j.currency))
        report.warnings.append(
            f"journal {j.code} has no opening balance booked and its first statement opens at "
            f"{amount} on {day}: book it with `payctl journal opening-balance {j.code} "
            f"--date {day} --amount {plain}` (or import with --book-opening), else `payctl "
            "check` cannot hold its bank account to the statements"
        )

    async def _statement_events(
        self, stored: list[BankStatement], outcomes: dict[int, Counter[str]], source: str
    ) -> None:
        """One bank_statement.imported per statement the import stored, or stored lines in
        (the same bytes read again through another profile), after the events of its lines."""
        statements = {st.id: st for st in stored}
        joined = sorted(outcomes.keys() - statements.keys())
        if joined:
            rows = await self.session.scalars(
                select(BankStatement).where(BankStatement.id.in_(joined))
            )
            statements.update((st.id, st) for st in rows)
        await outbox.emit(
            self.session,
            self.user,
            [
                payloads.bank_statement_change(statements[sid], source, outcomes.get(sid, {}))
                for sid in sorted(statements)
            ],
        )

    async def _existing(
        self, journal_id: int, statements: list[ParsedStatement], undated: list[str]
    ) -> dict[str, tuple[Any, ...]]:
        """The lines of the file already stored for the journal, by fingerprint: the facts
        of ``_Stored`` as a plain tuple (made a ``_Stored`` only for a line that differs).

        A content fingerprint covers the booking date, so one indexed range scan over the
        file's dates finds those (cheaper than probing 100,000 fingerprints by IN lists). A
        bank-id fingerprint (``undated``) does not: the same transaction re-sent with another
        date is the same line, so those not found in the range are probed by value."""
        dates = [ln.booking_date for st in statements for ln in st.lines]
        if not dates:
            return {}
        columns = (
            BankLine.fingerprint,
            BankLine.id,
            BankLine.booking_date,
            BankLine.value_date,
            BankLine.amount,
            BankLine.currency,
        )
        # Core rows (no ORM result machinery: plain columns, 100,000 rows on a re-import)
        connection = await self.session.connection()
        rows = await connection.execute(
            select(*columns).where(
                BankLine.journal_id == journal_id,
                BankLine.booking_date >= min(dates),
                BankLine.booking_date <= max(dates),
            )
        )
        found = {row[0]: row[1:] for row in rows}  # a Row slice is a plain tuple
        probe = sorted({fp for fp in undated if fp not in found})
        for start in range(0, len(probe), PROBE_CHUNK):
            rows = await connection.execute(
                _PROBE,
                {"journal_id": journal_id, "fingerprints": probe[start : start + PROBE_CHUNK]},
            )
            found.update((row[0], row[1:]) for row in rows)
        return found

    async def _insert_statements(
        self,
        j: Journal,
        statements: list[ParsedStatement],
        seqs: list[int],
        digest: str,
        source: str,
        report: FileReport,
        file: StreamedFile | None = None,
        deferred: Deferred | None = None,
    ) -> dict[int, BankStatement]:
        """Store the statements at positions ``seqs``: position -> the stored statement. A
        streamed ``file`` gives their line counts and dates, and ``deferred`` takes what waits
        for its lines (the balances' errors, the sum of the lines)."""
        stored: dict[int, BankStatement] = {}
        for seq in seqs:
            st = statements[seq]
            cur = (st.currency or j.currency).upper()
            if st.currency_from_journal:
                report.warnings.append(
                    f"statement {seq + 1}: its balances name no currency: "
                    f"read in journal {j.code}'s currency {cur}"
                )

            def minor(v: Decimal | None, name: str, cur: str = cur) -> int | None:
                return None if v is None else _minor(v, cur, report, source, None, name)

            try:
                opening = minor(st.opening_balance, "opening balance")
                closing = minor(st.closing_balance, "closing balance")
            except BankFileError as exc:
                if deferred is None:
                    raise
                deferred.errors[seq] = exc
                opening = closing = None
            await self._continuity(j, st, opening, cur, report)
            if opening is not None and closing is not None and deferred is not None:
                deferred.balanced[seq] = (cur, opening, closing, len(report.warnings))
            elif opening is not None and closing is not None:
                moved = sum(_minor(ln.amount, cur, report, source, ln.line_no) for ln in st.lines)
                if opening + moved != closing:
                    report.warnings.append(
                        f"{source}: statement {seq + 1}: opening {format_amount(opening, cur)} "
                        f"+ lines {format_amount(moved, cur)} "
                        f"!= closing {format_amount(closing, cur)}"
                    )
            row = BankStatement(
                journal_id=j.id,
                source_name=source[:500],
                source_hash=digest,
                seq=seq,
                format=report.format or "",
                account=(st.account or None),
                currency=cur,
                statement_ref=(st.statement_id or None),
                opening_balance=opening,
                closing_balance=closing,
                opening_date=st.opening_date,
                closing_date=st.closing_date
                or (
                    max((ln.booking_date for ln in st.lines), default=None)
                    if file is None
                    else file.highs[seq]
                ),
                line_count=len(st.lines) if file is None else file.counts[seq],
                imported_by=self.user,
            )
            self.session.add(row)
            await self.session.flush()
            stored[seq] = row
        return stored

    async def _continuity(
        self, j: Journal, st: ParsedStatement, opening: int | None, cur: str, report: FileReport
    ) -> None:
        """Warn when an opening balance does not follow the previous statement's closing."""
        if opening is None or st.opening_date is None:
            return
        prev = (
            await self.session.execute(
                select(BankStatement.closing_balance, BankStatement.closing_date)
                .where(
                    BankStatement.journal_id == j.id,
                    BankStatement.closing_balance.is_not(None),
                    BankStatement.closing_date <= st.opening_date,
                    BankStatement.account == (st.account or None),
                )
                .order_by(BankStatement.closing_date.desc(), BankStatement.id.desc())
                .limit(1)
            )
        ).first()
        if prev is not None and prev[0] is not None and prev[0] != opening:
            report.warnings.append(
                f"opening balance {format_amount(opening, cur)} on {st.opening_date} does not "
                f"follow the previous statement's closing balance {format_amount(prev[0], cur)} "
                f"on {prev[1]}: a statement may be missing"
            )

    async def _match_and_book(
        self,
        j: Journal,
        new: list[_NewLine],
        statement_ids: dict[int, int],
        outcomes: dict[int, Counter[str]],
        report: FileReport,
        auto_confirm: bool,
        progress: Callable[[int, int], None] | None = None,
        rules: ResolvedRules | None = None,
    ) -> None:
        if not new:
            return
        dates = [ln.parsed.booking_date for ln in new]
        book = _ChunkBooking(
            self, j, (min(dates), max(dates)), statement_ids, outcomes, report, rules
        )
        for start in range(0, len(new), BOOK_CHUNK):  # bounded memory, one transaction
            if progress:
                progress(start, len(new))
            await book.chunk(new[start : start + BOOK_CHUNK])
        await book.finish(auto_confirm)

    async def _audit_lines(self, rows: list[dict[str, Any]]) -> None:
        """One audit record per statement with a digest of each line stored (what `payctl
        check` compares the lines with): compact, not one record per line."""
        by_statement: dict[int, dict[str, str]] = {}
        digest = audit.bank_line_digest
        for row in rows:
            by_statement.setdefault(row["statement_id"], {})[str(row["id"])] = digest(
                row["journal_id"],
                row["fingerprint"],
                row["booking_date"],
                row["amount"],
                row["currency"],
            )
        await audit.append(
            self.session,
            [
                audit.AuditEvent(self.user, "import", "bank_statement", sid, {"lines": lines})
                for sid, lines in sorted(by_statement.items())
            ],
        )

    async def _book_chunk(
        self,
        ctx: _Booking,
        posting: BankPosting,
        chunk: list[_NewLine],
        line_ids: list[int],
        report: FileReport,
    ) -> list[int]:
        """Match a slice of new lines, create their payments, store them, reconcile."""
        j = ctx.journal
        facts = JournalFacts(j.id, j.code, j.type, j.currency)  # read once per chunk
        drafts: list[NewLinePayment] = []
        rows: list[dict[str, Any]] = []
        reconcile: list[Reconciliation] = []
        ruled = _Ruled()
        for index, item in enumerate(chunk):
            line, minor, cur = item.parsed, item.amount, item.currency
            account = account_key(line.counterparty_account)[:64] or None
            text = " ".join(filter(None, [line.structured_reference, line.remittance]))
            result = ctx.matcher.match(
                LineFacts(minor, cur, line.booking_date, line.counterparty_name, account, text)
            )
            held = _held_back(result.decision, cur, line.booking_date, facts, ctx.lock)
            if held:
                result.decision, result.review_reason = None, held
            best = result.decision
            row = line_row(
                item, line_ids[index], ctx.statement_ids[item.statement], facts.id, account, ctx.now
            )
            row["reason"] = result.review_reason
            rows.append(row)
            if best is None:
                row["candidates"] = candidate_json(result.candidates)
                row["partner_id"] = result.candidates[0].partner_id if result.candidates else None
                if not held and ruled.ask(ctx, item, row, account, drafts):
                    continue
                if result.candidates:
                    report.to_review += 1
                else:
                    report.unmatched += 1
                continue
            ctx.matcher.consume(best)
            report.matched[best.rule] += 1
            row.update(
                state="matched",
                rule=best.rule,
                score=best.score,
                reason=best.reason,
                partner_id=best.partner_id,
            )
            if best.payment_id is not None:
                row.update(link="reconciled", payment_id=best.payment_id)
                reconcile.append(
                    Reconciliation(
                        line_ids[index],
                        ctx.payments[best.payment_id],
                        abs(minor),
                        line.booking_date,
                        f"bank line {line_ids[index]}",
                    )
                )
            else:
                row["link"] = "created"
                drafts.append(
                    NewLinePayment(
                        line_ids[index],
                        best,
                        abs(minor),
                        cur,
                        line.booking_date,
                        (line.structured_reference or line.transaction_id or None),
                        line.remittance,
                    )
                )
        report.ruled.update(ruled.names)
        created = await posting.create_payments(j, drafts)
        index_of = {line_id: index for index, line_id in enumerate(line_ids)}
        for line_id, pid in created.items():
            rows[index_of[line_id]]["payment_id"] = pid
        await bulk_insert(self.session, BankLine.__table__, rows)
        await self._audit_lines(rows)
        booked = await self._book_by_rules(ruled, rows, report)
        await suspense.book(
            self.session,
            self.user,
            [
                suspense.SuspenseLine(
                    r["id"], r["journal_id"], r["amount"], r["currency"], r["booking_date"]
                )
                for r in rows
                if r["state"] in suspense.UNDECIDED
            ],
        )
        entry_ids = await posting.reconcile(j, reconcile)
        if entry_ids:
            await self.session.execute(
                update(BankLine),
                [
                    {"id": r.line_id, "reconcile_entry_id": e}
                    for r, e in zip(reconcile, entry_ids, strict=True)
                ],
            )
        report.reconciled += len(entry_ids)
        await self._line_events(ctx, rows, booked)
        return list(created.values())

    async def _book_by_rules(
        self, ruled: _Ruled, rows: list[dict[str, Any]], report: FileReport
    ) -> set[int]:
        """Book the stored lines a rule books to an account; their ids. They never wait in
        suspense, and their events are the booking's own (BankDecisions.book_to_account)."""
        own = await self._own_transfers(rows)
        report.ruled.update(d.rule for d in own)
        decisions = ruled.bookings + own
        booked = set(
            await apply_rule_decisions(self.session, self.user, decisions, self.transfer_days)
        )
        for row in rows:
            if row["id"] in booked:
                if row["candidates"] and row["candidates"] != "[]":
                    report.to_review -= 1
                else:
                    report.unmatched -= 1
                row.update(state=BOOKED, link=BOOKED_LINK)
        return booked

    async def _own_transfers(self, rows: list[dict[str, Any]]) -> list[RuleDecision]:
        """Lines nothing decided whose counterparty account is another own journal's: internal
        transfers to (from) that journal, without any rule (transfers.py)."""
        open_rows = [
            r
            for r in rows
            if r["state"] == "review" and r["rule"] is None and r["counterparty_account"]
        ]
        if not open_rows:
            return []
        own = await transfers.own_accounts(self.session)
        codes = dict((await self.session.execute(select(Journal.id, Journal.code))).all())
        out = []
        for r in open_rows:
            other = transfers.journal_of(r["counterparty_account"], r["journal_id"], own)
            if other is None:
                continue
            reason = (
                f"counterparty account {r['counterparty_account']} is journal "
                f"{codes[other]}'s: an internal transfer"
            )
            out.append(
                RuleDecision(
                    r["id"],
                    r["journal_id"],
                    transfers.LINK,
                    Action.TRANSFER,
                    codes[other],
                    None,
                    reason,
                    r["amount"],
                    r["currency"],
                    r["booking_date"],
                )
            )
        return out

    async def _line_events(
        self, ctx: _Booking, rows: list[dict[str, Any]], evented: set[int]
    ) -> None:
        """Count the chunk's lines for their statements' events; one event per line matched
        (payloads.LINE_EVENTS), from the rows just stored. Lines left in review are no change
        beyond their statement's import: its event counts them."""
        changes = []
        outcome, outcomes = payloads.line_outcome, ctx.outcomes
        # the names the outbox would add, as this import read them (journal, partners)
        journal = ctx.journal
        name, journal_id = payloads.name_line, journal.id
        code = loaded_attribute(journal, "code")
        partners = ctx.matcher.partner_names
        for row in rows:
            kind = outcome(row["state"], row["link"])
            counts = outcomes.get(row["statement_id"])
            if counts is None:  # not a Counter made per row only to be thrown away
                counts = outcomes[row["statement_id"]] = Counter()
            counts[kind] += 1
            if kind != "review" and row["id"] not in evented:
                change = payloads.bank_line_change(row)
                name(change, journal_id, code, partners)
                changes.append(change)
        await outbox.emit(self.session, self.user, changes)

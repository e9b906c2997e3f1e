"""Plain records every bank-extract reader produces, and the reader contract.

A reader is a module with ``FORMAT`` (its name), ``sniff(head: bytes) -> bool`` (does this
content look like my format?) and ``read(data: bytes, source: str, **options) ->
list[ParsedStatement]``. Readers do no I/O besides parsing the bytes they are given and raise only
``BankFileError`` (one line: file, line/row, field, problem).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from operator import attrgetter

from payctl.errors import InputError


class BankFileError(InputError):
    """An unreadable or invalid bank file. Exit code 2; nothing of the file is written."""

    @classmethod
    def at(
        cls, source: str, where: str | int | None, field_: str | None, problem: str
    ) -> BankFileError:
        parts = [source]
        if where is not None:
            parts.append(f"line {where}" if isinstance(where, int) else str(where))
        if field_:
            parts.append(field_)
        return cls(": ".join(parts + [problem]))


def line_place(fmt: str | None, number: int | None) -> str | int | None:
    """Where a line of a ``fmt`` file is, as its reader says it in messages (the ``where`` of
    :meth:`BankFileError.at`): "row N" in a workbook, line N in a text file."""
    if number is None:
        return None
    return f"row {number}" if fmt == "xlsx" else number


def check_dates(statements: list[ParsedStatement], source: str) -> None:
    """Every date of every reader's statements lies in 1900–2199 (:func:`check_plausible`)."""
    plausible: set[dt.date] = set()  # dates already checked (a file repeats few dates)
    for st in statements:
        check_statement_dates(st, source)
        check_line_dates(st.lines, source, plausible)


def check_statement_dates(st: ParsedStatement, source: str) -> None:
    """A statement's own dates (opening, closing) lie in 1900–2199."""
    from payctl.domain.dates import check_plausible

    for name in ("opening_date", "closing_date"):
        value = getattr(st, name)
        if value is not None:
            try:
                check_plausible(value, name)
            except InputError as exc:
                raise BankFileError.at(source, None, None, exc.message) from None


def check_line_dates(lines: list[ParsedLine], source: str, plausible: set[dt.date]) -> None:
    """The dates of ``lines`` lie in 1900–2199; ``plausible``: dates already checked."""
    from payctl.domain.dates import check_plausible

    for ln in lines:
        if ln.booking_date in plausible and (ln.value_date is None or ln.value_date in plausible):
            continue
        for name in ("booking_date", "value_date"):
            value = getattr(ln, name)
            if value is not None:
                try:
                    check_plausible(value, name)
                except InputError as exc:
                    raise BankFileError.at(source, ln.line_no, None, exc.message) from None
                plausible.add(value)


TEXT_FIELDS = (
    "counterparty_name",
    "counterparty_account",
    "remittance",
    "structured_reference",
    "transaction_id",
)


_TEXT_CHUNK = 10_000  # lines whose texts check_text joins at once (bounded memory)


def check_text(statements: list[ParsedStatement], source: str) -> None:
    """No text of any reader's statements holds a NUL character (see ``files.NOT_TEXT``)."""
    for st in statements:
        check_statement_text(st, source)
        check_line_text(st.lines, source)


def check_statement_text(st: ParsedStatement, source: str) -> None:
    """No text of a statement's own (account, currency, id) holds a NUL character."""
    from payctl.importers.files import NOT_TEXT

    for name in ("account", "currency", "statement_id"):
        if "\x00" in (getattr(st, name) or ""):
            raise BankFileError.at(source, None, name, NOT_TEXT)


def check_line_text(lines: list[ParsedLine], source: str) -> None:
    """No text of ``lines`` holds a NUL character: the first line (in order) with one is named."""
    from payctl.importers.files import NOT_TEXT

    texts = attrgetter("currency", *TEXT_FIELDS)
    for start in range(0, len(lines), _TEXT_CHUNK):
        chunk = lines[start : start + _TEXT_CHUNK]
        # the usual lines: no NUL in all their texts, joined at once (in C)
        if "\x00" not in "".join(filter(None, chain.from_iterable(map(texts, chunk)))):
            continue
        for ln in chunk:  # the first line, in file order, with one
            if "\x00" not in "".join(filter(None, texts(ln))):
                continue
            for name in ("currency", *TEXT_FIELDS):
                if "\x00" in (getattr(ln, name) or ""):
                    raise BankFileError.at(source, ln.line_no, name, NOT_TEXT)


@dataclass(slots=True)
class ParsedLine:
    """One booked movement on the account as a reader found it in a file (not stored yet: the
    stored line is ``payctl.db.models.BankLine``). ``amount`` is signed: + money in, - money
    out.

    Never changed once made (``dataclasses.replace`` makes another), yet not ``frozen``: a file
    makes one per line, and a frozen dataclass's ``__init__`` (``object.__setattr__`` per
    field) costs about eight times a plain one's."""

    booking_date: dt.date
    amount: Decimal
    currency: str
    value_date: dt.date | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None  # IBAN where the bank gives one, else its number
    remittance: str | None = None  # free text (unstructured remittance / description / :86:)
    structured_reference: str | None = None  # creditor reference (RF..), ESR/QR, end-to-end id
    transaction_id: str | None = None  # the bank's own id for the line, when it gives one
    line_no: int | None = None  # where in the file (line or row), for messages


@dataclass
class ParsedStatement:
    """One statement (or notification) of one account as a reader found it; a file can hold
    several (the stored statement is ``payctl.db.models.BankStatement``)."""

    account: str | None = None  # IBAN or account number of the statement's own account
    currency: str | None = None
    statement_id: str | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    opening_date: dt.date | None = None
    closing_date: dt.date | None = None
    lines: list[ParsedLine] = field(default_factory=list)
    # The file names no currency for it (MT940 balances without one): the journal's is taken
    # and the import report says so.
    currency_from_journal: bool = False

    @property
    def total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), Decimal("0"))

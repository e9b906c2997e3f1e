"""JSON lines of bank lines (``payctl import -``): one object per line.

Keys: booking_date (required, YYYY-MM-DD), amount (required, signed string or integer —
not a float), currency, value_date, counterparty_name, counterparty_account, remittance,
structured_reference, transaction_id, account (the statement's own account).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from payctl.domain.dates import parse_date
from payctl.errors import InputError
from payctl.importers.bank import TEXT_FIELDS, BankFileError, ParsedLine, ParsedStatement
from payctl.importers.files import decode_text
from payctl.importers.values import exact_amount

FORMAT = "jsonl"


def sniff(head: bytes) -> bool:
    """A first line that is a JSON object with the two required keys."""
    first = head.lstrip().split(b"\n", 1)[0].strip()
    if not first.startswith(b"{") or not first.endswith(b"}"):
        return False
    try:
        obj = json.loads(first)
    except ValueError:
        return False
    return isinstance(obj, dict) and "booking_date" in obj and "amount" in obj


def _date(value: object, source: str, line: int, field: str) -> dt.date:
    """payctl's own format: the one date parser of every date field (no time of day)."""
    try:
        parsed = parse_date(str(value), field)
    except InputError as exc:
        raise BankFileError.at(source, line, None, exc.message) from None
    assert parsed is not None  # a text is never "not given"
    return parsed


def _amount(value: object, currency: str, source: str, line: int) -> Decimal:
    if isinstance(value, float | bool):
        raise BankFileError.at(source, line, "amount", 'write amounts as strings, e.g. "12.30"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BankFileError.at(source, line, "amount", f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise BankFileError.at(source, line, "amount", f"{value!r} is not an amount")
    if not currency:  # the importer applies the journal's currency, and the same rule
        return amount
    try:
        return exact_amount(amount, currency)
    except ValueError as exc:
        raise BankFileError.at(source, line, "amount", str(exc)) from None


def _text(obj: dict[str, object], field: str, source: str, line: int) -> str | None:
    value = obj.get(field)
    if value in (None, ""):
        return None
    text = str(value)
    if "\x00" in text:  # as in a CSV file: not text (and PostgreSQL cannot store it)
        raise BankFileError.at(source, line, field, "NUL character: binary data, not text")
    return text


def read(data: bytes, source: str, **_: object) -> list[ParsedStatement]:
    stream = JsonlStream(data, source)
    by_seq = stream.statements_so_far
    for chunk in stream.chunks(_CHUNK):
        for seq, line in chunk:
            by_seq[seq].lines.append(line)
    return stream.statements()


_CHUNK = 10_000


class JsonlStream:
    """The lines of a JSON-lines file a chunk at a time, (statement position, line) in file
    order, then its statements (one per ``account``, in order of appearance; their ``lines``
    left empty). ``interleaved``: a statement's lines came after another's that came after
    its earlier ones (file order is then not statement order)."""

    def __init__(self, data: bytes, source: str) -> None:
        self.text = decode_text(data, source, hint="JSON lines are UTF-8")
        self.source = source
        self.statements_so_far: list[ParsedStatement] = []
        self.interleaved = False

    def chunks(self, size: int) -> Iterator[list[tuple[int, ParsedLine]]]:
        source = self.source
        seqs: dict[str | None, int] = {}
        statements = self.statements_so_far
        closed: set[int] = set()
        last = -1
        chunk: list[tuple[int, ParsedLine]] = []
        for number, raw in enumerate(_lines(self.text), start=1):
            if not raw.strip():
                continue
            obj = _object(raw, source, number)
            account = _text(obj, "account", source, number)
            seq = seqs.get(account)
            if seq is None:
                seq = seqs[account] = len(statements)
                statements.append(ParsedStatement(account=account))
            if seq != last:
                self.interleaved = self.interleaved or seq in closed
                closed.add(last)
                last = seq
            chunk.append((seq, _line(obj, source, number)))
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def statements(self) -> list[ParsedStatement]:
        return self.statements_so_far


def _object(raw: str, source: str, number: int) -> dict[str, object]:
    """A line's JSON object, with the two keys every line needs."""
    try:
        obj = json.loads(raw, parse_float=str)
    except json.JSONDecodeError as exc:
        raise BankFileError.at(source, number, None, f"invalid JSON: {exc.msg}") from None
    if not isinstance(obj, dict):
        raise BankFileError.at(source, number, None, "expected a JSON object")
    for required in ("booking_date", "amount"):
        if obj.get(required) in (None, ""):
            raise BankFileError.at(source, number, required, "missing")
    return obj


def _line(obj: dict[str, object], source: str, number: int) -> ParsedLine:
    currency = str(obj.get("currency") or "").upper()  # "": the journal's
    return ParsedLine(
        booking_date=_date(obj["booking_date"], source, number, "booking_date"),
        value_date=_date(obj["value_date"], source, number, "value_date")
        if obj.get("value_date")
        else None,
        amount=_amount(obj["amount"], currency, source, number),
        currency=currency,
        line_no=number,
        **{f: _text(obj, f, source, number) for f in TEXT_FIELDS},
    )


def stream(data: bytes, source: str, **_: object) -> JsonlStream:
    return JsonlStream(data, source)


_BLOCK_CHARS = 1 << 20


def _lines(text: str) -> Iterator[str]:
    """``text.splitlines()`` a block at a time (no list of every line): blocks are cut just
    after a "\\n", where splitting the parts splits the whole."""
    if len(text) <= _BLOCK_CHARS:
        yield from text.splitlines()
        return
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + _BLOCK_CHARS)
        end = size if end < 0 else end + 1
        yield from text[start:end].splitlines()
        start = end

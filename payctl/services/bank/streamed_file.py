"""What the first pass over a bank file read in chunks keeps (issue 12: a million-line file is
never held whole as lines): its statements without their lines, and per statement the line
count, first and last booking dates and the transaction ids given twice
(:class:`StreamedFile`); the statement checks that wait for the second pass's lines
(:class:`Deferred`). The import itself (bank_extract_service) reads the file again a chunk at
a time and books it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from payctl.domain.fingerprint import Fingerprinter, transaction_key
from payctl.domain.iban import account_key
from payctl.importers.bank import (
    BankFileError,
    ParsedLine,
    ParsedStatement,
    check_line_dates,
    check_line_text,
    check_statement_dates,
    check_statement_text,
)


class LineStream(Protocol):
    interleaved: bool

    def chunks(self, rows: int) -> Iterator[list[tuple[int, ParsedLine]]]: ...

    def statements(self) -> list[ParsedStatement]: ...


def runs(chunk: list[tuple[int, ParsedLine]]) -> list[tuple[int, list[ParsedLine]]]:
    """A chunk's lines by statement: (position, its lines) for each run of one statement."""
    out: list[tuple[int, list[ParsedLine]]] = []
    for seq, line in chunk:
        if not out or out[-1][0] != seq:
            out.append((seq, []))
        out[-1][1].append(line)
    return out


@dataclass
class StreamedFile:
    """What the first pass over a streamed file keeps: its statements (without lines), and
    per statement its line count, first and last booking dates and transaction ids."""

    open: Callable[[], LineStream]
    statements: list[ParsedStatement]
    counts: list[int]
    lows: list[dt.date | None]
    highs: list[dt.date | None]
    ids: list[Counter[str]]

    @classmethod
    def read(cls, open_: Callable[[], LineStream], source: str, rows: int) -> StreamedFile | None:
        """The first pass, ``rows`` lines at a time; None when the file's statements are
        interleaved (file order is not statement order: the file is then read whole). Raises
        what ``parse_file`` raises for the same bytes: the reader's errors as they come, then
        the first bad date, then the first NUL character, in statement order (``check_dates``,
        ``check_text``)."""
        stream = open_()
        file = cls(open_, [], [], [], [], [])
        bad_date: dict[int, BankFileError] = {}
        bad_text: dict[int, BankFileError] = {}
        plausible: set[dt.date] = set()
        for chunk in stream.chunks(rows):
            if stream.interleaved:
                return None
            for seq, lines in runs(chunk):
                file._take(seq, lines)
                if seq not in bad_date:
                    try:
                        check_line_dates(lines, source, plausible)
                    except BankFileError as exc:
                        bad_date[seq] = exc
                if seq not in bad_text:
                    try:
                        check_line_text(lines, source)
                    except BankFileError as exc:
                        bad_text[seq] = exc
        if stream.interleaved:
            return None
        file.statements = stream.statements()
        file._grow(len(file.statements) - 1)
        file._check(source, bad_date, bad_text)
        return file

    def _check(
        self, source: str, bad_date: dict[int, BankFileError], bad_text: dict[int, BankFileError]
    ) -> None:
        """``check_dates`` then ``check_text``: each statement's own, then its first bad line."""
        for seq, st in enumerate(self.statements):
            check_statement_dates(st, source)
            if seq in bad_date:
                raise bad_date[seq]
        for seq, st in enumerate(self.statements):
            check_statement_text(st, source)
            if seq in bad_text:
                raise bad_text[seq]

    def _grow(self, seq: int) -> None:
        while len(self.counts) <= seq:
            self.counts.append(0)
            self.lows.append(None)
            self.highs.append(None)
            self.ids.append(Counter())

    def _take(self, seq: int, lines: list[ParsedLine]) -> None:
        """Count a run of one statement's lines in."""
        self._grow(seq)
        self.counts[seq] += len(lines)
        dates = [ln.booking_date for ln in lines]
        low, high = min(dates), max(dates)
        was_low, was_high = self.lows[seq], self.highs[seq]
        self.lows[seq] = low if was_low is None else min(was_low, low)
        self.highs[seq] = high if was_high is None else max(was_high, high)
        self.ids[seq].update(tx for ln in lines if (tx := transaction_key(ln)))

    def fingerprinters(self, journal_code: str) -> list[Fingerprinter]:
        """One per statement, shared by the statements of one account (``file_fingerprints``:
        transaction ids counted, identical lines numbered, over all of them); the ids read in
        the first pass are let go (only those given twice are kept)."""
        groups: dict[str, list[int]] = {}
        for seq, st in enumerate(self.statements):
            groups.setdefault(account_key(st.account) or journal_code, []).append(seq)
        out: list[Fingerprinter | None] = [None] * len(self.statements)
        for account, seqs in groups.items():
            ids = self.ids[seqs[0]]
            for seq in seqs[1:]:
                ids = ids + self.ids[seq]
            printer = Fingerprinter(account, {tx for tx, n in ids.items() if n > 1})
            for seq in seqs:
                out[seq] = printer
        self.ids = []
        return [p for p in out if p is not None]

    def first_day(self, seq: int) -> dt.date | None:
        return self.lows[seq] if seq < len(self.lows) else None

    def span(self) -> tuple[dt.date, dt.date] | None:
        lows = [d for d in self.lows if d is not None]
        highs = [d for d in self.highs if d is not None]
        return (min(lows), max(highs)) if lows else None


@dataclass
class Deferred:
    """A streamed file's statement checks that wait for its lines: the first error of each
    statement's balances (raised after every line was read, as the whole-file path raises
    them after its lines' own errors), and the statements with both balances, whose lines
    must add up (cur, opening, closing, where the warning goes in the report)."""

    errors: dict[int, BankFileError] = field(default_factory=dict)
    balanced: dict[int, tuple[str, int, int, int]] = field(default_factory=dict)
    moved: Counter[int] = field(default_factory=Counter)
    moved_errors: dict[int, BankFileError] = field(default_factory=dict)

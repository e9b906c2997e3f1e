"""Exporters: journal entries as hledger/ledger-cli, beancount, CSV and XLSX.

Pure formatting: the records below come from ``ExportService``; no database access here.
Amounts are ``Decimal`` (debit and credit of each line, both >= 0), never floats.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple, Protocol, TextIO


class ExportFormat(StrEnum):
    """Every export format, listed once: `payctl export --to` offers exactly these."""

    LEDGER = "ledger"  # hledger/ledger-cli journal
    BEANCOUNT = "beancount"
    CSV = "csv"
    XLSX = "xlsx"  # a workbook: written to a file, never to standard output

    @property
    def is_text(self) -> bool:
        return self is not ExportFormat.XLSX

    @property
    def has_openings(self) -> bool:
        """A journal for a tool (ledger, beancount) that starts after the first entry opens
        with the balances before it; csv/xlsx rows are the period's journal lines only."""
        return self in (ExportFormat.LEDGER, ExportFormat.BEANCOUNT)


@dataclass(frozen=True)
class ExportAccount:
    code: str
    name: str
    type: str  # AccountType value: asset, liability, income, expense, equity


class ExportLine(NamedTuple):
    """One journal line (a named tuple: an export makes one per line, at a third of a frozen
    dataclass's cost)."""

    account: ExportAccount
    partner: str | None
    debit: Decimal
    credit: Decimal
    label: str | None


@dataclass(frozen=True, slots=True)
class ExportEntry:
    number: str
    date: dt.date
    journal: str
    currency: str
    source: str
    memo: str | None
    reversal_of: str | None
    lines: list[ExportLine] = field(default_factory=list)

    @property
    def partner(self) -> str | None:
        """The partner of the entry's lines when there is exactly one."""
        names = {ln.partner for ln in self.lines if ln.partner}
        return names.pop() if len(names) == 1 else None


# The counter-account of the opening balances (hledger's and beancount's convention): not an
# account of payctl's chart, so its code is empty (no chart account has an empty code).
OPENING_ACCOUNT = ExportAccount("", "Opening balances", "equity")


@dataclass(frozen=True)
class ExportOpening:
    """One currency's opening balances on ``date`` (the export's first day): per account, what
    the entries dated before it left (debit minus credit, never zero), by account code. The
    opening transaction posts each against ``OPENING_ACCOUNT``, which takes what is left: zero,
    as every entry balances in its currency."""

    date: dt.date
    currency: str
    balances: list[tuple[ExportAccount, Decimal]]

    @property
    def remainder(self) -> Decimal:
        """What ``OPENING_ACCOUNT`` takes: minus the sum of the balances."""
        return -sum((value for _, value in self.balances), Decimal(0))


@dataclass(frozen=True)
class ExportHead:
    """What a format writes before the entries, known before the first entry is read: a
    streamed export (``ExportService.export_to``) has the database count and list them, an
    ``ExportData`` computes them from its entries (``ExportData.head``)."""

    entry_count: int
    line_count: int
    accounts: list[ExportAccount]  # by code, the opening counter-account (code "") first
    currencies: list[str]  # of the entries and opening balances, sorted
    first_date: dt.date | None  # of the first transaction written (an opening's when any)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    currency: str | None = None  # the database's default currency (its operating currency)
    openings: list[ExportOpening] = field(default_factory=list)  # by currency

    @property
    def operating_currencies(self) -> list[str]:
        """The database's default currency first, then the other currencies of the entries."""
        first = [self.currency] if self.currency else []
        return first + [c for c in self.currencies if c not in first]


def head_accounts(
    used: dict[str, ExportAccount], openings: list[ExportOpening]
) -> list[ExportAccount]:
    """The accounts a head lists: those of the lines (``used``, by code) and of the opening
    balances with their counter-account, by code."""
    seen = dict(used)
    for opening in openings:
        seen.update({acc.code: acc for acc, _ in opening.balances})
        seen[OPENING_ACCOUNT.code] = OPENING_ACCOUNT
    return [seen[code] for code in sorted(seen)]


@dataclass(frozen=True)
class ExportData:
    entries: list[ExportEntry]
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    currency: str | None = None  # the database's default currency (its operating currency)
    openings: list[ExportOpening] = field(default_factory=list)  # by currency

    def head(self) -> ExportHead:
        return ExportHead(
            len(self.entries),
            self.line_count,
            self.accounts,
            self.currencies,
            self.first_date,
            self.date_from,
            self.date_to,
            self.currency,
            self.openings,
        )

    @property
    def accounts(self) -> list[ExportAccount]:
        """Accounts used by the exported lines and opening balances, by code (the opening
        balances' counter-account, whose code is empty, first)."""
        used = {ln.account.code: ln.account for e in self.entries for ln in e.lines}
        return head_accounts(used, self.openings)

    @property
    def first_date(self) -> dt.date | None:
        """The date of the first transaction written (the opening balances' when any)."""
        return min([o.date for o in self.openings] + [e.date for e in self.entries], default=None)

    @property
    def currencies(self) -> list[str]:
        return sorted({e.currency for e in self.entries} | {o.currency for o in self.openings})

    @property
    def operating_currencies(self) -> list[str]:
        """The database's default currency first, then the other currencies of the entries."""
        return self.head().operating_currencies

    @property
    def line_count(self) -> int:
        return sum(len(e.lines) for e in self.entries)


class Writer(Protocol):
    """An export being written: ``write`` each chunk of entries in order, then ``close``."""

    def write(self, entries: Sequence[ExportEntry]) -> None: ...

    def close(self) -> None: ...


class EntryTextWriter:
    """A text format written as it goes: the subclass writes its head when made, then each
    chunk of entries is written, each entry after a blank line, as ``entry_lines`` gives it."""

    out: TextIO
    names: dict[str, str]

    def entry_lines(self, entry: ExportEntry) -> list[str]:
        raise NotImplementedError

    def opening_lines(self, opening: ExportOpening) -> list[str]:
        raise NotImplementedError

    def start(self, head_lines: list[str], openings: Sequence[ExportOpening]) -> None:
        """Write the head: ``head_lines``, then each opening balance after a blank line."""
        lines = list(head_lines)
        for opening in openings:
            lines.append("")
            lines.extend(self.opening_lines(opening))
        self.out.write("\n".join(lines) + "\n")

    def write(self, entries: Sequence[ExportEntry]) -> None:
        lines: list[str] = []
        for entry in entries:
            lines.append("")
            lines.extend(self.entry_lines(entry))
        if lines:
            self.out.write("\n".join(lines) + "\n")

    def close(self) -> None:
        pass


def unique_names(
    accounts: list[ExportAccount],
    base: Callable[[ExportAccount], str],
    disambiguate: Callable[[str, ExportAccount], str],
) -> dict[str, str]:
    """Account code -> exported name; a name two accounts would share gets disambiguated."""
    wanted = {a.code: base(a) for a in accounts}
    uses = Counter(wanted.values())
    return {
        a.code: disambiguate(wanted[a.code], a) if uses[wanted[a.code]] > 1 else wanted[a.code]
        for a in accounts
    }


def postings(entry: ExportEntry, names: dict[str, str]) -> list[tuple[str, Decimal]]:
    """Each line of ``entry`` as (its account's name padded to the entry's longest, debit -
    credit): the posting lines of the ledger and beancount formats."""
    width = max((len(names[ln.account.code]) for ln in entry.lines), default=0)
    return [(f"{names[ln.account.code]:<{width}}", ln.debit - ln.credit) for ln in entry.lines]


def open_writer(fmt: ExportFormat, head: ExportHead, target: TextIO | Path) -> Writer:
    """A writer of ``fmt`` to ``target``: a text stream for the text formats (``fmt.is_text``),
    a path for xlsx. The head is written at once, the entries as they are given."""
    if fmt is ExportFormat.XLSX:
        from payctl.exporters import tabular

        assert isinstance(target, Path)
        return tabular.XlsxWriter(head, target)
    assert not isinstance(target, Path)
    if fmt is ExportFormat.LEDGER:
        from payctl.exporters import ledger

        return ledger.LedgerWriter(head, target)
    if fmt is ExportFormat.BEANCOUNT:
        from payctl.exporters import beancount

        return beancount.BeancountWriter(head, target)
    from payctl.exporters import tabular

    return tabular.CsvWriter(head, target)


def render_text(fmt: ExportFormat, data: ExportData) -> str:
    """The export in a text format (``fmt.is_text``)."""
    if not fmt.is_text:
        raise ValueError(f"{fmt} is not a text export format")
    buffer = io.StringIO()
    writer = open_writer(fmt, data.head(), buffer)
    writer.write(data.entries)
    writer.close()
    return buffer.getvalue()


def write(fmt: ExportFormat, data: ExportData, path: Path) -> None:
    """The export in any format, written to ``path``."""
    if fmt.is_text:
        path.write_text(render_text(fmt, data), encoding="utf-8")
        return
    writer = open_writer(fmt, data.head(), path)
    writer.write(data.entries)
    writer.close()

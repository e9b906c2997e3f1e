"""hledger / ledger-cli journal syntax.

    2026-02-01 (JE/BNK1/2026/00001) ACME GmbH | BNK1/2026/00001
        ; journal:BNK1, source:payment
        assets:outstanding-receipts       1190.00 EUR
        assets:accounts-receivable       -1190.00 EUR

Accounts are ``<type root>:<slug of the name>`` (``assets:bank``, ``liabilities:accounts-payable``)
and are declared with their hledger type, commodities with their format (decimal point and
places), so ``hledger check --strict`` and ``ledger --pedantic`` accept the file. An export
from a date on opens with the balances before it (``ExportData.openings``), as ``hledger close
--open`` writes them:

    2026-11-01 opening balances
        ; source:opening
        assets:bank                  1190.00 EUR
        income:sales                -1190.00 EUR
        equity:opening-balances
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TextIO

from payctl.domain.money import exponent
from payctl.exporters import (
    OPENING_ACCOUNT,
    EntryTextWriter,
    ExportAccount,
    ExportData,
    ExportEntry,
    ExportHead,
    ExportOpening,
    postings,
    unique_names,
)
from payctl.textsafe import CONTROLS, escape_controls

ROOTS = {
    "asset": ("assets", "A"),
    "liability": ("liabilities", "L"),
    "equity": ("equity", "E"),
    "income": ("income", "R"),
    "expense": ("expenses", "X"),
}
_NOT_NAME = re.compile(r"[^\w]+")
_UNSAFE = re.compile(r"[\s;]+")  # whitespace runs (newlines) and comment starts
# Text ``clean`` leaves as it is: words of neither whitespace, ``;`` nor control characters,
# single spaces between them (most numbers, names and memos: checked in one match)
_WORD = f"[^\\s;{CONTROLS}]+"
_CLEAN = re.compile(f"(?:{_WORD}(?: {_WORD})*)?")


def _slug(text: str) -> str:
    return _NOT_NAME.sub("-", text.lower()).strip("-_")


def account_name(account: ExportAccount) -> str:
    root = ROOTS.get(account.type, ("assets", "A"))[0]
    return f"{root}:{_slug(account.name) or _slug(account.code) or 'account'}"


def account_names(data: ExportData | ExportHead) -> dict[str, str]:
    return unique_names(
        data.accounts, account_name, lambda name, acc: f"{name}-{_slug(acc.code) or 'x'}"
    )


def _plain(text: str) -> bool:
    """A cheaper test than ``_CLEAN``'s match that ``clean`` leaves ``text`` as it is
    (sufficient, not necessary): printable characters but the space are neither whitespace
    nor control characters (tests/services/test_export_stream.py checks every code point)."""
    return (
        text.isprintable()
        and ";" not in text
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
    )


def clean(text: str | None) -> str:
    """One line of text with no comment start: safe in a description or tag value. Other
    control characters (ESC, bidi overrides, ...) are written visibly, never raw."""
    if text is not None and (_plain(text) or _CLEAN.fullmatch(text)):
        return text
    return escape_controls(_UNSAFE.sub(" ", text or "").strip())


def amount(value: Decimal, currency: str) -> str:
    # str(), the text f"{value}" gives (tests/services/test_export.py), at a third of the cost
    return str(value) + " " + currency


class _Repeated:
    """The parts of an entry's text that repeat across a journal (partner, journal and
    source tags), each made once per writer."""

    def __init__(self) -> None:
        self.partners: dict[str | None, str] = {}
        self.tags: dict[tuple[str, str], str] = {}

    def partner(self, name: str | None) -> str:
        text = self.partners.get(name)
        if text is None:
            text = clean(name).replace("|", "/")
            if len(self.partners) < _REMEMBERED:
                self.partners[name] = text
        return text

    def tag(self, journal: str, source: str) -> str:
        text = self.tags.get((journal, source))
        if text is None:
            text = f"journal:{clean(journal).replace(',', ' ')}, source:{clean(source)}"
            if len(self.tags) < _REMEMBERED:
                self.tags[(journal, source)] = text
        return text


_REMEMBERED = 10_000  # texts a writer keeps (bounded whatever the books)


def _entry(
    entry: ExportEntry, names: dict[str, str], repeated: _Repeated | None = None
) -> list[str]:
    known = repeated if repeated is not None else _Repeated()
    partner = known.partner(entry.partner)
    memo = clean(entry.memo) or entry.source
    number = clean(entry.number).replace("(", "[").replace(")", "]")
    head = f"{entry.date.isoformat()} ({number}) " + (f"{partner} | {memo}" if partner else memo)
    tags = known.tag(entry.journal, entry.source)
    if entry.reversal_of:
        tags += f", reversal-of:{clean(entry.reversal_of).replace(',', ' ')}"
    out = [head, "    ; " + tags]
    currency = entry.currency
    out += [f"    {name}  {amount(value, currency):>16}" for name, value in postings(entry, names)]
    return out


def _opening(opening: ExportOpening, names: dict[str, str]) -> list[str]:
    """hledger's `close --open` transaction: every balance against the counter-account, whose
    amount is left out (hledger and ledger-cli infer it: zero on balanced books)."""
    equity = names[OPENING_ACCOUNT.code]
    width = max([len(equity)] + [len(names[acc.code]) for acc, _ in opening.balances])
    out = [f"{opening.date.isoformat()} opening balances", "    ; source:opening"]
    out += [
        f"    {names[acc.code]:<{width}}  {amount(value, opening.currency):>16}"
        for acc, value in opening.balances
    ]
    return [*out, f"    {equity}"]


class LedgerWriter(EntryTextWriter):
    """The journal written as it goes: the head (commodities, accounts, opening balances) at
    once, each chunk of entries when given."""

    def __init__(self, head: ExportHead, out: TextIO) -> None:
        self.out = out
        self.repeated = _Repeated()
        self.names = names = account_names(head)
        span = f"{head.date_from or 'start'} .. {head.date_to or 'end'}"
        lines = [f"; payctl export: {head.entry_count} journal entries, {span}"]
        if head.openings:
            lines.append(f"; opening balances: what the entries before {head.date_from} left")
        for cur in head.operating_currencies:
            places = exponent(cur)
            sample = "1000" + ("." + "0" * places if places else "")
            lines += ["", f"commodity {cur}", f"    format {sample} {cur}"]
        lines.append("")
        for acc in head.accounts:  # type tag on its own comment line: ledger-cli reads it too
            lines += [
                f"account {names[acc.code]}",
                f"    ; type: {ROOTS.get(acc.type, ('', 'A'))[1]}",
            ]
        self.start(lines, head.openings)

    def entry_lines(self, entry: ExportEntry) -> list[str]:
        return _entry(entry, self.names, self.repeated)

    def opening_lines(self, opening: ExportOpening) -> list[str]:
        return _opening(opening, self.names)

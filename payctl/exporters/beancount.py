"""beancount (v2/v3) syntax, accepted by ``bean-check``.

    option "operating_currency" "EUR"
    2026-01-05 open Assets:AccountsReceivable
    2026-02-01 * "ACME GmbH" "BNK1/2026/00001"
      entry: "JE/BNK1/2026/00001"
      journal: "BNK1"
      Assets:OutstandingReceipts   1190.00 EUR
      Assets:AccountsReceivable   -1190.00 EUR

Account names are ``<Root>:<CamelCasedName>`` with components of ASCII letters, digits and
dashes starting with a capital or digit; every account used is opened on the first exported
date. An export from a date on opens with the balances before it (``ExportData.openings``):

    2026-11-01 * "Opening balances"
      source: "opening"
      Assets:Bank                      1190.00 EUR
      Income:Sales                    -1190.00 EUR
      Equity:Opening-Balances
"""

from __future__ import annotations

import re
import unicodedata
from typing import TextIO

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
from payctl.textsafe import escape_controls

ROOTS = {
    "asset": "Assets",
    "liability": "Liabilities",
    "equity": "Equity",
    "income": "Income",
    "expense": "Expenses",
}
_WORD = re.compile(r"[A-Za-z0-9]+")
OPENING_NAME = "Equity:Opening-Balances"  # beancount's own examples name it so


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def component(text: str) -> str:
    """``accounts payable`` -> ``AccountsPayable``; empty when nothing usable is left."""
    return "".join(w[0].upper() + w[1:] for w in _WORD.findall(_ascii(text)))


def account_name(account: ExportAccount) -> str:
    if account is OPENING_ACCOUNT:
        return OPENING_NAME
    root = ROOTS.get(account.type, "Assets")
    return f"{root}:{component(account.name) or 'Account' + component(account.code)}"


def account_names(data: ExportData | ExportHead) -> dict[str, str]:
    return unique_names(
        data.accounts, account_name, lambda name, acc: f"{name}-{component(acc.code) or 'X'}"
    )


def string(text: str | None) -> str:
    """A beancount string literal on one line; control characters written visibly."""
    flat = escape_controls(" ".join((text or "").split()))
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _entry(entry: ExportEntry, names: dict[str, str]) -> list[str]:
    out = [
        f"{entry.date.isoformat()} * {string(entry.partner or '')} "
        f"{string(entry.memo or entry.source)}",
        f"  entry: {string(entry.number)}",
        f"  journal: {string(entry.journal)}",
        f"  source: {string(entry.source)}",
    ]
    if entry.reversal_of:
        out.append(f"  reversal-of: {string(entry.reversal_of)}")
    out += [f"  {name}  {value:>14} {entry.currency}" for name, value in postings(entry, names)]
    return out


def _opening(opening: ExportOpening, names: dict[str, str]) -> list[str]:
    """A plain transaction (not ``pad``): every balance against the counter-account, whose
    amount is left out (beancount infers it: zero on balanced books)."""
    equity = names[OPENING_ACCOUNT.code]
    width = max([len(equity)] + [len(names[acc.code]) for acc, _ in opening.balances])
    out = [f'{opening.date.isoformat()} * "Opening balances"', '  source: "opening"']
    out += [
        f"  {names[acc.code]:<{width}}  {value:>14} {opening.currency}"
        for acc, value in opening.balances
    ]
    return [*out, f"  {equity}"]


class BeancountWriter(EntryTextWriter):
    """The file written as it goes: options, account openings and opening balances at once,
    each chunk of entries when given."""

    def __init__(self, head: ExportHead, out: TextIO) -> None:
        self.out = out
        self.names = names = account_names(head)
        lines = ['option "title" "payctl export"']
        lines += [f'option "operating_currency" "{cur}"' for cur in head.operating_currencies]
        if head.first_date is not None:
            opened = head.first_date.isoformat()
            lines.append("")
            lines += [f"{opened} open {names[acc.code]}" for acc in head.accounts]
        self.start(lines, head.openings)

    def entry_lines(self, entry: ExportEntry) -> list[str]:
        return _entry(entry, self.names)

    def opening_lines(self, opening: ExportOpening) -> list[str]:
        return _opening(opening, self.names)

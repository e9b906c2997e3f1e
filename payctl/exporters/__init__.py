"""Exporters: journal entries as hledger/ledger-cli, beancount, CSV and XLSX.

Pure formatting: the records below come from ``ExportService``; no database access here.
Amounts are ``Decimal`` (debit and credit of each line, both >= 0), never floats.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

FORMATS = ("ledger", "beancount", "csv", "xlsx")
TEXT_FORMATS = ("ledger", "beancount", "csv")


@dataclass(frozen=True)
class ExportAccount:
    code: str
    name: str
    type: str  # AccountType value: asset, liability, income, expense, equity


@dataclass(frozen=True)
class ExportLine:
    account: ExportAccount
    partner: str | None
    debit: Decimal
    credit: Decimal
    label: str | None


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ExportData:
    entries: list[ExportEntry]
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    currency: str | None = None  # the database's default currency (its operating currency)

    @property
    def accounts(self) -> list[ExportAccount]:
        """Accounts used by the exported lines, by code."""
        seen = {ln.account.code: ln.account for e in self.entries for ln in e.lines}
        return [seen[code] for code in sorted(seen)]

    @property
    def currencies(self) -> list[str]:
        return sorted({e.currency for e in self.entries})

    @property
    def operating_currencies(self) -> list[str]:
        """The database's default currency first, then the other currencies of the entries."""
        first = [self.currency] if self.currency else []
        return first + [c for c in self.currencies if c not in first]

    @property
    def line_count(self) -> int:
        return sum(len(e.lines) for e in self.entries)


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


def render_text(fmt: str, data: ExportData) -> str:
    """The export in one of ``TEXT_FORMATS``."""
    if fmt == "ledger":
        from payctl.exporters import ledger

        return ledger.render(data)
    if fmt == "beancount":
        from payctl.exporters import beancount

        return beancount.render(data)
    if fmt == "csv":
        from payctl.exporters import tabular

        return tabular.to_csv(data)
    raise ValueError(f"{fmt} is not a text export format")

"""Plain records the readers produce."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceRow:
    """One data row of an input file; ``line`` is the row number a spreadsheet would show."""

    line: int
    values: dict[str, str]

    def get(self, name: str) -> str:
        value = self.values.get(name)
        return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class Table:
    source: str
    header: list[str]
    rows: list[SourceRow]

"""CSV and XLSX: one row per journal line, safe to open in a spreadsheet.

Text a spreadsheet would run as a formula (CSV injection) gets a leading single quote, by the
one rule every CSV and XLSX cell of payctl goes through (``payctl.csvout.spreadsheet_safe``:
the CSV ``Writer`` applies it, ``write_xlsx`` too). Control characters other than tab, newline
and carriage return (which cells may hold) are written visibly (``\\x1b``), as everywhere else:
XLSX refuses them, and nothing vanishes. Amounts are never text: plain decimal strings in CSV,
number cells in XLSX.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from payctl.csvout import Writer, spreadsheet_safe
from payctl.domain.money import exponent
from payctl.exporters import ExportData, ExportEntry, ExportHead
from payctl.textsafe import escape_controls

COLUMNS = [
    "entry",
    "date",
    "journal",
    "account_code",
    "account_name",
    "partner",
    "debit",
    "credit",
    "currency",
    "label",
]
AMOUNTS = {"debit", "credit"}
CELL_CONTROLS = "\t\n\r"  # the only control characters a cell keeps


def escape_cell(value: Any) -> Any:
    """Text with its control characters written visibly (but tab, newline, CR); other values
    (dates, Decimal amounts) unchanged. Formulas are the writers' part (``spreadsheet_safe``)."""
    if not isinstance(value, str):
        return value
    return escape_controls(value, keep=CELL_CONTROLS)


def rows(data: ExportData) -> list[list[Any]]:
    """Cell values per line, controls already escaped; amounts stay ``Decimal``."""
    return entry_rows(data.entries)


def entry_rows(entries: Sequence[ExportEntry]) -> list[list[Any]]:
    """Cell values of each line of ``entries``, controls already escaped; amounts stay
    ``Decimal``."""
    out = []
    for e in entries:
        for ln in e.lines:
            out.append(
                [
                    escape_cell(e.number),
                    e.date,
                    escape_cell(e.journal),
                    escape_cell(ln.account.code),
                    escape_cell(ln.account.name),
                    escape_cell(ln.partner or ""),
                    ln.debit,
                    ln.credit,
                    escape_cell(e.currency),
                    escape_cell(ln.label or ""),
                ]
            )
    return out


class CsvWriter:
    """The CSV written as it goes: the header row at once, each chunk's lines when given."""

    def __init__(self, head: ExportHead, out: TextIO) -> None:
        self.writer = Writer(out)
        self.writer.writerow(COLUMNS)

    def write(self, entries: Sequence[ExportEntry]) -> None:
        for row in entry_rows(entries):
            self.writer.writerow(
                [v.isoformat() if hasattr(v, "isoformat") else str(v) for v in row]
            )

    def close(self) -> None:
        pass


def to_csv(data: ExportData) -> str:
    buffer = io.StringIO()
    CsvWriter(data.head(), buffer).write(data.entries)
    return buffer.getvalue()


class XlsxWriter:
    """The workbook (one sheet, header row frozen; amounts as number cells), rows appended
    as the chunks come (openpyxl's write-only mode keeps them on disk); saved by ``close``."""

    def __init__(self, head: ExportHead, path: Path) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        self.path = path
        self.cell = WriteOnlyCell
        self.wb = Workbook(write_only=True)
        self.ws = ws = self.wb.create_sheet("Journal lines")
        ws.freeze_panes = "A2"
        widths = (22, 11, 8, 10, 28, 28, 14, 14, 8, 40)
        for letter, width in zip("ABCDEFGHIJ", widths, strict=True):
            ws.column_dimensions[letter].width = width
        ws.append(bold_header(ws, COLUMNS))
        self.formats: dict[str, str] = {}

    def write(self, entries: Sequence[ExportEntry]) -> None:
        ws, make = self.ws, self.cell
        for e in entries:
            places = exponent(e.currency)
            fmt = self.formats.setdefault(
                e.currency, "#,##0" + ("." + "0" * places if places else "")
            )
            for row in entry_rows([e]):
                cells = []
                for name, value in zip(COLUMNS, row, strict=True):
                    cell = make(ws, value=spreadsheet_safe(value))
                    if name in AMOUNTS:
                        cell.number_format = fmt
                    elif name == "date":
                        cell.number_format = "yyyy-mm-dd"
                    cells.append(cell)
                ws.append(cells)

    def close(self) -> None:
        self.wb.save(self.path)


def write_xlsx(data: ExportData, path: Path) -> None:
    """Write the workbook (one sheet, header row frozen); amounts as number cells."""
    writer = XlsxWriter(data.head(), path)
    writer.write(data.entries)
    writer.close()


def bold_header(ws: Any, columns: Sequence[str]) -> list[Any]:
    """The header row of a write-only sheet: each column name in a bold cell."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    return header


def write_table_xlsx(
    path: Path, sheet: str, columns: list[str], rows: list[dict[str, Any]], amounts: set[str]
) -> None:
    """Rows of a listing (``payctl review export``) as a workbook: a bold header of the column
    keys, text cells escaped and formula-safe like every cell payctl writes, the ``amounts``
    columns as number cells with their row's currency decimals (``currency`` key)."""
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    ws.append(bold_header(ws, columns))
    for row in rows:
        cells = []
        for name in columns:
            value = row.get(name)
            if name in amounts and value not in (None, ""):
                cell = WriteOnlyCell(ws, value=Decimal(str(value)))
                places = exponent(row["currency"]) if row.get("currency") else 2
                cell.number_format = "#,##0" + ("." + "0" * places if places else "")
            else:
                text = "" if value is None else str(value)
                cell = WriteOnlyCell(ws, value=spreadsheet_safe(escape_cell(text)))
            cells.append(cell)
        ws.append(cells)
    wb.save(path)

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
from pathlib import Path
from typing import Any

from payctl.csvout import Writer, spreadsheet_safe
from payctl.domain.money import exponent
from payctl.exporters import ExportData
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
    out = []
    for e in data.entries:
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


def to_csv(data: ExportData) -> str:
    buffer = io.StringIO()
    writer = Writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows(data):
        writer.writerow([v.isoformat() if hasattr(v, "isoformat") else str(v) for v in row])
    return buffer.getvalue()


def write_xlsx(data: ExportData, path: Path) -> None:
    """Write the workbook (one sheet, header row frozen); amounts as number cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Journal lines")
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJ", (22, 11, 8, 10, 28, 28, 14, 14, 8, 40), strict=True):
        ws.column_dimensions[letter].width = width
    bold = Font(bold=True)
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    formats: dict[str, str] = {}
    for e in data.entries:
        places = exponent(e.currency)
        fmt = formats.setdefault(e.currency, "#,##0" + ("." + "0" * places if places else ""))
        for row in rows(ExportData([e])):
            cells = []
            for name, value in zip(COLUMNS, row, strict=True):
                cell = WriteOnlyCell(ws, value=spreadsheet_safe(value))
                if name in AMOUNTS:
                    cell.number_format = fmt
                elif name == "date":
                    cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            ws.append(cells)
    wb.save(path)


def write_table_xlsx(
    path: Path, sheet: str, columns: list[str], rows: list[dict[str, Any]], amounts: set[str]
) -> None:
    """Rows of a listing (``payctl review export``) as a workbook: a bold header of the column
    keys, text cells escaped and formula-safe like every cell payctl writes, the ``amounts``
    columns as number cells with their row's currency decimals (``currency`` key)."""
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
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

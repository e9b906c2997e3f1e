"""Reading CSV and XLSX/XLS files of partners, invoices or payments into plain rows.

The first non-empty row is the header (names trimmed, lower-case, spaces as ``_``); every other
non-empty row is a :class:`SourceRow` of trimmed text cells, numbered as an editor or a
spreadsheet shows it. The bytes go through the bank-table readers' own pieces: CSV text is
decoded (``encoding``, else UTF-8, else Windows-1252, what spreadsheets save as CSV) and split
into records with the one delimiter sniffer (``csvfile``); workbooks are read by ``xlsx``
(openpyxl; ``.xls`` through pandas with python-calamine or xlrd), first sheet. CSV and XLSX need
no pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from payctl.errors import InputError
from payctl.importers.files import decode_text, read_input, refuse_nul, unreadable
from payctl.importers.records import SourceRow, Table

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
WHAT = "CSV/XLSX file"


def normalise_header(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_")


def read_source_rows(
    path: str | Path,
    data: bytes | None = None,
    source: str | None = None,
    encoding: str | None = None,
) -> Table:
    """The header and :class:`SourceRow` rows of a CSV (any common delimiter) or Excel file,
    all cells as trimmed strings (a bank file's table is ``table.read_table``'s).

    CSV text is ``encoding``, else UTF-8, else Windows-1252."""
    path = Path(path)
    if data is None:
        data, source = read_input(path)
    source = source or str(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        from payctl.importers import xlsx

        rows: Iterable[tuple[int, Sequence[object]]] = xlsx.sheets(data, source, WHAT)[0][1]
    else:
        from payctl.importers import csvfile

        text = decode_text(data, source, encoding, fallback=("cp1252",))
        if not text.strip():
            raise InputError(f"{source}: the file is empty")
        rows = csvfile.records(text, csvfile.detect_delimiter(text), source, WHAT)
    return _table(rows, source)


def _table(rows: Iterable[tuple[int, Sequence[object]]], source: str) -> Table:
    from payctl.importers.values import cell_text

    header: list[str] | None = None
    out: list[SourceRow] = []
    for number, raw in rows:
        cells = [cell_text(c) for c in raw]
        if not any(cells):
            continue
        for i, cell in enumerate(cells):  # CSV and XLSX alike
            if "\x00" in cell:
                name = header[i] if header is not None and i < len(header) else f"column {i + 1}"
                refuse_nul(f"{source}: row {number}: {name}")
        if header is None:
            header = [normalise_header(c) or f"unnamed:_{i}" for i, c in enumerate(cells)]
            if len(set(header)) != len(header):
                raise InputError(f"{source}: duplicate column names in the header")
            continue
        if len(cells) > len(header) and any(cells[len(header) :]):
            raise unreadable(
                source, WHAT, f"row {number} has {len(cells)} fields, the header {len(header)}"
            )
        cells += [""] * (len(header) - len(cells))
        out.append(SourceRow(number, dict(zip(header, cells, strict=False))))
    if header is None:
        raise InputError(f"{source}: the file is empty")
    return Table(source, header, out)

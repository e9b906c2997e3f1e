"""Reading CSV and XLSX/XLS files of partners, invoices or payments into plain rows.

pandas (and openpyxl) are imported here, inside the call, never at CLI start-up.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from payctl.errors import InputError
from payctl.importers.files import decode_text, read_input, refuse_nul
from payctl.importers.records import SourceRow, Table

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
DELIMITERS = ",;\t|"  # the delimiters a CSV header line is sniffed for


def normalise_header(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_")


def _decode(data: bytes, source: str, encoding: str | None) -> str:
    """The encoding given, else UTF-8, else Windows-1252 (what spreadsheets save as CSV)."""
    if encoding:
        return decode_text(data, source, encoding)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return decode_text(data, source, "cp1252", label="UTF-8 or Windows-1252")


def _delimiter(text: str) -> str:
    """The header line's delimiter among , ; tab | — a one-column file has none: ','.

    (pandas' own sniffing, sep=None, accepts any character: it split a lone `payment`
    header on 'y'.)"""
    import csv

    try:
        return csv.Sniffer().sniff(text.splitlines()[0], delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_table(
    path: str | Path,
    data: bytes | None = None,
    source: str | None = None,
    encoding: str | None = None,
) -> Table:
    """Read a CSV (any common delimiter) or Excel file; all cells as trimmed strings.

    CSV text is ``encoding``, else UTF-8, else Windows-1252."""
    import pandas as pd

    path = Path(path)
    if data is None:
        data, source = read_input(path)
    source = source or str(path)
    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False)
        else:
            text = _decode(data, source, encoding)
            if not text.strip():
                raise InputError(f"{source}: the file is empty")
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                sep=_delimiter(text),
                engine="python",
                skipinitialspace=True,
            )
    except InputError:
        raise
    except Exception as exc:  # pandas/openpyxl parse errors of every kind
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{source}: not a readable CSV/XLSX file: {first}") from None
    header = [normalise_header(c) for c in frame.columns]
    if len(set(header)) != len(header):
        raise InputError(f"{source}: duplicate column names in the header")
    return Table(source, header, _rows(frame, header, source))


def _rows(frame: Any, header: list[str], source: str) -> list[SourceRow]:
    rows = []
    for index, values in enumerate(frame.itertuples(index=False, name=None)):
        cells = {
            h: ("" if v is None else str(v).strip()) for h, v in zip(header, values, strict=True)
        }
        for h, cell in cells.items():  # CSV and XLSX alike
            if "\x00" in cell:
                refuse_nul(f"{source}: row {index + 2}: {h}")
        if any(cells.values()):
            rows.append(SourceRow(index + 2, cells))
    return rows

"""Reading a list of payment identifiers: one per line, or a CSV/XLSX `payment` column."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from payctl.errors import InputError
from payctl.importers.files import STDIN, read_text
from payctl.importers.tabular import EXCEL_SUFFIXES, read_table

COLUMN = "payment"


def read_identifiers(path: str, encoding: str | None = None) -> list[str]:
    """``-`` reads standard input. Blank lines and lines starting with # are ignored.

    Text is ``encoding``, default UTF-8."""
    if path != STDIN and Path(path).suffix.lower() in EXCEL_SUFFIXES:
        table = read_table(path)
        if COLUMN not in table.header:
            raise InputError(f"{path}: no '{COLUMN}' column (found: {', '.join(table.header)})")
        return [r.get(COLUMN) for r in table.rows if r.get(COLUMN)]
    text = read_text(path, encoding)
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines:
        return []
    first = lines[0]
    if first.lower().replace('"', "").split(",")[0].split(";")[0].strip() == COLUMN or (
        any(sep in first for sep in ",;\t") and COLUMN in first.lower()
    ):
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
        except csv.Error:  # a lone 'payment' column: no delimiter to find
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO("\n".join(lines)), dialect=dialect)
        fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
        if COLUMN not in fields:
            raise InputError(f"{path}: no '{COLUMN}' column")
        return [
            (row.get(fields[COLUMN]) or "").strip()
            for row in reader
            if (row.get(fields[COLUMN]) or "").strip()
        ]
    return lines

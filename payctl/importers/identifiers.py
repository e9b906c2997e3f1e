"""Reading a list of payment identifiers: one per line, or a CSV/XLSX `payment` column."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from payctl.errors import InputError
from payctl.importers.csvfile import DELIMITERS
from payctl.importers.files import STDIN, read_text
from payctl.importers.tabular import EXCEL_SUFFIXES, normalise_header, read_source_rows

COLUMN = "payment"


def _no_column(path: str, header: list[str]) -> InputError:
    return InputError(
        f"{path}: no '{COLUMN}' column (found: {', '.join(header) or 'none'}); "
        f"name the column of payment ids or numbers '{COLUMN}'"
    )


def looks_like_csv(first_line: str) -> bool:
    """A header line: it has a delimiter, or is the lone column name. Payment ids and numbers
    contain no delimiter, so a plain list never looks like this."""
    return any(sep in first_line for sep in DELIMITERS) or (
        normalise_header(first_line.replace('"', "")) == COLUMN
    )


def read_identifiers(path: str, encoding: str | None = None) -> list[str]:
    """``-`` reads standard input. Blank lines and lines starting with # are ignored.

    A file that looks like CSV (see `looks_like_csv`) must have a `payment` column: without one
    it is refused naming the columns it has, never read line by line as identifiers. Text is
    ``encoding``, default UTF-8."""
    if path != STDIN and Path(path).suffix.lower() in EXCEL_SUFFIXES:
        table = read_source_rows(path)
        if COLUMN not in table.header:
            raise _no_column(path, table.header)
        return [r.get(COLUMN) for r in table.rows if r.get(COLUMN)]
    text = read_text(path, encoding)
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines or not looks_like_csv(lines[0]):
        return lines
    from payctl.importers.csvfile import detect_delimiter

    delimiter = detect_delimiter("\n".join(lines))
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    fields = {normalise_header(f or ""): f for f in reader.fieldnames or []}
    if COLUMN not in fields:
        raise _no_column(path, [f for f in fields if f])
    values = ((row.get(fields[COLUMN]) or "").strip() for row in reader)
    return [v for v in values if v]

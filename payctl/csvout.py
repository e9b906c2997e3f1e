"""CSV output that a value cannot break, and cells a spreadsheet cannot run.

Python's ``csv`` writer (before 3.13) quotes a field holding the line terminator but not one
holding a lone carriage return, which a reader then takes for the end of the row; a row with
such a value is written with every field quoted instead.

Formula injection (CSV injection): Excel and LibreOffice run a cell as a formula when it
starts with ``=``, ``+``, ``-`` or ``@`` (also after leading spaces, which an import may trim),
and a leading tab or carriage return can hide such a start. ``spreadsheet_safe`` is the one
rule for every CSV and XLSX cell payctl writes: text whose first character is a tab or CR, or
whose first non-whitespace character is one of ``= + - @``, gets a leading single quote, so it
is shown as the text it is. A plain decimal number (``-12.50``: an optional minus, digits, an
optional fraction, nothing else) is left alone and stays a number. Non-text values (Decimal
amounts, dates) are unchanged. ``Writer`` applies it to every cell of ``--format csv``,
``payctl review export`` and ``payctl export --to csv``; the XLSX exporter to every cell.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@")
HIDDEN_START = ("\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if not isinstance(value, str):
        return value
    if value.startswith(HIDDEN_START) or (
        value.lstrip().startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


class Writer:
    def __init__(self, stream: IO[str]) -> None:
        self._minimal = csv.writer(stream, lineterminator="\n")
        self._all = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[Any]) -> None:
        cells = [spreadsheet_safe(c) for c in row]
        quote_all = any(isinstance(c, str) and "\r" in c for c in cells)
        (self._all if quote_all else self._minimal).writerow(cells)

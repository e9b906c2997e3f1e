"""CSV output that a value cannot break.

Python's ``csv`` writer (before 3.13) quotes a field holding the line terminator but not one
holding a lone carriage return, which a reader then takes for the end of the row; a row with
such a value is written with every field quoted instead. Used by ``--format csv`` and by
``payctl export --to csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any


class Writer:
    def __init__(self, stream: IO[str]) -> None:
        self._minimal = csv.writer(stream, lineterminator="\n")
        self._all = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[Any]) -> None:
        cells = list(row)
        quote_all = any(isinstance(c, str) and "\r" in c for c in cells)
        (self._all if quote_all else self._minimal).writerow(cells)

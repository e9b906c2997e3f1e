"""Bank extracts as Excel workbooks (.xlsx; .xls when python-calamine or xlrd is installed).

Cells are read as values: text stays text (the French-bank sample writes amounts as "-50,00"),
dates are dates, and numbers are converted to Decimal from the shortest repr of the double
Excel stored (see ``values.from_float``), never used as floats. ``.xlsx`` is read with
openpyxl directly (read-only, cached formula values) rather than through a pandas DataFrame, so
no column is coerced to float64 and big integers (Adyen's PSP references) keep every digit.
The first sheet with a header row is read, unless the profile or ``sheet=`` names one; the
header may start anywhere (Adyen's table starts at row 4, column B).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from payctl.importers.bank import BankFileError, ParsedStatement
from payctl.importers.files import unreadable
from payctl.importers.profiles import Profile, ProfileError, get_profile
from payctl.importers.table import read_table

FORMAT = "xlsx"
WHAT = "Excel workbook"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (and other OLE2 documents)
ZIP_MAGIC = b"PK\x03\x04"

Sheet = tuple[str, Iterable[tuple[int, Sequence[object]]]]


def sniff(head: bytes) -> bool:
    """An OOXML zip holding ``xl/`` parts, or an OLE2 compound file (.xls)."""
    if head.startswith(OLE_MAGIC):
        return True
    return head.startswith(ZIP_MAGIC) and (
        b"xl/" in head
        or (b"[Content_Types].xml" in head and b"word/" not in head and b"ppt/" not in head)
    )


def sheets(data: bytes, source: str, what: str = WHAT) -> list[Sheet]:
    """The sheets of a workbook, each ``(name, rows)``; ``what`` names the file in the message
    of one that cannot be read (``files.unreadable``)."""
    if data.startswith(OLE_MAGIC):
        return _xls_sheets(data, source, what)
    if data.startswith(ZIP_MAGIC):
        return _xlsx_sheets(data, source, what)
    raise unreadable(source, what, "no .xlsx/.xls signature")


def _guarded(
    rows: Iterable[tuple[int, Sequence[object]]], source: str, what: str
) -> Iterator[tuple[int, Sequence[object]]]:
    """openpyxl parses read-only sheets lazily: its errors surface while iterating."""
    try:
        yield from rows
    except Exception as exc:  # zip/XML errors of every kind inside a damaged workbook
        raise unreadable(source, what, exc) from None


def _xlsx_sheets(data: bytes, source: str, what: str) -> list[Sheet]:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "workbook contains no default style" and similar
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, KeyError (missing part), XML errors, ...
        raise unreadable(source, what, exc) from None
    found: list[Sheet] = []
    for ws in book.worksheets:
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some writers store a wrong sheet size; read every cell
        rows = ((n, values) for n, values in enumerate(ws.iter_rows(values_only=True), start=1))
        found.append((ws.title, _guarded(rows, source, what)))
    return found


def _xls_sheets(data: bytes, source: str, what: str) -> list[Sheet]:
    engine = _xls_engine()
    if engine is None:
        raise BankFileError(
            f"{source}: .xls (Excel 97-2003) needs the python-calamine or xlrd "
            "package (pip install python-calamine), or save the file as .xlsx"
        )
    import pandas as pd

    try:
        frames = pd.read_excel(
            io.BytesIO(data), sheet_name=None, header=None, dtype=object, engine=engine
        )
    except Exception as exc:  # the engines raise their own error types
        raise unreadable(source, what, exc) from None
    return [
        (
            str(name),
            [
                (int(i) + 1, list(values))
                for i, values in zip(
                    frame.index, frame.itertuples(index=False, name=None), strict=True
                )
            ],
        )
        for name, frame in frames.items()
    ]


def _xls_engine() -> str | None:
    import importlib.util

    for module, engine in (("python_calamine", "calamine"), ("xlrd", "xlrd")):
        if importlib.util.find_spec(module) is not None:
            return engine
    return None


def _wanted(sheets: list[Sheet], wanted: str | int | None, source: str) -> list[Sheet]:
    if wanted is None:
        return sheets
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        if 1 <= wanted <= len(sheets):
            return [sheets[wanted - 1]]
    else:
        hits = [s for s in sheets if s[0].casefold() == str(wanted).casefold()]
        if hits:
            return hits
    names = ", ".join(repr(name) for name, _ in sheets)
    raise ProfileError(f"{source}: no sheet {wanted!r} (sheets: {names})")


def read(
    data: bytes,
    source: str,
    *,
    profile: str | Path | Profile | None = None,
    currency: str | None = None,
    sheet: str | int | None = None,
    **_options: object,
) -> list[ParsedStatement]:
    """Read the first sheet holding a bank table (or the one named by ``sheet``/the profile)."""
    prof = get_profile(profile)
    found = sheets(data, source)
    chosen = _wanted(found, sheet if sheet is not None else (prof.sheet if prof else None), source)
    problems = []
    for name, rows in chosen:
        label = source if len(found) == 1 else f"{source}: sheet {name!r}"
        try:
            return read_table(rows, label, prof, unit="row", currency=currency)
        except ProfileError as exc:  # no table on this sheet: try the next one
            problems.append(str(exc))
    if not problems:
        raise BankFileError(f"{source}: the workbook has no sheets")
    raise ProfileError(
        problems[0]
        if len(problems) == 1
        else f"{source}: no sheet holds a bank table ({'; '.join(problems)})"
    )

"""A bank profile draft from a file the generic reading cannot decide (``payctl profile draft``).

The draft is a TOML profile (the format of ``profiles``) written from the file's header and
first rows: what the GENERIC vocabulary understood is filled in, with the sample value it read
as a comment; what it could not tell is marked ``CHECK`` (a guess to confirm) or ``FILL IN`` (a
value ``"?"`` to replace), and the columns it did not map are listed. The user finishes it and
imports with ``--profile mybank.toml``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import InvalidOperation
from itertools import islice
from pathlib import Path

from payctl.importers.bank import BankFileError
from payctl.importers.files import BANK_CODE_PAGES, detect_encoding, read_input
from payctl.importers.headers import ColumnMap, resolve_columns
from payctl.importers.profiles import AMOUNT_FIELDS, FIELDS, Profile, generic_profile
from payctl.importers.table import HEADER_SCAN_ROWS, SAMPLE_ROWS
from payctl.importers.values import (
    AmountParser,
    DateParser,
    cell_text,
    decimal_from_cell,
    infer_date_formats,
    infer_decimal,
    normalise_header,
)

FILL = "?"  # the value of a field the user must fill in
_SHOWN = 40  # characters of a sample value shown in a comment

Row = tuple[int, Sequence[object]]


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _shown(value: object) -> str:
    text = cell_text(value)
    return _q(text if len(text) <= _SHOWN else text[:_SHOWN] + "…")


@dataclass
class _Layout:
    """What the draft is written from."""

    source: str
    kind: str  # "csv" or "xlsx"
    header_number: int
    cmap: ColumnMap
    sample: list[Sequence[object]]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    lines: list[str] = field(default_factory=list)

    def column(self, fld: str) -> int | None:
        found = self.cmap.index.get(fld)
        return found[0] if found else None

    def values(self, i: int) -> list[object]:
        return [r[i] for r in self.sample if i < len(r) and cell_text(r[i])]


def _header(rows: list[Row], generic: Profile) -> tuple[int, ColumnMap]:
    """The row understood best by the generic vocabulary; when none is, the first widest."""
    best: tuple[int, int, ColumnMap] | None = None
    for pos, (_, cells) in enumerate(rows):
        cmap = resolve_columns(generic, cells)
        score = len(cmap.index) * 1000 + sum(1 for h in cmap.header if h)
        if cmap.index and (best is None or score > best[0]):
            best = (score, pos, cmap)
    if best is None:
        widest = max(range(len(rows)), key=lambda p: sum(1 for c in rows[p][1] if cell_text(c)))
        return widest, resolve_columns(generic, rows[widest][1])
    return best[1], best[2]


def _layout(rows: list[Row], source: str, kind: str, **extra: object) -> _Layout:
    head = [(n, c) for n, c in islice(rows, HEADER_SCAN_ROWS * 4) if any(cell_text(x) for x in c)]
    if not head:
        raise BankFileError(f"{source}: the file holds no rows")
    head = head[:HEADER_SCAN_ROWS]
    pos, cmap = _header(head, generic_profile())
    number = head[pos][0]
    after = [cells for n, cells in rows if n > number]
    sample = [c for c in after if any(cell_text(x) for x in c)][:SAMPLE_ROWS]
    return _Layout(source, kind, number, cmap, sample, **extra)  # type: ignore[arg-type]


def _rows_of(data: bytes, source: str) -> _Layout:
    from payctl.importers import csvfile, xlsx
    from payctl.importers.detect import detect

    try:
        kind = detect(data, source)
    except BankFileError:  # a table the sniffer doubts (quoted newlines): read it as CSV
        kind = "csv"
    if kind == "xlsx":
        errors = []
        for name, rows in xlsx.sheets(data, source):
            listed = list(rows)
            if any(any(cell_text(c) for c in cells) for _, cells in listed):
                return _layout(listed, source, "xlsx", sheet=name)
            errors.append(name)
        raise BankFileError(f"{source}: no sheet holds rows")
    if kind != "csv":
        raise BankFileError(
            f"{source}: a {kind} file needs no profile (profiles are for CSV and Excel tables)"
        )
    encoding = detect_encoding(data, BANK_CODE_PAGES)
    text, delimiter = csvfile._table_text(data, source, None)
    rows = list(csvfile.records(text, delimiter, source))
    return _layout(rows, source, "csv", encoding=encoding, delimiter=delimiter)


# -- writing ----------------------------------------------------------------------------------


def _format(lay: _Layout) -> list[str]:
    out = ["[format]"]
    if lay.kind == "csv":
        out.append(
            f"encoding = {_q(lay.encoding or 'auto')}   # detected: CHECK accents read right"
        )
        out.append(f"delimiter = {_q(lay.delimiter or 'auto')}   # detected")
    else:
        out.append(f"sheet = {_q(lay.sheet or '')}")
    out.append(
        f"header_row = {lay.header_number}   # the {'line' if lay.kind == 'csv' else 'row'} "
        "of the header (the rows above it are the preamble)"
    )
    amounts = [
        cell_text(v)
        for f in (*AMOUNT_FIELDS, "balance")
        if (i := lay.column(f)) is not None
        for v in lay.values(i)
        if isinstance(v, str)
    ]
    if amounts:
        decimal = infer_decimal(amounts)
        out.append(
            f"decimal = {_q(decimal)}   # inferred from amounts such as {_q(amounts[0])}: CHECK"
        )
    date_col = lay.column("booking_date")
    if date_col is None and _date_columns(lay):
        date_col = _date_columns(lay)[0]
    dates = [cell_text(v) for v in lay.values(date_col)] if date_col is not None else []
    if dates and all(isinstance(v, str) for v in lay.values(date_col or 0)):
        fmt = infer_date_formats(dates)[0]
        parser = DateParser([fmt])
        good = [d for d in dates if parser._parse(d)]
        bad = next((d for d in dates if not parser._parse(d)), None)
        if bad is None or len(good) * 2 > len(dates):
            out.append(f"date_formats = [{_q(fmt)}]   # inferred from {_q(good[0])}: CHECK")
            if bad is not None:
                out.append(
                    f"# CHECK: {_shown(bad)} in the date column is no date: leave such rows "
                    "out with [ignore] or read them with [statement]"
                )
        else:
            out.append(
                f'date_formats = ["{FILL}"]   # FILL IN: the strptime format of dates like '
                f'{_q(bad)} (e.g. "%d.%m.%Y")'
            )
    out += _sign(lay)
    out += _markers(lay)
    return out


def _date_columns(lay: _Layout) -> list[int]:
    """Columns no field took whose sampled values all read as dates of one format."""
    used = {i for idx in lay.cmap.index.values() for i in idx}
    found = []
    for i, h in enumerate(lay.cmap.header):
        values = [cell_text(v) for v in lay.values(i)]
        if i in used or not h or not values:
            continue
        fmt = infer_date_formats(values)
        if all(DateParser(fmt)._parse(v) for v in values):
            found.append(i)
    return found


def _sign(lay: _Layout) -> list[str]:
    if lay.column("amount") is None:
        return []
    i = lay.column("amount")
    parser = AmountParser(".", ",'’")
    values = []
    for v in lay.values(i or 0):
        try:
            values.append(decimal_from_cell(v, parser))
        except (ValueError, InvalidOperation):
            try:
                values.append(decimal_from_cell(v, AmountParser(",", ".'’")))
            except (ValueError, InvalidOperation):
                continue
    signs = "all positive" if values and all(v is not None and v >= 0 for v in values) else ""
    why = f" (the sample amounts are {signs})" if signs else ""
    return [
        f'sign = "as-is"   # CHECK{why}: "as-is" if money out is written negative, "negate" if '
        "purchases and payments are written positive (card exports)"
    ]


def _markers(lay: _Layout) -> list[str]:
    i = lay.column("direction")
    if i is None:
        return []
    generic = generic_profile()
    seen = list(dict.fromkeys(cell_text(v) for v in lay.values(i)))
    debit = [v for v in seen if normalise_header(v) in generic.debit_markers]
    credit = [v for v in seen if normalise_header(v) in generic.credit_markers]
    unknown = [v for v in seen if v not in debit and v not in credit]
    out = [
        f"debit_markers = [{', '.join(map(_q, debit))}]   # values of "
        f"{_q(lay.cmap.header[i])} meaning money out",
        f"credit_markers = [{', '.join(map(_q, credit))}]   # ... and money in",
    ]
    if unknown:
        out.append(
            f"# FILL IN: put each of {', '.join(map(_q, unknown))} in debit_markers or "
            "credit_markers"
        )
    return out


def _columns(lay: _Layout) -> list[str]:
    out = ["[columns]"]
    header = lay.cmap.header
    listed = [_q(h) for h in header if h]
    for fld in FIELDS:
        i = lay.column(fld)
        if i is None:
            continue
        sample = lay.values(i)
        note = f"   # sample: {_shown(sample[0])}" if sample else ""
        out.append(f"{fld} = {_q(header[i])}{note}")
    if lay.column("booking_date") is None:
        out.append(
            f"booking_date = {_q(FILL)}   # FILL IN: the header name of the booking date "
            f"column (columns: {', '.join(listed)})"
        )
    if not any(lay.column(f) is not None for f in AMOUNT_FIELDS):
        out.append(
            f"amount = {_q(FILL)}   # FILL IN: the header name of the signed amount column "
            "(or map debit and credit columns instead)"
        )
    used = {i for idx in lay.cmap.index.values() for i in idx}
    unmapped = [i for i, h in enumerate(header) if h and i not in used]
    if unmapped:
        out.append("# Columns not read: map any that matters to a field above")
        for i in unmapped:
            sample = lay.values(i)
            more = f" (sample: {_shown(sample[0])})" if sample else ""
            if i in _date_columns(lay):
                more += ": looks like a date"
            out.append(f"#   {_q(header[i])}{more}")
    return out


def _defaults(lay: _Layout) -> list[str]:
    if lay.column("currency") is not None:
        return []
    hint = lay.cmap.currency_hint
    if hint:
        return ["[defaults]", f"currency = {_q(hint)}   # from the header: CHECK"]
    return [
        "[defaults]",
        '# currency = "EUR"   # CHECK: the currency of the amounts when no column names it '
        "(else the journal's is used)",
    ]


def draft(data: bytes, source: str, name: str = "mybank") -> str:
    """The profile draft (TOML text) for the bank table in ``data``."""
    lay = _rows_of(data, source)
    understood = (
        ", ".join(f"{f}={lay.cmap.header[i[0]]!r}" for f, i in lay.cmap.index.items()) or "nothing"
    )
    parts = [
        [
            f"# Bank profile draft for {source}, written by `payctl profile draft`.",
            f"# The generic reading understood: {understood}.",
            '# Check every line marked CHECK, replace every "?" marked FILL IN, then import with:',
            f"#   payctl import {source} --profile {name}.toml",
            "# The profile format is described in payctl/importers/bank_profiles/example.toml.",
            "",
            f"name = {_q(name)}",
            f"description = {_q(f'Profile for files like {Path(source).name}')}",
        ],
        _format(lay),
        _columns(lay),
        _defaults(lay),
    ]
    return "\n\n".join("\n".join(p) for p in parts if p) + "\n"


def draft_file(path: str, name: str = "mybank") -> str:
    """:func:`draft` of the file at ``path`` (read with the import size limit)."""
    data, source = read_input(path)
    return draft(data, source, name)

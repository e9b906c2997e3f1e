"""The table reader's shortcut for plain rows (``table._PlainRows``) makes the lines the
checked path (``TableReader.feed``) makes, amount exponents included, and leaves every error
to it: the same message for the same file."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as strat

from payctl.importers import csvfile, xlsx
from payctl.importers.bank import BankFileError, ParsedStatement
from payctl.importers.table import TableReader, _PlainRows
from tests.samples import BANK_SAMPLES, GENERIC_SAMPLES

SAMPLES = sorted(
    p
    for root in (BANK_SAMPLES, GENERIC_SAMPLES)
    for p in root.rglob("*")
    if p.suffix.lower() in (".csv", ".xlsx")
)


def _facts(statements: list[ParsedStatement]) -> list[Any]:
    """Every field as its repr: ``Decimal("1.5") == Decimal("1.50")``, their reprs differ."""
    return [
        (
            repr((st.account, st.currency, st.statement_id, st.opening_balance)),
            repr((st.closing_balance, st.opening_date, st.closing_date)),
            [repr(ln) for ln in st.lines],
        )
        for st in statements
    ]


def _read(read: Any, data: bytes, source: str, checked: bool) -> Any:
    original = TableReader._plain_table
    if checked:
        TableReader._plain_table = lambda self: False  # type: ignore[method-assign]
    try:
        return ("ok", _facts(read(data, source)))
    except BankFileError as exc:
        return ("error", str(exc))
    finally:
        TableReader._plain_table = original  # type: ignore[method-assign]


def test_samples_exist() -> None:
    assert len(SAMPLES) >= 15  # tests/data/banks and banks-generic: CSV and XLSX


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_reads_as_the_checked_path(path: Path) -> None:
    read = xlsx.read if path.suffix.lower() == ".xlsx" else csvfile.read
    data = path.read_bytes()
    assert _read(read, data, path.name, False) == _read(read, data, path.name, True)


def test_the_shortcut_is_taken_for_a_plain_table() -> None:
    seen: list[object] = []
    original = TableReader.feeder

    def spy(self: TableReader) -> Any:
        out = original(self)
        seen.append(out)
        return out

    data = (
        b"Date,Amount,Currency,Name,Description\n2024-01-02,1.50,EUR,A,x\n2024-01-02,2.00,EUR,B,y\n"
    )
    TableReader.feeder = spy  # type: ignore[method-assign]
    try:
        (st,) = csvfile.read(data, "f.csv")
    finally:
        TableReader.feeder = original  # type: ignore[method-assign]
    assert isinstance(seen[0], _PlainRows)
    assert [repr(ln.amount) for ln in st.lines] == ["Decimal('1.50')", "Decimal('2.00')"]


AMOUNTS = [
    "1.50", "1.5", "1.500", "1", "-0.00", "+5.00", "007.25", "1,50", "1.234,56", "1,234.56",
    "9999999999.99", "10000000000.00", "99999999999.99", "999999999999", "1.505", " 3.00",
    "3.00 ", "", "abc", "(4.00)", "4.00-", "1e3", "12.345", "0.001", "-9999999999.99",
]  # fmt: skip
CURRENCIES = ["EUR", "JPY", "BHD", "eur", " EUR", "EURO", "", "E1R", "CHF"]
DATES = ["2024-01-02", "2024-01-03", "2024-13-01", "", "x", "2024-01-02 "]
TEXTS = ["Shop", "", " padded ", 'say "hi"', "two  spaces", "a\tb"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=strat.lists(
        strat.tuples(
            strat.sampled_from(DATES),
            strat.sampled_from(AMOUNTS),
            strat.sampled_from(CURRENCIES),
            strat.sampled_from(DATES),
            strat.sampled_from(TEXTS),
            strat.sampled_from(TEXTS),
            strat.booleans(),
        ),
        min_size=1,
        max_size=12,
    ),
    delimiter=strat.sampled_from([";", "\t"]),
    with_currency=strat.booleans(),
)
def test_generated_tables_read_as_the_checked_path(
    rows: list[tuple[str, str, str, str, str, str, bool]], delimiter: str, with_currency: bool
) -> None:
    """Amounts, currencies, dates and texts that take the shortcut and that do not, mixed:
    the same lines or the same error either way (each row once short of a cell)."""
    header = ["Date", "Amount", "Value date", "Name", "Description"]
    if with_currency:
        header.insert(2, "Currency")
    out = [delimiter.join(header)]
    for day, amount, cur, valued, name, text, short in rows:
        cells = [day, amount, valued, name, text.replace(delimiter, " ")]
        if with_currency:
            cells.insert(2, cur)
        if short:
            cells = cells[:-1]
        out.append(delimiter.join(cells))
    data = ("\n".join(out) + "\n").encode()
    for currency in (None, "EUR"):

        def read(data: bytes, source: str, currency: str | None = currency) -> Any:
            return csvfile.read(data, source, currency=currency)

        assert _read(read, data, "f.csv", False) == _read(read, data, "f.csv", True)


def test_amounts_of_the_shortcut_keep_their_exponent() -> None:
    data = b"Date;Amount;Currency\n2024-01-02;1,50;EUR\n2024-01-02;7;JPY\n2024-01-02;1,500;BHD\n"
    got = {st.currency: [ln.amount for ln in st.lines] for st in csvfile.read(data, "f.csv")}
    assert {k: [repr(a) for a in v] for k, v in got.items()} == {
        "EUR": [repr(Decimal("1.50"))],
        "JPY": [repr(Decimal("7"))],
        "BHD": [repr(Decimal("1.500"))],
    }


# -- records of a text without quotes ----------------------------------------------------------


def _both(text: str) -> tuple[Any, Any]:
    def run(records: Any) -> Any:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", skipinitialspace=True)
        try:
            return ("ok", list(records(reader)))
        except BankFileError as exc:
            return ("error", str(exc))

    return (
        run(lambda r: csvfile._line_records(r, "f.csv", "CSV file")),
        run(lambda r: csvfile._quoted_records(r, text, "f.csv", "CSV file")),
    )


@settings(max_examples=300, deadline=None)
@given(
    strat.lists(
        strat.tuples(
            strat.lists(strat.sampled_from(["a", "", " b", "1,50", "x y"]), max_size=4),
            strat.sampled_from(["\n", "\r\n", "\r"]),
        ),
        max_size=10,
    )
)
def test_line_records_are_the_quoted_path_without_quotes(
    lines: list[tuple[list[str], str]],
) -> None:
    """Blank lines and every line end: the same records, numbered by the same lines."""
    text = "".join(";".join(cells) + end for cells, end in lines)
    plain, quoted = _both(text)
    assert plain == quoted


def test_line_records_name_the_line_of_a_field_too_large() -> None:
    text = "a;b\n1;2\n\n3;" + "x" * (csv.field_size_limit() + 1) + "\n4;5\n"
    plain, quoted = _both(text)
    assert plain == quoted
    assert plain[0] == "error" and plain[1].startswith("f.csv: line 4: not a readable CSV file")


# -- check_text: the texts of many lines looked at once ----------------------------------------


@pytest.mark.parametrize("at", [0, 2, 9_999, 10_000, 24_999])
@pytest.mark.parametrize("field", ["currency", "counterparty_name", "remittance", "transaction_id"])
def test_check_text_names_the_first_line_with_a_nul(at: int, field: str) -> None:
    """Lines looked at 10,000 at a time: the first line with a NUL (in file order) is named,
    with its field, wherever it falls; a later one is not."""
    import datetime as dt
    from dataclasses import replace

    from payctl.importers.bank import ParsedLine, check_text
    from payctl.importers.files import NOT_TEXT

    line = ParsedLine(dt.date(2024, 1, 2), Decimal("1.00"), "EUR", remittance="x")
    lines = [replace(line, line_no=n + 1) for n in range(25_000)]
    lines[at] = replace(lines[at], **{field: "a\x00b"})
    if at < len(lines) - 1:
        lines[-1] = replace(lines[-1], counterparty_account="late\x00")
    statements = [ParsedStatement(lines=[replace(line, line_no=0)]), ParsedStatement(lines=lines)]
    with pytest.raises(BankFileError) as err:
        check_text(statements, "f.jsonl")
    assert str(err.value) == f"f.jsonl: line {at + 1}: {field}: {NOT_TEXT}"
    check_text([ParsedStatement(lines=lines[:at] + lines[at + 1 : -1])], "f.jsonl")  # none

"""spreadsheet_safe: the one rule for every CSV and XLSX cell payctl writes (formula injection)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from payctl.csvout import Writer, spreadsheet_safe


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("-2+3", "'-2+3"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\tplain", "'\tplain"),  # a leading tab or CR is always quoted (OWASP)
        ("  =1", "'  =1"),  # after leading whitespace a spreadsheet may trim
        ("\n@x", "'\n@x"),
        ("\u00a0+x", "'\u00a0+x"),
        ("+1", "'+1"),
        (" -12.50", "' -12.50"),
        ("-1e5", "'-1e5"),
        ("-", "'-"),
        # plain decimal numbers stay numbers: amounts in --format csv
        ("-12.50", "-12.50"),
        ("-1", "-1"),
        ("1190.00", "1190.00"),
        ("0", "0"),
        # text that does not start a formula is untouched
        ("a=b", "a=b"),
        ("INV-1", "INV-1"),
        ("'=x", "'=x"),
        ("", ""),
        ("2026-11-02", "2026-11-02"),
        # other values are not text: unchanged
        (Decimal("-1.00"), Decimal("-1.00")),
        (-3, -3),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 1)),
        (None, None),
    ],
)
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected
    assert spreadsheet_safe(spreadsheet_safe(value)) == expected  # once is enough


def test_the_csv_writer_applies_it_to_every_cell():
    buffer = io.StringIO()
    Writer(buffer).writerow(["=1+1", "-5.00", "@x", 7, "\r=2"])
    assert list(csv.reader(io.StringIO(buffer.getvalue(), newline=""))) == [
        ["'=1+1", "-5.00", "'@x", "7", "'\r=2"]
    ]

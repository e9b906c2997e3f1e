"""A piped table is written without Rich (payctl.cli.plain_table) in exactly Rich's bytes."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from payctl.cli import plain_table

WIDE = "東京 Büro"


def rich_lines(title, headers, right, body, footer) -> str:
    table = Table(title=None if title is None else Text(title), header_style="bold")
    for header, r in zip(headers, right, strict=True):
        table.add_column(Text(header), justify="right" if r else "left", overflow="fold")
    for index, row in enumerate(body):
        table.add_row(*[Text(c) for c in row], end_section=bool(footer) and index == len(body) - 1)
    for row in footer:
        table.add_row(*[Text(c, style="bold") for c in row])
    out = io.StringIO()
    console = Console(
        file=out, markup=False, emoji=False, highlight=False, soft_wrap=False, width=400
    )
    console.print(table)
    return out.getvalue()


CASES = [
    ("Aged receivables as of 2026-12-06", ["Partner", "Total"], [False, True],
     [["ACME GmbH & Partner KG", "1.00"], ["B", "123456.78"]], [["Total", "123457.78"]]),
    (None, ["Id", "Name"], [True, False], [["1", WIDE], ["22", ""]], []),
    ("odd", ["a", "bb"], [False, False], [["x", "y"]], []),
    ("a title of an even width!", ["Code", "Account", "Cur"], [False, False, False],
     [["1000", "Bank and cash", "EUR"]], [["", "Total", "EUR"]]),
    ("T", [WIDE, "x"], [True, True], [["-1.00", "2"], ["3", "-4.50"]], [["5", "6"]]),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_same_bytes_as_rich(case):
    lines = plain_table.draw(*case)
    assert lines is not None
    assert "\n".join(lines) + "\n" == rich_lines(*case)


def test_what_it_leaves_to_rich():
    assert plain_table.draw("t", ["a"], [False], []) is None  # no rows
    assert plain_table.draw("t", ["a"], [False], [["x" * 400]]) is None  # wider than 400
    assert plain_table.draw("a long title", ["a"], [False], [["x"]]) is None


def rich_record(title, pairs) -> str:
    # render.record's Rich table
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for label, value in pairs:
        table.add_row(Text(label), Text(value))
    out = io.StringIO()
    console = Console(
        file=out, markup=False, emoji=False, highlight=False, soft_wrap=False, width=400
    )
    if title:
        console.print(Text(title, style="bold"))
    console.print(table)
    return out.getvalue()


RECORDS = [
    ("Payment BNK1/2026/00112", [("Id", "115"), ("Memo", "Factuur INV/2026/0173"), ("Date", "")]),
    (None, [("Name", WIDE), ("Cur", "EUR"), ("Confirmed by", "a  b  c")]),
    ("Partner 東京", [("x", " leading and trailing "), ("y", "x" * 380)]),
    ("t", [("only", "")]),
]  # fmt: skip


@pytest.mark.parametrize("case", RECORDS)
def test_a_record_in_the_same_bytes_as_rich(case):
    lines = plain_table.draw_record(*case)
    assert lines is not None
    assert "\n".join(lines) + "\n" == rich_record(*case)


def test_what_a_record_leaves_to_rich():
    assert plain_table.draw_record("t", []) is None
    assert plain_table.draw_record("t", [("a", "x" * 398)]) is None  # wider than 400

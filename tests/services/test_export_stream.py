"""The streamed export (ExportService.export_to, issue 12): chunk by chunk it writes exactly what
the whole export renders, and its head (counts, accounts, currencies) is the one the entries
give; the ledger writer's fast path of ``clean`` leaves exactly what the full rule leaves."""

from __future__ import annotations

import io
import itertools
import re
import sys
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payctl.exporters import ExportFormat, ExportHead, open_writer
from payctl.exporters.ledger import _CLEAN, _UNSAFE, _WORD, _plain, amount, clean
from payctl.services.ledger.export_service import ExportService
from payctl.textsafe import escape_controls
from tests.services.test_export import rich_books


class Chunks:
    """A writer that records the chunks it is given (and writes them through ``inner``)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sizes: list[int] = []
        self.closed = False

    def write(self, entries: Any) -> None:
        self.sizes.append(len(entries))
        self.inner.write(entries)

    def close(self) -> None:
        self.closed = True
        self.inner.close()


@pytest.mark.parametrize("fmt", [ExportFormat.LEDGER, ExportFormat.BEANCOUNT, ExportFormat.CSV])
@pytest.mark.parametrize("date_from", [None, "2026-03-01"])
async def test_streamed_in_small_chunks_equals_the_whole_export(db, session, fmt, date_from):
    from payctl import exporters

    await rich_books(session)
    openings = fmt.has_openings and date_from is not None
    async with db.session() as s:
        data = await ExportService(s, "tester").export_entries(date_from, None, openings)
    assert len(data.entries) > 3
    whole = exporters.render_text(fmt, data)
    out = io.StringIO()
    seen: list[Chunks] = []
    heads: list[ExportHead] = []

    def writer(head: ExportHead) -> Chunks:
        heads.append(head)
        seen.append(Chunks(open_writer(fmt, head, out)))
        return seen[0]

    async with db.session() as s:
        head = await ExportService(s, "tester").export_to(
            writer, date_from, None, openings, chunk=2
        )
    assert out.getvalue() == whole
    assert heads == [head] and head == data.head()
    (chunks,) = seen
    assert chunks.closed and sum(chunks.sizes) == len(data.entries)
    assert max(chunks.sizes) == 2 and len(chunks.sizes) == (len(data.entries) + 1) // 2


async def test_an_empty_range_writes_the_head_only(db, session):
    await rich_books(session)
    out = io.StringIO()
    async with db.session() as s:
        head = await ExportService(s, "tester").export_to(
            lambda h: open_writer(ExportFormat.CSV, h, out), "2030-01-01", None
        )
    assert head.entry_count == head.line_count == 0 and head.first_date is None
    assert out.getvalue().splitlines() == [
        "entry,date,journal,account_code,account_name,partner,debit,credit,currency,label"
    ]


def test_clean_fast_path_leaves_what_the_full_rule_leaves():
    def full(text: str | None) -> str:
        return escape_controls(_UNSAFE.sub(" ", text or "").strip())

    letters = ["a", "Z", " ", "  ", ";", "\t", "\n", "\r", "\x1b", "\u202e", "é", "\x85"]
    letters += ["\u2028", "\x1c", "\xa0", "(", "|"]
    for n in range(5):
        for parts in itertools.product(letters, repeat=n):
            text = "".join(parts)
            assert clean(text) == full(text), repr(text)
    assert clean(None) == full(None) == ""


def test_clean_precheck_is_sufficient_for_every_code_point():
    """``_plain`` lets a text through without ``_CLEAN``'s match: every printable character
    but the space and ``;`` must be a character of a word (neither whitespace nor control)."""
    word = re.compile(_WORD)
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        if char.isprintable() and char not in " ;":
            assert word.fullmatch(char), hex(point)
    letters = ["a", " ", "  ", ";", "\t", "\x1b", "\u202e", "\xa0", "é"]
    for n in range(5):
        for parts in itertools.product(letters, repeat=n):
            text = "".join(parts)
            if _plain(text):
                assert _CLEAN.fullmatch(text), repr(text)


# Amounts as the export meets them: minor units of at most 18 digits (quantizing a larger
# Decimal to 4 places would exceed the context's 28 digits and raise, which is not the rule).
@given(st.decimals(min_value=-(10**18), max_value=10**18, allow_nan=False, allow_infinity=False))
def test_ledger_amount_is_the_formatted_decimal(value):
    assert amount(value, "EUR") == f"{value} EUR"
    for places in (0, 2, 3, 4):
        step = Decimal(1).scaleb(-places)
        assert amount(value.quantize(step), "JPY") == f"{value.quantize(step)} JPY"

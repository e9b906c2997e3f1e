"""A streamed read (``csvfile.stream``, ``jsonl.stream``: the lines a chunk at a time, then
the statements) gives exactly what the whole read gives: the same lines in the same
statements in statement order, the same statements' balances and dates, the same error; or
says the statements are interleaved (the import then reads the file whole)."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest

from payctl.importers import csvfile, jsonl
from payctl.importers.bank import BankFileError, ParsedLine, ParsedStatement
from tests.samples import BANK_SAMPLES, GENERIC_SAMPLES

CSV_SAMPLES = sorted(
    p for root in (BANK_SAMPLES, GENERIC_SAMPLES) for p in root.rglob("*") if p.suffix == ".csv"
)


def _statement(st: ParsedStatement) -> str:
    return repr(
        (
            st.account,
            st.currency,
            st.statement_id,
            st.opening_balance,
            st.closing_balance,
            st.opening_date,
            st.closing_date,
            st.currency_from_journal,
        )
    )


def _whole(read: Any, data: bytes, source: str) -> Any:
    try:
        statements = read(data, source)
    except BankFileError as exc:
        return ("error", str(exc))
    lines = [(seq, repr(ln)) for seq, st in enumerate(statements) for ln in st.lines]
    return ("ok", [_statement(st) for st in statements], lines)


def _streamed(stream: Any, data: bytes, source: str, rows: int) -> Any:
    try:
        reader = stream(data, source)
        lines: list[tuple[int, str]] = []
        for chunk in reader.chunks(rows):
            assert chunk, "no empty chunk"
            lines += [(seq, repr(ln)) for seq, ln in chunk]
        statements = reader.statements()
    except BankFileError as exc:
        return ("error", str(exc))
    assert all(not st.lines for st in statements)  # the lines were handed out, not kept
    if reader.interleaved:
        return ("interleaved", [_statement(st) for st in statements], sorted(lines))
    return ("ok", [_statement(st) for st in statements], lines)


def _same(whole: Any, streamed: Any) -> None:
    if streamed[0] == "interleaved":  # the lines all there, in file order (not statement's)
        assert whole[0] == "ok"
        assert streamed[1] == whole[1]
        assert streamed[2] == sorted(whole[2])
        return
    assert streamed == whole


@pytest.mark.parametrize("rows", [1, 2, 3, 7, 10_000])
@pytest.mark.parametrize("path", CSV_SAMPLES, ids=lambda p: p.name)
def test_every_csv_sample_streams_as_it_reads(path: Path, rows: int) -> None:
    data = path.read_bytes()
    _same(_whole(csvfile.read, data, path.name), _streamed(csvfile.stream, data, path.name, rows))


@pytest.mark.parametrize("path", CSV_SAMPLES, ids=lambda p: p.name)
def test_every_csv_sample_streams_from_small_blocks(path: Path, monkeypatch) -> None:
    """Blocks of 16 characters (bytes): the text is cut (and a file without quotes decoded
    from its bytes) at many places, and the lines are the same."""
    monkeypatch.setattr(csvfile, "_BLOCK_CHARS", 16)
    data = path.read_bytes()
    _same(_whole(csvfile.read, data, path.name), _streamed(csvfile.stream, data, path.name, 3))


@pytest.mark.parametrize(
    "encoding,text",
    [
        ("utf-8", "Zoë, Straße"),
        ("utf-8-sig", "Zoë"),
        ("cp1252", "Café Zoë"),
        ("cp1250", "Łódź Świętokrzyska"),
        ("utf-16", "Zoë"),
    ],
)
def test_a_file_without_quotes_is_read_from_its_bytes_in_blocks(
    encoding: str, text: str, monkeypatch
) -> None:
    monkeypatch.setattr(csvfile, "_BLOCK_CHARS", 8)
    rows = [f"2026-01-0{1 + i % 9},{i}.00,EUR,{text} {i},t{i}\r\r" for i in range(20)]
    data = ("Date,Amount,Currency,Name,Description\r\n" + "\n".join(rows) + "\n").encode(encoding)
    blocks = csvfile._decoded_blocks(data, csvfile._table_text(data, "t.csv", None)[0], None)
    assert (blocks is None) == (encoding == "utf-16")  # UTF-16: a b"\n" byte may be half a letter
    _same(_whole(csvfile.read, data, "t.csv"), _streamed(csvfile.stream, data, "t.csv", 3))


def _csv(lines: list[str], head: str = "Date,Amount,Currency,Name,Description,Balance") -> bytes:
    return ("\n".join([head, *lines]) + "\n").encode()


CASES = {
    # a running balance (statement balances from the chain), and its closing row
    "balance": _csv(
        [
            "2026-01-02,10.00,EUR,A,one,110.00",
            "2026-01-03,-5.00,EUR,B,two,105.00",
            "2026-01-03,2.50,EUR,C,three,107.50",
            "2026-01-04,1.00,EUR,D,four,108.50",
            "2026-01-05,3.00,EUR,,Closing balance,111.50",
        ]
    ),
    # two currencies: two statements, one after the other
    "two statements": _csv(
        [f"2026-01-0{1 + i % 5},{i}.00,EUR,N{i},t{i}," for i in range(6)]
        + [f"2026-01-0{1 + i % 5},{i}.00,USD,N{i},u{i}," for i in range(5)]
    ),
    # two currencies taking turns: interleaved
    "interleaved": _csv(
        [f"2026-01-02,{i}.00,{'EUR' if i % 3 else 'USD'},N{i},t{i}," for i in range(9)]
    ),
    # a description wrapped onto the next row: a continuation of the line above
    "continuation": _csv(
        [
            "2026-01-02,10.00,EUR,A,first part,",
            ",,,,second part,",
            "2026-01-03,1.00,EUR,B,x,",
            "2026-01-04,2.00,EUR,C,y,",
            ",,,,more of y,",
            ",,,,and more,",
            "2026-01-05,3.00,EUR,D,z,",
        ]
    ),
    # a bad amount late in the file
    "bad amount": _csv([f"2026-01-02,{i}.00,EUR,N{i},t{i}," for i in range(8)] + ["2026-01-02,x"]),
    # quoted fields spanning lines
    "quoted": _csv(
        [
            '2026-01-02,1.00,EUR,"A","line one',
            'line two",',
            '2026-01-03,2.00,EUR,"B","plain",',
        ]
    ),
}


@pytest.mark.parametrize("rows", [1, 2, 3, 10_000])
@pytest.mark.parametrize("case", sorted(CASES))
def test_made_up_tables_stream_as_they_read(case: str, rows: int) -> None:
    data = CASES[case]
    streamed = _streamed(csvfile.stream, data, "t.csv", rows)
    _same(_whole(csvfile.read, data, "t.csv"), streamed)
    assert (streamed[0] == "interleaved") == (case == "interleaved")


def _jsonl(accounts: list[str | None], bad_at: int | None = None) -> bytes:
    out = io.StringIO()
    for i, account in enumerate(accounts):
        if i == bad_at:
            out.write('{"booking_date": "2026-01-02"}\n')
            continue
        fields = [f'"booking_date": "2026-01-0{1 + i % 9}"', f'"amount": "{i}.5"']
        if account:
            fields.append(f'"account": "{account}"')
        fields.append(f'"remittance": "r{i}\\u2028x"')
        out.write("{" + ", ".join(fields) + "}\n\n")
    return out.getvalue().encode()


@pytest.mark.parametrize("rows", [1, 2, 5, 10_000])
@pytest.mark.parametrize(
    "accounts,bad_at",
    [
        ([None] * 7, None),
        (["A"] * 3 + ["B"] * 4, None),
        (["A", "B", "A"], None),
        ([None] * 9, 7),
    ],
)
def test_json_lines_stream_as_they_read(
    accounts: list[str | None], bad_at: int | None, rows: int
) -> None:
    data = _jsonl(accounts, bad_at)
    streamed = _streamed(jsonl.stream, data, "t.jsonl", rows)
    _same(_whole(jsonl.read, data, "t.jsonl"), streamed)
    assert (streamed[0] == "interleaved") == (accounts == ["A", "B", "A"])


def test_lines_are_cut_in_blocks_as_stringio_and_splitlines_cut_them(monkeypatch) -> None:
    """The text is read a block at a time (a StringIO holds four bytes a character): the lines
    are the same wherever the blocks end."""
    rnd = random.Random(12)
    parts = ["a", "b", ",", '"', "\r", "\n", "\r\n", "\x0b", "\u2028", "\x85"]
    for size in (1, 2, 3, 5, 8):
        monkeypatch.setattr(csvfile, "_BLOCK_CHARS", size)
        monkeypatch.setattr(jsonl, "_BLOCK_CHARS", size)
        for _ in range(500):
            text = "".join(rnd.choice(parts) for _ in range(rnd.randint(0, 40)))
            assert list(csvfile.physical_lines(text)) == io.StringIO(text, newline="").readlines()
            assert list(jsonl._lines(text)) == text.splitlines()


def test_a_parsed_line_is_what_the_streams_hand_out() -> None:
    (chunk,) = list(csvfile.stream(_csv(["2026-01-02,1.00,EUR,A,x,"]), "t.csv").chunks(10))
    assert [type(ln) for _, ln in chunk] == [ParsedLine]

"""Bank CSV extracts: bytes -> text (encoding detected) -> rows (delimiter detected) -> profile.

Encoding (unless the profile names one), by the one decoder ``files.decode_text``: a BOM
decides (UTF-8, UTF-16); else strict UTF-8; else an 8-bit Windows code page,
``files.BANK_CODE_PAGES``: cp1252 or cp1250 by the bytes where the two differ, latin-1 when
neither decodes. A file that is UTF-8 up to some point and then is not is refused (mixed
encodings), as is a file with NUL bytes (not text).

Rows are read with the standard ``csv`` module (quotes, doubled quotes, newlines inside quotes);
Rabobank's "\\r\\r\\n" line ends are folded to "\\r\\n" first. The delimiter (``,`` ``;`` tab
``|``) is the one giving the most rows with the same number of fields.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from itertools import chain, count
from pathlib import Path
from typing import Any

from payctl.importers.bank import BankFileError, ParsedStatement
from payctl.importers.files import (
    BANK_CODE_PAGES,
    BOMS,
    decode_text,
    detect_encoding,
    unreadable,
)
from payctl.importers.profiles import Profile, generic_words, get_profile
from payctl.importers.table import TableStream, choose_profile, read_table
from payctl.importers.values import normalise_header

FORMAT = "csv"
DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_CHARS = 64 * 1024
_NOT_CSV_START = re.compile(r"\s*(?:<|\{|\[|:\d\d[A-Z]?:|OFXHEADER)")
_MT940_TAG = re.compile(r":\d\d[A-Z]?:")


def _field_counts(sample: str, delimiter: str) -> list[int]:
    try:
        reader = csv.reader(
            io.StringIO(sample, newline=""), delimiter=delimiter, skipinitialspace=True
        )
        return [len(row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error:
        return []


def _delimiter_score(sample: str, delimiter: str) -> tuple[int, int]:
    """(rows having the most common field count, that count); (0, 0) if it splits nothing."""
    counts = [n for n in _field_counts(sample, delimiter) if n > 1]
    if not counts:
        return 0, 0
    fields, rows = Counter(counts).most_common(1)[0]
    return rows, fields


def _sample(text: str) -> str:
    if len(text) <= _SAMPLE_CHARS:
        return text
    cut = text.rfind("\n", 0, _SAMPLE_CHARS)
    return text[: cut if cut > 0 else _SAMPLE_CHARS]


def detect_delimiter(text: str) -> str:
    """The delimiter giving the most rows with the same number of fields (ties: more fields)."""
    sample = _sample(text)
    scores = {d: _delimiter_score(sample, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])
    return best if scores[best][0] else ","


def sniff(head: bytes) -> bool:
    """Text whose first lines split into the same number (>= 2) of fields on one delimiter."""
    if not head:
        return False
    encoding = next((enc for bom, enc in BOMS if head.startswith(bom)), None)
    if encoding is None and b"\x00" in head:
        return False
    text = head.decode(encoding or "utf-8", errors="replace").lstrip("\ufeff")
    if encoding is None and text.count("\ufffd") > 2:
        text = head.decode("latin-1")
    if _NOT_CSV_START.match(text):
        return False
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1 and not head.endswith((b"\n", b"\r")):
        lines = lines[:-1]  # the head may end mid-line
    lines = lines[:20]
    if not lines or sum(1 for ln in lines if _MT940_TAG.match(ln)) * 3 >= len(lines):
        return False
    joined = "\n".join(lines)
    rows, fields = max(_delimiter_score(joined, d) for d in DELIMITERS)
    if fields >= 2 and rows * 10 >= len(lines) * 6:
        return True
    return any(_ragged_table(_field_counts(joined, d)) for d in DELIMITERS)


def _ragged_table(counts: list[int]) -> bool:
    """Records (not physical lines: a quoted field may hold a newline) of at least 3 fields of
    which 8 in 10 have one of two neighbouring counts: a table whose rows drop empty trailing
    fields (Swedbank LT: 13 or 14 fields under a header of 17)."""
    if len(counts) < 2:
        return False
    common = Counter(counts)
    best = max(common[n] + common[n + 1] for n in common if n >= 3) if max(counts) >= 3 else 0
    return best * 10 >= len(counts) * 8


def records(
    text: str, delimiter: str, source: str, what: str = "CSV file"
) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) per record of a delimited text (bank CSV, or the partner,
    invoice and payment tables of ``tabular``); ``what`` names it in messages."""
    reader = csv.reader(physical_lines(text), delimiter=delimiter, skipinitialspace=True)
    if '"' not in text:
        return _line_records(reader, source, what)
    return _quoted_records(reader, text, source, what)


_BLOCK_CHARS = 1 << 20  # characters of text a StringIO holds at once (``physical_lines``)


def physical_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` exactly as ``io.StringIO(text, newline="")`` gives them (ends kept:
    "\\n", "\\r\\n" or a lone "\\r"), a block of about a megabyte at a time: a StringIO holds
    four bytes a character, so one over a whole 100 MB file took 400 MB. Blocks are cut just
    after a "\\n", so no line end is ever split."""
    if len(text) <= _BLOCK_CHARS:
        return iter(io.StringIO(text, newline=""))
    return chain.from_iterable(io.StringIO(block, newline="") for block in _blocks(text))


def _blocks(text: str) -> Iterator[str]:
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + _BLOCK_CHARS)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _line_records(reader: Any, source: str, what: str) -> Iterator[tuple[int, list[str]]]:
    """The records of a text without quotes: one per line, numbered as they come."""
    try:
        yield from zip(count(1), reader)
    except csv.Error as exc:
        raise unreadable(source, what, exc, reader.line_num) from None


def _quoted_records(
    reader: Any, text: str, source: str, what: str
) -> Iterator[tuple[int, list[str]]]:
    """The records of a text with quotes: a quoted field may hold line ends, so a record
    may span lines (numbered by its first), and must close its quotes."""
    start = 1
    physical: list[str] | None = None  # the text's lines, split only if a record needs a look
    try:
        for row in reader:
            end = reader.line_num
            if end > start or (row and row[-1].endswith(("\n", "\r"))):
                if physical is None:
                    physical = list(physical_lines(text))
                _check_quotes(physical[start - 1 : end], start, source)
            yield start, row
            start = end + 1
    except csv.Error as exc:
        raise unreadable(source, what, exc, start) from None


def _check_quotes(held: list[str], start: int, source: str) -> None:
    """A record over several lines must close its quotes: an unbalanced one (a truncated file,
    a stray quote) would otherwise swallow the following rows into one field."""
    if sum(line.count('"') for line in held) % 2:
        raise BankFileError.at(
            source,
            start,
            None,
            f"a quoted field opened here is not closed within {len(held)} "
            "line(s) (truncated file or stray quote?)",
        )


# 8-bit code pages that read the same bytes as different letters; the byte votes of ``files``
# choose between cp1252 and cp1250, the vocabulary settles what they cannot (and cp1257).
_RIVALS = ("cp1252", "cp1250", "cp1257")
_TOKENS = re.compile(r'[;,\t|"\r\n]+')


def _known_words(text: str) -> int:
    words = generic_words()
    return sum(1 for t in _TOKENS.split(text) if not t.isascii() and normalise_header(t) in words)


def _by_vocabulary(data: bytes, text: str) -> str:
    """cp1252, cp1250 and cp1257 read some bytes as different letters ("ø"/"ř"/"ų", "è"/"č"/
    "č"), and the byte votes of ``files`` cannot tell Danish from Czech or Slovenian from
    French: the code page whose first 64 KB hold more words of the generic vocabulary (header
    names, markers, labels) wins; on a tie the votes stand. Deterministic; once per file."""
    found = detect_encoding(data, BANK_CODE_PAGES)
    if found not in _RIVALS:
        return text
    head = data[:_SAMPLE_CHARS]
    best, best_score = None, _known_words(text[: len(head)])
    for other in _RIVALS:
        if other == found:
            continue
        score = _known_words(head.decode(other, "replace"))
        if score > best_score:
            best, best_score = other, score
    if best is None:
        return text
    try:
        return data.decode(best)
    except UnicodeDecodeError:
        return text


def _table_text(data: bytes, source: str, prof: Profile | None) -> tuple[str, str]:
    if not data.strip():
        raise BankFileError(f"{source}: the file is empty")
    encoding = prof.encoding if prof else None
    hint = "check the profile's encoding" if encoding else "name the encoding in a profile"
    text = decode_text(data, source, encoding, hint, fallback=BANK_CODE_PAGES)
    if encoding is None and not text.isascii():
        text = _by_vocabulary(data, text)
    if "\r\r\n" in text:
        text = text.replace("\r\r\n", "\r\n")
    return text, (prof.delimiter if prof else None) or detect_delimiter(text)


def detect_profile(
    data: bytes, source: str, profile: str | Path | Profile | None = None
) -> Profile:
    """The profile :func:`read` uses for ``data`` (the auto-selected one when None)."""
    prof = get_profile(profile)
    text, delimiter = _table_text(data, source, prof)
    return choose_profile(records(text, delimiter, source), source, prof)


def read(
    data: bytes,
    source: str,
    *,
    profile: str | Path | Profile | None = None,
    currency: str | None = None,
    **_options: object,
) -> list[ParsedStatement]:
    """Read a bank CSV. ``profile``: None (auto), a built-in name, a ``.toml`` path or a Profile;
    ``currency``: the currency of a file that names none (default: left empty, so the
    importer uses the journal's)."""
    prof = get_profile(profile)
    text, delimiter = _table_text(data, source, prof)
    return read_table(
        records(text, delimiter, source), source, prof, unit="line", currency=currency
    )


def stream(
    data: bytes,
    source: str,
    *,
    profile: str | Path | Profile | None = None,
    currency: str | None = None,
    **_options: object,
) -> TableStream:
    """:func:`read` a chunk of lines at a time (``TableStream.chunks``): the same lines and
    statements, the same errors, without holding every line of a large file. A file without
    quotes whose bytes decode block by block to the same text is read from its bytes a block
    at a time (the text is not held while its lines are booked)."""
    prof = get_profile(profile)
    text, delimiter = _table_text(data, source, prof)
    lines = None if '"' in text else _decoded_blocks(data, text, prof)
    if lines is None:
        rows = records(text, delimiter, source)
    else:
        del text
        reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
        rows = _line_records(reader, source, "CSV file")
    return TableStream(rows, source, prof, unit="line", currency=currency)


# Codecs in which a b"\n" byte is always the line feed and nothing else (blocks of bytes cut
# after one decode to the text cut after "\n").
_BLOCK_CODECS = ("utf-8", "cp1252", "cp1250", "cp1257", "latin-1")
_BLOCK_CODEC_NAMES = frozenset(codecs.lookup(c).name for c in _BLOCK_CODECS)


def _decoded_blocks(data: bytes, text: str, prof: Profile | None) -> Iterator[str] | None:
    """The lines of ``text`` (``physical_lines``) decoded from ``data`` a block at a time, when
    a codec gives exactly ``text`` that way (checked here, block by block); else None."""
    utf8_bom = data.startswith(codecs.BOM_UTF8)
    tried = [prof.encoding] if prof and prof.encoding else []
    for codec in [*tried, *_BLOCK_CODECS]:
        try:
            name = codecs.lookup(codec).name
        except LookupError:
            continue
        if name not in _BLOCK_CODEC_NAMES:
            continue
        first = "utf-8-sig" if utf8_bom and name == "utf-8" else codec
        at = 0
        try:
            for block in _byte_blocks(data, first, codec):
                if text[at : at + len(block)] != block:
                    break
                at += len(block)
            else:
                if at == len(text):
                    return chain.from_iterable(
                        io.StringIO(block, newline="") for block in _byte_blocks(data, first, codec)
                    )
        except UnicodeDecodeError:
            continue
    return None


def _byte_blocks(data: bytes, first: str, codec: str) -> Iterator[str]:
    """``data`` decoded about a megabyte at a time, each block cut just after a b"\\n" (the
    first block in ``first``: a byte-order mark is only ever at the start), with the
    "\\r\\r\\n" line ends ``_table_text`` folds folded."""
    start, size, block_codec = 0, len(data), first
    while start < size:
        end = data.find(b"\n", start + _BLOCK_CHARS)
        end = size if end < 0 else end + 1
        block = data[start:end].decode(block_codec)
        yield block.replace("\r\r\n", "\r\n") if "\r\r\n" in block else block
        start, block_codec = end, codec

"""Bank CSV extracts: bytes -> text (encoding detected) -> rows (delimiter detected) -> profile.

Encoding (unless the profile names one): a BOM decides (UTF-8, UTF-16); else strict UTF-8; else
an 8-bit Windows code page: cp1252 (Western Europe, a superset of latin-1's letters) or cp1250
(Central Europe), chosen by the bytes where the two differ ("ł", "ą", "ż", "ś" are cp1250;
"à", "å", "£" are cp1252); latin-1 when neither decodes. A file that is UTF-8 up to some point
and then is not is refused (mixed encodings), as is a file with NUL bytes (not text).

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
from pathlib import Path

from payctl.importers.bank import BankFileError, ParsedStatement
from payctl.importers.files import unreadable
from payctl.importers.profiles import Profile, ProfileError, get_profile
from payctl.importers.table import choose_profile, read_table

FORMAT = "csv"
DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_CHARS = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Bytes that decode to different letters in cp1252 and cp1250, with how strongly each points to
# one of them: positive for cp1252 (Western), negative for cp1250 (Central European). Bytes where
# both readings are common letters (e8 è/č, ea ê/ę, f1 ñ/ń) do not vote.
_CODEPAGE_VOTES = {
    0xE0: 3,
    0xC0: 3,
    0xE5: 2,
    0xC5: 2,
    0xA1: 2,
    0xFF: 2,
    0xA3: 1,
    0xEF: 1,  # à À å Å ¡ ÿ £ ï
    0xB3: -3,
    0xB9: -3,
    0xBF: -3,
    0x9F: -3,
    0xAF: -3,
    0x9C: -2,
    0x8C: -2,  # ł ą ż ź Ż ś Ś
    0xA5: -2,
    0xF8: -1,
    0xD8: -1,
    0xEC: -1,
    0xCC: -1,
    0xF9: -1,
    0xE6: -1,  # Ą ř Ř ě Ě ů ć
    0xC6: -1,
    0xF5: -1,
    0xFB: -1,
    0x8D: -5,
    0x8F: -5,
    0x9D: -5,  # Ć ő ű Ť Ź ť
}
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
_NOT_CSV_START = re.compile(r"\s*(?:<|\{|\[|:\d\d[A-Z]?:|OFXHEADER)")
_MT940_TAG = re.compile(r":\d\d[A-Z]?:")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except LookupError:
        raise ProfileError(f"{source}: unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        byte = data[exc.start : exc.start + 1].hex()
        raise BankFileError.at(
            source,
            _line_of(data, exc.start),
            "encoding",
            f"byte 0x{byte} cannot be decoded as {encoding}",
        ) from None


_ASCII = bytes(range(128))


def _eight_bit(data: bytes) -> str:
    """cp1252 or cp1250, by the votes of the bytes they read differently; latin-1 if neither."""
    high = data.translate(None, _ASCII)  # one pass; the votes then count in a short string
    score = sum(weight * high.count(bytes((byte,))) for byte, weight in _CODEPAGE_VOTES.items())
    for encoding in ("cp1252", "cp1250") if score >= 0 else ("cp1250", "cp1252"):
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def detect_encoding(data: bytes) -> str:
    """The encoding :func:`decode` uses for ``data`` when the profile names none."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return _eight_bit(data)


def decode(data: bytes, source: str, encoding: str | None = None) -> str:
    """Bytes to text with the given encoding, or the detected one (see the module docstring)."""
    text = _strict(data, encoding, source) if encoding else _auto_decode(data, source)
    nul = text.find("\x00")
    if nul >= 0:
        raise BankFileError.at(
            source, text.count("\n", 0, nul) + 1, None, "NUL byte: binary data, not a CSV text file"
        )
    return text


def _auto_decode(data: bytes, source: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data, encoding, source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _UTF8_MULTIBYTE.search(data, 0, exc.start):
            byte = data[exc.start : exc.start + 1].hex()
            raise BankFileError.at(
                source,
                _line_of(data, exc.start),
                "encoding",
                f"byte 0x{byte} is not UTF-8 although the lines before are UTF-8 "
                "(mixed encodings?); name the encoding in a profile",
            ) from None
    encoding = _eight_bit(data)
    return data.decode(encoding)


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
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), None)
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
    rows, fields = max(_delimiter_score("\n".join(lines), d) for d in DELIMITERS)
    return fields >= 2 and rows * 10 >= len(lines) * 6


def records(
    text: str, delimiter: str, source: str, what: str = "CSV file"
) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) per record of a delimited text (bank CSV, or the partner,
    invoice and payment tables of ``tabular``); ``what`` names it in messages."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    start = 1
    physical: list[str] | None = None  # the text's lines, split only if a record needs a look
    try:
        for row in reader:
            end = reader.line_num
            if end > start or (row and row[-1].endswith(("\n", "\r"))):
                if physical is None:
                    physical = io.StringIO(text, newline="").readlines()
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


def _table_text(data: bytes, source: str, prof: Profile | None) -> tuple[str, str]:
    if not data.strip():
        raise BankFileError(f"{source}: the file is empty")
    text = decode(data, source, prof.encoding if prof else None)
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

"""Reading a file the user named, and decoding text: the one place that turns the operating
system's and Python's own failures into payctl's one-line messages (never ``[Errno 2] …``
or ``'utf-8' codec can't decode …``), and the one place of the input size limit
(``PAYCTL_MAX_IMPORT_BYTES``): a file is never read past it, whatever it is."""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from payctl.errors import InputError
from payctl.importers.bank import BankFileError

STDIN = "-"
STDIN_NAME = "<stdin>"
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_BYTES_ENV = "PAYCTL_MAX_IMPORT_BYTES"

_REASONS = {
    errno.ENOENT: "no such file",
    errno.ENOTDIR: "no such file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "too many symbolic links",
    errno.ENAMETOOLONG: "the name is too long",
}


def cannot_read(name: str, exc: OSError) -> BankFileError:
    """ "cannot read FILE: no such file": the one message of a file the system does not give."""
    return BankFileError(f"cannot read {name}: {os_reason(exc)}")


def unreadable(
    source: str, what: str, detail: object, where: int | str | None = None
) -> BankFileError:
    """ "FILE: not a readable WHAT (DETAIL)": the one message of a file read but not readable as
    what it should be (``detail``: the parser's error, its first line, or a text)."""
    text = str(detail).strip()
    text = text.splitlines()[0] if text else type(detail).__name__
    return BankFileError.at(source, where, None, f"not a readable {what} ({text})")


def os_reason(exc: OSError) -> str:
    """``exc`` in a few words of our own: "no such file", "permission denied", ..."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or type(exc).__name__).lower()


# --- size limit -----------------------------------------------------------------------------


def max_import_bytes(override: int | str | None = None) -> int:
    """The largest input payctl reads: ``override`` (a read option), else the environment
    variable ``PAYCTL_MAX_IMPORT_BYTES``, else 50 MB."""
    if override is not None:
        return _positive_int(override, "max_bytes")
    from payctl.config import env

    value = env(MAX_BYTES_ENV)
    if value is not None:
        return _positive_int(value.strip(), MAX_BYTES_ENV)
    return DEFAULT_MAX_BYTES


def _positive_int(value: int | str, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BankFileError(f"{name}: {value!r} is not a whole number of bytes") from None
    if number <= 0:
        raise BankFileError(f"{name}: {value!r} must be a positive number of bytes")
    return number


def _too_large(source: str, size: str, limit: int) -> BankFileError:
    return BankFileError(
        f"{source}: {size}, above the import limit of {limit:,} bytes "
        f"(raise it with {MAX_BYTES_ENV} or the max_bytes option)"
    )


def check_size(size: int, source: str, max_bytes: int | str | None = None) -> None:
    """Refuse an input of ``size`` bytes when it is above the import limit."""
    limit = max_import_bytes(max_bytes)
    if size > limit:
        raise _too_large(source, f"the file is {size:,} bytes", limit)


def _read_limited(handle: BinaryIO, source: str, limit: int) -> bytes:
    """At most ``limit`` bytes of ``handle``: one byte more is read to know there is more, and
    then the input is refused, so memory stays bounded by the limit (``/dev/zero``, a pipe)."""
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise _too_large(source, f"more than {limit:,} bytes", limit)
    return data


# --- reading --------------------------------------------------------------------------------


def read_input(
    path: str | Path,
    max_bytes: int | str | None = None,
    *,
    name: str | None = None,
    stdin: bool = True,
) -> tuple[bytes, str]:
    """The bytes of ``path`` (``-``: standard input) and the name to use for it in messages.

    Never reads more than the import limit (:func:`max_import_bytes`) plus one byte. Raises
    :class:`InputError` (exit 2): "cannot read FILE: no such file", "FILE is a directory",
    "FILE is not a regular file" (a device such as ``/dev/zero``, a FIFO, a socket: only
    standard input is read as a stream), "cannot read FILE: permission denied", "FILE: the file
    is N bytes, above the import limit". ``name`` is FILE in those messages (default: the
    path); ``stdin=False``: ``-`` is a file name like any other (a bank profile)."""
    given = str(path)
    name = given if name is None else name
    limit = max_import_bytes(max_bytes)
    if stdin and given == STDIN:
        return _read_limited(sys.stdin.buffer, STDIN_NAME, limit), STDIN_NAME
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting for
        # one; the descriptor is then refused below as not a regular file.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except IsADirectoryError:
        raise InputError(f"{name} is a directory: give a file") from None
    except OSError as exc:
        raise cannot_read(name, exc) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{name} is a directory: give a file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                f"{name} is not a regular file (a device, pipe or socket): give a file"
                + (", or '-' to read standard input" if stdin else "")
            )
        check_size(info.st_size, name, limit)
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb") as handle:
        try:
            return _read_limited(handle, name, limit), name
        except OSError as exc:
            raise cannot_read(name, exc) from None


# --- decoding -------------------------------------------------------------------------------

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_UTF8 = {"utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig", "u8"}
_LABELS = {"cp1252": "Windows-1252", "cp1250": "Windows-1250"}
# What bank CSV files are written in when not UTF-8: cp1252 (Western Europe, a superset of
# latin-1's letters) or cp1250 (Central Europe), by the bytes where the two differ ("ł", "ą",
# "ż", "ś" are cp1250; "à", "å", "£" are cp1252); latin-1, which reads anything, last.
BANK_CODE_PAGES = ("cp1252", "cp1250", "latin-1")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
_ASCII = bytes(range(128))
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
    0xEC: -1,
    0xCC: -1,
    0xF9: -1,
    0xE6: -1,  # Ą ě Ě ů ć
    0xC6: -1,
    0xF5: -1,
    0xFB: -1,
    0xF0: -2,
    0xD0: -2,  # đ Đ (ð Ð are Icelandic only); ø/ř (f8, d8) are both common: no vote
    0x8D: -5,
    0x8F: -5,
    0x9D: -5,  # Ć ő ű Ť Ź ť
}


def _label(codec: str) -> str:
    name = codec.lower()
    return "UTF-8" if name in _UTF8 else _LABELS.get(name, codec)


def _votes(data: bytes, code_pages: Sequence[str]) -> list[str]:
    """``code_pages`` with cp1252 and cp1250 in the order the bytes they read differently vote
    for (one pass: the votes then count in the short string of non-ASCII bytes)."""
    order = list(code_pages)
    if "cp1252" in order and "cp1250" in order:
        high = data.translate(None, _ASCII)
        score = sum(w * high.count(bytes((byte,))) for byte, w in _CODEPAGE_VOTES.items())
        i, j = order.index("cp1252"), order.index("cp1250")
        if (score < 0) == (i < j):
            order[i], order[j] = order[j], order[i]
    return order


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_BOX_OR_C1 = re.compile(r"[\x80-\x9f\u2500-\u259f]")
_NEUTRAL = set("€£¥§°")


def _plausibility(text: str) -> int:
    """Higher for text whose non-ASCII characters are letters inside words; box-drawing and C1
    control characters (what a wrong DOS or Windows code page makes of letters) count against."""
    score = 0
    for match in _NON_ASCII.finditer(text):
        ch, at = match.group(), match.start()
        if ch.isalpha():
            around = text[max(at - 1, 0) : at] + text[at + 1 : at + 2]
            score += 2 if any(c.isascii() and c.isalpha() for c in around) else 0
        elif _BOX_OR_C1.match(ch):
            score -= 5
        elif ch not in _NEUTRAL:
            score -= 1 if ch == "\u00a0" else 2
    return score


def _most_plausible(data: bytes, code_pages: Sequence[str]) -> list[str]:
    """``code_pages`` that read every byte of ``data``, the one whose text is most plausible
    (:func:`_plausibility`) first; equals keep their order."""
    scored: list[tuple[int, int, str]] = []
    for encoding in code_pages:
        try:
            scored.append((-_plausibility(data.decode(encoding)), len(scored), encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    return [encoding for *_, encoding in sorted(scored)]


def detect_encoding(
    data: bytes, fallback: Sequence[str] = (), *, plausible: bool = False
) -> str | None:
    """The encoding :func:`decode_text` reads ``data`` in when none is given: the byte-order
    mark's, else UTF-8, else the first code page of ``fallback`` that reads every byte (cp1252
    and cp1250 in the order their votes say; with ``plausible``, the one whose text reads most
    like words, earlier ones winning ties); None when none does."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    order = _most_plausible(data, fallback) if plausible else _votes(data, fallback)
    for encoding in order:
        try:
            data.decode(encoding)
            return encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def decode_text(
    data: bytes,
    source: str,
    encoding: str | None = None,
    hint: str = "give --encoding",
    *,
    fallback: Sequence[str] = (),
    mixed: bool = False,
    plausible: bool = False,
) -> str:
    """``data`` as text: the one decoder of every file payctl reads.

    In ``encoding`` when one is given; else by :func:`detect_encoding` (byte-order mark, UTF-8,
    then the 8-bit code pages of ``fallback``, by their votes or, with ``plausible``, by which
    reads most like words: how MT940 tells DOS Latin-2 from Windows-1252). A file that is UTF-8
    up to a byte that is not is refused as mixed encodings unless ``mixed`` (it would be read
    as mojibake), and a NUL character as binary data. Errors (:class:`BankFileError`, exit 2)
    name file, line and byte:
    "FILE: line 3: encoding: byte 0xfc is not UTF-8 text; give --encoding"."""
    if encoding:
        try:
            return _no_nul(data.decode(encoding), source)
        except LookupError:
            raise BankFileError(f"{source}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise _undecodable(data, exc.start, source, _label(encoding), hint) from None
    found = detect_encoding(data, fallback, plausible=plausible)
    if found is None:
        raise _strict(data, source, fallback, hint)
    if found in fallback and not mixed:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if _UTF8_MULTIBYTE.search(data, 0, exc.start):
                raise _undecodable(
                    data,
                    exc.start,
                    source,
                    "UTF-8",
                    f"although the lines before are UTF-8 (mixed encodings?); {hint}",
                    mixed=True,
                ) from None
    try:
        return _no_nul(data.decode(found), source)
    except UnicodeDecodeError as exc:  # a byte-order mark the rest does not follow
        raise _undecodable(data, exc.start, source, _label(found), hint) from None


def _strict(data: bytes, source: str, fallback: Sequence[str], hint: str) -> BankFileError:
    """No encoding reads ``data``: the error names the first byte the last one tried cannot
    read (UTF-8 when there is no fallback)."""
    last = fallback[-1] if fallback else "utf-8"
    try:
        data.decode(last)
    except UnicodeDecodeError as exc:
        label = " or ".join(["UTF-8", *(_label(c) for c in fallback)])
        return _undecodable(data, exc.start, source, label, hint)
    raise AssertionError("detect_encoding found no encoding for data that decodes")


def _undecodable(
    data: bytes, offset: int, source: str, label: str, hint: str, mixed: bool = False
) -> BankFileError:
    line = data.count(b"\n", 0, offset) + 1
    byte = f"byte 0x{data[offset]:02x}"
    problem = f"{byte} is not {label} {hint}" if mixed else f"{byte} is not {label} text; {hint}"
    return BankFileError.at(source, line, "encoding", problem)


def _no_nul(text: str, source: str) -> str:
    """Every text read from a file: a NUL character is binary data, not text (PostgreSQL
    cannot store it, nor look it up: the same input would pass on SQLite only)."""
    nul = text.find("\x00")
    if nul >= 0:
        refuse_nul(f"{source}: line {text.count(chr(10), 0, nul) + 1}")
    return text


NOT_TEXT = "NUL character: binary data, not text"


def refuse_nul(where: str) -> None:
    raise BankFileError(f"{where}: {NOT_TEXT}")


def read_text(path: str | Path, encoding: str | None = None, hint: str = "give --encoding") -> str:
    """:func:`read_input` then :func:`decode_text`."""
    data, source = read_input(path)
    return decode_text(data, source, encoding, hint)

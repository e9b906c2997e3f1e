"""Reading a file the user named, and decoding text: the one place that turns the operating
system's and Python's own failures into payctl's one-line messages (never ``[Errno 2] …``
or ``'utf-8' codec can't decode …``)."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

from payctl.errors import InputError

STDIN = "-"
STDIN_NAME = "<stdin>"

_REASONS = {
    errno.ENOENT: "no such file",
    errno.ENOTDIR: "no such file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "too many symbolic links",
    errno.ENAMETOOLONG: "the name is too long",
}


def os_reason(exc: OSError) -> str:
    """``exc`` in a few words of our own: "no such file", "permission denied", ..."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or type(exc).__name__).lower()


def read_input(path: str | Path) -> tuple[bytes, str]:
    """The bytes of ``path`` (``-``: standard input) and the name to use for it in messages.

    Raises :class:`InputError` (exit 2): "cannot read FILE: no such file", "FILE is a
    directory", "cannot read FILE: permission denied"."""
    name = str(path)
    if name == STDIN:
        return sys.stdin.buffer.read(), STDIN_NAME
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{name} is a directory: give a file")
    try:
        return target.read_bytes(), name
    except IsADirectoryError:
        raise InputError(f"{name} is a directory: give a file") from None
    except OSError as exc:
        raise InputError(f"cannot read {name}: {os_reason(exc)}") from None


def decode_text(
    data: bytes,
    source: str,
    encoding: str | None = None,
    hint: str = "give --encoding",
    label: str | None = None,
) -> str:
    """``data`` as text in ``encoding`` (default UTF-8, a byte-order mark skipped).

    "FILE is not UTF-8 text (byte 0xde at offset 12); give --encoding"; ``label`` names
    the encoding(s) tried in that message."""
    codec = encoding or "utf-8-sig"
    try:
        return _no_nul(data.decode(codec), source)
    except LookupError:
        raise InputError(f"{source}: unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        if label is None:
            utf8 = codec.replace("_", "-").lower() in {"utf-8-sig", "utf-8", "utf8"}
            label = "UTF-8" if utf8 else codec
        raise InputError(
            f"{source} is not {label} text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); {hint}"
        ) from None


def _no_nul(text: str, source: str) -> str:
    """Every text read from a file: a NUL character is binary data, not text (PostgreSQL
    cannot store it, nor look it up: the same input would pass on SQLite only)."""
    nul = text.find("\x00")
    if nul >= 0:
        refuse_nul(f"{source}: line {text.count(chr(10), 0, nul) + 1}")
    return text


NOT_TEXT = "NUL character: binary data, not text"


def refuse_nul(where: str) -> None:
    raise InputError(f"{where}: {NOT_TEXT}")


def read_text(path: str | Path, encoding: str | None = None, hint: str = "give --encoding") -> str:
    """:func:`read_input` then :func:`decode_text`."""
    data, source = read_input(path)
    return decode_text(data, source, encoding, hint)

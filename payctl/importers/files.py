"""Reading a file the user named, and decoding text: the one place that turns the operating
system's and Python's own failures into payctl's one-line messages (never ``[Errno 2] …``
or ``'utf-8' codec can't decode …``), and the one place of the input size limit
(``PAYCTL_MAX_IMPORT_BYTES``): a file is never read past it, whatever it is."""

from __future__ import annotations

import errno
import os
import stat
import sys
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

"""The nightly job's file handling: a directory's bank files in name order, and moving each
file, once its import is decided, to the archive or the failed folder.

Two runs may overlap on the same directory: the database makes sure no file is imported twice
(one transaction per file; a file already imported is a complete duplicate), and moving is
safe when both try it: ``os.rename`` is atomic, and a file another run moved first (or took
before this run read it) is not an error.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from payctl.errors import InputError

# What a bank file is called (the content decides the format; these only pick the files).
EXTENSIONS = frozenset(
    {
        ".xml",
        ".camt",
        ".053",
        ".054",
        ".sta",
        ".mt940",
        ".940",
        ".txt",
        ".ofx",
        ".qfx",
        ".csv",
        ".tsv",
        ".xlsx",
        ".xls",
        ".jsonl",
    }
)


def directory_files(folder: Path) -> list[str]:
    """The regular files of ``folder`` with a bank file's extension, hidden files (a transfer
    still being written, by convention) left out, in name order."""
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        raise InputError(f"cannot read directory {folder}: {exc.strerror or exc}") from None
    names = [
        e.name
        for e in entries
        if not e.name.startswith(".") and Path(e.name).suffix.lower() in EXTENSIONS and e.is_file()
    ]
    return [str(folder / name) for name in sorted(names)]


def expand(files: Sequence[str]) -> tuple[list[str], set[str]]:
    """The files to import: each directory replaced by its bank files (in name order); and
    which of them came from a directory."""
    out: list[str] = []
    listed: set[str] = set()
    for file in files:
        path = Path(file)
        if file != "-" and path.is_dir():
            found = directory_files(path)
            out += found
            listed.update(found)
        else:
            out.append(file)
    return out, listed


def check_folder(folder: str | None, option: str) -> Path | None:
    """The folder an option names, which must be an existing directory (exit 2 otherwise)."""
    if folder is None:
        return None
    path = Path(folder)
    if not path.is_dir():
        raise InputError(f"{option} {folder}: no such directory; create it first")
    return path


def move_to(file: str, folder: Path) -> str | None:
    """Move ``file`` into ``folder`` under its own name (``NAME.1``, ``NAME.2``... when a file
    of that name is there already); where it went, or None when it was gone (another run moved
    it first). OSError when it cannot be moved."""
    source = Path(file)
    for n in range(0, 1000):
        target = folder / (source.name if n == 0 else f"{source.name}.{n}")
        if target.exists():
            continue
        try:
            os.rename(source, target)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            if not source.exists():
                return None
            try:
                shutil.move(source, target)  # another file system: copy, then remove
            except FileNotFoundError:
                return None
        return str(target)
    raise OSError(errno.EEXIST, f"{folder} already holds 1000 files named {source.name}")

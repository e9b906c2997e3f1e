"""Which reader a bank file needs, told from its content (``--input-format`` overrides).

Each reader module's ``sniff(head)`` is asked in a fixed order, most specific first: camt
(XML with a BkToCstmr... element), OFX, MT940, XLSX (a zip or OLE2 workbook), CSV (anything
tabular, so last). Modules are imported by name when asked, so a reader that is not installed
does not break detection of the others.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from payctl.errors import InputError
from payctl.importers.bank import BankFileError

MODULES = {
    "camt": "payctl.importers.camt",
    "ofx": "payctl.importers.ofx",
    "mt940": "payctl.importers.mt940",
    "xlsx": "payctl.importers.xlsx",
    "csv": "payctl.importers.csvfile",
    "jsonl": "payctl.importers.jsonl",  # only by name: `payctl import -` (JSON lines on stdin)
}
ORDER = ("camt", "ofx", "mt940", "xlsx", "jsonl", "csv")
ALIASES = {
    "camt053": "camt",
    "camt054": "camt",
    "camt.053": "camt",
    "camt.054": "camt",
    "qfx": "ofx",
    "sta": "mt940",
    "mt-940": "mt940",
    "xls": "xlsx",
    "excel": "xlsx",
}
HEAD_BYTES = 8192
CHOICES = "camt|mt940|ofx|csv|xlsx|jsonl"


def _load(name: str) -> ModuleType | None:
    """The reader module, or None when it is not there (another reader may be missing)."""
    module = MODULES[name]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise


def detect(data: bytes, source: str) -> str:
    """The format name of ``data`` (read from ``source``), or BankFileError."""
    head = data[:HEAD_BYTES]
    if not data.strip():
        raise BankFileError(f"{source}: the file is empty")
    for name in ORDER:
        module = _load(name)
        if module is not None and module.sniff(head):
            return name
    raise BankFileError(f"cannot tell the format of {source}: use --input-format {CHOICES}")


def reader_for(format_name: str) -> ModuleType:
    """The reader module for a format name (``camt``, ``ofx``, ``mt940``, ``csv``, ``xlsx``)."""
    key = format_name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in MODULES:
        raise InputError(f"unknown input format {format_name!r}: use {CHOICES}")
    module = _load(key)
    if module is None:
        raise InputError(f"the {key} reader is not available in this version of payctl")
    return module

"""How a user writes an id: ``42`` or ``#42``."""

from __future__ import annotations


def id_digits(text: str | int) -> str | None:
    """The digits of an id as a user wrote it (``42``, ``#42``), or None when it is not one."""
    digits = str(text).strip().lstrip("#")
    return digits if digits.isascii() and digits.isdigit() else None

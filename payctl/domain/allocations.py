"""The allocation spec users write: ``INV-1=100.00;INV-2=50.00``."""

from __future__ import annotations

from payctl.errors import InputError


def parse_allocation_spec(text: str, field: str = "allocations") -> list[tuple[str, str]]:
    """Split into (invoice, amount) pairs; amounts stay strings for the currency-aware parser."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        invoice, sep, amount = part.rpartition("=")
        if not sep or not invoice.strip() or not amount.strip():
            raise InputError(
                f"{field}: {part!r} is not INVOICE=AMOUNT (e.g. INV/2026/0001=1190.00)"
            )
        out.append((invoice.strip(), amount.strip()))
    return out

"""The allocation spec users write: ``INV-1=100.00;INV-2=50.00``."""

from __future__ import annotations

from payctl.errors import InputError


def parse_allocation(
    part: str, field: str = "allocations", *, amount_required: bool = True
) -> tuple[str, str | None]:
    """One ``INVOICE=AMOUNT`` as (invoice, amount); the amount stays a string for the
    currency-aware parser. The last ``=`` separates them: an amount never holds one, an invoice
    number may (``INV=7=100.00`` is invoice ``INV=7``). Without ``amount_required`` a bare
    ``INVOICE`` (no ``=``) gives (invoice, None)."""
    text = part.strip()
    invoice, sep, amount = text.rpartition("=")
    if not sep and not amount_required and text:
        return text, None
    if not sep or not invoice.strip() or not amount.strip():
        example = "INV/2026/0001=1190.00"
        raise InputError(
            f"{field}: {part!r} is not INVOICE=AMOUNT (e.g. {example})"
            if amount_required
            else f"{field}: {part!r} is not INVOICE or INVOICE=AMOUNT (e.g. {example})"
        )
    return invoice.strip(), amount.strip()


def parse_allocation_spec(text: str, field: str = "allocations") -> list[tuple[str, str]]:
    """Split ``INV-1=100.00;INV-2=50.00`` into (invoice, amount) pairs."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        invoice, amount = parse_allocation(part, field)
        assert amount is not None  # required
        out.append((invoice, amount))
    return out

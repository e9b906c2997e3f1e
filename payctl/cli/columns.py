"""What a table column holds, and how wide it may be: the one rule every table follows.

A column's *kind* comes from its key (:data:`KINDS`; a key a command marks ``right`` is an
amount or count):

- ``amount`` (money) and ``number`` (counts, line numbers): right-aligned, never wrapped nor cut;
- ``date`` and ``code`` (ids, payment and invoice numbers, journal codes, currencies): never
  wrapped nor cut;
- ``text`` (partner names, references, bank texts, reasons…): one line, shortened with an
  ellipsis when the table is wider than the console;
- ``wrap`` (messages, errors, anything not listed): folded over lines, never lost.

When the table is wider than the console (:func:`plan`): the text columns shrink (to
:data:`MIN_TEXT`) and long headers take two lines, then the table drops its borders, then the
columns of :data:`DROP` go, in that order (the command says which on stderr), then the space
between columns narrows; at worst long header words are shortened. A table that still does
not fit is shown as one record per row. Amounts, dates and numbers stay whole.

A list of money (``totals``) shows the outbound amounts of a list that mixes directions
(payments, invoices) negative and ends with a total per currency, in integer minor units
(:mod:`payctl.domain.money`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from rich.cells import cell_len

AMOUNT, NUMBER, DATE, CODE, TEXT, WRAP = "amount", "number", "date", "code", "text", "wrap"
FIXED = frozenset({AMOUNT, NUMBER, DATE, CODE})  # never wrapped, never cut

_AMOUNTS = (
    "amount allocated unallocated total residual writeoff invoice_residual debit credit "
    "balance opening debits credits closing not_due credit_notes money_in money_out net"
)
_NUMBERS = (
    "count line lines_read duplicates changed new_lines payments_created payments_confirmed "
    "reconciled to_review unmatched pending last_acked_id"
)
_DATES = "date due_date from to month occurred_at created_at updated_at confirmed_at as_of"
_CODES = (
    "id number invoice entry document reverses code currency journal item before after "
    "status format iban ibans vat role row section key account"
)
_TEXTS = (
    "partner name account_name reference memo counterparty text reason best description "
    "email actor object kind type state file matched period settles destination"
)
KINDS: dict[str, str] = {
    **dict.fromkeys(_AMOUNTS.split(), AMOUNT),
    **dict.fromkeys(_NUMBERS.split(), NUMBER),
    **dict.fromkeys(_DATES.split(), DATE),
    **dict.fromkeys(_CODES.split(), CODE),
    **dict.fromkeys(_TEXTS.split(), TEXT),
}
MIN_TEXT = 10  # a text column shrinks to this (or its own width, when narrower)
ABBREVIATED = 6  # at worst, a header is shortened to this (or its values' width)
# The columns a table too wide for the console leaves out first, in order (what the others
# already say: the sign of an amount says its direction).
DROP = (
    "allocated",
    "journal",
    "type",
    "reference",
    "memo",
    "due_date",
    "best",
    "reverses",
    "entry",
)


def kind(key: str, right: Sequence[str] = ()) -> str:
    """The kind of the column ``key``: the one rule, for every table."""
    found = KINDS.get(key)
    if found is None and key in right:
        return AMOUNT
    return found or WRAP


def is_right(key: str, right: Sequence[str] = ()) -> bool:
    return key in right or kind(key, right) in (AMOUNT, NUMBER)


@dataclass(frozen=True)
class Plan:
    """The columns a table shows (indexes into its columns), their widths, and its box:
    0 the usual borders, 1 none (two cells between columns), 2 none and one cell between."""

    shown: list[int]
    widths: list[int]
    style: int


_CHROME = (
    lambda n: 3 * n + 1,  # HEAVY_HEAD: a border and two cells of padding per column
    lambda n: 2 * (n - 1),  # borderless, a space and a cell of padding between columns
    lambda n: n - 1,  # borderless, a space between columns
)


def _fit(
    shown: list[int], natural: Sequence[int], floors: Sequence[int], style: int, width: int
) -> Plan | None:
    """The widths of ``shown`` within ``width``, taking from the widest first; None if the
    floors do not fit."""
    widths = [natural[i] for i in shown]
    excess = sum(widths) + _CHROME[style](len(shown)) - width
    while excess > 0:
        room = [w - floors[i] for w, i in zip(widths, shown, strict=True)]
        widest = max(range(len(widths)), key=lambda j: (room[j] > 0, widths[j]))
        if room[widest] <= 0:
            return None
        widths[widest] -= 1
        excess -= 1
    return Plan(shown, widths, style)


def plan(
    keys: Sequence[str],
    natural: Sequence[int],
    floors: Sequence[int],
    values: Sequence[int],
    kinds: Sequence[str],
    width: int,
) -> Plan | None:
    """Fit columns of ``natural`` widths into ``width`` cells: borders first, then the
    :data:`DROP` columns, then the space between columns; text down to :data:`MIN_TEXT`
    (``floors``: what a column cannot go under, its widest value or word of its header; as a
    last resort its widest value, ``values``). None: no table of these columns fits, the
    rows are to be shown one by one as records, every value whole."""
    texts = [
        f if k in FIXED else min(n, MIN_TEXT)
        for n, f, k in zip(natural, floors, kinds, strict=True)
    ]
    shown = list(range(len(keys)))
    attempts = [(list(shown), 0), (list(shown), 1)]
    for key in DROP:
        if key in keys and len(shown) > 1:
            shown.remove(keys.index(key))
            attempts.append((list(shown), 1))
    attempts.append((shown, 2))
    for columns, style in attempts:
        found = _fit(columns, natural, texts, style, width)
        if found is not None:
            return found
    # Still too wide: long header words shortened (to ABBREVIATED) over narrower values,
    # text down to half; else no table (the rows as records).
    least = [
        min(f, max(v, ABBREVIATED)) if k in FIXED else n
        for n, f, v, k in zip(natural, floors, values, kinds, strict=True)
    ]
    last = [
        m if k in FIXED else min(n, MIN_TEXT // 2)
        for n, m, k in zip(natural, least, kinds, strict=True)
    ]
    return _fit(shown, least, last, 2, width)


def label_column(keys: Sequence[str], right: Sequence[str] = ()) -> str:
    """Where a totals row says "Total": the first text column a narrow table keeps."""
    texts = [k for k in keys if kind(k, right) == TEXT and k not in DROP]
    return texts[0] if texts else keys[0]


def widths(
    headers: Sequence[str], body: Sequence[Sequence[str]]
) -> tuple[list[int], list[int], list[int]]:
    """Each column's natural width (its widest cell, header included), its floor (its
    widest value, or the longest word of its header: a header may take two lines) and its
    widest value."""
    values = [0] * len(headers)
    for row in body:
        values = [max(w, cell_len(c)) for w, c in zip(values, row, strict=True)]
    natural = [max(v, cell_len(h)) for v, h in zip(values, headers, strict=True)]
    words = [max((cell_len(w) for w in h.split()), default=0) for h in headers]
    floors = [max(v, w, 1) for v, w in zip(values, words, strict=True)]
    return natural, floors, [max(v, 1) for v in values]


# --- lists of money: signs by direction, totals per currency ------------------------------


def _outbound(row: dict[str, Any]) -> bool:
    """A payment that pays money out, an invoice whose settlement does (a vendor bill, a
    customer credit note): the domain's rule of direction."""
    from payctl.domain.enums import INBOUND_INVOICE_TYPES, InvoiceType, PaymentType, is_inbound

    value = row.get("type")
    if not isinstance(value, str):
        return False
    if value in {t.value for t in PaymentType}:
        return not is_inbound(value)
    if value in {t.value for t in InvoiceType}:
        return value not in INBOUND_INVOICE_TYPES
    return False


def _minor(value: Any, currency: str) -> int | None:
    from payctl.domain.money import to_minor
    from payctl.errors import PayctlError

    if value is None or value == "":
        return None
    try:
        return to_minor(Decimal(str(value)), currency)
    except (InvalidOperation, ValueError, ArithmeticError, PayctlError):
        return None


def signed(data: Sequence[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """The rows with the amounts of outbound ones negative (a copy; the data is untouched)."""
    from payctl.domain.money import format_amount

    out = []
    for row in data:
        currency = row.get("currency")
        if currency and _outbound(row):
            row = dict(row)
            for key in keys:
                minor = _minor(row.get(key), currency)
                if minor is not None:
                    row[key] = format_amount(-minor, currency)
        out.append(row)
    return out


def totals(
    data: Sequence[dict[str, Any]], keys: Sequence[str], label_key: str, label: str
) -> list[dict[str, Any]]:
    """One row per currency (in order of appearance) with the sum of each amount column;
    amounts of different currencies are never added."""
    from payctl.domain.money import format_amount

    sums: dict[str, dict[str, int]] = {}
    for row in data:
        currency = row.get("currency")
        if not currency:
            continue
        per = sums.setdefault(currency, {})
        for key in keys:
            minor = _minor(row.get(key), currency)
            if minor is not None:
                per[key] = per.get(key, 0) + minor
    return [
        {
            label_key: label,
            "currency": currency,
            **{k: format_amount(v, currency) for k, v in per.items()},
        }
        for currency, per in sums.items()
    ]

"""The open items one import matches against, held column-wise.

An import holds every open invoice of the books (500,000 in the million-line benchmark). As
objects (a slotted dataclass each, with its own id, residual and number) they took ~230 bytes
an item; here each fact is a machine integer in an array, the numbers one list, and an
`OpenItem` is made only for an item a line's rules look at. Pure: rows in, facts out.

Positions are the items in age order ("oldest first": by date, then id, the order matching
uses everywhere), so comparing two positions is comparing the items' ages.
"""

from __future__ import annotations

import datetime as dt
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from payctl.domain.enums import InvoiceType

TYPES = tuple(InvoiceType)
TYPE_CODE = {t: n for n, t in enumerate(TYPES)}


class OpenItem(NamedTuple):
    """One open item as the rules see it: a snapshot (its residual when it was read)."""

    id: int
    number: str
    partner_id: int
    type: InvoiceType
    residual: int
    currency: str
    date: dt.date


def _age_key(ids: array[int], days: array[int]) -> Callable[[int], int]:
    return lambda k: (days[k] << 40) | ids[k]


def _reordered(column: array[int], order: list[int]) -> array[int]:
    return array(column.typecode, (column[k] for k in order))


class ReadRows:
    """Open items' facts in the order they were read; rows may come in parts (a database
    cursor's partitions), so the rows themselves are never all held at once."""

    def __init__(self) -> None:
        self.ids, self.numbers, self.partners = array("q"), list[str](), array("q")
        self.types, self.residuals = array("B"), array("q")
        self.currency_code: dict[str, int] = {}
        self.currencies, self.days = array("H"), array("l")

    def add(self, rows: Iterable[Sequence[Any]]) -> ReadRows:
        """Rows of (id, number, partner_id, type, residual, currency, date)."""
        code = self.currency_code
        for id_, number, partner, kind, residual, currency, day in rows:
            if not 0 <= id_ < 1 << 40:
                raise ValueError(f"open item id {id_} is not between 0 and 2**40")
            self.ids.append(id_)
            self.numbers.append(number)
            self.partners.append(partner)
            self.types.append(TYPE_CODE[kind])
            self.residuals.append(residual)
            self.currencies.append(code.setdefault(currency, len(code)))
            self.days.append(day.toordinal())
        return self


class OpenItems(Mapping[int, OpenItem]):
    """Open items by invoice id, in age order; residuals lowered as decisions consume them.

    Rows are (id, number, partner_id, type, residual, currency, date), in any order: the
    same rows give the same positions on every machine. Given a `ReadRows`, the items take
    its columns (it is left empty)."""

    def __init__(self, rows: Iterable[Sequence[Any]] | ReadRows) -> None:
        read = rows if isinstance(rows, ReadRows) else ReadRows().add(rows)
        # One integer per item orders them by (date, id): ids are below 2**40 (the key's
        # low bits).
        order = sorted(range(len(read.ids)), key=_age_key(read.ids, read.days))
        # Each column reordered and the read one let go before the next (the peak while
        # building is one column more than the items, not twice the items).
        self.ids, read.ids = _reordered(read.ids, order), array("q")
        self.days, read.days = _reordered(read.days, order), array("l")
        self.partners, read.partners = _reordered(read.partners, order), array("q")
        self.types, read.types = _reordered(read.types, order), array("B")
        self.residuals, read.residuals = _reordered(read.residuals, order), array("q")
        self.currencies, read.currencies = _reordered(read.currencies, order), array("H")
        numbers, read.numbers = read.numbers, []
        self.numbers: list[str] = [numbers[k] for k in order]
        del numbers
        self.currency_names = list(read.currency_code)
        self.currency_code = read.currency_code
        # id -> position by bisection: a dict of 500,000 ints would take ~45 MB.
        by_id = sorted(range(len(self.ids)), key=self.ids.__getitem__)
        self._sorted_ids = array("q", (self.ids[k] for k in by_id))
        self._positions = array("l", by_id)
        for a, b in zip(self._sorted_ids, self._sorted_ids[1:], strict=False):
            if a == b:
                raise ValueError(f"open item {a} given twice")

    # ---------------------------------------------------------------- look-ups
    def position(self, invoice_id: int) -> int | None:
        ids = self._sorted_ids
        i = bisect_left(ids, invoice_id)
        if i < len(ids) and ids[i] == invoice_id:
            return self._positions[i]
        return None

    def at(self, k: int) -> OpenItem:
        """The item at position ``k``, with its residual as it stands."""
        return OpenItem(
            self.ids[k],
            self.numbers[k],
            self.partners[k],
            TYPES[self.types[k]],
            self.residuals[k],
            self.currency_names[self.currencies[k]],
            dt.date.fromordinal(self.days[k]),
        )

    def known_position(self, invoice_id: int) -> int:
        """:meth:`position` of an id that must be an item's (KeyError otherwise)."""
        k = self.position(invoice_id)
        if k is None:
            raise KeyError(invoice_id)
        return k

    def __getitem__(self, invoice_id: int) -> OpenItem:
        return self.at(self.known_position(invoice_id))

    def __iter__(self) -> Iterator[int]:
        """Invoice ids, oldest item first."""
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    # ---------------------------------------------------------------- changes
    def lower(self, invoice_id: int, amount: int) -> None:
        """A decision settles ``amount`` of the item (an unknown id is not ours to lower)."""
        k = self.position(invoice_id)
        if k is not None:
            self.residuals[k] -= amount

    def residuals_now(self) -> Residuals:
        """A copy of the residuals as they stand, by invoice id, that can be lowered apart."""
        return Residuals(self)


class Residuals:
    """Residuals by invoice id, copied from open items (8 bytes an item, not a dict entry)."""

    __slots__ = ("_items", "_values")

    def __init__(self, items: OpenItems) -> None:
        self._items = items
        self._values = array("q", items.residuals)

    def __getitem__(self, invoice_id: int) -> int:
        return self._values[self._items.known_position(invoice_id)]

    def __setitem__(self, invoice_id: int, value: int) -> None:
        self._values[self._items.known_position(invoice_id)] = value

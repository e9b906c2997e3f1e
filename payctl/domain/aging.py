"""Aging buckets: which column of an aged receivables/payables report an open item falls in.

Pure: the bucket limits a user gives (``--buckets 30,60,90``) become ``Bucket`` ranges of days
overdue, and each range becomes the window of due dates it covers as of a day, so a database
query can sort items with plain date comparisons (no date arithmetic, which SQLite and
PostgreSQL spell differently). Days overdue count from the due date, or the invoice date when
an item has none; an item due on the report's day or later is not yet due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from payctl.errors import InputError

DEFAULT_LIMITS = (30, 60, 90)
NOT_DUE = "not_due"
_MAX_DAYS = 100_000  # beyond any date payctl books (1900-2199)


@dataclass(frozen=True)
class Bucket:
    """Items ``first`` to ``last`` days overdue (``last`` None: no upper limit)."""

    first: int
    last: int | None

    @property
    def key(self) -> str:
        """Its column name in JSON and CSV: ``days_1_30``, ``days_over_90``."""
        if self.last is None:
            return f"days_over_{self.first - 1}"
        return f"days_{self.first}_{self.last}"

    @property
    def label(self) -> str:
        """Its column heading in a table: ``1-30``, ``>90``."""
        return f">{self.first - 1}" if self.last is None else f"{self.first}-{self.last}"

    def due_window(self, as_of: dt.date) -> tuple[dt.date | None, dt.date]:
        """The due dates (earliest or None, latest) of the items in this bucket on ``as_of``."""
        latest = as_of - dt.timedelta(days=self.first)
        if self.last is None:
            return None, latest
        return as_of - dt.timedelta(days=self.last), latest


def parse_buckets(text: str | None, option: str = "--buckets") -> list[Bucket]:
    """``"30,60,90"`` -> 1-30, 31-60, 61-90, >90. The limits must be whole numbers of days,
    each larger than the one before; anything else is refused naming ``option``."""
    if text is None:
        limits = list(DEFAULT_LIMITS)
    else:
        parts = [p.strip() for p in text.split(",")]
        if not text.strip() or any(not p.isdigit() or not p.isascii() for p in parts):
            raise InputError(
                f"{option}: {text!r} is not a list of whole numbers of days such as 30,60,90"
            )
        limits = [int(p) for p in parts]
    previous = 0
    for limit in limits:
        if limit <= previous or limit > _MAX_DAYS:
            raise InputError(
                f"{option}: {text!r}: each limit must be larger than the one before it, "
                f"from 1 to {_MAX_DAYS} days (such as 30,60,90)"
            )
        previous = limit
    firsts = [1, *(limit + 1 for limit in limits)]
    lasts: list[int | None] = [*limits, None]
    return [Bucket(first, last) for first, last in zip(firsts, lasts, strict=True)]

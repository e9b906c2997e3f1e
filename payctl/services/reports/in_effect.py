"""The one rule of which payments counted on a past day (aging as of a date).

A payment counts on day D when one of its own entries (source ``payment``, not a reversal)
is dated on or before D and was not reversed by an entry dated on or before D. So a payment
posted on 10 March and reset (or cancelled) on 2 April counted from 10 March to 1 April; one
confirmed again counts again from its new entry's date. Entry dates are the ledger's: a
payment's entry carries the payment date, its reversal the day of the reset or cancel. What a
counting payment settled is taken from its allocations as they are now (the ledger records
the partner's total, not the split per invoice): allocations changed while a payment was a
draft between two confirms are read as the later ones, and a write-off that a reset cleared is
not known any more (its invoice shows that difference as still open on those days).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import aliased

from payctl.db.models import JournalEntry, Payment
from payctl.domain.enums import PaymentState

PAYMENT_SOURCE = "payment"


def counted(as_of: dt.date | None, payment: Any = Payment) -> ColumnElement[bool]:
    """SQL condition: ``payment`` counted on ``as_of`` (None: now, i.e. it is posted).

    The payments counted on a past day are one uncorrelated subquery, read once (never a
    lookup per payment), its "not reversed by then" an anti-join (a left join on the reversals
    dated by then, keeping the entries without one): an ``OR`` over the outer join made
    PostgreSQL's planner expect one row and loop over it per invoice."""
    if as_of is None:
        return payment.state == PaymentState.POSTED
    entry, reversal = aliased(JournalEntry), aliased(JournalEntry)
    ids = (
        select(entry.payment_id)
        .outerjoin(reversal, and_(reversal.id == entry.reversed_by_id, reversal.date <= as_of))
        .where(
            entry.date <= as_of,
            entry.source_type == PAYMENT_SOURCE,
            entry.reversal_of_id.is_(None),
            reversal.id.is_(None),  # an anti-join: not reversed by then
        )
    )
    return payment.id.in_(ids)

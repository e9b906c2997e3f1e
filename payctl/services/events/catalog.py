"""The event types payctl publishes and the shape of their payloads.

Every event is one row of the outbox (``events``) and one message on a broker:

    {"id": 42, "type": "payment.confirmed", "schema": 1,
     "occurred_at": "2026-12-06T19:00:00.123456Z", "actor": "alice",
     "object": {"type": "payment", "id": 7, "number": "BNK1/2026/00007"},
     "data": {...}}

``data`` is the object as payctl's ``--format json`` shows it: amounts as decimal strings next
to their ``currency``, dates ISO 8601, names next to ids (``partner_id`` and ``partner``).
``schema`` is the version of this shape: a change that could break a consumer raises it.
README.md ("Events") documents every type and its data field by field.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

# What each payment action of the audit trail (PaymentService.record) is as an event.
PAYMENT_ACTIONS = {
    "create": "payment.created",
    "update": "payment.updated",
    "delete": "payment.deleted",
    "confirm": "payment.confirmed",
    "reset": "payment.reset",
    "cancel": "payment.cancelled",
    "allocate": "payment.allocation_changed",
    "unallocate": "payment.allocation_changed",
}

TYPES = (
    *dict.fromkeys(PAYMENT_ACTIONS.values()),
    "invoice.created",
    "invoice.paid",
    "invoice.reopened",
    "bank_statement.imported",
    "bank_line.matched",
    "bank_line.booked",
    "bank_line.unmatched",
    "bank_line.ignored",
    "lock_date.moved",
)

"""The event types payctl publishes and the shape of their payloads.

Every event is one row of the outbox (``events``) and one message on a broker:

    {"id": 42, "type": "payment.confirmed", "schema": 1,
     "occurred_at": "2026-12-06T19:00:00.123456Z", "actor": "alice",
     "object": {"type": "payment", "id": 7, "number": "BNK1/2026/00007"},
     "data": {...}}

``data`` is the object as payctl's ``--format json`` shows it: amounts as decimal strings next
to their ``currency``, dates ISO 8601, names next to ids (``partner_id`` and ``partner``).
``schema`` is the version of this shape: a change that could break a consumer raises it.
README.md ("Events") documents every type and its data field by field. Bank statements and
lines have no number: their ``object.number`` is null.

The data of each type (schema 1). Every ``*_id`` of a partner, journal, invoice or payment has
its name beside it (``partner``, ``journal``, ``invoice``, ``payment``: the partner's name, the
journal's code, the invoice's or payment's number), added when the event is written.

- ``payment.created|updated|deleted|confirmed|reset|cancelled|allocation_changed``: the payment
  after the change (before it, for ``deleted``): ``id, number, type, state, partner_id,
  journal_id, amount, currency, date, reference, memo, allocations`` (a list of ``invoice_id,
  amount``); a transition adds ``previous_state``, an update or allocation change ``changed``
  (the names of the fields that changed), and any change made with a reason ``reason``.
- ``invoice.created|paid|reopened``: ``id, number, type, state, partner_id, currency, total,
  residual, date, due_date``; ``paid`` (residual reached zero) and ``reopened`` (it left zero)
  add ``payment_id``, the payment whose posting, reset or cancellation did it.
- ``bank_statement.imported``: ``id, journal_id, account, currency, opening_balance,
  closing_balance, opening_date, closing_date, file, lines`` and the counts ``matched, booked,
  review, ignored`` of its lines. One per statement an import stores (a file can hold several),
  or stores new lines in (the same bytes read again through another profile or format); none
  for a file that adds nothing, nor for a dry run. ``file`` is the file's name as the import
  was given it (``<stdin>`` for standard input). ``lines`` is the number of lines the import
  stored in the statement (lines of the file stored before are not its lines), counted by
  outcome: ``booked`` (a payment was made from the line), ``matched`` (reconciled with an
  existing payment), ``review`` (left for a person) and ``ignored`` (an import ignores none:
  0). Balances and dates are null when the file gives none. Written after its lines' events.
- ``bank_line.matched`` (reconciled with an existing payment), ``bank_line.booked`` (a payment
  was made from it), ``bank_line.unmatched``, ``bank_line.ignored``: ``id, statement_id,
  journal_id, booking_date, value_date, amount, currency, counterparty_name,
  counterparty_account, remittance, state, link, rule, payment_id, partner_id, reason``: the
  line after the change (``amount`` signed: money in is positive; ``reason`` the line's, as
  `payctl review list` shows it). Every change of a line writes exactly one event, named for
  what the change leaves it as: an import writes one per new line it matches or books, none
  for the lines it leaves in review (they are no change beyond their statement's import, whose
  event counts them); each review command that succeeds writes one: ``review accept`` matched
  or booked (from review or ignored), ``review ignore`` ignored (a line already ignored too:
  its reason changed), ``review unmatch`` unmatched (back in review; its ``link`` and
  ``payment_id`` are then null, and the payment's own event says what became of it). A
  refused command writes none. Lines never go from ignored back to review: accept one instead.
- ``lock_date.moved``: ``lock_date, previous_lock_date, forced``, and ``reason`` when given.
- ``bank_statement.deleted``: ``id, journal_id, account, currency, opening_balance,
  closing_balance, opening_date, closing_date, file, lines`` (the number of lines deleted with
  it), and ``reason`` when given: `payctl statement delete` undid its import.
- ``journal.updated``: ``code, name, currency, iban, bank_account_number, account,
  outstanding_receipts_account, outstanding_payments_account`` after the change (accounts by
  code), ``changed`` (the names of the fields that changed), and ``reason`` when given.
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
    "bank_statement.deleted",
    "bank_line.matched",
    "bank_line.booked",
    "bank_line.unmatched",
    "bank_line.ignored",
    "lock_date.moved",
    "journal.updated",
)

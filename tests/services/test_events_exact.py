"""The exact rows an import writes to the outbox and the audit trail (issue 12), on every
backend: event types, order of ids, payload text and the hash-chained audit records must be
byte for byte what they were before the writers learned to write ahead of the commit in chunks
(services/events/outbox.py, services/ledger/audit.py).

The expected rows (tests/data/import_rows.json) were written by the writers that kept
everything until commit (main at f891729), with the clock of both writers frozen. The test
imports in small booking chunks and with the writers' chunks made tiny, so every path of the
write-ahead runs: lines and payments written ahead, a draft's number that must wait for its
confirmation in the same import, the rest at commit. Regenerate (only when the payload schema
changes on purpose): PAYCTL_WRITE_EXPECTED=1 pytest tests/services/test_events_exact.py.
"""

from __future__ import annotations

from payctl.services.bank import bank_extract_service
from tests.services.exact_rows import (
    AUDIT_COLUMNS,
    EVENT_COLUMNS,
    assert_chain_verifies,
    assert_rows_are,
    freeze_writers,
    read_rows,
)
from tests.services.test_bank_import import (  # noqa: F401 - _integrity is an autouse fixture
    ACME_IBAN,
    GLOBEX_IBAN,
    _integrity,
    books,
    csv_bytes,
    imp,
    row,
)

FIRST = [
    row("1190.00", text="Invoice INV 2026 0001", name="ACME GmbH", tx="A1"),
    row("800.00", day="2026-02-04", iban=GLOBEX_IBAN, name="Globex", text="G-100", tx="A2"),
    row("-3.50", text="fee", tx="A3"),
    row("500.00", text="INV-2026-0002 Straße €", name="ACME GmbH", tx="A4"),
    row("12.34", text="nothing known", name="Somebody", tx="A5"),
    row("300.00", day="2026-02-05", iban=ACME_IBAN, text="INV-2026-0003", tx="A6"),
]
SECOND = [
    row("450.00", day="2026-02-06", text='BILL-1 "quoted"', name="Supplier BV", tx="B1"),
    row("-450.00", day="2026-02-06", text="BILL-1", name="Supplier BV", tx="B2"),
    row("99.99", day="2026-02-07", text="unknown", tx="B3"),
    row("25.00", day="2026-02-07", text="CN-1", name="ACME GmbH", tx="B4"),
]


async def test_an_import_writes_exactly_these_events_and_audit_records(db, monkeypatch):
    freeze_writers(monkeypatch, chunk=2)
    monkeypatch.setattr(bank_extract_service, "BOOK_CHUNK", 2)
    await books(db)
    await imp(db, csv_bytes(*FIRST), source="first.csv", auto_confirm=True)
    await imp(db, csv_bytes(*SECOND), source="second.csv")
    rows = await read_rows(db, {"events": EVENT_COLUMNS, "audit": AUDIT_COLUMNS})
    assert_rows_are(rows, "import_rows.json")
    await assert_chain_verifies(db)


async def test_a_file_read_in_chunks_writes_exactly_the_same_events_and_audit_records(
    db, monkeypatch
):
    """The same files imported a few rows at a time (bank_extract_service.STREAM_BYTES: the
    path of a large file): the same rows, byte for byte."""
    monkeypatch.setattr(bank_extract_service, "STREAM_BYTES", 0)
    monkeypatch.setattr(bank_extract_service, "STREAM_ROWS", 2)
    await test_an_import_writes_exactly_these_events_and_audit_records(db, monkeypatch)

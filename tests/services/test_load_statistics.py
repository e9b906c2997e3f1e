"""Bulk loads refresh PostgreSQL's planner statistics of the tables they loaded (issue 14,
point 9): `payctl invoice import` and `bulk create` of ANALYZE_MIN_ROWS rows or more end with
ANALYZE of their tables, inside their transaction; smaller loads and dry runs leave it to
autovacuum. ``last_analyze`` is set only by an explicit ANALYZE (autovacuum sets
``last_autoanalyze``), so these tests see payctl's own.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from payctl.db.engine import Database
from payctl.db.stats import ANALYZE_MIN_ROWS
from payctl.importers.records import SourceRow
from payctl.services.parties.invoice_service import InvoiceService
from payctl.services.payments.payment_service import PaymentService
from tests import factories


@pytest.fixture
def postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's; payctl runs no ANALYZE on SQLite")


async def analyzed(db: Database, *tables: str) -> dict[str, bool]:
    async with db.session() as s:
        rows = await s.execute(
            text(
                "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname = ANY(:names)"
            ),
            {"names": list(tables)},
        )
        return dict(rows.all())


@pytest.mark.parametrize("n", [ANALYZE_MIN_ROWS - 1, ANALYZE_MIN_ROWS])
async def test_invoice_import_analyzes_its_tables(
    postgresql_only: None, db: Database, session: Any, n: int
) -> None:
    await factories.customer(session)
    header = ["number", "partner", "amount", "date"]
    rows = [
        SourceRow(
            i + 2, dict(zip(header, [f"INV-{i}", "ACME GmbH", "10.00", "2026-01-05"], strict=True))
        )
        for i in range(n)
    ]
    assert await InvoiceService(session, "tester").import_invoices(rows, header, "i.csv")
    tables = ("invoices", "journal_entries", "journal_lines")
    bulk = n >= ANALYZE_MIN_ROWS
    assert await analyzed(db, *tables) == dict.fromkeys(tables, bulk)


@pytest.mark.parametrize("dry_run", [False, True])
async def test_bulk_create_analyzes_its_tables(
    postgresql_only: None, db: Database, session: Any, dry_run: bool
) -> None:
    await factories.customer(session)
    header = ["type", "partner", "journal", "amount", "date"]
    rows = [
        SourceRow(
            i + 2,
            dict(
                zip(
                    header,
                    ["customer_payment", "ACME GmbH", "BNK1", f"{i + 1}.00", "2026-02-01"],
                    strict=True,
                )
            ),
        )
        for i in range(ANALYZE_MIN_ROWS)
    ]
    result = await PaymentService(session, "tester").create_payments(
        rows, header, "p.csv", dry_run=dry_run
    )
    assert result.created == ANALYZE_MIN_ROWS
    tables = ("payments", "payment_allocations")
    assert await analyzed(db, *tables) == dict.fromkeys(tables, not dry_run)

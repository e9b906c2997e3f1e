"""the fewest indexes that serve the queries: payments lose two, bank lines by journal and date

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 02:00:00

Issue 12, point 3 (benchmarks/README.md, "Issue 12: indexes"): every index costs each insert
(an import of 100,000 lines inserts some 80,000 payments). Two of the payments' indexes serve
no query payctl runs:

- ``ix_payments_reference``: the only filter on ``reference`` is the text search of `payctl
  list --search`, a ``LIKE '%...%'`` (case-insensitive on SQLite) that no b-tree serves.
- ``ix_payments_journal_id``: a handful of journals hold all the payments, so ``journal_id =
  ?`` selects a large share of the table (PostgreSQL never chose it; SQLite, without
  statistics, would read most rows twice through it). The queries that filter by journal
  also filter by state (``ix_payments_state_type``), and journals are never deleted, so the
  foreign key needs no index.

And one that a slow query needed: the import's dedup reads a journal's lines in the file's
date range (``journal_id = ? AND booking_date BETWEEN ? AND ?``). SQLite chose the unique
(journal_id, fingerprint) index for it, reading every line of the journal (all its history)
to keep the few in the range; ``ix_bank_lines_journal_id_booking_date`` serves that range on
both backends and replaces ``ix_bank_lines_booking_date`` (every query on booking_date also
names the journal: reconciliation, transfers).

All are plain indexes: no data and no constraint change; the downgrade restores the old ones.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_payments_reference", table_name="payments")
    op.drop_index("ix_payments_journal_id", table_name="payments")
    op.drop_index("ix_bank_lines_booking_date", table_name="bank_lines")
    op.create_index(
        "ix_bank_lines_journal_id_booking_date", "bank_lines", ["journal_id", "booking_date"]
    )


def downgrade() -> None:
    op.drop_index("ix_bank_lines_journal_id_booking_date", table_name="bank_lines")
    op.create_index("ix_bank_lines_booking_date", "bank_lines", ["booking_date"], unique=False)
    op.create_index("ix_payments_journal_id", "payments", ["journal_id"], unique=False)
    op.create_index("ix_payments_reference", "payments", ["reference"], unique=False)

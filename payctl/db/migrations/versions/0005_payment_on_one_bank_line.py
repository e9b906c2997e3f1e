"""a payment is matched to one bank line at most

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 13:00:00

A bank line either created its payment or reconciled an existing one; either way the payment
belongs to that one line. Two lines holding one payment count its money twice (two imports
into different journals at once could do it, issue 14). The plain index on
bank_lines.payment_id becomes a unique one (NULLs, the lines without a payment, stay
distinct on both backends); SQLite swaps an index without rebuilding the table.

A database that already has a payment on several lines cannot take the index: the upgrade
stops, changes nothing, and names the lines to unmatch first.
"""

from __future__ import annotations

from collections import defaultdict

from alembic import op
from sqlalchemy import text

from payctl.errors import RuleViolation

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_LISTED = 5  # payments named in the refusal


def _refuse_duplicates() -> None:
    rows = (
        op.get_bind()
        .execute(
            text(
                "SELECT payment_id, id FROM bank_lines WHERE payment_id IN ("
                " SELECT payment_id FROM bank_lines WHERE payment_id IS NOT NULL"
                " GROUP BY payment_id HAVING count(*) > 1"
                ") ORDER BY payment_id, id"
            )
        )
        .all()
    )
    if not rows:
        return
    lines: dict[int, list[int]] = defaultdict(list)
    for payment_id, line_id in rows:
        lines[payment_id].append(line_id)
    named = [
        f"payment {pid} is on bank lines {', '.join(map(str, ids))}"
        for pid, ids in list(lines.items())[:_LISTED]
    ]
    more = f" and {len(lines) - _LISTED} more payments" if len(lines) > _LISTED else ""
    extra = [str(i) for ids in lines.values() for i in ids[1:]]
    raise RuleViolation(
        "schema 0005 allows a payment on one bank line only, but "
        + "; ".join(named)
        + more
        + ": nothing was changed. With the payctl version that wrote them, unmatch all lines "
        f"but one of each payment (payctl review unmatch {' '.join(extra[:10])}"
        + (" ..." if len(extra) > 10 else "")
        + "), then run `payctl init` again"
    )


def upgrade() -> None:
    _refuse_duplicates()
    op.drop_index("ix_bank_lines_payment_id", table_name="bank_lines")
    op.create_index("ix_bank_lines_payment_id", "bank_lines", ["payment_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_bank_lines_payment_id", table_name="bank_lines")
    op.create_index("ix_bank_lines_payment_id", "bank_lines", ["payment_id"], unique=False)

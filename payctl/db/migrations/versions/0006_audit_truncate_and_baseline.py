"""Audit trail: TRUNCATE blocked, and a baseline record of what the trail did not record yet.

PostgreSQL's row trigger of 0001 does not fire on TRUNCATE, so `TRUNCATE audit_log` wiped
the trail. A statement trigger refuses it. (SQLite has no TRUNCATE; its DELETE without WHERE
runs the row trigger, because SQLite's truncate optimisation is off for a table with one.)

Since 0006 `payctl check` compares posted payments, their entries and bank lines with the
trail (payctl/services/ledger/audit_match.py): a confirmation records the entry it posted, an
import a digest of each bank line. Older records have neither, so the upgrade appends one
``baseline`` record to the chain with the live entry of each posted payment and the digest
of each bank line as they stand now. Nothing when there is nothing to record (a new database).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

from payctl.services.ledger import audit

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_lines = sa.table(
    "bank_lines",
    sa.column("id", sa.Integer),
    sa.column("journal_id", sa.Integer),
    sa.column("fingerprint", sa.String),
    sa.column("booking_date", sa.Date),
    sa.column("amount", sa.BigInteger),
    sa.column("currency", sa.String),
)
_payments = sa.table("payments", sa.column("id", sa.Integer), sa.column("state", sa.String))
_entries = sa.table(
    "journal_entries",
    sa.column("id", sa.Integer),
    sa.column("number", sa.String),
    sa.column("payment_id", sa.Integer),
    sa.column("source_type", sa.String),
    sa.column("reversal_of_id", sa.Integer),
    sa.column("reversed_by_id", sa.Integer),
)
_journal_lines = sa.table(
    "journal_lines",
    sa.column("entry_id", sa.Integer),
    sa.column("account_id", sa.Integer),
    sa.column("partner_id", sa.Integer),
    sa.column("debit", sa.BigInteger),
    sa.column("credit", sa.BigInteger),
)
_log = sa.table(
    "audit_log",
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("user", sa.String),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.Integer),
    sa.column("payment_id", sa.Integer),
    sa.column("changes", sa.Text),
    sa.column("reason", sa.Text),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
_head = sa.table("audit_head", sa.column("id", sa.Integer), sa.column("last_hash", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION payctl_audit_append_only()"
        )
    _baseline(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")


def _baseline(bind: Any) -> None:
    head = bind.execute(sa.select(_head.c.last_hash).where(_head.c.id == 1)).scalar()
    if head is None:
        return  # not seeded yet: a new database, nothing recorded, nothing to record
    lines = {
        str(row[0]): audit.bank_line_digest(*row[1:])
        for row in bind.execute(
            sa.select(
                _lines.c.id,
                _lines.c.journal_id,
                _lines.c.fingerprint,
                _lines.c.booking_date,
                _lines.c.amount,
                _lines.c.currency,
            )
        )
    }
    posted = sa.select(_payments.c.id).where(_payments.c.state == "posted")
    by_entry: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in bind.execute(
        sa.select(
            _entries.c.payment_id,
            _entries.c.number,
            _journal_lines.c.account_id,
            _journal_lines.c.partner_id,
            _journal_lines.c.debit,
            _journal_lines.c.credit,
        )
        .join(_journal_lines, _journal_lines.c.entry_id == _entries.c.id)
        .where(
            _entries.c.payment_id.in_(posted),
            _entries.c.source_type == "payment",
            _entries.c.reversal_of_id.is_(None),
            _entries.c.reversed_by_id.is_(None),
        )
    ):
        by_entry[(row.payment_id, row.number)].append(row)
    entries = {
        str(pid): audit.entry_record(number, rows) for (pid, number), rows in by_entry.items()
    }
    if not lines and not entries:
        return
    at = dt.datetime.now(dt.UTC)
    changes = json.dumps(
        {"bank_lines": lines, "entries": entries},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    user, action, reason = "payctl init", "baseline", "schema 0006: what older records lack"
    digest = audit.record_hash(head, at, user, action, audit.BASELINE, None, None, changes, reason)
    bind.execute(
        _log.insert().values(
            at=at,
            user=user,
            action=action,
            object_type=audit.BASELINE,
            object_id=None,
            payment_id=None,
            changes=changes,
            reason=reason,
            prev_hash=head,
            hash=digest,
        )
    )
    bind.execute(_head.update().where(_head.c.id == 1).values(last_hash=digest))

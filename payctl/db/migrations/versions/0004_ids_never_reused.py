"""ids are never reused: SQLite tables get AUTOINCREMENT

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:30:00

Without AUTOINCREMENT SQLite gives a new row max(id) + 1, so the id of a deleted last row (a
deleted draft payment) went to the next new row: `bulk delete 16` repeated later deleted the
new payment 16 and `history 16` mixed two payments. This rebuilds every SQLite table that has
an integer id with AUTOINCREMENT, keeping its rows, indexes, triggers and foreign keys, and
seeds sqlite_sequence with the highest id ever handed out: the table's max(id) or, where the
last rows were deleted, the highest id the audit trail names for that table.

PostgreSQL needs nothing: its serial sequences never hand out a value twice.

The rebuild follows SQLite's documented procedure (https://sqlite.org/lang_altertable.html,
"Making Other Kinds Of Table Schema Changes"): with foreign keys off (payctl.db.schema sets
that before the transaction, where SQLite honours it), create the new table, copy, drop the
old one, rename, recreate indexes and triggers, then PRAGMA foreign_key_check.
"""

from __future__ import annotations

import re
from typing import Any

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = (
    "accounts",
    "journals",
    "partners",
    "partner_bank_accounts",
    "invoices",
    "payments",
    "payment_allocations",
    "journal_entries",
    "journal_lines",
    "sequences",
    "audit_log",
    "audit_head",
    "bank_statements",
    "bank_lines",
)

# How the audit trail names an entity (payctl/services/ledger/audit.py and its callers): by
# object_type + object_id, by the payment_id column (payments), or by an id key inside the
# JSON ``changes`` (a scalar, or [before, after] in an update's diff, possibly nested as in
# a flow record's "snapshot").
OBJECT_TYPES = {
    "payment": "payments",
    "bank_line": "bank_lines",
    "bank_statement": "bank_statements",
    "statement": "bank_statements",
    "partner": "partners",
    "invoice": "invoices",
    "journal_entry": "journal_entries",
    "journal": "journals",
    "account": "accounts",
}
CHANGE_KEYS = {
    "payment_id": "payments",
    "from_bank_line": "bank_lines",
    "bank_line_id": "bank_lines",
    "statement_id": "bank_statements",
    "partner_id": "partners",
    "invoice_id": "invoices",
    "entry_id": "journal_entries",
    "reconcile_entry_id": "journal_entries",
    "journal_id": "journals",
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "migration 0004 rebuilds tables and must run with SQLite foreign keys off: "
            "upgrade with `payctl init`"
        )
    floors = _highest_ids_in_audit_trail(bind)
    for table in TABLES:
        _rebuild_with_autoincrement(bind, table, floors.get(table, 0))
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise RuntimeError(f"rebuilding the tables broke a foreign key of {broken[0]}")


def downgrade() -> None:
    raise NotImplementedError("ids must never be reused: there is no way back from 0004")


def _highest_ids_in_audit_trail(bind: Any) -> dict[str, int]:
    floors: dict[str, int] = {}

    def seen(table: str | None, value: Any) -> None:
        if table is not None and isinstance(value, int):
            floors[table] = max(floors.get(table, 0), value)

    for object_type, top in bind.exec_driver_sql(
        "SELECT object_type, max(object_id) FROM audit_log GROUP BY object_type"
    ):
        seen(OBJECT_TYPES.get(object_type), top)
    seen("payments", bind.exec_driver_sql("SELECT max(payment_id) FROM audit_log").scalar())
    # Every integer inside ``changes``, grouped by its key (or, for the items of a
    # [before, after] list, by its parent's path). Allocations are keyed by invoice id: skipped
    # (invoices are never deleted, their max(id) covers them).
    keys = ", ".join(f"'{k}'" for k in CHANGE_KEYS)
    # json_tree spells the path to a key $.key or (SQLite 3.39+) $."key"
    under = " OR ".join(f"t.path GLOB '*.{k}' OR t.path GLOB '*.\"{k}\"'" for k in CHANGE_KEYS)
    for key, path, top in bind.exec_driver_sql(
        "SELECT t.key, t.path, max(t.value) FROM audit_log AS a, json_tree("
        "CASE WHEN json_valid(a.changes) THEN a.changes ELSE '{}' END) AS t "
        f"WHERE t.type = 'integer' AND (t.key IN ({keys}) OR {under}) "
        "GROUP BY t.key, t.path"
    ):
        name = key if isinstance(key, str) else path.rsplit(".", 1)[-1].strip('"')
        seen(CHANGE_KEYS.get(name), top)
    return floors


def _rebuild_with_autoincrement(bind: Any, table: str, floor: int) -> None:
    create = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar()
    if create is None:
        raise RuntimeError(f"table {table} is missing: this database was not built by payctl")
    if "AUTOINCREMENT" not in create.upper():
        pk = re.compile(rf"(CONSTRAINT\s+\"?pk_{table}\"?\s+PRIMARY\s+KEY\s*\(\s*id)(\s*\))", re.I)
        new_create, found = pk.subn(r"\1 AUTOINCREMENT\2", create)
        head = re.compile(rf"^CREATE\s+TABLE\s+\"?{table}\"?\s*\(", re.I)
        new_create, named = head.subn(f'CREATE TABLE "_new_{table}" (', new_create)
        if found != 1 or named != 1:
            raise RuntimeError(f"cannot read the primary key of table {table}: {create}")
        extras = [
            sql
            for (sql,) in bind.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN "
                "('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
                (table,),
            )
        ]
        columns = ", ".join(
            f'"{row[1]}"' for row in bind.exec_driver_sql(f'PRAGMA table_info("{table}")')
        )
        bind.exec_driver_sql(new_create)
        bind.exec_driver_sql(
            f'INSERT INTO "_new_{table}" ({columns}) SELECT {columns} FROM "{table}" ORDER BY id'
        )
        bind.exec_driver_sql(f'DROP TABLE "{table}"')  # its indexes and triggers go with it
        bind.exec_driver_sql(f'ALTER TABLE "_new_{table}" RENAME TO "{table}"')
        for sql in extras:
            bind.exec_driver_sql(sql)
    top = bind.exec_driver_sql(f'SELECT coalesce(max(id), 0) FROM "{table}"').scalar()
    seq = max(int(top), floor)
    bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
    bind.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, seq))

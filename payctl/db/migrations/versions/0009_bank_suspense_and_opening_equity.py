"""every bank line is booked: bank_lines.suspense_entry_id and the opening balance equity role

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:00:00

- ``bank_lines.suspense_entry_id``: the journal entry that holds an undecided line (review or
  ignored) in the bank suspense account (payctl/services/bank/suspense.py). NULL for lines
  decided, and for every line of a database upgraded from 0008: `payctl init` books the lines
  still undecided into suspense right after this migration (through the service layer, so the
  entries get their numbers from the journals' sequences like every other entry); `payctl
  check` names the lines still waiting for that.
- ``bank_lines.transfer_journal_id`` and ``transfer_line_id``: an internal transfer's other
  journal, and the line there it is paired with (payctl/services/bank/transfers.py).
- The account role ``internal_transfer`` (transfers on their way between two own journals;
  ``1095 Internal transfers`` in a chart without one) and the role ``opening_equity`` (the counterpart of a journal's opening balance, `payctl
  journal opening-balance`): the CHECK constraint of ``accounts.role`` takes the new value
  (SQLite rebuilds the table, following https://sqlite.org/lang_altertable.html, foreign keys
  off as payctl.db.schema runs every migration), and a chart without an account in that role
  gets ``3000 Opening balance equity``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_ROLES = (
    "bank",
    "cash",
    "outstanding_receipts",
    "outstanding_payments",
    "receivable",
    "payable",
    "bank_suspense",
    "sales",
    "purchases",
    "payment_differences",
)
NEW_ROLES = (*OLD_ROLES, "opening_equity", "internal_transfer")
CHECK = "ck_accounts_account_role"
FK = "fk_bank_lines_suspense_entry_id_journal_entries"
TRANSFER_FKS = (
    ("transfer_journal_id", "fk_bank_lines_transfer_journal_id_journals", "journals"),
    ("transfer_line_id", "fk_bank_lines_transfer_line_id_bank_lines", "bank_lines"),
)

_accounts = sa.table(
    "accounts",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("type", sa.String),
    sa.column("role", sa.String),
)


def _in_list(roles: tuple[str, ...]) -> str:
    return ", ".join(f"'{r}'" for r in roles)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql(
            "ALTER TABLE bank_lines ADD COLUMN suspense_entry_id INTEGER "
            f"CONSTRAINT {FK} REFERENCES journal_entries (id)"
        )
        for column, fk, table in TRANSFER_FKS:
            bind.exec_driver_sql(
                f"ALTER TABLE bank_lines ADD COLUMN {column} INTEGER "
                f"CONSTRAINT {fk} REFERENCES {table} (id)"
            )
        _sqlite_role_check(bind)
    else:
        op.add_column("bank_lines", sa.Column("suspense_entry_id", sa.Integer(), nullable=True))
        # op.f: the names as they are (the naming convention would prefix them again)
        op.create_foreign_key(
            op.f(FK), "bank_lines", "journal_entries", ["suspense_entry_id"], ["id"]
        )
        for column, fk, table in TRANSFER_FKS:
            op.add_column("bank_lines", sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(fk), "bank_lines", table, [column], ["id"])
        op.drop_constraint(op.f(CHECK), "accounts", type_="check")
        op.create_check_constraint(op.f(CHECK), "accounts", f"role IN ({_in_list(NEW_ROLES)})")
    _role_account(bind, "opening_equity", "Opening balance equity", "equity", "3000", "OB")
    _role_account(bind, "internal_transfer", "Internal transfers", "asset", "1095", "TR")


def _role_account(bind: Any, role: str, name: str, type_: str, code: str, tag: str) -> None:
    """A chart without an account in ``role`` gets one (``code``, else a tagged code)."""
    if bind.execute(sa.select(_accounts.c.code).where(_accounts.c.role == role)).first():
        return
    if not bind.execute(sa.select(_accounts.c.code).limit(1)).first():
        return  # never seeded: `payctl init` creates the whole chart
    taken = set(bind.execute(sa.select(_accounts.c.code)).scalars())
    free = next(c for c in (code, f"{code}-{tag}", f"{code[0]}999-{tag}") if c not in taken)
    bind.execute(sa.insert(_accounts).values(code=free, name=name, type=type_, role=role))


def _sqlite_role_check(bind: Any) -> None:
    create = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'accounts'"
    ).scalar()
    old = f"role IN ({_in_list(OLD_ROLES)})"
    if create is None or create.count(old) != 1:
        raise RuntimeError(f"cannot read the role constraint of table accounts: {create}")
    new_create = create.replace(old, f"role IN ({_in_list(NEW_ROLES)})").replace(
        'CREATE TABLE "accounts"', 'CREATE TABLE "_new_accounts"', 1
    )
    if "_new_accounts" not in new_create:
        raise RuntimeError(f"cannot read the table definition of accounts: {create}")
    columns = ", ".join(
        f'"{row[1]}"' for row in bind.exec_driver_sql('PRAGMA table_info("accounts")')
    )
    seq = bind.exec_driver_sql(
        "SELECT seq FROM sqlite_sequence WHERE name = 'accounts'"
    ).scalar()
    bind.exec_driver_sql(new_create)
    bind.exec_driver_sql(
        f'INSERT INTO "_new_accounts" ({columns}) SELECT {columns} FROM "accounts" ORDER BY id'
    )
    bind.exec_driver_sql('DROP TABLE "accounts"')
    bind.exec_driver_sql('ALTER TABLE "_new_accounts" RENAME TO "accounts"')
    if seq is not None:  # ids are never reused (0004): keep the highest id handed out
        bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'accounts'")
        bind.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('accounts', ?)", (seq,)
        )


def downgrade() -> None:
    raise NotImplementedError("schema 0009 books every bank line: there is no way back")

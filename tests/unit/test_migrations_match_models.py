"""The Alembic migrations build exactly the schema the ORM models describe."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from payctl.db.models import Base
from payctl.db.schema import alembic_config


def test_upgrade_to_head_matches_models(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_every_integer_id_is_never_reused(tmp_path: Path) -> None:
    """Ids users type and the audit trail names must not come back after a delete: every
    table with an integer id declares ``sqlite_autoincrement`` (PostgreSQL sequences never go
    back), and the migrations build it with AUTOINCREMENT."""
    with_ids = sorted(
        t.name
        for t in Base.metadata.sorted_tables
        if [c.name for c in t.primary_key.columns] == ["id"] and t.c.id.type.python_type is int
    )
    assert "payments" in with_ids and "bank_lines" in with_ids
    undeclared = [
        n
        for n in with_ids
        if not Base.metadata.tables[n].dialect_kwargs.get("sqlite_autoincrement")
    ]
    assert undeclared == [], f"add IDS_NEVER_REUSED to the table args of {undeclared}"

    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        sql = dict(
            conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all()
        )
    engine.dispose()
    missing = [n for n in with_ids if "AUTOINCREMENT" not in sql[n].upper()]
    assert missing == [], f"the migrations build {missing} without AUTOINCREMENT"

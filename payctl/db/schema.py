"""Bringing a database to the schema head, and refusing to work on one that is not there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from payctl.db.engine import WRITE_OPTION
from payctl.errors import NotInitialised

# The newest migration's revision id; tests/unit/test_schema_head.py keeps it in step.
SCHEMA_HEAD = "0010"


def alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "payctl.db:migrations")
    cfg.attributes["connection"] = connection
    return cfg


def _sqlite_pragma(connection: Any, pragma: str) -> None:
    """Run a PRAGMA on the driver connection, outside SQLAlchemy's transaction handling."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _upgrade(connection: Any, revision: str) -> None:
    """Upgrade in one write transaction.

    On SQLite the migrations run with foreign keys off, the way SQLite documents table rebuilds
    (with them on, dropping the old table would cascade-delete the rows that reference it).
    SQLite ignores that PRAGMA inside a transaction, so it is set before the transaction
    begins; before committing, ``PRAGMA foreign_key_check`` must find nothing.
    """
    from alembic import command

    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_pragma(connection, "foreign_keys = OFF")
    try:
        with connection.execution_options(**{WRITE_OPTION: True}).begin():
            command.upgrade(alembic_config(connection), revision)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                if broken is not None:
                    raise RuntimeError(
                        f"schema upgrade left a broken foreign key in table {broken[0]} "
                        f"(row {broken[1]} -> {broken[2]}): nothing was changed"
                    )
    finally:
        if sqlite and not connection.invalidated:
            _sqlite_pragma(connection, "foreign_keys = ON")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    await upgrade_to(engine, "head")


async def upgrade_to(engine: AsyncEngine, revision: str) -> None:
    """Bring the database to ``revision`` (tests build old databases with it)."""
    async with engine.connect() as conn:
        await conn.run_sync(_upgrade, revision)


def _read_revision(conn: Any) -> str | None:
    """The schema revision: one read of alembic_version's row. Only when that read fails is
    the table looked for first, as before (None when it is missing: not initialised), and
    read again: a locked or unreachable database fails the way it always did."""
    import contextlib

    from sqlalchemy import exc as sa_exc
    from sqlalchemy import inspect

    read = text("SELECT version_num FROM alembic_version")
    try:
        return conn.execute(read).scalar()
    except sa_exc.DBAPIError:
        with contextlib.suppress(sa_exc.SQLAlchemyError):
            conn.rollback()  # PostgreSQL refuses anything more in the failed transaction
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(read).scalar()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_read_revision)


async def ensure_initialised(engine: AsyncEngine, where: str) -> None:
    revision = await current_revision(engine)
    if revision is None:
        raise NotInitialised(f"database {where} is not initialised: run `payctl init` first")
    if revision != SCHEMA_HEAD:
        raise NotInitialised(
            f"database {where} is at schema {revision}, this payctl needs {SCHEMA_HEAD}: "
            "run `payctl init` to upgrade it"
        )

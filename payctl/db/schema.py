"""Bringing a database to the schema head, and refusing to work on one that is not there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from payctl.db.engine import WRITE_OPTION
from payctl.errors import NotInitialised

# The newest migration's revision id; tests/unit/test_schema_head.py keeps it in step.
SCHEMA_HEAD = "0004"


def alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "payctl.db:migrations")
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Any) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    async with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        await conn.run_sync(_upgrade)


async def current_revision(engine: AsyncEngine) -> str | None:
    def _read(conn: Any) -> str | None:
        from sqlalchemy import inspect

        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    async with engine.connect() as conn:
        return await conn.run_sync(_read)


async def ensure_initialised(engine: AsyncEngine, where: str) -> None:
    revision = await current_revision(engine)
    if revision is None:
        raise NotInitialised(f"database {where} is not initialised: run `payctl init` first")
    if revision != SCHEMA_HEAD:
        raise NotInitialised(
            f"database {where} is at schema {revision}, this payctl needs {SCHEMA_HEAD}: "
            "run `payctl init` to upgrade it"
        )

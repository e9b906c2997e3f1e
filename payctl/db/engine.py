"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg).

SQLite connections run in WAL mode with a busy timeout and foreign keys on, and write
transactions start with ``BEGIN IMMEDIATE`` so concurrent writer processes queue on the
write lock instead of failing half-way with "database is locked". PostgreSQL connections
carry ``statement_timeout`` = PAYCTL_STATEMENT_TIMEOUT (default 300 s, 0 = none).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from payctl.config import busy_timeout_seconds, postgres_connect_args, statement_timeout_seconds

WRITE_OPTION = "payctl_write"


def read_only_sqlite_url(url: str) -> tuple[str, bool]:
    """``url`` opened read-only when its SQLite file exists but this process cannot write it.

    Reads then work (``list``, ``show``, ``check``, ``export``) and a write fails with
    SQLite's "readonly database" (reported as "database … is read-only"). A WAL database needs
    its ``-shm`` file: when the folder is not writable either and there is none, the file is
    opened ``immutable`` (nobody can be writing it: we could not create the -shm to do so)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return url, False
    if name.startswith("file:"):  # a URI the user wrote: their flags decide
        return url, "mode=ro" in name or parsed.query.get("mode") == "ro"
    path = Path(name)
    if not path.is_file() or os.access(path, os.W_OK):
        return url, False
    flags = "mode=ro"
    if not os.access(path.parent, os.W_OK) and not Path(f"{path}-shm").exists():
        flags += "&immutable=1"
    return f"{parsed.drivername}:///file:{quote(str(path.absolute()))}?{flags}&uri=true", True


def _install_sqlite_hooks(engine: AsyncEngine, timeout: float, read_only: bool = False) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so we can emit our own BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if not read_only:  # setting the journal mode writes the file header
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # A 32 MB page cache (default 2 MB): set-wise inserts touch many index pages.
        cursor.execute("PRAGMA cache_size = -32768")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def dialect_name(session: AsyncSession) -> str:
    """Name of the dialect ("sqlite", "postgresql") of the engine ``session`` is bound to."""
    bind = session.bind
    if bind is None:
        raise RuntimeError("session is not bound to an engine")
    return bind.dialect.name


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    timeout = busy_timeout_seconds()
    if url.startswith("sqlite"):
        url, read_only = read_only_sqlite_url(url)
        engine = create_async_engine(url, connect_args={"timeout": timeout}, **kwargs)
        _install_sqlite_hooks(engine, timeout, read_only)
        return engine
    kwargs.setdefault("pool_pre_ping", False)
    # The server cancels a statement running past PAYCTL_STATEMENT_TIMEOUT (SQLSTATE 57014,
    # reported as such by the CLI). No client-side asyncpg command_timeout: it used to be
    # max(4 x busy timeout, 60 s) = 120 s, surfaced as a bare TimeoutError and was reported
    # as "cannot use database", exactly like a server that cannot be reached.
    statement_ms = int(statement_timeout_seconds() * 1000)
    # libpq's URL options (?sslmode=require) become asyncpg's arguments; unknown ones refused
    target, options = postgres_connect_args(url)
    connect_args = {
        "timeout": timeout,
        "command_timeout": None,
        **options,
        "server_settings": {
            **options.get("server_settings", {}),
            "statement_timeout": str(statement_ms),
        },
    }
    return create_async_engine(target, connect_args=connect_args, **kwargs)


class Database:
    """Owns one engine; hands out sessions. Create inside ``asyncio.run`` and dispose at the end."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()

"""One relay per destination: a lock that dies with the process holding it.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its
own, keyed by a 64-bit hash of the destination's name; the server drops it when that session
ends, however the process ended. SQLite: an exclusive ``flock`` on a lock file next to the
database file (``payctl.db.relay-<hash>.lock``), which the kernel drops when the process
ends. The file is never deleted (deleting a lock file others may be opening is a race); it
holds the destination's name for whoever wonders what it is.

A second relay for a locked destination does not wait: it is refused (:class:`RelayBusy`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from payctl.errors import DatabaseError, PayctlError


class RelayBusy(PayctlError):
    """Another relay holds the destination's lock (exit 1)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"another relay is already publishing to {name}: this one stops "
            "(one relay per destination; the lock goes when that process ends)"
        )


def _digest(name: str) -> bytes:
    return hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()


def advisory_key(name: str) -> int:
    """The destination's advisory lock key: a signed 64-bit hash of its name."""
    return int.from_bytes(_digest(name), "big", signed=True)


def lock_file(database: str, name: str) -> Path:
    """The lock file of destination ``name`` next to the SQLite file ``database``."""
    if database.startswith("file:"):  # a URI filename (file:/x.db?mode=ro)
        database = unquote(database[len("file:") :].split("?", 1)[0])
    path = Path(database)
    return path.with_name(f"{path.name}.relay-{_digest(name).hex()}.lock")


@asynccontextmanager
async def destination_lock(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """Hold the lock of destination ``name`` for the block; :class:`RelayBusy` when another
    process holds it."""
    if engine.dialect.name == "postgresql":
        async with _advisory_lock(engine, name):
            yield
        return
    with _file_lock(lock_file(engine.url.database or "", name), name):
        yield


@asynccontextmanager
async def _advisory_lock(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    key = {"key": advisory_key(name)}
    async with engine.connect() as conn:
        # no transaction stays open on the lock's connection: it only holds the lock
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        got = (await auto.execute(text("SELECT pg_try_advisory_lock(:key)"), key)).scalar()
        if not got:
            raise RelayBusy(name)
        try:
            yield
        finally:
            if not auto.closed and not auto.invalidated:
                await auto.execute(text("SELECT pg_advisory_unlock(:key)"), key)


@contextmanager
def _file_lock(path: Path, name: str) -> Iterator[None]:
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseError(f"cannot create the relay's lock file {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RelayBusy(name) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"payctl events relay: {name}\n".encode())
        yield
    finally:
        os.close(fd)  # closing the last descriptor drops the lock

"""Shared fixtures.

Every database test runs against SQLite, and also against PostgreSQL when
PAYCTL_TEST_POSTGRES_URL is set (CI sets it; there an unreachable server fails the run).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from payctl.config import normalise_url
from payctl.db.engine import Database

PG_URL = os.environ.get("PAYCTL_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

if os.environ.get("CI") and not PG_URL:  # CI must exercise PostgreSQL, never silently skip it
    raise RuntimeError("CI is set but PAYCTL_TEST_POSTGRES_URL is not: .ci/run sets it")
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


async def _reset_postgres(url: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


def fresh_url(backend: str, tmp_path: Path) -> str:
    """A URL to an empty database of the given backend."""
    if backend == "sqlite":
        return normalise_url(f"sqlite:///{tmp_path / 'payctl.db'}")
    assert PG_URL
    url = normalise_url(PG_URL)
    asyncio.run(_reset_postgres(url))
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> str:
    """URL of an empty database (not initialised)."""
    return fresh_url(backend, tmp_path)


async def init_database(url: str) -> None:
    from payctl.db.schema import upgrade_to_head
    from payctl.services.setup_service import SetupService

    db = Database(url)
    try:
        await upgrade_to_head(db.engine)
        async with db.session() as session:
            await SetupService(session).seed("EUR")
    finally:
        await db.dispose()


@pytest.fixture
def init_url(db_url: str) -> str:
    """URL of an initialised database (schema at head, default chart and journals)."""
    asyncio.run(init_database(db_url))
    return db_url


@pytest.fixture
async def db(init_url: str) -> AsyncIterator[Database]:
    database = Database(init_url)
    yield database
    await database.dispose()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[object]:
    async with db.session() as s:
        yield s


@pytest.fixture
def cli_env(init_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Environment for running payctl (in-process or as a subprocess) on the test database."""
    monkeypatch.setenv("PAYCTL_DATABASE_URL", init_url)
    monkeypatch.setenv("PAYCTL_USER", "tester")
    env = dict(os.environ)
    yield env

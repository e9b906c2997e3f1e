"""Shared fixtures, and the CLI harness every in-process `payctl` call goes through.

Every database test runs against SQLite, and also against PostgreSQL when
PAYCTL_TEST_POSTGRES_URL is set (CI sets it; there an unreachable server fails the run).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import settings

from payctl.config import normalise_url
from payctl.db.engine import Database

T = TypeVar("T")
PG_URL = os.environ.get("PAYCTL_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

if os.environ.get("CI") and not PG_URL:  # CI must exercise PostgreSQL, never silently skip it
    raise RuntimeError("CI is set but PAYCTL_TEST_POSTGRES_URL is not: .ci/run sets it")
# Property tests judge values, not speed: no per-example deadline (Hypothesis's default 200 ms
# can fail an example on a loaded machine for its time alone; benchmarks/ reports speed).
settings.register_profile("payctl", deadline=None)
settings.load_profile("payctl")

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


def on_database(url: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``await fn(db, *args)`` on a fresh :class:`Database` of ``url`` (disposed after), from
    synchronous test code; its result."""

    async def go() -> T:
        db = Database(url)
        try:
            return await fn(db, *args)
        finally:
            await db.dispose()

    return asyncio.run(go())


def in_session(url: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``await fn(session, *args)`` in one session of a fresh database handle on ``url``."""

    async def go(db: Database) -> T:
        async with db.session() as session:
            return await fn(session, *args)

    return on_database(url, go)


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
def cli_env(
    init_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """Environment for running payctl (in-process or as a subprocess) on the test database;
    its own data directory, so no default file of the user's (rules.toml) is read."""
    monkeypatch.setenv("PAYCTL_DATABASE_URL", init_url)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("PAYCTL_USER", "tester")
    env = dict(os.environ)
    yield env


# --- The CLI harness: every in-process `payctl` call of the tests goes through here. ---------

# What only a crash or a raw Python error prints; payctl's own messages never contain it.
PYTHON_WORDING = (
    "Traceback",
    "internal error",
    "Error:",
    "TypeError",
    "ValueError",
    "OverflowError",
    "[Errno",
    "codec can't",
)


@functools.cache
def _payctl_command() -> Any:
    """payctl's click command, built once: building it from the Typer app costs ~30 ms, which
    ``typer.testing.CliRunner.invoke`` would pay on every call."""
    import typer.main

    from payctl.cli.app import app

    return typer.main.get_command(app)


def payctl(
    *args: Any,
    code: int | None = 0,
    input: bytes | str | None = None,
    env: Mapping[str, str | None] | None = None,
    charset: str = "utf-8",
) -> Any:
    """Run ``payctl ARGS`` in-process as the console script runs it; the Typer ``Result``.

    The command's streams, stdin and environment are isolated by Typer's public
    ``CliRunner.isolation``. Checks the exit code (unless ``code`` is None) and that nothing
    crashed: an exception other than the exit propagates to the test, and no traceback or
    "internal error" is printed. ``charset`` is what the captured stdout/stderr can encode.
    """
    from typer.testing import CliRunner, Result

    argv = [str(a) for a in args]
    runner = CliRunner(charset=charset)
    with runner.isolation(input=input, env=env) as (stdout, stderr, output):
        try:
            _payctl_command().main(args=argv, prog_name="payctl")
            raise AssertionError(f"payctl {argv!r} returned instead of exiting")
        except SystemExit as exc:  # the root command always leaves with sys.exit
            exit_code = exc.code
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        result = Result(
            runner=runner,
            stdout_bytes=stdout.getvalue(),
            stderr_bytes=stderr.getvalue(),
            output_bytes=output.getvalue(),
            return_value=None,
            exit_code=exit_code,  # type: ignore[arg-type]
            exception=None,
        )
    where = f"payctl {argv!r}"
    assert isinstance(exit_code, int), (where, exit_code)
    if code is not None:
        assert exit_code == code, (
            f"{where} exited {exit_code}, wanted {code}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}"
        )
    for wording in ("Traceback", "internal error"):
        assert wording not in result.output, (where, result.output)
    return result


def payctl_json(*args: Any, code: int = 0, input: bytes | str | None = None) -> Any:
    """``payctl ARGS --format json``, its stdout parsed."""
    return json.loads(payctl(*args, "--format", "json", code=code, input=input).stdout)


def error_line(result: Any, code: int, *texts: str, quiet_stdout: bool = False) -> str:
    """The run exited ``code`` and said why in exactly one `payctl: error:` line on stderr,
    containing each of ``texts`` and no Python wording (and, with ``quiet_stdout``, printed
    nothing on stdout); that line."""
    where = (result.exit_code, result.stdout, result.stderr)
    assert result.exit_code == code, where
    if quiet_stdout:
        assert result.stdout == "", where
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, where
    assert lines[0].startswith("payctl: error: "), where
    for text in texts:
        assert text in lines[0], (text, lines[0])
    for wording in PYTHON_WORDING:
        assert wording not in result.output, (wording, result.output)
    return lines[0]


def refused(
    *args: Any,
    code: int = 1,
    says: str | tuple[str, ...] = (),
    env: Mapping[str, str | None] | None = None,
    input: bytes | str | None = None,
    quiet_stdout: bool = False,
) -> str:
    """Run ``payctl ARGS``, which must exit ``code`` (1: refused; 2: bad input; 3: database
    unavailable) with one error line saying ``says``; that line."""
    texts = (says,) if isinstance(says, str) else says
    result = payctl(*args, code=None, env=env, input=input)
    return error_line(result, code, *texts, quiet_stdout=quiet_stdout)

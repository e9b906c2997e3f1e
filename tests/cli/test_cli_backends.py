"""Values one backend takes and the other refuses (#14, point 10): each is refused at the edge,
with the same one line and the documented exit code on SQLite and PostgreSQL, nothing
written, none of Python's wording."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from payctl.cli.app import app
from tests.cli.test_cli_bad_input import snapshot

runner = CliRunner()
PYTHON_WORDING = ("Traceback", "Error:", "TypeError", "ValueError", "internal error", "[Errno")


def one_line(args: list[str], code: int, text: str, env: dict[str, str] | None = None) -> str:
    """Run payctl: exit ``code``, exactly one stderr line containing ``text``."""
    result = runner.invoke(app, args, env=env)
    where = f"payctl {' '.join(args)} {env or ''}"
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (where, repr(result.exception))
    assert result.exit_code == code, (where, result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, (where, result.stderr)
    assert lines[0].startswith("payctl: error: "), (where, lines[0])
    assert text in lines[0], (where, text, lines[0])
    for wording in PYTHON_WORDING:
        assert wording not in result.output, (where, wording, result.output)
    return lines[0]


# ------------------------------------------------------------------ database URLs


URL_CASES: list[tuple[str, int, str]] = [
    # libpq options asyncpg does not take as keywords: used to be TypeError, exit 1
    ("postgresql://u@h/db?bogus=1", 2, "database URL option 'bogus' is not supported"),
    ("postgresql://u@h/db?sslmode=maybe", 2, "sslmode='maybe': use one of disable"),
    ("postgresql://u@h/db?connect_timeout=soon", 2, "connect_timeout='soon' is not a number"),
    ("postgresql://u@h/db?connect_timeout=0", 2, "connect_timeout='0'"),
    ("postgresql://u@h/db?sslmode=require&sslmode=disable", 2, "'sslmode' is given more than"),
    ("postgresql://u@h/db?sslrootcert=/no/such.pem", 2, "sslrootcert: no such file"),
    # malformed: used to be ValueError/OverflowError as "internal error", exit 1
    ("postgresql://:@:/", 2, "the port '' is not a number"),
    ("postgresql://host:notaport/db", 2, "the port 'notaport' is not a number"),
    ("postgresql://me:s3cret@host:notaport/db", 2, "postgresql://me:***@host:notaport/db"),
    ("postgresql://me:s3cret@[::1/db", 2, "postgresql://me:***@[::1/db"),
    ("postgresql://h:99999/db", 2, "port 99999 is not 1-65535"),
    ("postgresql://", 2, "names no database"),
    ("mysql://x", 2, "scheme 'mysql' is not supported"),
    ("sqlite:", 2, "database URL 'sqlite:' is malformed"),
    ("sqlite:ledger.db", 2, "database URL 'sqlite:ledger.db' is malformed"),
    # well-formed but unreachable: exit 3, password masked
    ("postgresql://me:s3cret@127.0.0.1:1/db", 3, "cannot use database postgresql://me:***@"),
]


@pytest.mark.parametrize(("url", "code", "text"), URL_CASES)
def test_a_database_url_that_cannot_be_used_is_one_line(tmp_path, monkeypatch, url, code, text):
    monkeypatch.chdir(tmp_path)
    for args in (["list"], ["init"], ["partner", "create", "X"]):
        line = one_line(args, code, text, env={"PAYCTL_DATABASE_URL": url})
        assert "s3cret" not in line
        line = one_line(["--database-url", url, *args], code, text)
        assert "s3cret" not in line
    assert list(tmp_path.iterdir()) == [], "a file was created"


@pytest.fixture
def pg_url(backend: str, init_url: str) -> str:
    """An initialised PostgreSQL database (the tests of PostgreSQL's own options)."""
    if backend != "postgresql":
        pytest.skip("a PostgreSQL behaviour")
    return init_url


@pytest.mark.parametrize(
    "options",
    [
        "sslmode=disable",
        "sslmode=prefer",
        "connect_timeout=5",
        "application_name=payctl-test",
        "sslmode=allow&connect_timeout=2.5&application_name=x",
    ],
)
def test_libpq_url_options_are_understood(pg_url, options):
    """`?sslmode=require` and friends used to end in TypeError (asyncpg's keywords differ)."""
    url = f"{pg_url}?{options}"
    result = runner.invoke(app, ["--database-url", url, "partner", "create", "Opt Co"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--database-url", url, "partner", "list", "--format", "json"])
    assert result.exit_code == 0 and "Opt Co" in result.stdout


def test_sslmode_require_without_ssl_on_the_server_is_exit_3(pg_url):
    """The local test server has no SSL: require is honoured (not ignored), cannot connect."""
    before = snapshot(pg_url)
    line = one_line(
        ["--database-url", f"{pg_url}?sslmode=require", "partner", "create", "Tls Co"],
        3,
        "cannot use database",
    )
    assert "SSL" in line
    assert snapshot(pg_url) == before


def test_application_name_reaches_the_server(pg_url):
    import asyncio

    from sqlalchemy import text

    from payctl.db.engine import Database

    async def name() -> Any:
        db = Database(f"{pg_url}?application_name=payctl-ledger")
        try:
            async with db.session() as s:
                return await s.scalar(text("SHOW application_name"))
        finally:
            await db.dispose()

    assert asyncio.run(name()) == "payctl-ledger"

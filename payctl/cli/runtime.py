"""Running one service call per command, and the single door errors leave through."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from payctl.cli.state import state
from payctl.errors import EXIT_DATABASE, EXIT_REFUSED, DatabaseError, PayctlError

T = TypeVar("T")


def one_line(text: str) -> str:
    """``text`` with control characters (line breaks, vertical tabs, ...) escaped: a message
    quoting file content stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def abort(text: str, code: int = EXIT_REFUSED) -> NoReturn:
    """One line on stderr, then exit with ``code``."""
    sys.stderr.write(f"payctl: error: {one_line(text)}\n")
    raise typer.Exit(code)


def user() -> str:
    from payctl.config import resolve_user

    return resolve_user(state().user)


def database_url() -> str:
    from payctl.config import resolve_database_url

    return resolve_database_url(state().database_url)


def _database_error(exc: BaseException, url: str) -> DatabaseError | None:
    """Map driver/connection failures to exit code 3 with the URL's password masked."""
    from sqlalchemy import exc as sa_exc

    from payctl.config import mask_url

    where = mask_url(url)
    text = (
        str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
    )
    if isinstance(exc, sa_exc.OperationalError) and "locked" in text:
        return DatabaseError(
            f"database {where} stayed locked past the timeout; retry later "
            "or raise PAYCTL_BUSY_TIMEOUT"
        )
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | OSError | TimeoutError):
        return DatabaseError(f"cannot use database {where}: {text}")
    if type(exc).__module__.startswith("asyncpg") and "Connection" in type(exc).__name__:
        return DatabaseError(f"cannot use database {where}: {text}")
    # SQLAlchemy wraps asyncpg's own error (DBAPIError -> .orig -> __cause__): look at both
    cause = getattr(getattr(exc, "orig", None), "__cause__", None) or exc
    if type(cause).__name__ in {
        "InvalidCatalogNameError",
        "InvalidPasswordError",
        "InvalidAuthorizationSpecificationError",
    }:
        return DatabaseError(f"cannot use database {where}: {str(cause) or text}")
    return None


def _mask_in(text: str, url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:
        return text
    return text.replace(password, "***") if password else text


def _sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def _prepare_sqlite(url: str, needs_schema: bool) -> None:
    """Don't create an empty file by merely looking; let `init` create the folder."""
    from payctl.config import mask_url
    from payctl.errors import NotInitialised

    path = _sqlite_path(url)
    if path is None:
        return
    if needs_schema and not path.exists():
        raise NotInitialised(f"database {mask_url(url)} does not exist: run `payctl init` first")
    if not needs_schema:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create {path.parent}: {exc.strerror}") from None


def run(op: Callable[[Any], Awaitable[T]], *, needs_schema: bool = True) -> T:
    """Open the database, check its schema, run ``op(session)`` in ``asyncio.run``."""
    try:
        url = database_url()
        _prepare_sqlite(url, needs_schema)
    except PayctlError as exc:
        abort(exc.message, exc.exit_code)

    async def main() -> T:
        from payctl.config import mask_url
        from payctl.db.engine import Database
        from payctl.db.schema import ensure_initialised

        db = Database(url)
        try:
            if needs_schema:
                await ensure_initialised(db.engine, mask_url(url))
            async with db.session() as session:
                return await op(session)
        finally:
            await db.dispose()

    import asyncio

    try:
        return asyncio.run(main())
    except PayctlError as exc:
        abort(_mask_in(exc.message, url), exc.exit_code)
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:  # the unexpected: one line unless --debug
        mapped = _database_error(exc, url)
        if state().debug:
            traceback.print_exc()
        if mapped is not None:
            abort(_mask_in(mapped.message, url), EXIT_DATABASE)
        abort(
            _mask_in(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0], url)
            + " (run with --debug for details)",
            EXIT_REFUSED,
        )

"""Running one service call per command, and the single door errors leave through."""

from __future__ import annotations

import contextlib
import errno
import re
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

from payctl.cli.arguments import argument_problem
from payctl.cli.output_errors import (
    OUTPUT_ERRNOS,
    ClosedPipe,
    silence_stdout,
    stdout_broken,
)
from payctl.cli.state import state
from payctl.errors import (
    EXIT_BAD_INPUT,
    EXIT_CLOSED_PIPE,
    EXIT_DATABASE,
    EXIT_OUTPUT,
    EXIT_REFUSED,
    DatabaseError,
    PayctlError,
)
from payctl.textsafe import escape_controls

T = TypeVar("T")


def error_line(text: str) -> None:
    """``payctl: error: TEXT`` on stderr, one line: the names and values it quotes (from a
    user, a file or the database) have their control characters escaped, newlines included."""
    sys.stderr.write(f"payctl: error: {escape_controls(text)}\n")


def abort(text: str | list[str], code: int = EXIT_REFUSED) -> NoReturn:
    """One line on stderr per message (several when a file has several bad rows), then exit."""
    for line in [text] if isinstance(text, str) else text:
        error_line(line)
    raise typer.Exit(code)


def usage_error(text: str) -> NoReturn:
    """A command used wrongly (exit 2): the one line ends with the help to read, as click's
    own usage errors do."""
    abort(f"{text} (see `{state().command_path} --help`)", EXIT_BAD_INPUT)


def _debugging(args: Sequence[str] | None = None) -> bool:
    """--debug given: the root callback may not have run yet when option parsing fails."""
    return state().debug or "--debug" in (sys.argv[1:] if args is None else args)


def print_traceback(exc: BaseException) -> None:
    """The traceback for --debug: values quoted in it are escaped like every other message."""
    sys.stderr.write(escape_controls("".join(traceback.format_exception(exc)), keep="\n"))


def unexpected(exc: BaseException, url: str | None = None) -> NoReturn:
    """A bug, not a user error: one line (the traceback too with --debug), exit 1."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    line = f"internal error: {type(exc).__name__}" + (f": {text}" if text else "")
    if url is not None:
        line = _mask_in(line, url)
    if _debugging():
        print_traceback(exc)
        abort(line, EXIT_REFUSED)
    abort(line + " (run with --debug for details)", EXIT_REFUSED)


def output_failed(exc: OSError) -> int:
    """stdout could not be written: a closed pipe is the reader's choice (exit 141, quietly);
    any other failure (disk full, I/O error) is one line saying whether the change was made.
    Returns the exit code."""
    silence_stdout()
    if exc.errno == errno.EPIPE:
        return EXIT_CLOSED_PIPE
    reason = exc.strerror or type(exc).__name__
    if state().committed:
        text = f"the change was committed, but its output could not be written: {reason}"
    else:
        text = f"the output could not be written: {reason}"
    with contextlib.suppress(OSError):  # stderr cannot be written either: the code says it
        error_line(text)
    return EXIT_OUTPUT


class PayctlGroup(TyperGroup):
    """The root command: every way out of payctl passes here, in the CLI and in CliRunner.

    Usage errors (click's) become one line, exit 2; payctl's own errors raised outside
    :func:`run` one line with their exit code; output that cannot be written (a closed pipe,
    a full disk) :func:`output_failed`; anything else "internal error", exit 1.

    Every command under it gets the options all commands share (:mod:`conventions`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from payctl.cli import conventions

        super().__init__(*args, **kwargs)
        conventions.apply(self)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:  # a command registered later (loaded on demand) too
            self.prepare_command(command)
        return command

    def prepare_command(self, command: Any) -> None:
        """Give a command (one loaded on demand too) the options every command shares."""
        from payctl.cli import conventions

        conventions.apply_under(self, command)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)  # --help and --version print here
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # click would turn it into a bare exit 1
                raise ClosedPipe(exc) from None
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise ClosedPipe(exc) from None
            raise

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from payctl.cli.render import prepare_streams
        from payctl.cli.state import reset_state

        reset_state()
        prepare_streams()
        try:
            problem = argument_problem(self, sys.argv[1:] if args is None else args)
            if problem is not None:
                abort(problem, EXIT_BAD_INPUT)
            code = self._main(args, prog_name, complete_var, **extra)
        except typer.Exit as exc:
            code = exc.exit_code
        # Python would flush stdout at exit, past this door: a late error (a full disk, a
        # closed pipe) is reported here instead, like one raised while the command wrote.
        broken = stdout_broken()
        if broken is not None and code in (0, None, EXIT_REFUSED):
            code = output_failed(broken)
        elif broken is not None:  # the command failed anyway: keep its own exit code
            silence_stdout()
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def _main(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        **extra: Any,
    ) -> Any:
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as exc:  # typer's (vendored click's) usage errors
            if type(exc).__name__ == "NoArgsIsHelpError":  # a group given no command
                sys.stderr.write(exc.format_message() + "\n")
                raise typer.Exit(EXIT_BAD_INPUT) from None
            ctx = getattr(exc, "ctx", None)
            where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            message = " ".join(exc.format_message().split())
            abort(f"{message}{where}", EXIT_BAD_INPUT)
        except typer.Abort:
            sys.stderr.write("payctl: interrupted\n")
            raise typer.Exit(130) from None
        except PayctlError as exc:
            from payctl.cli.conventions import flag_names

            abort([flag_names(line) for line in exc.lines], exc.exit_code)
        except ClosedPipe as exc:
            raise typer.Exit(output_failed(exc.exc)) from None
        except (typer.Exit, SystemExit, KeyboardInterrupt):
            raise
        except OSError as exc:
            if exc.errno not in OUTPUT_ERRNOS:  # not an output's: a bug
                unexpected(exc)
            raise typer.Exit(output_failed(exc)) from None
        except Exception as exc:
            unexpected(exc)


def user() -> str:
    from payctl.config import resolve_user

    return resolve_user(state().user)


def database_url() -> str:
    from payctl.config import resolve_database_url

    return resolve_database_url(state().database_url)


def database_failure(exc: BaseException) -> DatabaseError | None:
    """``exc`` as the one-line exit-3 error :func:`run` would report, or None when it is not a
    database failure. For a command that reports per item (each imported file) which of its
    transactions committed before the database failed."""
    url = database_url()
    mapped = _database_error(exc, url)
    if mapped is not None:
        mapped = DatabaseError(_mask_in(mapped.message, url))
    return mapped


def _database_error(exc: BaseException, url: str) -> DatabaseError | None:
    """Map driver/connection failures to exit code 3 with the URL's password masked."""
    from sqlalchemy import exc as sa_exc

    from payctl.config import mask_url

    where = mask_url(url)
    cancelled = _cancelled(exc)
    if cancelled is not None:
        return cancelled
    text = (
        str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
    )
    text = re.sub(r"^\[Errno -?\d+\] ", "", text)  # the OS's reason, not Python's wording
    if "database or disk is full" in text or _sqlstate(exc).startswith("53"):
        return DatabaseError(
            f"database {where}: {text}: the transaction is rolled back; free space and retry"
        )
    if _disconnected(exc):
        return DatabaseError(
            f"lost the connection to database {where} ({text}): the command's unfinished "
            "transaction is rolled back; retry when the server is back"
        )
    if isinstance(exc, sa_exc.OperationalError) and "readonly" in text:
        return DatabaseError(
            f"database {where} is read-only: this command writes; "
            "use a database you can write, or only read this one"
        )
    if isinstance(exc, sa_exc.DatabaseError) and "not a database" in text:
        return DatabaseError(f"{where} is not a payctl database (not an SQLite file)")
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


def _disconnected(exc: BaseException) -> bool:
    """The server ended the session (pg_terminate_backend, a restart, a crash, a network cut):
    SQLAlchemy saw the connection die, or SQLSTATE class 08 (connection exception) / 57P
    (operator intervention: admin shutdown, crash shutdown, cannot connect now)."""
    from sqlalchemy import exc as sa_exc

    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    return _sqlstate(exc).startswith(("08", "57P"))


def _sqlstate(exc: BaseException) -> str:
    """PostgreSQL's SQLSTATE of a driver error ("" when there is none)."""
    orig = getattr(exc, "orig", None)
    for err in (orig, getattr(orig, "__cause__", None)):
        state = getattr(err, "sqlstate", None)
        if state:
            return str(state)
    return ""


def _cancelled(exc: BaseException) -> DatabaseError | None:
    """PostgreSQL cancelled a statement (SQLSTATE 57014): say so, not "cannot use database"."""
    from payctl.config import ENV_STATEMENT_TIMEOUT, statement_timeout_seconds

    if _sqlstate(exc) != "57014":
        return None
    orig = getattr(exc, "orig", None)
    cause = getattr(orig, "__cause__", None)
    if "statement timeout" in str(cause or orig):
        limit = f"{statement_timeout_seconds():g}"
        return DatabaseError(
            f"a statement ran longer than the {limit} s statement timeout "
            f"({ENV_STATEMENT_TIMEOUT}) and was cancelled; nothing was written. Raise "
            f"{ENV_STATEMENT_TIMEOUT} (seconds, 0 = no limit) or retry when the database "
            "is less busy"
        )
    return DatabaseError(
        f"the database server cancelled a statement ({str(cause or orig).strip()}); "
        "nothing was written"
    )


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
    if parsed.database.startswith("file:"):  # a URI filename (file:/x.db?mode=ro)
        from urllib.parse import unquote

        return Path(unquote(parsed.database[len("file:") :].split("?", 1)[0]))
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


def _note_commits(db: Any) -> None:
    """Remember that a write transaction committed: an output failure after it says so."""
    from sqlalchemy import event

    from payctl.db.engine import WRITE_OPTION

    def committed(conn: Any) -> None:
        if conn.get_execution_options().get(WRITE_OPTION, False):
            state().committed = True

    event.listen(db.engine.sync_engine, "commit", committed)


def run(op: Callable[[Any], Awaitable[T]], *, needs_schema: bool = True) -> T:
    """Open the database, check its schema, run ``op(session)`` in ``asyncio.run``."""
    from payctl.cli import startup

    startup.resume()  # the command's own work begins: the collector runs again
    try:
        url = database_url()
        _prepare_sqlite(url, needs_schema)
    except PayctlError as exc:
        abort(exc.lines, exc.exit_code)

    # The result is handed over here, not as the task's result: on Python 3.11
    # ``asyncio.run`` formats its task's repr when it restores the SIGINT handler (a
    # ValueError message in ``signal.getsignal``), and that repr is the result's full
    # ``repr`` (a 50,000-payment bulk report's: about 0.3 s) cut to 20 characters.
    result: list[T] = []

    async def main() -> None:
        from payctl.config import mask_url
        from payctl.db.engine import Database
        from payctl.db.schema import ensure_initialised

        db = Database(url)
        _note_commits(db)
        try:
            if needs_schema:
                await ensure_initialised(db.engine, mask_url(url))
            async with db.session() as session:
                result.append(await op(session))
        finally:
            await db.dispose()

    import asyncio

    try:
        asyncio.run(main())
        return result[0]
    except PayctlError as exc:
        from payctl.cli.conventions import flag_names

        abort([flag_names(_mask_in(line, url)) for line in exc.lines], exc.exit_code)
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:  # a database failure, or the unexpected
        mapped = _database_error(exc, url)
        if mapped is None:
            unexpected(exc, url)
        if _debugging():
            print_traceback(exc)
        abort(_mask_in(mapped.message, url), EXIT_DATABASE)

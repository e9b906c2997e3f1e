"""`payctl check` (integrity verifier) and `payctl export` (journal entries to other tools)."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import FORMAT_NAMES, DateFromOpt, DateToOpt, FormatOpt, use_format
from payctl.cli.runtime import abort, run, usage_error, user
from payctl.errors import EXIT_BAD_INPUT, EXIT_REFUSED
from payctl.exporters import ExportFormat

VIOLATION_COLUMNS = [("code", "Check"), ("object", "Object"), ("message", "Problem")]


_HEAD = re.compile(r"([0-9]{1,19}):([0-9a-f]{64})")


def _expected_head(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    found = _HEAD.fullmatch(value.strip())
    if found is None:
        abort(
            "--expect-head: expected COUNT:HASH as `payctl check --head` prints it "
            "(a number, a colon, 64 lowercase hex digits)",
            EXIT_BAD_INPUT,
        )
    return int(found[1]), found[2]


def check(
    format_: FormatOpt = None,
    head: Annotated[
        bool,
        typer.Option(
            "--head",
            help="On clean books, print the audit chain head as COUNT:HASH (JSON with "
            "--format json), to store outside the database.",
        ),
    ] = False,
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            metavar="COUNT:HASH",
            help="A head printed by --head earlier: a violation unless the first COUNT audit "
            "records still end in HASH (records appended since are fine).",
        ),
    ] = None,
) -> None:
    """Verify the books: every integrity check on one consistent snapshot (double entry,
    payment and invoice entries, reversals, residuals, open items, numbering, bank lines,
    the audit chain and what it recorded).

    Prints every violation and exits 1 when there is any (for cron alerts); exits 0 with
    "ok: N checks passed" on stderr otherwise.

    Example: payctl check --expect-head "$(cat /safe/place/payctl.head)"
    """
    use_format(format_)
    expected = _expected_head(expect_head)
    from payctl.services.ledger.integrity_service import CHECKS, IntegrityService
    from payctl.services.views import plain

    service: list[IntegrityService] = []

    def verify(s: Any) -> Any:
        service.append(IntegrityService(s, user(), expected_head=expected))
        return service[0].check()

    violations = [plain(v) for v in run(verify)]
    if violations or (render.fmt() != "table" and not head):
        render.rows(violations, VIOLATION_COLUMNS, title="Integrity violations")
    if violations:
        render.message(f"{len(violations)} integrity violation(s) found")
        raise typer.Exit(EXIT_REFUSED)
    if head:
        found = service[0].head
        assert found is not None  # set by the audit chain check
        if render.fmt() == "json":
            render.emit_json({"count": found[0], "hash": found[1]})
        else:
            render.line(f"{found[0]}:{found[1]}")
    render.message(f"ok: {len(CHECKS)} checks passed")


def _write_atomic(target: Path, write: Any) -> Any:
    """Write via a temporary file next to ``target`` and rename: never a half-written file."""
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        abort(f"--output: directory {directory} does not exist", EXIT_BAD_INPUT)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        os.close(fd)
        result = write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a plain file would not be
        os.replace(tmp, target)
        return result
    except OSError as exc:
        abort(f"cannot write {target}: {exc.strerror or exc}", EXIT_BAD_INPUT)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _export_format() -> ExportFormat:
    """The export format given before the command name (``payctl -f csv export``), else a
    usage error: export has no default format."""
    try:
        return ExportFormat(render.fmt())
    except ValueError:
        usage_error("--to: give the export format (--to/--format ledger, beancount, csv or xlsx)")


def export(
    to: Annotated[
        ExportFormat | None,
        typer.Option(
            "--to",
            *FORMAT_NAMES,
            case_sensitive=False,
            show_default=False,
            help="The format (ledger: an hledger/ledger-cli journal). --format, -f, -O and "
            "--output-format name the same option; a global --format csv is taken too.",
        ),
    ] = None,
    date_from: DateFromOpt = None,
    date_to: DateToOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="Write to this file (required for xlsx); default: standard output.",
        ),
    ] = None,
    no_opening: Annotated[
        bool,
        typer.Option(
            "--no-opening",
            help="ledger/beancount with --date-from: leave out the opening balances (only "
            "the period's entries, e.g. to append to an earlier export).",
        ),
    ] = False,
) -> None:
    """Export journal entries (with their lines) for a date range.

    ledger and beancount files pass `hledger check` and `bean-check` and give the same
    account balances as payctl: with --date-from they open with one "opening balances"
    transaction per currency (every account's balance before that day, against
    equity:opening-balances / Equity:Opening-Balances). csv/xlsx have one row per journal line
    of the range, with text cells that a spreadsheet would run as a formula neutralised by a
    leading quote.

    Example: payctl export --to beancount --date-from 2026-11-01 -o november.beancount
    """
    to = to or _export_format()
    if not to.is_text and output is None:
        usage_error(
            f"--to {to.value} needs --output FILE.{to.value} (a workbook cannot go to "
            "standard output)"
        )
    openings = to.has_openings and not no_opening
    if output is not None:
        head = _write_atomic(output, lambda path: _stream(to, date_from, date_to, openings, path))
    else:
        head = _stream(to, date_from, date_to, openings, None)
    where = f" to {output}" if output is not None else ""
    balances = sum(len(o.balances) for o in head.openings)
    opened = f", opening balances of {balances} account(s)" if head.openings else ""
    render.message(
        f"exported {head.entry_count} journal entries ({head.line_count} lines){opened}{where}"
    )


class _Terminal:
    """Standard output when it is a terminal: a CR or ESC kept in a CSV cell must not reach
    it, so control characters but newlines are written visibly."""

    def write(self, text: str) -> int:
        from payctl.textsafe import escape_controls

        return sys.stdout.write(escape_controls(text, keep="\n"))


def _stream(
    to: ExportFormat, date_from: Any, date_to: Any, openings: bool, path: Path | None
) -> Any:
    """Export straight from the database to ``path`` (standard output when None), chunk by
    chunk (ExportService.export_to). A failed write is raised after the database is closed,
    as the OSError it is (a closed pipe, a full disk), not as a database failure."""
    from payctl import exporters
    from payctl.services.ledger.export_service import ExportService

    failed: list[OSError] = []

    async def export(session: Any) -> Any:
        with contextlib.ExitStack() as stack:
            target: Any = path
            if path is not None and to.is_text:
                target = stack.enter_context(path.open("w", encoding="utf-8"))
            elif path is None:
                target = _Terminal() if sys.stdout.isatty() else sys.stdout

            def writer(head: Any) -> Any:
                return exporters.open_writer(to, head, target)

            try:
                return await ExportService(session, user()).export_to(
                    writer, date_from, date_to, openings
                )
            except OSError as exc:
                failed.append(exc)
                return None

    head = run(export)
    if failed:
        raise failed[0]
    return head


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("export")(export)

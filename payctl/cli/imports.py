"""`payctl import`: bank extracts in, payments and reconciliations out."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, use_format
from payctl.cli.progress import progress_bar
from payctl.cli.runtime import database_failure, error_line, run, user
from payctl.errors import EXIT_BAD_INPUT, PayctlError

COLUMNS = [
    ("file", "File"),
    ("format", "Format"),
    ("status", "Status"),
    ("lines_read", "Lines"),
    ("duplicates", "Duplicates"),
    ("changed", "Changed"),
    ("new_lines", "New"),
    ("matched", "Matched by rule"),
    ("payments_created", "Payments"),
    ("payments_confirmed", "Confirmed"),
    ("reconciled", "Reconciled"),
    ("to_review", "To review"),
    ("unmatched", "Unmatched"),
]
COUNTS = (
    "statements",
    "lines_read",
    "duplicates",
    "changed",
    "new_lines",
    "payments_created",
    "payments_confirmed",
    "reconciled",
    "to_review",
    "unmatched",
)


def import_(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Bank files (camt.053/054, MT940, OFX, CSV, "
            "XLSX); '-' reads JSON lines from stdin."
        ),
    ],
    journal: Annotated[str, typer.Option("--journal", "-j", help="Bank journal.")] = "BNK1",
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format", help="camt, mt940, ofx, csv, xlsx or jsonl (default: detected)."
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="CSV/XLSX mapping profile: a built-in name or a TOML file."),
    ] = None,
    auto_confirm: Annotated[
        bool, typer.Option("--auto-confirm", help="Post the payments made from matched lines.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Match and report, write nothing.")
    ] = False,
    format_: FormatOpt = None,
) -> None:
    """Import bank extracts: deduplicate, match each line to invoices or payments, book it.

    Lines that match well become draft payments (or posted ones with --auto-confirm) or
    reconcile posted payments; the rest wait in `payctl review list`. Importing a file again
    adds nothing. Each file is its own transaction.

    Example: payctl import /srv/extracts/2026-11-26.xml --journal BNK1 --auto-confirm
    """
    use_format(format_)
    inputs = ["-" if f == "-" else f for f in files]
    options = {
        "journal": journal,
        "input_format": input_format,
        "profile": profile,
        "auto_confirm": auto_confirm,
        "dry_run": dry_run,
    }
    with progress_bar("bank lines") as progress:
        rows = run(lambda session: _import_files(session, inputs, progress, options))
    if render.fmt() == "json":
        totals = {k: sum(r.get(k) or 0 for r in rows) for k in COUNTS}
        totals["failed_files"] = sum(not r.get("ok", True) for r in rows)
        render.emit_json({"files": rows, "totals": totals})
    else:
        shown = [
            {
                **r,
                "matched": ", ".join(
                    f"{k} {v}" for k, v in sorted((r.get("matched") or {}).items())
                ),
            }
            for r in rows
        ]
        render.rows(shown, COLUMNS, title="Import")
    for row in rows:
        for change in row.get("changes") or []:
            render.message(f"warning: {row['file']}: {changed_line(change)}")
        for warning in row.get("warnings") or []:
            render.message(f"warning: {row['file']}: {warning}")
        if row.get("error"):
            error_line(row["error"])
    failed = [r for r in rows if r.get("status") == "failed"]
    if failed:
        raise typer.Exit(max(r.get("exit_code", EXIT_BAD_INPUT) for r in failed))


def changed_line(change: dict[str, Any]) -> str:
    """A known line the file gives otherwise, in words: which line, which fields."""
    where = f"line {change['line']}: " if change.get("line") else ""
    tx = f"bank transaction {change['transaction_id']}" if change.get("transaction_id") else "line"
    fields = "; ".join(
        f"{f['field']}: {f['stored'] or '(none)'} stored, {f['file'] or '(none)'} in the file"
        for f in change["fields"]
    )
    return (
        f"{where}{tx} is already imported as bank line {change['bank_line']} but differs "
        f"({fields}): the stored line is kept"
    )


async def _import_files(
    session: Any, inputs: list[str], progress: Any, options: dict[str, Any]
) -> list[dict[str, Any]]:
    """One row per file, in order. Each file is its own transaction: a bad file is reported
    and the others go on; when the database fails (disk full, connection lost) the files
    before it stay committed and are reported as such, the rest are not tried."""
    out = []
    for index, file in enumerate(inputs):
        try:
            out.append(await _import_one(session, file, progress, options))
        except PayctlError as exc:
            out.append(_failed(file, exc.message, exc.exit_code))
        except Exception as exc:
            mapped = database_failure(exc)
            if mapped is None:
                raise
            out.append(_failed(file, f"{file}: {mapped.message}", mapped.exit_code))
            out.extend(_failed(rest, None, None) for rest in inputs[index + 1 :])
            break
    return out


async def _import_one(
    session: Any, file: str, progress: Any, options: dict[str, Any]
) -> dict[str, Any]:
    from payctl.importers.files import read_input
    from payctl.services.bank.bank_extract_service import BankExtractService
    from payctl.services.views import plain

    data, source = read_input(file)
    fmt = options["input_format"] or ("jsonl" if file == "-" else None)
    report = await BankExtractService(session, user()).import_file(
        data,
        source,
        options["journal"],
        input_format=fmt,
        profile=options["profile"],
        auto_confirm=options["auto_confirm"],
        dry_run=options["dry_run"],
        progress=progress,
    )
    row = plain(report)
    row["status"] = "dry run" if options["dry_run"] else "imported"
    row["file"] = row.pop("source")
    return row


def _failed(file: str, error: str | None, exit_code: int | None) -> dict[str, Any]:
    """The row of a file that failed (``error``), or was not tried after the database failed."""
    if error is None:
        return {"file": file, "ok": False, "status": "not imported"}
    return {"file": file, "ok": False, "error": error, "status": "failed", "exit_code": exit_code}


def register(app: typer.Typer) -> None:
    app.command("import")(import_)

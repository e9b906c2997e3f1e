"""`payctl import`: bank extracts in, payments and reconciliations out."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, use_format
from payctl.cli.progress import progress_bar
from payctl.cli.runtime import database_failure, error_line, run, user

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
    ("ruled", "Decided by rules"),
    ("moved_to", "Moved to"),
]


def import_(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Bank files (camt.053/054, MT940, OFX, CSV, XLSX) or directories (their "
            "bank files, in name order); '-' reads JSON lines from stdin."
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
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            help="Rules file (TOML) for the lines matching leaves undecided; default: "
            "rules.toml beside the default database, when there is one.",
        ),
    ] = None,
    no_rules: Annotated[
        bool, typer.Option("--no-rules", help="Apply no rules file, not even the default.")
    ] = False,
    archive: Annotated[
        str | None,
        typer.Option("--archive", help="Move each file imported (or already known) here."),
    ] = None,
    failed: Annotated[
        str | None,
        typer.Option("--failed", help="Move each file that could not be read here."),
    ] = None,
    format_: FormatOpt = None,
) -> None:
    """Import bank extracts: deduplicate, match each line to invoices or payments, book it.

    Lines that match well become draft payments (or posted ones with --auto-confirm) or
    reconcile posted payments; the rest wait in `payctl review list`. Importing a file again
    adds nothing. Each file is its own transaction. Lines still undecided go to the rules
    file (`payctl rules check`), in its order, first match wins. A directory imports its bank
    files in name order; with --archive / --failed each is moved once decided, so a nightly
    run never takes a file twice. Exit 2 when a file failed.

    Example: payctl import /srv/extracts --journal BNK1 --archive /srv/done --failed /srv/bad
    """
    use_format(format_)
    from payctl.services.bank.bank_extract_service import BankExtractService, ImportOptions

    if rules is not None and no_rules:
        from payctl.cli.runtime import abort
        from payctl.errors import EXIT_BAD_INPUT

        abort("--rules and --no-rules: say one", EXIT_BAD_INPUT)
    options = ImportOptions(
        journal,
        input_format,
        profile,
        auto_confirm,
        dry_run,
        rules=rules,
        default_rules=not no_rules,
        archive=archive,
        failed=failed,
    )
    with progress_bar("bank lines") as progress:
        result = run(
            lambda session: BankExtractService(session, user()).import_files(
                files, options, database_failure, progress
            )
        )
    rows = [_row(outcome) for outcome in result.files]
    if render.fmt() == "json":
        render.emit_json({"files": rows, "totals": result.totals(), "rules": result.rules})
    else:
        shown = [
            {
                **r,
                "matched": ", ".join(
                    f"{k} {v}" for k, v in sorted((r.get("matched") or {}).items())
                ),
                "ruled": ", ".join(f"{k} {v}" for k, v in sorted((r.get("ruled") or {}).items())),
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
        if row.get("move_error"):
            render.message(f"warning: {row['file']}: {row['move_error']}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


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


def _row(outcome: Any) -> dict[str, Any]:
    """A file's row as the table and JSON show it: its report, or why it has none."""
    from payctl.services.views import plain

    moved = {"moved_to": outcome.moved_to, "move_error": outcome.move_error}
    if outcome.report is None:
        if outcome.error is None:  # not tried (the database failed before), or gone
            return {"file": outcome.file, "ok": outcome.status == "gone", "status": outcome.status}
        return {
            "file": outcome.file,
            "ok": False,
            "error": outcome.error,
            "status": outcome.status,
            "exit_code": outcome.exit_code,
            **moved,
        }
    row = plain(outcome.report)
    row["status"] = outcome.status
    row["file"] = row.pop("source")
    return {**row, **moved}


def register(app: typer.Typer) -> None:
    app.command("import")(import_)

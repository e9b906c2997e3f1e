"""`payctl bulk create|validate|confirm|post|reset|cancel|delete`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from payctl.cli import render, transitions
from payctl.cli.options import (
    DateFromOpt,
    DateToOpt,
    EncodingOpt,
    FormatOpt,
    ReasonOpt,
    WriteOffOpt,
    checked_ids,
    use_format,
)
from payctl.cli.runtime import abort, run, usage_error, user
from payctl.errors import EXIT_BAD_INPUT, PayctlError

app = typer.Typer(
    no_args_is_help=True,
    help="Act on many payments at once (batches of 1000).",
    epilog="Example: payctl bulk confirm --state draft --journal BNK1 --dry-run",
)
IdentsArg = Annotated[
    list[str] | None, typer.Argument(help="Payment numbers or ids.", callback=checked_ids)
]
FileOpt = Annotated[
    str | None,
    typer.Option(
        "--file",
        help="File of payments: one id/number per line, or CSV/XLSX with a 'payment' "
        "column; '-' reads standard input.",
    ),
]
AtomicOpt = Annotated[
    bool, typer.Option("--atomic", help="All or nothing: one failure rolls back the whole run.")
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Run every check, write nothing.")]
StateOpt = Annotated[str | None, typer.Option("--state", "--status", help="Filter: state.")]
TypeOpt = Annotated[str | None, typer.Option("--type", help="Filter: payment type.")]
PartnerOpt = Annotated[str | None, typer.Option("--partner", help="Filter: partner.")]
JournalOpt = Annotated[str | None, typer.Option("--journal", help="Filter: journal.")]
WRITE_OFF_ACTIONS = ("validate", "confirm", "post")


def _selection(
    idents: list[str] | None, file: str | None, encoding: str | None, filters: Any
) -> Any:
    from payctl.services.payments.selection import Selection

    names = list(idents or [])
    if file:
        # the file readers only when a file is named (issue 12: a filter run needs none)
        from payctl.importers.identifiers import read_identifiers

        try:
            names += read_identifiers(file, encoding)
        except PayctlError as exc:
            abort(exc.message, EXIT_BAD_INPUT)
    if file and not names:
        abort(f"{file}: no payments listed", EXIT_BAD_INPUT)
    if names and not filters.is_empty():
        usage_error("give payments OR filters, not both")
    if not names and filters.is_empty():
        usage_error("name payments (arguments or --file) or give a filter such as --state draft")
    return Selection(tuple(names), None if names else filters)


def _run(action: str, given: dict[str, Any]) -> None:
    """One bulk transition (the command's arguments, ``given``): the selection (names or
    filters), the options, the report."""
    use_format(given["format_"])
    from payctl.services.payments.bulk_types import BulkOptions
    from payctl.services.payments.payment_queries import PaymentFilter

    filters = PaymentFilter(
        given["state_"],
        given["type"],
        given["partner"],
        given["journal"],
        given["date_from"],
        given["date_to"],
    )
    selection = _selection(given["payments"], given["file"], given["encoding"], filters)
    options = BulkOptions(
        given["atomic"], given["dry_run"], given["reason"], given.get("write_off", False)
    )
    transitions.execute(action, selection, options, title=f"bulk {action}")


def _command(action: str, doc: str) -> Callable[..., None]:
    """The command of ``action``: --write-off only where a payment is posted (it means
    nothing to a reset, a cancel or a delete, so those do not offer it)."""

    def command(
        payments: IdentsArg = None,
        file: FileOpt = None,
        encoding: EncodingOpt = None,
        state_: StateOpt = None,
        type: TypeOpt = None,
        partner: PartnerOpt = None,
        journal: JournalOpt = None,
        date_from: DateFromOpt = None,
        date_to: DateToOpt = None,
        atomic: AtomicOpt = False,
        dry_run: DryRunOpt = False,
        reason: ReasonOpt = None,
        format_: FormatOpt = None,
    ) -> None:
        _run(action, locals())

    def posting(
        payments: IdentsArg = None,
        file: FileOpt = None,
        encoding: EncodingOpt = None,
        state_: StateOpt = None,
        type: TypeOpt = None,
        partner: PartnerOpt = None,
        journal: JournalOpt = None,
        date_from: DateFromOpt = None,
        date_to: DateToOpt = None,
        atomic: AtomicOpt = False,
        dry_run: DryRunOpt = False,
        reason: ReasonOpt = None,
        write_off: WriteOffOpt = False,
        format_: FormatOpt = None,
    ) -> None:
        _run(action, locals())

    chosen = posting if action in WRITE_OFF_ACTIONS else command
    chosen.__doc__ = doc
    return chosen


for _action, _doc in {
    "validate": "Check whether payments can be confirmed; writes nothing.\n\n"
    "Example: payctl bulk validate --state draft",
    "confirm": "Confirm (post) many draft payments.\n\n"
    "Example: payctl bulk confirm --file approved.csv --atomic",
    "post": "Post many payments: the accounting word for confirm, the same transition.\n\n"
    "Example: payctl bulk post --state draft --journal BNK1",
    "reset": "Reset many posted payments to draft (reversal entries).\n\n"
    "Example: payctl bulk reset --state posted --date-from 2026-11-01",
    "cancel": "Cancel many payments (posted ones get reversal entries).\n\n"
    "Example: payctl bulk cancel 12 13 14 --reason duplicates",
    "delete": "Delete many never-posted drafts.\n\n"
    "Example: payctl bulk delete --state draft --partner 'ACME GmbH' --dry-run",
}.items():
    app.command(_action)(_command(_action, _doc))


CREATE_COLUMNS = [
    ("line", "Row"),
    ("status", "Status"),
    ("id", "Id"),
    ("date", "Date"),
    ("type", "Type"),
    ("partner", "Partner"),
    ("journal", "Journal"),
    ("amount", "Amount"),
    ("allocated", "Allocated"),
    ("currency", "Cur"),
    ("reference", "Reference"),
    ("message", "Message"),
]


def _render_created(result: Any) -> None:
    from payctl.services.views import plain

    items = [
        {"line": r.line, "status": r.status, "key": r.key, "message": r.message} | plain(r.payment)
        for r in result.rows
    ]
    totals = {
        "rows": len(items),
        "created": result.created,
        "skipped": result.skipped,
        "dry_run": result.dry_run,
    }
    if render.fmt() == "json":
        render.emit_json({"items": items, "total": len(items), "summary": totals})
        return
    render.rows(items, CREATE_COLUMNS, title="bulk create", right=("amount", "allocated"))
    note = " (dry run: nothing written)" if result.dry_run else ""
    render.message(
        f"{result.source}: {result.created} draft payments created, "
        f"{result.skipped} already there (skipped){note}"
    )


@app.command("create")
def create(
    file: Annotated[
        str,
        typer.Option(
            "--file",
            help="CSV/XLSX (or '-' for CSV on stdin) with columns type, partner, journal, "
            "amount[, date, reference, memo, allocations, currency, key].",
        ),
    ],
    dry_run: DryRunOpt = False,
    encoding: EncodingOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Create many draft payments from a file, all or nothing; safe to run again.

    Each row is created once: a row is recognised by its `key` (or `external_id`) column when
    the file has one, else by its content and its place among identical rows, so running the
    same file again creates nothing and two identical rows are two payments. Every bad row is
    reported (file, row, field) and then nothing is created.

    Example: payctl bulk create --file sample_data/payments.csv --dry-run
    """
    use_format(format_)
    from payctl.importers.files import read_input
    from payctl.importers.tabular import read_source_rows
    from payctl.services.payments.payment_service import PaymentService

    try:
        table = (
            read_source_rows("stdin.csv", *read_input("-"), encoding)
            if file == "-"
            else read_source_rows(file, encoding=encoding)
        )
    except PayctlError as exc:
        abort(exc.lines, exc.exit_code)
    result = run(
        lambda s: PaymentService(s, user()).create_payments(
            table.rows, table.header, table.source, dry_run=dry_run
        )
    )
    _render_created(result)

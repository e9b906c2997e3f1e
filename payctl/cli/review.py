"""`payctl review list|accept|ignore|unmatch|export`: the bank lines waiting for a person."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import (
    LIST_LIMIT,
    FormatOpt,
    LimitOpt,
    OffsetOpt,
    OutputFormat,
    ReasonOpt,
    checked_id,
    checked_ids,
    use_format,
)
from payctl.cli.runtime import run, user

app = typer.Typer(no_args_is_help=True, epilog="Example: payctl review list --format json")
LineArg = Annotated[
    str, typer.Argument(help="Bank line id (see `payctl review list`).", callback=checked_id)
]
COLUMNS = [
    ("id", "Line"),
    ("date", "Date"),
    ("amount", "Amount"),
    ("currency", "Cur"),
    ("counterparty", "Counterparty"),
    ("text", "Text"),
    ("reason", "Why in review"),
    ("best", "Best candidates (score: reason)"),
]


OUTCOME_FIELDS = [
    ("line", "Line"),
    ("action", "Action"),
    ("payment", "Payment"),
    ("message", "Message"),
]


def _outcome(outcome: Any) -> None:
    """What accept/ignore/unmatch did: a sentence in a table, an object in JSON, a row in CSV."""
    from payctl.services.views import plain

    if render.fmt() == "table":
        render.line(outcome.message)
    else:
        render.record(plain(outcome), OUTCOME_FIELDS)


def _rows(page: Any) -> list[dict[str, Any]]:
    from payctl.services.views import plain

    rows = []
    for item in page.items:
        row = plain(item)
        row["best"] = " | ".join(f"{c['score']}: {c['reason']}" for c in item.candidates[:3])
        rows.append(row)
    return rows


@app.command("list")
def list_(
    state: Annotated[
        str, typer.Option("--state", help="review, ignored, matched, booked or all.")
    ] = "review",
    limit: LimitOpt = LIST_LIMIT,
    offset: OffsetOpt = 0,
    format_: FormatOpt = None,
) -> None:
    """List bank lines waiting for review, with their best candidates, scores and reasons.

    Example: payctl review list --format json
    """
    use_format(format_)
    from payctl.services.bank.review_service import ReviewService

    page = run(lambda s: ReviewService(s, user()).list_lines(state, limit or None, offset))
    render.rows(
        _rows(page),
        COLUMNS,
        title="Review queue",
        total=page.total,
        right=("amount",),
        empty="no bank lines match",
        money=True,
    )


@app.command("accept")
def accept(
    line: LineArg,
    invoice: Annotated[
        list[str] | None,
        typer.Option(
            "--invoice", help="Invoice the line pays, optionally INVOICE=AMOUNT; repeatable."
        ),
    ] = None,
    payment: Annotated[
        str | None,
        typer.Option(
            "--payment",
            help="A posted payment this line settles (reconcile).",
            callback=checked_ids,
        ),
    ] = None,
    partner: Annotated[
        str | None, typer.Option("--partner", help="Partner, for a payment on account.")
    ] = None,
    auto_confirm: Annotated[bool, typer.Option("--auto-confirm", help="Post the payment.")] = False,
    account: Annotated[
        str | None,
        typer.Option(
            "--account",
            help="Book the line to this account instead (bank fees, salaries, taxes, "
            "interest; see `payctl account list`).",
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option("--label", help="Label of the booking (with --account)."),
    ] = None,
    transfer: Annotated[
        str | None,
        typer.Option(
            "--transfer",
            help="An internal transfer to (or from) this own journal, e.g. BNK2: booked "
            "through the internal transfer account and paired with its other half.",
        ),
    ] = None,
    format_: FormatOpt = None,
) -> None:
    """Accept a line: its best candidate, the invoice(s), payment or partner you name, or
    book it to an account (--account). The line leaves the bank suspense account.

    Example: payctl review accept 42 --invoice INV/2026/0007

    Example: payctl review accept 43 --account 6270 --label "bank fees March"

    Example: payctl review accept 44 --transfer BNK2
    """
    use_format(format_)
    from payctl.domain.allocations import parse_allocation
    from payctl.services.bank.review_service import ReviewService

    invoices = [parse_allocation(s, "--invoice", amount_required=False) for s in invoice or []]
    outcome = run(
        lambda s: ReviewService(s, user()).accept(
            line, invoices, payment, partner, auto_confirm, account, label, transfer
        )
    )
    _outcome(outcome)


@app.command("ignore")
def ignore(line: LineArg, reason: ReasonOpt = None, format_: FormatOpt = None) -> None:
    """Take a line out of the queue: it stays in the bank suspense account (decided to wait
    there). To book it (fees, salaries…) use `review accept LINE --account CODE` instead.

    Example: payctl review ignore 42 --reason "bank fee, booked by hand"
    """
    use_format(format_)
    from payctl.services.bank.review_service import ReviewService

    _outcome(run(lambda s: ReviewService(s, user()).ignore(line, reason)))


@app.command("unmatch")
def unmatch(line: LineArg, reason: ReasonOpt = None, format_: FormatOpt = None) -> None:
    """Undo a line's match or booking and put it back in review (and in bank suspense).

    A reconciled payment stays posted (the reconciliation is reversed); a payment the match
    created is deleted while a draft, cancelled (reversal entry) once posted; a booking to an
    account is reversed.

    Example: payctl review unmatch 42
    """
    use_format(format_)
    from payctl.services.bank.review_service import ReviewService

    _outcome(run(lambda s: ReviewService(s, user()).unmatch(line, reason)))


# What `review export --output FILE` writes, by FILE's extension.
EXPORT_KINDS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}


def _export_kind(output: Path, given: OutputFormat | None) -> str:
    """The format a file gets: its extension's; a --format saying otherwise, or an extension
    payctl does not write, is a usage error (exit 2) before anything is read or written."""
    from payctl.cli.runtime import usage_error

    kind = EXPORT_KINDS.get(output.suffix.lower())
    if kind is None:
        usage_error(
            f"--output: {output}: unknown extension {output.suffix or '(none)'!r}; "
            f"give a file ending in {', '.join(EXPORT_KINDS)}"
        )
    if given is not None and given.value != kind and given is not OutputFormat.TABLE:
        usage_error(f"--format {given.value} does not match --output {output} (a {kind} file)")
    return kind


@app.command("export")
def export(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write, .csv, .json or .xlsx (its extension chooses the format); "
            "default: standard output.",
        ),
    ] = None,
    state: Annotated[
        str, typer.Option("--state", help="review, ignored, matched, booked or all.")
    ] = "review",
    format_: FormatOpt = None,
) -> None:
    """Export the review queue as CSV (default), JSON or an XLSX workbook for a spreadsheet
    or another tool.

    Example: payctl review export --output review.xlsx
    """
    import contextlib

    from payctl.cli.runtime import abort
    from payctl.errors import EXIT_BAD_INPUT
    from payctl.importers.files import os_reason

    use_format(format_)
    if output is not None and output.is_dir():
        abort(f"--output: {output} is a directory: give a file", EXIT_BAD_INPUT)
    kind = render.fmt() if output is None else _export_kind(output, format_)
    render.state().format = "csv" if kind == "table" else kind
    from payctl.services.bank.review_service import ReviewService

    page = run(lambda s: ReviewService(s, user()).list_lines(state, None, 0))
    rows = _rows(page)
    if output is None:
        render.rows(rows, COLUMNS, total=page.total)
        return
    try:
        if kind == "xlsx":
            from payctl.exporters.tabular import write_table_xlsx

            write_table_xlsx(output, "Review", [k for k, _ in COLUMNS], rows, {"amount"})
        else:
            with (
                output.open("w", encoding="utf-8", newline="") as handle,
                contextlib.redirect_stdout(handle),
            ):
                render.rows(rows, COLUMNS, total=page.total)
    except OSError as exc:
        abort(f"--output: cannot write {output}: {os_reason(exc)}", EXIT_BAD_INPUT)
    render.message(f"wrote {len(rows)} lines to {output}")

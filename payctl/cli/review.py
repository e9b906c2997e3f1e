"""`payctl review list|accept|ignore|unmatch|export`: the bank lines waiting for a person."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import (
    FormatOpt,
    LimitOpt,
    OffsetOpt,
    ReasonOpt,
    checked_id,
    checked_ids,
    use_format,
)
from payctl.cli.runtime import run, user

app = typer.Typer(no_args_is_help=True)
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
        str, typer.Option("--state", help="review, ignored, matched or all.")
    ] = "review",
    limit: LimitOpt = 50,
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
) -> None:
    """Accept a line: its best candidate, or the invoice(s), payment or partner you name.

    Example: payctl review accept 42 --invoice INV/2026/0007
    """
    from payctl.domain.allocations import parse_allocation
    from payctl.services.bank.review_service import ReviewService

    invoices = [parse_allocation(s, "--invoice", amount_required=False) for s in invoice or []]
    outcome = run(
        lambda s: ReviewService(s, user()).accept(line, invoices, payment, partner, auto_confirm)
    )
    render.line(outcome.message)


@app.command("ignore")
def ignore(line: LineArg, reason: ReasonOpt = None) -> None:
    """Take a line out of the queue without booking anything (fees, internal transfers…).

    Example: payctl review ignore 42 --reason "bank fee, booked by hand"
    """
    from payctl.services.bank.review_service import ReviewService

    render.line(run(lambda s: ReviewService(s, user()).ignore(line, reason)).message)


@app.command("unmatch")
def unmatch(line: LineArg, reason: ReasonOpt = None) -> None:
    """Undo a line's match and put it back in review.

    A reconciled payment stays posted (the reconciliation is reversed); a payment the match
    created is deleted while a draft, cancelled (reversal entry) once posted.

    Example: payctl review unmatch 42
    """
    from payctl.services.bank.review_service import ReviewService

    render.line(run(lambda s: ReviewService(s, user()).unmatch(line, reason)).message)


@app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default stdout).")
    ] = None,
    state: Annotated[
        str, typer.Option("--state", help="review, ignored, matched or all.")
    ] = "review",
    format_: FormatOpt = None,
) -> None:
    """Export the review queue as CSV (default) or JSON for a spreadsheet or another tool.

    Example: payctl review export --output review.csv
    """
    use_format(format_)
    if render.fmt() == "table":
        render.state().format = "csv"
    from payctl.services.bank.review_service import ReviewService

    page = run(lambda s: ReviewService(s, user()).list_lines(state, None, 0))
    rows = _rows(page)
    if output is None:
        render.rows(rows, COLUMNS, total=page.total)
        return
    import contextlib

    from payctl.cli.runtime import abort
    from payctl.errors import EXIT_BAD_INPUT
    from payctl.importers.files import os_reason

    if output.is_dir():
        abort(f"--output: {output} is a directory: give a file", EXIT_BAD_INPUT)
    try:
        handle = output.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        abort(f"--output: cannot write {output}: {os_reason(exc)}", EXIT_BAD_INPUT)
    with handle, contextlib.redirect_stdout(handle):
        render.rows(rows, COLUMNS, total=page.total)
    render.message(f"wrote {len(rows)} lines to {output}")

"""`payctl reconcile JOURNAL`: the bank reconciliation report."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, use_format
from payctl.cli.runtime import run, user

# (key, label) of the report's figures, in the order an accountant reads them.
FIGURES = [
    ("statement_balance", "Statement balance (bank)"),
    ("ledger_balance", "Ledger bank balance"),
    ("difference", "Difference"),
    ("opening_not_booked", "  opening balance not booked"),
    ("lines_not_in_ledger", "  bank lines up to the statement not in the ledger"),
    ("lines_after_statement", "  bank lines after the statement, in the ledger"),
    ("unexplained", "  unexplained"),
    ("waiting_total", "Waiting in suspense (to decide)"),
    ("in_transit_total", "In transit (payments not yet on a statement)"),
    ("expected_balance", "Ledger balance once they clear"),
]
WAITING_COLUMNS = [
    ("id", "Line"),
    ("date", "Date"),
    ("amount", "Amount"),
    ("state", "State"),
    ("counterparty", "Counterparty"),
    ("text", "Text"),
    ("reason", "Why"),
]
TRANSIT_COLUMNS = [
    ("payment", "Payment"),
    ("date", "Date"),
    ("amount", "Amount"),
    ("type", "Type"),
    ("partner", "Partner"),
    ("reference", "Reference"),
]
CSV_COLUMNS = [
    ("row", "row"),
    ("ref", "ref"),
    ("date", "date"),
    ("who", "who"),
    ("text", "text"),
    ("state", "state"),
    ("amount", "amount"),
    ("currency", "currency"),
]


def _csv(data: dict[str, Any]) -> list[dict[str, Any]]:
    cur = data["currency"]
    out: list[dict[str, Any]] = [
        {"row": "figure", "text": key, "amount": data[key], "currency": cur} for key, _ in FIGURES
    ]
    for w in data["waiting"]:
        out.append(
            {
                "row": "waiting",
                "ref": w["id"],
                "date": w["date"],
                "who": w["counterparty"],
                "text": w["text"],
                "state": w["state"],
                "amount": w["amount"],
                "currency": cur,
            }
        )
    for w in data["matched_to_drafts"]:
        out.append(
            {
                "row": "matched_to_draft",
                "ref": w["id"],
                "date": w["date"],
                "who": w["counterparty"],
                "text": w["text"],
                "state": w["state"],
                "amount": w["amount"],
                "currency": cur,
            }
        )
    for t in data["in_transit"]:
        out.append(
            {
                "row": "in_transit",
                "ref": t["payment"],
                "date": t["date"],
                "who": t["partner"],
                "text": t["reference"],
                "state": t["type"],
                "amount": t["amount"],
                "currency": cur,
            }
        )
    return out


def reconcile(
    journal: Annotated[str, typer.Argument(help="The bank journal's code, e.g. BNK1.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="On this day (YYYY-MM-DD or today).")
    ] = None,
    format_: FormatOpt = None,
) -> None:
    """Bank reconciliation: the bank's balance against the ledger's, explained.

    The statement balance (the journal's last statement by then), the ledger's bank balance, the
    difference explained (an opening balance not booked, bank lines not in the ledger), the
    lines waiting in suspense (in review or ignored) and the payments in transit (posted, not
    yet on a statement), each line by line with totals.

    Example: payctl reconcile BNK1 --as-of 2026-11-30
    """
    use_format(format_)
    from payctl.services.reports.report_service import ReportService
    from payctl.services.views import plain

    data = plain(run(lambda s: ReportService(s, user()).bank_reconciliation(journal, as_of)))
    if render.fmt() == "json":
        render.emit_json(data)
        return
    if render.fmt() == "csv":
        render.rows(_csv(data), CSV_COLUMNS)
        return
    cur = data["currency"]
    when = data["as_of"] or "now"
    statement = (
        f"statement {data['statement_id']} of {data['statement_date']}"
        if data["statement_id"] is not None
        else "no statement with a closing balance"
    )
    figures = {k: data[k] if data[k] is not None else "-" for k, _ in FIGURES}
    rows = [{"figure": label, "amount": figures[k], "currency": cur} for k, label in FIGURES]
    render.rows(
        rows,
        [("figure", "Figure"), ("amount", "Amount"), ("currency", "Cur")],
        title=f"Bank reconciliation of {data['journal']} ({data['account']}) as of {when}: "
        f"{statement}",
        right=("amount",),
    )
    render.section(
        data["waiting"],
        WAITING_COLUMNS,
        title=f"Waiting in suspense: {len(data['waiting'])} lines, {data['waiting_total']} {cur}",
        right=("id", "amount"),
    )
    render.section(
        data["matched_to_drafts"],
        WAITING_COLUMNS,
        title=f"Matched to draft payments (confirm them): {len(data['matched_to_drafts'])} lines",
        right=("id", "amount"),
    )
    render.section(
        data["in_transit"],
        TRANSIT_COLUMNS,
        title=f"In transit: {len(data['in_transit'])} payments, {data['in_transit_total']} {cur}",
        right=("amount",),
    )

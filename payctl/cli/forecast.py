"""`payctl report forecast`: money open invoices and bills should bring in and take out."""

from __future__ import annotations

from typing import Annotated

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, use_format
from payctl.cli.runtime import run
from payctl.domain.dates import MAX_FORECAST_WEEKS

COLUMNS = [
    ("currency", "Cur"),
    ("period", "Period"),
    ("from", "From"),
    ("to", "To"),
    ("count", "Items"),
    ("money_in", "In"),
    ("money_out", "Out"),
    ("net", "Net"),
]
FIGURES = ("count", "money_in", "money_out", "net")


def forecast(
    weeks: Annotated[
        int,
        typer.Option(
            "--weeks",
            min=1,
            max=MAX_FORECAST_WEEKS,
            help=f"Weeks to show (1 to {MAX_FORECAST_WEEKS}).",
        ),
    ] = 8,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Week 1 starts on this date (YYYY-MM-DD; default today)."),
    ] = None,
    format_: FormatOpt = None,
) -> None:
    """Expected money in and out by week of due date, from open invoices and bills.

    Each open or partly paid invoice, bill or credit note counts its open residual on its due
    date (its invoice date when it has none): money in for customer invoices and vendor credit
    notes, money out (negative) for vendor bills and customer credit notes. Overdue items and
    those due after the last week have rows of their own, so a currency's rows add up to all
    its open residuals; currencies are never added together.

    Example: payctl report forecast --weeks 12 --as-of 2026-11-30
    """
    use_format(format_)
    from payctl.services.reports.forecast import ForecastService
    from payctl.services.views import plain

    data = plain(run(lambda s: ForecastService(s).forecast(weeks, as_of)))
    if render.fmt() == "json":
        render.emit_json(data)
        return
    totals = [{"period": "total", **row} for row in data["totals"]]
    if render.fmt() == "csv":
        render.rows(data["items"] + totals, COLUMNS)
        return
    if not totals:
        render.line(f"No open invoices or bills as of {data['as_of']}.")
        return
    for total in totals:
        currency = total["currency"]
        rows = [row for row in data["items"] if row["currency"] == currency]
        render.rows(
            [*rows, total],
            COLUMNS[1:],
            title=f"Forecast in {currency} as of {data['as_of']}, {data['weeks']} weeks",
            right=FIGURES,
        )

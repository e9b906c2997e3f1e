"""`payctl summary`, `types`, `statuses`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import DateFromOpt, DateToOpt, FormatOpt, use_format
from payctl.cli.runtime import run

FLOW_COLUMNS = [
    ("currency", "Cur"),
    ("count", "Count"),
    ("money_in", "In"),
    ("money_out", "Out"),
    ("net", "Net"),
]
FIGURES = ("count", "money_in", "money_out", "net")
# (section, its key, title in a table)
SECTIONS = (
    ("totals", None, "Totals"),
    ("by_type", "type", "By type"),
    ("by_journal", "journal", "By journal"),
    ("by_month", "month", "By month"),
    ("not_counted", "state", "Not counted above"),
    ("unallocated", "type", "Posted, not allocated to invoices"),
)
StateOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--state",
        help="Count payments in this state: draft, posted or cancelled; repeat for several "
        "(default: posted).",
    ),
]


def summary(
    state: StateOpt = None,
    date_from: DateFromOpt = None,
    date_to: DateToOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Money in and out of posted payments, per currency, by type, journal and month.

    Money in (customer payments, vendor refunds) is positive, money out (vendor payments,
    customer refunds) negative, net their sum; amounts of different currencies are never
    added. Payments in the states not counted (draft and cancelled by default) are shown apart.
    On a terminal a bar chart shows money in and out per month.

    Example: payctl summary --date-from 2026-01-01 --date-to 2026-12-31 --state posted
    """
    use_format(format_)
    from payctl.services.reports.summary import SummaryService
    from payctl.services.views import plain

    view = run(lambda s: SummaryService(s).payment_summary(state or [], date_from, date_to))
    data = plain(view)
    if render.fmt() == "json":
        render.emit_json(data)
        return
    if render.fmt() == "csv":
        rows = [
            {"section": section.removeprefix("by_"), "key": item.get(key) if key else "", **item}
            for section, key, _title in SECTIONS
            for item in data[section]
        ]
        render.rows(rows, [("section", "section"), ("key", "key"), *FLOW_COLUMNS])
        return
    chart = None
    if view.by_month and render.on_terminal():  # for a person only, never for a pipe
        from payctl.cli.charts import month_chart

        chart = month_chart(view.by_month)
    _summary_tables(data, chart)


def _summary_tables(data: dict[str, Any], chart: Any) -> None:
    """The sections as tables, the chart (if any) after the months."""
    states = data["states"]
    what = "Posted payments" if states == ["posted"] else f"Payments: {', '.join(states)}"
    start, end = data["date_from"], data["date_to"]
    period = f"{start or '…'} to {end or '…'}" if start or end else "all dates"
    for section, key, title in SECTIONS:
        if section == "totals":
            title = f"{what}, {period}"
            if not data[section]:
                render.line(f"{title}: none")
                continue
        elif not data[section]:
            continue
        columns = [(key, key.capitalize())] if key else []
        render.rows(data[section], [*columns, *FLOW_COLUMNS], title=title, right=FIGURES)
        if section == "by_month" and chart is not None:
            render.show(chart)


def types(format_: FormatOpt = None) -> None:
    """List the payment types and what each settles.

    Example: payctl types --format json
    """
    use_format(format_)
    from payctl.domain.enums import PAYMENT_TYPE_HELP, SETTLES

    items = [
        {"type": t.value, "settles": SETTLES[t].value, "description": d}
        for t, d in PAYMENT_TYPE_HELP.items()
    ]
    if render.fmt() == "json":
        render.emit_json(items)
    else:
        render.rows(
            items, [("type", "Type"), ("settles", "Settles"), ("description", "Description")]
        )


def statuses(format_: FormatOpt = None) -> None:
    """List the payment states and what can happen in each.

    Example: payctl statuses
    """
    use_format(format_)
    from payctl.domain.enums import PAYMENT_STATE_HELP

    items = [{"state": s.value, "description": d} for s, d in PAYMENT_STATE_HELP.items()]
    if render.fmt() == "json":
        render.emit_json(items)
    else:
        render.rows(items, [("state", "State"), ("description", "Description")])


def register(app: typer.Typer) -> None:
    app.command("summary")(summary)
    app.command("types")(types)
    app.command("statuses")(statuses)

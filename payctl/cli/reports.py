"""`payctl summary`, `types`, `statuses`."""

from __future__ import annotations

import typer

from payctl.cli import render
from payctl.cli.options import DateFromOpt, DateToOpt, FormatOpt, use_format
from payctl.cli.runtime import run, user

GROUP_COLUMNS = [("count", "Count"), ("total", "Total"), ("currency", "Cur")]


def summary(
    date_from: DateFromOpt = None, date_to: DateToOpt = None, format_: FormatOpt = None
) -> None:
    """Counts and totals of payments by state, type, journal and month, and unallocated totals.

    Example: payctl summary --date-from 2026-01-01 --date-to 2026-12-31
    """
    use_format(format_)
    from payctl.services.payments.payment_service import PaymentService
    from payctl.services.views import plain

    data = plain(run(lambda s: PaymentService(s, user()).get_payment_summary(date_from, date_to)))
    if render.fmt() == "json":
        render.emit_json(data)
        return
    if render.fmt() == "csv":
        rows = [
            {"group": group, "key": next(iter(item.values())), **item}
            for group in ("by_state", "by_type", "by_journal", "by_month", "unallocated_posted")
            for item in data[group]
        ]
        render.rows(rows, [("group", "group"), ("key", "key"), *GROUP_COLUMNS])
        return
    for group, key, title in (
        ("by_state", "state", "By state"),
        ("by_type", "type", "By type"),
        ("by_journal", "journal", "By journal"),
        ("by_month", "month", "By month"),
        ("unallocated_posted", "type", "Unallocated (posted payments)"),
    ):
        render.rows(
            data[group],
            [(key, key.capitalize()), *GROUP_COLUMNS],
            title=title,
            right=("count", "total"),
        )


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

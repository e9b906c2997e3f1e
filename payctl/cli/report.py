"""`payctl report aging|trial-balance|partner|forecast`: what an accountant reads."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from payctl.cli import forecast, render
from payctl.cli.options import FormatOpt, use_format
from payctl.cli.runtime import run, user

app = typer.Typer(no_args_is_help=True, epilog="Example: payctl report trial-balance --format csv")

AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="As on this day (YYYY-MM-DD or today).")
]
FromOpt = Annotated[str | None, typer.Option("--from", help="From this day (YYYY-MM-DD).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Up to this day (YYYY-MM-DD).")]


def _service() -> Any:
    from payctl.services.reports.report_service import ReportService

    return lambda s: ReportService(s, user())


def _csv_rows(rows: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [{"row": kind, **r} for r in rows]


@app.command("aging")
def aging(
    receivable: Annotated[
        bool,
        typer.Option(
            "--receivable/--payable",
            help="Aged receivables (what customers owe, the default) or payables (what we owe "
            "vendors).",
        ),
    ] = True,
    as_of: AsOfOpt = None,
    buckets: Annotated[
        str | None,
        typer.Option(
            "--buckets",
            help="Upper limits of the buckets of days overdue, increasing (default 30,60,90: "
            "1-30, 31-60, 61-90, >90).",
        ),
    ] = None,
    partner: Annotated[
        str | None, typer.Option("--partner", help="Only this partner (name or id).")
    ] = None,
    format_: FormatOpt = None,
) -> None:
    """Aged receivables or payables, by days overdue.

    Per partner and currency: what is not yet due and what
    is overdue by bucket of days (from the due date, else the invoice date), with open credit
    notes and unallocated payments in columns of their own, and totals per currency. With
    --as-of, what was open on that day.

    Example: payctl report aging --payable --as-of 2026-06-30 --buckets 15,30,60
    """
    use_format(format_)
    from payctl.services.views import plain

    side = "receivable" if receivable else "payable"
    service = _service()
    report = run(lambda s: service(s).aging(side, as_of, buckets, partner))
    data = plain(report)
    keys = [b.key for b in report.buckets]

    def flat(row: dict[str, Any]) -> dict[str, Any]:
        cells = dict(zip(keys, row.pop("buckets"), strict=True))
        total = row.pop("total")
        return {**row, **cells, "total": total}

    items = [flat(r) for r in data["items"]]
    totals = [flat(r) for r in data["totals"]]
    for t in totals:
        del t["partner"]
    amounts = ["not_due", *keys, "credit_notes", "unallocated", "total"]
    labels = ["Not due", *(b.label for b in report.buckets), "Credit notes", "Unallocated", "Total"]
    columns = [("partner", "Partner"), ("currency", "Cur"), *zip(amounts, labels, strict=True)]
    if render.fmt() == "json":
        buckets_out = [
            {"key": b.key, "label": b.label, "first_day": b.first, "last_day": b.last}
            for b in report.buckets
        ]
        render.emit_json(
            {
                "side": side,
                "as_of": data["as_of"],
                "buckets": buckets_out,
                "items": items,
                "totals": totals,
            }
        )
    elif render.fmt() == "csv":
        render.rows(
            _csv_rows(items, "partner") + _csv_rows(totals, "total"), [("row", "row"), *columns]
        )
    elif not items:
        render.line(f"No open {side}s as of {data['as_of']}.")
    else:
        render.rows(
            items,
            columns,
            title=f"Aged {side}s as of {data['as_of']}",
            right=amounts,
            footer=[{"partner": "Total", **t} for t in totals],
        )


@app.command("trial-balance")
def trial_balance(
    as_of: AsOfOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Trial balance: per account and currency, debits, credits and balances.

    Per account and currency: the opening balance, debits, credits and
    closing balance (debit minus credit) of every posted entry, reversals included; totals per
    currency and whether debits equal credits. --as-of: everything up to that day; --from/--to:
    a period, the opening balance being what came before it.

    Example: payctl report trial-balance --from 2026-01-01 --to 2026-06-30
    """
    use_format(format_)
    from payctl.services.views import plain

    service = _service()
    data = plain(run(lambda s: service(s).trial_balance(as_of, date_from, date_to)))
    amounts = ["opening", "debits", "credits", "closing"]
    columns = [
        ("code", "Code"),
        ("name", "Account"),
        ("currency", "Cur"),
        *zip(amounts, ["Opening", "Debits", "Credits", "Closing"], strict=True),
    ]
    if render.fmt() == "json":
        render.emit_json(data)
        return
    if render.fmt() == "csv":
        totals = [{"code": "", "name": "", **t} for t in data["totals"]]
        render.rows(
            _csv_rows(data["items"], "account") + _csv_rows(totals, "total"),
            [("row", "row"), *columns, ("balanced", "balanced")],
        )
        return
    span = f"{data['date_from'] or 'start'} .. {data['date_to'] or 'end'}"
    if not data["items"]:
        render.line(f"No journal entries ({span}).")
        return
    render.rows(
        data["items"],
        columns,
        title=f"Trial balance {span}",
        right=amounts,
        footer=[{"name": "Total", **t} for t in data["totals"]],
    )
    for t in data["totals"]:
        verdict = "balanced" if t["balanced"] else "NOT balanced"
        sign = "=" if t["debits"] == t["credits"] else "!="
        render.line(
            f"{t['currency']}: debits {t['debits']} {sign} credits {t['credits']}: {verdict}"
        )


@app.command("partner")
def partner(
    name: Annotated[str, typer.Argument(help="Partner name or id.")],
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    format_: FormatOpt = None,
) -> None:
    """A partner's statement, with the running balance.

    The opening balance, every invoice, credit note, payment,
    reversal (reset or cancel) and write-off in date order with the running balance (what the
    partner owes us; negative: what we owe), and the closing balance, per currency.

    Example: payctl report partner "ACME GmbH" --from 2026-01-01 --to 2026-12-31
    """
    use_format(format_)
    from payctl.services.views import plain

    service = _service()
    data = plain(run(lambda s: service(s).partner_statement(name, date_from, date_to)))
    amounts = ["debit", "credit", "balance"]
    columns = [
        ("date", "Date"),
        ("entry", "Entry"),
        ("document", "Document"),
        ("kind", "Kind"),
        ("reverses", "Reverses"),
        ("currency", "Cur"),
        *zip(amounts, ["Debit", "Credit", "Balance"], strict=True),
    ]
    if render.fmt() == "json":
        render.emit_json(data)
        return
    if render.fmt() == "csv":
        render.rows(
            _csv_rows(data["opening"], "opening")
            + _csv_rows(data["items"], "entry")
            + _csv_rows(data["closing"], "closing"),
            [("row", "row"), *columns],
        )
        return
    span = f"{data['date_from'] or 'start'} .. {data['date_to'] or 'end'}"
    if not data["items"] and not data["opening"]:
        render.line(f"{data['partner']}: no entries ({span}).")
        return
    opening = [{"kind": "opening balance", **b} for b in data["opening"]]
    closing = [{"kind": "closing balance", **b} for b in data["closing"]]
    render.rows(
        opening + data["items"],
        columns,
        title=f"Statement of {data['partner']}, {span}",
        right=amounts,
        footer=closing,
    )


app.command("forecast")(forecast.forecast)

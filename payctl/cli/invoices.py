"""`payctl invoice create|list|show|import`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from payctl.cli import render
from payctl.cli.options import (
    LIST_LIMIT,
    LIST_ORDER,
    AmountMaxOpt,
    AmountMinOpt,
    DateFromOpt,
    DateToOpt,
    EncodingOpt,
    FormatOpt,
    LimitOpt,
    OffsetOpt,
    search_option,
    sort_option,
    use_format,
)
from payctl.cli.runtime import run, user
from payctl.cli.tables import import_table

app = typer.Typer(no_args_is_help=True, epilog="Example: payctl invoice list --open")
COLUMNS = [
    ("id", "Id"),
    ("number", "Number"),
    ("type", "Type"),
    ("partner", "Partner"),
    ("date", "Date"),
    ("due_date", "Due"),
    ("total", "Total"),
    ("residual", "Residual"),
    ("currency", "Cur"),
    ("state", "State"),
]
# The payments allocated to an invoice (`invoice show`); in CSV their columns follow the
# invoice's, renamed where a name would clash (SETTLEMENT_CSV).
SETTLEMENT_COLUMNS = [
    ("payment", "Payment"),
    ("payment_id", "Id"),
    ("date", "Date"),
    ("state", "State"),
    ("amount", "Allocated"),
    ("writeoff", "Write-off"),
    ("currency", "Cur"),
    ("bank_line", "Bank line"),
    ("bank_line_date", "Booked"),
    ("statement", "Statement"),
    ("statement_id", "Statement id"),
]
SETTLEMENT_CSV = {
    "date": "payment_date",
    "state": "payment_state",
    "amount": "allocated",
    "currency": "allocated_currency",
}


@app.command("create")
def create(
    number: Annotated[str, typer.Option("--number", "-n", help="Invoice number (unique).")],
    partner: Annotated[str, typer.Option("--partner", "-p", help="Partner name or id.")],
    amount: Annotated[str, typer.Option("--amount", "-a", help="Total, e.g. 1190.00.")],
    type: Annotated[
        str,
        typer.Option(
            "--type",
            help="customer_invoice, vendor_bill, customer_credit_note or vendor_credit_note.",
        ),
    ] = "customer_invoice",
    date: Annotated[
        str | None, typer.Option("--date", help="Invoice date (default today).")
    ] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date.")] = None,
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency", help="Default: the database's default currency (init --currency)."
        ),
    ] = None,
    format_: FormatOpt = None,
) -> None:
    """Create and book an invoice.

    A customer invoice books Dr receivable / Cr sales; a vendor bill Dr purchases / Cr payable.

    Example: payctl invoice create --partner "ACME GmbH" --number INV/2026/0001 --amount 1190.00
    """
    use_format(format_)
    from payctl.services.parties.invoice_service import InvoiceService
    from payctl.services.views import plain

    view = run(
        lambda s: InvoiceService(s, user()).create_invoice(
            number, partner, amount, type, date, due, currency
        )
    )
    render.record(plain(view), COLUMNS, title=f"Invoice {view.number}")


@app.command("list")
def list_(
    state_: Annotated[
        str | None, typer.Option("--state", help="open, partial, paid, cancelled.")
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open and partial ones.")] = False,
    partner: Annotated[str | None, typer.Option("--partner", help="Partner name or id.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="Invoice type.")] = None,
    date_from: DateFromOpt = None,
    date_to: DateToOpt = None,
    amount_min: AmountMinOpt = None,
    amount_max: AmountMaxOpt = None,
    search: Annotated[str | None, search_option("the number")] = None,
    sort: Annotated[
        str,
        sort_option("date, due, amount (the total), residual, number, id, state, partner, created"),
    ] = LIST_ORDER,
    limit: LimitOpt = LIST_LIMIT,
    offset: OffsetOpt = 0,
    format_: FormatOpt = None,
) -> None:
    """List invoices, newest first, with the filters, sort and pagination of `payctl list`.

    Example: payctl invoice list --open --partner "ACME GmbH" --amount-min 1000 --sort -due
    """
    use_format(format_)
    from payctl.services.parties.invoice_service import InvoiceFilter, InvoiceService
    from payctl.services.views import plain

    page = run(
        lambda s: InvoiceService(s, user()).list_invoices(
            InvoiceFilter(
                state_,
                partner,
                type,
                date_from,
                date_to,
                amount_min,
                amount_max,
                search,
                open_only,
            ),
            sort,
            limit or None,
            offset,
        )
    )
    render.rows(
        [plain(i) for i in page.items],
        COLUMNS,
        title="Invoices",
        total=page.total,
        right=("total", "residual"),
        empty="no invoices match",
        money=True,
    )


@app.command("show")
def show(
    invoice: Annotated[str, typer.Argument(help="Invoice number or id.")], format_: FormatOpt = None
) -> None:
    """Show one invoice with its residual and the payments (and bank lines) settling it.

    Example: payctl invoice show INV/2026/0001
    """
    use_format(format_)
    from payctl.services.parties.invoice_service import InvoiceService
    from payctl.services.views import plain

    data = plain(run(lambda s: InvoiceService(s, user()).get_invoice(invoice)))
    settlements = data["settlements"]
    if render.fmt() == "csv":
        # One flat table: the invoice's columns, then one row per payment (or one row with
        # empty payment columns when nothing settles it).
        invoice_row = {key: data[key] for key, _ in COLUMNS}
        render.rows(
            [
                invoice_row | {SETTLEMENT_CSV.get(k, k): v for k, v in item.items()}
                for item in settlements or [{}]
            ],
            COLUMNS + [(SETTLEMENT_CSV.get(k, k), header) for k, header in SETTLEMENT_COLUMNS],
        )
        return
    render.record(data, COLUMNS, title=f"Invoice {data['number']}")
    if render.fmt() == "table":
        if settlements:
            render.section(
                settlements,
                SETTLEMENT_COLUMNS,
                title="Payments and bank lines",
                right=("amount", "writeoff"),
            )
        else:
            render.line("No payment is allocated to it.")


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV or XLSX with columns number, partner, "
            "amount[, type, date, due_date, currency]."
        ),
    ],
    encoding: EncodingOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Import and book invoices from CSV/XLSX, all or nothing; identical re-imports are skipped.

    Example: payctl invoice import sample_data/invoices.csv
    """
    use_format(format_)
    from payctl.services.parties.invoice_service import InvoiceService

    import_table(
        file,
        lambda session, table: InvoiceService(session, user()).import_invoices(
            table.rows, table.header, table.source
        ),
        encoding,
    )

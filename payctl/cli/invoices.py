"""`payctl invoice create|list|show|import`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from payctl.cli import render
from payctl.cli.options import LIST_LIMIT, EncodingOpt, FormatOpt, LimitOpt, OffsetOpt, use_format
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
    limit: LimitOpt = LIST_LIMIT,
    offset: OffsetOpt = 0,
    format_: FormatOpt = None,
) -> None:
    """List invoices, oldest first.

    Example: payctl invoice list --open --partner "ACME GmbH"
    """
    use_format(format_)
    from payctl.services.parties.invoice_service import InvoiceService
    from payctl.services.views import plain

    page = run(
        lambda s: InvoiceService(s, user()).list_invoices(
            state_, partner, type, open_only, limit or None, offset
        )
    )
    render.rows(
        [plain(i) for i in page.items],
        COLUMNS,
        title="Invoices",
        total=page.total,
        right=("total", "residual"),
    )


@app.command("show")
def show(
    invoice: Annotated[str, typer.Argument(help="Invoice number or id.")], format_: FormatOpt = None
) -> None:
    """Show one invoice with its residual.

    Example: payctl invoice show INV/2026/0001
    """
    use_format(format_)
    from payctl.services.parties.invoice_service import InvoiceService
    from payctl.services.views import plain

    view = run(lambda s: InvoiceService(s, user()).get_invoice(invoice))
    render.record(plain(view), COLUMNS, title=f"Invoice {view.number}")


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

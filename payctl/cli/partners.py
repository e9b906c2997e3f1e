"""`payctl partner create|list|show|import`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from payctl.cli import render
from payctl.cli.options import EncodingOpt, FormatOpt, LimitOpt, OffsetOpt, use_format
from payctl.cli.runtime import run, user
from payctl.cli.tables import import_table

app = typer.Typer(no_args_is_help=True)
COLUMNS = [
    ("id", "Id"),
    ("name", "Name"),
    ("kind", "Kind"),
    ("ibans", "IBANs"),
    ("email", "Email"),
    ("vat", "VAT"),
]
DETAIL = COLUMNS + [
    ("open_receivable", "Open receivable"),
    ("open_payable", "Open payable"),
    ("unallocated_credit", "Customer credit (unallocated payments)"),
    ("vendor_prepayment", "Paid to vendor ahead (unallocated)"),
]


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Partner name (unique).")],
    kind: Annotated[str, typer.Option("--kind", help="customer, vendor or both.")] = "customer",
    iban: Annotated[list[str] | None, typer.Option("--iban", help="IBAN; repeatable.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Accounts e-mail address.")] = None,
    vat: Annotated[str | None, typer.Option("--vat", help="VAT id.")] = None,
    format_: FormatOpt = None,
) -> None:
    """Create a partner.

    Example: payctl partner create "ACME GmbH" --kind customer --iban DE89370400440532013000
    """
    use_format(format_)
    from payctl.services.parties.partner_service import PartnerService
    from payctl.services.views import plain

    view = run(lambda s: PartnerService(s, user()).create_partner(name, kind, iban, email, vat))
    render.record(plain(view), COLUMNS, title=f"Partner {view.name}")


@app.command("list")
def list_(
    kind: Annotated[str | None, typer.Option("--kind", help="customer, vendor or both.")] = None,
    search: Annotated[str | None, typer.Option("--search", "-s", help="Text in the name.")] = None,
    limit: LimitOpt = 100,
    offset: OffsetOpt = 0,
    format_: FormatOpt = None,
) -> None:
    """List partners.

    Example: payctl partner list --kind vendor
    """
    use_format(format_)
    from payctl.services.parties.partner_service import PartnerService
    from payctl.services.views import plain

    page = run(
        lambda s: PartnerService(s, user()).list_partners(kind, search, limit or None, offset)
    )
    render.rows(
        [plain(i) for i in page.items],
        COLUMNS,
        title="Partners",
        total=page.total,
        empty="no partners match",
    )


@app.command("show")
def show(
    partner: Annotated[str, typer.Argument(help="Partner name or id.")], format_: FormatOpt = None
) -> None:
    """Show a partner with open balances and unallocated payment credit.

    Example: payctl partner show "ACME GmbH"
    """
    use_format(format_)
    from payctl.services.parties.partner_service import PartnerService
    from payctl.services.views import plain

    view = run(lambda s: PartnerService(s, user()).get_partner(partner))
    render.record(plain(view), DETAIL, title=f"Partner {view.name}")


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="CSV or XLSX with columns name, kind[, iban, email, vat].")
    ],
    encoding: EncodingOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Import partners from CSV/XLSX, all or nothing. Known partners are updated.

    Example: payctl partner import sample_data/partners.csv
    """
    use_format(format_)
    from payctl.services.parties.partner_service import PartnerService

    import_table(
        file,
        lambda session, table: PartnerService(session, user()).import_partners(
            table.rows, table.header, table.source
        ),
        encoding,
    )

"""`payctl journal list|create` and `payctl account list`."""

from __future__ import annotations

from typing import Annotated

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, use_format
from payctl.cli.runtime import run, user

journal_app = typer.Typer(no_args_is_help=True, epilog="Example: payctl journal list")
account_app = typer.Typer(no_args_is_help=True, epilog="Example: payctl account list --format csv")
JOURNAL_COLUMNS = [
    ("code", "Code"),
    ("name", "Name"),
    ("type", "Type"),
    ("currency", "Currency"),
    ("account", "Account"),
    ("iban", "IBAN"),
    ("bank_account_number", "Bank account"),
]


@journal_app.command("list")
def journal_list(format_: FormatOpt = None) -> None:
    """List journals.

    Example: payctl journal list
    """
    use_format(format_)
    from payctl.services.ledger.journal_service import JournalService
    from payctl.services.views import plain

    items = run(lambda s: JournalService(s, user()).list_journals())
    render.rows([plain(i) for i in items], JOURNAL_COLUMNS, title="Journals")


@journal_app.command("create")
def journal_create(
    code: Annotated[str, typer.Argument(help="Short code, e.g. BNK2.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "Bank",
    type: Annotated[str, typer.Option("--type", help="bank or cash.")] = "bank",
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency", help="Default: the database's default currency (init --currency)."
        ),
    ] = None,
    iban: Annotated[str | None, typer.Option("--iban", help="The bank account's IBAN.")] = None,
    account_number: Annotated[
        str | None, typer.Option("--account-number", help="Bank account number (non-IBAN).")
    ] = None,
    format_: FormatOpt = None,
) -> None:
    """Create a bank or cash journal with its own ledger account.

    Example: payctl journal create BNK2 --name "Savings" --iban DE89370400440532013000
    """
    use_format(format_)
    from payctl.services.ledger.journal_service import JournalService
    from payctl.services.views import plain

    view = run(
        lambda s: JournalService(s, user()).create_journal(
            code, name, type, currency, iban, account_number
        )
    )
    render.record(plain(view), JOURNAL_COLUMNS, title=f"Journal {view.code}")


@account_app.command("list")
def account_list(format_: FormatOpt = None) -> None:
    """List the chart of accounts.

    Example: payctl account list
    """
    use_format(format_)
    from payctl.services.ledger.journal_service import JournalService
    from payctl.services.views import plain

    items = run(lambda s: JournalService(s, user()).list_accounts())
    render.rows(
        [plain(i) for i in items],
        [("code", "Code"), ("name", "Name"), ("type", "Type"), ("role", "Role")],
        title="Accounts",
    )

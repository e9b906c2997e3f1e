"""`payctl journal list|create|update` and `payctl account list`."""

from __future__ import annotations

from typing import Annotated

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, use_format
from payctl.cli.runtime import run, user

journal_app = typer.Typer(no_args_is_help=True)
account_app = typer.Typer(no_args_is_help=True)
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


@journal_app.command("update")
def journal_update(
    code: Annotated[str, typer.Argument(help="The journal's code, e.g. BNK1.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    iban: Annotated[
        str | None,
        typer.Option("--iban", help="The bank account's IBAN (an empty value clears it)."),
    ] = None,
    account_number: Annotated[
        str | None,
        typer.Option("--account-number", help="Bank account number (non-IBAN; empty clears)."),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option("--account", help="Ledger account code of the bank (or cash) account."),
    ] = None,
    receipts: Annotated[
        str | None,
        typer.Option("--outstanding-receipts", help="Account code for outstanding receipts."),
    ] = None,
    payments: Annotated[
        str | None,
        typer.Option("--outstanding-payments", help="Account code for outstanding payments."),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (kept in the audit trail).")
    ] = None,
    format_: FormatOpt = None,
) -> None:
    """Change a journal's name, bank account or ledger accounts (audited).

    A bank account that statements already imported into the journal do not carry is refused;
    so is moving a ledger account that already has postings.

    Example: payctl journal update BNK1 --iban DE89370400440532013000
    """
    use_format(format_)
    from payctl.services.ledger.journal_service import JournalChanges, JournalService
    from payctl.services.views import plain

    changes = JournalChanges(name, iban, account_number, account, receipts, payments, reason)
    view = run(lambda s: JournalService(s, user()).update_journal(code, changes))
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

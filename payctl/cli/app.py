"""The root command: global options and the registry of commands and groups."""

from __future__ import annotations

from typing import Annotated

import typer

from payctl import __version__
from payctl.cli import (
    bulk,
    events,
    flow,
    imports,
    integrity,
    invoices,
    journals,
    partners,
    payments,
    profiles,
    reconcile,
    report,
    reports,
    review,
    rules,
    setup,
    statements,
)
from payctl.cli.options import OutputFormat
from payctl.cli.runtime import PayctlGroup
from payctl.cli.state import reset_state, state

app = typer.Typer(
    cls=PayctlGroup,
    name="payctl",
    help="payctl: a command-line payments ledger — payments, double-entry journal entries, "
    "reconciliation against invoices, bulk operations.\n\n"
    "Example: payctl init && payctl create --type customer_payment --partner 'ACME GmbH' "
    "--journal BNK1 --amount 1190.00",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"payctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Database URL: sqlite:///path.db or postgresql://user:pw@host/db. "
            "Else $PAYCTL_DATABASE_URL, else ~/.local/share/payctl/payctl.db "
            "($XDG_DATA_HOME honoured). An empty value is refused.",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Acting user for the audit trail (else $PAYCTL_USER, else your login name).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format", "-f", case_sensitive=False, help="Default output format for every command."
        ),
    ] = OutputFormat.TABLE,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No messages, only data.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    from payctl.config import given

    given(database_url, "--database-url")  # an empty value is refused, never a default
    given(user, "--user")
    reset_state()
    s = state()
    s.database_url, s.user, s.format, s.quiet, s.debug = (
        database_url,
        user,
        output.value,
        quiet,
        debug,
    )


setup.register(app)
payments.register(app)
flow.register(app)
integrity.register(app)
reports.register(app)
imports.register(app)
app.command("reconcile")(reconcile.reconcile)
app.add_typer(bulk.app, name="bulk")
app.add_typer(review.app, name="review", help="Bank lines waiting for a decision.")
app.add_typer(
    rules.app,
    name="rules",
    help="Bank rules: what to do with the lines matching leaves undecided. "
    "Example: payctl rules check rules.toml",
)
app.add_typer(partners.app, name="partner", help="Customers and vendors.")
app.add_typer(invoices.app, name="invoice", help="Customer invoices, vendor bills, credit notes.")
app.add_typer(journals.journal_app, name="journal", help="Bank and cash journals.")
app.add_typer(journals.account_app, name="account", help="The chart of accounts.")
app.add_typer(
    profiles.app,
    name="profile",
    help="Bank profiles for CSV/XLSX exports. Example: payctl profile draft export.csv",
)
app.add_typer(
    statements.app,
    name="statement",
    help="Imported bank statements. Example: payctl statement list --journal BNK1",
)
app.add_typer(events.app, name="events", help="The events every change publishes (the outbox).")
app.add_typer(
    report.app,
    name="report",
    help="Reports: aged receivables and payables, the trial balance, a partner's statement, "
    "the cash forecast. "
    "Example: payctl report aging --receivable",
)

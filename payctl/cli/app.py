"""The root command: global options and the registry of commands and groups (each imported
only when it runs or shows its own help: payctl/cli/lazy.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from payctl import __version__
from payctl.cli.lazy import Lazy, LazyGroup
from payctl.cli.options import FORMAT_NAMES, OutputFormat
from payctl.cli.runtime import PayctlGroup
from payctl.cli.state import reset_state, state


class Root(LazyGroup, PayctlGroup):
    def lazy_commands(self) -> tuple[Lazy, ...]:
        return COMMANDS


app = typer.Typer(
    cls=Root,
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
            *FORMAT_NAMES,
            case_sensitive=False,
            help="Output format of every command that prints data (-O/--output-format: the "
            "same option); a command's own --format wins.",
        ),
    ] = OutputFormat.TABLE,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No messages, only data (stdout only).")
    ] = False,
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


# Every command and group of the root, in the order `payctl --help` lists them (commands, then
# groups). A command's summary is the first paragraph of its docstring;
# tests/cli/test_startup_imports.py keeps the two equal.
_SETUP = "payctl.cli.setup:register"
_PAYMENTS = "payctl.cli.payments:register"
_FLOW = "payctl.cli.flow:register"
_INTEGRITY = "payctl.cli.integrity:register"
_REPORTS = "payctl.cli.reports:register"
_RESET = "Reset posted payments to draft: posts a reversal entry, keeps the number."
COMMANDS = (
    Lazy(
        "init",
        _SETUP,
        "Create or upgrade the database schema and seed the default chart of accounts and the\n"
        "BNK1 (bank), CSH1 (cash), SAL and PUR journals in the default currency. Running it again\n"
        "changes nothing.",
    ),
    Lazy("create", _PAYMENTS, "Create a draft payment, optionally allocated to invoices."),
    Lazy("list", _PAYMENTS, "List payments, newest first, with filters and pagination."),
    Lazy("show", _PAYMENTS, "Show a payment with its allocations and journal entries."),
    Lazy("update", _PAYMENTS, "Change a draft payment (posted ones must be reset first)."),
    Lazy("delete", _PAYMENTS, "Delete draft payments that were never posted."),
    Lazy(
        "allocate",
        _PAYMENTS,
        "Add, change or remove an allocation of a draft payment to an invoice.",
    ),
    Lazy(
        "validate",
        _PAYMENTS,
        "Check whether a payment can be confirmed; list every rule it breaks.",
    ),
    Lazy(
        "confirm",
        _FLOW,
        "Confirm (post) draft payments: number, journal entry, allocations, audit.",
    ),
    Lazy("reset", _FLOW, _RESET),
    Lazy("reset-to-draft", _FLOW, _RESET, hidden=True),
    Lazy(
        "cancel",
        _FLOW,
        "Cancel payments: drafts become cancelled; posted ones get a reversal entry first.",
    ),
    Lazy(
        "history",
        _FLOW,
        "Show the audit trail of a payment: who changed what, when and why, one line per change.",
    ),
    Lazy(
        "check",
        _INTEGRITY,
        "Verify the books: every integrity check on one consistent snapshot (double entry,\n"
        "payment and invoice entries, reversals, residuals, open items, numbering, bank lines,\n"
        "the audit chain and what it recorded).",
    ),
    Lazy("export", _INTEGRITY, "Export journal entries (with their lines) for a date range."),
    Lazy(
        "summary",
        _REPORTS,
        "Money in and out of posted payments, per currency, by type, journal and month.",
    ),
    Lazy("types", _REPORTS, "List the payment types and what each settles."),
    Lazy("statuses", _REPORTS, "List the payment states and what can happen in each."),
    Lazy(
        "import",
        "payctl.cli.imports:register",
        "Import bank extracts: deduplicate, match each line to invoices or payments, book it.",
    ),
    Lazy(
        "reconcile",
        "payctl.cli.reconcile:reconcile",
        "Bank reconciliation: the bank's balance against the ledger's, explained.",
    ),
    Lazy("lock-date", _SETUP, "Show or move the lock date (no posting on or before it)."),
    Lazy("bulk", "payctl.cli.bulk:app", "Act on many payments at once (batches of 1000)."),
    Lazy("review", "payctl.cli.review:app", help="Bank lines waiting for a decision."),
    Lazy(
        "rules",
        "payctl.cli.rules:app",
        help="Bank rules: what to do with the lines matching leaves undecided. "
        "Example: payctl rules check rules.toml",
    ),
    Lazy("partner", "payctl.cli.partners:app", help="Customers and vendors."),
    Lazy(
        "invoice",
        "payctl.cli.invoices:app",
        help="Customer invoices, vendor bills, credit notes.",
    ),
    Lazy("journal", "payctl.cli.journals:journal_app", help="Bank and cash journals."),
    Lazy("account", "payctl.cli.journals:account_app", help="The chart of accounts."),
    Lazy(
        "profile",
        "payctl.cli.profiles:app",
        help="Bank profiles for CSV/XLSX exports. Example: payctl profile draft export.csv",
    ),
    Lazy(
        "statement",
        "payctl.cli.statements:app",
        help="Imported bank statements. Example: payctl statement list --journal BNK1",
    ),
    Lazy(
        "events",
        "payctl.cli.events:app",
        help="The events every change publishes (the outbox).",
    ),
    Lazy(
        "report",
        "payctl.cli.report:app",
        help="Reports: aged receivables and payables, the trial balance, a partner's statement, "
        "the cash forecast. "
        "Example: payctl report aging --receivable",
    ),
)

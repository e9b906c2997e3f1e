"""`payctl init` and `payctl lock-date`."""

from __future__ import annotations

from typing import Annotated

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, ReasonOpt, use_format
from payctl.cli.runtime import abort, database_url, run, user

lock_app = typer.Typer(
    help="Show or move the lock date (no posting on or before it).",
    epilog="Example: payctl lock-date set 2026-06-30 --reason 'H1 closed'",
    no_args_is_help=True,
)


# The default currency of a new database when `init` is not given --currency (README).
NEW_DATABASE_CURRENCY = "EUR"


def init(
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            metavar="CODE",
            help="Default currency of a new database (ISO code; default EUR): the currency of "
            "its journals and of what is recorded without one. An existing database keeps its "
            "own; asking for another is refused.",
        ),
    ] = None,
) -> None:
    """Create or upgrade the database schema and seed the default chart of accounts and the
    BNK1 (bank), CSH1 (cash), SAL and PUR journals in the default currency. Running it again
    changes nothing.

    Example: payctl init --currency JPY
    """
    from payctl.config import mask_url
    from payctl.domain.money import normalise_currency
    from payctl.errors import InputError

    if currency is not None:  # a bad code is refused before the schema is touched
        try:
            currency = normalise_currency(currency)
        except InputError as exc:
            abort(f"--currency: {exc.message}", exc.exit_code)

    async def op(session):
        from payctl.db.schema import upgrade_to_head
        from payctl.services.setup_service import SetupService

        await upgrade_to_head(session.bind)
        return await SetupService(session, user()).seed(currency, if_new=NEW_DATABASE_CURRENCY)

    result = run(op, needs_schema=False)
    render.message(
        f"database {mask_url(database_url())} is ready "
        f"({result.accounts_created} accounts and {result.journals_created} journals created, "
        f"default currency {result.currency})"
    )
    if result.lines_booked:
        render.message(
            f"{result.lines_booked} bank lines in review or ignored booked into the bank "
            "suspense account (every bank line is booked since schema 0009)"
        )


LOCK_FIELDS = [("lock_date", "Lock date")]


@lock_app.command("show")
def lock_show(format_: FormatOpt = None) -> None:
    """Show the current lock date (JSON: {"lock_date": "YYYY-MM-DD"}, null when none is set).

    Example: payctl lock-date show --format json
    """
    use_format(format_)
    from payctl.services.ledger.lock_service import LockService

    value = run(lambda s: LockService(s, user()).get_lock_date())
    if render.fmt() == "table":
        typer.echo(value.isoformat() if value else "no lock date set")
    else:
        render.record({"lock_date": value.isoformat() if value else None}, LOCK_FIELDS)


@lock_app.command("set")
def lock_set(
    date: Annotated[str, typer.Argument(help="The new lock date, YYYY-MM-DD.")],
    force: Annotated[bool, typer.Option("--force", help="Allow moving it backwards.")] = False,
    reason: ReasonOpt = None,
) -> None:
    """Set the lock date. Moving it backwards needs --force and is audited.

    Example: payctl lock-date set 2026-06-30 --reason "H1 closed"
    """
    from payctl.services.ledger.lock_service import LockService

    value = run(lambda s: LockService(s, user()).set_lock_date(date, force, reason))
    render.message(f"lock date is now {value}")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(lock_app, name="lock-date")

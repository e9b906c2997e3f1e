"""`payctl profile draft`: a bank profile to finish by hand for a CSV/XLSX export."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("draft")
def draft(
    file: Annotated[str, typer.Argument(help="A bank CSV or Excel export.")],
    name: Annotated[
        str, typer.Option("--name", help="The profile's name (and the file name it suggests).")
    ] = "mybank",
) -> None:
    """Write a bank profile draft (TOML) for FILE on stdout, from its header and first rows.

    What the generic reading understood is filled in; lines marked CHECK are guesses to
    confirm, values "?" marked FILL IN are for you to fill. Then import with --profile.

    Example: payctl profile draft export.csv > mybank.toml
    """
    from payctl.cli import startup
    from payctl.importers.draft import draft_file

    startup.resume()  # reading the file is the command's own work (payctl/cli/startup.py)
    typer.echo(draft_file(file, name), nl=False)

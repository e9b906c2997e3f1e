"""`payctl report ...`: what an accountant reads. The group only registers its commands."""

from __future__ import annotations

import typer

from payctl.cli import forecast

app = typer.Typer(no_args_is_help=True)

app.command("forecast")(forecast.forecast)

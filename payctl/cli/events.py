"""`payctl events`: the outbox of state changes (`relay` lives in cli/relay.py)."""

from __future__ import annotations

import typer

from payctl.cli import relay

app = typer.Typer(
    help="Events: every state change, in the order it committed, and its relay to a broker.",
    no_args_is_help=True,
)
relay.register(app)

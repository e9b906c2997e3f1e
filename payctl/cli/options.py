"""Options shared by many commands, defined once."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from payctl.cli.state import state


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format: table (default on a terminal), json or csv.",
        case_sensitive=False,
        show_default=False,
    ),
]
ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="Why: recorded in the audit trail.")
]
LimitOpt = Annotated[int, typer.Option("--limit", min=0, help="Rows to show at most (0: all).")]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, help="Rows to skip first.")]
DateFromOpt = Annotated[
    str | None, typer.Option("--date-from", help="From this date (YYYY-MM-DD).")
]
DateToOpt = Annotated[str | None, typer.Option("--date-to", help="Up to this date (YYYY-MM-DD).")]


def use_format(value: OutputFormat | None) -> None:
    if value is not None:
        state().format = value.value

"""Options shared by many commands, defined once."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from payctl.cli.state import state
from payctl.domain.idents import id_digits


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


# hledger's spelling of an output format, -O/--output-format, is an alias of --format (-f is
# --format here, not hledger's input file: README "Global options").
FORMAT_NAMES = ("--format", "-f", "--output-format", "-O")
FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        *FORMAT_NAMES,
        help="Output format: table (default), json or csv; also accepted before the command "
        "name. -O/--output-format is the same option.",
        case_sensitive=False,
        show_default=False,
    ),
]
ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="Why: recorded in the audit trail.")
]
WriteOffOpt = Annotated[
    bool,
    typer.Option(
        "--write-off",
        help="Close invoices whose remaining difference is within the write-off tolerance, "
        "booking it to payment differences.",
    ),
]
# The largest integer a database column holds (SQLite's and PostgreSQL's bigint): every
# integer option and id argument is checked against it, so a huge one is a usage error.
MAX_INT = 2**63 - 1


def checked_ids(value: Any) -> Any:
    """Callback of every argument naming payments by number or id: an id (``42``, ``#42``)
    must fit a database integer, else it is a usage error (exit 2) naming the argument."""
    for item in [value] if isinstance(value, str) else value or []:
        digits = id_digits(item)
        if digits is not None and int(digits) > MAX_INT:
            raise typer.BadParameter(f"{item} is too large for an id (at most {MAX_INT})")
    return value


def checked_id(value: str) -> str:
    """Callback of an argument that must be an id (a bank line): digits, at most MAX_INT."""
    if id_digits(value) is None:
        raise typer.BadParameter(f"{value!r} is not an id (a whole number such as 42)")
    checked_ids(value)
    return value


PaymentArg = Annotated[
    str,
    typer.Argument(help="Payment number (BNK1/2026/00001) or id.", callback=checked_ids),
]
PaymentsArg = Annotated[
    list[str], typer.Argument(help="Payment numbers or ids.", callback=checked_ids)
]
# Every list shows this many rows unless --limit says otherwise (0: all).
LIST_LIMIT = 50
# The order every list of dated documents (payments, invoices) shows by default: newest first.
LIST_ORDER = "-date"
LimitOpt = Annotated[
    int, typer.Option("--limit", min=0, max=MAX_INT, help="Rows to show at most (0: all).")
]
OffsetOpt = Annotated[int, typer.Option("--offset", min=0, max=MAX_INT, help="Rows to skip first.")]
DateFromOpt = Annotated[
    str | None, typer.Option("--date-from", help="From this date (YYYY-MM-DD).")
]
DateToOpt = Annotated[str | None, typer.Option("--date-to", help="Up to this date (YYYY-MM-DD).")]
AmountMinOpt = Annotated[
    str | None,
    typer.Option(
        "--amount-min",
        help="Smallest amount, in each row's own currency (100: 100.00 EUR, 100 JPY).",
    ),
]
AmountMaxOpt = Annotated[
    str | None,
    typer.Option(
        "--amount-max",
        help="Largest amount, in each row's own currency (100: 100.00 EUR, 100 JPY).",
    ),
]


def search_option(where: str) -> Any:
    """The ``--search`` option of a listing that looks for text in ``where``."""
    return typer.Option("--search", "-s", help=f"Text in {where} (any case), or the id.")


def sort_option(keys: str) -> Any:
    """The ``--sort`` option of a listing sortable by ``keys``."""
    return typer.Option("--sort", help=f"{keys}; prefix - for descending.")


EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of the file, e.g. cp1252 or latin-1 (default: UTF-8; "
        "CSV tables fall back to Windows-1252).",
    ),
]


def use_format(value: OutputFormat | None) -> None:
    if value is not None:
        state().format = value.value

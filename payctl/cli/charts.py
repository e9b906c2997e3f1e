"""Bar charts made of block characters, as Rich renderables: for a person at a terminal, never
for a pipe or a program (the commands show them only when ``render.on_terminal()``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from payctl.cli.render import as_text

EIGHTHS = "▏▎▍▌▋▊▉"  # 1/8 … 7/8 of a cell
FULL = "█"
WIDTH = 30


def bar(value: Decimal, largest: Decimal, width: int = WIDTH) -> str:
    """``|value|`` as a bar in eighths of a cell, ``largest`` filling ``width`` cells; an
    amount other than zero shows at least an eighth."""
    if value == 0 or largest <= 0:
        return ""
    eighths = int((abs(value) * width * 8 / largest).to_integral_value(ROUND_HALF_UP))
    full, rest = divmod(max(eighths, 1), 8)
    return FULL * full + (EIGHTHS[rest - 1] if rest else "")


def month_chart(rows: Sequence[dict[str, Any]]) -> Any:
    """Money in and out per month (rows of ``month, currency, money_in, money_out``), each
    currency on its own scale: amounts of two currencies are never compared."""
    from rich.table import Table

    largest: dict[str, Decimal] = {}
    for row in rows:
        top = max(row["money_in"], -row["money_out"])
        largest[row["currency"]] = max(largest.get(row["currency"], Decimal(0)), top)
    table = Table(title=as_text("Money in and out by month"), header_style="bold")
    for header, justify in (
        ("Month", "left"),
        ("Cur", "left"),
        ("In", "right"),
        ("", "left"),
        ("Out", "right"),
        ("", "left"),
    ):
        table.add_column(as_text(header), justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for row in rows:
        scale = largest[row["currency"]]
        table.add_row(
            as_text(row["month"]),
            as_text(row["currency"]),
            as_text(row["money_in"]),
            as_text(bar(row["money_in"], scale), style="green"),
            as_text(row["money_out"]),
            as_text(bar(row["money_out"], scale), style="red"),
        )
    return table

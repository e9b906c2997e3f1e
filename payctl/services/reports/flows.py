"""Money in and money out, summed in SQL: the one way the reports sign amounts.

Money in is positive, money out negative, and their net is the sum; amounts of different
currencies are never added (every grouping includes the currency)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func

from payctl.domain.money import from_minor


def flow_columns(amount: Any, inbound: Any) -> list[Any]:
    """``count, money in, money out`` (both sums positive, in minor units) of ``amount`` over
    a group, ``inbound`` telling which rows bring money in."""
    return [
        func.count().label("count"),
        func.coalesce(func.sum(case((inbound, amount), else_=0)), 0).label("money_in"),
        func.coalesce(func.sum(case((inbound, 0), else_=amount)), 0).label("money_out"),
    ]


def flow(currency: str, count: int, money_in: int, money_out: int) -> dict[str, Any]:
    """A result row's figures: ``money_out`` (a positive sum) is shown negative."""
    inflow, outflow = int(money_in), -int(money_out)
    return {
        "currency": currency,
        "count": int(count),
        "money_in": from_minor(inflow, currency),
        "money_out": from_minor(outflow, currency),
        "net": from_minor(inflow + outflow, currency),
    }

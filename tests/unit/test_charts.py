"""The summary's bars: eighths of a cell, the largest filling the width, never empty for an
amount other than zero; each currency on its own scale."""

from __future__ import annotations

from decimal import Decimal

from payctl.cli.charts import bar, month_chart


def test_bar_lengths():
    top = Decimal("800.00")
    assert bar(top, top) == "█" * 30
    assert bar(Decimal("-800.00"), top) == "█" * 30  # money out: its size
    assert bar(Decimal("400.00"), top) == "█" * 15
    assert bar(Decimal("10.00"), top) == "▍"  # 3/8 of a cell (0.375 cells)
    assert bar(Decimal("0.01"), top) == "▏"  # never nothing for money
    assert bar(Decimal("0.00"), top) == "" and bar(Decimal("5"), Decimal("0")) == ""
    assert bar(Decimal("100"), Decimal("800"), width=8) == "█"


def test_each_currency_on_its_own_scale():
    from rich.console import Console

    rows = [
        {"month": "2026-01", "currency": "EUR", "money_in": Decimal("10.00"),
         "money_out": Decimal("-5.00")},
        {"month": "2026-01", "currency": "JPY", "money_in": Decimal("100000"),
         "money_out": Decimal("0")},
    ]  # fmt: skip
    console = Console(width=200, record=True, force_terminal=True, color_system=None)
    console.print(month_chart(rows))
    lines = [ln for ln in console.export_text().splitlines() if "2026-01" in ln]
    assert all("█" * 30 in ln for ln in lines)  # both fill their own scale
    assert "█" * 15 in lines[0] and "█" * 16 not in lines[0].split("-5.00")[1]

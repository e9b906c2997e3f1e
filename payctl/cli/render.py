"""One way to print rows for every command: a Rich table, JSON or CSV. Data on stdout."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

from payctl.cli.state import state

Column = tuple[str, str]  # (key in the row dict, header shown in a table)


def _console(stderr: bool = False) -> Any:
    import os

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped output (cron, scripts): never wrap table cells at 80 columns.
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 400
    return Console(file=stream, highlight=False, soft_wrap=False, width=width)


def fmt() -> str:
    return state().format


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def rows(
    data: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    title: str | None = None,
    total: int | None = None,
    right: Sequence[str] = (),
) -> None:
    """Print a list of plain dicts in the chosen format."""
    mode = fmt()
    if mode == "json":
        emit_json({"items": list(data), "total": len(data) if total is None else total})
        return
    if mode == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([key for key, _ in columns])
        for row in data:
            writer.writerow([_cell(row.get(key)) for key, _ in columns])
        return
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for key, header in columns:
        table.add_column(header, justify="right" if key in right else "left", overflow="fold")
    for row in data:
        table.add_row(*[_cell(row.get(key)) for key, _ in columns])
    console = _console()
    console.print(table)
    if total is not None and total > len(data):
        console.print(f"{len(data)} of {total} shown (use --limit/--offset for more)")


def record(data: dict[str, Any], fields: Sequence[Column], title: str | None = None) -> None:
    """Print one object: key/value table, or JSON object, or a one-row CSV."""
    mode = fmt()
    if mode == "json":
        emit_json(data)
        return
    if mode == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([k for k, _ in fields])
        writer.writerow([_cell(data.get(k)) for k, _ in fields])
        return
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, label in fields:
        table.add_row(label, _cell(data.get(key)))
    console = _console()
    if title:
        console.print(f"[bold]{title}[/bold]")
    console.print(table)


def section(
    rows_data: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    title: str,
    right: Sequence[str] = (),
) -> None:
    """A sub-table inside a table-format detail view (skipped for json/csv)."""
    if fmt() != "table" or not rows_data:
        return
    rows(rows_data, columns, title=title, right=right)


def message(text: str) -> None:
    """A human message (never data): stderr, suppressed by --quiet."""
    if not state().quiet:
        _console(stderr=True).print(text)

"""Shared by the commands that load a CSV/XLSX file of rows into a service (partners, invoices)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from payctl.cli import render
from payctl.cli.runtime import abort, run
from payctl.errors import PayctlError

COUNTS = [("created", "Created"), ("updated", "Updated"), ("unchanged", "Unchanged")]


def import_table(
    file: Path, load: Callable[[Any, Any], Awaitable[Any]], encoding: str | None = None
) -> None:
    """Read ``file`` (before opening the database), hand its rows to ``load(session, table)``
    in one transaction, report."""
    from payctl.importers.tabular import read_source_rows
    from payctl.services.views import plain

    try:
        table = read_source_rows(file, encoding=encoding)
    except PayctlError as exc:
        abort(exc.message, exc.exit_code)

    async def op(session: Any) -> Any:
        return await load(session, table)

    render.record(plain(run(op)), COUNTS, title=f"Imported {file}")

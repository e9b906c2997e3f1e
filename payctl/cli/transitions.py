"""A transition run (`payctl confirm|reset|cancel` and `payctl bulk …`): one service call, one
report shown one way, one exit-code rule (the report's)."""

from __future__ import annotations

from typing import Any

import typer

from payctl.cli import render
from payctl.cli.progress import progress_bar
from payctl.cli.runtime import abort, run, user

RESULT_COLUMNS = [
    ("item", "Item"),
    ("number", "Number"),
    ("before", "Before"),
    ("after", "After"),
    ("status", "Status"),
    ("message", "Message"),
]


def execute(action: str, selection: Any, options: Any, *, title: str, single: bool = False) -> None:
    """Run ``action`` on the selected payments, show the report and exit by its rule.

    ``single``: the command named one payment, so its refusal is the one error line (exit
    1) rather than a table."""
    from payctl.services.payments.payment_flow_service import PaymentFlowService

    with progress_bar("payments") as progress:
        report = run(
            lambda s: PaymentFlowService(s, user()).bulk(action, selection, options, progress)
        )
    if single and report.failed:
        abort([item.message for item in report.items if not item.ok], report.exit_code)
    from payctl.db.uow import gc_paused

    # a report of 50,000 items makes as many dicts, acyclic: the collector's passes over
    # them (and over the report) were half of the rendering's CPU
    with gc_paused():
        _render(report, title)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def named(action: str, idents: list[str], reason: str | None, write_off: bool = False) -> None:
    """`payctl confirm|reset|cancel|delete PAY…`: one run over the named payments, as
    `payctl bulk` does it, with the same result: a payment already in the target state is
    skipped, a refused one reported while the others go on (one transaction per batch of
    1000); one payment named and refused is the one error line."""
    from payctl.services.payments.bulk_types import BulkOptions
    from payctl.services.payments.selection import Selection

    options = BulkOptions(reason=reason, write_off=write_off)
    execute(action, Selection(tuple(idents)), options, title=action, single=len(idents) == 1)


def _render(report: Any, title: str) -> None:
    from dataclasses import fields

    from payctl.services.payments.bulk_types import ItemResult

    # An item's fields are JSON-ready already (text, ids, flags): read directly, not through
    # views.plain's walk (a 50,000-payment run shows 50,000 of them).
    names = [f.name for f in fields(ItemResult)]
    items = []
    for item in report.items:
        row = {name: getattr(item, name) for name in names}
        row["status"] = "skipped" if item.skipped else ("ok" if item.ok else "failed")
        items.append(row)
    totals = {
        "action": report.action,
        "requested": len(report.items),
        "succeeded": report.succeeded,
        "skipped": report.skipped,
        "failed": report.failed,
        "batches": report.batches,
        "atomic": report.atomic,
        "dry_run": report.dry_run,
        "rolled_back": report.rolled_back,
    }
    if render.fmt() == "json":
        render.emit_json({"items": items, "total": len(items), "summary": totals})
    else:
        render.rows(items, RESULT_COLUMNS, title=title)
        note = " (dry run: nothing written)" if report.dry_run else ""
        note += " — rolled back, nothing changed" if report.rolled_back else ""
        if report.batches > 1:
            note += f"; split into {report.batches} batches of at most 1000"
        render.message(
            f"{report.succeeded} ok, {report.skipped} skipped, {report.failed} failed{note}"
        )

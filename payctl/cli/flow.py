"""Workflow commands: confirm, reset (reset-to-draft), cancel, history."""

from __future__ import annotations

from typing import Annotated

import typer

from payctl.cli import render, transitions
from payctl.cli.options import FormatOpt, PaymentArg, PaymentsArg, ReasonOpt, use_format
from payctl.cli.runtime import run, user


def _transition(
    action: str, idents: list[str], reason: str | None, write_off: bool = False
) -> None:
    """One run over the named payments, as `payctl bulk` does it: a payment already in the
    target state is skipped, a refused one reported while the others go on (one transaction
    per batch of 1000)."""
    from payctl.services.payments.bulk_types import BulkOptions
    from payctl.services.payments.selection import Selection

    options = BulkOptions(reason=reason, write_off=write_off)
    transitions.execute(
        action, Selection(tuple(idents)), options, title=action, single=len(idents) == 1
    )


def confirm(
    payments: PaymentsArg,
    write_off: Annotated[
        bool,
        typer.Option(
            "--write-off",
            help="Close invoices whose remaining difference is within the write-off "
            "tolerance, booking it to payment differences.",
        ),
    ] = False,
    reason: ReasonOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Confirm (post) draft payments: number, journal entry, allocations, audit.

    Runs like `payctl bulk confirm`: a payment already posted is skipped; exit 1 when one
    failed.

    Example: payctl confirm 12 13 BNK1/2026/00007
    """
    use_format(format_)
    _transition("confirm", payments, reason, write_off)


def reset(payments: PaymentsArg, reason: ReasonOpt = None, format_: FormatOpt = None) -> None:
    """Reset posted payments to draft: posts a reversal entry, keeps the number.

    Runs like `payctl bulk reset`: a payment already a draft is skipped.

    Example: payctl reset BNK1/2026/00001 --reason "wrong invoice"
    """
    use_format(format_)
    _transition("reset", payments, reason)


def cancel(payments: PaymentsArg, reason: ReasonOpt = None, format_: FormatOpt = None) -> None:
    """Cancel payments: drafts become cancelled; posted ones get a reversal entry first.

    Runs like `payctl bulk cancel`: a payment already cancelled is skipped.

    Example: payctl cancel BNK1/2026/00001 --reason "duplicate"
    """
    use_format(format_)
    _transition("cancel", payments, reason)


HISTORY_COLUMNS = [
    ("at", "When"),
    ("user", "User"),
    ("action", "Action"),
    ("change", "Change"),
    ("reason", "Reason"),
]
# CSV: one row per change, every row complete (a program reads it).
HISTORY_CSV = [
    ("id", "Record"),
    ("payment", "Payment"),
    ("at", "When"),
    ("user", "User"),
    ("action", "Action"),
    ("field", "Field"),
    ("item", "Item"),
    ("before", "Before"),
    ("after", "After"),
    ("currency", "Currency"),
    ("change", "Change"),
    ("reason", "Reason"),
]


def history(
    payment: PaymentArg,
    format_: FormatOpt = None,
) -> None:
    """Show the audit trail of a payment: who changed what, when and why, one line per change.

    Amounts are decimals with their currency, partners, journals and invoices by name.

    Example: payctl history BNK1/2026/00001
    """
    use_format(format_)
    from payctl.services.payments.history_service import HistoryService
    from payctl.services.views import plain

    items = [plain(i) for i in run(lambda s: HistoryService(s, user()).payment_history(payment))]
    if render.fmt() == "json":
        render.rows(items, HISTORY_CSV)
        return
    csv = render.fmt() == "csv"
    rows = []
    for item in items:
        for index, change in enumerate(item["changes"] or [{}]):
            row = item | change | {"change": change.get("text")}
            if index and not csv:  # a table says who, when and why once per record
                row = {"change": change.get("text")}
            rows.append(row)
    render.rows(
        rows, HISTORY_CSV if csv else HISTORY_COLUMNS, title=f"History of {items[0]['payment']}"
    )


def register(app: typer.Typer) -> None:
    app.command("confirm")(confirm)
    app.command("reset")(reset)
    app.command("reset-to-draft", hidden=True)(reset)
    app.command("cancel")(cancel)
    app.command("history")(history)

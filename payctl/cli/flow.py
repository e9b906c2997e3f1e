"""Workflow commands: confirm, reset (reset-to-draft), cancel, history."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, PaymentArg, PaymentsArg, ReasonOpt, use_format
from payctl.cli.runtime import run, user
from payctl.errors import EXIT_REFUSED, PayctlError

RESULT_COLUMNS = [
    ("item", "Payment"),
    ("number", "Number"),
    ("before", "Before"),
    ("after", "After"),
    ("ok", "OK"),
    ("message", "Message"),
]


def _transition(idents: list[str], method: str, reason: str | None, **kwargs: Any) -> None:
    """Run one transition per payment, each in its own transaction; report every item."""
    from payctl.services.payments.payment_flow_service import PaymentFlowService

    async def op(session: Any) -> list[dict[str, Any]]:
        flow = PaymentFlowService(session, user())
        call: Callable[..., Any] = getattr(flow, method)
        results = []
        for ident in idents:
            before = None
            try:
                before = (await flow.payments.get_payment(ident, with_entries=False)).state
                view = await call(ident, reason=reason, **kwargs)
                results.append(
                    {
                        "item": ident,
                        "number": view.number,
                        "before": before,
                        "after": view.state,
                        "ok": True,
                        "message": "ok",
                    }
                )
            except PayctlError as exc:
                if len(idents) == 1:
                    raise
                results.append(
                    {
                        "item": ident,
                        "number": None,
                        "before": before,
                        "after": before,
                        "ok": False,
                        "message": exc.message,
                    }
                )
        return results

    results = run(op)
    render.rows(results, RESULT_COLUMNS, title="Results")
    if any(not r["ok"] for r in results):
        raise typer.Exit(EXIT_REFUSED)


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

    Example: payctl confirm 12 13 BNK1/2026/00007
    """
    use_format(format_)
    _transition(payments, "confirm_payment", reason, write_off=write_off)


def reset(payments: PaymentsArg, reason: ReasonOpt = None, format_: FormatOpt = None) -> None:
    """Reset posted payments to draft: posts a reversal entry, keeps the number.

    Example: payctl reset BNK1/2026/00001 --reason "wrong invoice"
    """
    use_format(format_)
    _transition(payments, "reset_payment_to_draft", reason)


def cancel(payments: PaymentsArg, reason: ReasonOpt = None, format_: FormatOpt = None) -> None:
    """Cancel payments: drafts become cancelled; posted ones get a reversal entry first.

    Example: payctl cancel BNK1/2026/00001 --reason "duplicate"
    """
    use_format(format_)
    _transition(payments, "cancel_payment", reason)


def history(
    payment: PaymentArg,
    format_: FormatOpt = None,
) -> None:
    """Show the audit trail of a payment: who changed what, when and why.

    Example: payctl history BNK1/2026/00001
    """
    use_format(format_)
    from payctl.services.payments.history_service import HistoryService
    from payctl.services.views import plain

    items = [plain(i) for i in run(lambda s: HistoryService(s, user()).payment_history(payment))]
    if render.fmt() != "json":
        for item in items:
            item["changes"] = json.dumps(item["changes"], sort_keys=True, ensure_ascii=False)
    render.rows(
        items,
        [
            ("at", "When"),
            ("user", "User"),
            ("action", "Action"),
            ("changes", "Changes"),
            ("reason", "Reason"),
        ],
        title=f"History of {payment}",
    )


def register(app: typer.Typer) -> None:
    app.command("confirm")(confirm)
    app.command("reset")(reset)
    app.command("reset-to-draft", hidden=True)(reset)
    app.command("cancel")(cancel)
    app.command("history")(history)

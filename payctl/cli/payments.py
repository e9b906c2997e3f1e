"""Payment commands: create, list, show, update, delete, allocate, validate."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import (
    LIST_LIMIT,
    LIST_ORDER,
    AmountMaxOpt,
    AmountMinOpt,
    DateFromOpt,
    DateToOpt,
    FormatOpt,
    LimitOpt,
    OffsetOpt,
    PaymentArg,
    PaymentsArg,
    ReasonOpt,
    search_option,
    sort_option,
    use_format,
)
from payctl.cli.runtime import abort, run, usage_error, user
from payctl.errors import EXIT_BAD_INPUT, EXIT_REFUSED

PAYMENT_FIELDS = [
    ("id", "Id"),
    ("number", "Number"),
    ("type", "Type"),
    ("state", "State"),
    ("partner", "Partner"),
    ("journal", "Journal"),
    ("amount", "Amount"),
    ("currency", "Currency"),
    ("allocated", "Allocated"),
    ("unallocated", "Unallocated"),
    ("date", "Date"),
    ("reference", "Reference"),
    ("memo", "Memo"),
    ("created_by", "Created by"),
    ("created_at", "Created at"),
    ("updated_at", "Updated at"),
    ("confirmed_by", "Confirmed by"),
    ("confirmed_at", "Confirmed at"),
]
LIST_COLUMNS = [
    ("id", "Id"),
    ("number", "Number"),
    ("date", "Date"),
    ("type", "Type"),
    ("state", "State"),
    ("partner", "Partner"),
    ("journal", "Journal"),
    ("amount", "Amount"),
    ("allocated", "Allocated"),
    ("currency", "Cur"),
    ("reference", "Reference"),
]


def parse_allocations(values: list[str] | None) -> list[tuple[str, str]]:
    """``--allocate INV-1=100.00`` (repeatable, or ``;``-separated) -> [(invoice, amount)]."""
    from payctl.domain.allocations import parse_allocation_spec
    from payctl.errors import InputError

    try:
        return [
            pair for value in values or [] for pair in parse_allocation_spec(value, "--allocate")
        ]
    except InputError as exc:
        abort(exc.message, EXIT_BAD_INPUT)


def show_payment(view: Any) -> None:
    from payctl.services.views import plain

    data = plain(view)
    render.record(data, PAYMENT_FIELDS, title=f"Payment {view.label}")
    render.section(
        data["allocations"],
        [
            ("invoice", "Invoice"),
            ("amount", "Allocated"),
            ("writeoff", "Write-off"),
            ("invoice_residual", "Invoice residual"),
        ],
        title="Allocations",
        right=("amount", "writeoff", "invoice_residual"),
    )
    for entry in data["entries"]:
        link = ""
        if entry["reversal_of"]:
            link = f" (reverses {entry['reversal_of']})"
        elif entry["reversed_by"]:
            link = f" (reversed by {entry['reversed_by']})"
        render.section(
            entry["lines"],
            [
                ("account", "Account"),
                ("account_name", "Name"),
                ("partner", "Partner"),
                ("debit", "Debit"),
                ("credit", "Credit"),
            ],
            title=f"Entry {entry['number']} {entry['date']}{link}",
            right=("debit", "credit"),
        )


def create(
    type: Annotated[
        str,
        typer.Option(
            "--type",
            "-t",
            help="customer_payment, vendor_payment, "
            "customer_refund or vendor_refund (see `payctl types`).",
        ),
    ],
    partner: Annotated[str, typer.Option("--partner", "-p", help="Partner name or id.")],
    amount: Annotated[str, typer.Option("--amount", "-a", help="Amount, e.g. 1190.00.")],
    journal: Annotated[
        str, typer.Option("--journal", "-j", help="Bank or cash journal code.")
    ] = "BNK1",
    date: Annotated[
        str | None, typer.Option("--date", help="Payment date (default today).")
    ] = None,
    ref: Annotated[str | None, typer.Option("--ref", "--reference", help="Reference.")] = None,
    memo: Annotated[str | None, typer.Option("--memo", help="Free text.")] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="Default: the journal's.")
    ] = None,
    allocate: Annotated[
        list[str] | None,
        typer.Option("--allocate", help="INVOICE=AMOUNT; repeat for several invoices."),
    ] = None,
    format_: FormatOpt = None,
) -> None:
    """Create a draft payment, optionally allocated to invoices.

    Example: payctl create --type customer_payment --partner "ACME GmbH" --journal BNK1
    --amount 1190.00 --allocate INV/2026/0001=1190.00
    """
    use_format(format_)
    allocations = parse_allocations(allocate)
    from payctl.services.payments.payment_service import PaymentService

    view = run(
        lambda s: PaymentService(s, user()).create_payment(
            type, partner, journal, amount, date, ref, memo, currency, allocations
        )
    )
    render.message(f"created draft payment #{view.id}")
    show_payment(view)


def list_(
    state_: Annotated[
        str | None, typer.Option("--state", "--status", help="draft, posted or cancelled.")
    ] = None,
    type: Annotated[str | None, typer.Option("--type", help="Payment type.")] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="Partner name or id.")] = None,
    journal: Annotated[str | None, typer.Option("--journal", help="Journal code.")] = None,
    date_from: DateFromOpt = None,
    date_to: DateToOpt = None,
    amount_min: AmountMinOpt = None,
    amount_max: AmountMaxOpt = None,
    search: Annotated[str | None, search_option("number, reference or memo")] = None,
    sort: Annotated[
        str, sort_option("date, amount, number, id, state, partner, created")
    ] = LIST_ORDER,
    limit: LimitOpt = LIST_LIMIT,
    offset: OffsetOpt = 0,
    format_: FormatOpt = None,
) -> None:
    """List payments, newest first, with filters and pagination.

    Example: payctl list --state draft --journal BNK1 --format json
    """
    use_format(format_)
    from payctl.services.payments.payment_queries import PaymentFilter
    from payctl.services.payments.payment_service import PaymentService
    from payctl.services.views import plain

    filters = PaymentFilter(
        state_, type, partner, journal, date_from, date_to, amount_min, amount_max, search
    )
    page = run(
        lambda s: PaymentService(s, user()).get_payments(filters, sort, limit or None, offset)
    )
    render.rows(
        [plain(i) for i in page.items],
        LIST_COLUMNS,
        title="Payments",
        total=page.total,
        right=("amount", "allocated"),
        empty="no payments match",
        money=True,
    )


def show(payment: PaymentArg, format_: FormatOpt = None) -> None:
    """Show a payment with its allocations and journal entries.

    Example: payctl show BNK1/2026/00001
    """
    use_format(format_)
    from payctl.services.payments.payment_service import PaymentService

    show_payment(run(lambda s: PaymentService(s, user()).get_payment(payment)))


def update(
    payment: PaymentArg,
    type: Annotated[str | None, typer.Option("--type", help="New payment type.")] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="New partner.")] = None,
    journal: Annotated[str | None, typer.Option("--journal", help="New journal.")] = None,
    amount: Annotated[str | None, typer.Option("--amount", help="New amount.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="New date.")] = None,
    ref: Annotated[str | None, typer.Option("--ref", "--reference", help="New reference.")] = None,
    memo: Annotated[str | None, typer.Option("--memo", help="New memo.")] = None,
    reason: ReasonOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Change a draft payment (posted ones must be reset first).

    Example: payctl update 12 --amount 1200.00 --reason "typo"
    """
    use_format(format_)
    from payctl.services.payments.payment_service import PaymentService

    view = run(
        lambda s: PaymentService(s, user()).update_payment(
            payment,
            type=type,
            partner=partner,
            journal=journal,
            amount=amount,
            date=date,
            reference=ref,
            memo=memo,
            reason=reason,
        )
    )
    render.message(f"updated payment {view.label}")
    show_payment(view)


def delete(payments: PaymentsArg, reason: ReasonOpt = None, format_: FormatOpt = None) -> None:
    """Delete draft payments that were never posted.

    Runs like `payctl bulk delete`, with the same result: a payment already deleted is
    skipped; exit 1 when one could not be deleted.

    Example: payctl delete 12 --reason duplicate
    """
    use_format(format_)
    from payctl.cli import transitions

    transitions.named("delete", payments, reason)


def allocate(
    payment: PaymentArg,
    invoice: Annotated[str, typer.Argument(help="Invoice number.")],
    amount: Annotated[
        str | None, typer.Argument(help="Amount to allocate (omit with --remove).")
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the allocation.")] = False,
    reason: ReasonOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Add, change or remove an allocation of a draft payment to an invoice.

    Example: payctl allocate 12 INV/2026/0001 500.00    payctl allocate 12 INV/2026/0001 --remove
    """
    use_format(format_)
    from payctl.services.payments.payment_service import PaymentService

    if remove:
        view = run(lambda s: PaymentService(s, user()).remove_allocation(payment, invoice, reason))
    elif amount is None:
        usage_error("give an AMOUNT to allocate, or --remove")
    else:
        view = run(
            lambda s: PaymentService(s, user()).set_allocation(payment, invoice, amount, reason)
        )
    show_payment(view)


def validate(payment: PaymentArg, format_: FormatOpt = None) -> None:
    """Check whether a payment can be confirmed; list every rule it breaks.

    Example: payctl validate 12
    """
    use_format(format_)
    from payctl.services.payments.payment_service import PaymentService

    problems = [
        p.message for p in run(lambda s: PaymentService(s, user()).validate_payment(payment))
    ]
    if render.fmt() == "table":
        for problem in problems:
            render.line(f"- {problem}")
        render.message("ok: can be confirmed" if not problems else f"{len(problems)} problem(s)")
    else:
        render.rows([{"problem": p} for p in problems], [("problem", "Problem")])
    if problems:
        raise typer.Exit(EXIT_REFUSED)


def register(app: typer.Typer) -> None:
    app.command("create")(create)
    app.command("list")(list_)
    app.command("show")(show)
    app.command("update")(update)
    app.command("delete")(delete)
    app.command("allocate")(allocate)
    app.command("validate")(validate)

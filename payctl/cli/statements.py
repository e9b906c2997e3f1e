"""`payctl statement list|show|delete`: the imported bank statements and what became of their
lines."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, LimitOpt, OffsetOpt, ReasonOpt, use_format
from payctl.cli.runtime import run, user

app = typer.Typer(no_args_is_help=True)

COLUMNS = [
    ("id", "Statement"),
    ("journal", "Journal"),
    ("account", "Account"),
    ("opening_date", "From"),
    ("closing_date", "To"),
    ("opening_balance", "Opening"),
    ("closing_balance", "Closing"),
    ("currency", "Cur"),
    ("line_count", "Lines"),
    ("decided", "Lines by decision"),
]
FIELDS = [
    ("id", "Statement"),
    ("journal", "Journal"),
    ("account", "Account"),
    ("source", "File"),
    ("format", "Format"),
    ("reference", "Reference"),
    ("opening_date", "From"),
    ("closing_date", "To"),
    ("opening_balance", "Opening balance"),
    ("total", "Lines total"),
    ("closing_balance", "Closing balance"),
    ("currency", "Currency"),
    ("difference", "Not explained by its lines"),
    ("decided", "Lines by decision"),
    ("imported_by", "Imported by"),
    ("imported_at", "Imported at"),
]
LINE_COLUMNS = [
    ("id", "Line"),
    ("date", "Date"),
    ("amount", "Amount"),
    ("currency", "Cur"),
    ("counterparty", "Counterparty"),
    ("text", "Text"),
    ("decision", "Decision"),
    ("payment", "Payment"),
    ("reason", "Why"),
]


def _decided(view: dict[str, Any]) -> str:
    from payctl.services.bank.statement_service import DECISIONS

    return ", ".join(f"{DECISIONS.get(k, k)} {n}" for k, n in view["by_decision"].items())


@app.command("list")
def list_(
    journal: Annotated[
        str | None, typer.Option("--journal", help="Only this journal's statements.")
    ] = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    format_: FormatOpt = None,
) -> None:
    """List imported statements: journal, account, period, balances, lines by decision.

    Example: payctl statement list --journal BNK1
    """
    use_format(format_)
    from payctl.services.bank.statement_service import StatementService
    from payctl.services.views import plain

    page = run(lambda s: StatementService(s, user()).list_statements(journal, limit, offset))
    rows = [plain(v) for v in page.items]
    for row in rows:
        row["decided"] = _decided(row)
    if not rows and render.fmt() == "table":
        render.line("no statements match")
        return
    render.rows(
        rows,
        COLUMNS,
        title="Bank statements",
        total=page.total,
        right=("id", "opening_balance", "closing_balance", "line_count"),
    )


@app.command("show")
def show(
    statement: Annotated[str, typer.Argument(help="Statement id (see `payctl statement list`).")],
    format_: FormatOpt = None,
) -> None:
    """Show a statement: its balances, whether its lines add up, and every line's decision.

    Example: payctl statement show 3
    """
    use_format(format_)
    from payctl.services.bank.statement_service import StatementService
    from payctl.services.views import plain

    detail = run(lambda s: StatementService(s, user()).show_statement(statement))
    data = plain(detail.statement)
    lines = [plain(ln) for ln in detail.lines]
    if render.fmt() == "json":
        render.emit_json({**data, "lines": lines})
        return
    if render.fmt() == "csv":
        render.rows(lines, LINE_COLUMNS)
        return
    data["decided"] = _decided(data)
    if data["difference"] is None:
        data["difference"] = "(the bank gave no balances)"
    elif data["difference"].strip("0.-") != "":
        data["difference"] += " (lines stored with an overlapping statement, or missing)"
    render.record(data, FIELDS, title=f"Statement {data['id']}")
    render.section(lines, LINE_COLUMNS, title="Lines", right=("id", "amount"))


@app.command("delete")
def delete(
    statement: Annotated[str, typer.Argument(help="Statement id (see `payctl statement list`).")],
    reason: ReasonOpt = None,
    format_: FormatOpt = None,
) -> None:
    """Undo an import: delete a statement whose lines are all undecided, so it can be imported
    again. A statement with a matched or booked line is refused, naming the lines to unmatch
    first (`payctl review unmatch LINE`). The audit trail keeps what it removes.

    Example: payctl statement delete 3 --reason "wrong journal"
    """
    use_format(format_)
    from payctl.services.bank.statement_service import StatementService
    from payctl.services.views import plain

    done = run(lambda s: StatementService(s, user()).delete_statement(statement, reason))
    if render.fmt() == "table":
        render.line(
            f"statement {done.id} of {done.journal} ({done.source}) deleted with its "
            f"{done.lines} lines"
        )
        return
    render.record(
        plain(done),
        [("id", "Statement"), ("journal", "Journal"), ("source", "File"), ("lines", "Lines")],
    )

"""`payctl rules check|test`: the bank rules file, validated and tried on stored lines."""

from __future__ import annotations

from typing import Annotated

import typer

from payctl.cli import render
from payctl.cli.options import FormatOpt, checked_id, use_format
from payctl.cli.runtime import run, user

app = typer.Typer(no_args_is_help=True)
FileArg = Annotated[
    str,
    typer.Argument(
        help="A rules file (TOML); a commented example: payctl/importers/bank_rules/example.toml."
    ),
]
COLUMNS = [
    ("line", "Line"),
    ("journal", "Journal"),
    ("date", "Date"),
    ("amount", "Amount"),
    ("currency", "Cur"),
    ("counterparty", "Counterparty"),
    ("text", "Text"),
    ("state", "State"),
    ("rule", "Rule"),
    ("reason", "What and why"),
]


def _line_ids(values: list[str]) -> list[str]:
    return [checked_id(v) for v in values]


@app.command("check")
def check(path: FileArg, format_: FormatOpt = None) -> None:
    """Validate a rules file: its TOML, every rule's keys, patterns and amounts, and that the
    accounts, journals and partners it names exist. Each problem is one line
    `FILE:LINE: field: problem` (exit 2); nothing is written.

    Example: payctl rules check ~/.local/share/payctl/rules.toml
    """
    use_format(format_)
    from payctl.services.bank.rules_service import RulesService
    from payctl.services.views import plain

    summary = run(lambda s: RulesService(s, user()).check(path))
    if render.fmt() == "json":
        render.emit_json({**plain(summary), "ok": True})
        return
    actions = ", ".join(f"{k} {v}" for k, v in summary.actions.items())
    render.line(f"{summary.file}: {summary.rules} rules, no problem ({actions or 'none'})")


@app.command("test")
def test(
    path: FileArg,
    lines: Annotated[
        list[str],
        typer.Argument(help="Bank line ids (see `payctl review list`).", callback=_line_ids),
    ],
    format_: FormatOpt = None,
) -> None:
    """Show which rule of a rules file would decide each bank line, and why (or that none
    would); writes nothing. An import asks the rules only about lines matching left in review.

    Example: payctl rules test rules.toml 17 18 --format json
    """
    use_format(format_)
    from payctl.services.bank.rules_service import RulesService
    from payctl.services.views import plain

    trials = run(lambda s: RulesService(s, user()).test(path, lines))
    rows = [plain(t) for t in trials]
    for row in rows:
        row["reason"] = row["reason"] or "no rule"
    render.rows(rows, COLUMNS, title="Rules", right=("amount",))

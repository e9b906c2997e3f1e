"""Formula injection ("Trust, part two" 11): text that whoever pays you controls never reaches
a spreadsheet as a formula, in any CSV or XLSX payctl writes.

Formula-looking payloads go into partner names, an invoice number, payment references and
memos, a journal name and a bank line's counterparty and text (through real files and the
CLI). Then every command that has a ``--format`` option runs with ``--format csv`` (the walk
fails when a command gains ``--format`` without being listed here), as do ``review export``
and ``export --to csv|xlsx``: no cell may start a formula (``spreadsheet_safe`` leaves it as
it is), each payload shows up with its leading quote, and amounts (negative ones included)
stay plain numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from payctl.cli.app import app
from payctl.csvout import spreadsheet_safe
from tests import brokers
from tests.conftest import payctl

HYPERLINK = '=HYPERLINK("http://x","y")'
CMD = "+1+cmd|' /C calc'!A0"
SUM = "@SUM(1+1)"
MINUS = "-2+3"
TAB = "\t=1"
PAYLOADS = (HYPERLINK, CMD, SUM, MINUS, TAB)
AMOUNT = re.compile(r"-?\d+\.\d{2}")


def csv_rows(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for row in rows:
        for key, value in row.items():
            assert spreadsheet_safe(value) == value, f"{key}={value!r} would run as a formula"
    return rows


def commands_with_format() -> set[str]:
    import typer.main

    found: set[str] = set()

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        elif any("--format" in p.opts for p in command.params):
            found.add(" ".join(path))

    walk(typer.main.get_command(app), ())
    return found


def build(tmp_path: Path) -> dict[str, list[dict[str, str]]]:
    """Books full of payloads; every command with --format run with --format csv: its rows."""
    out: dict[str, list[dict[str, str]]] = {}

    def run(name: str, *args: Any) -> list[dict[str, str]]:
        rows = csv_rows(payctl(*name.split(), *args, "--format", "csv").stdout)
        out.setdefault(name, []).extend(rows)
        return rows

    def write_csv(name: str, rows: list[list[str]]) -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
        return path

    run("journal create", "BNK9", "--name", SUM)
    run("partner create", HYPERLINK, "--kind", "customer")
    run("partner import", write_csv("p.csv", [["name", "kind"], [CMD, "vendor"], [TAB, "vendor"]]))
    invoice = ["--number", CMD, "--amount", "100.00", "--date", "2026-01-05"]
    run("invoice create", "--partner", HYPERLINK, *invoice)
    bill = [SUM, CMD, "50.00", "vendor_bill", "2026-01-06"]
    run(
        "invoice import",
        write_csv("i.csv", [["number", "partner", "amount", "type", "date"], bill]),
    )
    draft = ["--amount", "10.00", "--date", "2026-01-10", "--ref", SUM, "--memo", MINUS]
    pid = run("create", "--type", "customer_payment", "--partner", HYPERLINK, *draft)[0]["id"]
    header = ["type", "partner", "journal", "amount", "date", "reference", "memo"]
    row = ["vendor_payment", CMD, "BNK1", "5.00", "2026-01-11", HYPERLINK, TAB]
    run("bulk create", "--file", write_csv("b.csv", [header, row]))
    other = str(int(pid) + 1)
    run("update", pid, "--ref", CMD)
    run("allocate", pid, CMD, "10.00")
    run("validate", pid)
    run("confirm", pid)
    run("reset", pid, "--reason", HYPERLINK)
    run("confirm", pid)
    run("reset-to-draft", pid, "--reason", MINUS)
    run("confirm", pid)
    for name in ("bulk validate", "bulk confirm", "bulk reset", "bulk post"):
        run(name, other)
    run("bulk cancel", other, "--dry-run")
    run("bulk delete", "--state", "draft", "--dry-run")
    bank = tmp_path / "bank.jsonl"
    lines = [
        ("2026-01-20", "-12.50", TAB, HYPERLINK, "TX-1"),
        ("2026-01-21", "3.21", SUM, MINUS, "TX-2"),
    ]
    keys = ("booking_date", "amount", "counterparty_name", "remittance", "transaction_id")
    bank.write_text(
        "".join(json.dumps(dict(zip(keys, x, strict=True))) + "\n" for x in lines),
        encoding="utf-8",
    )
    run("import", bank, "--journal", "BNK1", "--input-format", "jsonl")
    for name in ("list", "partner list", "invoice list", "review list", "review export"):
        run(name)
    waiting = {row["counterparty"]: row["id"] for row in out["review list"]}
    run("review accept", waiting["'" + SUM], "--partner", HYPERLINK)
    run("review unmatch", waiting["'" + SUM])
    run("review ignore", waiting["'" + TAB], "--reason", CMD)
    run("lock-date show")
    # the commands other branches added (issue 10, 11): statements, rules, reconcile, journals
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nname = "=HYPERLINK(1)"\ncounterparty = "SUM"\nreview = true\n',
        encoding="utf-8",
    )
    run("rules check", rules)
    run("rules test", rules, *waiting.values())
    run("statement list")
    run("statement show", run("statement list")[0]["id"])
    run("reconcile", "BNK1")
    run("journal update", "BNK9", "--name", SUM, "--reason", CMD)
    run("account create", "6999", "--name", HYPERLINK, "--type", "expense")
    run("account update", "6999", "--name", SUM)
    run("journal opening-balance", "BNK9", "--date", "2026-01-01", "--amount", "0")
    run("export")  # --format csv: export's --to csv
    for name in ("journal list", "account list", "summary", "types", "statuses", "check"):
        run(name)
    run("report forecast", "--as-of", "2026-01-01")
    run("show", pid)
    run("history", pid)
    run("partner show", HYPERLINK)
    run("invoice show", CMD)
    run("report aging")
    run("report aging", "--payable", "--as-of", "2026-01-31")
    run("report trial-balance")
    run("report partner", HYPERLINK)
    run("events list", "--limit", "1000")
    stream = brokers.unique("formula")
    relay = ["--to", brokers.broker(brokers.NATS_URL), "--stream", stream, "--once"]
    run("events relay", *relay, "--subject", f"{stream}.{{type}}")
    run("events destinations")
    run("events prune", "--before", "3", "--dry-run")
    run("cancel", pid, "--reason", SUM)
    doomed = run("create", "--type", "customer_payment", "--partner", HYPERLINK, *draft)[-1]
    run("delete", doomed["id"], "--reason", HYPERLINK)
    extra = tmp_path / "extra.jsonl"
    line = dict(zip(keys, ("2026-01-23", "1.00", "Nobody", "no reference", "TX-9"), strict=True))
    extra.write_text(json.dumps(line) + "\n", encoding="utf-8")
    run("import", extra, "--journal", "BNK1", "--input-format", "jsonl")
    newest = max(int(row["id"]) for row in run("statement list"))
    run("statement delete", newest, "--reason", SUM)  # nothing decided on it yet
    return out


def cells(rows: list[dict[str, str]], key: str) -> set[str]:
    return {row[key] for row in rows}


def test_no_csv_or_xlsx_cell_starts_a_formula(cli_env, tmp_path):
    out = build(tmp_path)
    # every command with --format ran (a new one must be added to build())
    assert set(out) == commands_with_format()
    everywhere = {v for rows in out.values() for row in rows for v in row.values()}
    assert {"'" + p for p in PAYLOADS} <= everywhere
    assert not set(PAYLOADS) & everywhere
    # names are stripped on import: TAB's partner is "=1"
    assert {"'" + HYPERLINK, "'" + CMD, "'=1"} <= cells(out["partner list"], "name")
    assert {"'" + HYPERLINK, "'" + CMD} <= cells(out["list"], "partner")
    assert {"'" + CMD, "'" + HYPERLINK} <= cells(out["list"], "reference")
    assert {"'" + CMD, "'" + SUM} <= cells(out["invoice list"], "number")
    assert {"'" + TAB, "'" + SUM} <= cells(out["review list"], "counterparty")
    assert {"'" + HYPERLINK, "'" + MINUS} <= cells(out["review list"], "text")
    assert out["review export"] == out["review list"]
    assert "'" + SUM in cells(out["journal list"], "name")
    assert "'" + MINUS in cells(out["show"], "memo")
    # amounts stay plain numbers, negative ones too
    assert "-12.50" in cells(out["review list"], "amount")
    for name, key in (
        ("list", "amount"),
        ("invoice list", "total"),
        ("summary", "money_in"),
        ("summary", "money_out"),
        ("summary", "net"),
        ("report forecast", "net"),
        ("report forecast", "money_out"),
    ):
        assert all(AMOUNT.fullmatch(v) for v in cells(out[name], key)), (name, out[name])

    # review export to a file, export --to csv to stdout and a file, --to xlsx
    path = tmp_path / "review.csv"
    payctl("review", "export", "--output", path)
    # build() ignored one line, and accepted and unmatched another (a new reason)
    ignored = {row["line"] for row in out["review ignore"]}
    waiting = [row for row in out["review list"] if row["id"] not in ignored]
    exported = csv_rows(path.read_text(encoding="utf-8"))
    assert [row | {"reason": ""} for row in exported] == [row | {"reason": ""} for row in waiting]
    exported = csv_rows(payctl("export", "--to", "csv").stdout)
    payctl("export", "--to", "csv", "--output", tmp_path / "books.csv")
    assert csv_rows((tmp_path / "books.csv").read_text(encoding="utf-8")) == exported
    assert {"'" + HYPERLINK, "'" + CMD} <= cells(exported, "partner")
    assert all(AMOUNT.fullmatch(r[k]) for r in exported for k in ("debit", "credit"))

    from openpyxl import load_workbook

    payctl("export", "--to", "xlsx", "--output", tmp_path / "books.xlsx")
    sheet = load_workbook(tmp_path / "books.xlsx").active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert len(rows) == len(exported)
    for row in rows:
        for key, cell in row.items():
            assert cell.data_type != "f", (key, cell.value)
            assert spreadsheet_safe(cell.value) == cell.value, (key, cell.value)
        assert isinstance(row["debit"].value, int | float | Decimal)
    assert {"'" + HYPERLINK, "'" + CMD} <= {r["partner"].value for r in rows}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_list_format_csv_quotes_a_reference(cli_env, payload):
    """The smallest case of the issue: `list --format csv` with a payload reference."""
    payctl("partner", "create", "P", "--kind", "customer")
    payctl("create", "--type", "customer_payment", "--partner", "P", "--amount", "1.00")
    payctl("update", "1", "--ref", payload)
    rows = csv_rows(payctl("list", "--format", "csv").stdout)
    assert [r["reference"] for r in rows] == ["'" + payload]

"""`payctl statement list|show` on every backend (cli_env): balances, lines by decision, the
part of a statement its stored lines do not explain, every format, and bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from payctl.db import models as m
from tests.cli.test_cli_import import camt
from tests.conftest import in_session, on_database, payctl, refused
from tests.conftest import payctl_json as js
from tests.services.test_bank_import import books, jsonl, row


def imported(url: str, tmp_path: Path) -> None:
    on_database(url, books)
    first = tmp_path / "feb1.xml"  # one line: INV-2026-0001, 1190.00, matched
    first.write_bytes(camt("S1", "1000.00", "2190.00", "2026-02-01", "2026-02-02"))
    payctl("import", first)
    lines = jsonl(
        row("-12.50", day="2026-02-04", text="bank fee \x1b[31m", name="Bank\x07"),
        row("77.00", day="2026-02-05", text="who knows"),
    )
    payctl("import", "-", "--journal", "BNK1", "--input-format", "jsonl", input=lines)


def stored_lines(url: str) -> dict[int, int]:
    async def go(s: Any) -> dict[int, int]:
        found = await s.execute(
            select(m.BankLine.statement_id, func.count()).group_by(m.BankLine.statement_id)
        )
        return dict(found.all())

    return in_session(url, go)


def test_list_and_show_in_every_format(init_url, cli_env, tmp_path):
    imported(init_url, tmp_path)
    listed = js("statement", "list")
    assert listed["total"] == 2
    camt_st, jsonl_st = listed["items"]
    assert (camt_st["journal"], camt_st["format"], camt_st["currency"]) == ("BNK1", "camt", "EUR")
    assert (camt_st["opening_balance"], camt_st["closing_balance"]) == ("1000.00", "2190.00")
    assert camt_st["total"] == "1190.00" and camt_st["difference"] == "0.00"
    assert camt_st["by_decision"] == {"matched": 1}
    assert jsonl_st["by_decision"] == {"review": 2} and jsonl_st["difference"] is None
    assert jsonl_st["total"] == "64.50"
    counts = stored_lines(init_url)
    for st in listed["items"]:
        assert st["line_count"] == counts[st["id"]] == sum(st["by_decision"].values())
    shown = js("statement", "show", str(jsonl_st["id"]))
    assert [ln["amount"] for ln in shown["lines"]] == ["-12.50", "77.00"]
    assert [ln["decision"] for ln in shown["lines"]] == ["in review", "in review"]
    assert shown["lines"][0]["counterparty"] == "Bank\x07"  # JSON keeps the data
    csv_out = payctl("statement", "show", str(jsonl_st["id"]), "--format", "csv").stdout
    assert csv_out.splitlines()[0] == (
        "id,date,amount,currency,counterparty,text,decision,payment,reason"
    )
    assert len(csv_out.splitlines()) == 3
    listed_csv = payctl("statement", "list", "--format", "csv").stdout.splitlines()
    assert len(listed_csv) == 3 and listed_csv[0].startswith("id,journal,account")
    table = payctl("statement", "show", str(camt_st["id"])).stdout
    assert "matched 1" in table and "INV-2026-0001" in table
    table = payctl("statement", "show", str(jsonl_st["id"])).stdout
    assert "\x1b" not in table and "\x07" not in table and "\\x1b" in table
    assert "the bank gave no balances" in table
    assert "in review 2" in payctl("statement", "list").stdout


def test_a_difference_the_lines_do_not_explain(init_url, cli_env, tmp_path):
    on_database(init_url, books)
    f = tmp_path / "feb1.xml"  # says 1000.00 -> 2500.00 but holds one line of 1190.00
    f.write_bytes(camt("S1", "1000.00", "2500.00", "2026-02-01", "2026-02-02"))
    payctl("import", f)
    (st,) = js("statement", "list")["items"]
    assert st["difference"] == "310.00"
    assert (
        "310.00 (lines stored with an overlapping statement, or missing)"
        in payctl("statement", "show", str(st["id"])).stdout
    )


def test_journal_filter_paging_and_empty(init_url, cli_env, tmp_path):
    assert payctl("statement", "list").stdout == "no statements match\n"
    assert js("statement", "list") == {"items": [], "total": 0}
    imported(init_url, tmp_path)
    assert js("statement", "list", "--journal", "CSH1")["total"] == 0
    assert js("statement", "list", "--journal", "bnk1")["total"] == 2
    page = js("statement", "list", "--limit", "1", "--offset", "1")
    assert page["total"] == 2 and len(page["items"]) == 1
    assert "1 of 2 shown" in payctl("statement", "list", "--limit", "1").stdout


def test_bad_input(init_url, cli_env):
    refused("statement", "show", "x", code=2, says="'x' is not a statement id")
    refused("statement", "show", "99", code=1, says="unknown statement 99")
    refused("statement", "show", "99999999999999999999", code=1, says="unknown statement")
    refused("statement", "list", "--journal", "NOPE", code=1, says="unknown journal 'NOPE'")
    refused("statement", "list", "--limit", "-1", code=2, says="--limit")


def table_counts(url: str) -> dict[str, int]:
    async def go(s: Any) -> dict[str, int]:
        out = {}
        for model in (m.BankStatement, m.BankLine, m.Payment, m.JournalEntry, m.AuditRecord):
            out[model.__tablename__] = await s.scalar(select(func.count()).select_from(model))
        out["events"] = await s.scalar(select(func.count()).select_from(m.Event))
        return out

    return in_session(url, go)


def test_delete_an_undecided_statement_then_import_it_again(init_url, cli_env, tmp_path):
    imported(init_url, tmp_path)
    undecided = js("statement", "list")["items"][1]  # the JSON lines: both in review
    payctl("review", "ignore", "3", "--reason", "noise")  # ignored is undecided too
    before = table_counts(init_url)
    out = js("statement", "delete", str(undecided["id"]), "--reason", "wrong journal")
    assert out == {"id": undecided["id"], "journal": "BNK1", "source": "<stdin>", "lines": 2}
    after = table_counts(init_url)
    assert after["bank_statements"] == before["bank_statements"] - 1
    assert after["bank_lines"] == before["bank_lines"] - 2
    assert after["audit_log"] == before["audit_log"] + 1
    assert after["events"] == before["events"] + 1
    (event,) = js("events", "list", "--type", "bank_statement.deleted")
    assert event["data"]["lines"] == 2 and event["data"]["reason"] == "wrong journal"
    assert event["data"]["journal"] == "BNK1"

    async def record(s: Any) -> Any:
        return await s.scalar(
            select(m.AuditRecord.changes).where(
                m.AuditRecord.object_type == "bank_statement", m.AuditRecord.action == "delete"
            )
        )

    import json

    kept = json.loads(in_session(init_url, record))
    assert sorted(kept["lines"]) == ["2", "3"]
    assert kept["lines"]["3"]["state"] == "ignored" and kept["lines"]["2"]["amount"] == -1250
    assert kept["statement"]["journal"] == "BNK1"
    refused("statement", "show", str(undecided["id"]), code=1, says="unknown statement")
    # the same lines import again as new lines (new ids: ids are never reused)
    lines = jsonl(
        row("-12.50", day="2026-02-04", text="bank fee \x1b[31m", name="Bank\x07"),
        row("77.00", day="2026-02-05", text="who knows"),
    )
    again = js("import", "-", "--journal", "BNK1", "--input-format", "jsonl", input=lines)
    assert again["files"][0]["new_lines"] == 2
    assert js("review", "list")["items"][0]["id"] > 3


def test_a_statement_with_decided_lines_is_refused(init_url, cli_env, tmp_path):
    imported(init_url, tmp_path)
    matched = js("statement", "list")["items"][0]  # the camt line is matched
    before = table_counts(init_url)
    refused(
        "statement",
        "delete",
        str(matched["id"]),
        code=1,
        says=("has decided lines (1)", "payctl review unmatch"),
    )
    assert table_counts(init_url) == before
    refused("statement", "delete", "x", code=2, says="'x' is not a statement id")
    refused("statement", "delete", "42", code=1, says="unknown statement 42")
    assert table_counts(init_url) == before
    # unmatch the line, and the statement can go
    payctl("review", "unmatch", "1")
    assert js("statement", "delete", str(matched["id"]))["lines"] == 1

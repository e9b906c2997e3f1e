"""One CLI: the same idea, the same flag, everywhere (issue 11, points 10 and 11), through the
CLI on every backend of the ``backend`` fixture: -f/-q/-O before or after the command name,
`bulk create --dry-run`, options not offered where they mean nothing, errors naming the flag,
one result shape for single and bulk transitions, `review export` to XLSX, the error column of
a failed import in CSV."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import pytest

from tests import factories
from tests.cli.test_cli_bulk import GOOD_ROWS, HEADER, _invoices, snapshot
from tests.conftest import in_session, payctl, refused

JSONL = (
    '{"booking_date": "2026-11-26", "amount": "-49.90", "currency": "EUR", '
    '"counterparty_name": "Stadtwerke", "remittance": "=HYPERLINK(1)", "transaction_id": "TX-1"}\n'
)


def _drafts(url: str, n: int) -> list[int]:
    async def build(s: Any) -> list[int]:
        await factories.customer(s)
        return [(await factories.draft(s, amount="10.00")).id for _ in range(n)]

    return in_session(url, build)


@pytest.mark.parametrize(
    "args",
    [
        ("-f", "json", "types"),
        ("types", "-f", "json"),
        ("--format", "json", "types"),
        ("types", "--format", "json"),
        ("-O", "json", "types"),
        ("types", "-O", "json"),
        ("--output-format", "json", "types"),
        ("types", "--output-format", "json"),
        ("-f", "csv", "types", "-f", "json"),  # the command's own wins
    ],
)
def test_format_before_or_after_the_command_and_O_is_an_alias(cli_env, args):
    data = json.loads(payctl(*args).stdout)
    assert isinstance(data, list) and data[0]["type"] == "customer_payment"


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_before_or_after_the_command(cli_env, init_url, where):
    _drafts(init_url, 1)
    args = ["delete", "1", "--reason", "dup"]
    loud = payctl("update", "1", "--memo", "x")
    assert "updated payment" in loud.stderr
    quiet = payctl(*(["-q", *args] if where == "before" else [*args, "-q"]))
    assert quiet.stderr == "" and "deleted" in quiet.stdout


def test_every_command_accepts_quiet_and_a_group_does_not_need_it(cli_env):
    assert payctl("lock-date", "show", "-q").stdout == "no lock date set\n"
    assert payctl("-q", "lock-date", "show").stdout == "no lock date set\n"
    assert json.loads(payctl("lock-date", "show", "-q", "-O", "json").stdout) == {"lock_date": None}


def test_bulk_create_dry_run_checks_every_row_and_writes_nothing(cli_env, init_url, tmp_path):
    _invoices(init_url)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(HEADER + "".join(GOOD_ROWS))
    bad.write_text(
        HEADER
        + GOOD_ROWS[0]
        + "customer_payment,Nobody GmbH,BNK1,10.00,2026-02-04,,,\n"
        + "customer_payment,ACME GmbH,BNK1,10.00,2026-02-04,,,INV-404=10.00\n"
    )
    before = snapshot(init_url)

    dry = json.loads(payctl("bulk", "create", "--file", good, "--dry-run", "-f", "json").stdout)
    failed = payctl("bulk", "create", "--file", bad, "--dry-run", code=2)

    assert dry["summary"] == {"rows": 3, "created": 3, "skipped": 0, "dry_run": True}
    assert [i["message"] for i in dry["items"]] == ["would be created (dry run)"] * 3
    assert [i["partner"] for i in dry["items"]] == ["ACME GmbH", "Supplier BV", "ACME GmbH"]
    errors = failed.stderr.strip().splitlines()
    assert "Nobody GmbH" in errors[0] and "INV-404" in errors[1], errors  # every bad row
    assert errors[-1].endswith("2 bad rows: nothing created")
    assert snapshot(init_url) == before


@pytest.mark.parametrize("action", ["reset", "cancel", "delete"])
def test_write_off_is_not_offered_where_it_means_nothing(cli_env, action):
    error = refused("bulk", action, "--state", "draft", "--write-off", code=2)
    assert "No such option: --write-off" in error
    assert error.endswith(f"(see `payctl bulk {action} --help`)")
    assert "--write-off" not in payctl("bulk", action, "--help").stdout
    assert "--write-off" in payctl("bulk", "confirm", "--help").stdout


@pytest.mark.parametrize(
    ("args", "flag", "field"),
    [
        (("list", "--date-from", "x"), "--date-from: 'x' is not a date", "date_from"),
        (("bulk", "cancel", "--date-to", "2026-13-01"), "--date-to: ", "date_to"),
        (("summary", "--date-from", "x"), "--date-from: ", "date_from"),
        (("list", "--amount-min", "lots"), "--amount-min: ", "amount_min"),
        (("list", "--date-from", ""), "--date-from: the value is empty", "date_from"),
        (("export", "--to", "csv", "--date-to", "x"), "--date-to: ", "date_to"),
        (("events", "list", "--type", "x"), "--type: unknown event type", "type:"),
    ],
)
def test_errors_name_the_flag_not_the_python_parameter(cli_env, args, flag, field):
    error = refused(*args, code=2, says=flag)
    assert field not in error.replace(flag, "")


@pytest.mark.parametrize("command", [("summary",), ("export", "--to", "csv")])
def test_two_flags_in_one_message_are_both_named(cli_env, command):
    error = refused(*command, "--date-from", "2026-03-01", "--date-to", "2026-02-01", code=2)
    assert "--date-from" in error and "--date-to" in error and "date_" not in error


def test_a_usage_error_is_one_line_with_a_pointer_to_help(cli_env):
    for args, where in [
        (("list", "--bogus"), "payctl list --help"),
        (("bulk", "confirm", "--limit", "3"), "payctl bulk confirm --help"),
        (("review", "accept"), "payctl review accept --help"),
        (("bulk", "cancel"), "payctl bulk cancel --help"),  # payctl's own usage checks too
        (("bulk", "cancel", "1", "--state", "draft"), "payctl bulk cancel --help"),
        (("allocate", "1", "INV-1"), "payctl allocate --help"),
        (("export", "--to", "xlsx"), "payctl export --help"),
        (("review", "export", "-o", "x.txt"), "payctl review export --help"),
    ]:
        assert refused(*args, code=2).endswith(f"(see `{where}`)")


def test_single_and_bulk_transitions_print_the_same_shape(cli_env, init_url):
    ids = [str(i) for i in _drafts(init_url, 4)]
    single = json.loads(payctl("confirm", ids[0], "-f", "json").stdout)
    bulk = json.loads(payctl("bulk", "confirm", ids[1], "-f", "json").stdout)
    assert single.keys() == bulk.keys() == {"items", "total", "summary"}
    assert single["items"][0].keys() == bulk["items"][0].keys()
    assert single["summary"].keys() == bulk["summary"].keys()
    deleted = json.loads(payctl("delete", ids[2], "-f", "json").stdout)
    bulk_deleted = json.loads(payctl("bulk", "delete", ids[3], "-f", "json").stdout)
    assert deleted["items"][0].keys() == bulk_deleted["items"][0].keys()
    assert (deleted["items"][0]["after"], deleted["summary"]["action"]) == ("deleted", "delete")
    again = json.loads(payctl("delete", ids[2], "-f", "json").stdout)  # a re-run: skipped
    assert again["items"][0]["status"] == "skipped"
    refused("delete", ids[0], says="only drafts can be deleted")  # one named: one line


def test_review_export_writes_a_real_xlsx(cli_env, tmp_path):
    from openpyxl import load_workbook

    payctl("import", "-", input=JSONL)
    listed = json.loads(payctl("review", "list", "-f", "json").stdout)["items"]
    target = tmp_path / "review.xlsx"

    result = payctl("review", "export", "--output", target)

    assert f"wrote 1 lines to {target}" in result.stderr
    sheet = load_workbook(target, read_only=True).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[:5] == ["id", "date", "amount", "currency", "counterparty"]
    assert len(rows) == 1 and rows[0][0] == str(listed[0]["id"])
    assert Decimal(str(rows[0][2])) == Decimal("-49.90")  # a number cell, not text
    assert "'=HYPERLINK(1)" in rows[0]  # formula-safe like every cell payctl writes


@pytest.mark.parametrize(
    ("name", "extra", "says"),
    [
        ("review.txt", (), "unknown extension '.txt'"),
        ("review", (), "unknown extension '(none)'"),
        ("review.csv", ("-f", "json"), "--format json does not match"),
    ],
)
def test_review_export_refuses_what_it_cannot_write(cli_env, tmp_path, name, extra, says):
    target = tmp_path / name
    refused("review", "export", "--output", target, *extra, code=2, says=says)
    assert not target.exists()


def test_review_export_json_and_csv_files(cli_env, tmp_path):
    payctl("import", "-", input=JSONL)
    payctl("review", "export", "-o", tmp_path / "r.json")
    payctl("review", "export", "-o", tmp_path / "r.csv")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert data["total"] == len(rows) == 1 and rows[0]["amount"] == "-49.90"


def test_review_decisions_and_lock_date_have_format(cli_env):
    payctl("import", "-", input=JSONL + JSONL.replace("TX-1", "TX-2"))
    first, second = [
        str(i["id"]) for i in json.loads(payctl("review", "list", "-f", "json").stdout)["items"]
    ]
    ignored = json.loads(payctl("review", "ignore", first, "-f", "json").stdout)
    assert ignored["line"] == int(first) and ignored["action"] and ignored["message"]
    table = payctl("review", "ignore", second, "--reason", "fee").stdout
    assert table.startswith(f"bank line {second} ")  # a table is the sentence, as before
    undone = payctl("review", "unmatch", first, "-O", "csv", code=1)  # refused: one line
    assert undone.stdout == "" and "is not matched" in undone.stderr
    payctl("lock-date", "set", "2026-01-31")
    assert json.loads(payctl("-f", "json", "lock-date", "show").stdout) == {
        "lock_date": "2026-01-31"
    }


def test_a_failed_import_in_csv_carries_the_error_column(cli_env, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"booking_date": "2026-11-26", "amount": "x"}\n')
    as_json = json.loads(payctl("import", bad, "-f", "json", code=2).stdout)["files"][0]
    as_csv = list(csv.DictReader(io.StringIO(payctl("import", bad, "-f", "csv", code=2).stdout)))
    assert as_csv[0]["status"] == "failed"
    assert as_csv[0]["error"] == as_json["error"] and "amount" in as_json["error"]


def test_export_takes_its_format_from_format_O_or_a_global_csv(cli_env):
    by_to = payctl("export", "--to", "csv").stdout
    assert payctl("export", "-O", "csv").stdout == by_to
    assert payctl("export", "--format", "csv").stdout == by_to
    assert payctl("-f", "csv", "export").stdout == by_to
    assert payctl("export", "-f", "ledger").stdout.startswith("; payctl export")
    refused("export", code=2, says="--to: give the export format")
    refused("-f", "json", "export", code=2, says="--to: give the export format")


def test_help_paragraphs_are_wrapped_by_the_terminal_not_the_source(cli_env):
    """A command's help is written wrapped at the source's line length; on a wide terminal a
    paragraph is one line, not broken where the source broke it."""
    wide = payctl("import", "--help", env={"COLUMNS": "250"}).stdout
    assert (
        "Lines that match well become draft payments (or posted ones with --auto-confirm) or "
        "reconcile posted payments;" in wide
    )
    listing = payctl("--help", env={"COLUMNS": "250"}).stdout
    assert "seed the default chart of accounts and the BNK1 (bank), CSH1 (cash)" in listing


def test_reflow_joins_each_paragraph_and_keeps_marked_ones():
    from payctl.cli.conventions import reflow

    text = """First line
        goes on.

        Second
        paragraph.

        \b
        kept
        as is"""
    assert reflow(text) == "First line goes on.\n\nSecond paragraph.\n\n\b\nkept\nas is"

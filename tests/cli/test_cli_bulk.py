"""`payctl bulk …` through Typer's CliRunner (issue 4): exit codes, per-item results, atomic
and dry runs, selection from arguments, files (lines, CSV, XLSX), standard input and filters,
and `bulk create` from files with row-and-field errors.

Runs on every backend of the ``backend`` fixture. Data is seeded and read back through the
services in separate sessions; the CLI runs in-process against the same database.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, TypeVar

import pytest

from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests import factories
from tests.conftest import error_line as one_line_error
from tests.conftest import in_session
from tests.conftest import payctl as harness_payctl
from tests.procs.bulk_worker import integrity_problems, payment_states, seed_drafts, table_counts
from tests.services.test_bulk import mixed_set

T = TypeVar("T")


def payctl(*args: str, input: str | None = None) -> Any:
    """payctl through the harness; each test checks the exit code it expects."""
    return harness_payctl(*args, code=None, input=input)


def as_json(result: Any) -> dict[str, Any]:
    data = json.loads(result.stdout)
    assert data["total"] == len(data["items"])
    return data


def statuses(data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {row["item"]: (row["status"], row["message"]) for row in data["items"]}


def snapshot(url: str) -> tuple[dict[str, int], dict[int, tuple[str, str | None]]]:
    return in_session(url, table_counts), in_session(url, payment_states)


def posted_drafts(url: str, n: int) -> tuple[list[int], list[str]]:
    """``n`` seeded drafts, confirmed: their ids and numbers."""

    async def build(s: Any) -> list[int]:
        ids = await seed_drafts(s, n)
        await PaymentFlowService(s, "tester").bulk("confirm", _selection(ids))
        return ids

    ids = in_session(url, build)
    states = in_session(url, payment_states)
    return ids, [states[i][1] or "" for i in ids]


def _selection(ids: list[int]) -> Any:
    from payctl.services.payments.selection import Selection

    return Selection(tuple(map(str, ids)))


# --------------------------------------------------------------------------- modes


def test_per_item_run_with_bad_items_exits_1_and_reports_each_item(cli_env, init_url):
    ids = in_session(init_url, mixed_set)
    idents = [
        ids["g1"],
        ids["comp1"],
        ids["cancelled"],
        "999999",
        ids["g2"],
        ids["comp2"],
        ids["posted"],
        ids["g3"],
        f"#{ids['g1']}",
    ]

    result = payctl("bulk", "confirm", *map(str, idents), "--format", "json")

    assert result.exit_code == 1, result.stderr
    data = as_json(result)
    assert {k: data["summary"][k] for k in ("succeeded", "skipped", "failed", "batches")} == {
        "succeeded": 4,
        "skipped": 2,
        "failed": 3,
        "batches": 1,
    }
    rows = statuses(data)
    for key in ("g1", "g2", "g3", "comp1"):
        assert rows[str(ids[key])] == ("ok", "ok")
    assert rows["999999"] == ("failed", "unknown payment '999999'")
    assert rows[f"#{ids['g1']}"] == ("skipped", "listed 2 times: handled once")
    assert rows[str(ids["cancelled"])] == (
        "failed",
        f"payment #{ids['cancelled']} is cancelled and cannot be confirmed",
    )
    assert rows[str(ids["comp2"])][0] == "failed"
    assert "exceeds its open residual" in rows[str(ids["comp2"])][1]
    assert rows[str(ids["posted"])] == ("skipped", "already posted: skipped")
    states = in_session(init_url, payment_states)
    assert [states[ids[k]][0] for k in ("g1", "g2", "g3", "comp1", "comp2", "cancelled")] == [
        "posted",
        "posted",
        "posted",
        "posted",
        "draft",
        "cancelled",
    ]
    assert in_session(init_url, integrity_problems) == []


def test_table_output_shows_items_and_totals(cli_env, init_url):
    ids = in_session(init_url, mixed_set)
    result = payctl("bulk", "confirm", str(ids["g1"]), str(ids["cancelled"]))
    assert result.exit_code == 1
    assert str(ids["cancelled"]) in result.stdout and "cancelled and cannot be confirmed" in (
        result.stdout.replace("\n", " ")
    )
    assert "1 ok, 0 skipped, 1 failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_all_succeeding_exits_0_and_csv_output_is_parseable(cli_env, init_url):
    ids = in_session(init_url, lambda s: seed_drafts(s, 3))
    result = payctl("bulk", "post", *map(str, ids), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["item"] for r in rows] == [str(i) for i in ids]
    assert {(r["before"], r["after"], r["status"]) for r in rows} == {("draft", "posted", "ok")}
    assert [r["number"] for r in rows] == [f"BNK1/2026/{k:05d}" for k in (1, 2, 3)]


def test_atomic_run_with_one_bad_item_changes_nothing(cli_env, init_url):
    ids = in_session(init_url, mixed_set)
    before = snapshot(init_url)

    result = payctl(
        "bulk",
        "confirm",
        str(ids["g1"]),
        str(ids["g2"]),
        str(ids["comp1"]),
        str(ids["cancelled"]),
        "--atomic",
        "--format",
        "json",
    )

    assert result.exit_code == 1
    data = as_json(result)
    assert data["summary"]["rolled_back"] is True and data["summary"]["succeeded"] == 0
    failed = [r for r in data["items"] if r["status"] == "failed"]
    assert [r["item"] for r in failed] == [str(ids["cancelled"])]
    assert snapshot(init_url) == before

    result = payctl("bulk", "confirm", str(ids["g1"]), str(ids["cancelled"]), "--atomic")
    assert result.exit_code == 1
    assert "rolled back, nothing changed" in result.stderr
    assert snapshot(init_url) == before


@pytest.mark.parametrize(
    "args",
    [
        ("confirm", "--dry-run"),
        ("validate",),
        ("cancel", "--dry-run"),
        ("delete", "--dry-run"),
        ("confirm", "--dry-run", "--atomic"),
    ],
)
def test_dry_run_and_validate_write_nothing(cli_env, init_url, args):
    ids = in_session(init_url, lambda s: seed_drafts(s, 4))
    before = snapshot(init_url)

    result = payctl("bulk", *args, *map(str, ids), "--format", "json")

    assert result.exit_code == 0, result.stderr
    data = as_json(result)
    assert data["summary"]["dry_run"] is True and data["summary"]["succeeded"] == 4
    assert snapshot(init_url) == before  # entries, audit, sequences, payments untouched


def test_validate_reports_what_would_fail_and_exits_1(cli_env, init_url):
    ids = in_session(init_url, mixed_set)
    before = snapshot(init_url)
    result = payctl("bulk", "validate", str(ids["g1"]), str(ids["cancelled"]), "--format", "json")
    assert result.exit_code == 1
    rows = statuses(as_json(result))
    assert rows[str(ids["g1"])] == ("ok", "can be confirmed")
    assert rows[str(ids["cancelled"])][0] == "failed"
    assert snapshot(init_url) == before


# --------------------------------------------------------------------------- lifecycle


def test_confirm_reset_cancel_then_delete_refused_but_fresh_drafts_deleted(cli_env, init_url):
    ids = in_session(init_url, lambda s: seed_drafts(s, 4, prefix="L"))
    fresh = in_session(init_url, lambda s: seed_drafts(s, 2, prefix="F"))
    listed = list(map(str, ids))
    for action, state in (("confirm", "posted"), ("reset", "draft"), ("cancel", "cancelled")):
        result = payctl("bulk", action, *listed, "--format", "json")
        assert result.exit_code == 0, (action, result.stderr)
        assert as_json(result)["summary"]["succeeded"] == 4
        assert {in_session(init_url, payment_states)[i][0] for i in ids} == {state}
        rerun = payctl("bulk", action, *listed, "--format", "json")
        assert rerun.exit_code == 0 and as_json(rerun)["summary"]["skipped"] == 4

    result = payctl("bulk", "delete", *listed, *map(str, fresh), "--format", "json")
    assert result.exit_code == 1
    rows = statuses(as_json(result))
    assert all(rows[str(i)][0] == "failed" for i in ids)
    assert all(rows[str(i)] == ("ok", "ok") for i in fresh)
    states = in_session(init_url, payment_states)
    assert set(fresh).isdisjoint(states) and all(states[i][0] == "cancelled" for i in ids)
    assert in_session(init_url, integrity_problems) == []
    check = payctl("check")
    assert check.exit_code == 0, check.stdout + check.stderr


# --------------------------------------------------------------------------- selection


def _xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


@pytest.mark.parametrize(
    "kind", ["lines", "csv", "csv_one_column", "csv_semicolon", "xlsx", "stdin"]
)
def test_selection_from_a_file_or_stdin(cli_env, init_url, tmp_path, kind):
    ids, numbers = posted_drafts(init_url, 6)
    chosen = [numbers[0], str(ids[2]), numbers[4]]  # numbers and ids mixed
    path, stdin = tmp_path / f"approved.{'xlsx' if kind == 'xlsx' else 'csv'}", None
    if kind == "lines":
        path.write_text(f"# approved by MB\n{chosen[0]}\n\n  {chosen[1]}  \n{chosen[2]}\n")
    elif kind == "csv":
        path.write_text(
            "partner,payment,note\n" + "".join(f'ACME GmbH,{c},"ok, approved"\n' for c in chosen)
        )
    elif kind == "csv_one_column":
        path.write_text("payment\n" + "\n".join(chosen) + "\n")
    elif kind == "csv_semicolon":
        path.write_text("Payment;Note\n" + "".join(f"{c};x\n" for c in chosen))
    elif kind == "xlsx":
        _xlsx(path, ["note", "payment"], [["a", chosen[0]], ["b", ids[2]], ["c", chosen[2]]])
    else:
        stdin = "\n".join(chosen) + "\n"
    result = payctl(
        "bulk", "reset", "--file", "-" if stdin else str(path), "--format", "json", input=stdin
    )

    assert result.exit_code == 0, result.stderr
    data = as_json(result)
    assert [r["item"] for r in data["items"]] == chosen
    states = in_session(init_url, payment_states)
    assert [states[i][0] for i in ids] == ["draft", "posted", "draft", "posted", "draft", "posted"]


def test_selection_by_filters(cli_env, init_url):
    bank = in_session(init_url, lambda s: seed_drafts(s, 3, prefix="B"))
    cash = in_session(init_url, lambda s: seed_drafts(s, 2, prefix="C", journal="CSH1"))
    posted, _ = posted_drafts(init_url, 1)

    result = payctl("bulk", "confirm", "--state", "draft", "--journal", "BNK1", "--format", "json")

    assert result.exit_code == 0, result.stderr
    data = as_json(result)
    assert sorted(r["payment_id"] for r in data["items"]) == sorted(bank)
    states = in_session(init_url, payment_states)
    assert all(states[i][0] == "posted" for i in bank + posted)
    assert all(states[i] == ("draft", None) for i in cash)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("1", "--state", "draft"), "give payments OR filters, not both"),
        ((), "name payments (arguments or --file) or give a filter"),
        (("--file", "{tmp}/missing.txt"), "/missing.txt: no such file"),
        (("--file", "{tmp}/empty.txt"), "empty.txt: no payments listed"),
        (("--file", "{tmp}/nocol.xlsx"), "nocol.xlsx: no 'payment' column"),
        (("--file", "{tmp}/nocol.csv"), "nocol.csv: no 'payment' column"),
        (("--file", "{tmp}/ids.csv"), "ids.csv: no 'payment' column (found: id, approved)"),
        (("--file", "{tmp}/ids.txt"), "ids.txt: no 'payment' column (found: id, approved)"),
        (("--file", "-"), "-: no 'payment' column (found: id, approved)"),
        (("--state", "bogus"), "state: 'bogus' is not one of"),
        (("--journal", "NOPE"), "unknown journal 'NOPE'"),
    ],
)
def test_bad_selections_fail_with_one_line(cli_env, init_url, tmp_path, args, expected):
    (tmp_path / "empty.txt").write_text("# nothing approved today\n\n")
    (tmp_path / "nocol.csv").write_text("id,note,payment_ref\n1,x,2\n")
    (tmp_path / "ids.csv").write_text("id,approved\n1,yes\n2,yes\n")
    (tmp_path / "ids.txt").write_text("# approved today\nid;approved\n1;yes\n")
    _xlsx(tmp_path / "nocol.xlsx", ["id", "note"], [[1, "x"]])
    before = snapshot(init_url)
    args = tuple(a.format(tmp=tmp_path) for a in args)
    stdin = "id,approved\n1,yes\n" if "-" in args else None
    line = one_line_error(
        payctl("bulk", "confirm", *args, input=stdin), 1 if "journal" in expected else 2
    )
    assert expected in line
    assert snapshot(init_url) == before


def test_a_payment_listed_twice_is_a_duplicate_not_a_failure(cli_env, init_url, tmp_path):
    ids = in_session(init_url, lambda s: seed_drafts(s, 2))
    path = tmp_path / "approved.csv"
    path.write_text("payment,approved\n" + "".join(f"{i},yes\n" for i in [*ids, ids[0]]))

    result = payctl("bulk", "confirm", "--file", str(path), "--format", "json")

    assert result.exit_code == 0, result.stderr
    data = as_json(result)
    assert {k: data["summary"][k] for k in ("succeeded", "skipped", "failed")} == {
        "succeeded": 2,
        "skipped": 1,
        "failed": 0,
    }
    assert [r for r in data["items"] if r["status"] == "skipped"] == [
        {
            "item": str(ids[0]),
            "payment_id": ids[0],
            "number": None,
            "before": None,
            "after": None,
            "ok": True,
            "message": "listed 2 times: handled once",
            "skipped": True,
            "status": "skipped",
        }
    ]
    assert {st for st, _ in in_session(init_url, payment_states).values()} == {"posted"}


# --------------------------------------------------------------------------- bulk create


HEADER = "type,partner,journal,amount,date,reference,memo,allocations\n"


def _invoices(url: str) -> None:
    async def build(s: Any) -> None:
        await factories.customer(s)
        await factories.vendor(s)
        await factories.invoice(s, "INV-1", amount="100.00")
        await factories.invoice(s, "INV-2", amount="50.00")
        await factories.invoice(
            s, "BILL-1", partner="Supplier BV", amount="80.00", type="vendor_bill"
        )

    in_session(url, build)


GOOD_ROWS = [
    "customer_payment,ACME GmbH,BNK1,150.00,2026-02-01,R-1,two invoices,INV-1=100.00;INV-2=50.00\n",
    "vendor_payment,Supplier BV,BNK1,80.00,2026-02-02,R-2,,BILL-1=80.00\n",
    "customer_payment,ACME GmbH,CSH1,25.50,2026-02-03,R-3,advance,\n",
]


@pytest.mark.parametrize("source", ["csv", "xlsx", "stdin"])
def test_bulk_create_from_a_good_file_creates_every_row(cli_env, init_url, tmp_path, source):
    _invoices(init_url)
    text = HEADER + "".join(GOOD_ROWS)
    stdin = None
    if source == "csv":
        path = tmp_path / "payments.csv"
        path.write_text(text)
    elif source == "xlsx":
        path = tmp_path / "payments.xlsx"
        rows = list(csv.reader(io.StringIO(text)))
        _xlsx(path, rows[0], rows[1:])
    else:
        path, stdin = Path("-"), text

    result = payctl("bulk", "create", "--file", str(path), "--format", "json", input=stdin)

    assert result.exit_code == 0, result.stderr
    items = as_json(result)["items"]
    assert [(i["type"], i["journal"], i["amount"], i["allocated"], i["state"]) for i in items] == [
        ("customer_payment", "BNK1", "150.00", "150.00", "draft"),
        ("vendor_payment", "BNK1", "80.00", "80.00", "draft"),
        ("customer_payment", "CSH1", "25.50", "0.00", "draft"),
    ]
    counts = in_session(init_url, table_counts)
    assert (counts["payments"], counts["payment_allocations"]) == (3, 3)
    confirm = payctl("bulk", "confirm", "--state", "draft", "--format", "json")
    assert confirm.exit_code == 0 and as_json(confirm)["summary"]["succeeded"] == 3
    assert in_session(init_url, integrity_problems) == []


@pytest.mark.parametrize(
    ("bad_row", "line", "row", "field"),
    [
        ("customer_payment,ACME GmbH,BNK1,12.3.4,2026-02-04,R-9,,\n", 1, 3, "amount"),
        ("customer_payment,Nobody GmbH,BNK1,10.00,2026-02-04,R-9,,\n", 0, 2, "partner"),
        (
            "customer_payment,ACME GmbH,BNK1,10.00,2026-02-04,R-9,,INV-1:10.00\n",
            2,
            4,
            "allocations",
        ),
        ("customer_payment,ACME GmbH,BNK1,10.00,2026-02-04,R-9,,INV-404=10.00\n", 2, 4, "INV-404"),
        ("customer_payment,ACME GmbH,BNK1,10.00,2026-31-02,R-9,,\n", 1, 3, "date"),
        ("cheque,ACME GmbH,BNK1,10.00,2026-02-04,R-9,,\n", 0, 2, "type"),
    ],
)
def test_bulk_create_with_a_bad_row_names_file_row_and_field_and_writes_nothing(
    cli_env, init_url, tmp_path, bad_row, line, row, field
):
    _invoices(init_url)
    rows = list(GOOD_ROWS)
    rows.insert(line, bad_row)  # spreadsheet row = index + 2 (the header is row 1)
    path = tmp_path / "payments.csv"
    path.write_text(HEADER + "".join(rows))
    before = snapshot(init_url)

    message = one_line_error(payctl("bulk", "create", "--file", str(path)), 2)

    assert f"{path}: row {row}: " in message
    assert field in message.split(f"row {row}: ", 1)[1]
    assert snapshot(init_url) == before


def test_bulk_create_without_required_columns_fails_before_any_row(cli_env, init_url, tmp_path):
    path = tmp_path / "payments.csv"
    path.write_text("type,partner,amount\ncustomer_payment,ACME GmbH,10.00\n")
    before = snapshot(init_url)
    message = one_line_error(payctl("bulk", "create", "--file", str(path)), 2)
    assert "missing column(s) journal" in message
    assert snapshot(init_url) == before


def test_bulk_create_run_twice_creates_each_row_once_and_lists_rows_in_file_order(
    cli_env, init_url, tmp_path
):
    _invoices(init_url)
    twin = "customer_payment,ACME GmbH,CSH1,10.00,2026-02-05,,cash,\n"  # two real receipts
    path = tmp_path / "payments.csv"
    path.write_text(HEADER + GOOD_ROWS[0] + twin + GOOD_ROWS[2] + twin)

    first = payctl("bulk", "create", "--file", str(path), "--format", "json")
    again = payctl("bulk", "create", "--file", str(path), "--format", "json")
    table = payctl("bulk", "create", "--file", str(path))

    assert first.exit_code == 0 and again.exit_code == 0, first.stderr + again.stderr
    made, seen = as_json(first), as_json(again)
    assert [(i["line"], i["status"]) for i in made["items"]] == [
        (2, "created"),
        (3, "created"),
        (4, "created"),
        (5, "created"),
    ]
    assert [(i["line"], i["status"], i["id"]) for i in seen["items"]] == [
        (i["line"], "skipped", i["id"]) for i in made["items"]
    ]
    assert seen["summary"] == {"rows": 4, "created": 0, "skipped": 4, "dry_run": False}
    assert made["items"][1]["id"] != made["items"][3]["id"]
    assert table.exit_code == 0 and "0 draft payments created, 4 already there" in table.stderr
    assert in_session(init_url, table_counts)["payments"] == 4


def test_bulk_create_reports_every_bad_row_one_line_each_and_writes_nothing(
    cli_env, init_url, tmp_path
):
    _invoices(init_url)
    path = tmp_path / "payments.csv"
    path.write_text(
        HEADER
        + GOOD_ROWS[0]
        + "customer_payment,Nobody GmbH,BNK1,10.00,2026-02-04,,,\n"
        + GOOD_ROWS[1]
        + "customer_payment,ACME GmbH,BNK1,12.3.4,2026-02-04,,,\n"
        + "customer_payment,ACME GmbH,BNK1,10.00,2026-02-04,,,INV-404=10.00\n"
    )
    before = snapshot(init_url)

    result = payctl("bulk", "create", "--file", str(path))

    assert result.exit_code == 2 and "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert all(ln.startswith(f"payctl: error: {path}: ") for ln in lines), lines
    assert [ln.split(": ")[3] for ln in lines[:-1]] == ["row 3", "row 5", "row 6"]
    assert "Nobody GmbH" in lines[0] and "amount" in lines[1] and "INV-404" in lines[2]
    assert lines[-1] == f"payctl: error: {path}: 3 bad rows: nothing created"
    assert snapshot(init_url) == before


def test_bulk_create_dry_run_writes_nothing(cli_env, init_url, tmp_path):
    _invoices(init_url)
    path = tmp_path / "payments.csv"
    path.write_text(HEADER + "".join(GOOD_ROWS))
    before = snapshot(init_url)

    dry = payctl("bulk", "create", "--file", str(path), "--dry-run", "--format", "json")

    assert dry.exit_code == 0, dry.stderr
    data = as_json(dry)
    assert data["summary"] == {"rows": 3, "created": 3, "skipped": 0, "dry_run": True}
    assert {i["message"] for i in data["items"]} == {"would be created (dry run)"}
    assert snapshot(init_url) == before
    assert (
        "(dry run: nothing written)"
        in payctl("bulk", "create", "--file", str(path), "--dry-run").stderr
    )
    real = payctl("bulk", "create", "--file", str(path), "--format", "json")
    assert [i["key"] for i in as_json(real)["items"]] == [i["key"] for i in data["items"]]

"""`payctl invoice show` lists the payments (and bank lines) allocated to the invoice, and
`payctl invoice list` takes the date, amount, search, sort and paging options of `payctl list`
(issue 11, point 6). Through the CLI, on every backend, in table, JSON and CSV; bad option
values are one error line naming the option, exit 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import payctl, payctl_json, refused


def invoice(number: str, amount: str, date: str, *extra: str, partner: str = "ACME GmbH") -> None:
    payctl(
        "invoice",
        "create",
        "--partner",
        partner,
        "--number",
        number,
        "--amount",
        amount,
        "--date",
        date,
        *extra,
    )


def payment(amount: str, date: str, *allocate: str) -> int:
    args = ["create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", amount, "--date", date]
    for item in allocate:
        args += ["--allocate", item]
    return payctl_json(*args)["id"]


def csv_rows(*args: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(payctl(*args, "--format", "csv").stdout)))


@pytest.fixture
def books(cli_env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """INV-1 (1190.00) settled by a posted payment (500.00) and by a draft the bank import
    made from a statement line (690.00); INV-2 untouched."""
    payctl("partner", "create", "ACME GmbH", "--kind", "customer")
    invoice("INV-1", "1190.00", "2026-01-05")
    invoice("INV-2", "250.00", "2026-01-06")
    posted = payment("500.00", "2026-02-01", "INV-1=500.00")
    payctl("confirm", posted)
    bank = tmp_path / "nov.jsonl"
    bank.write_text(
        json.dumps(
            {
                "booking_date": "2026-02-10",
                "amount": "690.00",
                "counterparty_name": "ACME GmbH",
                "remittance": "INV-1 rest",
                "transaction_id": "TX-1",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    payctl("import", bank, "--journal", "BNK1", "--input-format", "jsonl")
    made = next(p for p in payctl_json("list")["items"] if p["id"] != posted)
    return {"posted": posted, "made": made["id"]}


def test_show_lists_the_payments_and_bank_lines_in_json(books):
    data = payctl_json("invoice", "show", "INV-1")
    assert (data["number"], data["total"], data["residual"]) == ("INV-1", "1190.00", "690.00")
    first, second = data["settlements"]
    assert first == {
        "payment": "BNK1/2026/00001",
        "payment_id": books["posted"],
        "date": "2026-02-01",
        "state": "posted",
        "amount": "500.00",
        "writeoff": "0.00",
        "currency": "EUR",
        "bank_line": None,
        "bank_line_date": None,
        "statement": None,
        "statement_id": None,
    }
    assert (second["payment"], second["payment_id"]) == (f"#{books['made']}", books["made"])
    assert (second["state"], second["amount"], second["currency"]) == ("draft", "690.00", "EUR")
    assert second["bank_line_date"] == "2026-02-10"
    assert isinstance(second["bank_line"], int) and isinstance(second["statement_id"], int)
    assert second["statement"].endswith("nov.jsonl")
    # by id too; an invoice nothing is allocated to has an empty list
    assert payctl_json("invoice", "show", str(data["id"]))["settlements"] == data["settlements"]
    assert payctl_json("invoice", "show", "INV-2")["settlements"] == []


def test_show_table(books):
    table = payctl("invoice", "show", "INV-1").stdout
    assert "Invoice INV-1" in table and "Payments and bank lines" in table
    posted = next(line for line in table.splitlines() if "BNK1/2026/00001" in line)
    assert "posted" in posted and "500.00" in posted and "2026-02-01" in posted
    made = next(line for line in table.splitlines() if f"#{books['made']} " in line)
    for text in ("draft", "690.00", "2026-02-10", "nov.jsonl"):
        assert text in made, text
    empty = payctl("invoice", "show", "INV-2").stdout
    assert "No payment is allocated to it." in empty and "Payments and" not in empty


def test_show_csv_is_one_flat_table(books):
    rows = csv_rows("invoice", "show", "INV-1")
    assert len(rows) == 2
    assert {r["number"] for r in rows} == {"INV-1"} and {r["residual"] for r in rows} == {"690.00"}
    assert [(r["payment"], r["payment_state"], r["allocated"]) for r in rows] == [
        ("BNK1/2026/00001", "posted", "500.00"),
        (f"#{books['made']}", "draft", "690.00"),
    ]
    assert rows[0]["bank_line"] == "" and rows[1]["bank_line_date"] == "2026-02-10"
    assert rows[1]["allocated_currency"] == "EUR" and rows[1]["statement"].endswith("nov.jsonl")
    (alone,) = csv_rows("invoice", "show", "INV-2")
    assert (alone["number"], alone["payment"], alone["allocated"]) == ("INV-2", "", "")


def test_show_after_a_reset_keeps_the_allocation_with_its_state(books):
    payctl("reset", "BNK1/2026/00001")
    data = payctl_json("invoice", "show", "INV-1")
    assert data["residual"] == "1190.00"
    assert [(s["payment"], s["state"]) for s in data["settlements"]][0] == (
        "BNK1/2026/00001",
        "draft",
    )


def test_show_unknown_invoice_is_refused(books):
    assert "unknown invoice 'INV-404'" in refused("invoice", "show", "INV-404")


@pytest.fixture
def many(cli_env: dict[str, str]) -> None:
    payctl("partner", "create", "ACME GmbH", "--kind", "customer")
    payctl("partner", "create", "Other Co", "--kind", "customer")
    invoice("A-1", "100.00", "2026-01-10")
    invoice("A-2", "2500.00", "2026-02-10", "--due", "2026-02-20")
    invoice("A-3", "100", "2026-03-10", "--currency", "JPY")
    invoice("B-1", "100.500", "2026-03-20", "--currency", "KWD", partner="Other Co")
    invoice("B-2", "999.99", "2026-04-01", "--due", "2026-04-05", partner="Other Co")


def numbers(*args: str) -> list[str]:
    return [i["number"] for i in payctl_json("invoice", "list", *args)["items"]]


def test_list_filters_sort_and_paging(many):
    assert numbers() == ["B-2", "B-1", "A-3", "A-2", "A-1"]  # newest first, as `payctl list`
    assert numbers("--date-from", "2026-02-10", "--date-to", "2026-03-20") == ["B-1", "A-3", "A-2"]
    # amounts are read in each invoice's currency: 100 is 100.00 EUR, 100 JPY, 100.000 KWD
    assert numbers("--amount-max", "100") == ["A-3", "A-1"]
    assert numbers("--amount-min", "100.5", "--amount-max", "1000") == ["B-2", "B-1"]
    assert numbers("--search", "b-") == ["B-2", "B-1"]
    assert numbers("--search", "#1") == ["A-1"]  # the id
    assert numbers("--sort", "-amount", "--type", "customer_invoice", "--amount-min", "200") == [
        "A-2",
        "B-2",
    ]
    assert numbers("--sort", "amount", "--partner", "Other Co", "--search", "2") == ["B-2"]
    assert numbers("--sort", "due", "--limit", "2") == ["A-2", "B-2"]  # no due date last
    assert numbers("--sort", "-date", "--open", "--type", "customer_invoice") == [
        "B-2",
        "B-1",
        "A-3",
        "A-2",
        "A-1",
    ]
    page = payctl_json("invoice", "list", "--sort", "number", "--limit", "2", "--offset", "1")
    assert [i["number"] for i in page["items"]] == ["A-2", "A-3"] and page["total"] == 5
    assert payctl_json("invoice", "list", "--limit", "0")["total"] == 5  # 0: all


def test_list_table_and_csv(many):
    table = payctl("invoice", "list", "--amount-min", "500", "--limit", "1").stdout
    assert "B-2" in table and "A-2" not in table and "1 of 2 shown" in table  # newest first
    rows = csv_rows("invoice", "list", "--search", "B-", "--sort", "-date")
    assert [(r["number"], r["total"], r["currency"]) for r in rows] == [
        ("B-2", "999.99", "EUR"),
        ("B-1", "100.500", "KWD"),
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--amount-min", "lots"], "--amount-min: 'lots' is not a number"),
        (["--amount-max", "1e3"], "--amount-max: '1e3' is not a number"),
        (["--amount-min", "-5"], "--amount-min: -5 must not be negative"),
        (["--amount-max", ""], "--amount-max: the value is empty"),
        (["--date-from", "2026-13-01"], "--date-from: '2026-13-01' is not a date"),
        (["--date-to", "soon"], "--date-to: 'soon' is not a date"),
        (["--sort", "colour"], "sort: 'colour' is not one of date, due, amount"),
        (["--search", " "], "search: the value is empty"),
        (["--limit", "-1"], "'--limit'"),
        (["--offset", "x"], "'--offset'"),
        (["--state", "lost"], "state: 'lost' is not one of"),
    ],
)
def test_list_bad_option_values(many, args, says):
    refused("invoice", "list", *args, code=2, says=says, quiet_stdout=True)

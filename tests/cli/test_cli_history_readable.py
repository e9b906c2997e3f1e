"""`payctl history` as an accountant reads it (issue 11, point 9): amounts as decimals with
their currency, partners, journals, invoices and entries by name, one line per change, the
payment named in the title; JSON keeps amounts as strings. Through the CLI on every backend, in
table, JSON and CSV; the names are looked up once per kind, not per record."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import on_database, payctl, payctl_json, refused


def draft(*extra: str, partner: str = "ACME GmbH", amount: str = "1190.00") -> int:
    args = ["create", "-t", "customer_payment", "-p", partner, "-a", amount]
    return payctl_json(*args, "--date", "2026-02-01", *extra)["id"]


@pytest.fixture
def books(cli_env: dict[str, str]) -> dict[str, Any]:
    """A payment created, confirmed, reset, edited (amount, partner, journal, memo,
    allocations) and confirmed again."""
    for name in ("ACME GmbH", "Other Co"):
        payctl("partner", "create", name, "--kind", "customer")
    for number, partner in (("INV-1", "ACME GmbH"), ("INV-2", "Other Co")):
        payctl("invoice", "create", "--partner", partner, "--number", number, "--amount", "1190.00")
    payctl("journal", "create", "BNK2", "--name", "Second")
    pid = draft("--allocate", "INV-1=1190.00", "--ref", "R-1")
    payctl("confirm", pid, "--reason", "approved by Anna")
    payctl("reset", "BNK1/2026/00001", "--reason", "wrong customer")
    payctl("allocate", pid, "INV-1", "--remove")
    payctl(
        "update",
        pid,
        "--partner",
        "Other Co",
        "--journal",
        "BNK2",
        "--amount",
        "1200.00",
        "--memo",
        "bank fee included",
        "--reason",
        "typo",
    )
    payctl("allocate", pid, "INV-2", "1000.00")
    payctl("allocate", pid, "INV-2", "1190.00")
    payctl("confirm", pid)
    return {"pid": pid}


def texts(item: dict[str, Any]) -> list[str]:
    return [c["text"] for c in item["changes"]]


def test_json_is_readable_and_keeps_amounts_as_strings(books):
    data = payctl_json("history", books["pid"])
    items = data["items"]
    assert data["total"] == len(items) == 8
    assert {i["payment"] for i in items} == {"BNK1/2026/00001"}
    actions = [i["action"] for i in items]
    assert actions == [
        "create",
        "confirm",
        "reset",
        "unallocate",
        "update",
        "allocate",
        "allocate",
        "confirm",
    ]
    create, confirm, reset, unallocate, update, first, second, again = items
    assert texts(create) == [
        "type customer_payment",
        "state draft",
        "partner ACME GmbH",
        "journal BNK1",
        "amount 1190.00 EUR",
        "date 2026-02-01",
        "reference R-1",
        "allocation INV-1 1190.00 EUR",
    ]
    assert texts(confirm) == [
        "state draft → posted",
        "number BNK1/2026/00001",
        "entry JE/BNK1/2026/00001 posted",
    ]
    assert confirm["reason"] == "approved by Anna" and confirm["user"] == "tester"
    assert texts(reset) == ["state posted → draft"] and reset["reason"] == "wrong customer"
    assert texts(unallocate) == ["allocation INV-1 1190.00 → (none) EUR"]
    assert texts(update) == [
        "partner ACME GmbH → Other Co",
        "journal BNK1 → BNK2",
        "amount 1190.00 → 1200.00 EUR",
        "memo (none) → bank fee included",
    ]
    assert texts(first) == ["allocation INV-2 (none) → 1000.00 EUR"]
    assert texts(second) == ["allocation INV-2 1000.00 → 1190.00 EUR"]
    assert texts(again)[-1] == "entry JE/BNK2/2026/00001 posted"
    amount = next(c for c in update["changes"] if c["field"] == "amount")
    assert amount == {
        "field": "amount",
        "item": None,
        "before": "1190.00",
        "after": "1200.00",
        "currency": "EUR",
        "text": "amount 1190.00 → 1200.00 EUR",
    }
    allocation = second["changes"][0]
    assert (allocation["field"], allocation["item"]) == ("allocation", "INV-2")
    assert (allocation["before"], allocation["after"]) == ("1000.00", "1190.00")
    # no ids and no minor units anywhere: every before/after is text or null
    for item in items:
        for change in item["changes"]:
            for side in ("before", "after"):
                assert change[side] is None or isinstance(change[side], str), change
            assert "_id" not in change["field"], change
    assert "119000" not in json.dumps(items)


def test_table_one_line_per_change_titled_by_the_payment(books):
    table = payctl("history", str(books["pid"])).stdout  # typed as an id
    assert "History of BNK1/2026/00001" in table
    assert f"History of {books['pid']}" not in table
    lines = table.splitlines()
    for text in (
        "amount 1190.00 → 1200.00 EUR",
        "partner ACME GmbH → Other Co",
        "journal BNK1 → BNK2",
        "allocation INV-2 1000.00 → 1190.00 EUR",
        "state posted → draft",
    ):
        assert sum(text in line for line in lines) == 1, text
    update = next(i for i, line in enumerate(lines) if "partner ACME GmbH → Other Co" in line)
    assert "update" in lines[update] and "typo" in lines[update]
    # the other changes of the record follow on their own lines, without repeating who/when
    assert "journal BNK1 → BNK2" in lines[update + 1] and "tester" not in lines[update + 1]


def test_csv_one_complete_row_per_change(books):
    text = payctl("history", "BNK1/2026/00001", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "id",
        "payment",
        "at",
        "user",
        "action",
        "field",
        "item",
        "before",
        "after",
        "currency",
        "change",
        "reason",
    ]
    update = [r for r in rows if r["action"] == "update"]
    assert [r["field"] for r in update] == ["partner", "journal", "amount", "memo"]
    assert {(r["user"], r["reason"], r["payment"]) for r in update} == {
        ("tester", "typo", "BNK1/2026/00001")
    }
    amount = update[2]
    assert (amount["before"], amount["after"], amount["currency"]) == ("1190.00", "1200.00", "EUR")
    assert amount["change"] == "amount 1190.00 → 1200.00 EUR"


def test_a_draft_is_named_draft_id_also_when_deleted(cli_env):
    payctl("partner", "create", "ACME GmbH", "--kind", "customer")
    pid = draft()
    assert f"History of draft #{pid}" in payctl("history", f"#{pid}").stdout
    payctl("delete", pid, "--reason", "duplicate")
    items = payctl_json("history", pid)["items"]
    assert [(i["payment"], i["action"]) for i in items] == [
        (f"draft #{pid}", "create"),
        (f"draft #{pid}", "delete"),
    ]
    assert "amount 1190.00 EUR" in texts(items[1]) and items[1]["reason"] == "duplicate"
    assert f"History of draft #{pid}" in payctl("history", pid).stdout


def test_amounts_in_the_payments_currency(cli_env):
    """JPY has no decimals, KWD three: each payment's amounts are written its way."""
    payctl("partner", "create", "ACME GmbH", "--kind", "customer")
    for code, cur in (("JPY1", "JPY"), ("KWD1", "KWD")):
        payctl("journal", "create", code, "--name", cur, "--currency", cur)
    yen = draft("--journal", "JPY1", amount="1190")
    payctl("update", yen, "--amount", "1200")
    dinar = draft("--journal", "KWD1", amount="10.125")
    assert texts(payctl_json("history", yen)["items"][1]) == ["amount 1190 → 1200 JPY"]
    assert "amount 10.125 KWD" in texts(payctl_json("history", dinar)["items"][0])


def test_bank_line_records(cli_env, tmp_path: Path):
    """A payment the bank import made: where it came from, and the review commands' records
    (unmatch deletes the draft; its history says so)."""
    payctl("partner", "create", "ACME GmbH", "--kind", "customer")
    payctl("invoice", "create", "--partner", "ACME GmbH", "--number", "INV-7", "--amount", "50")
    bank = tmp_path / "b.jsonl"
    line = {"booking_date": "2026-02-10", "amount": "50.00", "remittance": "INV-7"}
    bank.write_text(json.dumps(line | {"counterparty_name": "ACME GmbH"}) + "\n")
    payctl("import", bank, "--journal", "BNK1", "--input-format", "jsonl")
    (made,) = payctl_json("list")["items"]
    created = texts(payctl_json("history", made["id"])["items"][0])
    assert "allocation INV-7 50.00 EUR" in created
    from_line = [t for t in created if t.startswith("from bank line ")]
    assert len(from_line) == 1
    line_id = from_line[0].rsplit(" ", 1)[1]
    payctl("review", "unmatch", line_id, "--reason", "not ours")
    items = payctl_json("history", made["id"])["items"]
    assert [i["action"] for i in items] == ["create", "delete", "unmatch"]
    assert texts(items[2])[0] == f"bank line {line_id}: review"
    assert items[2]["reason"] == "not ours"


async def _statements(db: Any, pid: int) -> list[str]:
    from sqlalchemy import event

    from payctl.services.payments.history_service import HistoryService

    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with db.session() as session:
            await HistoryService(session).payment_history(str(pid))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", listen)
    return seen


def test_names_are_looked_up_once_per_kind(books, cli_env):
    """Many records naming partners, journals and invoices: one query per kind."""
    pid = books["pid"]
    payctl("reset", pid)
    for _ in range(5):
        payctl("update", pid, "--journal", "BNK1", "--memo", "one")
        payctl("update", pid, "--journal", "BNK2", "--memo", "two")
        payctl("allocate", pid, "INV-2", "10.00")
        payctl("allocate", pid, "INV-2", "20.00")
    assert len(payctl_json("history", pid)["items"]) == 29
    statements = on_database(cli_env["PAYCTL_DATABASE_URL"], _statements, pid)
    for table in ("partners", "journals", "invoices"):
        reads = [s for s in statements if re.search(rf"\bFROM {table}\b", s)]
        assert len(reads) == 1, (table, reads)


def test_bad_input(books):
    assert "no history for payment '99999'" in refused("history", "99999")
    assert "no history for payment 'BNK9/2026/00001'" in refused("history", "BNK9/2026/00001")
    refused("history", "9" * 30, code=2, says="'payment'", quiet_stdout=True)
    refused("history", "1", "--format", "xml", code=2, says="--format", quiet_stdout=True)

"""The CLI through Typer's runner, on both backends (cli_env): commands, output formats."""

from __future__ import annotations

import csv
import io
import json

from payctl.db import models as m
from tests import factories
from tests.conftest import SAMPLE, in_session, payctl
from tests.conftest import payctl_json as js

ACME_IBAN = "DE89370400440532013000"


COUNTED = (
    m.Account,
    m.Journal,
    m.Partner,
    m.Invoice,
    m.Payment,
    m.PaymentAllocation,
    m.JournalEntry,
    m.JournalLine,
    m.AuditRecord,
    m.AuditHead,
    m.Sequence,
)


def table_counts(url: str) -> dict[str, int]:
    return in_session(url, factories.row_counts, COUNTED)


def acme_with_invoice() -> None:
    payctl("partner", "create", "ACME GmbH", "--kind", "customer", "--iban", ACME_IBAN)
    payctl(
        "invoice",
        "create",
        "--partner",
        "ACME GmbH",
        "--number",
        "INV-1",
        "--amount",
        "1190.00",
        "--date",
        "2026-01-05",
        "--due",
        "2026-02-04",
    )


# ---------------------------------------------------------------------------- init
def test_init_twice_changes_nothing(db_url, monkeypatch):
    monkeypatch.setenv("PAYCTL_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYCTL_USER", "tester")
    first = payctl("init")
    assert "12 accounts and 4 journals created" in first.stderr
    assert "is ready" in first.stderr
    assert first.stdout == ""  # messages go to stderr, stdout is for data
    after_first = table_counts(db_url)
    assert after_first["accounts"] == 12 and after_first["journals"] == 4
    second = payctl("init")
    assert "0 accounts and 0 journals created" in second.stderr
    assert table_counts(db_url) == after_first
    assert payctl("--quiet", "init").stderr == ""
    journals = js("journal", "list")["items"]
    assert [(j["code"], j["type"], j["currency"]) for j in journals] == [
        ("BNK1", "bank", "EUR"),
        ("CSH1", "cash", "EUR"),
        ("PUR", "purchase", "EUR"),
        ("SAL", "sale", "EUR"),
    ]
    accounts = js("account", "list")["items"]
    roles = {a["role"] for a in accounts}
    assert {
        "bank",
        "cash",
        "outstanding_receipts",
        "outstanding_payments",
        "receivable",
        "payable",
        "bank_suspense",
        "sales",
        "purchases",
        "payment_differences",
    } <= roles


# ------------------------------------------------------------------------ payments
def test_payment_life_cycle(cli_env):
    acme_with_invoice()
    created = payctl(
        "create",
        "--type",
        "customer_payment",
        "--partner",
        "ACME GmbH",
        "--journal",
        "BNK1",
        "--amount",
        "1500.00",
        "--date",
        "2026-02-01",
        "--ref",
        "R-1",
        "--memo",
        "first",
        "--allocate",
        "INV-1=1000.00",
        "--format",
        "json",
    )
    view = json.loads(created.stdout)
    pid = view["id"]
    assert f"created draft payment #{pid}" in created.stderr
    assert (view["state"], view["number"], view["amount"], view["allocated"]) == (
        "draft",
        None,
        "1500.00",
        "1000.00",
    )
    assert view["allocations"] == [
        {"invoice": "INV-1", "amount": "1000.00", "writeoff": "0.00", "invoice_residual": "1190.00"}
    ]
    assert view["created_by"] == "tester"

    updated = js("update", pid, "--amount", "1400.00", "--memo", "changed", "--reason", "typo")
    assert (updated["amount"], updated["memo"]) == ("1400.00", "changed")
    allocated = js("allocate", pid, "INV-1", "1190.00")
    assert [(a["invoice"], a["amount"]) for a in allocated["allocations"]] == [("INV-1", "1190.00")]
    removed = js("allocate", pid, "INV-1", "--remove")
    assert removed["allocations"] == []
    js("allocate", pid, "INV-1", "1190.00")
    ok = payctl("validate", pid)
    assert "can be confirmed" in ok.stderr

    confirmed = js("confirm", pid)  # the report of `bulk confirm`
    assert confirmed["items"] == [
        {
            "item": str(pid),
            "payment_id": pid,
            "number": "BNK1/2026/00001",
            "before": "draft",
            "after": "posted",
            "ok": True,
            "message": "ok",
            "skipped": False,
            "status": "ok",
        }
    ]
    assert (confirmed["summary"]["action"], confirmed["summary"]["succeeded"]) == ("confirm", 1)
    shown = js("show", "BNK1/2026/00001")
    assert shown["id"] == pid and shown["state"] == "posted"
    assert shown["confirmed_by"] == "tester" and shown["unallocated"] == "210.00"
    assert shown["allocations"][0]["invoice_residual"] == "0.00"
    (entry,) = shown["entries"]
    assert entry["number"] == "JE/BNK1/2026/00001"
    assert sorted((ln["account"], ln["debit"], ln["credit"]) for ln in entry["lines"]) == [
        ("1020", "1400.00", "0.00"),
        ("1100", "0.00", "1400.00"),
    ]
    assert js("invoice", "show", "INV-1")["state"] == "paid"

    reset = js("reset", "BNK1/2026/00001", "--reason", "wrong invoice")
    assert reset["items"][0]["after"] == "draft"
    shown = js("show", pid)
    assert (shown["state"], shown["number"]) == ("draft", "BNK1/2026/00001")
    assert [e["reversal_of"] for e in shown["entries"]] == [None, "JE/BNK1/2026/00001"]
    assert js("invoice", "show", "INV-1")["residual"] == "1190.00"
    assert js("cancel", pid)["items"][0]["after"] == "cancelled"

    history = js("history", pid)["items"]
    assert [h["action"] for h in history] == [
        "create",
        "update",
        "allocate",
        "unallocate",
        "allocate",
        "confirm",
        "reset",
        "cancel",
    ]
    assert history[1]["reason"] == "typo" and history[1]["user"] == "tester"
    table = payctl("history", "BNK1/2026/00001").stdout
    assert "confirm" in table and "wrong invoice" in table


def test_show_table_and_delete_draft(cli_env):
    acme_with_invoice()
    payctl(
        "create",
        "-t",
        "customer_payment",
        "-p",
        "ACME GmbH",
        "-a",
        "99.95",
        "--date",
        "2026-02-01",
        "--allocate",
        "INV-1=99.95",
    )
    table = payctl("show", "1").stdout
    for text in ("Payment #1", "customer_payment", "ACME GmbH", "99.95", "draft", "INV-1"):
        assert text in table, text
    deleted = payctl("delete", "#1", "--reason", "duplicate")  # the report confirm prints
    assert "deleted" in deleted.stdout and "1 ok, 0 skipped, 0 failed" in deleted.stderr
    assert js("list")["total"] == 0
    missing = payctl("show", "1", code=1)
    assert "unknown payment '1'" in missing.stderr
    assert [h["action"] for h in js("history", "1")["items"]] == ["create", "delete"]


def test_list_filters_sort_pagination_and_formats(cli_env):
    acme_with_invoice()
    payctl("partner", "create", "Supplier BV", "--kind", "vendor")
    for args in (
        [
            "-t",
            "customer_payment",
            "-p",
            "ACME GmbH",
            "-a",
            "100.00",
            "--date",
            "2026-01-10",
            "--ref",
            "ALPHA",
        ],
        [
            "-t",
            "customer_payment",
            "-p",
            "ACME GmbH",
            "-a",
            "1190.00",
            "--date",
            "2026-02-10",
            "--allocate",
            "INV-1=1190.00",
            "-j",
            "CSH1",
        ],
        ["-t", "vendor_payment", "-p", "Supplier BV", "-a", "5.5", "--date", "2026-03-10"],
    ):
        payctl("create", *args)
    payctl("confirm", "2")

    everything = js("list")
    assert set(everything) == {"items", "total"}
    assert everything["total"] == 3
    assert [i["id"] for i in everything["items"]] == [3, 2, 1]  # newest first
    first = everything["items"][0]
    assert first["amount"] == "5.50" and isinstance(first["amount"], str)
    assert isinstance(first["allocated"], str)
    assert {
        "id",
        "number",
        "type",
        "state",
        "partner",
        "journal",
        "date",
        "amount",
        "allocated",
        "currency",
        "reference",
    } <= set(first)
    assert [i["id"] for i in js("list", "--state", "draft")["items"]] == [3, 1]
    assert [i["id"] for i in js("list", "--status", "posted")["items"]] == [2]
    assert [i["id"] for i in js("list", "--type", "vendor_payment")["items"]] == [3]
    assert [i["id"] for i in js("list", "--partner", "ACME GmbH")["items"]] == [2, 1]
    assert [i["id"] for i in js("list", "--journal", "CSH1")["items"]] == [2]
    assert [
        i["id"] for i in js("list", "--date-from", "2026-02-01", "--date-to", "2026-02-28")["items"]
    ] == [2]
    assert [i["id"] for i in js("list", "--amount-min", "6", "--amount-max", "500")["items"]] == [1]
    assert [i["id"] for i in js("list", "--search", "alpha")["items"]] == [1]
    assert [i["id"] for i in js("list", "--search", "BNK1/2026")["items"]] == []
    assert [i["id"] for i in js("list", "--search", "CSH1/2026/00001")["items"]] == [2]
    page = js("list", "--sort", "amount", "--limit", "1", "--offset", "1")
    assert [i["id"] for i in page["items"]] == [1] and page["total"] == 3
    # the global --format works as well as the per-command one
    assert (
        json.loads(payctl("--format", "json", "list", "--sort", "-amount").stdout)["items"][0]["id"]
        == 2
    )

    text = payctl("list", "--format", "csv", "--sort", "id").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["amount"] == "1190.00" and rows[1]["number"] == "CSH1/2026/00001"
    assert rows[0]["number"] == ""

    table = payctl("list", "--limit", "2").stdout
    assert "Payments" in table and "1190.00" in table and "5.50" in table
    assert "2 of 3 shown" in table


def test_summary_types_and_statuses(cli_env):
    acme_with_invoice()
    payctl(
        "create",
        "-t",
        "customer_payment",
        "-p",
        "ACME GmbH",
        "-a",
        "1500.00",
        "--date",
        "2026-02-01",
        "--allocate",
        "INV-1=1190.00",
    )
    payctl(
        "create",
        "-t",
        "customer_payment",
        "-p",
        "ACME GmbH",
        "-a",
        "20.00",
        "--date",
        "2026-03-01",
        "-j",
        "CSH1",
    )
    payctl("confirm", "1")
    summary = js("summary")
    assert set(summary) >= {"totals", "by_type", "by_journal", "by_month", "not_counted"}
    assert [(r["currency"], r["count"], r["money_in"], r["net"]) for r in summary["totals"]] == [
        ("EUR", 1, "1500.00", "1500.00")
    ]
    assert [(r["state"], r["count"], r["money_in"]) for r in summary["not_counted"]] == [
        ("draft", 1, "20.00")
    ]
    assert [(r["journal"], r["count"]) for r in summary["by_journal"]] == [("BNK1", 1)]
    assert [(r["month"], r["money_in"]) for r in summary["by_month"]] == [("2026-02", "1500.00")]
    assert [(r["type"], r["money_in"]) for r in summary["unallocated"]] == [
        ("customer_payment", "310.00")
    ]
    ranged = js("summary", "--state", "draft", "--date-from", "2026-03-01")
    assert [(r["currency"], r["net"]) for r in ranged["totals"]] == [("EUR", "20.00")]
    rows = list(csv.DictReader(io.StringIO(payctl("summary", "--format", "csv").stdout)))
    assert {
        "section": "journal",
        "key": "BNK1",
        "currency": "EUR",
        "count": "1",
        "money_in": "1500.00",
        "money_out": "0.00",
        "net": "1500.00",
    } in rows
    table = payctl("summary").stdout
    assert "Posted payments" in table and "By month" in table and "1500.00" in table

    types = js("types")
    assert isinstance(types, list)
    assert [(t["type"], t["settles"]) for t in types] == [
        ("customer_payment", "customer_invoice"),
        ("vendor_payment", "vendor_bill"),
        ("customer_refund", "customer_credit_note"),
        ("vendor_refund", "vendor_credit_note"),
    ]
    assert all(t["description"] for t in types)
    statuses = js("statuses")
    assert isinstance(statuses, list)
    assert [s["state"] for s in statuses] == ["draft", "posted", "cancelled"]
    assert "vendor_refund" in payctl("types").stdout
    assert "cancelled" in payctl("statuses").stdout
    assert payctl("types", "--format", "csv").stdout.splitlines()[0] == "type,settles,description"


# ------------------------------------------------------------ partners and invoices
def test_partner_and_invoice_commands_with_sample_data(cli_env):
    imported = js("partner", "import", SAMPLE / "partners.csv")
    assert imported == {"created": 40, "updated": 0, "unchanged": 0}
    assert js("partner", "import", SAMPLE / "partners.csv") == {
        "created": 0,
        "updated": 0,
        "unchanged": 40,
    }
    imported = js("invoice", "import", SAMPLE / "invoices.csv")
    assert imported["created"] == 304 and imported["unchanged"] == 0
    again = js("invoice", "import", SAMPLE / "invoices.csv")
    assert again["created"] == 0 and again["unchanged"] == 304
    table_out = payctl("invoice", "import", SAMPLE / "invoices.csv").stdout
    assert "304" in table_out

    listed = js("partner", "list")
    assert listed["total"] == 40 and len(listed["items"]) == 40
    vendors = js("partner", "list", "--kind", "vendor")["items"]
    assert len(vendors) == 12 and all(v["kind"] == "vendor" for v in vendors)
    assert js("partner", "list", "--limit", "5")["total"] == 40
    acme = js("partner", "show", "ACME GmbH")
    assert acme["ibans"] == [ACME_IBAN] and acme["kind"] == "customer"
    assert "open_receivable" in acme and isinstance(acme["open_receivable"], str)
    assert "ACME GmbH" in payctl("partner", "show", "ACME GmbH").stdout

    invoices = js("invoice", "list", "--limit", "0")
    assert invoices["total"] == 304 and len(invoices["items"]) == 304
    mine = js("invoice", "list", "--open", "--partner", "ACME GmbH", "--sort", "date")["items"]
    assert mine and all(i["partner"] == "ACME GmbH" for i in mine)
    assert mine[0]["number"] == "INV/2026/0001"  # oldest first when asked
    assert js("invoice", "list", "--type", "vendor_credit_note")["total"] == 4
    first = js("invoice", "show", "INV/2026/0001")
    assert (first["total"], first["residual"], first["state"], first["due_date"]) == (
        "1190.00",
        "1190.00",
        "open",
        "2026-02-04",
    )

    created = js(
        "partner",
        "create",
        "Nordwind AG",
        "--kind",
        "both",
        "--iban",
        "GB82 WEST 1234 5698 7654 32",
        "--email",
        "x@nordwind.example",
    )
    assert created["ibans"] == ["GB82WEST12345698765432"] and created["kind"] == "both"
    bill = js(
        "invoice",
        "create",
        "--partner",
        "Nordwind AG",
        "--number",
        "BILL/9",
        "--amount",
        "12.34",
        "--type",
        "vendor_bill",
        "--date",
        "2026-05-01",
    )
    assert (bill["type"], bill["total"], bill["state"]) == ("vendor_bill", "12.34", "open")
    assert "BILL/9" in payctl("invoice", "show", "BILL/9").stdout
    rows = list(
        csv.DictReader(
            io.StringIO(payctl("partner", "list", "--format", "csv", "--search", "nordwind").stdout)
        )
    )
    assert [r["name"] for r in rows] == ["Nordwind AG"]


def test_xlsx_imports(cli_env, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["name", "kind", "iban", "email", "vat"])
    sheet.append(["ACME GmbH", "customer", ACME_IBAN, "a@acme.example", None])
    sheet.append(["Supplier BV", "vendor", None, None, "NL123"])
    partners_xlsx = tmp_path / "partners.xlsx"
    book.save(partners_xlsx)
    assert js("partner", "import", partners_xlsx)["created"] == 2
    book = Workbook()
    sheet = book.active
    sheet.append(["number", "partner", "amount", "type", "date"])
    sheet.append(["INV-X1", "ACME GmbH", "100.10", "customer_invoice", "2026-01-05"])
    sheet.append(["BILL-X1", "Supplier BV", "7", "vendor_bill", "2026-01-06"])
    invoices_xlsx = tmp_path / "invoices.xlsx"
    book.save(invoices_xlsx)
    assert js("invoice", "import", invoices_xlsx)["created"] == 2
    assert js("invoice", "show", "BILL-X1")["total"] == "7.00"
    assert js("partner", "show", "Supplier BV")["vat"] == "NL123"


# ---------------------------------------------------------- journals and accounts
def test_journal_and_account_commands(cli_env):
    created = js(
        "journal", "create", "bnk2", "--name", "Savings", "--iban", "GB82WEST12345698765432"
    )
    assert (created["code"], created["name"], created["type"], created["currency"]) == (
        "BNK2",
        "Savings",
        "bank",
        "EUR",
    )
    assert created["iban"] == "GB82WEST12345698765432" and created["account"]
    codes = [j["code"] for j in js("journal", "list")["items"]]
    assert "BNK2" in codes and len(codes) == 5
    accounts = js("account", "list")["items"]
    assert created["account"] in [a["code"] for a in accounts]
    assert len(accounts) == 13  # the chart of init (12) and BNK2's bank account
    cash = js("journal", "create", "CSH2", "--type", "cash", "--name", "Till")
    assert cash["type"] == "cash"
    payctl("partner", "create", "ACME GmbH")
    view = js("create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "1", "-j", "BNK2")
    assert view["journal"] == "BNK2"
    assert js("confirm", view["id"])["items"][0]["number"].startswith("BNK2/")
    assert "Savings" in payctl("journal", "list").stdout
    assert "receivable" in payctl("account", "list").stdout
    dup = payctl("journal", "create", "BNK2", code=1)
    assert "journal BNK2 already exists" in dup.stderr
    bad = payctl("journal", "create", "SAL2", "--type", "sale", code=2)
    assert "bank or cash" in bad.stderr

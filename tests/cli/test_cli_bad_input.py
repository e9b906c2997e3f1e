"""Bad input through the CLI: one line on stderr naming the problem, the right exit code
(2 bad input, 1 refused or unknown, 3 database unavailable), no traceback, nothing written."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from payctl.db import models as m
from payctl.db.engine import Database
from tests import factories
from tests.conftest import PG_URL, payctl, refused


def fails(args: list[Any], code: int, *texts: str, env: dict[str, str] | None = None) -> str:
    """:func:`refused`, nothing on stdout, the arguments a list as the cases below are written."""
    return refused(*args, code=code, says=texts, env=env, quiet_stdout=True)


SNAPSHOT_TABLES = (
    m.Account,
    m.Journal,
    m.Partner,
    m.PartnerBankAccount,
    m.Invoice,
    m.Payment,
    m.PaymentAllocation,
    m.JournalEntry,
    m.JournalLine,
    m.AuditRecord,
    m.Setting,
)


def snapshot(url: str) -> dict[str, Any]:
    """Everything a failed command must leave alone."""

    async def read() -> dict[str, Any]:
        db = Database(url)
        try:
            async with db.session() as s:
                out: dict[str, Any] = await factories.row_counts(s, SNAPSHOT_TABLES)
                out["sequences"] = await factories.sequence_counters(s)
                out["payment_rows"] = sorted(
                    (
                        await s.execute(
                            select(
                                m.Payment.id,
                                m.Payment.number,
                                m.Payment.state,
                                m.Payment.amount,
                                m.Payment.memo,
                                m.Payment.updated_at,
                            )
                        )
                    ).all()
                )
                out["allocation_rows"] = sorted(
                    (
                        await s.execute(
                            select(
                                m.PaymentAllocation.payment_id,
                                m.PaymentAllocation.invoice_id,
                                m.PaymentAllocation.amount,
                            )
                        )
                    ).all()
                )
                out["invoice_rows"] = sorted(
                    (
                        await s.execute(
                            select(m.Invoice.number, m.Invoice.residual, m.Invoice.state)
                        )
                    ).all()
                )
                out["partner_rows"] = sorted(
                    (await s.execute(select(m.Partner.name, m.Partner.kind, m.Partner.email))).all()
                )
                return out
        finally:
            await db.dispose()

    return asyncio.run(read())


@pytest.fixture
def book(cli_env) -> str:
    """ACME (customer) with INV-1 1190.00 and INV-2 500.00, Supplier BV (vendor);
    payment 1 draft (100.00, INV-2=50.00), 2 posted (1190.00 on INV-1), 3 cancelled,
    4 reset to draft after a confirm (it has a number)."""
    payctl("partner", "create", "ACME GmbH", "--iban", "DE89370400440532013000")
    payctl("partner", "create", "Supplier BV", "--kind", "vendor")
    invoice = ["invoice", "create", "-p", "ACME GmbH"]
    payctl(*invoice, "-n", "INV-1", "-a", "1190.00", "--date", "2026-01-05")
    payctl(*invoice, "-n", "INV-2", "-a", "500.00", "--date", "2026-01-06")
    base = ["create", "-t", "customer_payment", "-p", "ACME GmbH", "--date", "2026-02-01"]
    payctl(*base, "-a", "100.00", "--allocate", "INV-2=50.00")
    payctl(*base, "-a", "1190.00", "--allocate", "INV-1=1190.00")
    payctl(*base, "-a", "30.00")
    payctl(*base, "-a", "40.00")
    payctl("confirm", "2", "4")
    payctl("cancel", "3")
    payctl("reset", "4")
    return cli_env["PAYCTL_DATABASE_URL"]


# ------------------------------------------------------------------------- amounts
BAD_AMOUNTS = [
    ("abc", "'abc' is not a number"),
    ("12,50", "is not a number"),
    ("", "is not a number"),
    ("-5", "must not be negative"),
    ("0", "greater than zero"),
    ("0.00", "greater than zero"),
    ("10.001", "more than 2 decimal places for EUR"),
    ("NaN", "'NaN' is not a number"),
    ("inf", "'inf' is not a number"),
    ("1e30", "'1e30' is not a number"),
    ("1_000", "'1_000' is not a number"),
    ("99999999999999999999", "too large"),
]


def test_bad_amounts_exit_2_and_write_nothing(book):
    before = snapshot(book)
    for amount, problem in BAD_AMOUNTS:
        fails(
            ["create", "-t", "customer_payment", "-p", "ACME GmbH", f"--amount={amount}"],
            2,
            "amount: ",
            problem,
        )
        fails(["update", "1", f"--amount={amount}"], 2, "amount: ", problem)
        fails(
            ["invoice", "create", "-p", "ACME GmbH", "-n", "INV-9", f"--amount={amount}"],
            2,
            "amount: ",
            problem,
        )
        fails(["allocate", "1", "INV-1", "--", amount], 2, problem)
        if amount:  # an empty one is a malformed INVOICE=AMOUNT, checked below
            fails(
                [
                    "create",
                    "-t",
                    "customer_payment",
                    "-p",
                    "ACME GmbH",
                    "-a",
                    "5000",
                    "--allocate",
                    f"INV-1={amount}",
                ],
                2,
                "allocation to INV-1: ",
                problem,
            )
    assert snapshot(book) == before


# ----------------------------------------------------------------- unknown objects
def test_unknown_partner_journal_invoice_and_payment_exit_1(book):
    before = snapshot(book)
    create = ["create", "-t", "customer_payment", "-a", "10.00"]
    fails([*create, "-p", "Nobody"], 1, "unknown partner 'Nobody'")
    fails([*create, "-p", "ACME GmbH", "-j", "BNK9"], 1, "unknown journal 'BNK9'")
    fails(
        [*create, "-p", "ACME GmbH", "--allocate", "INV-404=1.00"], 1, "unknown invoice 'INV-404'"
    )
    fails(["invoice", "create", "-p", "Nobody", "-n", "INV-9", "-a", "1"], 1, "unknown partner")
    fails(["allocate", "1", "INV-404", "1.00"], 1, "unknown invoice 'INV-404'")
    fails(["allocate", "1", "INV-1", "--remove"], 1, "has no allocation to INV-1")
    fails(["update", "1", "--partner", "Nobody"], 1, "unknown partner 'Nobody'")
    fails(["update", "1", "--journal", "BNK9"], 1, "unknown journal 'BNK9'")
    for command in (
        ["show", "999"],
        ["update", "999", "--memo", "x"],
        ["delete", "999"],
        ["allocate", "999", "INV-1", "1"],
        ["confirm", "999"],
        ["show", "BNK1/2026/09999"],
        ["validate", "999"],
    ):
        fails(command, 1, "unknown payment")
    fails(["history", "999"], 1, "no history for payment '999'")
    fails(["partner", "show", "Nobody"], 1, "unknown partner 'Nobody'")
    fails(["invoice", "show", "INV-404"], 1, "unknown invoice 'INV-404'")
    fails(["list", "--partner", "Nobody"], 1, "unknown partner")
    fails(["list", "--journal", "BNK9"], 1, "unknown journal")
    assert snapshot(book) == before


# --------------------------------------------------------------------- allocations
def test_allocations_above_payment_or_residual_exit_1(book):
    before = snapshot(book)
    create = ["create", "-t", "customer_payment", "-p", "ACME GmbH"]
    fails(
        [*create, "-a", "100.00", "--allocate", "INV-2=100.01"],
        1,
        "allocations total 100.01 exceeds the payment amount 100.00",
    )
    fails(
        [*create, "-a", "100.00", "--allocate", "INV-2=60.00", "--allocate", "INV-2=50"],
        2,
        "listed twice",
    )
    fails(
        [*create, "-a", "1000.00", "--allocate", "INV-1=10.00"],
        1,
        "allocation 10.00 to INV-1 exceeds its open residual 0.00",
    )  # INV-1 is paid
    fails(
        [*create, "-a", "1000.00", "--allocate", "INV-2=500.01"],
        1,
        "exceeds its open residual 500.00",
    )
    fails(
        ["allocate", "1", "INV-2", "100.01"],
        1,
        "allocations total 100.01 exceeds the payment amount 100.00",
    )
    fails(["allocate", "1", "INV-1", "1.00"], 1, "exceeds its open residual 0.00")
    fails(["update", "1", "--amount", "49.99"], 1, "exceeds the payment amount 49.99")
    fails([*create, "-a", "10", "--allocate", "INV-2"], 2, "is not INVOICE=AMOUNT")
    fails(["allocate", "1", "INV-2"], 2, "give an AMOUNT")
    assert snapshot(book) == before


# ------------------------------------------------------------------- non-drafts
def test_update_or_delete_of_a_non_draft_exit_1(book):
    before = snapshot(book)
    fails(
        ["update", "BNK1/2026/00001", "--amount", "1.00"],
        1,
        "payment BNK1/2026/00001 is posted: only drafts can be changed",
    )
    fails(["update", "3", "--memo", "x"], 1, "payment #3 is cancelled")
    fails(["delete", "BNK1/2026/00001"], 1, "is posted: only drafts can be deleted")
    fails(["delete", "2"], 1, "is posted: only drafts can be deleted")
    fails(["delete", "3"], 1, "is cancelled: only drafts can be deleted")
    fails(["delete", "4"], 1, "has been posted before")
    fails(["allocate", "2", "INV-2", "1.00"], 1, "only drafts can be changed")
    fails(["allocate", "2", "INV-1", "--remove"], 1, "only drafts can be changed")
    # already in the target state: skipped like `bulk` does, not refused (exit 0)
    for args, state in (
        (["confirm", "2"], "posted"),
        (["reset", "1"], "draft"),
        (["cancel", "3"], "cancelled"),
    ):
        out = json.loads(payctl(*args, "--format", "json").stdout)
        assert [(i["status"], i["message"]) for i in out["items"]] == [
            ("skipped", f"already {state}: skipped")
        ], args
    assert snapshot(book) == before


def test_other_business_refusals_exit_1(book):
    before = snapshot(book)
    fails(["partner", "create", "acme gmbh"], 1, "partner 'acme gmbh' already exists")
    fails(
        ["partner", "create", "X", "--iban", "DE89370400440532013000"],
        1,
        "already belongs to partner 'ACME GmbH'",
    )
    fails(
        ["invoice", "create", "-p", "ACME GmbH", "-n", "INV-1", "-a", "1"],
        1,
        "invoice INV-1 already exists",
    )
    fails(
        ["invoice", "create", "-p", "Supplier BV", "-n", "INV-9", "-a", "1"],
        1,
        "a customer_invoice needs a customer",
    )
    fails(
        ["create", "-t", "vendor_payment", "-p", "ACME GmbH", "-a", "1"],
        1,
        "not valid for a vendor_payment",
    )
    fails(
        ["create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "1", "-j", "SAL"],
        1,
        "bank or cash journal",
    )
    assert snapshot(book) == before


def test_other_bad_input_exit_2(book):
    before = snapshot(book)
    fails(["create", "-t", "gift", "-p", "ACME GmbH", "-a", "1"], 2, "type: 'gift' is not one of")
    fails(
        ["create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "1", "--date", "1.2.26"],
        2,
        "is not a date",
    )
    fails(
        ["create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "1", "--currency", "EURO"],
        2,
        "3-letter ISO code",
    )
    fails(["partner", "create", "X", "--iban", "DE00123"], 2, "is not a valid IBAN")
    fails(["partner", "create", "X", "--kind", "alien"], 2, "kind: 'alien'")
    fails(
        ["invoice", "create", "-p", "ACME GmbH", "-n", "INV-9", "-a", "1", "--type", "receipt"],
        2,
        "type: 'receipt'",
    )
    fails(
        [
            "invoice",
            "create",
            "-p",
            "ACME GmbH",
            "-n",
            "INV-9",
            "-a",
            "1",
            "--date",
            "2026-02-01",
            "--due",
            "2026-01-01",
        ],
        2,
        "before the invoice date",
    )
    fails(["list", "--sort", "colour"], 2, "sort: 'colour'")
    fails(["list", "--state", "lost"], 2, "state: 'lost'")
    fails(["list", "--date-from", "yesterday"], 2, "--date-from")
    fails(["list", "--amount-min", "lots"], 2, "--amount-min")
    fails(["summary", "--date-to", "soon"], 2, "--date-to")
    fails(["journal", "create", "A/B"], 2, "without '/'")
    # usage errors are click's: exit 2, no traceback, nothing written
    for args in (
        ["create", "-p", "ACME GmbH", "-a", "1"],
        ["list", "--format", "xml"],
        ["list", "--limit", "-1"],
        ["frobnicate"],
    ):
        assert payctl(*args, code=2).stdout == ""
    assert snapshot(book) == before


# -------------------------------------------------------------------- input files
def test_malformed_csv_imports_exit_2_and_write_nothing(book, tmp_path):
    before = snapshot(book)
    cases = [
        (
            "invoice",
            "number,partner,amount\nX-1,ACME GmbH,10.00\nX-2,ACME GmbH,10.00\nX-3,ACME GmbH,ten\n",
            "row 4: amount: 'ten' is not a number",
        ),
        (
            "invoice",
            "number,partner,amount\nX-1,ACME GmbH,10.00\nX-2,ACME GmbH,1.999\n",
            "row 3: amount: 1.999 has more than 2 decimal places",
        ),
        ("invoice", "number,partner\nX-1,ACME GmbH\n", "missing column(s) amount"),
        (
            "invoice",
            "number,partner,amount\nX-1,ACME GmbH,10.00\nX-2,Nobody,10.00\n",
            "row 3: partner: unknown partner 'Nobody'",
        ),
        (
            "invoice",
            "number,partner,amount,due_date\nX-1,ACME GmbH,10.00,someday\n",
            "row 2: due_date: 'someday' is not a date",
        ),
        ("invoice", "", "the file is empty"),
        ("partner", "name,kind\nNew Co,customer\nOther Co,martian\n", "row 3: kind: 'martian'"),
        ("partner", "name,kind,iban\nNew Co,customer,DE00999\n", "row 2: iban:"),
        ("partner", "name\nNew Co\n", "missing column(s) kind (found: name)"),  # one column
    ]
    for index, (kind, text, problem) in enumerate(cases):
        path = tmp_path / f"bad{index}.csv"
        path.write_text(text, encoding="utf-8")
        fails([kind, "import", path], 2, f"{path}: ", problem)
    fails(
        ["invoice", "import", tmp_path / "missing.csv"],
        2,
        "cannot read ",
        "missing.csv: no such file",
    )
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\x01\x02\xff\xfe" * 50)
    payctl("invoice", "import", binary, code=2)
    assert snapshot(book) == before


def test_malformed_xlsx_imports_exit_2_and_write_nothing(book, tmp_path):
    from openpyxl import Workbook

    before = snapshot(book)
    book_ = Workbook()
    sheet = book_.active
    sheet.append(["number", "partner", "amount"])
    sheet.append(["X-1", "ACME GmbH", "10.00"])
    sheet.append(["X-2", "ACME GmbH", "10.00"])
    sheet.append(["X-3", "ACME GmbH", "-3"])
    bad_amount = tmp_path / "bad.xlsx"
    book_.save(bad_amount)
    fails(
        ["invoice", "import", bad_amount],
        2,
        f"{bad_amount}: row 4: amount: -3 must not be negative",
    )

    book_ = Workbook()
    sheet = book_.active
    sheet.append(["number", "amount"])
    sheet.append(["X-1", "10.00"])
    no_partner = tmp_path / "nopartner.xlsx"
    book_.save(no_partner)
    fails(["invoice", "import", no_partner], 2, "missing column(s) partner")

    book_ = Workbook()
    sheet = book_.active
    sheet.append(["name", "kind"])
    sheet.append(["New Co", "customer"])
    sheet.append(["Other Co", None])
    partners = tmp_path / "partners.xlsx"
    book_.save(partners)
    fails(["partner", "import", partners], 2, f"{partners}: row 3: kind: value is missing")

    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"this is not a spreadsheet at all")
    fails(["invoice", "import", garbage], 2, "garbage.xlsx", "not a readable CSV/XLSX file")
    assert snapshot(book) == before


# ----------------------------------------------------------------------- databases
UNREACHABLE = "postgresql+asyncpg://postgres:secret@127.0.0.1:1/x"


@pytest.mark.parametrize("url", [UNREACHABLE, "postgresql://postgres:secret@127.0.0.1:1/x"])
def test_unreachable_database_exit_3_without_the_password(url, tmp_path):
    env = {"PAYCTL_DATABASE_URL": url, "PAYCTL_USER": "tester"}
    for args in (
        ["init"],
        ["list"],
        ["show", "1"],
        ["summary", "--format", "json"],
        ["create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "1"],
        ["partner", "list"],
    ):
        line = fails(args, 3, "cannot use database", "127.0.0.1:1", env=env)
        assert "secret" not in line
        assert "***" in line
    # the --database-url option wins over the environment, and is masked as well
    result = payctl("--database-url", url, "list", code=3, env={"PAYCTL_DATABASE_URL": ""})
    assert "secret" not in result.output


@pytest.mark.skipif(not PG_URL, reason="needs PAYCTL_TEST_POSTGRES_URL")
def test_missing_postgres_database_or_role_exit_3():
    server = make_url(PG_URL)
    no_db = server.set(database="payctl_no_such_db", password="secret")
    no_role = server.set(username="payctl_no_such_role", password="secret")
    for url, problem in ((no_db, "does not exist"), (no_role, "payctl_no_such_role")):
        rendered = url.render_as_string(hide_password=False)
        line = fails(
            ["list"], 3, "cannot use database", problem, env={"PAYCTL_DATABASE_URL": rendered}
        )
        assert "secret" not in line


def test_uninitialised_database_exit_2(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("PAYCTL_DATABASE_URL", db_url)
    for args in (
        ["list"],
        ["partner", "list"],
        ["summary"],
        ["journal", "list"],
        ["create", "-t", "customer_payment", "-p", "X", "-a", "1"],
    ):
        fails(args, 2, "payctl init")
    if db_url.startswith("sqlite"):
        assert not os.path.exists(make_url(db_url).database), "looking created the file"
    # an existing but empty SQLite file
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    monkeypatch.setenv("PAYCTL_DATABASE_URL", f"sqlite:///{empty}")
    fails(["list"], 2, "is not initialised", "payctl init")

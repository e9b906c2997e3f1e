"""Money knows its currency, through the CLI on both backends (issue 9, point 1): `init
--currency`, JPY/EUR/KWD invoices and payments, the write-off tolerance, the amount filters and
a bank file into a JPY journal."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from payctl.db import models as m
from payctl.db.engine import Database
from tests.cli.test_cli_basic import js, payctl
from tests.services.test_bank_import import jsonl, row


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def fresh_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty database (not initialised) for payctl."""
    monkeypatch.setenv("PAYCTL_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYCTL_USER", "tester")
    return db_url


def test_init_currency_makes_a_jpy_database(fresh_env):
    first = payctl("init", "--currency", "jpy")
    assert "default currency JPY" in first.stderr
    assert {j["currency"] for j in js("journal", "list")["items"]} == {"JPY"}
    payctl("partner", "create", "ACME GmbH")
    inv = js("invoice", "create", "-n", "I-1", "-p", "ACME GmbH", "-a", "1190", "--date",
             "2026-01-05")  # fmt: skip
    assert (inv["currency"], inv["total"]) == ("JPY", "1190")
    bad = one_error_line(
        payctl("invoice", "create", "-n", "I-2", "-p", "ACME GmbH", "-a", "1190.5", code=2)
    )
    assert bad.endswith("amount: 1190.5 has more than 0 decimal places for JPY")
    assert "0 accounts and 0 journals created, default currency JPY" in payctl("init").stderr
    refused = one_error_line(payctl("init", "--currency", "EUR", code=2))
    assert refused.endswith(
        "the database's default currency is JPY; init does not change it to EUR"
    )
    assert js("journal", "create", "BNK2", "--name", "Second")["currency"] == "JPY"


def test_a_bad_init_currency_is_refused_before_anything_is_written(fresh_env):
    error = one_error_line(payctl("init", "--currency", "EURO", code=2))
    assert error == (
        "payctl: error: --currency: invalid currency 'EURO': expected a 3-letter ISO code such "
        "as EUR"
    )
    missing = payctl("journal", "list", code=2)  # still not initialised: nothing was written
    assert "payctl init" in missing.stderr


def test_jpy_eur_kwd_payments_tolerance_and_filters(cli_env, tmp_path: Path):
    payctl("partner", "create", "ACME GmbH")
    for code, cur in [("JPY1", "JPY"), ("KWD1", "KWD")]:
        payctl("journal", "create", code, "--currency", cur)
    # (journal, currency, invoice total, paid: 1.00 short in the currency's own units)
    books = [("JPY1", "JPY", "10000", "9999"), ("BNK1", "EUR", "100.00", "99.00"),
             ("KWD1", "KWD", "100.000", "99.000")]  # fmt: skip
    ids = {}
    for journal, cur, total, paid in books:
        payctl("invoice", "create", "-n", f"INV-{cur}", "-p", "ACME GmbH", "-a", total,
               "--currency", cur, "--date", "2026-01-05")  # fmt: skip
        created = js("create", "--type", "customer_payment", "--partner", "ACME GmbH",
                     "--journal", journal, "--amount", paid, "--date", "2026-02-01",
                     "--allocate", f"INV-{cur}={paid}")  # fmt: skip
        assert (created["currency"], created["amount"]) == (cur, paid)
        ids[cur] = created["id"]
    short = js("create", "--type", "customer_payment", "--partner", "ACME GmbH", "--journal",
               "JPY1", "--amount", "100", "--date", "2026-02-01")  # fmt: skip
    for cur in ("JPY", "EUR", "KWD"):
        payctl("confirm", ids[cur], "--write-off")
    invoices = {i["number"]: i for i in js("invoice", "list")["items"]}
    assert {n: (i["residual"], i["state"]) for n, i in invoices.items()} == {
        "INV-JPY": ("0", "paid"),
        "INV-EUR": ("0.00", "paid"),
        "INV-KWD": ("0.000", "paid"),
    }
    shown = js("show", ids["JPY"])
    assert shown["allocations"][0]["writeoff"] == "1"

    def listed(*bounds: str) -> set[tuple[str, str]]:
        return {(p["currency"], p["amount"]) for p in js("list", *bounds)["items"]}

    assert listed("--amount-min", "100", "--amount-max", "100") == {("JPY", "100")}
    assert listed("--amount-min", "99", "--amount-max", "99") == {
        ("EUR", "99.00"),
        ("KWD", "99.000"),
    }
    assert listed("--amount-max", "99.5") == {("EUR", "99.00"), ("KWD", "99.000")}
    assert listed("--amount-min", "9999") == {("JPY", "9999")}
    assert short["id"] not in [p["id"] for p in js("list", "--amount-min", "100.5")["items"]]

    # a bank file without currency into the JPY journal: its amounts are yen
    data = jsonl(row("100", text="INV-JPY", tx="Y1"), row("-3", text="fee", tx="Y2"))
    f = tmp_path / "yen.jsonl"
    f.write_bytes(data)
    out = js("import", f, "--journal", "JPY1")
    assert (out["files"][0]["status"], out["files"][0]["new_lines"]) == ("imported", 2), out
    assert asyncio.run(bank_lines(cli_env["PAYCTL_DATABASE_URL"])) == [(100, "JPY"), (-3, "JPY")]
    payctl("check")


async def bank_lines(url: str) -> list[tuple[int, str]]:
    db = Database(url)
    try:
        async with db.session() as s:
            rows = await s.execute(
                select(m.BankLine.amount, m.BankLine.currency).order_by(m.BankLine.id)
            )
            return [tuple(r) for r in rows]
    finally:
        await db.dispose()

"""One rule for a bank amount with more decimals than its currency has (issue 9), from every
reader alike: refused with exit 2, one line naming file, line and field, nothing written;
unless the extra digits are zeros (1190.000 EUR is 1190.00). Never rounded. In-process CLI on
every backend (cli_env)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from payctl.db import models as m
from tests.cli.test_cli_amount_limits import FORMATS, files, where
from tests.cli.test_cli_import import booked, js, table_counts, write
from tests.conftest import on_database, refused

__all__ = ["booked"]  # a fixture

# the field each reader names for a line's amount
FIELD = {
    "camt": "Ntry/Amt",
    "ofx": "TRNAMT",
    "jsonl": "amount",
    "csv": "amount",  # no currency column: read in the journal's currency by the importer
    "mt940": ":61: amount",
    "xlsx": "amount",
    "csv-ccy": "amount (column 'Amount')",  # a currency column: refused by the reader itself
    "xlsx-ccy": "amount (column B 'Amount')",
}


def with_currency(fmt: str, amount: str) -> tuple[str, bytes, int]:
    if fmt == "csv-ccy":
        text = f"Date,Amount,Currency,Description\n2026-02-03,{amount},EUR,INV-2026-0001\n"
        return "bank.csv", text.encode(), 2
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Amount", "Currency", "Description"])
    sheet.append(["2026-02-03", amount, "EUR", "INV-2026-0001"])
    out = io.BytesIO()
    book.save(out)
    return "bank.xlsx", out.getvalue(), 2


def sample(fmt: str, amount: str) -> tuple[str, bytes, int]:
    if fmt.endswith("-ccy"):
        return with_currency(fmt, amount)
    return files(amount)[fmt]


ALL = [*FORMATS, "csv-ccy", "xlsx-ccy"]


def stored_amounts(url: str) -> list[int]:
    async def read(db: Any) -> list[int]:
        async with db.session() as s:
            return list((await s.scalars(select(m.BankLine.amount))).all())

    return on_database(url, read)


@pytest.mark.parametrize("fmt", ALL)
def test_more_decimals_than_the_currency_refuse_the_file(booked, tmp_path, fmt):
    name, data, line = sample(fmt, "1190.005")
    f = write(tmp_path, name, data)
    before = table_counts(booked)
    error = refused("import", f, "--journal", "BNK1", "--auto-confirm", code=2)
    unit = where(fmt.removesuffix("-ccy"), line)
    assert error == (
        f"payctl: error: {f}: {unit}: {FIELD[fmt]}: 1190.005 has more decimals than EUR allows"
    ), error
    assert table_counts(booked) == before


@pytest.mark.parametrize("fmt", ALL)
def test_extra_decimals_that_are_zeros_are_taken(booked, tmp_path, fmt):
    name, data, _line = sample(fmt, "1190.000")
    out = js("import", write(tmp_path, name, data), "--journal", "BNK1")
    (report,) = out["files"]
    assert report["status"] == "imported", out
    assert not any("round" in w for w in report.get("warnings", [])), report
    assert 119000 in stored_amounts(booked)


def test_a_negative_amount_names_its_digits_once(booked, tmp_path):
    name, data, line = files("-1190.005")["jsonl"]
    f = write(tmp_path, name, data)
    error = refused("import", f, "--journal", "BNK1", code=2)
    assert error.endswith(f"line {line}: amount: 1190.005 has more decimals than EUR allows")

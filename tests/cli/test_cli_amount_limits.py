"""One limit for every amount (#14): 9,999,999,999.99 EUR (MAX_AMOUNT_MINOR minor units), from
every bank-file reader and from users alike, so that what reports add fits in 64 bits. Over the
limit: exit 2, one line naming file, line and field, nothing written; the limit itself is taken
and reports add it up. In-process CLI on every backend (cli_env)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from payctl.domain.money import MAX_AMOUNT_MINOR, largest_amount
from tests.cli.test_cli_import import booked, table_counts, write
from tests.conftest import payctl, refused
from tests.conftest import payctl_json as js
from tests.services.test_bank_import import (
    CAMT,
    GOOD_CSV,
    INVOICES,
    OFX_SEED,
    jsonl,
    mt940,
    row,
)

__all__ = ["booked"]  # a fixture

LARGEST = "9999999999.99"
OVER = "10000000000.00"
EVIL = "92233720368547758.07"  # 2**63 - 1 cents: was taken, then `payctl summary` overflowed


def xlsx(amount: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Amount", "Description"])
    sheet.append(["2026-02-03", amount, "INV-2026-0001"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def mt940_file(amount: str) -> bytes:
    comma = amount.replace(".", ",")
    return mt940("S1", "0,00", "1,00", "260201", "260203", [("260203", f"C{comma}", "x")])


def files(amount: str) -> dict[str, tuple[str, bytes, int]]:
    """format: (file name, content with one line of ``amount``, the line it is on)."""
    return {
        "camt": ("stmt.xml", CAMT.replace(b">1190.00<", f">{amount}<".encode()), 5),
        "ofx": ("stmt.ofx", OFX_SEED.replace(b"1190.00", amount.encode(), 1), 14),
        "jsonl": ("lines.jsonl", jsonl(row("1.00", text="a"), row(amount, text="b")), 2),
        "csv": ("bank.csv", GOOD_CSV.replace(b"-5.00", amount.encode()), 3),
        "mt940": ("stmt.sta", mt940_file(amount), 5),
        "xlsx": ("bank.xlsx", xlsx(amount), 2),
    }


def where(fmt: str, line: int) -> str:
    # The workbook and the CSV file name no currency: their amounts are in the journal's, so
    # the importer checks the limit (in the journal's currency), naming the place as the
    # reader would (a workbook's "row").
    return f"row {line}" if fmt == "xlsx" else f"line {line}"


FORMATS = ["camt", "ofx", "jsonl", "csv", "mt940", "xlsx"]


@pytest.mark.parametrize("amount", [OVER, EVIL])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_reader_refuses_an_amount_over_the_limit(booked, tmp_path, fmt, amount):
    name, data, line = files(amount)[fmt]
    f = write(tmp_path, name, data)
    before = table_counts(booked)
    error = refused("import", f, "--journal", "BNK1", "--auto-confirm", code=2)
    assert error.startswith(f"payctl: error: {f}: {where(fmt, line)}: "), error
    assert "amount" in error.lower()
    if fmt == "mt940" and amount == EVIL:  # SWIFT's 15 characters come first
        assert error.endswith("'92233720368547758,07' is longer than 15 characters"), error
    else:
        assert error.endswith(f"{amount} is too large (at most {LARGEST} EUR)"), error
    assert table_counts(booked) == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_reader_takes_the_limit(booked, tmp_path, fmt):
    name, data, _line = files(LARGEST)[fmt]
    out = js("import", write(tmp_path, name, data), "--journal", "BNK1", "--auto-confirm")
    assert out["files"][0]["status"] == "imported", out
    stored = table_counts(booked)["bank_lines"]
    assert stored == out["files"][0]["new_lines"] >= 1
    js("summary")


def test_reports_add_amounts_at_the_limit(booked):
    for _ in range(3):
        payctl(*CREATE, LARGEST)
    payctl("bulk", "confirm", "--state", "draft")
    summary = js("summary")
    assert [(r["money_in"], r["net"]) for r in summary["totals"]] == [
        ("29999999999.97", "29999999999.97")
    ], summary
    payctl("check")


CREATE = [
    *("create", "--type", "customer_payment", "--partner", "ACME GmbH", "--journal", "BNK1"),
    *("--date", "2026-02-03", "--amount"),
]
INVOICE = ["invoice", "create", "--partner", "ACME GmbH", "--number", "BIG-1"]
INVOICE += ["--date", "2026-02-03", "--amount"]


@pytest.mark.parametrize("args", [CREATE, INVOICE])
def test_user_input_has_the_same_limit(booked, args):
    before = table_counts(booked)
    for amount in (OVER, EVIL):
        error = refused(*args, amount, code=2)
        assert error.endswith(f"amount: {amount} is too large (at most {LARGEST} EUR)"), error
    assert table_counts(booked) == before


def test_invoice_file_over_the_limit_names_file_row_and_field(booked, tmp_path):
    f = write(
        tmp_path,
        "invoices.csv",
        b"number,partner,amount,type,date\n"
        b"OK-1,ACME GmbH,10.00,customer_invoice,2026-02-03\n"
        + f"BIG-1,ACME GmbH,{OVER},customer_invoice,2026-02-03\n".encode(),
    )
    error = refused("invoice", "import", f, code=2)
    assert str(f) in error and "3" in error and "amount" in error and "too large" in error
    assert js("invoice", "list", "--limit", "0")["total"] == len(INVOICES)


def test_the_limit_in_every_currency():
    assert largest_amount("EUR") == largest_amount("eur") == Decimal(LARGEST)
    assert str(largest_amount("JPY")) == str(MAX_AMOUNT_MINOR)
    assert str(largest_amount("KWD")) == "999999999.999"


def test_the_limit_keeps_what_reports_add_within_64_bits():
    """A sum of the amounts of every line a file within the default import limit (50 MB) can
    hold, each at the limit, still fits a signed 64-bit column; so do many such files."""
    from payctl.domain.money import MAX_MINOR
    from payctl.importers.files import DEFAULT_MAX_BYTES

    shortest_line = len("2026-02-03,1\n")  # a CSV line with a date and an amount, at least
    assert MAX_AMOUNT_MINOR * (DEFAULT_MAX_BYTES // shortest_line) * 2 < MAX_MINOR

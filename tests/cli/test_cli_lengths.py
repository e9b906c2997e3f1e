"""Text longer than its column is refused before the database, the same on both backends
(PostgreSQL used to fail with an internal error, SQLite stored it): one line naming the field
and its limit, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import payctl, refused


def count(what: str) -> int:
    out = json.loads(payctl(what, "list", "--format", "json").stdout)
    return len(out["items"] if isinstance(out, dict) else out)


@pytest.fixture
def books(cli_env: dict[str, str]) -> None:
    payctl("partner", "create", "ACME GmbH", "--kind", "customer")


def test_a_partner_name_longer_than_200_characters_is_refused(books):
    assert "name: 201 characters, at most 200" in refused(
        "partner", "create", "N" * 201, "--kind", "customer", code=2
    )
    payctl("partner", "create", "N" * 200, "--kind", "customer")  # the limit itself fits
    assert count("partner") == 2


def test_an_invoice_number_longer_than_64_characters_is_refused(books):
    assert "number: 65 characters, at most 64" in refused(
        "invoice",
        "create",
        "--partner",
        "ACME GmbH",
        "--number",
        "I" * 65,
        "--amount",
        "10.00",
        "--date",
        "2026-11-02",
        code=2,
    )
    assert count("invoice") == 0


def test_a_payment_reference_longer_than_200_characters_is_refused(books):
    line = refused(
        "create",
        "-t",
        "customer_payment",
        "-p",
        "ACME GmbH",
        "-a",
        "10.00",
        "--journal",
        "BNK1",
        "--date",
        "2026-11-02",
        "--ref",
        "R" * 201,
        code=2,
    )
    assert "reference: 201 characters, at most 200" in line
    out = json.loads(payctl("list", "--format", "json").stdout)
    assert out["total"] == 0


def test_a_partner_file_row_too_long_names_file_row_and_field(books, tmp_path: Path):
    path = tmp_path / "partners.csv"
    path.write_text(f"name,kind\nGood Ltd,customer\n{'L' * 201},vendor\n", encoding="utf-8")
    line = refused("partner", "import", path, code=2)
    assert f"{path}: row 3: name: 201 characters, at most 200" in line, line
    assert count("partner") == 1  # all or nothing: Good Ltd not imported either


def test_an_invoice_file_row_too_long_names_file_row_and_field(books, tmp_path: Path):
    path = tmp_path / "invoices.csv"
    path.write_text(
        f"number,partner,amount,date\nINV-1,ACME GmbH,10.00,2026-11-02\n"
        f"{'I' * 65},ACME GmbH,5.00,2026-11-02\n",
        encoding="utf-8",
    )
    line = refused("invoice", "import", path, code=2)
    assert f"{path}: row 3: number: 65 characters, at most 64" in line, line
    assert count("invoice") == 0

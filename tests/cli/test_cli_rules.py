"""`payctl rules check|test` and `payctl import --rules` on every backend (cli_env): good and
bad rules files (one `FILE:LINE: field: problem` line each, exit 2, nothing written), what
`rules test` shows, the import recording the rules' proposals and making payments on account,
the default rules file beside the default database, and first-match-wins in file order.

After every test the autouse ``_check`` fixture runs `payctl check` and requires exit 0.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_import import table_counts
from tests.conftest import on_database, payctl, refused
from tests.conftest import payctl_json as js
from tests.services.test_bank_import import ACME_IBAN, books, jsonl, row

GOOD = """# the rules of the tests
[[rule]]
name = "bank fees"
text = "KONTOFUEHRUNG"
sign = "outbound"
account = "5000"
label = "Bank fees"

[[rule]]
name = "small from ACME"
counterparty = "^ACME"
sign = "inbound"
amount_max = "100.00"
currency = "EUR"
partner = "ACME GmbH"

[[rule]]
name = "tax office"
counterparty = "Finanzamt"
review = true

[[rule]]
name = "to the till"
text = "cash withdrawal"
journal = "BNK1"
transfer_to = "CSH1"
"""

LINES = jsonl(
    row("-4.50", text="KONTOFUEHRUNG 01/2026", tx="L1"),
    row("80.00", name="ACME GmbH", text="advance", tx="L2"),
    row("-300.00", name="Finanzamt Berlin", text="USt 12/2025", tx="L3"),
    row("-200.00", text="Cash withdrawal", tx="L4"),
    row("-7.00", text="nobody knows", tx="L5"),
    row("1190.00", text="INV-2026-0001", tx="L6", iban=ACME_IBAN),
)


@pytest.fixture(autouse=True)
def _check(cli_env: dict[str, str]) -> Any:
    yield
    payctl("check")


@pytest.fixture
def booked(cli_env: dict[str, str]) -> str:
    url = cli_env["PAYCTL_DATABASE_URL"]
    on_database(url, books)
    return url


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# ------------------------------------------------------------------------ rules check
def test_check_good_file(booked, tmp_path):
    f = write(tmp_path, "rules.toml", GOOD)
    out = payctl("rules", "check", f).stdout
    assert "4 rules, no problem" in out and "account 1" in out and "transfer 1" in out
    data = js("rules", "check", f)
    assert data == {
        "file": str(f),
        "rules": 4,
        "actions": {"account": 1, "payment": 1, "review": 1, "transfer": 1},
        "ok": True,
    }


BAD = [
    ('text = "KONTOFUEHRUNG"', 'text = "KONTO(FUEHRUNG"', "text: invalid regular expression"),
    ('text = "KONTOFUEHRUNG"', 'text = "(K+)+"', "text: a repetition inside a repetition"),
    ('account = "5000"', 'account = "6270"', "account: unknown account '6270'"),
    ('journal = "BNK1"', 'journal = "BNK9"', "journal: unknown journal 'BNK9'"),
    ('transfer_to = "CSH1"', 'transfer_to = "SAL"', "transfer_to: journal SAL is a sale journal"),
    ('partner = "ACME GmbH"', 'partner = "Nobody Ltd"', "partner: unknown partner 'Nobody Ltd'"),
    ('amount_max = "100.00"', 'amount_max = "-1"', "amount_max: '-1' must be an amount"),
    ('amount_max = "100.00"', 'amount_max = "1.001"', "amount_max: 1.001 has more decimals"),
    ('sign = "inbound"', 'signe = "inbound"', "signe: unknown key"),
]


@pytest.mark.parametrize(("good", "bad", "says"), BAD, ids=[b[2].split(":")[0] for b in BAD])
def test_check_bad_file_one_line_naming_file_line_field(booked, tmp_path, good, bad, says):
    text = GOOD.replace(good, bad)
    assert text != GOOD
    number = next(i for i, ln in enumerate(text.splitlines(), start=1) if ln == bad)
    f = write(tmp_path, "rules.toml", text)
    before = table_counts(booked)
    line = refused("rules", "check", f, code=2, says=f"{f}:{number}: {says}", quiet_stdout=True)
    assert line.startswith(f"payctl: error: {f}:{number}: ")
    # the import refuses the same file before reading any bank file: nothing written
    data = write(tmp_path, "day.jsonl", LINES)
    refused("import", data, "--rules", f, code=2, says=f"{f}:{number}: {says}")
    assert table_counts(booked) == before


def test_check_missing_file_and_bad_toml(booked, tmp_path):
    refused("rules", "check", tmp_path / "none.toml", code=2, says="none.toml:0: file: cannot read")
    f = write(tmp_path, "rules.toml", '[[rule]]\nname = "x"\nreview = yes\n')
    refused("rules", "check", f, code=2, says=f"{f}:3: TOML: not valid TOML")


# ------------------------------------------------------------------------- rules test
def _import(tmp_path: Path, *extra: Any) -> Any:
    return js("import", write(tmp_path, "day.jsonl", LINES), "--journal", "BNK1", *extra)


def _ids(*, state: str = "all") -> dict[str, int]:
    """Bank line id by its text."""
    items = js("review", "list", "--state", state, "--limit", "0")["items"]
    return {item["text"]: item["id"] for item in items}


def test_rules_test_shows_the_rule_and_why_writing_nothing(booked, tmp_path):
    _import(tmp_path, "--no-rules")
    ids = _ids()
    f = write(tmp_path, "rules.toml", GOOD)
    before = table_counts(booked)
    asked = [ids["KONTOFUEHRUNG 01/2026"], ids["advance"], ids["nobody knows"]]
    out = js("rules", "test", f, *asked)
    assert out["total"] == 3
    fee, acme, nobody = out["items"]
    assert (fee["line"], fee["rule"], fee["action"], fee["target"]) == (
        asked[0],
        "bank fees",
        "account",
        "5000",
    )
    assert fee["reason"] == (
        "rule 'bank fees' proposes account 5000 (Bank fees): text matches 'KONTOFUEHRUNG', outbound"
    )
    assert acme["rule"] == "small from ACME" and acme["amount"] == "80.00"
    assert "payment on account for ACME GmbH" in acme["reason"]
    assert nobody["rule"] is None and nobody["reason"] == "no rule"
    table = payctl("rules", "test", f, *asked).stdout
    assert "bank fees" in table and "no rule" in table
    csv_out = payctl("rules", "test", f, asked[0], "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("line,journal,date,amount")
    refused("rules", "test", f, "999999", code=1, says="unknown bank line 999999")
    assert table_counts(booked) == before


def test_first_match_wins_in_file_order(booked, tmp_path):
    _import(tmp_path, "--no-rules")
    line = _ids()["advance"]
    broad = '[[rule]]\nname = "all ACME"\ncounterparty = "acme"\nreview = true\n'
    first = write(tmp_path, "a.toml", GOOD + "\n" + broad)
    second = write(tmp_path, "b.toml", broad + "\n" + GOOD)
    for _ in range(2):  # the same answer every time
        assert js("rules", "test", first, line)["items"][0]["rule"] == "small from ACME"
        assert js("rules", "test", second, line)["items"][0]["rule"] == "all ACME"


# ---------------------------------------------------------------- import with rules
def test_import_records_proposals_and_makes_payments_on_account(booked, tmp_path):
    f = write(tmp_path, "rules.toml", GOOD)
    out = _import(tmp_path, "--rules", f, "--auto-confirm")
    assert out["rules"] == str(f)
    (file,) = out["files"]
    assert file["ruled"] == {
        "bank fees": 1,
        "small from ACME": 1,
        "tax office": 1,
        "to the till": 1,
    }
    assert file["matched"] == {"reference": 1}
    assert (file["payments_created"], file["payments_confirmed"]) == (2, 2)
    review = {i["text"]: i for i in js("review", "list", "--limit", "0")["items"]}
    assert set(review) == {
        "KONTOFUEHRUNG 01/2026",
        "USt 12/2025",
        "Cash withdrawal",
        "nobody knows",
    }
    assert review["KONTOFUEHRUNG 01/2026"]["reason"].startswith(
        "rule 'bank fees' proposes account 5000 (Bank fees): text matches"
    )
    assert review["Cash withdrawal"]["reason"].startswith(
        "rule 'to the till' proposes an internal transfer to journal CSH1:"
    )
    assert review["USt 12/2025"]["reason"] == (
        "rule 'tax office' leaves it for review: counterparty matches 'Finanzamt'"
    )
    assert "no invoice number" in review["nobody knows"]["reason"]
    matched = {i["text"]: i for i in js("review", "list", "--state", "matched")["items"]}
    assert matched["advance"]["reason"] == (
        "rule 'small from ACME': counterparty matches '^ACME', inbound, currency EUR, "
        "amount 80.00 in ..100.00"
    )
    payments = js("list", "--partner", "ACME GmbH")["items"]
    on_account = [p for p in payments if p["amount"] == "80.00"]
    assert len(on_account) == 1
    assert (on_account[0]["state"], on_account[0]["type"]) == ("posted", "customer_payment")
    assert on_account[0]["allocated"] == "0.00"
    # the same file again: nothing new, no second payment
    again = _import(tmp_path, "--rules", f)["files"][0]
    assert (again["new_lines"], again["duplicates"], again["payments_created"]) == (0, 6, 0)


def test_default_rules_file_beside_the_default_database(booked, tmp_path):
    home = Path(os.environ["XDG_DATA_HOME"]) / "payctl"
    home.mkdir(parents=True)
    default = home / "rules.toml"
    default.write_text(GOOD, encoding="utf-8")
    out = _import(tmp_path)
    assert out["rules"] == str(default)
    assert out["files"][0]["ruled"]["bank fees"] == 1
    # --no-rules: none; --rules: that file instead
    other = write(tmp_path, "other.toml", '[[rule]]\nname = "all"\nreview = true\n')
    lines = jsonl(row("-9.00", text="KONTOFUEHRUNG 02/2026", tx="M1"))
    plain = js("import", write(tmp_path, "b.jsonl", lines), "--no-rules")
    assert plain["rules"] is None and plain["files"][0]["ruled"] == {}
    lines = jsonl(row("-9.50", text="KONTOFUEHRUNG 03/2026", tx="M2"))
    chosen = js("import", write(tmp_path, "c.jsonl", lines), "--rules", other)
    assert chosen["rules"] == str(other) and chosen["files"][0]["ruled"] == {"all": 1}
    refused(
        "import",
        write(tmp_path, "d.jsonl", lines),
        "--rules",
        other,
        "--no-rules",
        code=2,
        says="--rules and --no-rules",
    )
    # a broken default file refuses the import (exit 2), it is never silently skipped
    default.write_text('[[rule]]\nname = "x"\naccount = "0000"\n', encoding="utf-8")
    refused(
        "import",
        write(tmp_path, "e.jsonl", lines),
        code=2,
        says=f"{default}:3: account: unknown account '0000'",
    )

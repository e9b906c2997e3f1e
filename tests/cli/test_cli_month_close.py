"""Close a month with two bank journals (issue 10), on every backend: a CSV statement of BNK1
and a camt.053 statement of BNK2, written for this test, with customer and vendor payments,
bank fees, salaries, interest, a transfer between the two journals and a line nobody can
place, imported with a rules file. `payctl check` is clean at every step, `reconcile`
explains every difference, every line but one is decided by matching, rules or the transfer
pairing, the ledger's bank balances equal the statements' closing balances, and `hledger bal`
of `payctl export --to ledger` gives the same bank balances."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_month_end_reports import hledger_bal
from tests.conftest import on_database, payctl
from tests.conftest import payctl_json as js
from tests.services.test_bank_import import ACME_IBAN, GLOBEX_IBAN, SUPPLIER_IBAN, books

BNK1_IBAN = "DE02120300000000202051"
BNK2_IBAN = "BE68539007547034"

BNK1_CSV = f"""Date,Amount,Currency,Name,IBAN,Description,Transaction ID
2026-02-02,1190.00,EUR,ACME GmbH,{ACME_IBAN},INV-2026-0001,T1
2026-02-03,-450.00,EUR,Supplier BV,{SUPPLIER_IBAN},BILL-1,T2
2026-02-05,-12.90,EUR,,,KONTOFUEHRUNG 01/2026,T3
2026-02-10,-2000.00,EUR,Own savings,{BNK2_IBAN},Umbuchung Tagesgeld,T4
2026-02-25,-3850.00,EUR,Anna Becker,DE75512108001245126199,Gehalt Februar 2026,T5
2026-02-26,-4120.00,EUR,Jonas Weber,DE12500105170648489890,Gehalt Februar 2026,T6
2026-02-27,-77.77,EUR,Mystery Ltd,,ref 4711,T7
2026-02-28,800.00,EUR,Globex Corporation,{GLOBEX_IBAN},G-100,T8
"""
BNK1_OPENING, BNK1_CLOSING = Decimal("10000.00"), Decimal("1479.33")


def entry(amount: str, sign: str, day: str, ref: str, name: str, iban: str, text: str) -> str:
    party, acct = ("Dbtr", "DbtrAcct") if sign == "CRDT" else ("Cdtr", "CdtrAcct")
    account = f"<{acct}><Id><IBAN>{iban}</IBAN></Id></{acct}>" if iban else ""
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><RltdPties><{party}><Nm>{name}</Nm></{party}>{account}"
        f"</RltdPties><RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def balance(code: str, value: str, day: str) -> str:
    return (
        f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{value}</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>"
    )


BNK2_CAMT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
    "<GrpHdr><MsgId>M-FEB</MsgId><CreDtTm>2026-03-01T06:00:00</CreDtTm></GrpHdr>"
    f"<Stmt><Id>FEB-2026</Id><Acct><Id><IBAN>{BNK2_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
    + balance("OPBD", "5000.00", "2026-02-01")
    + balance("CLBD", "7001.15", "2026-02-28")
    + entry("2000.00", "CRDT", "2026-02-11", "S1", "Own current", BNK1_IBAN, "Umbuchung")
    + entry("3.15", "CRDT", "2026-02-28", "S2", "Bank", "", "Habenzinsen 02/2026")
    + entry("2.00", "DBIT", "2026-02-28", "S3", "Bank", "", "KONTOFUEHRUNG 02/2026")
    + "</Stmt></BkToCstmrStmt></Document>\n"
)
BNK2_CLOSING = Decimal("7001.15")

RULES = """# the accountant's rules for the month
[[rule]]
name = "bank fees"
text = "KONTOFUEHRUNG"
sign = "outbound"
account = "6270"
label = "Bank fees"

[[rule]]
name = "salaries"
text = "^Gehalt"
sign = "outbound"
account = "6200"
label = "Salaries"

[[rule]]
name = "interest"
text = "zinsen"
sign = "inbound"
account = "7100"
label = "Interest"
"""

HLEDGER = shutil.which("hledger")


def balances() -> dict[str, Decimal]:
    return {r["code"]: Decimal(r["closing"]) for r in js("report", "trial-balance")["items"]}


def test_close_a_month_of_two_bank_journals(init_url, cli_env, tmp_path: Path):
    on_database(init_url, books)
    for code, name, kind in (
        ("6270", "Bank fees", "expense"),
        ("6200", "Salaries", "expense"),
        ("7100", "Interest income", "income"),
        ("6999", "Other costs", "expense"),
    ):
        payctl("account", "create", code, "--name", name, "--type", kind)
    payctl("journal", "update", "BNK1", "--iban", BNK1_IBAN)
    payctl("journal", "create", "BNK2", "--name", "Savings", "--iban", BNK2_IBAN)
    bnk2_account = {j["code"]: j for j in js("journal", "list")["items"]}["BNK2"]["account"]
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    payctl("rules", "check", rules)
    csv_file = tmp_path / "bnk1-2026-02.csv"
    csv_file.write_text(BNK1_CSV, encoding="utf-8")
    camt_file = tmp_path / "bnk2-2026-02.xml"
    camt_file.write_text(BNK2_CAMT, encoding="utf-8")

    payctl("journal", "opening-balance", "BNK1", "--date", "2026-02-01", "--amount", "10000.00")
    one = js("import", csv_file, "--journal", "BNK1", "--rules", rules, "--auto-confirm")
    payctl("check")
    two = js(
        "import",
        camt_file,
        "--journal",
        "BNK2",
        "--rules",
        rules,
        "--auto-confirm",
        "--book-opening",
    )
    payctl("check")
    assert one["files"][0]["ruled"] == {"bank fees": 1, "salaries": 2, "transfer": 1}
    assert two["files"][0]["ruled"] == {"bank fees": 1, "interest": 1, "transfer": 1}
    assert (one["files"][0]["payments_created"], one["files"][0]["payments_confirmed"]) == (3, 3)

    # the bank's balances are the ledger's already: undecided lines wait in suspense
    books_now = balances()
    assert books_now["1000"] == BNK1_CLOSING
    assert books_now[bnk2_account] == BNK2_CLOSING
    assert books_now.get("1095", Decimal(0)) == 0  # the transfer arrived: paired
    assert books_now["1090"] == Decimal("77.77")  # the mystery payment out, waiting

    r1 = js("reconcile", "BNK1")
    assert r1["statement_balance"] is None  # a CSV without balances
    assert Decimal(r1["ledger_balance"]) == BNK1_CLOSING
    assert [w["amount"] for w in r1["waiting"]] == ["-77.77"]
    assert r1["in_transit"] == [] and r1["matched_to_drafts"] == []
    r2 = js("reconcile", "BNK2")
    assert (r2["statement_balance"], r2["ledger_balance"]) == ("7001.15", "7001.15")
    assert r2["difference"] == "0.00" and r2["unexplained"] == "0.00"
    assert r2["waiting"] == []

    (mystery,) = js("review", "list")["items"]
    payctl("review", "accept", str(mystery["id"]), "--account", "6999", "--label", "unknown")
    payctl("check")
    assert js("review", "list")["items"] == []
    after = balances()
    assert after["1000"] == BNK1_CLOSING and after[bnk2_account] == BNK2_CLOSING
    assert after.get("1090", Decimal(0)) == 0
    assert after["6270"] == Decimal("14.90") and after["6200"] == Decimal("7970.00")
    assert after["7100"] == Decimal("-3.15") and after["6999"] == Decimal("77.77")
    states = {s["format"]: s["by_decision"] for s in js("statement", "list")["items"]}
    assert states["csv"] == {"matched": 3, "booked_by_rule": 4, "booked_by_hand": 1}
    assert states["camt"] == {"booked_by_rule": 3}

    if not HLEDGER:
        if os.environ.get("CI"):
            pytest.fail("hledger is not installed")
        pytest.skip("hledger is not installed")
    journal = tmp_path / "feb.journal"
    payctl("export", "--to", "ledger", "-o", journal)
    hledger = hledger_bal(journal)
    banks: dict[str, Any] = {
        name: value for name, value in hledger.items() if value in (BNK1_CLOSING, BNK2_CLOSING)
    }
    assert sorted(banks.values()) == [BNK1_CLOSING, BNK2_CLOSING], hledger
    assert "assets:bank" in banks
    assert not any("suspense" in name or "transfer" in name for name in hledger)

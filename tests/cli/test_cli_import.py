"""`payctl import` and `payctl review` through Typer's runner, on every backend (cli_env):
the report, each matching rule end to end, dedup, dry run, the journal's own account,
statement continuity, bad files (exit 2, one line, nothing written), the review flow, and
every sample bank file in tests/data/banks.

After every test the autouse ``_check`` fixture runs `payctl check` and requires exit 0.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.services.bank.matching_data import THRESHOLD
from tests import factories
from tests.conftest import in_session, on_database, payctl, refused
from tests.conftest import payctl_json as js
from tests.samples import BANK_SAMPLES
from tests.services.test_bank_import import (
    ACME_IBAN,
    CAMT,
    FOREIGN_IBAN,
    GLOBEX_IBAN,
    OWN_IBAN,
    RULES,
    books,
    jsonl,
    posted_payment,
    row,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = BANK_SAMPLES
SAMPLE_FILES = (
    sorted(
        str(p.relative_to(SAMPLES))
        for p in SAMPLES.rglob("*")
        if p.is_file() and p.name != "PROVENANCE.md"
    )
    if SAMPLES.is_dir()
    else []
)


@pytest.fixture(autouse=True)
def _check(cli_env: dict[str, str]) -> Any:
    """`payctl check` passes after every test of this module."""
    yield
    payctl("check")


COUNTED = (
    m.BankStatement,
    m.BankLine,
    m.Payment,
    m.PaymentAllocation,
    m.JournalEntry,
    m.JournalLine,
    m.AuditRecord,
)


def table_counts(url: str) -> dict[str, int]:
    return in_session(url, factories.row_counts, COUNTED)


def flat(text: str) -> str:
    """Rich wraps long messages on a narrow terminal: compare without line breaks."""
    return " ".join(text.split())


@pytest.fixture
def booked(cli_env: dict[str, str]) -> str:
    url = cli_env["PAYCTL_DATABASE_URL"]
    on_database(url, books)
    return url


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ----------------------------------------------------------------------- the report
def test_import_json_lines_file_reports_json(booked, tmp_path):
    f = write(
        tmp_path,
        "day.jsonl",
        jsonl(
            row("1190.00", text="INV-2026-0001"),
            row("800.00", iban=GLOBEX_IBAN),
            row("-15.00", text="fee"),
        ),
    )
    out = js("import", f, "--journal", "BNK1", "--input-format", "jsonl")
    (file,) = out["files"]
    assert (file["file"], file["status"], file["format"]) == (str(f), "imported", "jsonl")
    assert (file["lines_read"], file["new_lines"], file["duplicates"]) == (3, 3, 0)
    assert file["matched"] == {"partner_amount": 1, "reference": 1}
    assert (file["payments_created"], file["payments_confirmed"], file["unmatched"]) == (2, 0, 1)
    assert out["totals"]["failed_files"] == 0
    assert out["totals"]["payments_created"] == 2
    listed = js("list", "--state", "draft")
    assert listed["total"] == 2


def test_import_stdin_json_lines(booked):
    data = jsonl(row("1190.00", text="INV-2026-0001", tx="S1"), row("-15.00", text="fee"))
    out = js("import", "-", "--auto-confirm", input=data)
    (file,) = out["files"]
    assert (file["file"], file["format"], file["new_lines"]) == ("<stdin>", "jsonl", 2)
    assert file["payments_confirmed"] == 1
    again = js("import", "-", input=data)
    assert again["files"][0]["duplicates"] == 2


def test_import_csv_table_output(booked, tmp_path):
    f = write(
        tmp_path,
        "bank.csv",
        b"Date,Amount,Name,Description\n"
        b"2026-02-03,1190.00,ACME GmbH,INV-2026-0001\n"
        b"2026-02-04,-450.00,Supplier BV,BILL-1\n",
    )
    result = payctl("import", f, "--auto-confirm")
    assert "Import" in result.stdout and "bank.csv" in result.stdout
    assert "reference 2" in result.stdout
    assert js("invoice", "show", "BILL-1")["state"] == "paid"
    assert js("invoice", "show", "INV-2026-0001")["state"] == "paid"


@pytest.mark.parametrize("case", list(RULES))
def test_each_rule_end_to_end(booked, tmp_path, case):
    lines, rule, ptype, partner, allocs, entry, (number, state, residual) = RULES[case]
    f = write(tmp_path, "rule.jsonl", jsonl(*lines))
    out = js("import", f, "--input-format", "jsonl", "--auto-confirm")
    assert out["files"][0]["matched"] == {rule: 1}
    assert out["totals"]["payments_confirmed"] == 1
    shown = js("show", "BNK1/2026/00001")
    assert (shown["type"], shown["partner"], shown["state"]) == (ptype, partner, "posted")
    assert [(a["invoice"], a["amount"], a["writeoff"]) for a in shown["allocations"]] == [
        (n, f"{a / 100:.2f}", f"{w / 100:.2f}") for n, a, w in allocs
    ]
    (live,) = [e for e in shown["entries"] if e["reversed_by"] is None]
    got = sorted((ln["account"], ln["debit"], ln["credit"]) for ln in live["lines"])
    assert got == [(code, f"{d / 100:.2f}", f"{c / 100:.2f}") for code, d, c in entry]
    inv = js("invoice", "show", number)
    assert (inv["state"], inv["residual"]) == (state, f"{residual / 100:.2f}")


def test_payment_rule_reconciles_through_the_cli(booked, tmp_path):
    payctl(
        "create",
        "--type",
        "customer_payment",
        "--partner",
        "Globex Corporation",
        "--journal",
        "BNK1",
        "--amount",
        "250.00",
        "--date",
        "2026-02-01",
    )
    payctl("confirm", "1")
    f = write(tmp_path, "rec.jsonl", jsonl(row("250.00", day="2026-02-04", iban=GLOBEX_IBAN)))
    out = js("import", f, "--input-format", "jsonl", "--auto-confirm")
    assert out["totals"]["reconciled"] == 1
    assert out["files"][0]["matched"] == {"payment": 1}

    async def reconcile_lines(db: Database) -> list[tuple[str, int, int]]:
        async with db.session() as s:
            line = await s.scalar(select(m.BankLine))
            assert line.payment_id == 1 and line.link == "reconciled"
            rows = await s.execute(
                select(m.Account.code, m.JournalLine.debit, m.JournalLine.credit)
                .join(m.JournalLine, m.JournalLine.account_id == m.Account.id)
                .where(m.JournalLine.entry_id == line.reconcile_entry_id)
            )
            return sorted(tuple(r) for r in rows)

    assert on_database(booked, reconcile_lines) == [("1000", 25000, 0), ("1020", 0, 25000)]


# ------------------------------------------------------------------ dedup and dry run
def test_same_file_twice_adds_nothing(booked, tmp_path):
    f = write(
        tmp_path,
        "day.jsonl",
        jsonl(
            row("1190.00", text="INV-2026-0001"), row("-1.00", text="fee"), row("-1.00", text="fee")
        ),
    )
    js("import", f, "--input-format", "jsonl", "--auto-confirm")
    before = table_counts(booked)
    out = js("import", f, "--input-format", "jsonl", "--auto-confirm")
    file = out["files"][0]
    assert file["duplicates"] == file["lines_read"] == 3
    assert (file["new_lines"], file["payments_created"]) == (0, 0)
    assert table_counts(booked) == before


def test_overlapping_files_in_one_command(booked, tmp_path):
    a = write(
        tmp_path,
        "a.jsonl",
        jsonl(row("1190.00", text="INV-2026-0001", tx="1"), row("-1.00", text="fee", tx="2")),
    )
    b = write(
        tmp_path,
        "b.jsonl",
        jsonl(row("-1.00", text="fee", tx="2"), row("800.00", iban=GLOBEX_IBAN, tx="3")),
    )
    out = js("import", a, b, "--input-format", "jsonl")
    assert [(f["new_lines"], f["duplicates"]) for f in out["files"]] == [(2, 0), (1, 1)]
    assert out["totals"]["duplicates"] == 1
    assert table_counts(booked)["bank_lines"] == 3


def test_dry_run_writes_nothing(booked, tmp_path):
    f = write(tmp_path, "day.jsonl", jsonl(row("1190.00", text="INV-2026-0001")))
    before = table_counts(booked)
    out = js("import", f, "--input-format", "jsonl", "--auto-confirm", "--dry-run")
    assert out["files"][0]["status"] == "dry run"
    assert out["files"][0]["payments_confirmed"] == 1
    assert table_counts(booked) == before
    assert js("invoice", "show", "INV-2026-0001")["state"] == "open"


# ------------------------------------------------------------------ the journal's account
def test_journal_with_iban_refuses_another_accounts_statement(booked, tmp_path):
    payctl("journal", "create", "BNK2", "--iban", OWN_IBAN)
    camt = SAMPLES / "camt053" / "oca_abnamro_camt053.001.02.xml"  # an NL ABN AMRO account
    other = write(tmp_path, "other.jsonl", jsonl(row("-5.00", text="x", account=FOREIGN_IBAN)))
    before = table_counts(booked)
    for f, fmt in ((camt, []), (other, ["--input-format", "jsonl"])):
        line = refused("import", f, "--journal", "BNK2", *fmt, code=2)
        assert str(f) in line and "does not belong to journal BNK2" in line
        assert table_counts(booked) == before
    # a journal without an account number takes the first statement's, says so, and then
    # refuses another account's statement
    took = js("import", camt, "--journal", "BNK1")["files"][0]["warnings"]
    assert (
        "journal BNK1 had no bank account: it now belongs to NL77ABNA0574908765, the account "
        "of these statements (change it with payctl journal update BNK1)"
    ) in took
    journals = js("journal", "list")["items"]
    assert {j["code"]: j["iban"] for j in journals}["BNK1"] == "NL77ABNA0574908765"
    line = refused("import", other, "--journal", "BNK1", "--input-format", "jsonl", code=2)
    assert "does not belong to journal BNK1 (NL77ABNA0574908765)" in line
    # and BNK2 its own statement
    own = write(tmp_path, "own.jsonl", jsonl(row("-5.00", text="x", account=OWN_IBAN)))
    assert (
        js("import", own, "--journal", "BNK2", "--input-format", "jsonl")["files"][0]["new_lines"]
        == 1
    )


# ------------------------------------------------------------------- statement continuity
def camt(
    ident: str,
    opening: str,
    closing: str,
    open_day: str,
    close_day: str,
    amount: str = "1190.00",
    indicator: str = "CRDT",
) -> bytes:
    def bal(code: str, value: str, day: str) -> str:
        return (
            f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{value}'
            f"</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>"
        )

    text = CAMT.decode()
    text = text.replace("<Id>S1</Id>", f"<Id>{ident}</Id>").replace("REF-1", f"REF-{ident}")
    text = text.replace(
        '<Amt Ccy="EUR">1190.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>',
        f'<Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>',
    )
    text = text.replace("2026-02-02</Dt></BookgDt>", f"{close_day}</Dt></BookgDt>")
    text = text.replace(
        "</Ccy></Acct>",
        "</Ccy></Acct>" + bal("OPBD", opening, open_day) + bal("CLBD", closing, close_day),
    )
    return text.encode()


def test_continuity_warning_for_a_camt_pair(booked, tmp_path):
    first = write(
        tmp_path, "feb1.xml", camt("S1", "1000.00", "2190.00", "2026-02-01", "2026-02-02")
    )
    good = write(
        tmp_path,
        "feb2.xml",
        camt("S2", "2190.00", "2180.00", "2026-02-02", "2026-02-03", "10.00", "DBIT"),
    )
    gap = write(
        tmp_path,
        "feb9.xml",
        camt("S3", "5000.00", "4990.00", "2026-02-09", "2026-02-09", "10.00", "DBIT"),
    )
    payctl("journal", "update", "BNK1", "--iban", OWN_IBAN)
    result = payctl("import", first, good)
    assert "warning" not in result.stderr
    out = js("import", gap)
    assert out["files"][0]["warnings"] == [
        "opening balance 5000.00 on 2026-02-09 does not follow the previous statement's "
        "closing balance 2180.00 on 2026-02-03: a statement may be missing"
    ]
    assert out["files"][0]["new_lines"] == 1  # a warning, not a refusal
    # in the table output the warning goes to stderr
    gap2 = write(
        tmp_path,
        "feb10.xml",
        camt("S4", "7000.00", "6990.00", "2026-02-10", "2026-02-10", "10.00", "DBIT"),
    )
    assert "does not follow the previous statement" in flat(payctl("import", gap2).stderr)


# ------------------------------------------------------------------------- bad files
GOOD_CSV = b"Date,Amount,Description\n2026-02-03,1190.00,INV-2026-0001\n2026-02-04,-5.00,fee\n"
BAD = {
    "truncated xml": ("stmt.xml", CAMT[: len(CAMT) * 2 // 3], ["stmt.xml", "line"]),
    "csv bad date": (
        "date.csv",
        GOOD_CSV + b"2026-02-30,1.00,x\n",
        ["date.csv", "line 4", "booking_date", "2026-02-30"],
    ),
    "csv bad amount": (
        "amount.csv",
        GOOD_CSV.replace(b"-5.00", b"5..00"),
        ["amount.csv", "line 3", "amount", "5..00"],
    ),
    "wrong encoding": (
        "enc.xml",
        CAMT.replace(b"ACME GmbH", "Café".encode("cp1252")),
        ["enc.xml", "line 7"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_exit_2_one_line_nothing_written(booked, tmp_path, case):
    name, data, words = BAD[case]
    f = write(tmp_path, name, data)
    before = table_counts(booked)
    line = refused("import", f, "--auto-confirm", code=2)
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    assert table_counts(booked) == before


def test_file_over_the_size_limit(booked, tmp_path, monkeypatch):
    f = write(tmp_path, "big.csv", GOOD_CSV)
    monkeypatch.setenv("PAYCTL_MAX_IMPORT_BYTES", "40")
    before = table_counts(booked)
    line = refused("import", f, code=2)
    assert "big.csv" in line and "above the import limit of 40 bytes" in line
    assert table_counts(booked) == before


def test_good_file_imports_although_another_is_bad(booked, tmp_path):
    good = write(tmp_path, "good.csv", GOOD_CSV)
    bad = write(tmp_path, "bad.csv", GOOD_CSV.replace(b"-5.00", b"five"))
    missing = tmp_path / "missing.csv"
    result = payctl("import", bad, good, missing, "--format", "json", code=2)
    out = json.loads(result.stdout)
    status = {f["file"]: (f["status"], f.get("error")) for f in out["files"]}
    assert status[str(good)] == ("imported", None)
    assert status[str(bad)][0] == "failed" and "line 3" in status[str(bad)][1]
    assert status[str(missing)][0] == "failed" and "no such file" in status[str(missing)][1]
    assert out["totals"]["failed_files"] == 2
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("payctl: error:")]
    assert len(errors) == 2
    assert table_counts(booked)["bank_lines"] == 2
    assert js("invoice", "show", "INV-2026-0001")["state"] == "open"  # a draft only


@pytest.mark.parametrize("sample", ["ofxtools_stmtrs_v200.ofx", "ofxparse_suncorp_v200.ofx"])
def test_ofx2_with_a_dtd_is_refused(booked, tmp_path, sample):
    """OFX 2.x is XML: a DOCTYPE/ENTITY is refused as in camt, nothing written; the same file
    without it, and an OFX 1.x (SGML) sample, import."""
    raw = (SAMPLES / "ofx" / sample).read_bytes()
    at = raw.index(b"<OFX>")
    dtd = b'<!DOCTYPE OFX [<!ENTITY x "EVIL">]>\n'
    f = write(tmp_path, "evil.ofx", raw[:at] + dtd + raw[at:].replace(b"<MEMO>", b"<MEMO>&x;"))
    before = table_counts(booked)
    line = refused("import", f, "--journal", "BNK1", code=2)
    dtd_line = raw[:at].count(b"\n") + 1
    assert line == (
        f"payctl: error: {f}: line {dtd_line}: XML with a DTD (<!DOCTYPE>) "
        "is refused: DTDs, entities and external references are not allowed in bank files"
    )
    assert table_counts(booked) == before
    good = write(tmp_path, sample, raw)
    sgml = SAMPLES / "ofx" / "ofxparse_checking_v102.ofx"
    payctl("journal", "create", "BNK3")  # another account: its own journal
    assert js("import", good, "--journal", "BNK1")["files"][0]["status"] == "imported"
    assert js("import", sgml, "--journal", "BNK3")["files"][0]["status"] == "imported"


# ----------------------------------------------------------------------- review flow
def _queue(booked: str, tmp_path: Path) -> dict[str, int]:
    payctl(
        "invoice",
        "create",
        "--partner",
        "ACME GmbH",
        "--number",
        "INV-2026-0004",
        "--amount",
        "500.00",
        "--date",
        "2026-01-11",
    )
    on_database(booked, posted_payment, "Globex Corporation", "250.00", "2026-01-02")
    f = write(
        tmp_path,
        "queue.jsonl",
        jsonl(
            row("500.00", day="2026-03-01", iban=ACME_IBAN, tx="twin"),
            row("250.00", day="2026-03-02", iban=GLOBEX_IBAN, tx="late"),
            row("99.00", day="2026-03-03", name="Unknown Ltd", tx="unknown"),
            row("-12.00", day="2026-03-04", text="bank fee", tx="fee"),
            row("500.00", day="2026-03-05", iban=ACME_IBAN, tx="twin2"),
        ),
    )
    out = js("import", f, "--input-format", "jsonl")
    assert out["totals"]["to_review"] == 2 and out["totals"]["unmatched"] == 3
    items = js("review", "list")["items"]
    return dict(
        zip(["twin", "late", "unknown", "fee", "twin2"], [i["id"] for i in items], strict=True)
    )


def test_review_flow_end_to_end(booked, tmp_path):
    ids = _queue(booked, tmp_path)
    listed = js("review", "list")
    assert listed["total"] == 5
    twin = next(i for i in listed["items"] if i["id"] == ids["twin"])
    (cand,) = twin["candidates"]
    assert cand["rule"] == "partner_amount" and cand["score"] < THRESHOLD
    assert (
        f"score {cand['score']} " in twin["reason"] and f"threshold {THRESHOLD}" in twin["reason"]
    )
    assert twin["best"] == f"{cand['score']}: {cand['reason']}"
    table = payctl("review", "list").stdout
    assert "Review queue" in table and "bank fee" in table

    # no option: the best candidate (INV-2026-0002, the oldest of the two)
    out = payctl("review", "accept", ids["twin"], "--auto-confirm").stdout
    assert f"bank line {ids['twin']} -> payment BNK1/2026/00002" in out
    assert js("invoice", "show", "INV-2026-0002")["state"] == "paid"
    # --invoice: the other one (a spec without its amount is bad input, nothing booked)
    bad = payctl("review", "accept", ids["twin2"], "--invoice", "INV-2026-0004=", code=2)
    assert bad.stderr == (
        "payctl: error: --invoice: 'INV-2026-0004=' is not INVOICE or INVOICE=AMOUNT "
        "(e.g. INV/2026/0001=1190.00)\n"
    )
    assert js("invoice", "show", "INV-2026-0004")["state"] == "open"
    payctl("review", "accept", ids["twin2"], "--invoice", "INV-2026-0004=500.00", "--auto-confirm")
    assert js("invoice", "show", "INV-2026-0004")["state"] == "paid"
    # --payment: reconcile the old posted payment
    out = payctl("review", "accept", ids["late"], "--payment", "BNK1/2026/00001").stdout
    assert f"bank line {ids['late']} settles BNK1/2026/00001" in out
    # --partner: on account
    payctl("review", "accept", ids["unknown"], "--partner", "Globex Corporation")
    drafts = js("list", "--state", "draft")["items"]
    assert [(d["partner"], d["amount"], d["allocated"]) for d in drafts] == [
        ("Globex Corporation", "99.00", "0.00")
    ]
    # ignore
    payctl("review", "ignore", ids["fee"], "--reason", "bank fee")
    assert js("review", "list")["total"] == 0
    assert js("review", "list", "--state", "ignored")["items"][0]["id"] == ids["fee"]
    assert js("review", "list", "--state", "matched")["total"] == 4

    # a matched line holds its payment: reset refused, naming the line
    line = refused("reset", "BNK1/2026/00001", code=1)
    assert f"bank line {ids['late']}" in line and "unmatch" in line
    assert f"bank line {ids['twin']}" in refused("reset", "BNK1/2026/00002", code=1)
    # unmatch reverses the reconciliation and frees the payment
    out = payctl("review", "unmatch", ids["late"]).stdout
    assert f"bank line {ids['late']} is back in review" in out
    payctl("reset", "BNK1/2026/00001")
    assert js("show", "BNK1/2026/00001")["state"] == "draft"
    # unmatching a line whose payment the match created cancels that payment (issue 3)
    out = flat(payctl("review", "unmatch", ids["twin"]).stdout)
    assert "payment BNK1/2026/00002 made from it is cancelled" in out
    assert js("show", "BNK1/2026/00002")["state"] == "cancelled"
    assert js("invoice", "show", "INV-2026-0002")["state"] == "open"
    assert {i["id"] for i in js("review", "list")["items"]} == {ids["late"], ids["twin"]}


def test_review_refusals(booked, tmp_path):
    ids = _queue(booked, tmp_path)
    line = refused("review", "accept", ids["fee"], code=1)
    assert "has no candidate" in line
    assert "unknown bank line 424242" in refused("review", "accept", "424242", code=1)
    assert refused("review", "accept", "x1", code=2)
    payctl("review", "accept", ids["twin"])
    assert "already matched" in refused("review", "accept", ids["twin"], code=1)
    assert "is not matched" in refused("review", "unmatch", ids["fee"], code=1)


def test_review_export_csv_and_json(booked, tmp_path):
    ids = _queue(booked, tmp_path)
    out = payctl("review", "export").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["id"]) for r in rows] == list(ids.values())
    twin = next(r for r in rows if int(r["id"]) == ids["twin"])
    listed = next(i for i in js("review", "list")["items"] if i["id"] == ids["twin"])
    assert (twin["amount"], twin["reason"], twin["best"]) == (
        "500.00",
        listed["reason"],
        listed["best"],
    )
    target = tmp_path / "queue.csv"
    result = payctl("review", "export", "--output", target)
    assert "wrote 5 lines" in result.stderr
    assert target.read_text(encoding="utf-8") == out
    data = js("review", "export")
    assert data["total"] == 5
    assert {i["id"] for i in data["items"]} == set(ids.values())
    assert all("candidates" in i and "reason" in i for i in data["items"])
    payctl("review", "ignore", ids["fee"])
    assert (
        len(
            list(
                csv.DictReader(io.StringIO(payctl("review", "export", "--state", "ignored").stdout))
            )
        )
        == 1
    )


# -------------------------------------------------------------------------- samples
@pytest.mark.parametrize("sample", SAMPLE_FILES or ["<missing>"])
def test_every_sample_file_imports(cli_env, sample):
    url = cli_env["PAYCTL_DATABASE_URL"]
    path = SAMPLES / sample
    out = js("import", path, "--journal", "BNK1")
    (file,) = out["files"]
    assert file["status"] == "imported", file
    assert file["lines_read"] > 0 or "no-ntry" in sample, file
    stored = table_counts(url)
    assert stored["bank_lines"] == file["lines_read"] - file["duplicates"] == file["new_lines"]
    assert stored["bank_statements"] == file["statements"]
    payctl("check")
    again = js("import", path, "--journal", "BNK1")["files"][0]
    assert again["duplicates"] == again["lines_read"] == file["lines_read"]
    assert table_counts(url) == stored

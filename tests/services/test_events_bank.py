"""Events of bank statements and bank lines (issue 13) on every backend: an import writes one
``bank_statement.imported`` per statement it stores and one event per line it matches or books,
none for lines it leaves in review, none when it adds nothing, fails or is a dry run; each
review command that succeeds writes exactly one event for its line, a refused one none.

The data is checked field by field against the contract (services/events/catalog.py).
`payctl check` passes after every test (the autouse ``_integrity`` of test_bank_import).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.errors import NotFound, RuleViolation
from payctl.importers.bank import BankFileError
from payctl.services.events import reader
from payctl.services.ledger.journal_service import JournalService
from tests.conftest import on_database, payctl
from tests.services.test_bank_import import (  # noqa: F401 - _integrity is an autouse fixture
    BAD_FILES,
    GLOBEX_IBAN,
    OWN_IBAN,
    _integrity,
    bank_lines,
    books,
    csv_bytes,
    imp,
    jsonl,
    mt940,
    payments,
    posted_payment,
    row,
)
from tests.services.test_review import call, setup_queue

LINE_KEYS = {
    "id",
    "statement_id",
    "journal_id",
    "journal",
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "counterparty_name",
    "counterparty_account",
    "remittance",
    "state",
    "link",
    "rule",
    "payment_id",
    "payment",
    "partner_id",
    "partner",
    "reason",
}


async def events(db: Database, after: int = 0) -> list[dict[str, Any]]:
    """Every event with an id above ``after``, in id order, as consumers see them."""
    async with db.session() as s:
        return await reader.after(s, after, 10_000)


async def last_id(db: Database) -> int:
    found = await events(db)
    return found[-1]["id"] if found else 0


def bank(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in found if e["object"]["type"] in ("bank_statement", "bank_line")]


async def line(db: Database, line_id: int) -> m.BankLine:
    return next(bl for bl in await bank_lines(db) if bl.id == line_id)


async def journal_id(db: Database, code: str = "BNK1") -> int:
    async with db.session() as s:
        return int(await s.scalar(select(m.Journal.id).where(m.Journal.code == code)))


async def partner_id(db: Database, name: str) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(m.Partner.id).where(m.Partner.name == name)))


def line_data(bl: m.BankLine, **names: Any) -> dict[str, Any]:
    """What a line's event holds (the stored line, named as the writer names its ids)."""
    return {
        "id": bl.id,
        "statement_id": bl.statement_id,
        "journal_id": bl.journal_id,
        "journal": "BNK1",
        "booking_date": bl.booking_date.isoformat(),
        "value_date": bl.value_date.isoformat() if bl.value_date else None,
        "amount": names.pop("amount"),
        "currency": bl.currency,
        "counterparty_name": bl.counterparty_name,
        "counterparty_account": bl.counterparty_account,
        "remittance": bl.remittance,
        "state": bl.state,
        "link": bl.link,
        "rule": bl.rule,
        "payment_id": bl.payment_id,
        "partner_id": bl.partner_id,
        "reason": bl.reason,
        **names,
    }


# --------------------------------------------------------------------------------- import
async def test_csv_import_writes_its_statement_and_each_matched_line(db):
    await books(db)
    pay = await posted_payment(db, "Globex Corporation", "250.00", "2026-02-01")
    rows = [
        row("1190.00", text="Invoice INV 2026 0001", name="ACME GmbH", tx="C1"),  # booked
        row("250.00", day="2026-02-04", iban=GLOBEX_IBAN, name="Globex", text="x", tx="C2"),
        row("-3.50", text="fee", tx="C3"),  # review
    ]
    before = await last_id(db)
    report = await imp(db, csv_bytes(*rows), source="in/statement.csv", auto_confirm=True)
    assert (report.payments_created, report.reconciled, report.unmatched) == (1, 1, 1)
    found = bank(await events(db, before))
    assert [e["type"] for e in found] == [
        "bank_line.booked",
        "bank_line.matched",
        "bank_statement.imported",
    ]
    booked, matched, fee = await bank_lines(db)
    (made,) = [p for p in await payments(db) if p["id"] != pay.id]
    assert made["number"] == "BNK1/2026/00002"  # posted by --auto-confirm in the same import
    acme, globex = await partner_id(db, "ACME GmbH"), await partner_id(db, "Globex Corporation")
    bnk1 = await journal_id(db)

    first = found[0]
    assert (first["actor"], first["schema"]) == ("tester", 1)
    assert first["object"] == {"type": "bank_line", "id": booked.id, "number": None}
    assert set(first["data"]) == LINE_KEYS
    assert first["data"] == line_data(
        booked, amount="1190.00", payment=made["number"], partner="ACME GmbH"
    )
    assert (first["data"]["state"], first["data"]["link"], first["data"]["rule"]) == (
        "matched",
        "created",
        "reference",
    )
    assert (first["data"]["payment_id"], first["data"]["partner_id"]) == (made["id"], acme)
    assert (first["data"]["booking_date"], first["data"]["journal_id"]) == ("2026-02-03", bnk1)

    second = found[1]
    assert second["data"] == line_data(
        matched, amount="250.00", payment=pay.number, partner="Globex Corporation"
    )
    assert (second["data"]["link"], second["data"]["rule"]) == ("reconciled", "payment")
    assert (second["data"]["payment_id"], second["data"]["partner_id"]) == (pay.id, globex)
    assert second["data"]["counterparty_account"] == GLOBEX_IBAN

    statement = found[2]
    assert statement["object"] == {"type": "bank_statement", "id": fee.statement_id, "number": None}
    assert statement["data"] == {
        "id": fee.statement_id,
        "journal_id": bnk1,
        "journal": "BNK1",
        "account": None,
        "currency": "EUR",
        "opening_balance": None,
        "closing_balance": None,
        "opening_date": "2026-02-03",  # a CSV's dates are those of its lines
        "closing_date": "2026-02-04",
        "file": "in/statement.csv",
        "lines": 3,
        "matched": 1,
        "booked": 1,
        "review": 1,
        "ignored": 0,
    }
    # the same file again adds nothing, and writes no event of any kind
    last = await last_id(db)
    again = await imp(db, csv_bytes(*rows), source="in/statement.csv", auto_confirm=True)
    assert (again.duplicates, again.new_lines) == (3, 0)
    assert await events(db, last) == []


async def test_one_event_per_statement_of_a_file(db):
    """A file of two statements: one event each, balances as decimal strings; a later file
    that re-sends the first statement stores it again with no line of its own."""
    await books(db)
    first = mt940(
        "S1", "1000,00", "2190,00", "260201", "260202", [("260202", "C1190,00", "INV-2026-0001")]
    )
    second = mt940(
        "S2",
        "2190,00",
        "2175,00",
        "260203",
        "260203",
        [("260203", "D10,00", "fee"), ("260203", "D5,00", "fee")],
    )
    before = await last_id(db)
    await imp(db, first + second, source="two.sta")
    found = bank(await events(db, before))
    assert [e["type"] for e in found] == ["bank_line.booked"] + ["bank_statement.imported"] * 2
    s1, s2 = (e["data"] for e in found[1:])
    assert s1["id"] < s2["id"]
    assert {k: s1[k] for k in ("account", "opening_balance", "closing_balance")} == {
        "account": OWN_IBAN,
        "opening_balance": "1000.00",
        "closing_balance": "2190.00",
    }
    assert (s1["opening_date"], s1["closing_date"], s1["file"]) == (
        "2026-02-01",
        "2026-02-02",
        "two.sta",
    )
    assert (s1["lines"], s1["booked"], s1["matched"], s1["review"], s1["ignored"]) == (
        1,
        1,
        0,
        0,
        0,
    )
    assert (s2["opening_balance"], s2["closing_balance"]) == ("2190.00", "2175.00")
    assert (s2["lines"], s2["booked"], s2["review"]) == (2, 0, 2)
    assert found[0]["data"]["statement_id"] == s1["id"]

    last = await last_id(db)
    await imp(db, first, source="again.sta")  # other bytes: a statement, its line known
    (resent,) = bank(await events(db, last))
    assert resent["type"] == "bank_statement.imported"
    assert (resent["data"]["file"], resent["data"]["lines"]) == ("again.sta", 0)


async def test_dry_run_and_bad_files_write_no_event(db):
    await books(db)
    before = await last_id(db)
    report = await imp(db, jsonl(row("1190.00", text="INV-2026-0001")), dry_run=True)
    assert report.payments_created == 1  # it matched and booked, then rolled back
    for case in ("csv bad amount", "truncated xml", "jsonl bad amount"):
        data, source, fmt, _words = BAD_FILES[case]
        with pytest.raises(BankFileError):
            await imp(db, data, source=source, input_format=fmt, auto_confirm=True)
    assert await events(db, before) == []


async def test_amounts_keep_their_currency(db):
    """An outgoing line of a KWD journal (three decimals): signed, with its own places."""
    async with db.session() as s:
        await JournalService(s, "tester").create_journal("KWD1", "KWD1", "bank", "KWD")
    before = await last_id(db)
    await imp(db, jsonl(row("-12.345", text="fee", tx="K1")), journal="KWD1")
    (statement,) = bank(await events(db, before))
    assert (statement["data"]["currency"], statement["data"]["journal"]) == ("KWD", "KWD1")
    assert (statement["data"]["lines"], statement["data"]["review"]) == (1, 1)
    (bl,) = await bank_lines(db)
    last = await last_id(db)
    await call(db, "ignore", bl.id, "fee")
    (ignored,) = bank(await events(db, last))
    assert (ignored["data"]["amount"], ignored["data"]["currency"]) == ("-12.345", "KWD")


# --------------------------------------------------------------------------------- review
async def test_each_review_command_writes_one_event(db):
    ids = await setup_queue(db)
    (pay,) = await payments(db)

    async def one(method: str, line_id: int, *args: Any, **kwargs: Any) -> dict[str, Any]:
        last = await last_id(db)
        await call(db, method, line_id, *args, **kwargs)
        (event,) = bank(await events(db, last))
        assert event["object"] == {"type": "bank_line", "id": line_id, "number": None}
        assert event["actor"] == "tester"
        assert set(event["data"]) == LINE_KEYS
        return event

    # accept the best candidate: a payment is made from the line
    event = await one("accept", ids["twin"])
    bl = await line(db, ids["twin"])
    assert event["type"] == "bank_line.booked"
    assert event["data"] == line_data(bl, amount="500.00", payment=None, partner="ACME GmbH")
    assert (bl.state, bl.link, bl.rule, bl.reason) == (
        "matched",
        "created",
        "manual",
        "accepted by tester",
    )
    # accept with a posted payment: reconciled
    event = await one("accept", ids["late"], payment=pay["number"])
    bl = await line(db, ids["late"])
    assert event["type"] == "bank_line.matched"
    assert event["data"] == line_data(
        bl, amount="250.00", payment=pay["number"], partner="Globex Corporation"
    )
    assert (event["data"]["link"], event["data"]["payment_id"]) == ("reconciled", pay["id"])
    # unmatch: back in review, unlinked
    event = await one("unmatch", ids["late"], "wrong payment")
    bl = await line(db, ids["late"])
    assert event["type"] == "bank_line.unmatched"
    assert event["data"] == line_data(
        bl, amount="250.00", payment=None, partner="Globex Corporation"
    )
    assert (event["data"]["state"], event["data"]["link"], event["data"]["payment_id"]) == (
        "review",
        None,
        None,
    )
    assert event["data"]["reason"] == "unmatched by tester"
    # ignore, ignore again (its reason changes), then accept the ignored line
    event = await one("ignore", ids["fee"], "bank fee, booked by hand")
    bl = await line(db, ids["fee"])
    assert event["type"] == "bank_line.ignored"
    assert event["data"] == line_data(bl, amount="-12.00", payment=None, partner=None)
    assert (event["data"]["state"], event["data"]["reason"]) == (
        "ignored",
        "bank fee, booked by hand",
    )
    event = await one("ignore", ids["fee"], "monthly fee")
    assert (event["type"], event["data"]["reason"]) == ("bank_line.ignored", "monthly fee")
    event = await one("accept", ids["fee"], partner="Supplier BV")
    assert (event["type"], event["data"]["state"], event["data"]["partner"]) == (
        "bank_line.booked",
        "matched",
        "Supplier BV",
    )


async def test_refused_review_commands_write_no_event(db):
    ids = await setup_queue(db)
    (pay,) = await payments(db)
    await call(db, "accept", ids["twin"])
    before = await last_id(db)
    with pytest.raises(RuleViolation, match="already matched"):
        await call(db, "accept", ids["twin"])
    with pytest.raises(RuleViolation, match="unmatch it first"):
        await call(db, "ignore", ids["twin"])
    with pytest.raises(RuleViolation, match="is not matched"):
        await call(db, "unmatch", ids["fee"])
    with pytest.raises(RuleViolation, match="does not match bank line"):
        await call(db, "accept", ids["unknown"], payment=pay["number"])
    with pytest.raises(RuleViolation, match="goes the other way"):  # an outgoing line
        await call(db, "accept", ids["fee"], [("INV-2026-0001", None)], auto_confirm=True)
    with pytest.raises(NotFound):
        await call(db, "ignore", 999_999)
    assert await events(db, before) == []


def test_standard_input_is_named_as_the_import_names_it(init_url, cli_env):
    """Through the CLI: `payctl import -` reads JSON lines from standard input."""
    on_database(init_url, books)
    before = on_database(init_url, last_id)
    data = jsonl(row("1190.00", text="INV-2026-0001", tx="S1"), row("-2.00", tx="S2"))
    payctl("import", "-", "--journal", "BNK1", input=data)
    found = bank(on_database(init_url, events, before))
    assert [e["type"] for e in found] == ["bank_line.booked", "bank_statement.imported"]
    assert found[1]["actor"] == "tester"
    assert {k: found[1]["data"][k] for k in ("file", "lines", "booked", "review")} == {
        "file": "<stdin>",
        "lines": 2,
        "booked": 1,
        "review": 1,
    }

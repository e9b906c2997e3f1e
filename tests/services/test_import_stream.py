"""A large bank file is imported a chunk at a time (bank_extract_service.STREAM_BYTES: read
twice, never held whole as lines): the rows, events, audit records and report are exactly
those of the whole-file import of the same bytes. Here the chunks are made tiny (a few rows,
bookings of a few lines) so every file spans many of them: identical lines and repeated
transaction ids across chunk boundaries, statements whose lines cross chunks, a re-import that
adds nothing, and a bad line in a late chunk that leaves nothing written."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import DateTime, select

from payctl.config import normalise_url
from payctl.db import models as m
from payctl.db.engine import Database
from payctl.importers.bank import BankFileError
from payctl.services.bank import bank_extract_service
from payctl.services.bank.streamed_file import StreamedFile
from payctl.services.ledger.journal_service import JournalService
from tests.conftest import PG_URL, _reset_postgres, fresh_url, init_database
from tests.services.exact_rows import AUDIT_COLUMNS, EVENT_COLUMNS, freeze_writers, read_rows
from tests.services.test_bank_import import (
    ACME_IBAN,
    GLOBEX_IBAN,
    books,
    counts,
    csv_bytes,
    imp,
    jsonl,
    row,
)

TABLES = (
    m.BankStatement,
    m.BankLine,
    m.Payment,
    m.PaymentAllocation,
    m.JournalEntry,
    m.JournalLine,
    m.Invoice,
)


def _columns(model: Any) -> tuple[Any, ...]:
    """Every column but the clock's (when the row was written)."""
    return tuple(c for c in model.__table__.columns if not isinstance(c.type, DateTime))


def _lines() -> list[dict[str, str]]:
    """Lines that cross every chunk boundary: identical lines without an id (numbered by
    occurrence over the whole file), a transaction id given twice far apart (then neither is
    an id fingerprint), a reference paid in three parts, IBAN and name matches, noise."""
    out = []
    for i in range(30):
        day = f"2026-02-{3 + i % 4:02d}"
        if i % 5 == 0:
            out.append(row("-3.50", day="2026-02-03", text="card fee"))  # identical, no id
        elif i % 7 == 0:
            out.append(row("-9.99", day=day, text=f"shop {i}", tx="DUP"))  # DUP twice or more
        else:
            out.append(row(f"{i}.01", day=day, text=f"noise {i}", name=f"Somebody {i}", tx=f"N{i}"))
    out[2] = row("400.00", text="INV-2026-0001 part 1", name="ACME GmbH", tx="P1")
    out[13] = row("400.00", day="2026-02-04", text="INV-2026-0001 part 2", tx="P2")
    out[26] = row("390.00", day="2026-02-05", text="INV-2026-0001 part 3", tx="P3")
    out[8] = row("800.00", iban=GLOBEX_IBAN, text="G-100", tx="G1")
    out[17] = row("300.00", iban=ACME_IBAN, text="INV-2026-0003", tx="A3")
    out[22] = row("-450.00", day="2026-02-06", text="BILL-1", name="Supplier BV", tx="B1")
    return out


def _two_accounts() -> bytes:
    """JSON lines of two accounts, one after the other: two statements, both crossing chunks."""
    lines = [
        {**r, "account": "DE02120300000000202051" if i < 9 else "DE02500105170137075030"}
        for i, r in enumerate(_lines()[:20])
    ]
    return jsonl(*lines)


def _balance_csv() -> bytes:
    """A CSV with a running balance: the statement's balances come from its chain."""
    head = "Date,Amount,Currency,Name,Description,Balance\n"
    body, balance = "", 1000
    for i in range(11):
        balance += 100 + i
        body += f"2026-02-{3 + i % 3:02d},{100 + i}.00,EUR,Name {i},text {i},{balance}.00\n"
    return (head + body).encode()


def _report(report: Any) -> dict[str, Any]:
    return dataclasses.asdict(report)


async def _scenario(url: str) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """Three files imported, each again; every report and every row written."""
    db = Database(url)
    try:
        await books(db)
        await _savings(db)
        reports = []
        big = csv_bytes(*_lines())
        reports.append(await imp(db, big, source="big.csv", auto_confirm=True))
        reports.append(await imp(db, big, source="big.csv"))
        reports.append(await imp(db, _two_accounts(), source="two.jsonl", journal="BNK2"))
        reports.append(await imp(db, _two_accounts(), source="two.jsonl", journal="BNK2"))
        reports.append(await imp(db, _balance_csv(), source="balance.csv"))
        tables = {"events": EVENT_COLUMNS, "audit": AUDIT_COLUMNS}
        tables |= {model.__tablename__: _columns(model) for model in TABLES}
        rows = await read_rows(db, tables)
        return [_report(r) for r in reports], rows
    finally:
        await db.dispose()


def _stream(monkeypatch: pytest.MonkeyPatch, on: bool, preload: int = 200_000) -> None:
    monkeypatch.setattr(bank_extract_service, "STREAM_BYTES", 0 if on else 1 << 40)
    monkeypatch.setattr(bank_extract_service, "STREAM_ROWS", 3)
    monkeypatch.setattr(bank_extract_service, "PRELOAD_ROWS", preload)


async def _savings(db: Database) -> None:
    async with db.session() as s:
        await JournalService(s, "tester").create_journal("BNK2", "Savings")


async def _fresh(backend: str, tmp_path: Path, name: str) -> str:
    """An initialised empty database (PostgreSQL: the test database, emptied)."""
    (tmp_path / name).mkdir()
    if backend == "sqlite":
        url = fresh_url(backend, tmp_path / name)
    else:
        assert PG_URL
        url = normalise_url(PG_URL)
        await _reset_postgres(url)
    await init_database(url)
    return url


@pytest.mark.parametrize("preload", [200_000, 0], ids=["stored-lines-read-once", "probed"])
async def test_a_streamed_import_writes_what_the_whole_file_import_writes(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preload: int
) -> None:
    freeze_writers(monkeypatch, chunk=3)
    monkeypatch.setattr(bank_extract_service, "BOOK_CHUNK", 4)
    _stream(monkeypatch, on=False)
    whole = await _scenario(await _fresh(backend, tmp_path, "whole"))
    _stream(monkeypatch, on=True, preload=preload)
    streamed = await _scenario(await _fresh(backend, tmp_path, "streamed"))
    reports = whole[0]
    assert reports[0]["new_lines"] == 30 and reports[0]["payments_created"] >= 5
    assert reports[1]["new_lines"] == 0 and reports[1]["duplicates"] == 30  # adds nothing
    assert reports[2]["statements"] == 2 and reports[3]["new_lines"] == 0
    assert streamed[0] == reports
    assert streamed[1] == whole[1]


async def test_the_streamed_path_is_taken(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _stream(monkeypatch, on=True)
    opened: list[int] = []
    original = StreamedFile.read

    def spy(open_: Any, source: str, rows: int) -> Any:
        def counted() -> Any:
            opened.append(1)
            return open_()

        return original(counted, source, rows)

    monkeypatch.setattr(StreamedFile, "read", staticmethod(spy))
    await books(db)
    report = await imp(db, csv_bytes(*_lines()), source="big.csv")
    assert report.new_lines == 30
    assert len(opened) == 2  # read twice: the first pass, then the chunks


def _bad(kind: str) -> tuple[bytes, str]:
    lines = _lines()
    if kind == "amount":  # the reader refuses it
        return csv_bytes(*lines) + b"2026-02-03,abc,EUR,,,x,T9\n", "big.csv"
    if kind == "date":  # implausible: the first pass's date check
        return csv_bytes(*lines, row("1.00", day="1850-01-01", tx="OLD")), "big.csv"
    if kind == "nul":  # the first pass's text check
        return csv_bytes(*lines, row("1.00", text="a\x00b", tx="NUL")), "big.csv"
    # more decimals than the journal's currency: refused while the lines are booked
    rows = [{k: v for k, v in r.items() if k != "currency"} for r in lines]
    return jsonl(*rows, row("1.234", tx="MINOR")), "big.jsonl"


@pytest.mark.parametrize("kind", ["amount", "date", "nul", "decimals"])
async def test_a_bad_line_in_a_late_chunk_leaves_nothing_written(
    db: Database, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setattr(bank_extract_service, "BOOK_CHUNK", 4)
    await books(db)
    data, source = _bad(kind)
    _stream(monkeypatch, on=False)
    with pytest.raises(BankFileError) as whole:
        await imp(db, data, source=source)
    before = await counts(db)
    _stream(monkeypatch, on=True)
    with pytest.raises(BankFileError) as streamed:
        await imp(db, data, source=source)
    assert str(streamed.value) == str(whole.value)
    assert await counts(db) == before
    assert before["bank_lines"] == 0


async def test_interleaved_statements_are_read_whole(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines of two accounts taking turns: statement order is not file order, so the file is
    read whole (the result is the whole-file import's)."""
    _stream(monkeypatch, on=True)
    await books(db)
    await _savings(db)
    accounts = ["DE02120300000000202051", "DE02500105170137075030"]
    lines = [{**r, "account": accounts[i % 2]} for i, r in enumerate(_lines()[:12])]
    report = await imp(db, jsonl(*lines), source="mixed.jsonl", journal="BNK2")
    assert report.statements == 2 and report.new_lines == 12
    async with db.session() as s:
        seqs = (
            await s.execute(
                select(m.BankStatement.seq, m.BankLine.id)
                .join(m.BankLine, m.BankLine.statement_id == m.BankStatement.id)
                .order_by(m.BankLine.id)
            )
        ).all()
    assert [seq for seq, _ in seqs] == [0] * 6 + [1] * 6  # statement order, as before

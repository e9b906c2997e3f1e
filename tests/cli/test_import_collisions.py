"""Bank lines that collide after parsing, built from real sample files (issue "Trust first",
point 11): a re-sent line with another date, identical lines inside one file (one statement
or two statements of one account), and the same bytes read with two readings. Each imports
with exit 0, stores identical lines under distinct fingerprints, and a re-import adds nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from payctl.db import models as m
from payctl.db.engine import Database
from tests.conftest import payctl
from tests.conftest import payctl_json as js
from tests.samples import BANK_SAMPLES

KNAB = BANK_SAMPLES / "mt940" / "knab_fruitl00p.sta"
POS = b":61:1512031203D15,NTRFNONREF\r\n:86:03-12-2015 16:04 PAS: 1122\r\nNAAM: POS\r\n"


def pos_block(data: bytes) -> bytes:
    block = POS if POS in data else POS.replace(b"\r\n", b"\n")
    assert data.count(block) == 1
    return block


def stored(url: str) -> tuple[int, int, int]:
    """(bank lines, distinct fingerprints, statements)."""

    async def read() -> tuple[int, int, int]:
        db = Database(url)
        try:
            async with db.session() as s:
                lines = await s.scalar(select(func.count()).select_from(m.BankLine))
                fps = await s.scalar(select(func.count(func.distinct(m.BankLine.fingerprint))))
                sts = await s.scalar(select(func.count()).select_from(m.BankStatement))
                return int(lines or 0), int(fps or 0), int(sts or 0)
        finally:
            await db.dispose()

    return asyncio.run(read())


def imported(path: Path, *options: str) -> dict[str, Any]:
    return js("import", path, "--journal", "BNK1", *options)["files"][0]


def test_resent_line_with_another_date_is_a_duplicate(
    cli_env: dict[str, str], init_url: str, tmp_path: Path
) -> None:
    """The knab line with a bank id (B6D29PGWUM0RDZ4H) re-sent dated a day earlier: the id
    fingerprint does not cover the date, so it is found although outside the file's dates."""
    first = imported(KNAB)
    assert first["new_lines"] == 5
    data = KNAB.read_bytes()
    assert data.count(b":61:1604290429D96,84") == 1
    moved = tmp_path / "knab_moved.sta"
    moved.write_bytes(data.replace(b":61:1604290429D96,84", b":61:1604280428D96,84"))
    again = imported(moved)
    assert again["new_lines"] == 0  # every line is already stored
    assert again["duplicates"] == 5
    assert again["changed"] == 1
    assert stored(init_url)[:2] == (5, 5)


RESENT = b":61:1604290429D96,84"  # the knab line with bank id B6D29PGWUM0RDZ4H, file line 17
NEW_LINE = b":61:1512041204D20,00N105NONREF//NEWLINE0000001", b":86:/NAME/NEW PARTY/REMI/NEW"


def stored_line(url: str, transaction_id: str) -> tuple[Any, ...]:
    """(booking date, value date, amount) of the stored line with that bank id."""

    async def read() -> tuple[Any, ...]:
        db = Database(url)
        try:
            async with db.session() as s:
                row = (
                    await s.execute(
                        select(
                            m.BankLine.booking_date, m.BankLine.value_date, m.BankLine.amount
                        ).where(m.BankLine.transaction_id == transaction_id)
                    )
                ).one()
                return tuple(row)
        finally:
            await db.dispose()

    return asyncio.run(read())


@pytest.mark.parametrize(
    ("resent", "fields"),
    [
        (
            b":61:1604280428D96,84",
            [
                {"field": "booking_date", "stored": "2016-04-29", "file": "2016-04-28"},
                {"field": "value_date", "stored": "2016-04-29", "file": "2016-04-28"},
            ],
        ),
        (
            b":61:1604290429D96,85",
            [{"field": "amount", "stored": "-96.84", "file": "-96.85"}],
        ),
    ],
    ids=["date", "amount"],
)
def test_resent_line_that_differs_is_reported_changed_and_the_first_kept(
    cli_env: dict[str, str],
    init_url: str,
    tmp_path: Path,
    resent: bytes,
    fields: list[dict[str, str]],
) -> None:
    """The knab file sent again with its bank-id line corrected (another date, another
    amount) and one genuinely new line: exit 0, the new line imports, the known line is a
    duplicate reported as changed (which line, which fields, stored and file values) in JSON,
    in the table and on stderr, and the stored line keeps its first version."""
    assert imported(KNAB)["new_lines"] == 5
    before = stored_line(init_url, "B6D29PGWUM0RDZ4H")
    data = KNAB.read_bytes()
    nl = b"\r\n" if b"\r\n" in data else b"\n"
    assert data.count(RESENT) == 1 and data.count(b":62M:") == 1
    again = tmp_path / "knab_again.sta"
    again.write_bytes(
        data.replace(RESENT, resent).replace(b":62M:", nl.join(NEW_LINE) + nl + b":62M:")
    )
    out = imported(again)
    assert (out["lines_read"], out["duplicates"], out["new_lines"]) == (6, 5, 1)
    assert out["changed"] == 1
    assert out["changes"] == [
        {"line": 17, "transaction_id": "B6D29PGWUM0RDZ4H", "bank_line": 5, "fields": fields}
    ]
    assert stored(init_url)[:2] == (6, 6)
    assert stored_line(init_url, "B6D29PGWUM0RDZ4H") == before
    table = payctl("import", again, "--journal", "BNK1")
    assert "Changed" in table.stdout
    message = next(ln for ln in table.stderr.splitlines() if "B6D29PGWUM0RDZ4H" in ln)
    assert message.startswith(f"warning: {again}: line 17: bank transaction B6D29PGWUM0RDZ4H")
    for f in fields:
        assert f"{f['field']}: {f['stored']} stored, {f['file']} in the file" in message
    assert message.endswith("the stored line is kept")
    assert js("import", again, "--journal", "BNK1")["totals"]["changed"] == 1
    assert stored(init_url)[:2] == (6, 6)


def test_identical_lines_in_one_statement_stay_distinct(
    cli_env: dict[str, str], init_url: str, tmp_path: Path
) -> None:
    """A :61:/:86: pair repeated inside the knab statement (two equal card payments on one
    day): both are stored under distinct fingerprints; importing again adds nothing; the
    original file (one of them) is a duplicate of what is stored."""
    data = KNAB.read_bytes()
    block = pos_block(data)
    twice = tmp_path / "knab_twice.sta"
    twice.write_bytes(
        data.replace(block, block + block).replace(b"C151203EUR945,21", b"C151203EUR930,21")
    )
    out = imported(twice)
    assert out["new_lines"] == 6
    assert stored(init_url)[:2] == (6, 6)
    assert imported(twice)["new_lines"] == 0
    assert imported(KNAB)["new_lines"] == 0
    assert stored(init_url)[:2] == (6, 6)


def test_one_accounts_two_statements_with_a_repeated_line(
    cli_env: dict[str, str], init_url: str, tmp_path: Path
) -> None:
    """Two knab statements of one account in one file, the second repeating the first's POS
    line: the two lines get distinct fingerprints (the file's lines of one account are
    fingerprinted together), and a re-import adds nothing."""
    data = KNAB.read_bytes()
    block = pos_block(data)
    nl = b"\r\n" if b"\r\n" in data else b"\n"
    second = (
        b"{1:F01KNABNL2HAXXX0000000000}{2:I940KNABNL2HXXXXN3020}{4:"
        + nl
        + b":20:B5L04MSAU20N3I9A"
        + nl
        + b":25:0762918446"
        + nl
        + b":28C:20/4"
        + nl
        + b":60F:C151203EUR945,21"
        + nl
        + block
        + b":62F:C151203EUR930,21"
        + nl
        + b"-}"
        + nl
    )
    two = tmp_path / "knab_two_statements.sta"
    two.write_bytes(data.rstrip(b"\r\n") + nl + second)
    out = imported(two)
    assert out["statements"] == 2
    assert out["new_lines"] == 6
    assert stored(init_url) == (6, 6, 2)
    assert imported(two)["new_lines"] == 0
    assert stored(init_url) == (6, 6, 2)


def test_same_bytes_read_with_two_profiles(cli_env: dict[str, str], init_url: str) -> None:
    """The bunq sample read with its own profile and then the generic one: the second
    reading's lines (other text, so other fingerprints) join the stored statement instead of
    a second statement for the same file and position (UNIQUE journal, hash, seq)."""
    bunq = BANK_SAMPLES / "csv" / "bunq-nl_2019.csv"
    first = imported(bunq, "--profile", "bunq")
    assert first["new_lines"] > 0
    lines, _fps, statements = stored(init_url)
    imported(bunq, "--profile", "generic")
    after = stored(init_url)
    assert after[2] == statements
    assert after[0] >= lines and after[0] == after[1]
    assert imported(bunq, "--profile", "generic")["new_lines"] == 0
    assert imported(bunq, "--profile", "bunq")["new_lines"] == 0

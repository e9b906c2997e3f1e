"""Bank lines that collide after parsing, built from real sample files (issue "Trust first",
point 11): a re-sent line with another date, identical lines inside one file (one statement
or two statements of one account), and the same bytes read with two readings. Each imports
with exit 0, stores identical lines under distinct fingerprints, and a re-import adds nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from payctl.db import models as m
from payctl.db.engine import Database
from tests.cli.test_cli_import import js
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
    assert stored(init_url)[:2] == (5, 5)


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

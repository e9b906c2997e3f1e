"""Fuzzed bank files through `payctl import` (issue "Trust first", point 11).

Every sample file under tests/data/banks gets a fixed set of seeded mutations (truncation,
byte flips, digit changes in dates and amounts, huge and odd numbers, impossible dates, a
duplicated line, an empty file, binary junk, another encoding), each imported through the CLI
into one SQLite database per sample that already holds the original file. Whatever the bytes,
the import ends with exit 0 or 2, never a traceback or an internal error; on exit 2 stderr is
one line and the file wrote nothing. Deterministic: random.Random(f"{name}:{i}").
"""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
from pathlib import Path

import pytest

from payctl.config import normalise_url
from payctl.db import models as m
from tests.conftest import init_database, payctl
from tests.samples import BANK_SAMPLES

SAMPLES = sorted(
    str(p.relative_to(BANK_SAMPLES))
    for p in BANK_SAMPLES.rglob("*")
    if p.is_file() and p.name != "PROVENANCE.md"
)
MUTATIONS = 12  # per sample file; every kind below at least once
TABLES = [t.__tablename__ for t in (m.BankStatement, m.BankLine, m.Payment)]


def _digit_positions(data: bytes) -> list[int]:
    return [i for i, c in enumerate(data) if 48 <= c <= 57]


def _digits(data: bytes, rng: random.Random) -> bytes:
    """1 to 3 digits (dates, amounts, ids) changed."""
    at = _digit_positions(data)
    b = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if at:
            b[rng.choice(at)] = rng.randrange(48, 58)
    return bytes(b)


def _number(data: bytes, rng: random.Random, values: list[bytes]) -> bytes:
    runs = list(re.finditer(rb"\d+", data))
    if not runs:
        return data + rng.choice(values)
    run = rng.choice(runs)
    return data[: run.start()] + rng.choice(values) + data[run.end() :]


def _huge(data: bytes, rng: random.Random) -> bytes:
    return _number(data, rng, [b"9" * 40, b"1" + b"0" * 25, b"99999999999999999999,99"])


def _odd(data: bytes, rng: random.Random) -> bytes:
    return _number(data, rng, [b"-0", b"1e309", b"NaN", b"Infinity", b"0" * 12, b"-", b"1.2.3"])


def _date(data: bytes, rng: random.Random) -> bytes:
    """A date made impossible: month 13 or 00, day 32 or 00, in ISO or YYMMDD form."""
    dates = list(re.finditer(rb"(\d{4})-(\d{2})-(\d{2})|(?<!\d)(\d{2})(\d{2})(\d{2})(?!\d)", data))
    if not dates:
        return _digits(data, rng)
    d = rng.choice(dates)
    group = rng.choice([2, 3] if d.group(1) else [5, 6])
    bad = rng.choice([b"13", b"00", b"32", b"99"])
    return data[: d.start(group)] + bad + data[d.end(group) :]


def _flips(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if b:
            b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))] if data else data


def _duplicate_line(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=True)
    if not lines:
        return data
    i = rng.randrange(len(lines))
    return b"".join(lines[: i + 1] + lines[i:])


def _empty(data: bytes, rng: random.Random) -> bytes:
    return rng.choice([b"", b"\n", b"\xef\xbb\xbf", b"   \r\n\r\n"])


def _junk(data: bytes, rng: random.Random) -> bytes:
    junk = rng.randbytes(rng.randint(1, 4096))
    return rng.choice([junk, data[:64] + junk, junk + data])


def _encoding(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    encoding = rng.choice(["utf-16", "utf-16-le", "utf-32", "cp1252", "cp852", "utf-8-sig"])
    return text.encode(encoding, errors="replace")


KINDS = [_digits, _date, _huge, _odd, _flips, _truncate, _duplicate_line, _empty, _junk, _encoding]


def mutate(name: str, i: int, data: bytes) -> bytes:
    rng = random.Random(f"{name}:{i}")
    return KINDS[i % len(KINDS)](data, rng)


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.mark.parametrize("sample", SAMPLES or ["<missing>"])
def test_mutated_sample_imports_cleanly(
    sample: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = BANK_SAMPLES / sample
    assert source.is_file(), f"missing sample {sample}"
    monkeypatch.setenv("PAYCTL_USER", "fuzzer")
    db_path = tmp_path / "fuzz.db"
    url = normalise_url(f"sqlite:///{db_path}")
    asyncio.run(init_database(url))
    data = source.read_bytes()
    payctl("--database-url", url, "import", source, "--journal", "BNK1")
    for i in range(MUTATIONS):
        mutated = tmp_path / f"{source.stem}.m{i}{source.suffix}"
        mutated.write_bytes(mutate(sample, i, data))
        before = counts(db_path)
        result = payctl("--database-url", url, "import", mutated, "--journal", "BNK1", code=None)
        what = f"{sample} mutation {i} ({KINDS[i % len(KINDS)].__name__})"
        assert result.exit_code in (0, 2), f"{what}: exit {result.exit_code}\n{result.stderr}"
        if result.exit_code == 2:
            lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
            assert len(lines) == 1 and lines[0].startswith("payctl: error:"), f"{what}: {lines}"
            assert counts(db_path) == before, f"{what}: exit 2 but rows written"
    payctl("--database-url", url, "check")

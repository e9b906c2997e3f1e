"""`payctl check` after a large `payctl import --auto-confirm`, and its statement timeout.

The books come from the benchmark generator (benchmarks/bench_import.py): partners with IBANs,
open invoices, a bank CSV whose lines pay them in full, in instalments, by IBAN, by name, or are
noise. Right after the import PostgreSQL has no planner statistics for the new rows; check
used to join two aggregates there as a nested loop over every pair (85 s at 50,000 lines, over
the old 120 s client timeout on a busy machine, reported as "database unavailable").
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from benchmarks.bench_check import build_books
from benchmarks.bench_import import make_lines, make_master, write_csv
from payctl.errors import EXIT_DATABASE
from payctl.services.ledger.integrity_service import CHECKS
from tests.conftest import payctl

# Every statement of a check at 10,000 lines takes well under 0.2 s on either backend; the
# pairwise nested loop took several seconds. The server-side timeout turns that into a failure
# that names the statement instead of a flaky wall-clock bound on the whole run.
PLAN_BOUND_SECONDS = "3"


@pytest.fixture
def imported(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    rnd = random.Random(2026)
    partners, invoices = make_master(600, 10_000, rnd)
    lines, _ = make_lines(10_000, invoices, rnd)
    extract = tmp_path / "extract.csv"
    write_csv(extract, lines)
    asyncio.run(build_books(db_url, partners, invoices))
    monkeypatch.setenv("PAYCTL_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYCTL_USER", "tester")
    payctl("--quiet", "import", extract, "--journal", "BNK1", "--auto-confirm")
    return db_url


@pytest.mark.slow
def test_check_passes_after_importing_10000_lines(imported, backend, monkeypatch):
    monkeypatch.setenv("PAYCTL_STATEMENT_TIMEOUT", PLAN_BOUND_SECONDS)
    result = payctl("check")
    assert f"ok: {len(CHECKS)} checks passed" in result.output
    if backend != "postgresql":
        return  # statement_timeout is a PostgreSQL setting
    # same books (built once, they take a while): a statement cancelled by the server's
    # statement_timeout (SQLSTATE 57014) says so, it is not "cannot use database"
    monkeypatch.setenv("PAYCTL_STATEMENT_TIMEOUT", "0.001")
    result = payctl("check", code=EXIT_DATABASE)
    assert result.output.strip().splitlines() == [
        "payctl: error: a statement ran longer than the 0.001 s statement timeout "
        "(PAYCTL_STATEMENT_TIMEOUT) and was cancelled; nothing was written. Raise "
        "PAYCTL_STATEMENT_TIMEOUT (seconds, 0 = no limit) or retry when the database is "
        "less busy"
    ]


LOADED = (
    "bank_lines",
    "bank_statements",
    "invoices",
    "journal_entries",
    "journal_lines",
    "payment_allocations",
    "payments",
)


async def _statistics(url: str) -> dict[str, tuple[object, float, int]]:
    """Per loaded table: (last manual ANALYZE, the planner's row count, the real count).
    Autovacuum's analyses set last_autoanalyze, not last_analyze: only payctl sets this."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        out = {}
        for name in LOADED:
            row = await conn.fetchrow(
                "SELECT s.last_analyze, c.reltuples FROM pg_stat_user_tables s "
                "JOIN pg_class c ON c.oid = s.relid WHERE s.relname = $1",
                name,
            )
            count = await conn.fetchval(f"SELECT count(*) FROM {name}")
            out[name] = (row["last_analyze"], float(row["reltuples"]), int(count))
        return out
    finally:
        await conn.close()


async def _plans(url: str, stale: bool) -> list[tuple[str, dict]]:
    """(statement, EXPLAIN ANALYZE plan) of every SELECT `payctl check` sends, replayed in one
    read snapshot with check's planner settings (integrity_service.whole_table_plans); with
    ``stale``, first with the statistics of payctl's tables taken while every payment was a
    draft (as after a bulk create) and then put back as they are (posted)."""
    from sqlalchemy import event, text

    from payctl.db.engine import Database
    from payctl.services.ledger.integrity_service import (
        IntegrityService,
        read_snapshot,
        whole_table_plans,
    )

    db = Database(url)
    sent: list[tuple[str, tuple[object, ...]]] = []

    def record(conn, cur, stmt, params, ctx, many):
        if stmt.lstrip().upper().startswith("SELECT"):
            sent.append((stmt, tuple(params or ())))

    try:
        if stale:
            async with db.engine.begin() as c:
                await c.execute(text("UPDATE payments SET state = 'draft'"))
            async with db.engine.begin() as c:
                await c.execute(text("ANALYZE payments"))
            async with db.engine.begin() as c:
                await c.execute(text("UPDATE payments SET state = 'posted'"))
        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        async with db.session() as s:
            assert await IntegrityService(s, "tester").check() == []
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        out = []
        async with db.session() as s, read_snapshot(s):
            await whole_table_plans(s)
            raw = (await s.connection()).sync_connection.connection.driver_connection
            for stmt, params in sent:
                plan = await raw.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + stmt, *params)
                tree = json.loads(plan) if isinstance(plan, str) else plan  # codec or text
                out.append((" ".join(stmt.split())[:100], tree[0]["Plan"]))
        return out
    finally:
        await db.dispose()


def _nodes(plan: dict) -> list[dict]:
    return [plan] + [n for child in plan.get("Plans", []) for n in _nodes(child)]


@pytest.fixture
def postgresql_only(backend: str) -> None:
    """Before the books are built: planner statistics are PostgreSQL's (payctl runs no
    ANALYZE on SQLite)."""
    if backend != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")


@pytest.mark.slow
def test_check_plans_after_a_large_import_on_postgresql(postgresql_only, imported):
    """Right after a large import PostgreSQL plans `check` from statistics of the loaded
    tables (payctl ran ANALYZE on them, not autovacuum a minute later): no estimate is off by
    100x on a node producing 1000+ rows. And with statistics gone stale (taken while the
    payments were drafts), check's statements still plan no nested loop."""
    for name, (analyzed, planned, count) in asyncio.run(_statistics(imported)).items():
        assert analyzed is not None, f"{name}: never analyzed"
        assert abs(planned - count) <= count * 0.1 + 10, (name, planned, count)
    off = [
        f"{n['Node Type']} planned {n['Plan Rows']} rows, got {n['Actual Rows']}: {stmt}"
        for stmt, plan in asyncio.run(_plans(imported, stale=False))
        for n in _nodes(plan)
        if n["Actual Rows"] >= 1000 and n["Plan Rows"] * 100 <= n["Actual Rows"]
    ]
    assert off == []
    loops = [
        f"{n['Node Type']}: {stmt}"
        for stmt, plan in asyncio.run(_plans(imported, stale=True))
        for n in _nodes(plan)
        if n["Node Type"] == "Nested Loop"
    ]
    assert loops == []

"""Bulk runs from separate processes (issue 4, "Tests"): two processes bulk-confirming
overlapping sets, and a `payctl bulk confirm` killed with SIGKILL half-way then re-run.

Workers are real processes with their own engines (tests/procs/bulk_worker.py, or the payctl
CLI itself), so SQLite's file lock and PostgreSQL's row locks are what keep every payment
posted once and the numbers gapless. Runs on every backend of the ``backend`` fixture.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from payctl.db.engine import Database
from payctl.db.models import AuditRecord, JournalEntry
from tests.procs.bulk_worker import count_state, integrity_problems, payment_states, seed_drafts
from tests.procs.startline import release

ROOT = Path(__file__).resolve().parent.parent.parent
WORKER = ROOT / "tests" / "procs" / "bulk_worker.py"

pytestmark = pytest.mark.slow


async def _seed(url: str, n: int) -> list[int]:
    db = Database(url)
    try:
        async with db.session() as session:
            return await seed_drafts(session, n)
    finally:
        await db.dispose()


async def _final_state(
    url: str,
) -> tuple[dict[int, tuple[str, str | None]], list[str], dict[Any, int], int]:
    """payment (state, number), integrity problems, entries per payment, confirm audit rows."""
    db = Database(url)
    try:
        async with db.session() as s:
            states = await payment_states(s)
            problems = await integrity_problems(s)
            entries = dict(
                (
                    await s.execute(
                        select(JournalEntry.payment_id, func.count())
                        .where(JournalEntry.payment_id.is_not(None))
                        .group_by(JournalEntry.payment_id)
                    )
                ).all()
            )
            confirms = await s.scalar(
                select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "confirm")
            )
            return states, problems, entries, int(confirms or 0)
    finally:
        await db.dispose()


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PAYCTL_DATABASE_URL=url,
        PAYCTL_USER="tester",
        PAYCTL_BUSY_TIMEOUT="120",
        PYTHONPATH=str(ROOT),
    )
    return env


def _assert_uninterrupted_result(ids: list[int], url: str) -> None:
    """What one uninterrupted run gives: every payment posted once, numbered 1..N in id order
    (batches go in id order), one entry and one confirm audit record each, books sound."""
    states, problems, entries, confirms = asyncio.run(_final_state(url))
    assert [states[i] for i in ids] == [
        ("posted", f"BNK1/2026/{k:05d}") for k in range(1, len(ids) + 1)
    ]
    assert {entries.get(i, 0) for i in ids} == {1}
    assert confirms == len(ids)
    assert problems == []


def test_two_processes_confirming_overlapping_sets_post_each_payment_once(
    init_url: str, tmp_path: Path
) -> None:
    ids = asyncio.run(_seed(init_url, 2000))
    first, second = ids[:1400], ids[600:][::-1]  # 800 in common; the second walks backwards
    go = tmp_path / "go"
    procs = []
    for name, chosen in (("a", first), ("b", second)):
        listing = tmp_path / f"{name}.txt"
        listing.write_text("\n".join(map(str, chosen)) + "\n")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(WORKER),
                    init_url,
                    str(listing),
                    "--go",
                    str(go),
                    "--ready",
                    str(tmp_path / f"{name}.ready"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(init_url),
            )
        )
    results = []
    try:
        release(procs, [tmp_path / f"{n}.ready" for n in "ab"], go)  # both at the start line
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, (out, err)
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:  # a failed or hung run leaves no worker behind
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    assert all(r["failed"] == 0 and r["batches"] == 2 for r in results), results
    assert sum(r["succeeded"] for r in results) == 2000  # each payment posted by one process
    assert sum(r["skipped"] for r in results) == 800  # ...and skipped by the other
    states, problems, entries, confirms = asyncio.run(_final_state(init_url))
    assert {states[i][0] for i in ids} == {"posted"}
    assert sorted(states[i][1] or "" for i in ids) == [f"BNK1/2026/{k:05d}" for k in range(1, 2001)]
    assert {entries.get(i, 0) for i in ids} == {1}
    assert confirms == 2000
    assert problems == []


async def _posted(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as s:
            return await count_state(s, "posted")
    finally:
        await db.dispose()


async def _wait_for_first_batch(url: str, proc: subprocess.Popen[Any], limit: float) -> int:
    """Poll until some payments are posted (the first batch committed); return that count."""
    db = Database(url)
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            async with db.session() as s:
                posted = await count_state(s, "posted")
            if posted:
                return posted
            await asyncio.sleep(0.01)
        return 0
    finally:
        await db.dispose()


def test_a_bulk_run_killed_half_way_and_re_run_ends_as_an_uninterrupted_run(
    init_url: str, tmp_path: Path
) -> None:
    ids = asyncio.run(_seed(init_url, 3000))
    listing = tmp_path / "approved.txt"
    listing.write_text("\n".join(map(str, ids)) + "\n")
    command = [
        sys.executable,
        "-m",
        "payctl",
        "bulk",
        "confirm",
        "--file",
        str(listing),
        "--format",
        "json",
    ]

    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(init_url), cwd=tmp_path
    )
    try:
        seen = asyncio.run(_wait_for_first_batch(init_url, proc, limit=120))
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    posted = asyncio.run(_posted(init_url))
    assert seen in (1000, 2000) and posted in (1000, 2000) and posted >= seen, (
        "a batch is one transaction: whole batches or nothing",
        seen,
        posted,
    )
    states, problems, _, _ = asyncio.run(_final_state(init_url))
    assert [states[i][0] for i in ids] == ["posted"] * posted + ["draft"] * (3000 - posted)
    assert problems == []  # sound even right after the kill

    rerun = subprocess.run(
        command, capture_output=True, text=True, env=_env(init_url), cwd=tmp_path, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)["summary"]
    assert (summary["succeeded"], summary["skipped"], summary["failed"]) == (
        3000 - posted,
        posted,
        0,
    )
    assert summary["batches"] == 3
    _assert_uninterrupted_result(ids, init_url)
    check = subprocess.run(
        [sys.executable, "-m", "payctl", "check"],
        capture_output=True,
        text=True,
        env=_env(init_url),
        cwd=tmp_path,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_two_processes_creating_from_the_same_file_create_each_payment_once(
    init_url: str, tmp_path: Path
) -> None:
    """`bulk create` of one file from two processes at once (issue "Trust first", point 2):
    the unique idempotency key makes each row one payment, identical rows included."""
    from tests import factories

    async def customer() -> None:
        db = Database(init_url)
        try:
            async with db.session() as s:
                await factories.customer(s)
        finally:
            await db.dispose()

    asyncio.run(customer())
    rows = [
        f"customer_payment,ACME GmbH,BNK1,{1 + k // 2}.00,2026-02-01,,\n"  # pairs of twins
        for k in range(1000)
    ]
    listing = tmp_path / "payments.csv"
    listing.write_text("type,partner,journal,amount,date,reference,memo\n" + "".join(rows))
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                init_url,
                str(listing),
                "--create",
                "--go",
                str(go),
                "--ready",
                str(tmp_path / f"{name}.ready"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(init_url),
        )
        for name in "ab"
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"{n}.ready").exists() for n in "ab"):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.01)
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, (out, err)
        results.append(json.loads(out.strip().splitlines()[-1]))

    assert sorted((r["created"], r["skipped"]) for r in results) == [(0, 1000), (1000, 0)]
    assert results[0]["ids"] == results[1]["ids"]  # both name the same payment for each row
    assert len(set(results[0]["ids"])) == 1000
    states, problems, _, _ = asyncio.run(_final_state(init_url))
    assert len(states) == 1000 and {s for s, _ in states.values()} == {"draft"}
    assert problems == []

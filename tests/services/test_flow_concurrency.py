"""Concurrent confirms from separate processes (issue 3, "Tests": concurrency), on every
backend of the ``backend`` fixture.

Workers are real processes (tests/procs/confirm_worker.py), each with its own engine, so
SQLite's file lock and PostgreSQL's row locks are what keep numbers gapless and entries
single.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from payctl.db.engine import Database
from payctl.db.models import Invoice, JournalEntry, JournalLine, Payment
from payctl.db.uow import begin
from payctl.db.uow import commit as uow_commit
from payctl.services.payments.payment_service import PaymentService
from tests import factories
from tests.procs.startline import release

WORKER = Path(__file__).resolve().parent.parent / "procs" / "confirm_worker.py"
ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.slow


async def _seed(url: str, build: Any) -> Any:
    db = Database(url)
    try:
        async with db.session() as session:
            return await build(session)
    finally:
        await db.dispose()


def run_workers(
    url: str, id_lists: list[list[int]], timeout: float = 120, actions: list[str] | None = None
) -> list[list[dict]]:
    """Start one worker process per id list, all released at the same moment (once every
    one of them has finished its imports: a ready/go handshake, not a guessed delay)."""
    actions = actions or ["confirm"] * len(id_lists)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as signals:
        go = Path(signals) / "go"
        ready = [Path(signals) / f"worker{n}.ready" for n in range(len(id_lists))]
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(WORKER),
                    url,
                    "--ready",
                    str(ready[n]),
                    "--go",
                    str(go),
                    "--user",
                    f"worker{n}",
                    "--no-fsync",
                    "--action",
                    actions[n],
                    *map(str, ids),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            for n, ids in enumerate(id_lists)
        ]
        outputs = []
        try:
            release(procs, ready, go)
            for proc in procs:
                out, err = proc.communicate(timeout=timeout)
                assert proc.returncode == 0, err[-2000:]
                outputs.append(json.loads(out)["results"])
        finally:
            for proc in procs:  # a failed or hung run leaves no worker behind
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    return outputs


# ------------------------------------------------------------- 4 x the same 500


N_DRAFTS = 500


async def _make_drafts(session: Any) -> list[int]:
    await factories.customer(session)
    payments = PaymentService(session, "tester")
    await begin(session, write=True)  # one transaction for all 500: the services join it
    ids = []
    for i in range(N_DRAFTS):
        view = await payments.create_payment(
            "customer_payment",
            "ACME GmbH",
            "BNK1",
            f"{10 + i % 90}.{i % 100:02d}",
            "2026-03-02",
            reference=f"R{i}",
        )
        ids.append(view.id)
    await uow_commit(session)
    return ids


async def _posting_facts(url: str) -> dict[str, Any]:
    db = Database(url)
    try:
        async with db.session() as s:
            payments = (await s.execute(select(Payment.id, Payment.state, Payment.number))).all()
            live = Counter(
                (
                    await s.execute(
                        select(JournalEntry.payment_id).where(
                            JournalEntry.payment_id.is_not(None),
                            JournalEntry.reversal_of_id.is_(None),
                            JournalEntry.reversed_by_id.is_(None),
                        )
                    )
                ).scalars()
            )
            entries = Counter(
                (
                    await s.execute(
                        select(JournalEntry.payment_id).where(JournalEntry.payment_id.is_not(None))
                    )
                ).scalars()
            )
            entry_numbers = (
                (
                    await s.execute(
                        select(JournalEntry.number).where(JournalEntry.payment_id.is_not(None))
                    )
                )
                .scalars()
                .all()
            )
            unbalanced = (
                (
                    await s.execute(
                        select(JournalLine.entry_id)
                        .group_by(JournalLine.entry_id)
                        .having(func.sum(JournalLine.debit) != func.sum(JournalLine.credit))
                    )
                )
                .scalars()
                .all()
            )
        return {
            "payments": payments,
            "live": live,
            "entries": entries,
            "entry_numbers": entry_numbers,
            "unbalanced": unbalanced,
        }
    finally:
        await db.dispose()


def test_four_processes_confirm_the_same_500_drafts(init_url):
    started = time.perf_counter()
    ids = asyncio.run(_seed(init_url, _make_drafts))
    assert len(ids) == N_DRAFTS
    seeded = time.perf_counter()

    rng = random.Random(20260302)
    orders = [list(ids), list(reversed(ids)), rng.sample(ids, len(ids)), rng.sample(ids, len(ids))]
    outputs = run_workers(init_url, orders)
    confirmed = time.perf_counter()

    # every worker saw every payment: ok, or a clean "already posted"
    oks: Counter[int] = Counter()
    for results in outputs:
        assert len(results) == N_DRAFTS
        odd = [r for r in results if not r["ok"] and "is already posted" not in r["message"]]
        assert odd == [], odd[:5]
        assert all(r["error"] is None for r in results)
        oks.update(r["id"] for r in results if r["ok"])
    assert oks == Counter(ids)  # exactly one success per payment, over all workers

    facts = asyncio.run(_posting_facts(init_url))
    assert {state.value for _, state, _ in facts["payments"]} == {"posted"}
    numbers = sorted(number for _, _, number in facts["payments"])
    assert numbers == [f"BNK1/2026/{n:05d}" for n in range(1, N_DRAFTS + 1)]
    assert facts["live"] == Counter(ids)  # exactly one live entry each ...
    assert facts["entries"] == Counter(ids)  # ... and no other entry at all
    assert sorted(facts["entry_numbers"]) == [
        f"JE/BNK1/2026/{n:05d}" for n in range(1, N_DRAFTS + 1)
    ]
    assert facts["unbalanced"] == []
    # the number each worker reported is the number stored
    stored = {pid: number for pid, _, number in facts["payments"]}
    reported = {r["id"]: r["number"] for out in outputs for r in out if r["ok"]}
    assert reported == stored
    print(f"seed {seeded - started:.1f}s, confirm {confirmed - seeded:.1f}s")


# ------------------------------------------------ 2 x over-allocating one invoice


PAIRS = 10


async def _make_pairs(session: Any) -> list[tuple[int, int]]:
    await factories.customer(session)
    pairs = []
    for i in range(PAIRS):
        await factories.invoice(session, f"INV-{i}", amount="1000.00")
        first = await factories.draft(
            session, amount="700.00", allocations=[(f"INV-{i}", "700.00")]
        )
        second = await factories.draft(
            session, amount="600.00", allocations=[(f"INV-{i}", "600.00")]
        )
        pairs.append((first.id, second.id))
    return pairs


async def _invoice_residuals(url: str) -> dict[str, tuple[int, str]]:
    db = Database(url)
    try:
        async with db.session() as s:
            rows = (await s.execute(select(Invoice.number, Invoice.residual, Invoice.state))).all()
            return {number: (residual, state.value) for number, residual, state in rows}
    finally:
        await db.dispose()


def test_two_processes_over_allocating_one_invoice(init_url):
    pairs = asyncio.run(_seed(init_url, _make_pairs))

    # worker A confirms the 700s, worker B the 600s, invoice by invoice at the same time
    a_results, b_results = run_workers(init_url, [[a for a, _ in pairs], [b for _, b in pairs]])

    residuals = asyncio.run(_invoice_residuals(init_url))
    facts = asyncio.run(_posting_facts(init_url))
    posted = {pid for pid, state, _ in facts["payments"] if state.value == "posted"}
    for i, ((a, b), ra, rb) in enumerate(zip(pairs, a_results, b_results, strict=True)):
        assert (ra["id"], rb["id"]) == (a, b)
        assert [ra["ok"], rb["ok"]].count(True) == 1, (ra, rb)
        winner, loser = (ra, rb) if ra["ok"] else (rb, ra)
        assert loser["error"] is None
        assert f"to INV-{i} exceeds its open residual" in loser["message"]
        won = 70000 if winner is ra else 60000
        assert residuals[f"INV-{i}"] == (100000 - won, "partial")
        assert posted & {a, b} == {winner["id"]}
        assert facts["entries"][loser["id"]] == 0
    assert all(residual >= 0 for residual, _ in residuals.values())
    numbers = sorted(n for _, _, n in facts["payments"] if n)
    assert numbers == [f"BNK1/2026/{n:05d}" for n in range(1, PAIRS + 1)]


# ----------------------------------------------- confirm and reset on one invoice


async def _make_confirm_reset_pairs(session: Any) -> list[tuple[int, int]]:
    """Per invoice: one posted payment (to be reset) and one draft (to be confirmed)."""
    from payctl.services.payments.payment_flow_service import PaymentFlowService

    await factories.customer(session)
    pairs = []
    for i in range(PAIRS * 3):
        await factories.invoice(session, f"INV-{i}", amount="1000.00")
        posted = await factories.draft(
            session, amount="400.00", allocations=[(f"INV-{i}", "400.00")]
        )
        await PaymentFlowService(session, "tester").confirm_payment(posted.id)
        new = await factories.draft(session, amount="500.00", allocations=[(f"INV-{i}", "500.00")])
        pairs.append((posted.id, new.id))
    return pairs


def test_reset_and_confirm_touching_one_invoice_do_not_deadlock(init_url):
    """A reset and a confirm that share an invoice (and the journal's entry counter) must
    both succeed: the two transitions have to take their locks in one order."""
    pairs = asyncio.run(_seed(init_url, _make_confirm_reset_pairs))

    resets, confirms = run_workers(
        init_url, [[r for r, _ in pairs], [c for _, c in pairs]], actions=["reset", "confirm"]
    )

    failed = [r for r in resets + confirms if not r["ok"]]
    assert failed == [], failed[:3]
    residuals = asyncio.run(_invoice_residuals(init_url))
    assert {residuals[f"INV-{i}"] for i in range(len(pairs))} == {(50000, "partial")}
    facts = asyncio.run(_posting_facts(init_url))
    assert facts["unbalanced"] == []
    assert sorted(facts["entry_numbers"]) == [
        f"JE/BNK1/2026/{n:05d}" for n in range(1, 3 * len(pairs) + 1)
    ]

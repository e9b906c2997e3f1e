"""The events outbox under concurrent writers (issue 13), on every backend of the ``backend``
fixture: four processes confirm, reset and create payments in many small transactions while a
fifth reads the outbox the way the relay does (tests/procs/event_reader.py: pages by id in
short read transactions, remembering only the highest id it saw).

What must hold: the reader sees every event that committed, exactly once (an id that commits
below one already read would be skipped for ever), in strictly increasing id order; and every
committed change has exactly one event (the events match the audit trail and what the
workers report, change by change).

The writers are held still for a random moment right after the outbox took their ids
(``--pause-after-ids``), so that a writer whose ids were not taken in commit order would
commit after a later one and the reader would skip its ids; with the ids taken under the
audit head lock (services/events/outbox.py) that cannot happen. The writers' payments are on
two journals and a third of their transactions create drafts, so nothing but that lock orders
them.

The test was checked against a broken outbox on PostgreSQL: with the ids taken before the
head lock (``audit.lock_head`` removed from ``outbox._write`` and the commit hooks run in
reverse, so the outbox writes before the audit trail) the reader skipped 15 of the 680
events. Removing only the outbox's ``lock_head`` is not enough to break it: the audit
trail's hook runs first and already holds the head lock when the outbox takes its ids.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from payctl.db.engine import Database
from payctl.db.models import AuditRecord, Event, Payment
from payctl.db.uow import begin
from payctl.db.uow import commit as uow_commit
from payctl.services.events.catalog import PAYMENT_ACTIONS
from payctl.services.payments.payment_service import PaymentService
from tests import factories
from tests.procs.startline import release

ROOT = Path(__file__).resolve().parent.parent.parent
WRITER = ROOT / "tests" / "procs" / "event_worker.py"
READER = ROOT / "tests" / "procs" / "event_reader.py"

pytestmark = pytest.mark.slow

WRITERS = 4
DRAFTS_EACH = 60  # per writer: 60 confirms, 20 resets, 30 creates = 110 transactions
JOURNALS = ("BNK1", "CSH1")
PAUSE_MS = "4"


async def _seed(url: str) -> list[list[int]]:
    """The drafts of each writer, on alternating journals, made in one transaction."""
    db = Database(url)
    try:
        async with db.session() as session:
            await factories.customer(session)
            payments = PaymentService(session, "tester")
            await begin(session, write=True)
            drafts: list[list[int]] = [[] for _ in range(WRITERS)]
            for i in range(WRITERS * DRAFTS_EACH):
                view = await payments.create_payment(
                    "customer_payment",
                    "ACME GmbH",
                    JOURNALS[i % 2],
                    f"{10 + i % 90}.00",
                    "2026-03-02",
                    reference=f"R{i}",
                )
                drafts[i % WRITERS].append(view.id)
            await uow_commit(session)
            return drafts
    finally:
        await db.dispose()


def _plan(n: int, drafts: list[int]) -> list[list[Any]]:
    """Writer ``n``: confirm each of its drafts; reset every third again; create a draft
    after every second."""
    plan: list[list[Any]] = []
    for i, pid in enumerate(drafts):
        plan.append(["confirm", pid])
        if i % 3 == 1:
            plan.append(["reset", pid])
        if i % 2 == 0:
            plan.append(["create", JOURNALS[(n + i) % 2]])
    return plan


def _run(url: str, plans: list[list[list[Any]]], signals: Path) -> tuple[list[Any], dict]:
    """Start the writers and the reader together; stop the reader once the writers ended."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    go, stop = signals / "go", signals / "stop"
    ready = [signals / f"proc{n}.ready" for n in range(len(plans) + 1)]
    common = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, "env": env}
    reader = subprocess.Popen(
        [sys.executable, str(READER), url, "--stop", str(stop), "--limit", "20"]
        + ["--ready", str(ready[-1]), "--go", str(go)],
        **common,  # type: ignore[call-overload]
    )
    writers = []
    for n, plan in enumerate(plans):
        plan_file = signals / f"plan{n}.json"
        plan_file.write_text(json.dumps(plan))
        writers.append(
            subprocess.Popen(
                [sys.executable, str(WRITER), url, str(plan_file), "--user", f"writer{n}"]
                + ["--no-fsync", "--pause-after-ids", PAUSE_MS, "--seed", str(n)]
                + ["--ready", str(ready[n]), "--go", str(go)],
                **common,  # type: ignore[call-overload]
            )
        )
    procs = [*writers, reader]
    try:
        release(procs, ready, go)
        results = []
        for proc in writers:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err[-2000:]
            results.append(json.loads(out)["results"])
        stop.touch()
        out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err[-2000:]
        return results, json.loads(out)
    finally:
        for proc in procs:  # a failed or hung run leaves no process behind
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def _stored(url: str) -> tuple[list[tuple[int, str, int]], list[tuple[str, int]], int]:
    """The outbox (id, type, object id) in id order, the payment audit records (action,
    payment id), and how many payments are posted."""
    db = Database(url)
    try:
        async with db.session() as s:
            events = (
                await s.execute(select(Event.id, Event.type, Event.object_id).order_by(Event.id))
            ).all()
            audited = (
                await s.execute(
                    select(AuditRecord.action, AuditRecord.object_id).where(
                        AuditRecord.object_type == "payment"
                    )
                )
            ).all()
            posted = (await s.execute(select(Payment.id).where(Payment.state == "posted"))).all()
            return (
                [(int(i), t, int(o)) for i, t, o in events],
                [(a, int(o)) for a, o in audited],
                len(posted),
            )
    finally:
        await db.dispose()


def test_a_relay_reading_while_four_processes_write_sees_every_event_once_in_order(
    init_url: str, tmp_path: Path
) -> None:
    drafts = asyncio.run(_seed(init_url))
    plans = [_plan(n, ids) for n, ids in enumerate(drafts)]
    results, read = _run(init_url, plans, tmp_path)

    # every operation of every writer went through (each writer owns its payments)
    done = [r for out in results for r in out]
    assert len(done) == sum(map(len, plans))
    failed = [r for r in done if not r["ok"]]
    assert failed == [], failed[:5]

    events, audited, posted = asyncio.run(_stored(init_url))
    ids = [i for i, _, _ in events]
    seen = read["seen"]

    # the reader read ids in strictly increasing order ...
    assert all(a < b for a, b in zip(seen, seen[1:], strict=False)), "ids read out of order"
    # ... and every committed event exactly once: none skipped, none read twice
    skipped = sorted(set(ids) - set(seen))
    assert skipped == [], f"{len(skipped)} committed event(s) never read: {skipped[:10]}"
    assert seen == ids
    assert read["pages"] > 50, read["pages"]  # it really read while the writers wrote

    # one event per committed change: the same changes as the audit trail, one for one ...
    by_change = Counter((t, o) for _, t, o in events)
    assert by_change == Counter((PAYMENT_ACTIONS[a], o) for a, o in audited)
    # ... and as the writers report (on top of the seeded drafts' payment.created)
    kinds = {"confirm": "payment.confirmed", "reset": "payment.reset", "create": "payment.created"}
    reported = Counter((kinds[r["op"]], r["id"]) for r in done)
    reported.update(("payment.created", pid) for ids_ in drafts for pid in ids_)
    assert by_change == reported
    types = Counter(t for _, t, _ in events)
    assert types["payment.confirmed"] == WRITERS * DRAFTS_EACH
    assert types["payment.confirmed"] - types["payment.reset"] == posted

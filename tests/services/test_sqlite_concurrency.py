"""Two processes writing the same database at once (issue 2, "Tests").

Each worker is a separate Python process with its own engine, creating 200 payments through
PaymentService.create_payment, one transaction per call. On SQLite the write transactions take
the lock up front (BEGIN IMMEDIATE) and wait on busy_timeout, so neither process may fail with
"database is locked"; on PostgreSQL (when PAYCTL_TEST_POSTGRES_URL is set) row locks on the audit
chain head serialise the appends. Either way: both exit 0, every row is there, the audit chain
is intact.

The overlap is made by handshakes (tests/procs/startline.py), not by a sleep and the OS
scheduler: both workers start once both are ready, and neither writes its last payment before
the other has committed its first, so the two id ranges interleave on any machine, however
loaded.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from payctl.db.engine import Database
from payctl.db.models import AuditHead, AuditRecord, Payment
from payctl.services.ledger import audit
from tests import factories
from tests.procs.startline import release

ROOT = Path(__file__).resolve().parents[2]
PER_WORKER = 200

pytestmark = pytest.mark.slow

WORKER = r"""
import asyncio, sys

from payctl.db.engine import Database
from payctl.services.payments.payment_service import PaymentService
from tests.procs.startline import arrive, signal, wait_for

url, tag, count, ready, go, mine, theirs = sys.argv[1:8]
count = int(count)


async def main() -> None:
    db = Database(url)
    try:
        async with db.session() as session:
            service = PaymentService(session, tag)
            arrive(ready, go)                      # start together with the other worker
            for i in range(count):
                if i == count - 1:                 # the other one has written its first row
                    wait_for(theirs, 120, "first payment of the other worker")
                await service.create_payment(
                    "customer_payment", "ACME GmbH", "BNK1", f"{i + 1}.00", "2026-02-01",
                    reference=f"{tag}-{i:03d}")
                if i == 0:
                    signal(mine)                   # my first row is committed
    finally:
        await db.dispose()


asyncio.run(main())
print("done", tag)
"""


async def _prepare(url: str) -> None:
    db = Database(url)
    try:
        async with db.session() as session:
            await factories.customer(session)
    finally:
        await db.dispose()


async def _read(url: str) -> tuple[list[tuple[int, str, str]], list[AuditRecord], str | None]:
    db = Database(url)
    try:
        async with db.session() as s:
            rows = [
                tuple(r)
                for r in (
                    await s.execute(
                        select(Payment.id, Payment.reference, Payment.created_by).order_by(
                            Payment.id
                        )
                    )
                )
            ]
            records = list(
                (await s.execute(select(AuditRecord).order_by(AuditRecord.id))).scalars()
            )
            head = await s.scalar(select(AuditHead.last_hash).where(AuditHead.id == 1))
            return rows, records, head
    finally:
        await db.dispose()


def test_two_processes_create_200_payments_each(init_url, tmp_path):
    asyncio.run(_prepare(init_url))
    go = tmp_path / "go"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PAYCTL_BUSY_TIMEOUT="60")
    tags = ("w1", "w2")
    ready = {tag: tmp_path / f"{tag}.ready" for tag in tags}
    first = {tag: tmp_path / f"{tag}.first" for tag in tags}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                init_url,
                tag,
                str(PER_WORKER),
                str(ready[tag]),
                str(go),
                str(first[tag]),
                str(first[other]),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for tag, other in (("w1", "w2"), ("w2", "w1"))
    ]
    results = []
    try:
        release(procs, list(ready.values()), go)
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            results.append((proc.returncode, out, err))
    finally:
        for proc in procs:  # a failed or hung run leaves no worker behind
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    for code, out, err in results:
        assert code == 0, err[-3000:]
        assert "locked" not in err
        assert out.startswith("done")

    rows, records, head = asyncio.run(_read(init_url))
    assert len(rows) == 2 * PER_WORKER
    for tag in ("w1", "w2"):
        mine = [ref for _, ref, user in rows if user == tag]
        assert mine == [f"{tag}-{i:03d}" for i in range(PER_WORKER)], tag
    # the writers really overlapped: each one's id range starts before the other one's ends.
    # Guaranteed by the handshake, not left to the OS scheduler: neither worker writes its
    # last payment before the other has committed its first.
    ids = {tag: [pid for pid, _, user in rows if user == tag] for tag in ("w1", "w2")}
    assert min(ids["w1"]) < max(ids["w2"]) and min(ids["w2"]) < max(ids["w1"]), (
        "the two workers ran one after the other; the test did not exercise concurrency"
    )
    # one audit record per payment, chained without a break
    creates = [r for r in records if r.action == "create" and r.object_type == "payment"]
    assert len(creates) == 2 * PER_WORKER
    assert audit.verify_chain(records, head) is None

"""An import reconciling a posted payment, raced against a reset or cancel of that payment or
against an import into another journal (issue 14, points 1 and 2). PostgreSQL only: SQLite's
single writer lock already serialises these transactions whole.

Each race is made deterministic with a pause point (tests/procs/paused_worker.py): one worker
stops inside its transaction (the import once it has read its candidate payments, the reset
once it has written), the other runs until it is done or waits on a row lock (seen in
pg_stat_activity), then the first one goes on. Before the fix the import decided on payments
it had read without a lock, so a reset committed meanwhile left a draft or cancelled payment
whose bank line stayed reconciled.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.services.ledger.integrity_service import IntegrityService
from payctl.services.parties.partner_service import PartnerService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_service import PaymentService
from tests.procs.startline import wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WORKER = ROOT / "tests" / "procs" / "paused_worker.py"
IBAN = "NL91ABNA0417164300"


@pytest.fixture
def pg_url(backend: str, init_url: str) -> str:
    if backend != "postgresql":
        pytest.skip("a row-lock race: SQLite's writer lock serialises whole transactions")
    return init_url


async def _posted_payment(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as s:
            await PartnerService(s, "tester").create_partner("Globex", "customer", [IBAN])
            view = await PaymentService(s, "tester").create_payment(
                "customer_payment", "Globex", "BNK1", "250.00", "2026-02-01"
            )
            await PaymentFlowService(s, "tester").confirm_payment(view.id)
            return view.id
    finally:
        await db.dispose()


def _bank_file(path: Path) -> Path:
    rows = [
        {"booking_date": "2026-02-03", "amount": "-1.50", "remittance": f"fee {k}"}
        for k in range(20)
    ]
    rows.append({"booking_date": "2026-02-04", "amount": "250.00", "counterparty_account": IBAN})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


async def _lock_waiters(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as s:
            return int(
                await s.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                or 0
            )
    finally:
        await db.dispose()


def _start(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        cwd=ROOT,
    )


def _finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"worker failed ({proc.returncode}): {err[-2000:]}"
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert result["error"] is None, result
    return result


def _race(url: str, tmp: Path, first: list[str], second: list[str]) -> list[dict[str, Any]]:
    """``first`` runs to its pause point; ``second`` runs until it ends or waits on a lock;
    then ``first`` goes on. Both results, in that order."""
    pause, resume = tmp / "paused", tmp / "resume"
    procs = [_start(url, *first, "--pause", str(pause), "--resume", str(resume))]
    try:
        wait_for(pause, 120, "pause point of the first worker")
        procs.append(_start(url, *second))
        deadline = time.monotonic() + 120
        while procs[1].poll() is None and asyncio.run(_lock_waiters(url)) == 0:
            assert time.monotonic() < deadline, "the second worker neither ended nor waited"
            time.sleep(0.02)
        resume.touch()
        return [_finish(p) for p in procs]
    finally:
        for p in procs:  # a failed or hung run leaves no worker behind
            if p.poll() is None:
                p.kill()
                p.wait()


async def _outcome(url: str, payment_id: int) -> dict[str, Any]:
    db = Database(url)
    try:
        async with db.session() as s:
            state = await s.scalar(select(m.Payment.state).where(m.Payment.id == payment_id))
            links = (
                await s.execute(
                    select(m.BankLine.journal_id, m.BankLine.link).where(
                        m.BankLine.payment_id == payment_id, m.BankLine.state == "matched"
                    )
                )
            ).all()
            violations = [v.message for v in await IntegrityService(s, "tester").check()]
        return {"state": state.value, "links": [tuple(r) for r in links], "violations": violations}
    finally:
        await db.dispose()


@pytest.mark.parametrize("action", ["reset", "cancel"])
def test_import_first_then_reset_or_cancel(pg_url, tmp_path, action):
    """The import has read the payment when the reset comes: the reset waits for it, then
    is refused because the payment is now matched."""
    pid = asyncio.run(_posted_payment(pg_url))
    bank = _bank_file(tmp_path / "bank.jsonl")
    imported, flow = _race(pg_url, tmp_path, ["import", str(bank)], [action, str(pid)])
    assert imported["reconciled"] == 1
    assert not flow["ok"] and "matched to bank line" in flow["message"], flow
    out = asyncio.run(_outcome(pg_url, pid))
    assert out["state"] == "posted" and len(out["links"]) == 1
    assert out["violations"] == []


@pytest.mark.parametrize("action", ["reset", "cancel"])
def test_reset_or_cancel_first_then_import(pg_url, tmp_path, action):
    """The reset has written when the import reads: the import waits for it and does not
    reconcile the payment, which is no longer posted."""
    pid = asyncio.run(_posted_payment(pg_url))
    bank = _bank_file(tmp_path / "bank.jsonl")
    flow, imported = _race(pg_url, tmp_path, [action, str(pid)], ["import", str(bank)])
    assert flow["ok"], flow
    assert imported["ok"] and imported["reconciled"] == 0, imported
    out = asyncio.run(_outcome(pg_url, pid))
    assert out["state"] == ("draft" if action == "reset" else "cancelled")
    assert out["links"] == []
    assert out["violations"] == []


def test_two_journals_import_the_same_line(pg_url, tmp_path):
    """The same line imported into BNK1 and CSH1 at once reconciles the BNK1 payment once,
    from BNK1 only."""
    pid = asyncio.run(_posted_payment(pg_url))
    bank = _bank_file(tmp_path / "bank.jsonl")
    first, second = _race(
        pg_url,
        tmp_path,
        ["import", str(bank), "--journal", "BNK1"],
        ["import", str(bank), "--journal", "CSH1"],
    )
    assert (first["reconciled"], second["reconciled"]) == (1, 0)
    out = asyncio.run(_outcome(pg_url, pid))
    assert out["state"] == "posted"
    assert len(out["links"]) == 1
    assert out["violations"] == []

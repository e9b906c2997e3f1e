"""Two processes importing bank files into one journal at the same moment (issue 5 Tests):
no line is stored twice, no invoice is paid twice, both processes finish cleanly and
`payctl check` passes. On SQLite and PostgreSQL; workers are tests/procs/import_worker.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.services.ledger.integrity_service import IntegrityService
from payctl.services.parties.invoice_service import InvoiceService
from payctl.services.parties.partner_service import PartnerService
from tests.procs.startline import release

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WORKER = ROOT / "tests" / "procs" / "import_worker.py"
INVOICES = 30


async def _books(url: str) -> None:
    db = Database(url)
    try:
        async with db.session() as s:
            await PartnerService(s, "tester").create_partner(
                "ACME GmbH", "customer", ["DE89370400440532013000"]
            )
            invoices = InvoiceService(s, "tester")
            for k in range(1, INVOICES + 1):
                await invoices.create_invoice(
                    f"INV-{k:04d}", "ACME GmbH", f"{100 + k}.00", "customer_invoice", "2026-01-05"
                )
    finally:
        await db.dispose()


async def _state(url: str) -> dict[str, Any]:
    db = Database(url)
    try:
        async with db.session() as s:
            lines = await s.scalar(select(func.count()).select_from(m.BankLine))
            distinct = await s.scalar(select(func.count(m.BankLine.fingerprint.distinct())))
            payments = await s.scalar(select(func.count()).select_from(m.Payment))
            allocated = (
                await s.execute(
                    select(m.PaymentAllocation.invoice_id, func.count())
                    .group_by(m.PaymentAllocation.invoice_id)
                    .having(func.count() > 1)
                )
            ).all()
            violations = await IntegrityService(s, "tester").check()
        return {
            "lines": lines,
            "distinct": distinct,
            "payments": payments,
            "paid_twice": allocated,
            "violations": [v.message for v in violations],
        }
    finally:
        await db.dispose()


def _lines(first: int, last: int, tag: str = "") -> bytes:
    """Line k pays INV-k (first..last), plus a fee line per invoice (no match)."""
    out = []
    for k in range(first, last + 1):
        out.append(
            {
                "booking_date": "2026-02-03",
                "amount": f"{100 + k}.00",
                "remittance": f"Invoice INV-{k:04d}",
                "transaction_id": f"T{k}",
            }
        )
        out.append(
            {
                "booking_date": "2026-02-03",
                "amount": "-1.50",
                "remittance": "bank fee",
                "transaction_id": f"F{k}",
            }
        )
    return "".join(json.dumps(r) + "\n" for r in out).encode()


def _race(url: str, files: list[Path], *flags: str) -> list[dict[str, Any]]:
    """Both workers start importing together, once both have imported payctl (ready/go)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as signals:
        go = Path(signals) / "go"
        ready = [Path(signals) / f"worker{n}.ready" for n in range(len(files))]
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(WORKER),
                    url,
                    str(f),
                    "--journal",
                    "BNK1",
                    "--input-format",
                    "jsonl",
                    "--ready",
                    str(ready[n]),
                    "--go",
                    str(go),
                    *flags,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            for n, f in enumerate(files)
        ]
        results = []
        try:
            release(procs, ready, go)
            for p in procs:
                out, err = p.communicate(timeout=120)
                assert p.returncode == 0, f"worker failed ({p.returncode}): {err[-2000:]}"
                results.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for p in procs:  # a failed or hung run leaves no worker behind
                if p.poll() is None:
                    p.kill()
                    p.wait()
    return results


@pytest.mark.parametrize("auto_confirm", [False, True], ids=["drafts", "auto-confirm"])
def test_two_processes_import_the_same_file(init_url, tmp_path, auto_confirm):
    asyncio.run(_books(init_url))
    flags = ["--auto-confirm"] if auto_confirm else []
    total = 0
    for round_ in range(3):  # three rounds: the race has more than one chance to show
        first, last = 1 + 10 * round_, 10 + 10 * round_
        path = tmp_path / f"day{round_}.jsonl"
        path.write_bytes(_lines(first, last))
        n = 2 * (last - first + 1)
        results = _race(init_url, [path, path], *flags)
        for r in results:
            assert r["ok"], f"a worker failed: {r}"
            assert r["error"] is None
            assert r["lines_read"] == n
        assert sorted(r["new_lines"] for r in results) == [0, n], results
        assert sorted(r["duplicates"] for r in results) == [0, n], results
        assert sum(r["payments_created"] for r in results) == n // 2
        total += n
        state = asyncio.run(_state(init_url))
        assert state["lines"] == state["distinct"] == total
        assert state["payments"] == total // 2
        assert state["paid_twice"] == []
        assert state["violations"] == []


def test_two_processes_import_overlapping_files(init_url, tmp_path):
    """File A holds invoices 1-20, file B 11-30: together they store 1-30 once."""
    asyncio.run(_books(init_url))
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(_lines(1, 20))
    b.write_bytes(_lines(11, 30))
    results = _race(init_url, [a, b], "--auto-confirm")
    assert all(r["ok"] and r["error"] is None for r in results), results
    assert sum(r["new_lines"] for r in results) == 60
    assert sum(r["duplicates"] for r in results) == 20
    state = asyncio.run(_state(init_url))
    assert state["lines"] == state["distinct"] == 60
    assert state["payments"] == 30
    assert state["paid_twice"] == []
    assert state["violations"] == []

"""A cron import (auto-confirming) and a bulk confirm touching the same invoices at the same
time (issue 4: "concurrent writers must still be safe"). Both finish, nothing is paid beyond
an invoice's total, and `payctl check` passes. On PostgreSQL this exercises the lock order
(invoices, counters, then the audit chain head last); on SQLite the writer lock.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.services.ledger.integrity_service import IntegrityService
from tests import factories

pytestmark = pytest.mark.slow
N = 120


def _payctl() -> list[str]:
    exe = Path(sys.executable).parent / "payctl"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "payctl"]


async def _books(url: str) -> None:
    db = Database(url)
    try:
        async with db.session() as s:
            await factories.customer(s, iban="DE89370400440532013000")
            for k in range(1, N + 1):
                await factories.invoice(s, f"INV-{k:04d}", amount="100.00")
                # a draft paying the first half of each invoice
                await factories.draft(s, amount="50.00", allocations=[(f"INV-{k:04d}", "50.00")])
    finally:
        await db.dispose()


async def _state(url: str) -> tuple[list[str], int]:
    db = Database(url)
    try:
        async with db.session() as s:
            violations = [v.message for v in await IntegrityService(s, "tester").check()]
            negative = await s.scalar(
                select(func.count()).select_from(m.Invoice).where(m.Invoice.residual < 0)
            )
            return violations, negative or 0
    finally:
        await db.dispose()


def test_import_and_bulk_confirm_at_once(init_url: str, tmp_path: Path) -> None:
    asyncio.run(_books(init_url))
    lines = tmp_path / "bank.jsonl"
    lines.write_text(
        "".join(
            json.dumps(
                {
                    "booking_date": "2026-11-20",
                    "amount": "50.00",
                    "remittance": f"second half INV-{k:04d}",
                    "transaction_id": f"T{k}",
                }
            )
            + "\n"
            for k in range(N, 0, -1)
        )
    )  # the other end first: the two runs cross
    env = dict(os.environ, PAYCTL_DATABASE_URL=init_url, PAYCTL_USER="tester")
    bulk = subprocess.Popen(
        [*_payctl(), "--quiet", "--format", "json", "bulk", "confirm", "--state", "draft"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    imp = subprocess.Popen(
        [
            *_payctl(),
            "--quiet",
            "--format",
            "json",
            "import",
            str(lines),
            "--input-format",
            "jsonl",
            "--auto-confirm",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    bulk_out, bulk_err = bulk.communicate(timeout=300)
    imp_out, imp_err = imp.communicate(timeout=300)
    assert imp.returncode == 0, imp_err
    assert bulk.returncode in (0, 1), bulk_err  # 1 only if the import confirmed a draft first
    assert "deadlock" not in (bulk_err + imp_err).lower()
    assert "internal error" not in (bulk_err + imp_err)
    report = json.loads(imp_out)["totals"]
    assert report["new_lines"] == N
    violations, negative = asyncio.run(_state(init_url))
    assert violations == []
    assert negative == 0

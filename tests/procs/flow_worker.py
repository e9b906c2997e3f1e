"""Confirm payments, resetting and confirming some of them again, and create invoices, from a
separate process, for the relay concurrency tests (issue 13): many small transactions, each
writing events.

    python tests/procs/flow_worker.py DATABASE_URL [--ready FILE --go FILE] [--user NAME]
                                      [--reset-every K] [--invoice-every K --invoice-date D]
                                      [--hold-ms MS] [--seed N]
                                      [--halfway FILE --resume FILE] ID...

Each id is confirmed (PaymentFlowService.confirm_payment), and every ``--reset-every``-th one
(the first, the K+1-th, ...) is then reset to draft and confirmed again; after every
``--invoice-every``-th one an invoice of ACME GmbH dated ``--invoice-date`` is created
(InvoiceService.create_invoice: its event is written without an audit record, so the outbox's
own head lock is the only thing ordering its id). One transaction per action.
``--ready``/``--go`` is the start line (tests/procs/startline.py). ``--halfway``/``--resume``
is a second one in the middle: after half of the actions (all committed) the worker says so and
waits, holding no transaction, until the test lets it go on.

``--hold-ms MS``: in about one transaction of three (a seeded choice), wait up to ``MS``
milliseconds after the outbox has written its rows (ids taken) and before the commit. The real
code is only held still at that point, nothing is replaced: with the head lock the others
wait for it, so ids still commit in order; an outbox that took its ids outside that lock would
let a later id commit first.

Prints one JSON object on stdout: ``{"results": [{"id", "action", "ok", "message", "error"}...],
"seconds": ...}`` (``id``: the payment's, or for an invoice the index of the payment it
follows) where ``error`` is null for success or a business refusal (PayctlError) and
the exception type otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from payctl.db.engine import Database
from payctl.errors import PayctlError
from payctl.services.events import outbox
from payctl.services.parties.invoice_service import InvoiceService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests.procs.confirm_worker import _no_fsync
from tests.procs.startline import arrive


def _hold_before_commit(hold_ms: float, seed: int) -> None:
    """Make the outbox writer wait a little after writing its rows, before the commit."""
    if hold_ms <= 0:
        return
    rng = random.Random(seed)
    original = outbox._write

    async def held(*args: Any, **kwargs: Any) -> None:
        await original(*args, **kwargs)
        if rng.random() < 1 / 3:
            await asyncio.sleep(rng.uniform(0, hold_ms) / 1000)

    outbox._write = held  # type: ignore[assignment]


def plan(ids: list[int], reset_every: int, invoice_every: int) -> list[tuple[str, int]]:
    """The actions in order: confirm each id; every ``reset_every``-th also reset + confirm;
    after every ``invoice_every``-th, create an invoice (its step carries the id's index)."""
    steps: list[tuple[str, int]] = []
    for n, pid in enumerate(ids):
        steps.append(("confirm", pid))
        if reset_every and n % reset_every == 0:
            steps += [("reset", pid), ("confirm", pid)]
        if invoice_every and n % invoice_every == 0:
            steps.append(("invoice", n))
    return steps


async def run(
    url: str,
    steps: list[tuple[str, int]],
    user: str,
    invoice_date: str | None,
    halfway: tuple[str | None, str | None] = (None, None),
) -> list[dict[str, Any]]:
    db = Database(url)
    _no_fsync(db)
    results: list[dict[str, Any]] = []
    try:
        async with db.session() as session:
            flow = PaymentFlowService(session, user)
            invoices = InvoiceService(session, user)
            for n, (action, pid) in enumerate(steps):
                if n == len(steps) // 2:
                    arrive(*halfway)
                out: dict[str, Any] = {"id": pid, "action": action, "ok": False, "error": None}
                try:
                    if action == "confirm":
                        await flow.confirm_payment(pid)
                    elif action == "reset":
                        await flow.reset_payment_to_draft(pid, "re-confirm")
                    else:
                        await invoices.create_invoice(
                            f"INV-{user}-{pid}", "ACME GmbH", "119.00", date=invoice_date
                        )
                    out.update(ok=True, message="ok")
                except PayctlError as exc:
                    out.update(message=exc.message)
                except Exception as exc:  # reported, not raised: the test judges it
                    first = str(exc).splitlines()[0] if str(exc) else ""
                    out.update(message=first, error=type(exc).__name__)
                results.append(out)
    finally:
        await db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("ids", nargs="+", type=int)
    parser.add_argument("--ready", help="create this file once imported and ready")
    parser.add_argument("--go", help="wait until this file exists before starting")
    parser.add_argument("--user", default="worker")
    parser.add_argument("--reset-every", type=int, default=0)
    parser.add_argument("--invoice-every", type=int, default=0)
    parser.add_argument("--invoice-date")
    parser.add_argument("--hold-ms", type=float, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--halfway", help="create this file after half of the actions")
    parser.add_argument("--resume", help="then wait until this file exists")
    args = parser.parse_args()
    _hold_before_commit(args.hold_ms, args.seed)
    steps = plan(args.ids, args.reset_every, args.invoice_every)
    arrive(args.ready, args.go)
    started = time.perf_counter()
    results = asyncio.run(
        run(args.url, steps, args.user, args.invoice_date, (args.halfway, args.resume))
    )
    print(json.dumps({"results": results, "seconds": round(time.perf_counter() - started, 3)}))


if __name__ == "__main__":
    main()

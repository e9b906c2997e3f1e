"""Write payment changes from a separate process, each in its own short transaction, for the
events outbox concurrency test (issue 13).

    python tests/procs/event_worker.py DATABASE_URL PLAN_FILE [--ready FILE --go FILE]
                                       [--user NAME] [--no-fsync] [--pause-after-ids MS]
                                       [--seed N]

``PLAN_FILE`` is a JSON list of operations, done in order, one transaction each:
``["confirm", ID]`` and ``["reset", ID]`` (PaymentFlowService.confirm_payment /
reset_payment_to_draft), ``["create", JOURNAL]`` (PaymentService.create_payment of a
customer payment of ACME GmbH on that journal).

``--pause-after-ids MS``: every time the outbox has taken the ids of a transaction's events it
waits a random 0..MS milliseconds (seeded by ``--seed``) before going on to insert them and
commit. It widens the window in which another writer could take later ids and commit first,
which is what the outbox's ordering (ids taken under the audit head lock) must prevent; the
real code runs unchanged, it is only held still at that point (tests/procs/paused_worker.py
does the same). ``--ready``/``--go`` is the start line (tests/procs/startline.py).

Prints one JSON object on stdout: ``{"results": [{"op", "target", "id", "ok", "message",
"error"}...]}``; ``id`` is the payment's id (the new one for ``create``), ``error`` is null
for success or a business refusal (PayctlError) and the exception type otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from payctl.db.engine import Database
from payctl.errors import PayctlError
from payctl.services.events import outbox
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_service import PaymentService
from tests.procs.confirm_worker import _no_fsync
from tests.procs.startline import arrive


def pause_after_ids(most_ms: float, seed: int) -> None:
    """Hold each outbox write still for a random 0..``most_ms`` ms once its ids are taken."""
    if most_ms <= 0:
        return
    rng = random.Random(seed)
    original = outbox.allocate_ids

    async def paused(*args: Any, **kwargs: Any) -> list[int]:
        ids = await original(*args, **kwargs)
        await asyncio.sleep(rng.uniform(0, most_ms) / 1000)
        return ids

    outbox.allocate_ids = paused  # type: ignore[assignment]


async def _one(session: Any, user: str, op: str, target: Any) -> int:
    if op == "create":
        view = await PaymentService(session, user).create_payment(
            "customer_payment", "ACME GmbH", str(target), "10.00", "2026-03-02"
        )
        return int(view.id)
    flow = PaymentFlowService(session, user)
    if op == "confirm":
        return int((await flow.confirm_payment(int(target))).id)
    if op == "reset":
        return int((await flow.reset_payment_to_draft(int(target), "events test")).id)
    raise ValueError(f"unknown operation {op!r}")


async def run_plan(
    url: str, plan: list[list[Any]], user: str, no_fsync: bool
) -> list[dict[str, Any]]:
    db = Database(url)
    if no_fsync:
        _no_fsync(db)
    results: list[dict[str, Any]] = []
    try:
        async with db.session() as session:
            for op, target in plan:
                out: dict[str, Any] = {"op": op, "target": target, "id": None, "ok": False}
                try:
                    out.update(id=await _one(session, user, op, target), ok=True, message="ok")
                    out["error"] = None
                except PayctlError as exc:
                    out.update(message=exc.message, error=None)
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
    parser.add_argument("plan", help="JSON file: a list of [operation, target]")
    parser.add_argument("--ready", help="create this file once imported and ready")
    parser.add_argument("--go", help="wait until this file exists before starting")
    parser.add_argument("--user", default="worker")
    parser.add_argument("--no-fsync", action="store_true")
    parser.add_argument("--pause-after-ids", type=float, default=0.0, metavar="MS")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    plan = json.loads(Path(args.plan).read_text())
    pause_after_ids(args.pause_after_ids, args.seed)
    arrive(args.ready, args.go)
    results = asyncio.run(run_plan(args.url, plan, args.user, args.no_fsync))
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()

"""Confirm payments from a separate process, for the concurrency tests.

    python tests/procs/confirm_worker.py DATABASE_URL [--ready FILE --go FILE] [--user NAME]
                                         [--no-fsync] [--action confirm|reset|cancel] ID...

Each id is confirmed through PaymentFlowService.confirm_payment in its own transaction
(``--action reset`` / ``cancel`` run reset_payment_to_draft / cancel_payment instead, to
race other transitions against confirms).
``--ready``/``--go`` is the start line (tests/procs/startline.py): after its imports the worker
creates the ready file and waits for the go file, so several workers started together really
overlap, however slowly each one gets going. Prints one JSON object on stdout:
``{"results": [{"id", "ok", "number", "message", "error"}...], "seconds": ...}`` where
``error`` is null for a business refusal (PayctlError) and the exception type otherwise.

``--no-fsync`` turns PostgreSQL's ``synchronous_commit`` off for the worker's connections:
commits stop waiting for the WAL flush (about 30 ms each on a slow test disk), which keeps
the 2,000-transaction test short. Locking, isolation and visibility are unchanged, so the
race being tested is the same; only crash durability differs, which no test relies on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import event

from payctl.db.engine import Database
from payctl.errors import PayctlError
from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests.procs.startline import arrive


def _no_fsync(db: Database) -> None:
    if db.dialect != "postgresql":
        return

    @event.listens_for(db.engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET synchronous_commit TO off")
        cursor.close()


METHODS = {
    "confirm": "confirm_payment",
    "reset": "reset_payment_to_draft",
    "cancel": "cancel_payment",
}


async def confirm_all(
    url: str, ids: list[int], user: str, no_fsync: bool = False, action: str = "confirm"
) -> list[dict[str, Any]]:
    db = Database(url)
    if no_fsync:
        _no_fsync(db)
    results: list[dict[str, Any]] = []
    try:
        async with db.session() as session:
            transition = getattr(PaymentFlowService(session, user), METHODS[action])
            for pid in ids:
                try:
                    view = await transition(pid)
                    results.append(
                        {
                            "id": pid,
                            "ok": True,
                            "number": view.number,
                            "message": "ok",
                            "error": None,
                        }
                    )
                except PayctlError as exc:
                    results.append(
                        {
                            "id": pid,
                            "ok": False,
                            "number": None,
                            "message": exc.message,
                            "error": None,
                        }
                    )
                except Exception as exc:  # reported, not raised: the test judges it
                    first = str(exc).splitlines()[0] if str(exc) else ""
                    results.append(
                        {
                            "id": pid,
                            "ok": False,
                            "number": None,
                            "message": first,
                            "error": type(exc).__name__,
                        }
                    )
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
    parser.add_argument("--no-fsync", action="store_true")
    parser.add_argument("--action", choices=sorted(METHODS), default="confirm")
    args = parser.parse_args()
    arrive(args.ready, args.go)
    started = time.perf_counter()
    results = asyncio.run(confirm_all(args.url, args.ids, args.user, args.no_fsync, args.action))
    print(json.dumps({"results": results, "seconds": round(time.perf_counter() - started, 3)}))


if __name__ == "__main__":
    main()

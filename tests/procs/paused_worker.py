"""Run one import or one payment transition from a separate process, pausing inside its
transaction, for the tests that race an import against a reset or cancel (issue 14).

    python tests/procs/paused_worker.py URL import FILE [--journal BNK1] [--pause P --resume R]
    python tests/procs/paused_worker.py URL reset|cancel PAYMENT [--pause P --resume R]

With ``--pause``/``--resume`` (tests/procs/startline.py signals) the worker stops at a fixed
point of its transaction, creates the ``pause`` file and waits for the ``resume`` file before
going on to commit:

- ``import``: once the matcher's data is loaded (the candidate payments are read; with the
  lock fix, locked), before any line is decided or written;
- ``reset``/``cancel``: once the transition is written (payment locked and changed, entry
  reversed), before the commit.

The pause only holds the real code still at that point; nothing is replaced. Prints one JSON
object on stdout: ``{"ok", "message", "error", "reconciled"}`` where ``error`` is null for
success or a business refusal (PayctlError) and the exception type otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from payctl.config import normalise_url
from payctl.db.engine import Database
from payctl.errors import PayctlError
from payctl.services.bank import bank_extract_service
from payctl.services.bank.bank_extract_service import BankExtractService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests.procs.startline import signal, wait_for


def _pause_after(owner: Any, name: str, pause: str | None, resume: str | None) -> None:
    """Make ``owner.name`` (an async callable) stop after it returns until ``resume`` exists."""
    if pause is None or resume is None:
        return
    original = getattr(owner, name)

    async def paused(*args: Any, **kwargs: Any) -> Any:
        result = await original(*args, **kwargs)
        signal(pause)
        await asyncio.to_thread(wait_for, resume, 120, "resume signal")
        return result

    setattr(owner, name, paused)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    db = Database(normalise_url(args.url))
    out: dict[str, Any] = {"ok": False, "message": "", "error": None, "reconciled": 0}
    try:
        async with db.session() as session:
            try:
                if args.action == "import":
                    _pause_after(bank_extract_service, "load_matcher", args.pause, args.resume)
                    report = await BankExtractService(session, "worker").import_file(
                        Path(args.target).read_bytes(),
                        args.target,
                        args.journal,
                        input_format="jsonl",
                    )
                    out.update(ok=True, message="imported", reconciled=report.reconciled)
                else:
                    _pause_after(PaymentFlowService, "run_transition", args.pause, args.resume)
                    flow = PaymentFlowService(session, "worker")
                    if args.action == "reset":
                        await flow.reset_payment_to_draft(int(args.target), "x")
                    else:
                        await flow.cancel_payment(int(args.target), "x")
                    out.update(ok=True, message=args.action)
            except PayctlError as exc:
                out.update(message=exc.message)
            except Exception as exc:  # reported, not raised: the test judges it
                first = str(exc).splitlines()[0] if str(exc) else ""
                out.update(message=first, error=type(exc).__name__)
    finally:
        await db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("action", choices=["import", "reset", "cancel"])
    parser.add_argument("target", help="the bank file (import) or the payment id")
    parser.add_argument("--journal", default="BNK1")
    parser.add_argument("--pause", help="create this file at the pause point")
    parser.add_argument("--resume", help="wait for this file at the pause point")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()

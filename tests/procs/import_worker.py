"""Import one bank file from a separate process, for the import concurrency tests.

    python tests/procs/import_worker.py DATABASE_URL FILE [--journal BNK1] [--ready F --go F]
                                        [--input-format FMT] [--auto-confirm] [--user NAME]

The file goes through BankExtractService.import_file (one transaction). ``--ready``/``--go`` is
the start line (tests/procs/startline.py): after its imports the worker creates the ready file
and waits for the go file, so several workers started together really overlap. Prints one
JSON object on stdout:
``{"ok", "new_lines", "duplicates", "lines_read", "payments_created", "message", "error",
"seconds"}`` where ``error`` is null for success or a business refusal (PayctlError, whose
message is in ``message``) and the exception type otherwise.
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

from payctl.config import normalise_url
from payctl.db.engine import Database
from payctl.errors import PayctlError
from payctl.services.bank.bank_extract_service import BankExtractService
from tests.procs.startline import arrive


async def import_once(
    url: str, path: str, journal: str, input_format: str | None, auto_confirm: bool, user: str
) -> dict[str, Any]:
    data = Path(path).read_bytes()
    db = Database(normalise_url(url))
    out: dict[str, Any] = {
        "ok": False,
        "new_lines": 0,
        "duplicates": 0,
        "lines_read": 0,
        "payments_created": 0,
        "message": "",
        "error": None,
    }
    try:
        async with db.session() as session:
            try:
                report = await BankExtractService(session, user).import_file(
                    data, path, journal, input_format=input_format, auto_confirm=auto_confirm
                )
                out.update(
                    ok=True,
                    new_lines=report.new_lines,
                    duplicates=report.duplicates,
                    lines_read=report.lines_read,
                    payments_created=report.payments_created,
                    message="imported",
                )
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
    parser.add_argument("file")
    parser.add_argument("--journal", default="BNK1")
    parser.add_argument("--input-format", default=None)
    parser.add_argument("--auto-confirm", action="store_true")
    parser.add_argument("--ready", help="create this file once imported and ready")
    parser.add_argument("--go", help="wait until this file exists before starting")
    parser.add_argument("--user", default="worker")
    args = parser.parse_args()
    arrive(args.ready, args.go)
    started = time.perf_counter()
    result = asyncio.run(
        import_once(
            args.url, args.file, args.journal, args.input_format, args.auto_confirm, args.user
        )
    )
    result["seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

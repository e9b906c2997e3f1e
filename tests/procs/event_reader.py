"""Read the events outbox from a separate process the way the relay does, for the events
outbox concurrency test (issue 13).

    python tests/procs/event_reader.py DATABASE_URL --stop FILE [--ready FILE --go FILE]
                                       [--limit N]

Pages through the outbox with ``reader.after(session, last_id, limit)``, each page in its
own short read transaction, and remembers only the highest id it has seen, like a relay that
never reads an id twice: an event that commits with an id below one already seen is skipped
for ever. Reads without pause while writers run; once the ``stop`` file exists (the test
creates it after every writer has ended) it reads on until a page comes back empty, then
prints one JSON object on stdout: ``{"seen": [id...], "pages": N, "empty_pages": N}``, the
ids in the order they were read.
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

from payctl.db.engine import Database
from payctl.db.uow import transaction
from payctl.services.events import reader
from tests.procs.startline import arrive


async def read_until_stopped(url: str, stop: Path, limit: int) -> dict[str, Any]:
    db = Database(url)
    seen: list[int] = []
    last = 0
    pages = empty = 0
    try:
        async with db.session() as session:
            while True:
                stopping = stop.exists()  # looked at before the read: that read is the last
                async with transaction(session, write=False):
                    page = await reader.after(session, last, limit)
                pages += 1
                seen.extend(event["id"] for event in page)
                if page:
                    last = max(last, page[-1]["id"])
                    continue
                empty += 1
                if stopping:
                    break
                await asyncio.sleep(0.001)
    finally:
        await db.dispose()
    return {"seen": seen, "pages": pages, "empty_pages": empty}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--stop", required=True, help="read on until this file exists")
    parser.add_argument("--ready", help="create this file once imported and ready")
    parser.add_argument("--go", help="wait until this file exists before starting")
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    arrive(args.ready, args.go)
    out = asyncio.run(read_until_stopped(args.url, Path(args.stop), args.limit))
    print(json.dumps(out))


if __name__ == "__main__":
    main()

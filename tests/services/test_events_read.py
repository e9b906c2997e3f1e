"""EventService.tail on every backend: pages in id order, a look holds no transaction, and a
follower that a --type filter shows nothing does not read the hidden events again and again."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from payctl.db.engine import Database
from payctl.db.uow import transaction
from payctl.services.events import outbox
from payctl.services.events.event_service import EventService


async def _emit(db: Database, changes: list[outbox.Change]) -> None:
    async with db.session() as session, transaction(session, write=True):
        await outbox.emit(session, "tester", changes)


def _changes(first: int, count: int, type: str) -> list[outbox.Change]:
    return [outbox.Change(type, "payment", i, None, {"n": i}) for i in range(first, first + count)]


async def _statements(db: Database, run: Any) -> list[str]:
    """The SQL statements ``run()`` sends, in order."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()).lower())

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        await run()
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)
    return seen


async def test_tail_pages_in_id_order_and_ends_when_caught_up(db):
    await _emit(db, _changes(1, 25, "payment.created"))
    async with db.session() as session:
        pages = [
            [e["id"] for e in page] async for page in EventService(session).tail(since=3, page=10)
        ]
        assert not session.in_transaction()
    assert pages == [list(range(4, 14)), list(range(14, 24)), [24, 25]]


async def test_an_idle_follower_sends_one_query_a_look_and_holds_no_transaction(db):
    await _emit(db, _changes(1, 1200, "payment.updated"))  # hidden by the filter
    stop = asyncio.Event()
    got: list[list[int]] = []

    async def follow() -> None:
        async with db.session() as session:
            service = EventService(session)
            tail = service.tail(
                types=["invoice.paid"], follow=True, interval=0.02, stop=stop, page=100
            )
            async for page in tail:
                got.append([e["id"] for e in page])
                assert not session.in_transaction()  # a page is handed on after its look ends

    async def writer() -> None:
        await asyncio.sleep(0.3)  # a dozen idle looks
        await _emit(db, _changes(1201, 3, "payment.updated") + _changes(1204, 1, "invoice.paid"))
        await asyncio.sleep(0.3)
        stop.set()

    statements = await _statements(db, lambda: asyncio.gather(follow(), writer()))
    assert got == [[1204]]
    pages = [s for s in statements if s.startswith("select") and "events.payload" in s]
    heads = [s for s in statements if s.startswith("select") and "max(events.id)" in s]
    # the 1200 hidden events are read once (first look), then looks are one cheap query
    # each until the writer commits: one page look for the new events, idle again after
    assert len(pages) == 2, pages
    assert len(heads) >= 10, len(heads)

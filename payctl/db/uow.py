"""Transaction boundaries for service methods.

A public service method decorated with ``@unit_of_work`` opens one transaction, commits it
when the method returns and rolls it back if it raises. Called from inside another unit of
work (the flow service calling the payment service) it joins the running transaction.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.engine import WRITE_OPTION

R = TypeVar("R")

BEFORE_COMMIT = "payctl_before_commit"


def before_commit(
    session: AsyncSession, key: str, hook: Callable[[], Awaitable[None]], *, last: bool = False
) -> None:
    """Run ``hook`` once, right before this transaction commits (dropped on rollback); a
    ``last`` hook after every other one, whenever each was registered.

    The audit chain uses it to write its records last: its head row is then always the last
    lock a transaction takes, so writers on PostgreSQL lock in one order and cannot deadlock.
    Planner statistics of a bulk load are refreshed ``last``, so they count the audit records."""
    hooks = session.info.setdefault(BEFORE_COMMIT, {})
    hooks.setdefault((last, key), hook)


def pending_hook(session: AsyncSession, key: str) -> Any:
    return session.info.get(BEFORE_COMMIT, {}).get((False, key))


async def commit(session: AsyncSession) -> None:
    hooks = session.info.pop(BEFORE_COMMIT, {})
    for (_last, _key), hook in sorted(hooks.items(), key=lambda item: item[0][0]):  # stable
        await hook()
    await session.commit()


async def rollback(session: AsyncSession) -> None:
    session.info.pop(BEFORE_COMMIT, None)
    await session.rollback()


async def begin(session: AsyncSession, write: bool) -> None:
    """Start the session's transaction; on SQLite a write one takes the lock up front."""
    await session.connection(execution_options={WRITE_OPTION: write})


def unit_of_work(
    write: bool = True,
) -> Callable[[Callable[..., Awaitable[R]]], Callable[..., Awaitable[R]]]:
    def decorate(fn: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> R:
            session: AsyncSession = self.session
            if session.in_transaction():
                return await fn(self, *args, **kwargs)
            await begin(session, write)
            try:
                result = await fn(self, *args, **kwargs)
                await commit(session)
                return result
            except BaseException:
                await rollback(session)
                raise

        return wrapper

    return decorate


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the garbage collector for set-wise work on thousands of rows.

    A batch makes hundreds of thousands of short-lived, acyclic objects (freed by reference
    counting anyway); the collector's generation passes over them cost more than the SQL.
    Memory stays bounded by the batch."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

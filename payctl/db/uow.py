"""Transaction boundaries for service methods: the one way a service begins, commits and
rolls back.

A public service method decorated with ``@unit_of_work`` opens one transaction, commits it
when the method returns and rolls it back if it raises. Called from inside another unit of
work (the flow service calling the payment service) it joins the running transaction.

A method that commits more than once (a bulk run: one transaction per batch; an import: one
per file) or rolls back on purpose (a dry run) opens each of its transactions with
``async with transaction(...)``, which follows the same rules.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
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


def pending_hook(session: AsyncSession, key: str, *, last: bool = False) -> Any:
    return session.info.get(BEFORE_COMMIT, {}).get((last, key))


async def commit(session: AsyncSession) -> None:
    hooks = session.info.pop(BEFORE_COMMIT, {})
    for (_last, _key), hook in sorted(hooks.items(), key=lambda item: item[0][0]):  # stable
        await hook()
    await session.commit()


async def rollback(session: AsyncSession) -> None:
    session.info.pop(BEFORE_COMMIT, None)
    await session.rollback()


async def begin(session: AsyncSession, write: bool, snapshot: bool = False) -> None:
    """Start the session's transaction; on SQLite a write one takes the lock up front.
    ``snapshot``: every query sees the database as it was at the first (REPEATABLE READ on
    PostgreSQL; an SQLite transaction always does)."""
    options: dict[str, Any] = {WRITE_OPTION: write}
    bind = session.bind
    if snapshot and bind is not None and bind.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    await session.connection(execution_options=options)


OWNER = "payctl_transaction"


class Transaction:
    """A running transaction: committed when its block ends, unless discarded."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep

    def discard(self) -> None:
        """Roll back at the end instead of committing: a dry run, an atomic run that failed.
        Joined from inside another transaction, it discards that one: nothing of it is kept."""
        self.keep = False


class _Foreign(Transaction):
    """A transaction begun outside any unit of work: its caller commits it or not."""

    def discard(self) -> None:
        raise RuntimeError("cannot roll back a transaction begun outside a unit of work")


@asynccontextmanager
async def transaction(
    session: AsyncSession, *, write: bool, keep: bool = True, snapshot: bool = False
) -> AsyncIterator[Transaction]:
    """One transaction for the block: committed when it ends (rolled back when ``keep`` is
    false or it was discarded), rolled back when it raises. Inside a running transaction the
    block joins it, and the one who began that one commits or rolls back. ``snapshot``: see
    :func:`begin`."""
    if session.in_transaction():
        owner = session.info.get(OWNER)
        if owner is None:  # begun by a caller's own queries, outside any unit of work
            owner = _Foreign(keep=True)
        if not keep:
            owner.discard()
        yield owner
        return
    await begin(session, write, snapshot)
    tx = session.info[OWNER] = Transaction(keep)
    try:
        yield tx
        session.info.pop(OWNER, None)
        await (commit(session) if tx.keep else rollback(session))
    except BaseException:
        session.info.pop(OWNER, None)
        await rollback(session)
        raise


def unit_of_work(
    write: bool = True,
) -> Callable[[Callable[..., Awaitable[R]]], Callable[..., Awaitable[R]]]:
    def decorate(fn: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> R:
            async with transaction(self.session, write=write):
                return await fn(self, *args, **kwargs)

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

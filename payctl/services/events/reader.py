"""Reading the outbox in id order: the one query `payctl events` and the relay page with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Event
from payctl.services.events.outbox import envelope

COLUMNS = (
    Event.id,
    Event.type,
    Event.occurred_at,
    Event.actor,
    Event.object_type,
    Event.object_id,
    Event.object_number,
    Event.payload,
)


async def after(
    session: AsyncSession, last_id: int, limit: int, types: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Up to ``limit`` events with ids above ``last_id``, in id order, as consumers see them
    (outbox.envelope). Ids follow commit order (outbox.py), so a reader that remembers the last
    id it handled never skips an event that commits later."""
    query = select(*COLUMNS).where(Event.id > last_id).order_by(Event.id).limit(limit)
    if types:
        query = query.where(Event.type.in_(sorted(set(types))))
    rows = await session.execute(query)
    return [envelope(dict(row._mapping)) for row in rows]

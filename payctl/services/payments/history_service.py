"""Reading the audit trail of a payment."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import AuditRecord, Payment
from payctl.db.uow import unit_of_work
from payctl.errors import NotFound
from payctl.services import lookups


@dataclass(frozen=True)
class HistoryItem:
    id: int
    at: dt.datetime
    user: str
    action: str
    changes: dict[str, Any]
    reason: str | None


class HistoryService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    @unit_of_work(write=False)
    async def payment_history(self, ident: str) -> list[HistoryItem]:
        pid = await self.session.scalar(select(Payment.id).where(lookups.payment_filter(ident)))
        if pid is None:
            pid = lookups.as_id(ident)  # a deleted draft keeps its history
        records = (
            (
                await self.session.execute(
                    select(AuditRecord)
                    .where(AuditRecord.payment_id == pid)
                    .order_by(AuditRecord.id)
                )
            )
            .scalars()
            .all()
            if pid is not None
            else []
        )
        if not records:
            raise NotFound(f"no history for payment {ident!r}")
        return [
            HistoryItem(r.id, r.at, r.user, r.action, json.loads(r.changes), r.reason)
            for r in records
        ]

"""The lock date: nothing may be posted, reversed or cancelled on or before it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.uow import unit_of_work
from payctl.domain.dates import parse_date
from payctl.errors import InputError, RuleViolation
from payctl.services.events import outbox
from payctl.services.events.payloads import lock_date_change
from payctl.services.ledger import audit, settings


class LockService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    @unit_of_work(write=False)
    async def get_lock_date(self) -> dt.date | None:
        return await settings.lock_date(self.session)

    @unit_of_work(write=True)
    async def set_lock_date(
        self, value: str, force: bool = False, reason: str | None = None
    ) -> dt.date:
        new = parse_date(value, "lock date")
        if new is None:
            raise InputError("lock date: a date is required (YYYY-MM-DD)")
        old = await settings.lock_date(self.session)
        if old is not None and new < old and not force:
            raise RuleViolation(
                f"moving the lock date back from {old} to {new} reopens a closed "
                "period: repeat with --force (it is audited)"
            )
        forced = bool(old and new < old)
        await settings.put(self.session, settings.LOCK_DATE, new.isoformat())
        await audit.append(
            self.session,
            [
                audit.AuditEvent(
                    self.user,
                    "lock_date",
                    "setting",
                    None,
                    {
                        "lock_date": [old.isoformat() if old else None, new.isoformat()],
                        "forced": forced,
                    },
                    reason=reason,
                )
            ],
        )
        if new != old:  # setting the date it already has changes nothing: no event
            await outbox.emit(self.session, self.user, [lock_date_change(new, old, forced, reason)])
        return new

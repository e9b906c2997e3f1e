"""db/uow.transaction: the one way a service begins, commits and rolls back (issue 9, point 5)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from payctl.db.engine import Database
from payctl.db.models import Partner
from payctl.db.uow import transaction
from payctl.domain.enums import PartnerKind


async def _partners(db: Database) -> list[str]:
    async with db.session() as s:
        return list((await s.execute(select(Partner.name).order_by(Partner.name))).scalars())


async def test_kept_discarded_raising_and_joined_blocks(db):
    async with db.session() as s:
        async with transaction(s, write=True):
            s.add(Partner(name="Kept", kind=PartnerKind.CUSTOMER))
        async with transaction(s, write=True, keep=False):  # a dry run
            s.add(Partner(name="Dry", kind=PartnerKind.CUSTOMER))
        async with transaction(s, write=True) as tx:
            s.add(Partner(name="Discarded", kind=PartnerKind.CUSTOMER))
            tx.discard()
        with pytest.raises(ZeroDivisionError):
            async with transaction(s, write=True):
                s.add(Partner(name="Raised", kind=PartnerKind.CUSTOMER))
                await s.flush()
                _ = 1 / 0
        assert not s.in_transaction()
        # a block inside a running transaction joins it: its owner commits, once
        async with transaction(s, write=True) as outer:
            async with transaction(s, write=True) as inner:
                assert inner is outer
                s.add(Partner(name="Joined", kind=PartnerKind.CUSTOMER))
            assert s.in_transaction()
        # a joined block that is not kept discards its owner's work too
        async with transaction(s, write=True):
            s.add(Partner(name="Owner", kind=PartnerKind.CUSTOMER))
            async with transaction(s, write=True, keep=False):
                pass
    assert await _partners(db) == ["Joined", "Kept"]


async def test_a_transaction_begun_outside_a_unit_of_work_is_its_callers(db):
    async with db.session() as s:
        await s.scalar(select(func.count()).select_from(Partner))  # autobegins
        async with transaction(s, write=True):
            s.add(Partner(name="Caller's", kind=PartnerKind.CUSTOMER))
        assert s.in_transaction()  # not committed by the block
        with pytest.raises(RuntimeError, match="outside a unit of work"):
            async with transaction(s, write=True, keep=False):
                pass
        await s.commit()
    assert await _partners(db) == ["Caller's"]

"""The lock date (issue 3, item 5): no entry posted, reversed or cancelled on or before it;
refusals name it; moving it backwards needs force and is audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from payctl.db.models import JournalEntry
from payctl.errors import InputError, RuleViolation
from payctl.services.ledger.lock_service import LockService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests import factories
from tests.services.test_flow import (
    audit_records,
    count,
    entries_of,
    invoice_row,
    payment_row,
    sequences_of,
)


def flow(session):
    return PaymentFlowService(session, "tester")


def locks(session):
    return LockService(session, "tester")


async def test_lock_date_is_set_and_read_back(session):
    assert await locks(session).get_lock_date() is None
    assert await locks(session).set_lock_date("2026-03-31") == dt.date(2026, 3, 31)
    assert await locks(session).get_lock_date() == dt.date(2026, 3, 31)


@pytest.mark.parametrize("day", ["2026-03-31", "2026-03-30"], ids=["on", "before"])
async def test_confirm_dated_on_or_before_the_lock_date_is_refused(db, session, day):
    await factories.customer(session)
    await factories.invoice(session, "INV-1")
    p = await factories.draft(session, date=day, allocations=[("INV-1", "1190.00")])
    await locks(session).set_lock_date("2026-03-31")
    sequences_before = await sequences_of(db)

    with pytest.raises(RuleViolation, match=f"date {day} is on or before the lock date 2026-03-31"):
        await flow(session).confirm_payment(p.id)

    row = await payment_row(db, p.id)
    assert (row.state.value, row.number) == ("draft", None)
    assert await entries_of(db, p.id) == []
    assert await invoice_row(db, "INV-1") == (119000, 119000, "open")
    assert await sequences_of(db) == sequences_before


async def test_confirm_after_the_lock_date_is_allowed(db, session):
    await factories.customer(session)
    p = await factories.draft(session, date="2026-04-01")
    await locks(session).set_lock_date("2026-03-31")
    view = await flow(session).confirm_payment(p.id)
    assert view.state == "posted"
    assert len(await entries_of(db, p.id)) == 1


@pytest.mark.parametrize("method", ["reset_payment_to_draft", "cancel_payment"])
@pytest.mark.parametrize("lock", ["2026-02-01", "2026-02-28"], ids=["on", "after-entry"])
async def test_unposting_an_entry_on_or_before_the_lock_date_is_refused(db, session, method, lock):
    await factories.customer(session)
    await factories.invoice(session, "INV-1")
    p = await factories.draft(session, date="2026-02-01", allocations=[("INV-1", "1190.00")])
    await flow(session).confirm_payment(p.id)
    await locks(session).set_lock_date(lock)
    entries_before = await count(db, JournalEntry)

    with pytest.raises(RuleViolation, match=f"on or before the lock date {lock}"):
        await getattr(flow(session), method)(p.id)

    assert (await payment_row(db, p.id)).state.value == "posted"
    (entry,) = await entries_of(db, p.id)
    assert entry.live
    assert await count(db, JournalEntry) == entries_before
    assert await invoice_row(db, "INV-1") == (119000, 0, "paid")


@pytest.mark.parametrize("method", ["reset_payment_to_draft", "cancel_payment"])
async def test_unposting_an_entry_after_the_lock_date_is_allowed(db, session, method):
    await factories.customer(session)
    p = await factories.draft(session, date="2026-04-02")
    await flow(session).confirm_payment(p.id)
    await locks(session).set_lock_date("2026-04-01")
    view = await getattr(flow(session), method)(p.id)
    assert view.state in ("draft", "cancelled")
    original, reversal = await entries_of(db, p.id)
    assert reversal.reversal_of_id == original.id
    assert reversal.date > dt.date(2026, 4, 1)


async def test_cancelling_a_draft_is_not_an_accounting_event(db, session):
    # a draft has no entry, so a lock date after its date does not block cancelling it
    await factories.customer(session)
    p = await factories.draft(session, date="2026-02-01")
    await locks(session).set_lock_date("2026-03-31")
    assert (await flow(session).cancel_payment(p.id)).state == "cancelled"


async def test_moving_the_lock_date_backwards_needs_force_and_is_audited(db, session):
    await locks(session).set_lock_date("2026-03-31", reason="Q1 closed")
    with pytest.raises(RuleViolation, match=r"from 2026-03-31 to 2026-01-31.*--force"):
        await locks(session).set_lock_date("2026-01-31")
    assert await locks(session).get_lock_date() == dt.date(2026, 3, 31)
    assert len(await audit_records(db)) == 1

    assert await locks(session).set_lock_date(
        "2026-01-31", force=True, reason="correct February"
    ) == dt.date(2026, 1, 31)
    assert await locks(session).get_lock_date() == dt.date(2026, 1, 31)

    records = await audit_records(db)
    assert [(r.action, r.user, r.reason) for r in records] == [
        ("lock_date", "tester", "Q1 closed"),
        ("lock_date", "tester", "correct February"),
    ]
    first, second = (json.loads(r.changes) for r in records)
    assert first == {"lock_date": [None, "2026-03-31"], "forced": False}
    assert second == {"lock_date": ["2026-03-31", "2026-01-31"], "forced": True}
    assert records[1].prev_hash == records[0].hash


async def test_moving_the_lock_date_forward_needs_no_force(session):
    await locks(session).set_lock_date("2026-01-31")
    assert await locks(session).set_lock_date("2026-03-31") == dt.date(2026, 3, 31)


@pytest.mark.parametrize("value", ["", "31.03.2026x", "2026-13-01"])
async def test_a_bad_lock_date_is_an_input_error(session, value):
    with pytest.raises(InputError):
        await locks(session).set_lock_date(value)
    assert await locks(session).get_lock_date() is None

"""Bulk transitions through PaymentFlowService.bulk (issue 4): per-item and atomic modes, dry
run and validate, batches of 1000, confirm → reset → cancel, delete, selection by filter, and
a statement count that does not grow with the batch.

Runs on every backend of the ``backend`` fixture (SQLite, and PostgreSQL when configured).
The service acts through the ``session`` fixture; every assertion reads the database through
a fresh session (``_read``). Large sets are seeded by tests/procs/bulk_worker.seed_drafts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func, select

from payctl.db.engine import Database
from payctl.db.models import AuditRecord, Invoice, JournalEntry, PaymentAllocation
from payctl.domain.enums import InvoiceState
from payctl.services.payments.bulk_types import BulkOptions, BulkReport, ItemResult
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_queries import PaymentFilter
from payctl.services.payments.selection import Selection
from tests import factories
from tests.procs.bulk_worker import (
    count_state,
    integrity_problems,
    payment_states,
    seed_drafts,
    table_counts,
)

T = TypeVar("T")


# --------------------------------------------------------------------------- helpers


async def _read(db: Database, fn: Callable[[Any], Awaitable[T]]) -> T:
    async with db.session() as s:
        return await fn(s)


async def bulk(
    session: Any,
    action: str,
    idents: list[Any] | None = None,
    filters: PaymentFilter | None = None,
    **kw: Any,
) -> BulkReport:
    selection = Selection(tuple(str(i) for i in idents or ()), filters)
    progress = kw.pop("progress", None)
    return await PaymentFlowService(session, "tester").bulk(
        action, selection, BulkOptions(**kw), progress
    )


def by_item(report: BulkReport) -> dict[str, ItemResult]:
    items = {i.item: i for i in report.items}
    assert len(items) == len(report.items), "an item is reported twice"
    return items


async def assert_sound(db: Database) -> None:
    problems = await _read(db, integrity_problems)
    assert problems == []


async def snapshot(
    db: Database,
) -> tuple[dict[str, int], dict[int, tuple[str, str | None]], dict[str, tuple[int, str]]]:
    """Table counts, every payment's (state, number), every invoice's (residual, state)."""

    async def invoices(s: Any) -> dict[str, tuple[int, str]]:
        rows = (await s.execute(select(Invoice.number, Invoice.residual, Invoice.state))).all()
        return {n: (r, InvoiceState(st).value) for n, r, st in rows}

    return (
        await _read(db, table_counts),
        await _read(db, payment_states),
        await _read(db, invoices),
    )


async def entry_count(db: Database, payment_id: int) -> int:
    async def q(s: Any) -> int:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(JournalEntry)
                .where(JournalEntry.payment_id == payment_id)
            )
            or 0
        )

    return await _read(db, q)


async def audit_actions(db: Database) -> Counter[str]:
    async def q(s: Any) -> Counter[str]:
        return Counter((await s.execute(select(AuditRecord.action))).scalars())

    return await _read(db, q)


async def mixed_set(session: Any) -> dict[str, Any]:
    """Three good drafts, two drafts competing for one invoice, a cancelled draft, a payment
    posted before the run. Returns their ids (and the posted one's number)."""
    await factories.customer(session)
    for k in (1, 2, 3):
        await factories.invoice(session, f"INV-{k}", amount="100.00")
    await factories.invoice(session, "INV-S", amount="100.00")
    await factories.invoice(session, "INV-P", amount="100.00")
    flow = PaymentFlowService(session, "tester")
    ids: dict[str, Any] = {}
    posted = await factories.draft(session, "100.00", allocations=[("INV-P", "100.00")])
    ids["posted"] = posted.id
    ids["posted_number"] = (await flow.confirm_payment(posted.id)).number
    for k in (1, 2, 3):
        ids[f"g{k}"] = (
            await factories.draft(session, "100.00", allocations=[(f"INV-{k}", "100.00")])
        ).id
    ids["comp1"] = (await factories.draft(session, "100.00", allocations=[("INV-S", "100.00")])).id
    ids["comp2"] = (await factories.draft(session, "100.00", allocations=[("INV-S", "100.00")])).id
    ids["cancelled"] = (await factories.draft(session, "30.00")).id
    await flow.cancel_payment(ids["cancelled"])
    return ids


# --------------------------------------------------------------------------- per-item mode


async def test_per_item_mode_posts_good_items_and_reports_each_bad_one(session, db):
    ids = await mixed_set(session)
    counts_before, states_before, _ = await snapshot(db)
    idents = [
        ids["g1"],
        ids["comp1"],
        ids["cancelled"],
        "999999",
        ids["g2"],
        ids["comp2"],
        ids["posted"],
        ids["g3"],
        f"#{ids['g1']}",
        "BNK1/2026/99999",
    ]

    report = await bulk(session, "confirm", idents)

    items = by_item(report)
    assert (report.succeeded, report.skipped, report.failed) == (4, 2, 4)
    assert not report.rolled_back and report.batches == 1
    for key in ("g1", "g2", "g3", "comp1"):
        item = items[str(ids[key])]
        assert (item.ok, item.skipped, item.before, item.after) == (True, False, "draft", "posted")
        assert item.number and item.number.startswith("BNK1/2026/")
    assert items["999999"].message == "unknown payment '999999'" and not items["999999"].ok
    assert items["BNK1/2026/99999"].message == "unknown payment 'BNK1/2026/99999'"
    repeated = items[f"#{ids['g1']}"]  # named twice: a duplicate, not a failure
    assert (repeated.ok, repeated.skipped, repeated.payment_id) == (True, True, ids["g1"])
    assert repeated.message == "listed 2 times: handled once"
    cancelled = items[str(ids["cancelled"])]
    assert not cancelled.ok and cancelled.after == "cancelled"
    assert cancelled.message == f"payment #{ids['cancelled']} is cancelled and cannot be confirmed"
    comp2 = items[str(ids["comp2"])]
    assert not comp2.ok and comp2.after == "draft" and comp2.number is None
    assert "INV-S" in comp2.message and "exceeds its open residual" in comp2.message
    skipped = items[str(ids["posted"])]
    assert (skipped.ok, skipped.skipped, skipped.message) == (True, True, "already posted: skipped")

    states = await _read(db, payment_states)
    for key in ("g1", "g2", "g3", "comp1"):
        assert states[ids[key]][0] == "posted"
    assert {states[ids[k]][1] for k in ("g1", "g2", "g3", "comp1")} == {
        f"BNK1/2026/{n:05d}" for n in (2, 3, 4, 5)
    }
    for key in ("comp2", "cancelled", "posted"):  # bad ones (and the skipped one) untouched
        assert states[ids[key]] == states_before[ids[key]]
    assert await entry_count(db, ids["comp2"]) == 0
    assert await entry_count(db, ids["posted"]) == 1
    counts = await _read(db, table_counts)
    assert counts["journal_entries"] == counts_before["journal_entries"] + 4
    assert counts["audit_log"] == counts_before["audit_log"] + 4
    assert counts["payments"] == counts_before["payments"]
    _, _, invoices = await snapshot(db)
    assert invoices["INV-S"] == (0, "paid")  # comp1's allocation only, once
    await assert_sound(db)


async def test_selection_by_numbers_and_ids_reports_the_same_payment_named_twice(session, db):
    ids = await mixed_set(session)
    number = ids["posted_number"]
    report = await bulk(session, "reset", [number, ids["posted"], ids["g1"]])
    items = by_item(report)
    assert items[number].ok and items[number].after == "draft"
    assert items[str(ids["posted"])].message == "listed 2 times: handled once"
    assert items[str(ids["posted"])].skipped and report.failed == 0
    assert items[str(ids["g1"])].skipped  # a draft is already what reset leads to
    assert (await _read(db, payment_states))[ids["posted"]] == ("draft", number)
    await assert_sound(db)


async def test_a_payment_listed_several_times_is_one_duplicate_and_the_run_succeeds(session, db):
    ids = await seed_drafts(session, 2)
    report = await bulk(session, "confirm", [ids[0], ids[1], ids[0], f"#{ids[0]}", ids[1]])

    assert (report.succeeded, report.skipped, report.failed) == (2, 2, 0)
    repeats = [(i.item, i.payment_id, i.message) for i in report.items if i.skipped]
    assert repeats == [  # once per payment, named as first repeated, in that order
        (str(ids[0]), ids[0], "listed 3 times: handled once"),
        (str(ids[1]), ids[1], "listed 2 times: handled once"),
    ]
    assert {s for s, _ in (await _read(db, payment_states)).values()} == {"posted"}
    assert await entry_count(db, ids[0]) == 1
    await assert_sound(db)


async def test_identifier_forms_resolve_or_are_reported_unknown_never_crash(session, db):
    ids = await seed_drafts(session, 3)
    idents = [
        f"#{ids[0]}",
        f"00{ids[1]}",
        " ",
        "3000000000",
        "99999999999999999999",
        "1\u00b2",
        "no-such-number",
        str(ids[2]),
    ]

    report = await bulk(session, "confirm", idents)

    items = by_item(report)
    assert " " not in items  # blank lines are not items
    assert [items[i].ok for i in (f"#{ids[0]}", f"00{ids[1]}", str(ids[2]))] == [True] * 3
    for bad in ("3000000000", "99999999999999999999", "1\u00b2", "no-such-number"):
        assert (items[bad].ok, items[bad].message) == (False, f"unknown payment {bad!r}")
    assert await _read(db, lambda s: count_state(s, "posted")) == 3


# --------------------------------------------------------------------------- atomic mode


async def test_atomic_mode_with_one_bad_item_changes_nothing(session, db):
    ids = await mixed_set(session)
    before = await snapshot(db)
    idents = [ids["g1"], ids["g2"], ids["cancelled"], ids["g3"], ids["posted"]]

    report = await bulk(session, "confirm", idents, atomic=True)

    assert report.rolled_back and report.atomic
    assert report.failed == 1 and report.succeeded == 0
    (bad,) = [i for i in report.items if not i.ok]
    assert bad.item == str(ids["cancelled"]) and "cancelled" in bad.message
    for key in ("g1", "g2", "g3"):  # would-be successes do not claim a change
        item = by_item(report)[str(ids[key])]
        assert item.after == "draft" and "rolled back" in item.message
    assert await snapshot(db) == before

    # the rolled-back run consumed no numbers: the next real run continues at 00002
    report = await bulk(session, "confirm", [ids["g1"]])
    assert report.succeeded == 1
    assert (await _read(db, payment_states))[ids["g1"]] == ("posted", "BNK1/2026/00002")
    await assert_sound(db)


async def test_atomic_mode_with_an_unknown_identifier_changes_nothing(session, db):
    ids = await mixed_set(session)
    before = await snapshot(db)
    report = await bulk(session, "confirm", [ids["g1"], "424242", ids["g2"]], atomic=True)
    assert report.rolled_back and report.failed == 1 and report.succeeded == 0
    assert [i.item for i in report.items if not i.ok] == ["424242"]
    assert await snapshot(db) == before


@pytest.mark.slow
async def test_atomic_failure_in_the_second_batch_rolls_back_the_first(session, db):
    ids = await seed_drafts(session, 1500)
    await PaymentFlowService(session, "tester").cancel_payment(ids[1200])
    before = await snapshot(db)

    report = await bulk(session, "confirm", ids, atomic=True)

    assert report.rolled_back and report.batches == 2
    assert [i.item for i in report.items if not i.ok] == [str(ids[1200])]
    assert report.succeeded == 0
    assert await snapshot(db) == before
    assert await _read(db, lambda s: count_state(s, "posted")) == 0


# --------------------------------------------------------------------------- dry run / validate


@pytest.mark.parametrize(
    ("action", "dry_run", "target", "message"),
    [
        ("confirm", True, "drafts", "ok"),
        ("post", True, "drafts", "ok"),
        ("validate", False, "drafts", "can be confirmed"),
        ("reset", True, "posted", "ok"),
        ("cancel", True, "posted", "ok"),
        ("delete", True, "drafts", "ok"),
    ],
)
async def test_dry_run_and_validate_run_the_checks_and_write_nothing(
    session, db, action, dry_run, target, message
):
    ids = await seed_drafts(session, 6)
    flow = PaymentFlowService(session, "tester")
    for pid in ids[:2]:
        await flow.confirm_payment(pid)
    await factories.invoice(session, "INV-X", amount="50.00")
    taken = await factories.draft(session, "50.00", allocations=[("INV-X", "50.00")])
    late = await factories.draft(session, "50.00", allocations=[("INV-X", "50.00")])
    await flow.confirm_payment(taken.id)  # `late` can no longer be confirmed
    before = await snapshot(db)
    chosen = ids[2:] if target == "drafts" else ids[:2]

    report = await bulk(session, action, [*chosen, late.id], dry_run=dry_run)

    assert report.dry_run
    good = [i for i in report.items if i.item != str(late.id)]
    assert len(good) == len(chosen) and all(i.ok and not i.skipped for i in good)
    assert {i.message for i in good} == {message}
    bad = by_item(report)[str(late.id)]
    if action in ("confirm", "post", "validate"):
        assert not bad.ok and "exceeds its open residual" in bad.message
    elif action == "delete":
        assert bad.ok  # a never-posted draft could be deleted
    else:
        assert bad.skipped if action == "reset" else bad.ok
    assert await snapshot(db) == before  # entries, audit, sequences, states, residuals


# --------------------------------------------------------------------------- large runs


@pytest.mark.slow
async def test_a_full_batch_of_1000_confirms_in_one_batch(session, db):
    ids = await seed_drafts(session, 1000)
    report = await bulk(session, "confirm", ids)
    assert (report.batches, report.succeeded, report.failed, report.skipped) == (1, 1000, 0, 0)
    states = await _read(db, payment_states)
    assert sorted(states[i][1] or "" for i in ids) == [f"BNK1/2026/{n:05d}" for n in range(1, 1001)]
    assert {states[i][0] for i in ids} == {"posted"}
    await assert_sound(db)


@pytest.mark.slow
async def test_2500_items_are_split_into_3_batches_and_all_end_right(session, db):
    ids = await seed_drafts(session, 2500)
    seen: list[tuple[int, int]] = []

    report = await bulk(session, "confirm", ids, progress=lambda d, t: seen.append((d, t)))

    assert report.batches == 3
    assert (report.succeeded, report.failed) == (2500, 0)
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]
    states = await _read(db, payment_states)
    numbers = [states[i][1] for i in ids]  # numbered in id order, batch after batch
    assert numbers == [f"BNK1/2026/{n:05d}" for n in range(1, 2501)]
    await assert_sound(db)

    report = await bulk(session, "reset", filters=PaymentFilter(state="posted"))
    assert (report.batches, report.succeeded, report.failed) == (3, 2500, 0)
    assert await _read(db, lambda s: count_state(s, "draft")) == 2500
    await assert_sound(db)


# --------------------------------------------------------------------------- lifecycle


async def test_confirm_then_reset_then_cancel_the_same_set_and_reruns_skip(session, db):
    ids = await seed_drafts(session, 20)

    report = await bulk(session, "confirm", ids)
    assert (report.succeeded, report.failed) == (20, 0)
    numbers = {pid: num for pid, (_, num) in (await _read(db, payment_states)).items()}
    _, _, invoices = await snapshot(db)
    assert {v for v in invoices.values()} == {(0, "paid")}
    await assert_sound(db)
    again = await bulk(session, "confirm", ids)
    assert (again.succeeded, again.skipped, again.failed) == (0, 20, 0)
    assert {i.message for i in again.items} == {"already posted: skipped"}

    report = await bulk(session, "reset", ids)
    assert (report.succeeded, report.failed) == (20, 0)
    states = await _read(db, payment_states)
    assert all(states[i] == ("draft", numbers[i]) for i in ids)  # the number is kept
    assert [await entry_count(db, i) for i in ids[:3]] == [2, 2, 2]  # entry + reversal
    _, _, invoices = await snapshot(db)
    assert {v for v in invoices.values()} == {(10_000, "open")}
    await assert_sound(db)
    again = await bulk(session, "reset", ids)
    assert (again.succeeded, again.skipped, again.failed) == (0, 20, 0)

    entries_before = (await _read(db, table_counts))["journal_entries"]
    report = await bulk(session, "cancel", ids)
    assert (report.succeeded, report.failed) == (20, 0)
    assert {s for s, _ in (await _read(db, payment_states)).values()} == {"cancelled"}
    assert (await _read(db, table_counts))["journal_entries"] == entries_before  # drafts: no entry
    await assert_sound(db)
    again = await bulk(session, "cancel", ids)
    assert (again.succeeded, again.skipped, again.failed) == (0, 20, 0)
    assert {i.message for i in again.items} == {"already cancelled: skipped"}

    actions = await audit_actions(db)
    assert (actions["confirm"], actions["reset"], actions["cancel"]) == (20, 20, 20)


async def test_bulk_cancel_of_posted_payments_posts_reversals(session, db):
    ids = await seed_drafts(session, 5)
    await bulk(session, "confirm", ids)
    report = await bulk(session, "cancel", ids, reason="duplicates")
    assert (report.succeeded, report.failed) == (5, 0)
    assert [await entry_count(db, i) for i in ids] == [2] * 5
    _, _, invoices = await snapshot(db)
    assert {v for v in invoices.values()} == {(10_000, "open")}

    async def reasons(s: Any) -> set[str | None]:
        return set(
            (
                await s.execute(select(AuditRecord.reason).where(AuditRecord.action == "cancel"))
            ).scalars()
        )

    assert await _read(db, reasons) == {"duplicates"}
    await assert_sound(db)


async def test_bulk_delete_removes_never_posted_drafts_and_refuses_the_rest(session, db):
    ids = await seed_drafts(session, 5)
    new1, new2, posted, reset, cancelled = ids
    flow = PaymentFlowService(session, "tester")
    await flow.confirm_payment(posted)
    await flow.confirm_payment(reset)
    await flow.reset_payment_to_draft(reset)
    await flow.cancel_payment(cancelled)
    counts_before, states_before, invoices_before = await snapshot(db)

    report = await bulk(session, "delete", ids)

    items = by_item(report)
    assert (report.succeeded, report.failed) == (2, 3)
    assert items[str(new1)].after == "deleted" and items[str(new2)].ok
    assert "is posted: only drafts can be deleted" in items[str(posted)].message
    assert items[str(reset)].message == (
        f"payment {states_before[reset][1]} has been posted before and keeps its history: "
        "cancel it instead of deleting"
    )
    assert "is cancelled: only drafts can be deleted" in items[str(cancelled)].message

    counts, states, invoices = await snapshot(db)
    assert set(states) == set(states_before) - {new1, new2}
    assert all(states[i] == states_before[i] for i in (posted, reset, cancelled))
    assert counts["payments"] == counts_before["payments"] - 2
    assert counts["payment_allocations"] == counts_before["payment_allocations"] - 2
    assert counts["journal_entries"] == counts_before["journal_entries"]
    assert invoices == invoices_before

    async def deleted(s: Any) -> set[int]:
        return set(
            (
                await s.execute(
                    select(AuditRecord.payment_id).where(AuditRecord.action == "delete")
                )
            ).scalars()
        )

    assert await _read(db, deleted) == {new1, new2}

    async def orphans(s: Any) -> int:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(PaymentAllocation)
                .where(PaymentAllocation.payment_id.in_([new1, new2]))
            )
            or 0
        )

    assert await _read(db, orphans) == 0
    await assert_sound(db)


# --------------------------------------------------------------------------- selection


async def test_selection_by_filter_takes_only_matching_payments(session, db):
    bank = await seed_drafts(session, 4, prefix="B")
    cash = await seed_drafts(session, 3, prefix="C", journal="CSH1")
    await PaymentFlowService(session, "tester").confirm_payment(bank[0])

    report = await bulk(session, "confirm", filters=PaymentFilter(state="draft", journal="BNK1"))

    assert sorted(i.payment_id or 0 for i in report.items) == sorted(bank[1:])
    assert (report.succeeded, report.failed) == (3, 0)
    states = await _read(db, payment_states)
    assert all(states[i][0] == "posted" for i in bank)
    assert all(states[i] == ("draft", None) for i in cash)
    await assert_sound(db)


async def test_a_filter_matching_nothing_is_an_empty_success(session, db):
    await seed_drafts(session, 2)
    report = await bulk(session, "cancel", filters=PaymentFilter(state="posted"))
    assert report.items == [] and report.failed == 0 and report.batches == 0


# --------------------------------------------------------------------------- statement count


def _count_statements(db: Database) -> tuple[list[str], Callable[[], None]]:
    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    return seen, lambda: event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)


@pytest.mark.slow
async def test_statements_per_bulk_run_do_not_grow_with_the_batch(session, db):
    warm = await seed_drafts(session, 1, prefix="W")
    await bulk(session, "confirm", warm)  # counters exist from here on, for both sizes
    small = await seed_drafts(session, 10, prefix="S")
    large = await seed_drafts(session, 1000, prefix="L")
    counts: dict[tuple[str, int], int] = {}
    for action in ("confirm", "reset", "cancel"):
        for ids in (small, large):
            seen, stop = _count_statements(db)
            try:
                report = await bulk(session, action, ids)
            finally:
                stop()
            assert (report.succeeded, report.failed) == (len(ids), 0)
            counts[(action, len(ids))] = len(seen)
    for action in ("confirm", "reset", "cancel"):
        few, many = counts[(action, 10)], counts[(action, 1000)]
        assert many < 40, (action, many)
        assert abs(many - few) <= 3, (action, counts)
    await assert_sound(db)


async def test_bulk_delete_can_be_repeated_already_deleted_ids_are_skipped(session):
    ids = await seed_drafts(session, 3)
    first = await bulk(session, "delete", ids[:2])
    assert (first.succeeded, first.failed) == (2, 0)

    again = await bulk(session, "delete", [*ids, 999_999])

    items = by_item(again)
    assert all(items[str(i)].skipped and items[str(i)].ok for i in ids[:2])
    assert items[str(ids[0])].message == "already deleted: skipped"
    assert items[str(ids[2])].after == "deleted" and not items[str(ids[2])].skipped
    assert items["999999"].message == "unknown payment '999999'" and not items["999999"].ok
    assert (again.succeeded, again.skipped, again.failed) == (1, 2, 1)

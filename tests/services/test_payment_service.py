"""PaymentService against SQLite (always) and PostgreSQL (when PAYCTL_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from payctl.db import models as m
from payctl.domain.validation import messages
from payctl.errors import InputError, NotFound, RuleViolation
from payctl.services.ledger.lock_service import LockService
from payctl.services.payments.history_service import HistoryService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_queries import PaymentFilter
from payctl.services.payments.payment_service import PaymentService
from payctl.services.reports.summary import SummaryService
from tests import factories

TABLES = {
    "payments": m.Payment,
    "allocations": m.PaymentAllocation,
    "entries": m.JournalEntry,
    "lines": m.JournalLine,
    "invoices": m.Invoice,
    "audit": m.AuditRecord,
}


async def counts(db: Any) -> dict[str, Any]:
    """Row counts (and the sequence counters) read in a separate session."""
    async with db.session() as s:
        out: dict[str, Any] = await factories.row_counts(s, TABLES)
        out["sequences"] = await factories.sequence_counters(s)
        out["payment_rows"] = sorted(
            (
                await s.execute(
                    select(m.Payment.id, m.Payment.amount, m.Payment.state, m.Payment.updated_at)
                )
            ).all()
        )
        out["residuals"] = sorted(
            (await s.execute(select(m.Invoice.number, m.Invoice.residual))).all()
        )
    return out


def svc(session: Any) -> PaymentService:
    return PaymentService(session, "tester")


def flow(session: Any) -> PaymentFlowService:
    return PaymentFlowService(session, "tester")


@pytest.fixture
async def acme(session):
    await factories.customer(session)
    await factories.invoice(session, "INV-1")  # 1190.00
    await factories.invoice(session, "INV-2", amount="500.00")
    return session


# --------------------------------------------------------------------- create / get
async def test_create_payment_without_allocations(session, db):
    await factories.customer(session)
    view = await svc(session).create_payment(
        "customer_payment",
        "ACME GmbH",
        "BNK1",
        "250.50",
        "2026-02-01",
        reference="REF-1",
        memo="on account",
    )
    assert view.state == "draft"
    assert view.number is None
    assert view.label == f"#{view.id}"
    assert (view.type, view.partner, view.journal) == ("customer_payment", "ACME GmbH", "BNK1")
    assert view.amount == Decimal("250.50") and view.currency == "EUR"
    assert view.allocated == Decimal("0.00") and view.unallocated == Decimal("250.50")
    assert view.date == dt.date(2026, 2, 1)
    assert (view.reference, view.memo, view.created_by) == ("REF-1", "on account", "tester")
    assert view.allocations == [] and view.entries == []
    c = await counts(db)
    assert (c["payments"], c["allocations"], c["entries"]) == (1, 0, 0)
    async with db.session() as s:
        stored = await s.scalar(select(m.Payment))
        assert stored.amount == 25050  # integer minor units
        assert stored.created_at is not None and stored.updated_at is not None
    history = await HistoryService(session, "tester").payment_history(str(view.id))
    assert [h.action for h in history] == ["create"]


async def test_create_payment_with_allocations(acme, db):
    view = await svc(acme).create_payment(
        "customer_payment",
        "ACME GmbH",
        "BNK1",
        "1500.00",
        "2026-02-01",
        allocations=[("INV-1", "1190.00"), ("INV-2", Decimal("300"))],
    )
    assert [(a.invoice, a.amount) for a in view.allocations] == [
        ("INV-1", Decimal("1190.00")),
        ("INV-2", Decimal("300.00")),
    ]
    assert view.allocated == Decimal("1490.00") and view.unallocated == Decimal("10.00")
    # a draft does not touch invoice residuals
    assert [a.invoice_residual for a in view.allocations] == [Decimal("1190.00"), Decimal("500.00")]
    assert (await counts(db))["allocations"] == 2
    assert await svc(acme).validate_payment(view.id) == []
    # defaults: today's date; a partner may be named by id, a journal in any case
    partner_id = (await factories.customer(acme, "Other Co")).id
    view = await svc(acme).create_payment("customer_payment", str(partner_id), "bnk1", "1", None)
    assert view.date == dt.date.today()
    assert view.partner == "Other Co" and view.journal == "BNK1"


CREATE_REFUSALS = [
    ({"amount": "abc"}, InputError, "amount: 'abc' is not a number"),
    ({"amount": "-5"}, InputError, "must not be negative"),
    ({"amount": "0"}, InputError, "greater than zero"),
    ({"amount": "10.001"}, InputError, "more than 2 decimal places"),
    ({"amount": "1e30"}, InputError, "is not a number"),
    ({"amount": "99999999999999999999"}, InputError, "too large"),
    ({"type": "gift"}, InputError, "type: 'gift' is not one of"),
    ({"date": "31/01/2026"}, InputError, "is not a date"),
    ({"partner": "Nobody"}, NotFound, "unknown partner 'Nobody'"),
    ({"journal": "XXX"}, NotFound, "unknown journal 'XXX'"),
    ({"journal": "SAL"}, RuleViolation, "payments need a bank or cash journal"),
    ({"type": "vendor_payment"}, RuleViolation, "is a customer, not valid for a vendor_payment"),
    ({"allocations": [("NOPE", "1")]}, NotFound, "unknown invoice 'NOPE'"),
    ({"allocations": [("INV-1", "abc")]}, InputError, "allocation to INV-1: 'abc' is not a number"),
    ({"allocations": [("INV-1", "1"), ("INV-1", "2")]}, InputError, "listed twice"),
    (
        {"amount": "100.00", "allocations": [("INV-2", "200.00")]},
        RuleViolation,
        "allocations total 200.00 exceeds the payment amount 100.00",
    ),
    (
        {"amount": "5000.00", "allocations": [("INV-2", "500.01")]},
        RuleViolation,
        "allocation 500.01 to INV-2 exceeds its open residual 500.00",
    ),
]


async def test_create_payment_refusals_write_nothing(acme, db):
    await factories.draft(acme, amount="1.00")  # something to keep
    before = await counts(db)
    for kwargs, error, text in CREATE_REFUSALS:
        args = {
            "type": "customer_payment",
            "partner": "ACME GmbH",
            "journal": "BNK1",
            "amount": "100.00",
            "date": "2026-02-01",
        }
        args.update(kwargs)
        with pytest.raises(error) as info:
            await svc(acme).create_payment(**args)
        assert text in info.value.message, (kwargs, info.value.message)
        assert await counts(db) == before, kwargs


async def test_get_payment_by_id_number_and_hash(acme):
    draft = await factories.draft(acme, allocations=[("INV-1", "1190.00")])
    posted = await flow(acme).confirm_payment(draft.id)
    assert posted.number == "BNK1/2026/00001"
    for ident in (draft.id, str(draft.id), f"#{draft.id}", "BNK1/2026/00001"):
        view = await svc(acme).get_payment(ident)
        assert view.id == draft.id and view.number == "BNK1/2026/00001"
        assert [a.invoice for a in view.allocations] == ["INV-1"]
        assert view.allocations[0].invoice_residual == Decimal("0.00")
    assert len(view.entries) == 1
    entry = view.entries[0]
    assert entry.number == "JE/BNK1/2026/00001" and entry.source == "payment"
    assert {(ln.account, ln.debit, ln.credit) for ln in entry.lines} == {
        ("1020", Decimal("1190.00"), Decimal("0.00")),  # outstanding receipts
        ("1100", Decimal("0.00"), Decimal("1190.00")),  # receivable
    }
    without = await svc(acme).get_payment(draft.id, with_entries=False)
    assert without.entries == []


# --------------------------------------------------------------------------- update
async def test_update_draft(acme, db):
    await factories.customer(acme, "Other Co")
    await factories.invoice(acme, "INV-O", partner="Other Co", amount="50.00")
    draft = await factories.draft(acme, amount="100.00")
    view = await svc(acme).update_payment(
        draft.id,
        amount="120.00",
        reference="NEW-REF",
        memo="changed",
        date="2026-03-05",
        journal="CSH1",
        partner="Other Co",
        reason="typo",
    )
    assert view.amount == Decimal("120.00")
    assert (view.reference, view.memo, view.journal, view.partner) == (
        "NEW-REF",
        "changed",
        "CSH1",
        "Other Co",
    )
    assert view.date == dt.date(2026, 3, 5)
    assert view.updated_at >= draft.updated_at
    again = await svc(acme).get_payment(draft.id)
    assert again.amount == Decimal("120.00") and again.partner == "Other Co"
    history = await HistoryService(acme, "tester").payment_history(draft.id)
    assert [h.action for h in history] == ["create", "update"]
    amount = next(c for c in history[1].changes if c.field == "amount")
    assert (amount.before, amount.after, amount.currency) == ("100.00", "120.00", "EUR")
    assert amount.text == "amount 100.00 → 120.00 EUR"
    assert history[1].reason == "typo"
    # clearing texts with ""
    cleared = await svc(acme).update_payment(draft.id, reference="", memo="")
    assert cleared.reference is None and cleared.memo is None
    # an update that changes nothing records nothing
    await svc(acme).update_payment(draft.id, amount="120.00")
    history = await HistoryService(acme, "tester").payment_history(draft.id)
    assert [h.action for h in history] == ["create", "update", "update"]


async def test_update_refusals_change_nothing(acme, db):
    draft = await factories.draft(acme, amount="1190.00", allocations=[("INV-1", "1190.00")])
    before = await counts(db)
    for kwargs, error, text in [
        ({"amount": "12.345"}, InputError, "more than 2 decimal places"),
        ({"amount": "-1"}, InputError, "must not be negative"),
        ({"amount": "1000.00"}, RuleViolation, "exceeds the payment amount"),  # below allocations
        ({"partner": "Nobody"}, NotFound, "unknown partner"),
        ({"journal": "PUR"}, RuleViolation, "bank or cash journal"),
        ({"type": "vendor_payment"}, RuleViolation, "not valid for a vendor_payment"),
        ({"date": "soon"}, InputError, "is not a date"),
    ]:
        with pytest.raises(error) as info:
            await svc(acme).update_payment(draft.id, **kwargs)
        assert text in info.value.message, (kwargs, info.value.message)
        assert await counts(db) == before, kwargs
    assert (await svc(acme).get_payment(draft.id)).amount == Decimal("1190.00")


# --------------------------------------------------------------------------- delete
async def test_delete_draft(acme, db):
    draft = await factories.draft(acme, allocations=[("INV-1", "100.00")])
    assert await svc(acme).delete_payment(draft.id, reason="duplicate") == f"#{draft.id}"
    c = await counts(db)
    assert (c["payments"], c["allocations"]) == (0, 0)
    with pytest.raises(NotFound):
        await svc(acme).get_payment(draft.id)
    history = await HistoryService(acme, "tester").payment_history(draft.id)
    assert [h.action for h in history] == ["create", "delete"]
    assert history[-1].reason == "duplicate"


async def test_non_drafts_cannot_be_changed_or_deleted(acme, db):
    posted = await factories.draft(acme, amount="1500.00", allocations=[("INV-1", "1190.00")])
    await flow(acme).confirm_payment(posted.id)  # BNK1/2026/00001
    cancelled = await factories.draft(acme, amount="10.00")
    await flow(acme).cancel_payment(cancelled.id)
    reset = await factories.draft(acme, amount="5.00")
    await flow(acme).confirm_payment(reset.id)  # BNK1/2026/00002
    view = await flow(acme).reset_payment_to_draft(reset.id)
    assert (view.state, view.number) == ("draft", "BNK1/2026/00002")
    before = await counts(db)
    P, C, R = "BNK1/2026/00001", cancelled.id, "BNK1/2026/00002"
    refusals = [
        (
            svc(acme).update_payment,
            (P,),
            {"amount": "1.00"},
            "is posted: only drafts can be changed",
        ),
        (svc(acme).update_payment, (C,), {"memo": "x"}, "is cancelled: only drafts can be changed"),
        (svc(acme).delete_payment, (P,), {}, "is posted: only drafts can be deleted"),
        (svc(acme).delete_payment, (C,), {}, "is cancelled: only drafts can be deleted"),
        (svc(acme).set_allocation, (P, "INV-2", "10.00"), {}, "only drafts can be changed"),
        (svc(acme).set_allocation, (C, "INV-2", "1.00"), {}, "only drafts can be changed"),
        (svc(acme).remove_allocation, (P, "INV-1"), {}, "only drafts can be changed"),
        # a draft that was posted before keeps its number and history: cancel, never delete
        (svc(acme).delete_payment, (R,), {}, "has been posted before"),
    ]
    for method, args, kwargs, text in refusals:
        with pytest.raises(RuleViolation) as info:
            await method(*args, **kwargs)
        assert text in info.value.message, (method.__name__, args, info.value.message)
        assert await counts(db) == before, (method.__name__, args)
    assert messages(await svc(acme).validate_payment(P)) == [
        "payment BNK1/2026/00001 is already posted"
    ]
    assert messages(await svc(acme).validate_payment(C)) == [
        f"payment #{C} is cancelled and cannot be confirmed"
    ]


async def test_unknown_payment_and_allocation(acme):
    draft = await factories.draft(acme)
    for ident in (999, "999", "#999", "BNK1/2026/99999", "nonsense"):
        with pytest.raises(NotFound, match="unknown payment"):
            await svc(acme).get_payment(ident)
    with pytest.raises(NotFound, match="unknown payment"):
        await svc(acme).delete_payment(4242)
    with pytest.raises(NotFound, match="unknown payment"):
        await svc(acme).update_payment("BNK1/2026/00042", memo="x")
    with pytest.raises(NotFound, match="has no allocation to INV-2"):
        await svc(acme).remove_allocation(draft.id, "INV-2")


# ---------------------------------------------------------------------- allocations
async def test_set_change_and_remove_allocation(acme, db):
    draft = await factories.draft(acme, amount="1500.00")
    view = await svc(acme).set_allocation(draft.id, "INV-1", "1000.00")
    assert [(a.invoice, a.amount) for a in view.allocations] == [("INV-1", Decimal("1000.00"))]
    view = await svc(acme).set_allocation(draft.id, "INV-2", "500")
    assert view.allocated == Decimal("1500.00")
    view = await svc(acme).set_allocation(draft.id, "INV-1", "990.00")  # change
    assert [(a.invoice, a.amount) for a in view.allocations] == [
        ("INV-1", Decimal("990.00")),
        ("INV-2", Decimal("500.00")),
    ]
    view = await svc(acme).remove_allocation(draft.id, "INV-2")
    assert [a.invoice for a in view.allocations] == ["INV-1"]
    assert (await counts(db))["allocations"] == 1
    actions = [h.action for h in await HistoryService(acme, "tester").payment_history(draft.id)]
    assert actions == ["create", "allocate", "allocate", "allocate", "unallocate"]


async def test_set_allocation_refusals_write_nothing(acme, db):
    draft = await factories.draft(acme, amount="1000.00", allocations=[("INV-2", "200.00")])
    before = await counts(db)
    for invoice, amount, error, text in [
        (
            "INV-2",
            "600.00",
            RuleViolation,
            "allocation 600.00 to INV-2 exceeds its open residual 500.00",
        ),
        (
            "INV-1",
            "1190.00",
            RuleViolation,
            "allocations total 1390.00 exceeds the payment amount 1000.00",
        ),
        ("NOPE", "1.00", NotFound, "unknown invoice"),
        ("INV-2", "0", InputError, "greater than zero"),
        ("INV-2", "1.001", InputError, "more than 2 decimal places"),
        ("INV-2", "x", InputError, "is not a number"),
    ]:
        with pytest.raises(error) as info:
            await svc(acme).set_allocation(draft.id, invoice, amount)
        assert text in info.value.message, (invoice, amount, info.value.message)
        assert await counts(db) == before, (invoice, amount)


# ----------------------------------------------------------------------- validation
async def test_validate_lists_every_problem(acme, db):
    first = await factories.draft(
        acme, amount="1190.00", allocations=[("INV-1", "1190.00")], date="2026-02-01"
    )
    second = await factories.draft(
        acme, amount="1200.00", allocations=[("INV-1", "1190.00")], date="2026-02-02"
    )
    await flow(acme).confirm_payment(second.id)  # INV-1 is now paid
    await LockService(acme, "tester").set_lock_date("2026-02-01")
    before = await counts(db)
    problems = messages(await svc(acme).validate_payment(first.id))
    assert problems == [
        "allocation 1190.00 to INV-1 exceeds its open residual 0.00",
        "date 2026-02-01 is on or before the lock date 2026-02-01",
    ]
    assert await counts(db) == before  # validation never writes
    with pytest.raises(RuleViolation) as info:
        await flow(acme).confirm_payment(first.id)
    assert info.value.problems == problems
    assert await counts(db) == before


# -------------------------------------------------------------------------- queries
@pytest.fixture
async def book(session):
    """Five payments in all states, types, journals and months."""
    await factories.customer(session)
    await factories.customer(session, "Beta AG")
    await factories.vendor(session)
    await factories.invoice(session, "INV-1")
    await factories.invoice(
        session, "BILL-1", partner="Supplier BV", amount="800.00", type="vendor_bill"
    )
    ids = {}
    ids["a"] = (
        await factories.draft(
            session, "100.00", date="2026-01-10", reference="ALPHA-1", memo="first"
        )
    ).id
    ids["b"] = (
        await factories.draft(
            session,
            "250.00",
            partner="Beta AG",
            journal="CSH1",
            date="2026-02-15",
            reference="beta-2",
        )
    ).id
    ids["c"] = (
        await factories.draft(
            session,
            "800.00",
            partner="Supplier BV",
            type="vendor_payment",
            date="2026-03-01",
            memo="rent March",
            allocations=[("BILL-1", "800.00")],
        )
    ).id
    ids["d"] = (
        await factories.draft(
            session, "1190.00", date="2026-03-20", allocations=[("INV-1", "1000.00")]
        )
    ).id
    ids["e"] = (
        await factories.draft(
            session, "5.00", type="customer_refund", date="2026-04-01", memo="Alpha refund"
        )
    ).id
    await flow(session).confirm_payment(ids["c"])  # BNK1/2026/00001
    await flow(session).confirm_payment(ids["d"])  # BNK1/2026/00002
    await flow(session).cancel_payment(ids["d"])
    return ids


async def _names(session, ids, filters=None, **kw):
    page = await svc(session).get_payments(filters or PaymentFilter(), **kw)
    by_id = {v: k for k, v in ids.items()}
    return [by_id[row.id] for row in page.items], page


FILTER_CASES = [
    ({}, "edcba"),
    ({"state": "draft"}, "eba"),
    ({"state": "POSTED"}, "c"),
    ({"state": "cancelled"}, "d"),
    ({"type": "customer_payment"}, "dba"),
    ({"type": "vendor_payment"}, "c"),
    ({"partner": "acme gmbh"}, "eda"),
    ({"journal": "CSH1"}, "b"),
    ({"journal": "bnk1"}, "edca"),
    ({"date_from": "2026-02-15", "date_to": "2026-03-01"}, "cb"),  # inclusive
    ({"date_from": "2026-03-02"}, "ed"),
    ({"date_to": "2026-01-10"}, "a"),
    ({"amount_min": "100", "amount_max": "800.00"}, "cba"),
    ({"amount_min": "1000"}, "d"),
    ({"amount_max": "5"}, "e"),
    ({"text": "alpha"}, "ea"),  # reference of a, memo of e, any case
    ({"text": "RENT"}, "c"),
    ({"text": "2026/00002"}, "d"),  # number
    ({"text": "zzz"}, ""),
    ({"state": "draft", "partner": "ACME GmbH"}, "ea"),
    ({"state": "posted", "journal": "CSH1"}, ""),
]


async def test_get_payments_filters(book, session):
    for filters, expected in FILTER_CASES:
        names, page = await _names(session, book, PaymentFilter(**filters))
        assert "".join(names) == expected, filters
        assert page.total == len(expected), filters
    names, _ = await _names(session, book, PaymentFilter(text=f"#{book['c']}"))
    assert names == ["c"]
    page = await svc(session).get_payments(PaymentFilter(state="posted"))
    (row,) = page.items
    assert (row.number, row.type, row.partner, row.journal) == (
        "BNK1/2026/00001",
        "vendor_payment",
        "Supplier BV",
        "BNK1",
    )
    assert row.amount == Decimal("800.00") and row.allocated == Decimal("800.00")
    assert row.date == dt.date(2026, 3, 1) and row.currency == "EUR"
    # a partner named by id
    partner_id = (await factories.customer(session, "Gamma SA")).id
    await factories.draft(session, "1.00", partner="Gamma SA")
    page = await svc(session).get_payments(PaymentFilter(partner=str(partner_id)))
    assert [r.partner for r in page.items] == ["Gamma SA"]


SORT_CASES = [
    ("amount", "eabcd"),
    ("-amount", "dcbae"),
    ("date", "abcde"),
    ("-date", "edcba"),
    ("partner", "adebc"),  # ACME (by id), Beta AG, Supplier BV
    ("id", "abcde"),
    ("-id", "edcba"),
]


async def test_get_payments_sort_limit_offset_and_total(book, session):
    for sort, expected in SORT_CASES:
        names, _ = await _names(session, book, sort=sort)
        assert "".join(names) == expected, sort
    names, page = await _names(session, book, sort="amount", limit=2, offset=1)
    assert names == ["a", "b"]
    assert (page.total, page.limit, page.offset) == (5, 2, 1)
    names, page = await _names(session, book, sort="amount", limit=2, offset=4)
    assert names == ["d"] and page.total == 5
    names, page = await _names(session, book, sort="amount", limit=None, offset=0)
    assert len(names) == 5
    names, page = await _names(session, book, PaymentFilter(state="draft"), sort="amount", limit=1)
    assert names == ["e"] and page.total == 3
    names, page = await _names(session, book, sort="amount", limit=10, offset=50)
    assert names == [] and page.total == 5
    # bad arguments
    for kwargs, text in [
        ({"sort": "colour"}, "sort: 'colour' is not one of"),
        ({"limit": -1}, "must not be negative"),
        ({"offset": -1}, "must not be negative"),
        ({"filters": PaymentFilter(state="lost")}, "state: 'lost' is not one of"),
        ({"filters": PaymentFilter(type="gift")}, "type: 'gift' is not one of"),
        ({"filters": PaymentFilter(date_from="01.01.2026")}, "date_from"),
        ({"filters": PaymentFilter(amount_min="lots")}, "amount_min: 'lots' is not a number"),
    ]:
        with pytest.raises(InputError) as info:
            await svc(session).get_payments(**kwargs)
        assert text in info.value.message, kwargs
    with pytest.raises(NotFound, match="unknown partner"):
        await svc(session).get_payments(PaymentFilter(partner="Nobody"))
    with pytest.raises(NotFound, match="unknown journal"):
        await svc(session).get_payments(PaymentFilter(journal="ZZZ"))


def _keyed(rows: list[dict[str, Any]], key: str) -> dict[str, tuple[int, str, str, str]]:
    """Each row's figures by its key: count, money in, money out, net (all EUR here)."""
    assert all(r["currency"] == "EUR" for r in rows)
    return {
        r.get(key, ""): (r["count"], str(r["money_in"]), str(r["money_out"]), str(r["net"]))
        for r in rows
    }


def summary(session: Any) -> SummaryService:
    return SummaryService(session)


async def test_summary_numbers(book, session):
    s = await summary(session).payment_summary()
    # posted payments count: c (vendor payment, money out)
    assert s.states == ["posted"]
    assert _keyed(s.totals, "") == {"": (1, "0.00", "-800.00", "-800.00")}
    assert _keyed(s.by_type, "type") == {"vendor_payment": (1, "0.00", "-800.00", "-800.00")}
    assert _keyed(s.by_journal, "journal") == {"BNK1": (1, "0.00", "-800.00", "-800.00")}
    assert _keyed(s.by_month, "month") == {"2026-03": (1, "0.00", "-800.00", "-800.00")}
    # drafts and cancelled apart, never added in
    assert _keyed(s.not_counted, "state") == {
        "cancelled": (1, "1190.00", "0.00", "1190.00"),
        "draft": (3, "350.00", "-5.00", "345.00"),
    }
    assert s.unallocated == []  # c is fully allocated

    every = await summary(session).payment_summary(["draft", "POSTED", "cancelled", "draft"])
    assert every.states == ["draft", "posted", "cancelled"] and every.not_counted == []
    assert _keyed(every.totals, "") == {"": (5, "1540.00", "-805.00", "735.00")}
    assert _keyed(every.by_type, "type") == {
        "customer_payment": (3, "1540.00", "0.00", "1540.00"),
        "customer_refund": (1, "0.00", "-5.00", "-5.00"),
        "vendor_payment": (1, "0.00", "-800.00", "-800.00"),
    }
    assert _keyed(every.by_journal, "journal") == {
        "BNK1": (4, "1290.00", "-805.00", "485.00"),
        "CSH1": (1, "250.00", "0.00", "250.00"),
    }
    assert [r["month"] for r in every.by_month] == ["2026-01", "2026-02", "2026-03", "2026-04"]

    # more posted payments in February, one partly allocated; then a date range
    await factories.invoice(session, "INV-9", amount="300.00", date="2026-02-01")
    p = await factories.draft(
        session, "1000.00", date="2026-02-20", allocations=[("INV-9", "300.00")]
    )
    q = await factories.draft(session, "40.00", type="customer_refund", date="2026-02-21")
    await flow(session).confirm_payment(p.id)
    await flow(session).confirm_payment(q.id)
    s = await summary(session).payment_summary([], "2026-02-01", "2026-02-28")
    assert s.date_from == dt.date(2026, 2, 1) and s.date_to == dt.date(2026, 2, 28)
    assert _keyed(s.totals, "") == {"": (2, "1000.00", "-40.00", "960.00")}
    assert _keyed(s.by_month, "month") == {"2026-02": (2, "1000.00", "-40.00", "960.00")}
    assert _keyed(s.not_counted, "state") == {"draft": (1, "250.00", "0.00", "250.00")}
    assert _keyed(s.unallocated, "type") == {
        "customer_payment": (1, "700.00", "0.00", "700.00"),
        "customer_refund": (1, "0.00", "-40.00", "-40.00"),
    }
    drafts = await summary(session).payment_summary(["draft"], "2026-02-01", "2026-02-28")
    assert drafts.unallocated == []  # what is left to allocate is a posted payment's
    empty = await summary(session).payment_summary([], "2027-01-01", "2027-12-31")
    assert all(
        getattr(empty, k) == []
        for k in ("totals", "by_type", "by_journal", "by_month", "not_counted", "unallocated")
    )
    with pytest.raises(InputError, match="date_from"):
        await summary(session).payment_summary([], "last year")
    with pytest.raises(InputError, match="date_from: 2026-03-01 is after date_to 2026-02-01"):
        await summary(session).payment_summary([], "2026-03-01", "2026-02-01")
    with pytest.raises(InputError, match="state: 'booked' is not one of draft, posted"):
        await summary(session).payment_summary(["posted", "booked"])

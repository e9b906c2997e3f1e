"""Events of payments, invoices and the lock date (issue 13): every state change writes exactly
one event of its type, with the data events/catalog.py documents, in the change's own
transaction; a refused, failed or dry run writes none.

Runs on every backend of the ``backend`` fixture. Events are read back through a fresh session
with the reader `payctl events` and the relay use (events/reader.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.errors import InputError, RuleViolation
from payctl.importers.records import SourceRow
from payctl.services.bank.review_service import ReviewService
from payctl.services.events import reader
from payctl.services.ledger.lock_service import LockService
from payctl.services.parties.invoice_service import InvoiceService
from payctl.services.payments.bulk_types import BulkOptions
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_service import PaymentService
from payctl.services.payments.selection import Selection
from tests import factories
from tests.conftest import on_database, payctl, payctl_json, refused
from tests.services.test_bank_import import books, imp, jsonl, row

# ------------------------------------------------------------------------------- helpers


async def events(db: Database, after: int = 0) -> list[dict[str, Any]]:
    """Every event with an id above ``after``, in id order, as consumers see them."""
    async with db.session() as s:
        return await reader.after(s, after, 1_000_000)


async def last_id(db: Database) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.coalesce(func.max(m.Event.id), 0))))


def kinds(found: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in found]


def of(found: list[dict[str, Any]], *prefixes: str) -> list[dict[str, Any]]:
    """The events whose type starts with one of ``prefixes`` (bank events are another's)."""
    return [e for e in found if e["type"].startswith(prefixes)]


def flow(session: Any) -> PaymentFlowService:
    return PaymentFlowService(session, "tester")


def service(session: Any) -> PaymentService:
    return PaymentService(session, "tester")


async def ids_of(db: Database) -> dict[str, int]:
    """Partner, journal and invoice ids by name, code and number."""
    async with db.session() as s:
        out = dict((await s.execute(select(m.Partner.name, m.Partner.id))).all())
        out.update((await s.execute(select(m.Journal.code, m.Journal.id))).all())
        out.update((await s.execute(select(m.Invoice.number, m.Invoice.id))).all())
        return out


def payment_data(
    ids: dict[str, int],
    pid: int,
    *,
    number: str | None = None,
    state: str = "draft",
    amount: str = "1190.00",
    allocations: Sequence[tuple[str, str]] = (),
    date: str = "2026-02-01",
    **extra: Any,
) -> dict[str, Any]:
    """The documented data of a payment event of a customer payment of ACME GmbH in BNK1."""
    return {
        "id": pid,
        "number": number,
        "type": "customer_payment",
        "state": state,
        "partner_id": ids["ACME GmbH"],
        "partner": "ACME GmbH",
        "journal_id": ids["BNK1"],
        "journal": "BNK1",
        "amount": amount,
        "currency": "EUR",
        "date": date,
        "reference": None,
        "memo": None,
        "allocations": [{"invoice_id": ids[n], "invoice": n, "amount": a} for n, a in allocations],
        **extra,
    }


def invoice_data(
    ids: dict[str, int],
    number: str,
    *,
    state: str,
    residual: str,
    total: str = "1190.00",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": ids[number],
        "number": number,
        "type": "customer_invoice",
        "state": state,
        "partner_id": ids["ACME GmbH"],
        "partner": "ACME GmbH",
        "currency": "EUR",
        "total": total,
        "residual": residual,
        "date": "2026-01-05",
        "due_date": None,
        **extra,
    }


@pytest.fixture
async def books_1(session: Any) -> None:
    """ACME GmbH (customer), Supplier BV (vendor) and INV-1 of 1190.00."""
    await factories.customer(session)
    await factories.vendor(session)
    await factories.invoice(session, "INV-1")


async def payment_audit_count(db: Database) -> int:
    async with db.session() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(m.AuditRecord)
                .where(m.AuditRecord.object_type == "payment")
            )
        )


# ------------------------------------------------------------------ one payment, each change


async def test_create_writes_one_payment_created_with_the_documented_data(db, session, books_1):
    mark = await last_id(db)
    p = await factories.draft(session, allocations=[("INV-1", "1190.00")])

    (event,) = await events(db, mark)
    ids = await ids_of(db)
    assert event["type"] == "payment.created"
    assert (event["schema"], event["actor"]) == (1, "tester")
    assert event["object"] == {"type": "payment", "id": p.id, "number": None}
    assert event["data"] == payment_data(ids, p.id, allocations=[("INV-1", "1190.00")])
    assert event["occurred_at"].endswith("Z")


async def test_update_delete_and_allocations_write_one_event_each(db, session, books_1):
    await factories.invoice(session, "INV-2", amount="100.00")
    p = await factories.draft(session, amount="1290.00", allocations=[("INV-1", "1190.00")])
    ids = await ids_of(db)
    mark = await last_id(db)

    await service(session).update_payment(p.id, amount="1300.00", memo="cash", reason="typo")
    await service(session).update_payment(p.id, amount="1300.00")  # changes nothing: no event
    await service(session).set_allocation(p.id, "INV-2", "100.00")
    await service(session).remove_allocation(p.id, "INV-1", reason="wrong invoice")
    await service(session).delete_payment(p.id, reason="duplicate")

    found = await events(db, mark)
    assert kinds(found) == [
        "payment.updated",
        "payment.allocation_changed",
        "payment.allocation_changed",
        "payment.deleted",
    ]
    assert found[0]["data"] == payment_data(
        ids,
        p.id,
        amount="1300.00",
        allocations=[("INV-1", "1190.00")],
        memo="cash",
        changed=["amount", "memo"],
        reason="typo",
    )
    both = [("INV-1", "1190.00"), ("INV-2", "100.00")]
    assert found[1]["data"] == payment_data(
        ids, p.id, amount="1300.00", allocations=both, memo="cash", changed=["allocations"]
    )
    assert found[2]["data"] == payment_data(
        ids,
        p.id,
        amount="1300.00",
        allocations=[("INV-2", "100.00")],
        memo="cash",
        changed=["allocations"],
        reason="wrong invoice",
    )
    assert found[3]["data"] == payment_data(
        ids,
        p.id,
        amount="1300.00",
        allocations=[("INV-2", "100.00")],
        memo="cash",
        reason="duplicate",
    )
    assert {e["object"]["id"] for e in found} == {p.id}


async def test_confirm_reset_cancel_write_the_payment_event_then_the_invoice_event(
    db, session, books_1
):
    p = await factories.draft(session, allocations=[("INV-1", "1190.00")])
    ids = await ids_of(db)
    alloc = [("INV-1", "1190.00")]
    mark = await last_id(db)

    await flow(session).confirm_payment(p.id, reason="approved")
    confirmed = await events(db, mark)
    number = "BNK1/2026/00001"
    assert kinds(confirmed) == ["payment.confirmed", "invoice.paid"]
    assert confirmed[0]["object"] == {"type": "payment", "id": p.id, "number": number}
    assert confirmed[0]["data"] == payment_data(
        ids,
        p.id,
        number=number,
        state="posted",
        allocations=alloc,
        previous_state="draft",
        reason="approved",
    )
    assert confirmed[1]["object"] == {"type": "invoice", "id": ids["INV-1"], "number": "INV-1"}
    assert confirmed[1]["data"] == invoice_data(
        ids, "INV-1", state="paid", residual="0.00", payment_id=p.id, payment=number
    )

    mark = await last_id(db)
    await flow(session).reset_payment_to_draft(p.id, reason="wrong date")
    reset = await events(db, mark)
    assert kinds(reset) == ["payment.reset", "invoice.reopened"]
    assert reset[0]["data"] == payment_data(
        ids,
        p.id,
        number=number,
        state="draft",
        allocations=alloc,
        previous_state="posted",
        reason="wrong date",
    )
    assert reset[1]["data"] == invoice_data(
        ids, "INV-1", state="open", residual="1190.00", payment_id=p.id, payment=number
    )

    await flow(session).confirm_payment(p.id)
    mark = await last_id(db)
    await flow(session).cancel_payment(p.id)
    cancelled = await events(db, mark)
    assert kinds(cancelled) == ["payment.cancelled", "invoice.reopened"]
    assert cancelled[0]["data"] == payment_data(
        ids, p.id, number=number, state="cancelled", allocations=alloc, previous_state="posted"
    )
    assert cancelled[1]["data"]["payment_id"] == p.id


async def test_cancelling_a_draft_reopens_nothing(db, session, books_1):
    p = await factories.draft(session, allocations=[("INV-1", "1190.00")])
    mark = await last_id(db)
    await flow(session).cancel_payment(p.id)
    assert kinds(await events(db, mark)) == ["payment.cancelled"]


async def test_only_the_payment_crossing_zero_pays_or_reopens_the_invoice(db, session, books_1):
    first = await factories.draft(session, amount="1000.00", allocations=[("INV-1", "1000.00")])
    second = await factories.draft(session, amount="190.00", allocations=[("INV-1", "190.00")])
    mark = await last_id(db)

    await flow(session).confirm_payment(first.id)  # partial: no invoice event
    assert kinds(await events(db, mark)) == ["payment.confirmed"]
    mark = await last_id(db)
    await flow(session).confirm_payment(second.id)
    paid = await events(db, mark)
    assert kinds(paid) == ["payment.confirmed", "invoice.paid"]
    assert paid[1]["data"]["payment_id"] == second.id
    assert paid[1]["data"]["state"] == "paid"

    mark = await last_id(db)
    await flow(session).reset_payment_to_draft(first.id)
    reopened = await events(db, mark)
    assert kinds(reopened) == ["payment.reset", "invoice.reopened"]
    assert reopened[1]["data"]["payment_id"] == first.id
    assert (reopened[1]["data"]["state"], reopened[1]["data"]["residual"]) == (
        "partial",
        "1000.00",
    )
    mark = await last_id(db)
    await flow(session).cancel_payment(second.id)  # not at zero any more: nothing to reopen
    assert kinds(await events(db, mark)) == ["payment.cancelled"]


async def test_a_write_off_that_closes_the_invoice_pays_it(db, session, books_1):
    p = await factories.draft(session, amount="1189.50", allocations=[("INV-1", "1189.50")])
    mark = await last_id(db)
    await flow(session).confirm_payment(p.id, write_off=True)
    found = await events(db, mark)
    assert kinds(found) == ["payment.confirmed", "invoice.paid"]
    assert found[1]["data"]["residual"] == "0.00"
    assert found[1]["data"]["payment_id"] == p.id
    mark = await last_id(db)
    await flow(session).reset_payment_to_draft(p.id)
    found = await events(db, mark)
    assert kinds(found) == ["payment.reset", "invoice.reopened"]
    assert found[1]["data"]["residual"] == "1190.00"


# ---------------------------------------------------------------------------- bulk runs


async def test_bulk_transitions_write_one_event_per_payment_and_invoice(db, session, books_1):
    for n in range(2, 5):
        await factories.invoice(session, f"INV-{n}", amount="100.00")
    # two payments settle INV-1 between them in one batch; one each for INV-2..4
    drafts = [
        await factories.draft(session, amount="1000.00", allocations=[("INV-1", "1000.00")]),
        await factories.draft(session, amount="190.00", allocations=[("INV-1", "190.00")]),
    ] + [
        await factories.draft(session, amount="100.00", allocations=[(f"INV-{n}", "100.00")])
        for n in range(2, 5)
    ]
    pids = [p.id for p in drafts]
    ids = await ids_of(db)
    everything = Selection([str(i) for i in pids])

    mark = await last_id(db)
    report = await flow(session).bulk("confirm", everything)
    assert report.failed == 0
    found = await events(db, mark)
    assert Counter(kinds(found)) == {"payment.confirmed": 5, "invoice.paid": 4}
    assert [e["object"]["id"] for e in of(found, "payment.")] == pids
    paid = {e["data"]["number"]: e["data"]["payment_id"] for e in of(found, "invoice.")}
    assert paid == {"INV-1": pids[1], "INV-2": pids[2], "INV-3": pids[3], "INV-4": pids[4]}
    assert all(e["data"]["previous_state"] == "draft" for e in of(found, "payment."))

    mark = await last_id(db)
    await flow(session).bulk("confirm", everything)  # already posted: skipped, no event
    assert await events(db, mark) == []

    await flow(session).bulk("reset", everything, BulkOptions(reason="redo"))
    found = await events(db, mark)
    assert Counter(kinds(found)) == {"payment.reset": 5, "invoice.reopened": 4}
    reopened = {e["data"]["number"]: e["data"]["payment_id"] for e in of(found, "invoice.")}
    assert reopened["INV-1"] == pids[0]  # the first in id order left zero
    assert {e["data"]["reason"] for e in of(found, "payment.")} == {"redo"}
    assert ids["INV-1"] in {e["object"]["id"] for e in found}

    fresh = [await factories.draft(session, amount="5.00") for _ in range(3)]
    mark = await last_id(db)
    # the posted-once ones are refused (cancel them instead): only the fresh drafts go
    await flow(session).bulk("delete", Selection([str(i) for i in pids + [p.id for p in fresh]]))
    found = await events(db, mark)
    assert kinds(found) == ["payment.deleted"] * 3
    assert [e["object"]["id"] for e in found] == [p.id for p in fresh]
    assert await payment_audit_count(db) == len(of(await events(db), "payment."))


async def test_bulk_cancel_writes_one_event_per_payment(db, session, books_1):
    drafts = [await factories.draft(session, amount="10.00") for _ in range(3)]
    await flow(session).confirm_payment(drafts[0].id)
    mark = await last_id(db)
    await flow(session).bulk("cancel", Selection([str(p.id) for p in drafts]))
    found = await events(db, mark)
    assert kinds(found) == ["payment.cancelled"] * 3
    assert [e["data"]["previous_state"] for e in found] == ["posted", "draft", "draft"]


HEADER = ["type", "partner", "journal", "amount", "date", "reference", "memo", "allocations"]
ROWS = [
    ["customer_payment", "ACME GmbH", "BNK1", "1190.00", "2026-02-01", "R-1", "", "INV-1=1190.00"],
    ["customer_payment", "ACME GmbH", "BNK1", "25.00", "2026-02-02", "", "cash desk", ""],
    ["vendor_payment", "Supplier BV", "BNK1", "80.00", "2026-02-03", "R-2", "", ""],
]


def source_rows(rows: list[list[str]]) -> list[SourceRow]:
    return [SourceRow(i + 2, dict(zip(HEADER, r, strict=True))) for i, r in enumerate(rows)]


async def test_bulk_create_writes_one_event_per_new_payment_and_none_on_a_rerun(
    db, session, books_1
):
    mark = await last_id(db)
    await service(session).create_payments(source_rows(ROWS), HEADER, "p.csv", dry_run=True)
    assert await events(db, mark) == []

    result = await service(session).create_payments(source_rows(ROWS), HEADER, "p.csv")
    found = await events(db, mark)
    ids = await ids_of(db)
    assert kinds(found) == ["payment.created"] * 3
    assert [e["object"]["id"] for e in found] == [r.payment.id for r in result.rows]
    assert found[0]["data"] == payment_data(
        ids, result.rows[0].payment.id, allocations=[("INV-1", "1190.00")], reference="R-1"
    )
    assert (found[2]["data"]["type"], found[2]["data"]["partner"]) == (
        "vendor_payment",
        "Supplier BV",
    )

    mark = await last_id(db)
    again = await service(session).create_payments(source_rows(ROWS), HEADER, "p.csv")
    assert again.created == 0
    assert await events(db, mark) == []

    bad = [*ROWS, ["customer_payment", "Nobody", "BNK1", "1.00", "", "", "", ""]]
    with pytest.raises(InputError):
        await service(session).create_payments(source_rows(bad), HEADER, "p.csv")
    assert await events(db, mark) == []


# ------------------------------------------------------------------------------ invoices


async def test_creating_an_invoice_writes_invoice_created(db, session):
    await factories.customer(session)
    mark = await last_id(db)
    await InvoiceService(session, "tester").create_invoice(
        "INV-9", "ACME GmbH", "99.99", "customer_invoice", "2026-01-05", "2026-02-05"
    )
    (event,) = await events(db, mark)
    ids = await ids_of(db)
    assert event["type"] == "invoice.created"
    assert event["object"] == {"type": "invoice", "id": ids["INV-9"], "number": "INV-9"}
    assert event["data"] == invoice_data(
        ids, "INV-9", state="open", total="99.99", residual="99.99", due_date="2026-02-05"
    )


INVOICE_HEADER = ["number", "partner", "amount", "type", "date", "currency"]


def invoice_rows(rows: list[list[str]]) -> list[SourceRow]:
    return [SourceRow(i + 2, dict(zip(INVOICE_HEADER, r, strict=True))) for i, r in enumerate(rows)]


async def test_an_invoice_import_writes_one_event_per_new_invoice(db, session):
    await factories.customer(session)
    await factories.vendor(session)
    rows = [
        ["A-1", "ACME GmbH", "10.00", "customer_invoice", "2026-01-05", "EUR"],
        ["B-1", "Supplier BV", "20.50", "vendor_bill", "2026-01-06", "EUR"],
        ["A-2", "ACME GmbH", "1000", "customer_invoice", "2026-01-07", "JPY"],
    ]
    invoices = InvoiceService(session, "tester")
    mark = await last_id(db)
    await invoices.import_invoices(invoice_rows(rows), INVOICE_HEADER, "inv.csv")
    found = await events(db, mark)
    assert kinds(found) == ["invoice.created"] * 3
    assert [e["object"]["number"] for e in found] == ["A-1", "B-1", "A-2"]
    assert len({e["occurred_at"] for e in found}) == 1  # one unit of work
    assert (found[1]["data"]["type"], found[1]["data"]["partner"], found[1]["data"]["total"]) == (
        "vendor_bill",
        "Supplier BV",
        "20.50",
    )
    assert (found[2]["data"]["currency"], found[2]["data"]["total"]) == ("JPY", "1000")

    mark = await last_id(db)
    more = [*rows, ["A-3", "ACME GmbH", "5.00", "customer_invoice", "2026-01-08", "EUR"]]
    await invoices.import_invoices(invoice_rows(more), INVOICE_HEADER, "inv.csv")
    assert [e["object"]["number"] for e in await events(db, mark)] == ["A-3"]

    mark = await last_id(db)
    bad = [*more, ["A-4", "Nobody", "5.00", "customer_invoice", "2026-01-08", "EUR"]]
    with pytest.raises(InputError):
        await invoices.import_invoices(invoice_rows(bad), INVOICE_HEADER, "inv.csv")
    assert await events(db, mark) == []


# ------------------------------------------------------------------------------ lock date


async def test_moving_the_lock_date_writes_lock_date_moved(db, session):
    locks = LockService(session, "tester")
    await locks.set_lock_date("2026-03-31")
    await locks.set_lock_date("2026-03-31")  # where it is: nothing moved, no event
    await locks.set_lock_date("2026-06-30", reason="H1 closed")
    mark = await last_id(db)
    with pytest.raises(RuleViolation):
        await locks.set_lock_date("2026-01-31", reason="reopen")
    assert await events(db, mark) == []
    await locks.set_lock_date("2026-01-31", force=True, reason="reopen")

    found = await events(db)
    assert kinds(found) == ["lock_date.moved"] * 3
    assert [e["data"] for e in found] == [
        {"lock_date": "2026-03-31", "previous_lock_date": None, "forced": False},
        {
            "lock_date": "2026-06-30",
            "previous_lock_date": "2026-03-31",
            "forced": False,
            "reason": "H1 closed",
        },
        {
            "lock_date": "2026-01-31",
            "previous_lock_date": "2026-06-30",
            "forced": True,
            "reason": "reopen",
        },
    ]
    assert found[0]["object"] == {"type": "lock_date", "id": None, "number": None}


# ------------------------------------------------------------------------- bank import


async def test_a_payment_made_and_confirmed_by_the_bank_import_writes_its_events(db):
    await books(db)
    ids = await ids_of(db)
    mark = await last_id(db)
    report = await imp(db, jsonl(row("400.00", text="INV-2026-0002 first half")))
    assert report.payments_created == 1
    assert kinds(of(await events(db, mark), "payment.", "invoice.")) == ["payment.created"]

    mark = await last_id(db)
    await imp(
        db,
        jsonl(row("1189.50", day="2026-02-04", text="Payment inv 2026 0001", tx="t2")),
        auto_confirm=True,
    )
    found = of(await events(db, mark), "payment.", "invoice.")
    assert kinds(found) == ["payment.created", "payment.confirmed", "invoice.paid"]
    pid = found[0]["object"]["id"]
    assert [e["object"]["id"] for e in found[:2]] == [pid, pid]
    assert found[1]["data"]["allocations"] == [
        {"invoice_id": ids["INV-2026-0001"], "invoice": "INV-2026-0001", "amount": "1189.50"}
    ]
    assert found[2]["data"]["number"] == "INV-2026-0001"
    assert (found[2]["data"]["payment_id"], found[2]["data"]["residual"]) == (pid, "0.00")

    # unmatching the line cancels the payment made from it: the invoice is open again
    async with db.session() as s:
        line_id = await s.scalar(select(m.BankLine.id).where(m.BankLine.payment_id == pid))
    mark = await last_id(db)
    async with db.session() as s:
        await ReviewService(s, "tester").unmatch(line_id, "wrong invoice")
    found = of(await events(db, mark), "payment.", "invoice.")
    assert kinds(found) == ["payment.cancelled", "invoice.reopened"]
    assert found[1]["data"]["payment_id"] == pid

    mark = await last_id(db)
    await imp(
        db,
        jsonl(row("300.00", day="2026-02-05", text="INV-2026-0003", tx="t3")),
        auto_confirm=True,
        dry_run=True,
    )
    assert await events(db, mark) == []


# ---------------------------------------------------------------- refused runs write none


async def test_a_refused_confirm_writes_no_event(db, session, books_1):
    p = await factories.draft(session, allocations=[("INV-1", "1190.00")])
    await LockService(session, "tester").set_lock_date("2026-03-31")
    mark = await last_id(db)
    with pytest.raises(RuleViolation, match="lock date"):
        await flow(session).confirm_payment(p.id)
    with pytest.raises(RuleViolation):
        await flow(session).reset_payment_to_draft(p.id)  # a draft cannot be reset
    with pytest.raises(RuleViolation):  # less than it allocates
        await service(session).update_payment(p.id, amount="100.00")
    with pytest.raises(InputError):
        await service(session).update_payment(p.id, amount="-5.00")
    assert await events(db, mark) == []


async def test_an_atomic_or_dry_run_bulk_confirm_writes_no_event(db, session, books_1):
    good = await factories.draft(session, allocations=[("INV-1", "1190.00")])
    bad = await factories.draft(session, date="2026-01-01")
    await LockService(session, "tester").set_lock_date("2026-01-31")
    both = Selection([str(good.id), str(bad.id)])
    mark = await last_id(db)

    atomic = await flow(session).bulk("confirm", both, BulkOptions(atomic=True))
    assert atomic.rolled_back
    dry = await flow(session).bulk("confirm", Selection([str(good.id)]), BulkOptions(dry_run=True))
    assert dry.failed == 0
    await flow(session).bulk("validate", Selection([str(good.id)]))
    await flow(session).bulk("delete", both, BulkOptions(dry_run=True))
    assert await events(db, mark) == []

    per_item = await flow(session).bulk("confirm", both)  # the good one goes on alone
    assert per_item.failed == 1
    assert kinds(await events(db, mark)) == ["payment.confirmed", "invoice.paid"]


# --------------------------------------------------------------- through the command line


def test_commands_write_their_events_and_refused_ones_none(cli_env, init_url, tmp_path: Path):
    def written(after: int = 0) -> list[dict[str, Any]]:
        return on_database(init_url, events, after)

    payctl("partner", "create", "ACME GmbH", "--kind", "customer")
    invoice = ("invoice", "create", "--partner", "ACME GmbH", "--number", "INV-1")
    payctl(*invoice, "--amount", "10.00", "--date", "2026-01-05")
    refused(*invoice, "--amount", "10.00", says="already exists")
    assert kinds(written()) == ["invoice.created"]
    mark = written()[-1]["id"]

    csv = tmp_path / "payments.csv"
    good = (
        "type,partner,journal,amount,date,allocations\n"
        "customer_payment,ACME GmbH,BNK1,10.00,2026-02-01,INV-1=10.00\n"
        "customer_payment,ACME GmbH,BNK1,5.00,2026-02-02,\n"
    )
    csv.write_text(good + "customer_payment,Nobody,BNK1,1.00,2026-02-03,\n")
    refused("bulk", "create", "--file", csv, code=2, says="Nobody")
    csv.write_text(good)
    payctl("bulk", "create", "--file", csv, "--dry-run")
    assert written(mark) == []
    created = payctl_json("bulk", "create", "--file", csv)
    payctl("bulk", "create", "--file", csv)  # again: every row skipped
    assert kinds(written(mark)) == ["payment.created"] * 2
    mark = written()[-1]["id"]

    payctl("bulk", "confirm", "--state", "draft", "--dry-run")
    payctl("lock-date", "set", "2026-02-01")
    payctl("bulk", "confirm", "--state", "draft", "--atomic", code=1)  # one is on the lock date
    refused("lock-date", "set", "2026-01-01", says="--force")
    assert kinds(written(mark)) == ["lock_date.moved"]
    payctl("lock-date", "set", "2026-01-01", "--force", "--reason", "reopen")
    payctl("bulk", "confirm", "--state", "draft", "--atomic")
    found = written(mark)
    assert kinds(found) == [
        "lock_date.moved",
        "lock_date.moved",
        "payment.confirmed",
        "payment.confirmed",
        "invoice.paid",
    ]
    assert found[1]["data"] == {
        "lock_date": "2026-01-01",
        "previous_lock_date": "2026-02-01",
        "forced": True,
        "reason": "reopen",
    }
    assert [e["object"]["id"] for e in found[2:4]] == [r["id"] for r in created["items"]]
    assert found[4]["data"]["payment_id"] == created["items"][0]["id"]

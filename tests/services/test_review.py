"""The review queue (ReviewService, issue 5 item 4) on every backend: list with candidates and
reasons, accept (best candidate, invoices, a posted payment, a partner on account), ignore,
unmatch, and the workflow refusing to reset a payment while a bank line holds it.

`payctl check` (IntegrityService) must pass after every test (autouse fixture of
test_bank_import, imported here).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from payctl.db import models as m
from payctl.domain.matching import SCORE_AMBIGUOUS_PENALTY, SCORE_IBAN_AMOUNT
from payctl.errors import InputError, NotFound, RuleViolation
from payctl.services.bank.matching_data import THRESHOLD
from payctl.services.bank.review_service import ReviewService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests.services.test_bank_import import (  # noqa: F401 - _integrity is an autouse fixture
    ACME_IBAN,
    GLOBEX_IBAN,
    _integrity,
    bank_lines,
    books,
    entry_lines,
    imp,
    invoice_state,
    jsonl,
    ledger_balance,
    payments,
    posted_payment,
    row,
)

TWINS = [("INV-2026-0004", "ACME GmbH", "500.00", "customer_invoice", "2026-01-11")]


async def review(db, state: str = "review"):
    async with db.session() as s:
        return await ReviewService(s, "tester").list_lines(state, None, 0)


async def call(db, method: str, *args, **kwargs):
    async with db.session() as s:
        return await getattr(ReviewService(s, "tester"), method)(*args, **kwargs)


async def setup_queue(db) -> dict[str, int]:
    """Books with two ACME invoices of 500.00 (INV-2026-0002 older, INV-2026-0004), a posted
    Globex payment far from the statement dates, and a file whose lines all need a person."""
    await books(db, TWINS)
    await posted_payment(db, "Globex Corporation", "250.00", "2026-01-02")
    report = await imp(
        db,
        jsonl(
            row("500.00", day="2026-03-01", iban=ACME_IBAN, tx="twin"),  # two fit equally
            row("250.00", day="2026-03-02", iban=GLOBEX_IBAN, tx="late"),  # payment too old
            row("99.00", day="2026-03-03", name="Unknown Ltd", tx="unknown"),  # nobody
            row("-12.00", day="2026-03-04", text="bank fee", tx="fee"),  # nobody
        ),
    )
    assert (report.to_review, report.unmatched, report.payments_created) == (1, 3, 0)
    ids = [bl.id for bl in await bank_lines(db)]
    return dict(zip(["twin", "late", "unknown", "fee"], ids, strict=True))


async def test_list_shows_candidates_scores_and_reasons(db):
    ids = await setup_queue(db)
    page = await review(db)
    assert page.total == 4
    by_id = {item.id: item for item in page.items}
    twin = by_id[ids["twin"]]
    assert (twin.amount, twin.currency, twin.account, twin.journal) == (
        Decimal("500.00"),
        "EUR",
        ACME_IBAN,
        "BNK1",
    )
    (cand,) = twin.candidates
    # two open invoices of the amount: the oldest is offered, penalised below the threshold
    assert cand["rule"] == "partner_amount"
    assert cand["score"] == SCORE_IBAN_AMOUNT - SCORE_AMBIGUOUS_PENALTY
    assert cand["score"] < THRESHOLD
    assert f"score {cand['score']} " in twin.reason and f"threshold {THRESHOLD}" in twin.reason
    assert "INV-2026-0002" in cand["reason"] and "IBAN" in cand["reason"]
    assert cand["partner"] == "ACME GmbH"
    assert cand["allocations"] == ["INV-2026-0002=500.00"]
    assert by_id[ids["late"]].candidates == []
    assert "partner found by IBAN" in by_id[ids["late"]].reason
    assert by_id[ids["fee"]].candidates == []
    assert by_id[ids["fee"]].text == "bank fee"
    # paging and the other states
    assert [i.id for i in (await call(db, "list_lines", "review", 2, 1)).items] == [
        ids["late"],
        ids["unknown"],
    ]
    assert (await review(db, "matched")).total == 0
    assert (await review(db, "all")).total == 4


async def test_accept_best_candidate(db):
    ids = await setup_queue(db)
    outcome = await call(db, "accept", ids["twin"])
    assert outcome.action == "created payment"
    (p,) = [p for p in await payments(db) if p["state"] == "draft"]
    assert (p["type"], p["partner"], p["amount"]) == ("customer_payment", "ACME GmbH", 50000)
    assert p["allocations"] == [("INV-2026-0002", 50000, 0)]
    line = next(bl for bl in await bank_lines(db) if bl.id == ids["twin"])
    assert (line.state, line.link, line.payment_id, line.rule) == (
        "matched",
        "created",
        p["id"],
        "manual",
    )
    assert ids["twin"] not in [i.id for i in (await review(db)).items]


async def test_accept_with_invoice_and_auto_confirm(db):
    ids = await setup_queue(db)
    outcome = await call(db, "accept", ids["twin"], [("INV-2026-0004", None)], auto_confirm=True)
    assert outcome.payment == "BNK1/2026/00002"
    (p,) = [p for p in await payments(db) if p["number"] == outcome.payment]
    assert (p["state"], p["allocations"]) == ("posted", [("INV-2026-0004", 50000, 0)])
    assert await invoice_state(db, "INV-2026-0004") == ("paid", 0)
    assert await invoice_state(db, "INV-2026-0002") == ("open", 50000)
    # a payment made from a bank line is booked on the bank account itself
    assert await entry_lines(db, payment_id=p["id"]) == [("1000", 50000, 0), ("1100", 0, 50000)]


async def test_accept_with_invoice_amounts(db):
    ids = await setup_queue(db)
    await call(
        db,
        "accept",
        ids["twin"],
        [("INV-2026-0002", "300.00"), ("INV-2026-0004", "200.00")],
        auto_confirm=True,
    )
    assert await invoice_state(db, "INV-2026-0002") == ("partial", 20000)
    assert await invoice_state(db, "INV-2026-0004") == ("partial", 30000)


async def test_accept_with_payment_reconciles_it(db):
    ids = await setup_queue(db)
    (pay,) = await payments(db)
    outcome = await call(db, "accept", ids["late"], payment=pay["number"])
    assert (outcome.action, outcome.payment) == ("reconciled", pay["number"])
    line = next(bl for bl in await bank_lines(db) if bl.id == ids["late"])
    assert (line.state, line.link, line.payment_id) == ("matched", "reconciled", pay["id"])
    assert await entry_lines(db, entry_id=line.reconcile_entry_id) == [
        ("1000", 25000, 0),
        ("1020", 0, 25000),
    ]
    assert await ledger_balance(db, "1020") == 0


async def test_accept_with_payment_checks_amount_direction_and_state(db):
    ids = await setup_queue(db)
    (pay,) = await payments(db)
    with pytest.raises(RuleViolation, match="does not match bank line"):
        await call(db, "accept", ids["unknown"], payment=pay["number"])  # 99.00 != 250.00
    with pytest.raises(NotFound):
        await call(db, "accept", ids["late"], payment="BNK1/2026/99999")
    async with db.session() as s:
        await PaymentFlowService(s, "tester").reset_payment_to_draft(pay["id"])
    with pytest.raises(RuleViolation, match="only posted payments"):
        await call(db, "accept", ids["late"], payment=str(pay["id"]))
    assert all(bl.state == "review" for bl in await bank_lines(db))


async def test_a_payment_is_reconciled_with_one_line_only(db):
    await books(db)
    pay = await posted_payment(db, "Globex Corporation", "250.00", "2026-01-02")
    await imp(
        db,
        jsonl(
            row("250.00", day="2026-03-02", iban=GLOBEX_IBAN, tx="a"),
            row("250.00", day="2026-03-03", iban=GLOBEX_IBAN, tx="b"),
        ),
    )
    first, second = await bank_lines(db)
    await call(db, "accept", first.id, payment=pay.number)
    with pytest.raises(RuleViolation, match=f"already matched to bank line {first.id}"):
        await call(db, "accept", second.id, payment=pay.number)


async def test_accept_with_partner_is_a_payment_on_account(db):
    ids = await setup_queue(db)
    outcome = await call(
        db, "accept", ids["unknown"], partner="Globex Corporation", auto_confirm=True
    )
    (p,) = [p for p in await payments(db) if p["number"] == outcome.payment]
    assert (p["type"], p["partner"], p["amount"], p["allocations"]) == (
        "customer_payment",
        "Globex Corporation",
        9900,
        [],
    )
    assert await ledger_balance(db, "1100", "Globex Corporation") == 80000 - 25000 - 9900


async def test_accept_outgoing_line_with_vendor_partner(db):
    ids = await setup_queue(db)
    outcome = await call(db, "accept", ids["fee"], partner="Supplier BV", auto_confirm=True)
    (p,) = [p for p in await payments(db) if p["number"] == outcome.payment]
    assert (p["type"], p["amount"]) == ("vendor_payment", 1200)
    assert await entry_lines(db, payment_id=p["id"]) == [("1000", 0, 1200), ("2000", 1200, 0)]


async def test_accept_refusals(db):
    ids = await setup_queue(db)
    with pytest.raises(RuleViolation, match="has no candidate"):
        await call(db, "accept", ids["fee"])
    with pytest.raises(RuleViolation, match="outgoing"):
        await call(db, "accept", ids["fee"], [("INV-2026-0001", None)])
    with pytest.raises(NotFound):
        await call(db, "accept", 999999)
    with pytest.raises(InputError):
        await call(db, "accept", "abc")
    await call(db, "accept", ids["twin"])
    with pytest.raises(RuleViolation, match="already matched"):
        await call(db, "accept", ids["twin"])
    assert len([p for p in await payments(db) if p["state"] == "draft"]) == 1


async def test_ignore(db):
    ids = await setup_queue(db)
    outcome = await call(db, "ignore", ids["fee"], "bank fee, booked by hand")
    assert outcome.action == "ignored"
    assert ids["fee"] not in [i.id for i in (await review(db)).items]
    (ignored,) = (await review(db, "ignored")).items
    assert (ignored.id, ignored.reason) == (ids["fee"], "bank fee, booked by hand")
    # an ignored line can still be accepted later
    await call(db, "accept", ids["fee"], partner="Supplier BV")
    with pytest.raises(RuleViolation, match="unmatch it first"):
        await call(db, "ignore", ids["fee"])


async def test_unmatch_reverses_a_reconciliation(db):
    ids = await setup_queue(db)
    (pay,) = await payments(db)
    await call(db, "accept", ids["late"], payment=pay["number"])
    line = next(bl for bl in await bank_lines(db) if bl.id == ids["late"])
    entry_id = line.reconcile_entry_id
    outcome = await call(db, "unmatch", ids["late"], "wrong payment")
    assert outcome.action == "unmatched"
    line = next(bl for bl in await bank_lines(db) if bl.id == ids["late"])
    assert (line.state, line.link, line.payment_id, line.reconcile_entry_id) == (
        "review",
        None,
        None,
        None,
    )
    async with db.session() as s:
        entry = await s.get(m.JournalEntry, entry_id)
        reversal = await s.scalar(
            select(m.JournalEntry).where(m.JournalEntry.reversal_of_id == entry_id)
        )
    assert reversal is not None and entry.reversed_by_id == reversal.id
    assert await entry_lines(db, entry_id=reversal.id) == [("1000", 0, 25000), ("1020", 25000, 0)]
    assert await ledger_balance(db, "1020") == 25000  # back in outstanding receipts
    # every line is back in review: the bank holds them, against the bank suspense account
    undecided = sum(bl.amount for bl in await bank_lines(db) if bl.state == "review")
    assert await ledger_balance(db, "1000") == undecided == -await ledger_balance(db, "1090")
    # and it can be matched again
    await call(db, "accept", ids["late"], payment=pay["number"])
    assert await ledger_balance(db, "1000") == 50000 + 25000 + 9900 - 1200  # every line
    assert await ledger_balance(db, "1090") == -(50000 + 9900 - 1200)  # those in review
    with pytest.raises(RuleViolation, match="is not matched"):
        await call(db, "unmatch", ids["fee"])


async def test_reset_refused_while_matched_to_a_bank_line(db):
    """A payment created (and posted) from a bank line cannot go back to draft while the line
    holds it; the message names the line."""
    await books(db)
    await imp(db, jsonl(row("1190.00", text="INV-2026-0001")), auto_confirm=True)
    (line,) = await bank_lines(db)
    (p,) = await payments(db)
    async with db.session() as s:
        with pytest.raises(RuleViolation) as err:
            await PaymentFlowService(s, "tester").reset_payment_to_draft(p["id"])
    assert f"bank line {line.id}" in err.value.message
    assert f"payctl review unmatch {line.id}" in err.value.message
    assert (await payments(db))[0]["state"] == "posted"


async def audit_actions(db, entity: str, entity_id: int) -> list[str]:
    async with db.session() as s:
        return list(
            (
                await s.execute(
                    select(m.AuditRecord.action)
                    .where(
                        m.AuditRecord.object_type == entity, m.AuditRecord.object_id == entity_id
                    )
                    .order_by(m.AuditRecord.id)
                )
            ).scalars()
        )


async def test_unmatch_deletes_the_draft_the_import_created(db):
    """Issue "Trust first" 3: the import made a draft allocated to the invoice for the line.
    Unmatch deletes it (its allocation goes with it), so accepting the line again leaves
    exactly one payment, and that one can be confirmed."""
    await books(db)
    await imp(db, jsonl(row("1190.00", text="INV-2026-0001")))
    (line,) = await bank_lines(db)
    (draft,) = await payments(db)
    assert (draft["state"], draft["allocations"]) == ("draft", [("INV-2026-0001", 119000, 0)])
    outcome = await call(db, "unmatch", line.id, "wrong line")
    assert f"draft payment #{draft['id']} made from it is deleted" in outcome.message
    assert await payments(db) == []
    assert await audit_actions(db, "payment", draft["id"]) == ["create", "delete"]
    (line,) = await bank_lines(db)
    assert (line.state, line.link, line.payment_id) == ("review", None, None)
    await call(db, "accept", line.id, invoices=[("INV-2026-0001", None)])
    (again,) = await payments(db)
    assert again["allocations"] == [("INV-2026-0001", 119000, 0)]
    async with db.session() as s:
        assert (
            await PaymentFlowService(s, "tester").confirm_payment(again["id"])
        ).state == "posted"
    assert await invoice_state(db, "INV-2026-0001") == ("paid", 0)
    assert await ledger_balance(db, "1000") == 119000


async def test_accept_unmatch_accept_leaves_one_payment(db):
    """The same through the review queue alone: accept (creates a draft), unmatch, accept."""
    ids = await setup_queue(db)
    await call(db, "accept", ids["twin"])
    (first,) = [p for p in await payments(db) if p["partner"] == "ACME GmbH"]
    assert first["state"] == "draft"
    await call(db, "unmatch", ids["twin"])
    assert [p for p in await payments(db) if p["partner"] == "ACME GmbH"] == []
    await call(db, "accept", ids["twin"], auto_confirm=True)
    (second,) = [p for p in await payments(db) if p["partner"] == "ACME GmbH"]
    assert second["state"] == "posted"
    assert await invoice_state(db, "INV-2026-0002") == ("paid", 0)


async def test_unmatch_cancels_the_posted_payment_it_created(db):
    """A payment the match created and posted (on the bank account itself) is cancelled
    through the workflow when the line is unmatched: reversal entry, allocation given back,
    audited. Accepting again then books the money once."""
    await books(db)
    receivable = await ledger_balance(db, "1100")
    await imp(db, jsonl(row("1190.00", text="INV-2026-0001", tx="a")), auto_confirm=True)
    (line,) = await bank_lines(db)
    (p,) = await payments(db)
    assert await ledger_balance(db, "1000") == 119000
    outcome = await call(db, "unmatch", line.id)
    assert f"payment {p['number']} made from it is cancelled" in outcome.message
    (after,) = await payments(db)
    assert after["state"] == "cancelled" and after["number"] == p["number"]
    assert await invoice_state(db, "INV-2026-0001") == ("open", 119000)
    # the line is back in review: still on the bank, now against the bank suspense account
    assert await ledger_balance(db, "1000") == 119000 == -await ledger_balance(db, "1090")
    assert await ledger_balance(db, "1100") == receivable  # the receivable is back
    assert await audit_actions(db, "payment", p["id"]) == ["create", "confirm", "cancel"]
    with pytest.raises(RuleViolation, match="is cancelled"):
        await call(db, "accept", line.id, payment=p["number"])
    await call(db, "accept", line.id, invoices=[("INV-2026-0001", None)], auto_confirm=True)
    live = [x for x in await payments(db) if x["state"] != "cancelled"]
    assert [x["state"] for x in live] == ["posted"]
    assert await invoice_state(db, "INV-2026-0001") == ("paid", 0)
    assert await ledger_balance(db, "1000") == 119000
    assert await ledger_balance(db, "1100") == receivable - 119000


async def test_reset_refused_while_reconciled(db):
    ids = await setup_queue(db)
    (pay,) = await payments(db)
    await call(db, "accept", ids["late"], payment=pay["number"])
    async with db.session() as s:
        with pytest.raises(RuleViolation, match=f"bank line {ids['late']}"):
            await PaymentFlowService(s, "tester").reset_payment_to_draft(pay["id"])
        with pytest.raises(RuleViolation, match=f"bank line {ids['late']}"):
            await PaymentFlowService(s, "tester").cancel_payment(pay["id"])
    await call(db, "unmatch", ids["late"])
    async with db.session() as s:
        assert (
            await PaymentFlowService(s, "tester").reset_payment_to_draft(pay["id"])
        ).state == "draft"

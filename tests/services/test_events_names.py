"""The outbox names the ids its payloads carry (services/events/outbox.py): ``partner_id`` gets
``partner`` beside it, ``invoice_id`` ``invoice``, at any depth, whether the ids are close
together (read by their range) or scattered (read by list), on every backend."""

from __future__ import annotations

from typing import Any

from payctl.db.uow import transaction
from payctl.services.events import outbox, reader
from payctl.services.events.outbox import Change
from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests import factories


async def _events(session: Any) -> list[dict[str, Any]]:
    async with transaction(session, write=False):
        return await reader.after(session, 0, 1000)


async def test_a_confirmed_payment_names_its_partner_journal_and_invoices(session):
    await factories.customer(session)
    for k in range(3):
        await factories.invoice(session, f"INV-{k}", amount="100.00")
    draft = await factories.draft(
        session, amount="300.00", allocations=[(f"INV-{k}", "100.00") for k in range(3)]
    )
    await PaymentFlowService(session, "tester").confirm_payment(draft.id)

    confirmed = [e for e in await _events(session) if e["type"] == "payment.confirmed"]
    assert len(confirmed) == 1
    data = confirmed[0]["data"]
    assert (data["partner"], data["journal"], data["number"]) == (
        "ACME GmbH",
        "BNK1",
        "BNK1/2026/00001",
    )
    assert [(a["invoice"], a["amount"]) for a in data["allocations"]] == [
        (f"INV-{k}", "100.00") for k in range(3)
    ]


async def test_close_scattered_unknown_and_missing_ids_are_named(session):
    partner = await factories.customer(session)
    invoices = [await factories.invoice(session, f"INV-{k}") for k in range(12)]
    ids = [inv.id for inv in invoices]
    close = ids[:5]  # neighbours: read by their range
    scattered = [ids[0], ids[-1]]  # far apart for two ids: read by list
    gone = ids[-1] + 1000  # no such invoice: named None
    neighbours = [
        Change("payment.updated", "payment", 1, None, {"allocations": [{"invoice_id": i}]})
        for i in close
    ]
    elsewhere = [
        Change(
            "payment.updated",
            "payment",
            2,
            None,
            {
                "partner_id": partner.id,
                "journal_id": None,  # no id: named None
                "nested": {"deeper": [{"invoice_id": i} for i in [*scattered, gone]]},
                "invoice": "kept",  # already named: left as it is
                "invoice_id": ids[1],
            },
        )
    ]
    for changes in (neighbours, elsewhere):  # one transaction each: their ids are read apart
        async with transaction(session, write=True):
            await outbox.emit(session, "tester", changes)

    events = [e for e in await _events(session) if e["type"] == "payment.updated"]
    assert [e["data"]["allocations"][0]["invoice"] for e in events[:5]] == [
        f"INV-{k}" for k in range(5)
    ]
    last = events[5]["data"]
    assert (last["partner"], last["journal"], last["invoice"]) == ("ACME GmbH", None, "kept")
    assert [d["invoice"] for d in last["nested"]["deeper"]] == ["INV-0", "INV-11", None]

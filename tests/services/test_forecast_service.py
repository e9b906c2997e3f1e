"""ForecastService on both backends: the edges of the weeks, what counts as open, the direction
of each invoice type, one currency at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from payctl.errors import InputError
from payctl.services.parties.invoice_service import InvoiceService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.reports.forecast import ForecastService
from tests import factories

AS_OF = dt.date(2026, 3, 2)


async def item(session: Any, number: str, amount: str, due: str | None, **kw: Any) -> Any:
    return await InvoiceService(session, "tester").create_invoice(
        number,
        kw.get("partner", "ACME GmbH"),
        amount,
        kw.get("type", "customer_invoice"),
        kw.get("date", "2026-01-05"),
        due,
        kw.get("currency"),
    )


def rows(forecast: Any, currency: str) -> dict[str, tuple[int, str, str, str]]:
    return {
        r["period"]: (r["count"], str(r["money_in"]), str(r["money_out"]), str(r["net"]))
        for r in forecast.items
        if r["currency"] == currency
    }


async def test_weeks_edges_open_items_and_directions(session):
    await factories.customer(session)
    await factories.vendor(session)
    await item(session, "OVERDUE", "10.00", "2026-03-01")  # the day before: overdue
    await item(session, "W1-FIRST", "1.00", "2026-03-02")  # the as-of day: week 1
    await item(session, "W1-LAST", "2.00", "2026-03-08")  # its 7th day: still week 1
    await item(session, "W2", "4.00", "2026-03-09")
    await item(session, "NO-DUE", "8.00", None, date="2026-03-16")  # invoice date: week 3
    await item(session, "LATER", "16.00", "2026-03-23")  # after week 3: later
    vendor = {"partner": "Supplier BV"}
    await item(session, "BILL", "100.00", "2026-03-03", type="vendor_bill", **vendor)
    await item(session, "RBILL", "30.00", "2026-03-03", type="vendor_credit_note", **vendor)
    await item(session, "RINV", "50.00", "2026-03-10", type="customer_credit_note")
    await item(session, "USD", "7.00", "2026-03-02", currency="USD")
    # paid in part: its residual counts; paid in full: nothing
    await item(session, "PART", "300.00", "2026-03-04")
    await item(session, "PAID", "20.00", "2026-03-04")
    flow = PaymentFlowService(session, "tester")
    for invoice, amount in (("PART", "120.00"), ("PAID", "20.00")):
        payment = await factories.draft(session, amount, allocations=[(invoice, amount)])
        await flow.confirm_payment(payment.id)

    forecast = await ForecastService(session).forecast(3, AS_OF)
    assert (forecast.as_of, forecast.weeks) == (AS_OF, 3)
    assert rows(forecast, "EUR") == {
        "overdue": (1, "10.00", "0.00", "10.00"),
        "week 1": (5, "213.00", "-100.00", "113.00"),  # 1 + 2 + 30 + 180 in, the bill out
        "week 2": (2, "4.00", "-50.00", "-46.00"),
        "week 3": (1, "8.00", "0.00", "8.00"),
        "later": (1, "16.00", "0.00", "16.00"),
    }
    assert rows(forecast, "USD") == {
        "overdue": (0, "0.00", "0.00", "0.00"),
        "week 1": (1, "7.00", "0.00", "7.00"),
        "week 2": (0, "0.00", "0.00", "0.00"),
        "week 3": (0, "0.00", "0.00", "0.00"),
        "later": (0, "0.00", "0.00", "0.00"),
    }
    weeks = [(r["from"], r["to"]) for r in forecast.items if r["currency"] == "EUR"]
    assert weeks == [
        (None, dt.date(2026, 3, 1)),
        (dt.date(2026, 3, 2), dt.date(2026, 3, 8)),
        (dt.date(2026, 3, 9), dt.date(2026, 3, 15)),
        (dt.date(2026, 3, 16), dt.date(2026, 3, 22)),
        (dt.date(2026, 3, 23), None),
    ]
    assert [(t["currency"], t["count"], str(t["net"])) for t in forecast.totals] == [
        ("EUR", 10, "101.00"),
        ("USD", 1, "7.00"),
    ]


@pytest.mark.parametrize("weeks", [0, -1, 521])
async def test_weeks_out_of_range(session, weeks):
    with pytest.raises(InputError, match=f"weeks: {weeks} is not between 1 and 520"):
        await ForecastService(session).forecast(weeks, AS_OF)

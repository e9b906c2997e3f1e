"""`payctl check`'s fast path for posted payments (audit_match.confirm_text): the text it
writes for a payment and its live entry is, character for character, the trail's encoder's
text of the confirm record that payment_flow_service writes (``snapshot``,
``audit.entry_record``), whatever the values; a value of a type it does not write gives None
(the record is then decoded and compared in full)."""

from __future__ import annotations

import datetime as dt
import json
from collections import namedtuple
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from payctl.domain.enums import PaymentState, PaymentType
from payctl.services.ledger import audit
from payctl.services.ledger.audit_match import _Posted, confirm_text
from payctl.services.payments.payment_service import snapshot

Allocation = namedtuple("Allocation", "payment_id invoice_id amount")
Line = namedtuple("Line", "payment_id number account_id partner_id debit credit")

ids = st.integers(min_value=-(2**40), max_value=2**62)
amounts = st.integers(min_value=-(2**62), max_value=2**62)
texts = st.text()  # quotes, backslashes, control characters, non-ASCII, lone surrogates


@st.composite
def payments(draw: Any) -> tuple[_Posted, dict[str, list[Any]]]:
    p = _Posted(
        draw(st.integers(min_value=1, max_value=2**40)),
        draw(st.none() | texts),
        draw(st.sampled_from(list(PaymentType))),
        PaymentState.POSTED,
        draw(st.none() | ids),
        draw(ids),
        draw(amounts),
        draw(texts),
        draw(st.dates(min_value=dt.date(1, 1, 1))),
        draw(st.none() | texts),
        draw(st.none() | texts),
    )
    # invoice ids sort as text in the record ("10" before "9"); a repeated invoice keeps
    # its last amount, as in snapshot's dict
    p.allocations = [
        Allocation(p.id, invoice, amount)
        for invoice, amount in draw(st.lists(st.tuples(ids, amounts), max_size=5))
    ]
    number = draw(texts)
    lines = [
        Line(p.id, number, account, partner, debit, credit)
        for account, partner, debit, credit in draw(
            st.lists(
                st.tuples(
                    st.integers(min_value=1, max_value=20),
                    st.none() | st.integers(min_value=0, max_value=5),
                    st.integers(min_value=0, max_value=3),
                    st.integers(min_value=0, max_value=3),
                ),
                max_size=5,
            )
        )
    ]
    return p, {number: lines}


def record(p: _Posted, live: dict[str, list[Any]]) -> dict[str, Any]:
    """What payment_flow_service records at a confirmation (``_audit``)."""
    ((number, lines),) = live.items()
    return {
        "state": p.state.value,
        "state_before": "draft",
        "number": p.number,
        "snapshot": snapshot(p),  # type: ignore[arg-type]
        "entry": audit.entry_record(number, lines),
    }


@given(payments())
def test_the_text_is_the_encoders_text_of_the_confirm_record(case: Any) -> None:
    p, live = case
    text = confirm_text(p, live)
    assert text == audit._json(record(p, live))
    assert json.loads(text) == record(p, live)


def test_a_value_of_another_type_is_left_to_the_full_comparison() -> None:
    p = _Posted(1, "N/1", PaymentType.CUSTOMER_PAYMENT, PaymentState.POSTED, 2, 3, 100, "EUR",
                dt.date(2026, 1, 2), None, None)  # fmt: skip
    live = {"JE/1": [Line(1, "JE/1", 1, 2, 100, 0), Line(1, "JE/1", 6, 2, 0, 100)]}
    assert confirm_text(p, live) == audit._json(record(p, live))
    for column, value in (("amount", 100.0), ("amount", "100"), ("partner_id", 2.0),
                          ("currency", 1), ("memo", b"x"), ("journal_id", None)):  # fmt: skip
        other = _Posted(*(value if c == column else getattr(p, c) for c in _Posted.__slots__[:-1]))
        assert confirm_text(other, live) is None, column
    assert confirm_text(p, {"JE/1": [Line(1, "JE/1", 1.0, 2, 100, 0)]}) is None
    assert confirm_text(p, {"JE/1": [Line(1, "JE/1", 1, "2", 100, 0)]}) is None
    assert confirm_text(p, {}) is None  # no live entry, or two: the full comparison
    assert confirm_text(p, {"JE/1": live["JE/1"], "JE/2": live["JE/1"]}) is None

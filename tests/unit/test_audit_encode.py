"""The audit trail's encoder: plain data goes through the C encoder of
jsontext.sorted_compact_data, anything else through the stdlib's (``default=str``); the text
is json.dumps's either way (the trail hashes it)."""

from __future__ import annotations

import datetime as dt
import enum
import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from payctl.domain.enums import PaymentType
from payctl.jsontext import is_plain_data
from payctl.services.ledger import audit


class Plain(enum.Enum):  # not a str or int: json's default=str names it "Plain.A"
    A = "a"


class Code(enum.IntEnum):
    ONE = 1


leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**80)
    | st.floats(allow_nan=True)
    | st.text()  # lone surrogates included
    | st.sampled_from(
        [
            PaymentType.CUSTOMER_PAYMENT,
            Plain.A,
            Code.ONE,
            Decimal("1.10"),
            dt.date(2026, 1, 2),
            dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            1e16,
            -0.0,
        ]
    )
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)


def dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@given(values)
def test_same_text_as_json_dumps(value: object) -> None:
    assert audit._encode(value) == dumps(value)


def test_plain_data_and_the_rest() -> None:
    snapshot = {"number": None, "amount": 1000, "allocations": {"7": 1000}, "memo": "é"}
    assert is_plain_data(snapshot)
    assert is_plain_data([1, (True, None), {"a": ["b"]}])
    for other in (1.5, Plain.A, Code.ONE, PaymentType.CUSTOMER_PAYMENT, Decimal(1)):
        assert not is_plain_data({"x": [other]})
        assert audit._encode({"x": [other]}) == dumps({"x": [other]})
    assert not is_plain_data({1: "int key"})
    assert audit._encode({2: "int keys", 1: 3}) == dumps({2: "int keys", 1: 3})
    assert audit._encode({"z": 1e16, "a": float("nan")}) == '{"a":NaN,"z":1e+16}'

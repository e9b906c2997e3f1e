"""payctl.jsontext: the encoders made once give exactly json.dumps's text (the audit trail
hashes it, the outbox stores it); and format_amount, made in integer arithmetic, exactly the
text of str(from_minor)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payctl.domain.money import MAX_AMOUNT_MINOR, format_amount, from_minor
from payctl.jsontext import sorted_compact, sorted_compact_data

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(alphabet=st.characters(codec="utf-8")),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def dumps(value: object, **options: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, **options)  # type: ignore[arg-type]


@given(json_values)
def test_same_text_as_json_dumps(value: object) -> None:
    assert sorted_compact()(value) == dumps(value)
    assert sorted_compact(default=str)(value) == dumps(value, default=str)


data_values = st.recursive(  # what event payloads hold: no floats
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**80)
    | st.text()  # lone surrogates included
    | st.text(alphabet=st.characters(codec="utf-8")),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(data_values)
def test_data_encoder_same_text_as_json_dumps(value: object) -> None:
    assert sorted_compact_data()(value) == dumps(value)


def test_data_encoder_refuses_what_json_refuses() -> None:
    encode = sorted_compact_data()
    for value in (
        {"day": dt.date(2026, 12, 6)},
        {"amount": Decimal("1.50")},
        [dt.datetime(2026, 1, 1)],
    ):
        with pytest.raises(TypeError, match="not JSON serializable"):
            encode(value)
    text = {"t": 'é\u2028\x00\x1f\x7f"\\/\ud800', "n": -(2**70), "k": {"b": 1, "a": [True, None]}}
    assert encode(text) == dumps(text)


def test_default() -> None:
    value = {"day": dt.date(2026, 12, 6), "amount": Decimal("1.50"), "text": 'é\u2028\x00"'}
    assert sorted_compact(default=str)(value) == dumps(value, default=str)
    with pytest.raises(TypeError, match="not JSON serializable"):
        sorted_compact()(value)


@given(
    st.integers(min_value=-MAX_AMOUNT_MINOR * 10, max_value=MAX_AMOUNT_MINOR * 10),
    st.sampled_from(["EUR", "JPY", "BHD", "CLF", "XAU", "usd"]),
)
def test_format_amount_is_str_of_from_minor(minor: int, currency: str) -> None:
    assert format_amount(minor, currency) == str(from_minor(minor, currency))


@pytest.mark.parametrize("minor", [0, 1, -1, 9, -9, 10, 100, -100, 2**63 - 1, -(2**63 - 1), 2**70])
@pytest.mark.parametrize("currency", ["EUR", "JPY", "BHD", "CLF"])
def test_format_amount_edges(minor: int, currency: str) -> None:
    assert format_amount(minor, currency) == str(from_minor(minor, currency))

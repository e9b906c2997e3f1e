"""audit_match.loads: the value json.loads gives, for every text json.loads reads (orjson when
it takes the text, json.loads for the rest), and json.loads' error for a text it refuses."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payctl.services.ledger.audit_match import loads

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses them
    | st.floats(allow_nan=True, allow_infinity=True)  # json.dumps writes NaN, Infinity
    | st.text(),  # lone surrogates too
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types (NaN equal to NaN, 1 not equal to 1.0 nor True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


@given(values, st.booleans(), st.booleans())
def test_loads_gives_what_json_loads_gives(value, ascii_only, sort):
    text = json.dumps(value, ensure_ascii=ascii_only, sort_keys=sort)
    assert same(loads(text), json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":2}',  # duplicate keys: the last wins
        '{"snapshot":{"amount":1},"snapshot":{"amount":2}}',
        '{"a":1e400}',
        '{"a":-0}',
        '{"a":-0.0}',
        '{"a":18446744073709551616}',
        '"\\ud800"',
        " [1 , 2 ] ",
    ],
)
def test_loads_on_awkward_texts(text):
    assert same(loads(text), json.loads(text))


@pytest.mark.parametrize("text", ["", "{", '{"a":}', "[1,]", '{"a":1}x', "\x00"])
def test_loads_refuses_what_json_loads_refuses(text):
    with pytest.raises(json.JSONDecodeError) as ours:
        loads(text)
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    assert str(ours.value) == str(theirs.value)

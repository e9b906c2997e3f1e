"""`--format json` text: render's own writer of indented JSON gives json.dumps's exact text."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payctl.cli.render import _dumps

scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
keys = st.text() | st.integers()  # an integer key: left to json.dumps, which writes it as text
data = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=30,
)


@given(data, st.booleans(), st.sampled_from([1, 2, 4]))
def test_the_same_text_as_json_dumps(value, ensure_ascii, indent):
    assert _dumps(value, indent, ensure_ascii, None) == json.dumps(
        value, indent=indent, ensure_ascii=ensure_ascii
    )


class Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "value",
    [
        {"report": [{"item": "1", "ok": True, "number": None, "id": 7}], "total": 1},
        {"a": Colour.RED, "b": (1, 2), "c": 1.5, "d": "\u2028ü\x7f"},
        [],
        {},
        [[], {}],
        "text",
    ],
)
def test_what_commands_emit(value):
    for ensure_ascii in (False, True):
        assert _dumps(value, 2, ensure_ascii, None) == json.dumps(
            value, indent=2, ensure_ascii=ensure_ascii
        )
    assert _dumps(value, None, False, (",", ":")) == json.dumps(
        value, ensure_ascii=False, separators=(",", ":")
    )


def test_unencodable_values_still_raise():
    with pytest.raises(TypeError):
        _dumps({"a": object()}, 2, False, None)


@pytest.mark.parametrize(
    "value",
    [
        {"text": "".join(map(chr, range(0x250))) + "\u2028\u2029\ufeff\U0001f600", "n": -(2**63)},
        {"big": 2**64, "small": -(2**63) - 1},  # beyond 64 bits: orjson refuses, json writes
        ["\ud800"],  # a lone surrogate: orjson refuses, json writes it escaped
        {"deep": [[[[[[[[[[]]]]]]]]]], "empty": {}, "tuple": (1, "a", None, True)},
    ],
)
def test_indented_by_orjson_or_not_the_same_text(value):
    assert _dumps(value, 2, False, None) == json.dumps(value, indent=2, ensure_ascii=False)


def test_plain_data_indented_by_orjson():
    from payctl.cli.render import _orjson_indented

    value = {"items": [{"item": "1", "payment_id": 1, "ok": True, "number": None}], "total": 1}
    assert _orjson_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)
    assert _orjson_indented({"amount": 1.5}) is None  # a float: left to the other writers


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"a": "plain"}, '{\n  "a": "plain"\n}'),
        ({"a": "x\x7fy"}, '{\n  "a": "x\\u007fy"\n}'),  # DEL: the one ASCII character escaped
        (["\u2028", "ü\x9b"], '[\n  "\\u2028",\n  "ü\\u009b"\n]'),
    ],
)
def test_json_text_escapes_what_json_leaves_raw(value, text):
    from payctl.cli.render import _json_text

    assert _json_text(value, 2) == text

"""Compact JSON with sorted keys: the text the audit trail hashes and the outbox stores.

``json.dumps`` with options builds a new encoder, and a new C encoder under it, on every call;
a bank import writes two such texts for each of tens of thousands of payments. The encoders
here are made once and give exactly the text of ``json.dumps(value, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` (``default``: as its ``default``). Values are
trees (JSON-ready data), never cyclic: no check for cycles.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _json_encoder
from typing import Any

Encoder = Callable[[Any], str]


def _no_default(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def sorted_compact(default: Callable[[Any], Any] | None = None) -> Encoder:
    """An encoder of compact, key-sorted JSON text (non-ASCII kept as it is)."""
    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the standard encoder, made once
        python = json.JSONEncoder(
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            check_circular=False,
            default=default,
        )
        return python.encode
    chunks = make(
        None,  # no cycle check
        default or _no_default,
        getattr(_json_encoder, "c_encode_basestring"),  # noqa: B009 (typeshed omits it)
        None,  # no indent
        ":",
        ",",
        True,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan, as json.dumps
    )

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    return encode


def sorted_compact_data() -> Encoder:
    """:func:`sorted_compact` (no ``default``) for JSON data without floats — the outbox's
    event payloads: ids, amounts as text, dates as text, names. orjson (C, a third of the
    stdlib's time on the events a bank import writes) gives the same text for such data; what
    it does not take (integers beyond 64 bits, lone surrogates, a non-JSON type) goes to the
    stdlib encoder, which gives the text or the TypeError as before. Floats are left out of
    the promise: orjson writes ``1e16`` where json writes ``1e+16``, and NaN as null."""
    plain = sorted_compact()
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency; the stdlib still works
        return plain
    dumps, options = (
        orjson.dumps,
        (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS),
    )

    def encode(value: Any) -> str:
        try:
            return dumps(value, default=_no_default, option=options).decode()
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            return plain(value)

    return encode


_SCALARS = frozenset({str, int, bool, type(None)})


def is_plain_data(value: Any) -> bool:
    """Is ``value`` made only of exactly str, int, bool, None, lists, tuples and dicts with
    str keys (no float, no subclass such as an enum, no value a ``default`` would turn into
    text)? Such data has the same text from :func:`sorted_compact_data` as from
    :func:`sorted_compact`, whatever the ``default``."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _SCALARS and not is_plain_data(item)):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) in _SCALARS or is_plain_data(item) for item in value)
    return False


def sorted_compact_any(default: Callable[[Any], Any]) -> Encoder:
    """:func:`sorted_compact` with ``default``, for any value: plain data (:func:`is_plain_data`)
    through :func:`sorted_compact_data`'s C encoder (a third of the time), the rest through
    the standard encoder. The text is the same either way."""
    data, anything = sorted_compact_data(), sorted_compact(default=default)

    def encode(value: Any) -> str:
        return data(value) if is_plain_data(value) else anything(value)

    return encode

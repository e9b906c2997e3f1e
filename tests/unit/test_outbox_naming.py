"""The outbox's naming of ids (services/events/outbox.py): every dict of every payload is found
(nested in dicts and lists, of any dict type), each kind of id is looked up once, sorted, and
named beside it; ids with no name (yet) are reported with their event, and a value that is
not an integer is named null."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from payctl.services.events import outbox
from payctl.services.events.outbox import Change


class Sub(dict):  # type: ignore[type-arg]
    """A dict of another type: still a dict of the payload."""


def _payloads() -> list[dict[str, Any]]:
    return [
        {"id": 1, "partner_id": 7, "journal_id": 2, "payment_id": None, "memo": "x"},
        {"id": 2, "allocations": [{"invoice_id": 5, "amount": "1.00"}, {"invoice_id": 6}]},
        {"deep": [[{"invoice_id": 5}], [], [[{"payment_id": 9, "payment": "P9"}]]]},
        {"in": {"partner_id": 8, "more": {"journal_id": 3}}, "list": [1, "a", None]},
        {"partner_id": 8, "partner": "named already", "sub": Sub(journal_id=2)},
        {},
    ]


def _reference(changes: list[Change]) -> list[tuple[int, int]]:
    """(owner, id of the dict) of every dict, found one value at a time."""
    found = []
    for index, change in enumerate(changes):
        stack: list[Any] = [change.data]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                found.append((index, id(value)))
                value = value.values()
            stack.extend(v for v in value if isinstance(v, (dict, list)))
    return sorted(found)


def test_every_dict_of_every_payload_is_found_with_its_owner():
    changes = [Change("lock_date.moved", "x", None, None, p) for p in _payloads()]
    dicts, owners = outbox._dicts(changes)
    assert sorted(zip(owners, map(id, dicts), strict=True)) == _reference(changes)
    assert len(dicts) == len(owners) == 13


NAMES = {2: "BNK1", 3: "BNK2", 5: "INV-5", 7: "ACME", 9: "P9"}  # no name: 6, 8, True (1)


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    asked: list[list[int]] = []

    async def _names(session: Any, id_col: Any, name_col: Any, ids: list[int]) -> dict[int, str]:
        asked.append(ids)
        return {i: NAMES[i] for i in ids if i in NAMES}

    monkeypatch.setattr(outbox, "_names", _names)
    return asked


async def test_ids_are_named_and_those_without_a_name_reported(names):
    changes = [Change("lock_date.moved", "x", None, None, p) for p in _payloads()]
    unnamed = await outbox._name(None, changes)  # type: ignore[arg-type]
    data = [c.data for c in changes]
    assert data[0] == {
        "id": 1,
        **{"partner_id": 7, "journal_id": 2, "payment_id": None, "memo": "x"},
        **{"partner": "ACME", "journal": "BNK1", "payment": None},
    }
    assert data[1]["allocations"] == [
        {"invoice_id": 5, "amount": "1.00", "invoice": "INV-5"},
        {"invoice_id": 6, "invoice": None},
    ]
    assert data[2] == {"deep": [[{"invoice_id": 5, "invoice": "INV-5"}], [], [[_P9]]]}
    assert data[3]["in"] == {
        "partner_id": 8,
        "partner": None,
        "more": {"journal_id": 3, "journal": "BNK2"},
    }
    assert data[4] == {
        "partner_id": 8,
        "partner": "named already",
        "sub": {"journal_id": 2, "journal": "BNK1"},
    }
    assert sorted(unnamed) == [(1, "invoice_id", 6), (3, "partner_id", 8)]
    assert names == [[5, 6], [2, 3], [7, 8]]  # a kind at a time, sorted, each id once


_P9 = {"payment_id": 9, "payment": "P9"}


async def test_ids_that_are_not_integers_are_named_null_a_dict_at_a_time(names):
    payloads = [
        {"partner_id": 7},
        {"partner_id": True},  # an integer for isinstance: looked up as 1
        {"partner_id": 7.0},  # not an id
        {"partner_id": "7"},
        {"partner_id": None},
    ]
    changes = [Change("lock_date.moved", "x", None, None, p) for p in copy.deepcopy(payloads)]
    unnamed = await outbox._name(None, changes)  # type: ignore[arg-type]
    assert [c.data["partner"] for c in changes] == ["ACME", None, None, None, None]
    assert unnamed == [(1, "partner_id", True)]
    assert names == [[True, 7]]


async def test_an_unknown_event_type_is_refused_naming_the_first():
    changes = [Change(t, "x", None, None, {}) for t in ("payment.created", "no.such", "nor.this")]
    with pytest.raises(ValueError, match=r"unknown event type 'no.such': add it to events/catalog"):
        await outbox.emit(None, "tester", changes)  # type: ignore[arg-type]

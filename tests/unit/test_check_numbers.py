"""integrity_service.parse_number, now parsed as a head (journal and year, once per head in
`check`) and a serial: the same results as the rule written in one piece."""

from __future__ import annotations

import itertools
from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from payctl.services.ledger.integrity_service import (
    _parse_head,
    _with_serial,
    parse_number,
    sort_numbers,
)


def whole(number: str, prefix: str = "") -> tuple[str, int, int] | None:
    """The rule as it was written before it was split."""
    head, _, value = number.rpartition("/")
    code, _, year = head.rpartition("/")
    if not code.startswith(prefix) or len(code) == len(prefix):
        return None
    if len(year) != 4 or not year.isdigit() or not value.isdigit() or int(value) == 0:
        return None
    return code[len(prefix) :], int(year), int(value)


def outcome(parse, number: str, prefix: str):
    try:
        return parse(number, prefix)
    except ValueError as exc:  # digits int() does not take ('²'): the same error either way
        return str(exc)


def by_head(number: str, prefix: str):
    head, _, value = number.rpartition("/")
    return _with_serial(_parse_head(head, prefix), value)


PARTS = ["", "JE", "BNK1", "JE/BNK1", "2026", "226", "0", "00000", "00012", "x", "²", "٣"]


def test_every_combination_of_awkward_parts():
    for prefix in ("", "JE/"):
        for n in range(1, 5):
            for parts in itertools.product(PARTS, repeat=n):
                number = "/".join(parts)
                want = outcome(whole, number, prefix)
                assert outcome(parse_number, number, prefix) == want, (number, prefix)
                assert outcome(by_head, number, prefix) == want, (number, prefix)


@given(st.text(alphabet="JE/BNK1²٣0123456789x", max_size=20), st.sampled_from(["", "JE/"]))
def test_any_text(number, prefix):
    assert outcome(parse_number, number, prefix) == outcome(whole, number, prefix)


# `check` sorts the numbers of a kind with sort_numbers (each head parsed once); the same as
# parse_number number by number, as `check` did: the same serials under the same keys, the
# same malformed numbers in the same order, the same error where int() refuses a digit.
JOURNALS = {"BNK1": 1, "JE": 2, "2026": 3}


def one_by_one(numbers: list[str], prefix: str):
    used, malformed = defaultdict(list), []
    try:
        for number in numbers:
            parsed = parse_number(number, prefix)
            jid = JOURNALS.get(parsed[0]) if parsed else None
            if parsed is None or jid is None:
                malformed.append(number)
                continue
            used[(jid, parsed[1], "k")].append(parsed[2])
    except ValueError as exc:
        return str(exc), len(malformed), dict(used)
    return dict(used), malformed


def sorted_out(numbers: list[str], prefix: str):
    used: defaultdict = defaultdict(list)
    try:
        malformed = sort_numbers(numbers, prefix, "k", JOURNALS, used)
    except ValueError as exc:
        return str(exc)
    return dict(used), malformed


def same(numbers: list[str], prefix: str) -> None:
    want = one_by_one(numbers, prefix)
    got = sorted_out(numbers, prefix)
    assert got == (want if len(want) == 2 else want[0]), (numbers, prefix)


def test_sort_numbers_on_every_combination_of_awkward_parts():
    for prefix in ("", "JE/"):
        numbers = [
            "/".join(parts)
            for n in range(1, 4)
            for parts in itertools.product(PARTS + ["202²", "BNK2"], repeat=n)
        ]
        # in runs that share heads, without the numbers int() refuses (one would stop the run)
        fine = [n for n in numbers if isinstance(outcome(parse_number, n, prefix), tuple | None)]
        same(fine, prefix)
        same(fine[::-1], prefix)
        for number in numbers:
            same([number], prefix)
            same([*fine[:50], number, *fine[:50]], prefix)


@given(
    st.lists(st.text(alphabet="JE/BNK12²٣0123456789x", max_size=16), max_size=12),
    st.sampled_from(["", "JE/"]),
)
def test_sort_numbers_on_any_texts(numbers, prefix):
    same(numbers, prefix)

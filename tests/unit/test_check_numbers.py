"""integrity_service.parse_number, now parsed as a head (journal and year, once per head in
`check`) and a serial: the same results as the rule written in one piece."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from payctl.services.ledger.integrity_service import _parse_head, _with_serial, parse_number


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

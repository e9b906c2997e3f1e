"""``INVOICE=AMOUNT``: the one parser of `--allocate`, `allocations` columns and `review accept
--invoice`."""

from __future__ import annotations

import pytest

from payctl.domain.allocations import parse_allocation, parse_allocation_spec
from payctl.errors import InputError


def test_the_last_equals_sign_separates_the_amount():
    assert parse_allocation("INV-1=100.00") == ("INV-1", "100.00")
    assert parse_allocation(" INV=7 = 100.00 ") == ("INV=7", "100.00")
    assert parse_allocation("A=B=C=5") == ("A=B=C", "5")
    assert parse_allocation_spec("INV=1=10.00; INV-2=5;") == [("INV=1", "10.00"), ("INV-2", "5")]


def test_the_amount_may_be_left_out_where_it_is_optional():
    assert parse_allocation("INV/2026/0007", amount_required=False) == ("INV/2026/0007", None)
    assert parse_allocation("INV=7=1.00", amount_required=False) == ("INV=7", "1.00")


@pytest.mark.parametrize("spec", ["INV-1", "=100.00", "INV-1=", " = ", "", "INV-1= "])
def test_bad_specs_name_the_field_and_the_text(spec):
    with pytest.raises(InputError) as caught:
        parse_allocation(spec, "--allocate")
    assert caught.value.message == (
        f"--allocate: {spec!r} is not INVOICE=AMOUNT (e.g. INV/2026/0001=1190.00)"
    )


@pytest.mark.parametrize("spec", ["=100.00", "INV-1=", "", "  "])
def test_bad_specs_where_the_amount_is_optional(spec):
    with pytest.raises(InputError, match=r"^--invoice: .* is not INVOICE or INVOICE=AMOUNT"):
        parse_allocation(spec, "--invoice", amount_required=False)


def test_a_bad_spec_in_a_list_is_refused():
    with pytest.raises(InputError, match="'INV-2' is not INVOICE=AMOUNT"):
        parse_allocation_spec("INV-1=1.00;INV-2")

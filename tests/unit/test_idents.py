"""id_digits: the one reading of an id a user wrote, for the CLI's checks and the lookups."""

from __future__ import annotations

import pytest

from payctl.domain.idents import id_digits


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("42", "42"),
        ("#42", "42"),
        (" #7 ", "7"),
        (42, "42"),
        ("99999999999999999999", "99999999999999999999"),  # the range is the caller's rule
        ("", None),
        ("#", None),
        ("4x", None),
        ("-1", None),
        ("1.0", None),
        ("\u0664\u0662", None),  # Arabic-Indic digits: isdigit(), but no id
        ("BNK1/2026/00001", None),
    ],
)
def test_id_digits(text, digits):
    assert id_digits(text) == digits

"""The importer's amount of a line in minor units (``_minor``): its one-step path for the
usual amount gives what the checked path (limit, decimals, conversion) gives, and refuses
the same amounts with the same messages."""

from decimal import Decimal

import pytest

from payctl.domain.money import check_limit, to_minor
from payctl.importers.bank import BankFileError
from payctl.importers.values import exact_amount
from payctl.services.bank.bank_extract_service import FileReport, _minor

AMOUNTS = [
    "0", "-0", "0.00", "-0.00", "1", "1.5", "1.50", "1.500", "-1812.57", "1.505", "0.001",
    "9999999999.99", "10000000000.00", "-9999999999.99", "999999999999", "1E+2", "1E+30",
    "1E+999999", "1.0000000000000000000000000000000001", "12345678901234567890.5",
    "Infinity", "-Infinity", "1E-999999",  # (a NaN never gets here: every reader refuses it)
    # exponents other than the currency's: the fast path's exact ratio
    "1.25E+3", "125E-2", "0E-10", "-0E+5", "1E-19", "1E-21", "-1.5E-1", "0.10", "5E-1",
    "100000000000E-2", "99999999999900E-2", "1E+19", "1E+20", "-1E+11", "999999999999.5",
    "1.00000000000000000001", "123456789012345678901234567890E-28", "25E-3", "0.125",
]  # fmt: skip


def _checked(amount: Decimal, currency: str) -> int | str:
    try:
        check_limit(amount, currency)
        return to_minor(exact_amount(amount, currency), currency)
    except Exception as exc:
        return type(exc).__name__


@pytest.mark.parametrize("currency", ["EUR", "JPY", "BHD"])
@pytest.mark.parametrize("text", AMOUNTS)
def test_minor_is_the_checked_conversion(text: str, currency: str) -> None:
    amount = Decimal(text)
    expected = _checked(amount, currency)
    if isinstance(expected, int):
        assert _minor(amount, currency, FileReport("f.csv"), "f.csv", 3) == expected
    else:
        with pytest.raises(BankFileError, match="^f.csv: line 3: amount: "):
            _minor(amount, currency, FileReport("f.csv"), "f.csv", 3)

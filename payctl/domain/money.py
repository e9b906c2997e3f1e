"""Money: Decimal in code, integer minor units in storage, always with its currency.

Every function takes the currency: there is no default one in code (a new database's default
currency is the ``currency`` setting that ``payctl init`` writes). Never a float.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache

from payctl.errors import InputError

PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
MAX_MINOR = 2**63 - 1  # amounts are stored in signed 64-bit (BigInteger) columns
# The largest amount payctl takes, in minor units (9,999,999,999.99 EUR, 999,999,999,999 JPY),
# from users and from every file alike. Chosen so that what reports and checks add in the
# database fits MAX_MINOR too: a sum overflows only past 9,223,372 amounts at this maximum,
# more lines than a file within the default import limit (50 MB) can hold.
MAX_AMOUNT_MINOR = 10**12 - 1

USUAL_EXPONENT = 2
# ISO 4217 minor-unit exponents that differ from the usual 2 (tests/unit/test_money.py checks
# this table against the ISO 4217 list of the iso4217 package). Codes without a minor unit in
# ISO 4217 (XAU, XDR...: funds and metals) and codes unknown here count as 2.
_EXPONENTS = {
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    "CLF": 4,
    "UYW": 4,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}


def exponent(currency: str) -> int:
    """Number of decimal places of a currency's minor unit."""
    return _EXPONENTS.get(currency.upper(), USUAL_EXPONENT)


def unusual_exponents() -> dict[int, tuple[str, ...]]:
    """The currencies whose exponent is not :data:`USUAL_EXPONENT`, by exponent (for a SQL
    ``CASE`` over a currency column)."""
    out: dict[int, list[str]] = {}
    for code, places in sorted(_EXPONENTS.items()):
        out.setdefault(places, []).append(code)
    return {places: tuple(codes) for places, codes in sorted(out.items())}


def normalise_currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InputError(f"invalid currency {value!r}: expected a 3-letter ISO code such as EUR")
    return code


@cache
def _unit(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


@cache
def largest_amount(currency: str) -> Decimal:
    """:data:`MAX_AMOUNT_MINOR` in ``currency``: ``9999999999.99`` for EUR (computed once per
    currency: every amount of an import is checked against it)."""
    places = exponent(currency)
    return Decimal(MAX_AMOUNT_MINOR).scaleb(-places).quantize(_unit(places))


class AmountTooLarge(InputError):
    """An amount above :data:`MAX_AMOUNT_MINOR`; ``problem`` is the message without the field,
    for readers that name the field their own way (file, line, column)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def check_limit(value: Decimal, currency: str, field: str = "amount") -> None:
    """Refuse an amount whose size is above :data:`MAX_AMOUNT_MINOR` minor units of ``currency``
    (:class:`AmountTooLarge`, exit 2): the one limit of every amount, from a user or a file.

    Compares exactly, so it can run before ``quantize``, which overflows on huge values."""
    largest = largest_amount(currency)
    if abs(value) > largest:
        raise AmountTooLarge(field, f"{value} is too large (at most {largest} {currency.upper()})")


def parse_number(
    text: str | int | Decimal, *, field: str = "amount", allow_negative: bool = False
) -> Decimal:
    """A plain, finite decimal number, exactly: the part of :func:`parse_amount` that does not
    depend on a currency (also for values applied in each currency, such as filter bounds)."""
    if isinstance(text, float):
        raise TypeError("amounts must never be floats")
    raw = str(text).strip()
    if isinstance(text, str) and not PLAIN_NUMBER.match(raw):
        # Decimal() would also take '1e3', '1_000', 'NaN' and ' 1 2': ask for the plain form.
        raise InputError(f"{field}: {raw!r} is not a number (write it like 1190.00)")
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise InputError(f"{field}: {raw!r} is not a number") from None
    if not value.is_finite():
        raise InputError(f"{field}: {raw!r} is not a finite number")
    if value < 0 and not allow_negative:
        raise InputError(f"{field}: {raw} must not be negative")
    return value


def parse_amount(
    text: str | int | Decimal,
    currency: str,
    *,
    field: str = "amount",
    allow_zero: bool = False,
    allow_negative: bool = False,
) -> Decimal:
    """Parse a user- or file-supplied amount of ``currency`` exactly.

    Accepts ``1190``, ``1190.5``, ``1190.50``, ``1,190.50`` is refused (ambiguous).
    Refuses floats, non-numbers, NaN/infinity, more decimals than the currency has,
    and (unless allowed) zero and negative values.
    """
    value = parse_number(text, field=field, allow_negative=True)
    raw = str(text).strip()
    places = exponent(currency)
    check_limit(value, currency, field)  # before quantize, which would overflow
    if value != value.quantize(_unit(places), rounding=ROUND_HALF_EVEN):
        raise InputError(
            f"{field}: {raw} has more than {places} decimal places for {currency.upper()}"
        )
    if value == 0 and not allow_zero:
        raise InputError(f"{field}: must be greater than zero")
    if value < 0 and not allow_negative:
        raise InputError(f"{field}: {raw} must not be negative")
    return quantize(value, currency)


def quantize(value: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half to even (banker's rounding)."""
    return value.quantize(_unit(exponent(currency)), rounding=ROUND_HALF_EVEN)


def to_minor(value: Decimal, currency: str, field: str = "amount") -> int:
    """Exact conversion of a Decimal amount to integer minor units, the way of every amount into
    the database: refuses an amount above the limit (:func:`check_limit`, InputError) and lost
    precision (ValueError)."""
    if isinstance(value, float):
        raise TypeError("amounts must never be floats")
    check_limit(Decimal(value), currency, field)
    scaled = Decimal(value).scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} is not a whole number of minor units of {currency}")
    return int(scaled)


def minor_bound(value: Decimal, places: int, *, upper: bool) -> int:
    """``value`` as a bound on amounts with ``places`` decimals, in minor units: rounded down
    for an upper bound, up for a lower one, so that ``amount <= value`` (``>=``) holds for
    exactly the amounts ``<=`` (``>=``) the result. ``100.5`` is at most 100 and at least 101
    yen. Clamped just above :data:`MAX_AMOUNT_MINOR`: no amount is larger."""
    if isinstance(value, float):
        raise TypeError("amounts must never be floats")
    if abs(value) > MAX_AMOUNT_MINOR:  # the result is clamped anyway: spare a huge scaleb
        value = Decimal(MAX_AMOUNT_MINOR + 1).copy_sign(value)
    scaled = Decimal(value).scaleb(places)
    whole = int(scaled.to_integral_value(rounding=ROUND_FLOOR if upper else ROUND_CEILING))
    return max(-(MAX_AMOUNT_MINOR + 1), min(MAX_AMOUNT_MINOR + 1, whole))


def writeoff_limit(tolerance: Decimal, currency: str) -> int:
    """The write-off tolerance in minor units of ``currency``: the one rule the matcher and
    ``confirm`` share. The tolerance is an amount applied in each payment's own currency (1.00
    is 1.00 EUR, 1 JPY, 1.000 KWD), rounded down to the currency's minor unit so that nothing
    above it is ever written off (0.50 is 0 JPY)."""
    return max(0, minor_bound(tolerance, exponent(currency), upper=True))


def from_minor(minor: int, currency: str) -> Decimal:
    """Integer minor units back to a Decimal with the currency's number of places."""
    places = exponent(currency)
    return Decimal(int(minor)).scaleb(-places).quantize(_unit(places))


def format_amount(minor: int, currency: str) -> str:
    """Plain string form used in JSON/CSV output: ``1190.00``; the text of
    ``str(from_minor(minor, currency))``, made with integer arithmetic (imports, events and
    the matcher's reasons format tens of thousands of amounts)."""
    fast = _FAST.get(currency)
    if fast is not None and type(minor) is int and 0 <= minor <= MAX_MINOR:  # the usual case
        whole, part = divmod(minor, fast[0])
        return f"{whole}.{part:{fast[1]}}"
    minor = int(minor)
    places = _PLACES.get(currency)
    if places is None:
        places = exponent(currency)
        if len(_PLACES) < 1000:  # bounded: the codes come from files
            _PLACES[currency] = places
            if places:
                _FAST[currency] = (_scale(places), f"0{places}d")
    if abs(minor) > MAX_MINOR:  # beyond any stored amount: Decimal says what it makes of it
        return str(from_minor(minor, currency))
    if places == 0:
        return str(minor)
    whole, part = divmod(-minor if minor < 0 else minor, _scale(places))
    return f"{'-' if minor < 0 else ''}{whole}.{part:0{places}d}"


# currency code as given -> exponent(code): format_amount is called tens of thousands of times
# per import with the same one or two codes.
_PLACES: dict[str, int] = {}
# ... and, for a currency with decimals, (minor units per unit, the format of the decimals):
# a non-negative int amount in one step.
_FAST: dict[str, tuple[int, str]] = {}


@cache
def _scale(places: int) -> int:
    return 10**places

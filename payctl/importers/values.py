"""Value parsers of bank tables: a cell as text, amounts, dates, and the one decimals rule.

Cells come from ``csvfile`` (always text) or ``xlsx`` (text, numbers, dates). Amounts are read
into ``Decimal`` by :class:`AmountParser` (one decimal separator, a set of thousands separators;
signs, brackets, currency codes and symbols tolerated), never through a float; dates by
:class:`DateParser` with the profile's ``strptime`` formats or those :func:`infer_date_formats`
finds. :func:`exact_amount` is the rule of every bank reader (CSV, XLSX, camt, OFX, JSON lines,
MT940) for an amount with more decimals than its currency has.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Context, Decimal, Inexact, InvalidOperation
from functools import cache

from payctl.domain.money import exponent

# Quantize exactly: a discarded non-zero digit raises Inexact (the amount is refused); a result
# longer than 60 digits, InvalidOperation (a value far above the limit of every amount, which
# ``money.check_limit`` refuses), so a huge exponent never builds a huge number.
_EXACT = Context(prec=60, traps=[Inexact, InvalidOperation])


@cache
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def exact_amount(value: Decimal, currency: str) -> Decimal:
    """``value`` with the decimals of ``currency``: extra decimals that are zeros are dropped
    (``1.500`` EUR is ``1.50``); any other extra digit refuses the amount (``1.505`` EUR), as
    does a NaN or an infinity. Raises ``ValueError`` with the problem (without file, line or
    field: the reader adds them). The one rule of every bank reader: a bank amount is never
    rounded."""
    if not value.is_finite():
        raise ValueError(f"{value} is not an amount")
    try:
        return value.quantize(_quantum(currency), context=_EXACT)
    except Inexact:
        unsigned = str(value).lstrip("-")
        raise ValueError(f"{unsigned} has more decimals than {currency.upper()} allows") from None
    except InvalidOperation:
        return value


def normalise_header(name: object) -> str:
    """``" Débit_Amount "`` -> ``"debit amount"``: case, accents, spaces, ``_``/``-`` ignored,
    and a leading ``#`` (mBank writes ``#Data operacji``)."""
    text = "" if name is None else str(name)
    text = text.replace("\ufeff", "").strip().lstrip("#")
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", text).strip()


# ----------------------------------------------------------------------------------------------
# Cells: text, amounts, dates


def cell_text(cell: object) -> str:
    """A cell as trimmed text (Excel numbers without float noise, dates as ISO)."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, float):
        if cell != cell:  # NaN from pandas
            return ""
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, dt.datetime):
        return (
            cell.date().isoformat()
            if not (cell.hour or cell.minute or cell.second)
            else cell.isoformat(sep=" ")
        )
    return str(cell).strip()


def clean_text(cell: object) -> str:
    """Trimmed text with inner runs of whitespace collapsed and a stray unbalanced quote dropped."""
    text = cell_text(cell)
    if '"' in text and text.count('"') % 2:
        text = text.strip('"').strip()  # Rabobank: a row whose first field lost its opening quote
    if "  " in text or "\n" in text or "\t" in text or "\r" in text:
        text = " ".join(text.split())
    return text


def untidy(text: str) -> bool:
    """A trimmed text ``clean_text`` would change (a quote, a tab, a newline, two spaces):
    ``first_text`` tidies only those. Five scans for a character, faster than one regex."""
    return '"' in text or "\n" in text or "\t" in text or "\r" in text or "  " in text


def cell_str(cell: object) -> str:
    return cell.strip() if type(cell) is str else cell_text(cell)


def first_text(cells: Sequence[object], cols: tuple[int, ...]) -> str | None:
    """The first non-empty of the columns, tidied (see :func:`clean_text`)."""
    for i in cols:
        cell = cells[i]
        text = cell.strip() if type(cell) is str else cell_text(cell)
        if text:
            return clean_text(text) if untidy(text) else text
    return None


def joined_text(cells: Sequence[object], cols: tuple[int, ...], sep: str) -> str:
    if len(cols) == 1:
        return first_text(cells, cols) or ""
    return sep.join(t for i in cols if (t := first_text(cells, (i,))))


# A currency beside the number: a code ("EUR"), a symbol ("€", "$") or a short word of letters
# of the currencies written so ("zł", "Kč", "kr", "Ft", "lei", "kn"): not any letters, so that
# "12x" stays no amount and the "CR"/"DR" suffix keeps signing it.
_CURRENCY_WORDS = "zł|zl|Kč|Kc|kr|Kr|Ft|lei|Lei|kn|Kn|din|Din|лв|Sk|Rs|Rp"
_CUR = rf"(?:[A-Z]{{3}}|(?:{_CURRENCY_WORDS})\.?|[^\w\s().,'’+\-\u2212])"
_NUMBER = re.compile(
    rf"(?P<open>\()?(?P<s1>[+\-\u2212])?{_CUR}?(?P<s2>[+\-\u2212])?"
    r"(?P<num>[\d.,'’]*\d[\d.,'’]*)"
    rf"{_CUR}?(?P<s3>[+\-\u2212]|CR|DR|Cr|Dr|cr|dr)?(?P<close>\))?"
)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_PLAIN = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_MINUS = ("-", "\u2212", "DR", "Dr", "dr")


class AmountParser:
    """Text -> Decimal for one decimal separator and a set of thousands separators. Never float."""

    def __init__(self, decimal: str, thousands: str) -> None:
        self.decimal = decimal
        self.thousands = "".join(c for c in thousands if c not in " \u00a0\u202f")
        ths = re.escape(self.thousands) if self.thousands else None
        dec = re.escape(decimal)
        self._fast = re.compile(rf"[+-]?\d+(?:{dec}\d+)?").fullmatch
        group = rf"\d{{1,3}}(?:[{ths}]\d{{3}})+"
        self._grouped = re.compile(rf"{group}(?:{dec}\d*)?") if ths else None
        self._fast_grouped = re.compile(rf"[+-]?{group}(?:{dec}\d+)?").fullmatch if ths else None
        self._to_plain = {ord(c): None for c in self.thousands} | {ord(decimal): "."}

    def describe(self) -> str:
        ths = "none" if not self.thousands else " or ".join(repr(c) for c in self.thousands)
        return f"decimal {self.decimal!r}, thousands {ths}"

    def __call__(self, text: str) -> Decimal:
        if self._fast(text):  # "-1234.56" / "+50,00": most amounts
            return Decimal(text if self.decimal == "." else text.replace(self.decimal, "."))
        if self._fast_grouped is not None and self._fast_grouped(text):  # "1.234,56"
            return Decimal(text.translate(self._to_plain))
        m = _NUMBER.fullmatch(_SPACES.sub("", text))
        if m is None or bool(m["open"]) != bool(m["close"]):
            raise ValueError(f"{text!r} is not an amount")
        minus = (m["s1"] in _MINUS) + (m["s2"] in _MINUS) + (m["s3"] in _MINUS) + bool(m["open"])
        if minus > 1:
            raise ValueError(f"{text!r} is not an amount (two minus signs)")
        value = Decimal(self._digits(m["num"], text))
        return -value if minus else value

    def _digits(self, num: str, text: str) -> str:
        if self.thousands and any(c in num for c in self.thousands):
            if self._grouped is None or not self._grouped.fullmatch(num):
                raise ValueError(f"{text!r} is not an amount ({self.describe()})")
            num = "".join(c for c in num if c not in self.thousands)
        if self.decimal != ".":
            if "." in num:
                raise ValueError(f"{text!r} is not an amount ({self.describe()})")
            num = num.replace(self.decimal, ".")
        if not _PLAIN.fullmatch(num):
            raise ValueError(f"{text!r} is not an amount ({self.describe()})")
        return num


def decimal_from_cell(cell: object, parse: AmountParser) -> Decimal | None:
    """An amount cell: text through ``parse``; Excel numbers exactly (see ``from_float``)."""
    if isinstance(cell, str):
        return parse(cell) if cell else None
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, float):
        return from_float(cell)
    if isinstance(cell, int | Decimal):
        return Decimal(cell)
    text = cell_text(cell)
    return parse(text) if text else None


_FLOAT_NOISE = Decimal("1e-9")


def from_float(value: float) -> Decimal | None:
    """An Excel number. ``repr`` gives the shortest text that reads back as the same double,
    which is the number as Excel wrote it in the sheet (882.71, not 882.7100000000000363...).
    A result of arithmetic in the sheet can still carry binary noise (0.30000000000000004):
    digits beyond the 9th decimal are dropped; the currency check later refuses anything finer
    than the currency's minor unit that is left."""
    if value != value:  # NaN (an empty cell read by pandas)
        return None
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not an amount")
    result = Decimal(repr(value))
    if result.as_tuple().exponent < -9:  # type: ignore[operator]
        result = result.quantize(_FLOAT_NOISE)
    return result


_TIME_PART = re.compile(r"(\S+?)(?:[T ]\d{1,2}:\d{2}.*|T.*)")
_DATE_CANDIDATES = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%Y.%m.%d.",
    "%Y.%m.%d",
    "%d.%m.%Y.",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d-%m-%y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
)


class DateParser:
    """Text -> date with the given strptime formats; a trailing time of day is ignored."""

    def __init__(self, formats: Sequence[str]) -> None:
        self.formats = tuple(formats)
        self._cache: dict[str, dt.date] = {}

    def __call__(self, text: str) -> dt.date:
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        value = self._parse(text)
        if value is None and (m := _TIME_PART.fullmatch(text)):
            value = self._parse(m.group(1))
        if value is None:
            raise ValueError(f"{text!r} is not a date (expected {' or '.join(self.formats)})")
        if len(self._cache) > 20_000:
            self._cache.clear()
        self._cache[text] = value
        return value

    def _parse(self, text: str) -> dt.date | None:
        for fmt in self.formats:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        return None

    def cell(self, cell: object) -> dt.date | None:
        if isinstance(cell, dt.datetime):
            return cell.date()
        if isinstance(cell, dt.date):
            return cell
        text = cell_text(cell)
        return self(text) if text else None


def infer_date_formats(values: Sequence[str], day_first: bool = True) -> tuple[str, ...]:
    """The first candidate format that reads every sampled value (day-first by default)."""
    samples = []
    for v in values:
        m = _TIME_PART.fullmatch(v)
        samples.append(m.group(1) if m else v)
    candidates = list(_DATE_CANDIDATES)
    if not day_first:
        candidates.sort(key=lambda f: not f.startswith("%m"))
    # One format only: with two, "01/02" and "13/02" could be read by different ones.
    # If none reads every sample, the one reading most is kept and the error names the bad row.
    return (max(candidates, key=lambda f: sum(1 for s in samples if DateParser([f])._parse(s))),)


_DEC_HINT = re.compile(r"([.,])(\d+)\D*$")


def infer_decimal(values: Iterable[str]) -> str:
    """``","`` when the amounts are written with a decimal comma, else ``"."``."""
    votes = {".": 0, ",": 0}
    for raw in values:
        text = _SPACES.sub("", raw)
        if "," in text and "." in text:
            votes[max(",.", key=text.rfind)] += 3
            continue
        m = _DEC_HINT.search(text)
        if m and len(m.group(2)) != 3:
            votes[m.group(1)] += 1
    return "," if votes[","] > votes["."] else "."

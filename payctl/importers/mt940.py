"""SWIFT MT940 (customer statement) reader, for the dialects banks really send.

The whole grammar is here; no MT940 library is used. The ``mt-940`` package (WoLpH) was used
for the ``:61:`` and balance fields until issue 9, but every value had to be checked and
rewritten before it could be handed over (it cuts an over-long amount silently, moves 30
February to the 28th, and raises bare errors without a line), and its ``:86:`` processors read
the German sub-fields differently from what payctl stores (an end-to-end reference runs into
the text after it, the purpose outside ``SVWZ+`` and the sub-fields ``?38``/``?60-63`` are
lost, ``?32``/``?33`` names are glued). What is done here:

* Splitting the file into tags, with line numbers (for one-line errors), SWIFT ``{1:}..{4:``
  envelopes, bank header lines such as ``ABNANL2A`` / ``940`` / ``:940:`` / ING's
  ``0000 01INGBNL2A...``, ``-`` / ``-}`` / ``-XXX`` trailers, CRLF, control characters. A
  ``:61:`` may continue on a second line with the counterparty name (SWIFT "supplementary
  details", ASN and SNS); its customer reference may be longer than 16 characters (an IBAN).
* Validating fields first, so a bad file fails with the field named.
* ``:86:`` details: German ``?NN`` sub-fields with SEPA keywords, Dutch ``/KEY/`` fields,
  Triodos ``>NN`` sub-fields, ASN/SNS "account name" first lines, ABN AMRO GIRO/BEA text,
  Knab and mBank labels, free text otherwise.
* Encodings, by the one decoder ``files.decode_text``: UTF-8, else the more plausible of
  cp1252, cp852 (DOS Latin-2, e.g. Raiffeisen Hungary) and latin-1.

Amounts are signed Decimals: C and RD (reversal of a debit) are money in, D and RC money out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from payctl.domain.iban import is_valid_iban
from payctl.importers.bank import BankFileError, ParsedLine, ParsedStatement
from payctl.importers.files import decode_text
from payctl.importers.values import exact_amount

FORMAT = "mt940"

# ---------------------------------------------------------------------------------------------
# Sniffing and decoding
# ---------------------------------------------------------------------------------------------

_SNIFF_20 = re.compile(rb"(?:^|[\r\n{:])[\x00-\x20]*:20:")
_SNIFF_MORE = re.compile(rb":25:|:28C?:|:60[FM]:|\{1:|\{4:")


def sniff(head: bytes) -> bool:
    """MT940 when a ``:20:`` tag starts a line and a statement tag or SWIFT envelope is near."""
    return bool(_SNIFF_20.search(head) and _SNIFF_MORE.search(head))


# What MT940 files are written in when not UTF-8: the more plausible of cp1252 (the Western
# default, winning ties), cp852 (DOS Latin-2, e.g. Raiffeisen Hungary) and latin-1.
CODE_PAGES = ("cp1252", "cp852", "latin-1")


# Tabs and no-break spaces become spaces; a soft hyphen becomes the hyphen it stands for (old ING
# files write dates as 22<U+00AD>07<U+00AD>2010); other control characters (SOH/ETX framing, stray
# CR) are dropped. CRLF and lone CR become LF, so line numbers match an editor's.
_DROP = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]")
_SPACE = re.compile(r"[\t\u00a0\u2007\u202f]")


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00ad", "-")
    return _DROP.sub("", _SPACE.sub(" ", text))


def _squash(text: str | None) -> str | None:
    """Collapse runs of whitespace; None for nothing left."""
    if text is None:
        return None
    return " ".join(text.split()) or None


# ---------------------------------------------------------------------------------------------
# Splitting the file into statements and tags
# ---------------------------------------------------------------------------------------------

_TAG = re.compile(r":(\d{2}[A-Z]?|NS):")
_ENVELOPE = re.compile(r"\{[1-5]:")
_END = re.compile(r"-(?:\}.*|XXX)?$")


@dataclass
class _Field:
    tag: str
    line_no: int
    lines: list[str]  # the value's first line, then continuation lines as found

    @property
    def value(self) -> str:
        return "\n".join(self.lines).strip()


@dataclass
class _Block:
    line_no: int
    fields: list[_Field] = field(default_factory=list)
    ended: bool = False  # closed by "-", "-}" or "-XXX"


def _split(text: str) -> list[_Block]:
    """Tags grouped into statements; header and trailer lines outside a statement are skipped."""
    blocks: list[_Block] = []
    current: _Block | None = None
    for line_no, line in enumerate(text.split("\n"), 1):
        if line[:1] == "{" and _ENVELOPE.match(line):
            # "{1:...}{2:...}{4:" starts a new message; a tag may follow the {4: on that line
            current = None
            at = line.find("{4:")
            line = line[at + 3 :] if at >= 0 else ""
            if not line.strip():
                continue
        tag = _TAG.match(line) if line[:1] == ":" else None
        if tag:
            if current is None or tag.group(1) == "20":
                current = _Block(line_no)
                blocks.append(current)
            current.fields.append(_Field(tag.group(1), line_no, [line[tag.end() :]]))
        elif current is not None and line.lstrip()[:1] == "-" and _END.match(line.strip()):
            current.ended = True
            current = None
        elif current is not None:
            current.fields[-1].lines.append(line)
    return blocks


# ---------------------------------------------------------------------------------------------
# Small value parsers
# ---------------------------------------------------------------------------------------------

_AMOUNT = re.compile(r"\d+(?:,\d*)?")
_DOT_AMOUNT = re.compile(r"\d+\.\d{1,3}")  # a few exports write 12.50; SWIFT says 12,50
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_CURRENCY = re.compile(r"[A-Z]{3}")


class _Fail(Exception):
    """A field problem; the caller adds the file and, if not set here, the line."""

    def __init__(self, field_: str, problem: str, line_no: int | None = None) -> None:
        super().__init__(problem)
        self.field = field_
        self.problem = problem
        self.line_no = line_no


def _check_amount(text: str, field_: str, limit: int = 15) -> str:
    """The amount with a decimal comma and leading zeros dropped (Rabobank pads to 15 digits)."""
    if _DOT_AMOUNT.fullmatch(text):
        text = text.replace(".", ",")
    if not _AMOUNT.fullmatch(text):
        raise _Fail(field_, f"{text!r} is not an amount (digits with a decimal comma)")
    digits = text.lstrip("0")
    digits = "0" + digits if not digits or digits.startswith(",") else digits
    if len(digits) > limit:
        raise _Fail(field_, f"{text!r} is longer than {limit} characters")
    return digits


def _check_date(text: str, field_: str, shape: str = "YYMMDD", year: int = 2000) -> int:
    """YYMMDD (years 2000-2099) or MMDD in ``year``; returns the year.

    A day the month does not have (30 February, 29 February of a common year) is refused, not
    moved to the month's last day."""
    if not (len(text) == len(shape) and text.isascii() and text.isdigit()):
        raise _Fail(field_, f"{text!r} is not a date ({shape})")
    if len(text) == 6:
        year = 2000 + int(text[:2])
    month, day = int(text[-4:-2]), int(text[-2:])
    try:
        dt.date(year, month, day)
    except ValueError:
        raise _Fail(field_, f"{text!r} is not a valid date ({shape})") from None
    return year


def _exact(amount: Decimal, currency: str, field_: str) -> Decimal:
    if not currency:  # balances without a currency: the importer applies the journal's
        return amount
    try:
        return exact_amount(amount, currency)
    except ValueError as exc:
        raise _Fail(field_, str(exc)) from None


def _compact(value: str) -> str:
    return re.sub(r"[\s.]", "", value).upper()


def _account(value: str | None) -> str | None:
    """A counterparty account: an IBAN without spaces, else the number as written (no dots)."""
    if not value or not value.strip():
        return None
    compact = _compact(value)
    if _IBAN_SHAPE.fullmatch(compact) or compact.isdigit() or re.fullmatch(r"P\d+", compact):
        return compact
    return " ".join(value.split())


def _statement_account(value: str) -> tuple[str | None, str | None]:
    """(account, currency) from ``:25:`` - an IBAN when one is there, else the bank's number.

    Handles ``NL..`` / ``NL.. EUR`` / ``TRIODOSBANK/0666666666`` / ``BIC/number/HUF`` /
    ``1291.99.348EUR`` / ``BLZ/account``.
    """
    tokens = [t for t in re.split(r"[/\s]+", value.strip().upper()) if t]
    currency = None
    if len(tokens) > 1 and _CURRENCY.fullmatch(tokens[-1]):
        currency = tokens.pop()
    elif tokens and re.fullmatch(r"[\d.]*\d[A-Z]{3}", tokens[-1]):
        currency, tokens[-1] = tokens[-1][-3:], tokens[-1][:-3]
    for token in tokens:
        if is_valid_iban(token[:-3]) and _CURRENCY.fullmatch(token[-3:]):  # ING: NL..INGB..EUR
            return token[:-3], currency or token[-3:]
        if _IBAN_SHAPE.fullmatch(token):
            return token, currency
    numbered = [t for t in tokens if any(c.isdigit() for c in t)]
    kept = [t for t in tokens if t in numbered or not (_BIC.fullmatch(t) or t.isalpha())]
    account = "/".join(kept if numbered else tokens)
    if re.fullmatch(r"\d[\d.]*\d", account):
        account = account.replace(".", "")
    return account or None, currency


# ---------------------------------------------------------------------------------------------
# :86: transaction details
# ---------------------------------------------------------------------------------------------


@dataclass
class _Details:
    name: str | None = None
    account: str | None = None
    remittance: str | None = None
    reference: str | None = None


_WIDTH = 65  # SWIFT :86: lines are 6 x 65 characters
_SUBFIELD_FULL = 26  # German ?2x purpose sub-fields hold 27; 26+ means "continued"


def _join_free(lines: list[str]) -> str:
    """Free text: a full-width line without trailing space was wrapped mid-word, glue it."""
    out = lines[0] if lines else ""
    for previous, line in zip(lines, lines[1:], strict=False):
        wrapped = len(previous) >= _WIDTH and not previous.endswith(" ")
        out += ("" if wrapped else " ") + line
    return out


_GERMAN = re.compile(r"\s*(?:\d{3})?\?\d{2}")
_GERMAN_SPLIT = re.compile(r"\?(\d{2})")
_SEPA = re.compile(
    r"(?<![A-Za-z])(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|OAMT|COAM"
    r"|PURP|MDAT|SQTP|ORCR|ORMR|DDAT|RREF)\+"
)
_SEPA_TEXT = {"SVWZ", "ABWA", "ABWE"}


def _glue(chunks: list[str]) -> str:
    """Sub-fields glued where the previous one was full, else a line break (a hard boundary)."""
    out = chunks[0] if chunks else ""
    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        out += ("" if len(previous) >= _SUBFIELD_FULL else "\n") + chunk
    return out


def _sepa(purpose: str) -> tuple[dict[str, str], str]:
    """SEPA keywords (EREF+, SVWZ+, ...) of a German purpose text, and the text outside them.

    An identifier keyword ends at a sub-field boundary that was not full; text keywords run on.
    """
    pieces = _SEPA.split(purpose)
    free = [pieces[0]]
    found: dict[str, str] = {}
    for key, content in zip(pieces[1::2], pieces[2::2], strict=True):
        if key in _SEPA_TEXT:
            value, rest = content, ""
        else:
            value, _, rest = content.partition("\n")
        found.setdefault(key, _squash(value) or "")
        free.append(rest)
    return found, " ".join(free)


def _german(flat: str) -> _Details:
    """``GVC?00posting text?20..?29 purpose?30 BIC?31 account?32..?33 name?60..?63 purpose``."""
    pieces = _GERMAN_SPLIT.split(flat)
    subfields: dict[str, list[str]] = {}
    for code, content in zip(pieces[1::2], pieces[2::2], strict=True):
        subfields.setdefault(code, []).append(content)

    def take(*codes: str) -> list[str]:
        return [c for code in codes for c in subfields.get(code, [])]

    purpose = _glue(take(*(f"2{i}" for i in range(10)), "60", "61", "62", "63"))
    keywords, free = _sepa(purpose)
    remittance = _squash(" ".join([free, keywords.get("SVWZ", "")]))
    reference = keywords.get("EREF")
    if reference and reference.upper() == "NOTPROVIDED":
        reference = None
    accounts = [a for a in map(_account, [*take("38", "31"), keywords.get("IBAN")]) if a]
    ibans = [a for a in accounts if is_valid_iban(a)]
    return _Details(
        name=_squash(_glue(take("32", "33"))),
        account=next(iter(ibans or accounts), None),
        remittance=remittance or _squash(" ".join(take("00"))),
        reference=reference or None,
    )


_TRIODOS = re.compile(r"\s*\d{3}>\d{2}")
_TRIODOS_SPLIT = re.compile(r">(\d{2})")


def _triodos(flat: str) -> _Details:
    """``000>10 account>20..>29 name, address and description>31 own account``."""
    pieces = _TRIODOS_SPLIT.split(flat)
    subfields = dict(zip(pieces[1::2], pieces[2::2], strict=True))
    chunks = [subfields[f"2{i}"] for i in range(10) if f"2{i}" in subfields]
    counter = subfields.get("10", "")
    account = _account(counter) if counter.strip("0 ") else None  # all zeros: no account given
    if (
        len(chunks) > 1
        and _BIC.fullmatch(chunks[0].strip())
        and _IBAN_SHAPE.match(chunks[1].strip())
    ):
        account, chunks = _account(chunks[1]), chunks[2:]
    return _Details(
        name=_squash(chunks[0]) if chunks else None,
        account=account,
        remittance=_squash("".join(chunks)),
    )


_DUTCH_KEYS = (
    "TRTP",
    "IBAN",
    "BIC",
    "NAME",
    "REMI",
    "EREF",
    "CSID",
    "MARF",
    "ORDP",
    "BENM",
    "CNTP",
    "ULTC",
    "ULTD",
    "ULTB",
    "PURP",
    "RTRN",
    "ISDT",
    "SVCL",
    "ADDR",
    "CITY",
    "ID",
    "PREF",
    "IREF",
    "KREF",
    "MREF",
)
_DUTCH = re.compile(r"/(" + "|".join(_DUTCH_KEYS) + r")/")


def _dutch_remittance(value: str | None) -> tuple[str | None, str | None]:
    """(text, creditor reference) of ``/REMI/``: ``USTD//text``, ``STRD/CUR/ref`` or plain."""
    if not value:
        return None, None
    strd = re.match(r"STRD/+(?:CUR/+)?(.*)", value)
    if strd:
        return None, _squash(strd.group(1).strip("/"))
    return _squash(re.sub(r"^USTD/+", "", value).strip("/")), None


def _dutch(flat: str) -> tuple[_Details, str]:
    """``/TRTP/../IBAN/../NAME/../REMI/../EREF/..``; also the text before the first key."""
    pieces = _DUTCH.split(flat)
    fields: dict[str, str] = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        fields.setdefault(key, " ".join(value.split()).strip("/ "))
    counterparty = fields.get("CNTP", "").split("/")  # ING: IBAN/BIC/name/city
    counterparty += [""] * (3 - len(counterparty))
    remittance, creditor_ref = _dutch_remittance(fields.get("REMI"))
    eref = fields.get("EREF")
    eref = None if not eref or eref.upper() == "NOTPROVIDED" else eref
    details = _Details(
        name=_squash(fields.get("NAME") or counterparty[2]),
        account=_account(fields.get("IBAN") or counterparty[0]),
        remittance=remittance,
        reference=creditor_ref or eref,
    )
    return details, pieces[0]


_ABN_GIRO = re.compile(r"GIRO\s+(\d+)\s+(.+?)(?:\s{2,}|$)")
_ABN_BEA = re.compile(r"BEA\s+NR:\S+\s+[\d.]+/[\d.:]+\s+(.+?),PAS")
# "52.89.39.882      MYCOM DEN HAAG" (ABN AMRO), "0111111111 GPSEOUL ..." (old ING)
_LEADING_ACCOUNT = re.compile(
    r"(\d{2}\.\d{2}\.\d{2}\.\d{3}|\d{9,10})(?:\s{2,}(\S.*?)(?:\s{2,}|$)|\s)"
)
_KNAB = re.compile(r"REK:\s*([A-Z]{2}\d{2}[A-Z0-9]+|\d+)")
_KNAB_NAME = re.compile(r"NAAM:\s*(.+?)\s*$")
_PAYMENT_REFERENCE = re.compile(r"BETALINGSKENM\.?\s*(\d{7,16})")  # Dutch "betalingskenmerk"
_MBANK_ACCOUNT = re.compile(r"(?:Z|NA) RACH\.:\s*(\d{26})")
_MBANK_NAME = re.compile(r"(?:OD|DLA):\s*(.+?)(?:\s{2,}|;)")
_MBANK_TITLE = re.compile(r"TYT\.:\s*(.+?)\s*;")


def _mbank(text: str) -> _Details | None:
    account = _MBANK_ACCOUNT.search(text)
    if not account:
        return None
    iban = "PL" + account.group(1)
    name = _MBANK_NAME.search(text)
    title = _MBANK_TITLE.search(text)
    return _Details(
        name=_squash(name.group(1)) if name else None,
        account=iban if is_valid_iban(iban) else account.group(1),
        remittance=_squash(title.group(1) if title else text),
    )


def _free(text: str) -> _Details:
    """Unstructured text; a few bank layouts still give away the counterparty."""
    details = _mbank(text) or _Details(remittance=_squash(text))
    stripped = text.strip()
    match = _ABN_GIRO.match(stripped) or _LEADING_ACCOUNT.match(stripped)
    if match:
        details.account = details.account or _account(match.group(1))
        details.name = details.name or _squash(match.group(2))
    for pattern, attribute in (
        (_KNAB, "account"),
        (_KNAB_NAME, "name"),
        (_ABN_BEA, "name"),
        (_PAYMENT_REFERENCE, "reference"),
    ):
        found = pattern.search(stripped)
        if found and not getattr(details, attribute):
            setattr(details, attribute, _squash(found.group(1)))
    return details


def _lines_layout(lines: list[str]) -> _Details | None:
    """Raiffeisen Hungary: bank reference / account number / name / remittance, one per line."""
    if (
        len(lines) < 3
        or " " in lines[0].strip()
        or not re.fullmatch(r"\d{16,30}", lines[1].strip())
    ):
        return None
    return _Details(
        name=_squash(lines[2]), account=lines[1].strip(), remittance=_squash(_join_free(lines[3:]))
    )


def _split_prefix(lines: list[str], reference: str | None) -> tuple[str | None, str | None]:
    """ASN/SNS start :86: with "<the :61: reference account> <name>": (account, name) or Nones."""
    if not reference or not lines:
        return None, None
    first = lines[0].strip()
    token, _, rest = first.partition(" ")
    if _compact(token) != _compact(reference):
        return None, None
    return _account(token), _squash(rest)


# Belgian structured communication, +++123/4567/89012+++
_OGM = re.compile(r"\+\+\+\s*(\d{3})\s*/\s*(\d{4})\s*/\s*(\d{5})\s*\+\+\+")


def _details(lines: list[str], reference: str | None) -> _Details:
    """Parse the ``:86:`` lines of one transaction, whatever the dialect."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    flat = "".join(lines)
    if _GERMAN.match(flat):
        return _german(flat)
    if _TRIODOS.match(flat):
        return _triodos(flat)
    account, name = _split_prefix(lines, reference)
    if account:
        lines = lines[1:]
    body = "".join(lines)
    if _DUTCH.search(body):
        details, before = _dutch(body)
        details.remittance = details.remittance or _squash(before)
    else:
        details = _lines_layout(lines) or _free(_join_free(lines))
    details.account = details.account or account
    details.name = details.name or name
    ogm = _OGM.search(details.remittance or "") if not details.reference else None
    if ogm:
        details.reference = "/".join(ogm.groups())
    return details


# ---------------------------------------------------------------------------------------------
# :61: statement lines and balances
# ---------------------------------------------------------------------------------------------

_HEAD = re.compile(
    r"(?P<date>\d{6})(?P<entry>\d{4}|\s{4})?(?P<mark>R?[CD])(?P<funds>[A-Z](?=[\s\d,]))?"
    r"(?P<space>\s?)(?P<amount>[\d,.]*)(?P<rest>.*)",
    re.IGNORECASE,
)
_TYPE_AFTER_SPACE = re.compile(r" [A-Z][A-Z0-9]{3}")
# What follows the amount: [type code (1!a3!c)] customer reference [//bank reference] [more].
# The customer reference runs up to "//" whatever its length (ASN/SNS put an IBAN there); the
# bank reference is 23 characters at most (SWIFT says 16; GLS/Atruvia send 23), anything after
# it is supplementary details written on the same line.
_REST = re.compile(
    r"(?:[A-Z][A-Z0-9 ]{3})?(?P<customer>(?:(?!//).)*)(?://(?P<bank>.{0,23}))?(?P<more>.*)",
    re.IGNORECASE,
)
_ACCOUNT_REF = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}|P?\d{7,10}")
# An entry date (MMDD, no year) this far from the value date lies across New Year from it.
_YEAR_BOUNDARY_DAYS = 330


@dataclass
class _Entry:
    value_date: dt.date
    booking_date: dt.date
    amount: Decimal
    reference: str | None
    bank_reference: str | None
    supplementary: str | None
    name_in_supplementary: bool


def _check_dates(first: str) -> None:
    """Name the date of a :61: line that is wrong, if one is. The entry date (MMDD) is checked
    in the value date's year: only 29 February depends on the year, and it is never next to a
    year boundary, where the entry date belongs to the year before or after."""
    year = _check_date(first[:6], ":61: value date")
    head = _HEAD.match(first)
    entry = (head.group("entry") or "").strip() if head else ""
    if entry:
        _check_date(entry, ":61: entry date", "MMDD", year)


def _head(first: str) -> re.Match[str]:
    head = _HEAD.match(first)
    if head is None:
        _check_dates(first)
        raise _Fail(
            ":61: debit/credit mark", f"no C, D, RC or RD after the date(s) in {first[:20]!r}"
        )
    return head


def _dates(head: re.Match[str]) -> tuple[dt.date, dt.date]:
    """(value date, booking date) of a checked :61: line (:func:`_check_dates`).

    The entry date has no year: it is the value date's, or the year before or after when that
    puts it closer (a booking on 31 December valued on 2 January)."""
    written = head.group("date")
    value = dt.date(2000 + int(written[:2]), int(written[2:4]), int(written[4:]))
    entry = (head.group("entry") or "").strip()
    if not entry:
        return value, value
    booking = dt.date(value.year, int(entry[:2]), int(entry[2:]))
    if (value - booking).days >= _YEAR_BOUNDARY_DAYS:
        booking = booking.replace(year=value.year + 1)
    elif (booking - value).days >= _YEAR_BOUNDARY_DAYS:
        booking = booking.replace(year=value.year - 1)
    return value, booking


def _amount(head: re.Match[str]) -> Decimal:
    """The signed amount of a :61: line: C and RD are money in, D and RC money out.

    An amount without its decimal comma is refused: the amount would end at the first other
    character, and ``1e400,00`` would be read as 1 with a transaction type ``e400``.
    """
    written = head.group("amount")
    if written and not any(sep in written for sep in ",."):
        shown = (written + head.group("rest"))[:24]
        raise _Fail(":61: amount", f"{shown!r} is not an amount (digits with a decimal comma)")
    amount = Decimal(_check_amount(written, ":61: amount").replace(",", "."))
    return -amount if head.group("mark").upper() in ("D", "RC") else amount


def _references(
    customer: str, inline: str, extra: list[str]
) -> tuple[str | None, str | None, bool]:
    """(customer reference, supplementary details, details were on the :61: line itself).

    With a second line the first one holds no details, so the reference runs up to ``//`` (any
    length: ASN/SNS put an IBAN there); alone, it is SWIFT's 16 characters and the rest is
    details (Rabobank: ``0121470966      W.P. Jansen``).
    """
    reference = customer
    same_line = False
    if not extra and len(reference) > 16 and " " in reference.strip():
        reference, inline = reference[:16], (reference[16:] + " " + inline)
        same_line = True
    supplementary = _squash(" ".join([inline, *extra]))
    reference = reference.strip()
    if not reference or reference.upper() == "NONREF":
        return None, supplementary, same_line
    return reference, supplementary, same_line


def _balance(fld: _Field) -> tuple[Decimal, str, dt.date]:
    """(signed amount, currency, date) of a :60F:/:60M:/:62F:/:62M: value."""
    name = f":{fld.tag}:"
    value = fld.value.replace("\n", "")
    if value[:1].upper() not in ("C", "D"):
        raise _Fail(f"{name} debit/credit mark", f"{value[:1]!r} is not C or D")
    _check_date(value[1:7], f"{name} date")
    currency, rest = value[7:10], value[10:]
    if value[7:8].isdigit():  # no currency: some banks leave it out ("C2401011000,00")
        currency, rest = "", value[7:]
    elif not _CURRENCY.fullmatch(currency):
        raise _Fail(f"{name} currency", f"{currency!r} is not a currency code")
    amount = Decimal(_check_amount(rest, f"{name} amount", limit=17).replace(",", "."))
    if value[:1].upper() == "D":
        amount = -amount
    signed = _exact(amount, currency, f"{name} amount")
    return signed, currency, dt.date(2000 + int(value[1:3]), int(value[3:5]), int(value[5:7]))


class _Reader:
    """Turns split blocks into statements."""

    def __init__(self, source: str) -> None:
        self.source = source

    # -- :61: -----------------------------------------------------------------------------

    def entry(self, fld: _Field, currency: str) -> _Entry:
        first, *extra = [ln.strip() for ln in fld.lines if ln.strip()] or [""]
        _check_dates(first)
        head = _head(first)
        amount = _amount(head)
        value_date, booking = _dates(head)
        rest = head.group("rest")
        if _TYPE_AFTER_SPACE.match(rest):  # Deutsche Bank: "12,35 NRTI..."
            rest = rest[1:]
        parts = _REST.fullmatch(rest)
        assert parts is not None  # every group may be empty: any text matches
        reference, supplementary, same_line = _references(
            parts.group("customer"), parts.group("more").strip(), extra
        )
        bank_reference = _squash(parts.group("bank"))
        if bank_reference and bank_reference.upper() == "NONREF":
            bank_reference = None
        signed = _exact(amount, currency, ":61: amount")
        return _Entry(
            value_date, booking, signed, reference, bank_reference, supplementary, same_line
        )

    def line(self, fld: _Field, details: list[str], currency: str) -> ParsedLine:
        entry = self.entry(fld, currency)
        info = _details(details, entry.reference) if details else _Details()
        account, name = info.account, info.name
        reference_is_account = bool(
            entry.reference and _ACCOUNT_REF.fullmatch(_compact(entry.reference))
        )
        if reference_is_account:
            account = account or _account(entry.reference)
        elif entry.supplementary and _IBAN_SHAPE.fullmatch(_compact(entry.supplementary)):
            account = account or _compact(entry.supplementary)  # Rabobank: IBAN on line 2
        if reference_is_account or entry.name_in_supplementary:
            name = name or entry.supplementary
        return ParsedLine(
            booking_date=entry.booking_date,
            value_date=entry.value_date,
            amount=entry.amount,
            currency=currency,
            counterparty_name=name,
            counterparty_account=account,
            remittance=info.remittance or (None if details else entry.supplementary),
            structured_reference=info.reference,
            transaction_id=entry.bank_reference,
            line_no=fld.line_no,
        )

    # -- statements -----------------------------------------------------------------------

    def statement(self, block: _Block) -> ParsedStatement:
        parts = _Parts.collect(block)
        if parts.closing is None and not block.ended:
            raise _Fail(
                "",
                "statement has no closing balance (:62F:) and no end marker '-': "
                "the file looks truncated",
                block.fields[-1].line_no,
            )
        statement = ParsedStatement(statement_id=parts.statement_id)
        statement.account, named_currency = _statement_account(parts.account or "")
        currencies = []
        if parts.opening is not None:
            statement.opening_balance, currency, statement.opening_date = _at(
                parts.opening, _balance, parts.opening
            )
            currencies.append(currency)
        if parts.closing is not None:
            statement.closing_balance, currency, statement.closing_date = _at(
                parts.closing, _balance, parts.closing
            )
            currencies.append(currency)
        named = named_currency or parts.floor_currency
        statement.currency = next((c for c in currencies if c), named)
        if statement.currency is None and currencies:  # balances, none naming a currency
            statement.currency_from_journal = True
            statement.currency = ""
        for fld, details in parts.entries:
            if statement.currency is None:
                raise _Fail(
                    "",
                    ":61: without a currency: the statement has no :60F:/:62F: balance",
                    fld.line_no,
                )
            statement.lines.append(_at(fld, self.line, fld, details, statement.currency))
        return statement

    def read(self, blocks: list[_Block]) -> list[ParsedStatement]:
        statements = []
        for block in blocks:
            try:
                statements.append(self.statement(block))
            except _Fail as fail:
                raise BankFileError.at(
                    self.source, fail.line_no or block.line_no, fail.field or None, fail.problem
                ) from None
        return statements


def _at(fld: _Field, func: Any, *args: Any) -> Any:
    """Run ``func``; a ``_Fail`` without a line gets the field's."""
    try:
        return func(*args)
    except _Fail as fail:
        fail.line_no = fail.line_no or fld.line_no
        raise


@dataclass
class _Parts:
    """The tags of one statement, sorted out; :86: attached to the :61: it follows."""

    statement_id: str | None = None
    account: str | None = None
    opening: _Field | None = None
    closing: _Field | None = None
    floor_currency: str | None = None  # MT942 has no balances, but :34F: names the currency
    entries: list[tuple[_Field, list[str]]] = field(default_factory=list)

    @classmethod
    def collect(cls, block: _Block) -> _Parts:
        parts = cls()
        ids: dict[str, str] = {}
        details_open = False  # a :86: right after a :61: (or after its :86:) describes it
        for fld in block.fields:
            if fld.tag == "61":
                parts.entries.append((fld, []))
                details_open = True
            elif fld.tag == "86":
                if details_open:  # Rabobank repeats :86: for each line of details
                    parts.entries[-1][1].extend(fld.lines)
            elif fld.tag != "NS":
                details_open = False
                parts.take(fld, ids)
        parts.statement_id = " ".join(ids[t] for t in ("20", "28") if ids.get(t)) or None
        return parts

    def take(self, fld: _Field, ids: dict[str, str]) -> None:
        tag = fld.tag
        if tag in ("20", "28", "28C"):
            ids.setdefault(tag[:2], fld.value)
        elif tag == "25":
            self.account = self.account or fld.value
        elif tag in ("60F", "60M", "60"):
            self.opening = self.opening or fld
        elif tag in ("62F", "62M", "62"):
            self.closing = self.closing or fld
        elif tag == "34F" and _CURRENCY.match(fld.value):
            self.floor_currency = self.floor_currency or fld.value[:3]


def read(data: bytes, source: str, **options: object) -> list[ParsedStatement]:
    """Parse MT940 bytes into statements; invalid content raises ``BankFileError``.

    Option ``encoding`` forces a code page instead of detecting one; others are ignored.
    """
    encoding = options.get("encoding")
    text = decode_text(
        data,
        source,
        str(encoding) if encoding else None,
        fallback=CODE_PAGES,
        mixed=True,
        plausible=True,
    )
    blocks = _split(_clean(text))
    if not blocks:
        raise BankFileError.at(source, None, None, "no MT940 statement found (no :20: tag)")
    return _Reader(source).read(blocks)

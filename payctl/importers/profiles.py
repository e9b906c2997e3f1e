"""Mapping profiles for bank CSV/XLSX extracts: what a profile holds and how one is loaded.

A profile says how one bank lays out its table: where the header is, how numbers and dates are
written, which column holds which bank-line field and how amounts are signed. ``csvfile`` and
``xlsx`` turn bytes into rows of cells; ``table.read_table`` applies a profile to those rows
(the header found by ``headers``, the cells read by ``values``).

Choosing a profile (``--profile``):

- nothing: the header row is searched in the first 50 rows; a built-in profile is selected when
  all the header names of its ``signature`` are in one row (the longest signature wins), else
  the GENERIC profile maps the header names of 22 European languages (its vocabulary is data:
  ``bank_profiles/generic.toml``, one table per language, with direction markers, status values
  of rows not booked, labels of balance rows and words telling a card export);
- a name (``kbc``, ``rabobank``, ``generic``...): that built-in profile;
- a path ending in ``.toml``: the user's own profile file (read with the standard ``tomllib``).

Profile file (TOML). Every key is optional except ``[columns] booking_date`` and an amount
(``amount``, or ``debit``/``credit``). Header names are matched case-, accent-, space- and
underscore-insensitively (``"Débit"`` finds ``DEBIT``). A column value may be one header name or a
list of them::

    name = "mybank"                 # default: the file name without .toml
    description = "My bank's CSV export"
    signature = ["Datum", "Bedrag", "Saldo na trn"]  # built-ins: names that identify the layout

    [format]
    encoding = "auto"     # or utf-8, utf-8-sig, cp1252, latin-1, cp1250...; auto tries UTF-8
                          # (with or without BOM, UTF-16 with BOM), then cp1252 or cp1250
    delimiter = "auto"    # or ",", ";", "\\t", "|"
    header_row = 0        # line (CSV) or row (Excel) number of the header; 0 = search for it
    skip_rows = 0         # rows before the header (preamble), instead of header_row
    sheet = ""            # Excel: sheet name or 1-based number; "" = first sheet with a header
    decimal = "auto"      # "." or "," (auto: inferred from the file's amounts)
    thousands = "auto"    # "", ".", ",", "'", " " or several, e.g. "'’" (auto: the other of . ,
                          # plus apostrophes; spaces are always ignored)
    date_formats = ["%d.%m.%Y"]  # strptime formats tried in order; [] = inferred from the file
    day_first = true      # inferred dates: 03/04/2024 is 3 April unless a day > 12 says otherwise
    sign = "as-is"        # amount column: "as-is" (+ in, - out) or "negate" (card exports)
    debit_sign = "auto"   # debit column: "auto" (always money out), "positive" (written 12.50,
                          # a negative value is a reversal) or "negative" (written -12.50)
    debit_markers = ["D", "Af", "S"]     # values of the direction column meaning money out
    credit_markers = ["C", "Bij", "H"]   # ... and money in
    remittance_separator = " "

    [columns]
    booking_date = "Datum"           # required
    value_date = "Rentedatum"
    amount = "Bedrag"                # signed; explicit "+"/"-" prefixes, trailing "-", "(12.50)",
                                     # "CR"/"DR" suffixes, "$1,036.47", "EUR 12,50" all read
    debit = "Af"                     # separate money-out column (used when amount is empty)
    credit = "Bij"                   # separate money-in column
    direction = "Af Bij"             # a column saying debit/credit for an unsigned amount
    fee = "Fee"                      # a non-zero fee becomes a line of its own (PayPal)
    currency = "Munt"                # else [defaults] currency, else the journal's
    balance = "Saldo na trn"         # running balance after the row: gives opening/closing
    account = "IBAN/BBAN"            # the statement's own account; rows are grouped by it
    statement_id = "Afschriftnummer"
    counterparty_name = ["Naam tegenpartij", "Naam uiteindelijke partij"]  # first non-empty
    counterparty_account = "Tegenrekening IBAN/BBAN"
    remittance = ["Omschrijving-1", "Omschrijving-2"]   # all non-empty, joined
    structured_reference = "Betalingskenmerk"
    transaction_id = ["Psp Reference", "Type"]          # all non-empty, joined with "/"

    [defaults]
    currency = "EUR"      # when there is no currency column (or the cell is empty)
    account = "NL77RABO0311467415"

    [ignore]              # rows to leave out: column = regular expressions (full match,
    Status = ["Pending"]  # case-insensitive) of the cell's value

    [statement]           # values written outside the table (preamble or trailer rows): a
                          # regular expression with one group, searched case-insensitively in
                          # the row's non-empty cells joined with " | "; such rows are not lines
    account = 'Account Number\\s*:\\s*(\\S+)'
    currency = '^Currency\\s*:\\s*([A-Z]{3})'
    opening_balance = '^Balance at start of period \\|\\s*(\\S+)'
    closing_balance = '^Balance at end of period \\|\\s*(\\S+)'
    opening_date = 'start date\\s*:\\s*(\\S+)'
    closing_date = 'end date\\s*:\\s*(\\S+)'

Statements: rows are grouped by (account, currency, statement id), one statement each; see
``table`` for balances and files without a currency.

See ``bank_profiles/example.toml`` beside this module for a complete example file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from payctl.importers.bank import BankFileError
from payctl.importers.values import normalise_header

# Bank-line fields a profile can map, in the order columns are claimed (under GENERIC a header
# column serves one field only). remittance and transaction_id join the non-empty values of all
# their columns (remittance with the profile's separator, transaction_id with "/"); the other
# fields take the first non-empty value among theirs.
FIELDS = (
    "booking_date",
    "value_date",
    "amount",
    "debit",
    "credit",
    "direction",
    "fee",
    "balance",
    "currency",
    "account",
    "statement_id",
    "counterparty_account",
    "counterparty_name",
    "structured_reference",
    "transaction_id",
    "remittance",
)
AMOUNT_FIELDS = ("amount", "debit", "credit")
STATEMENT_KEYS = (
    "account",
    "currency",
    "opening_balance",
    "closing_balance",
    "opening_date",
    "closing_date",
    "statement_id",
)

DEFAULT_DEBIT_MARKERS = (
    "d",
    "db",
    "dr",
    "debit",
    "debet",
    "dbit",
    "af",
    "s",
    "soll",
    "-",
    "out",
    "withdrawal",
    "lastschrift",
)
DEFAULT_CREDIT_MARKERS = (
    "c",
    "cr",
    "credit",
    "crdt",
    "bij",
    "h",
    "haben",
    "+",
    "in",
    "deposit",
    "gutschrift",
)


class ProfileError(BankFileError):
    """A profile that cannot be loaded or does not fit the file (exit 2)."""


@dataclass(frozen=True)
class Profile:
    """How one bank writes its table. Column names are stored normalised."""

    name: str
    description: str = ""
    signature: tuple[str, ...] = ()
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # as written, for messages
    encoding: str | None = None  # None = auto
    delimiter: str | None = None  # None = auto
    header_row: int | None = None  # None = search
    sheet: str | int | None = None
    decimal: str = "auto"
    thousands: str = "auto"
    date_formats: tuple[str, ...] = ()  # () = infer
    day_first: bool = True
    sign: str = "as-is"
    debit_sign: str = "auto"
    debit_markers: tuple[str, ...] = DEFAULT_DEBIT_MARKERS
    credit_markers: tuple[str, ...] = DEFAULT_CREDIT_MARKERS
    remittance_separator: str = " "
    currency: str | None = None  # fixed / default currency
    account: str | None = None  # default own account
    ignore: tuple[tuple[str, re.Pattern[str]], ...] = ()
    statement: tuple[tuple[str, re.Pattern[str]], ...] = ()
    generic: bool = False  # synonym lists: only date and amount are required
    origin: str = "built-in"
    # GENERIC only (the vocabulary of ``generic.toml``): status columns and their values for
    # rows that are not booked, labels of balance/summary rows, words telling a card export.
    status_columns: tuple[str, ...] = ()
    not_booked: frozenset[str] = frozenset()
    summary: tuple[str, ...] = ()
    summary_as_written: tuple[str, ...] = ()  # casefolded, accents kept
    card_words: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------------------
# Loading profiles (TOML)

_TOP_KEYS = {
    "name",
    "description",
    "signature",
    "format",
    "columns",
    "defaults",
    "ignore",
    "statement",
}
_CHOICES = {
    "sign": ("as-is", "negate"),
    "debit_sign": ("auto", "positive", "negative"),
    "decimal": ("auto", ".", ","),
}


def _fail(origin: str, problem: str) -> ProfileError:
    return ProfileError(f"profile {origin}: {problem}")


def _names(value: object, origin: str, key: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise _fail(origin, f"{key} must be a header name or a list of header names")
    return tuple(normalise_header(v) for v in items)


def _table(
    data: Mapping[str, Any], key: str, origin: str, known: Iterable[str] | None = None
) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _fail(origin, f"[{key}] must be a table")
    if known is not None:
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise _fail(
                origin, f"unknown key {unknown[0]!r} in [{key}] (known: {', '.join(sorted(known))})"
            )
    return value


def _regex(pattern: object, origin: str, where: str, groups: int | None = None) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise _fail(origin, f"{where} must be a regular expression string")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise _fail(origin, f"{where}: invalid regular expression: {exc}") from None
    if groups is not None and compiled.groups != groups:
        raise _fail(origin, f"{where}: the expression needs exactly one (group)")
    return compiled


def _auto(value: object) -> str | None:
    if not isinstance(value, str):
        raise TypeError("must be a string")
    return None if value in ("", "auto") else value


def _typed(kind: type) -> Any:
    def check(value: object) -> object:
        if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            raise TypeError(f"must be a {'true/false' if kind is bool else kind.__name__}")
        return value

    return check


def _row_number(value: object) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError("must be a whole number >= 0")
    return value or None


def _markers(value: object) -> tuple[str, ...]:
    return tuple(normalise_header(v) for v in _strings(value))


def _strings(value: object) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise TypeError("must be a string or a list of strings")
    return list(items)


_FORMAT_CONVERT: dict[str, Any] = {
    "encoding": _auto,
    "delimiter": _auto,
    "header_row": _row_number,
    "skip_rows": _row_number,
    "sheet": lambda v: v if isinstance(v, int) and not isinstance(v, bool) else _auto(v),
    "decimal": _typed(str),
    "thousands": _typed(str),
    "day_first": _typed(bool),
    "sign": _typed(str),
    "debit_sign": _typed(str),
    "remittance_separator": _typed(str),
    "date_formats": lambda v: () if v == "auto" else tuple(_strings(v)),
    "debit_markers": _markers,
    "credit_markers": _markers,
}


def _format_options(fmt: Mapping[str, Any], origin: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fmt.items():
        try:
            out[key] = _FORMAT_CONVERT[key](value)
        except (TypeError, ValueError) as exc:
            raise _fail(origin, f"[format] {key} {exc}") from None
        if key in _CHOICES and value not in _CHOICES[key]:
            raise _fail(origin, f"[format] {key} must be one of {', '.join(_CHOICES[key])}")
    skip = out.pop("skip_rows", None)
    if skip and not out.get("header_row"):
        out["header_row"] = skip + 1
    if out.get("delimiter") is not None and len(out["delimiter"]) != 1:
        raise _fail(origin, '[format] delimiter must be one character or "auto"')
    return out


def _pattern_list(value: object, origin: str, where: str) -> list[str]:
    try:
        return _strings(value)
    except TypeError as exc:
        raise _fail(origin, f"{where} {exc}") from None


def profile_from_mapping(
    data: Mapping[str, Any], origin: str, default_name: str = "custom"
) -> Profile:
    """Build a profile from parsed TOML; every unknown key or bad value is refused."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _fail(origin, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_TOP_KEYS))})")
    cols = _table(data, "columns", origin, FIELDS)
    columns = {k: _names(v, origin, f"[columns] {k}") for k, v in cols.items()}
    if "booking_date" not in columns:
        raise _fail(origin, "[columns] needs booking_date")
    if not any(k in columns for k in AMOUNT_FIELDS):
        raise _fail(origin, "[columns] needs amount, or debit and credit")
    fmt = _format_options(_table(data, "format", origin, _FORMAT_CONVERT), origin)
    defaults = _table(data, "defaults", origin, ("currency", "account"))
    ignore = tuple(
        (normalise_header(col), _regex(p, origin, f"[ignore] {col}"))
        for col, pats in _table(data, "ignore", origin).items()
        for p in _pattern_list(pats, origin, f"[ignore] {col}")
    )
    statement = tuple(
        (k, _regex(v, origin, f"[statement] {k}", groups=1))
        for k, v in _table(data, "statement", origin, STATEMENT_KEYS).items()
    )
    return Profile(
        name=str(data.get("name") or default_name),
        description=str(data.get("description", "")),
        signature=_names(data["signature"], origin, "signature") if data.get("signature") else (),
        columns=columns,
        labels={k: tuple(_strings(v)) for k, v in cols.items()},
        currency=_default_currency(defaults.get("currency"), origin),
        account=str(defaults["account"]) if defaults.get("account") else None,
        ignore=ignore,
        statement=statement,
        origin=origin,
        **fmt,
    )


def _default_currency(value: object, origin: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value):
        raise _fail(origin, f"[defaults] currency {value!r} is not a 3-letter currency code")
    return value.upper()


def load_profile_file(path: str | Path) -> Profile:
    from payctl.errors import InputError
    from payctl.importers.files import decode_text, read_input

    path = Path(path)
    source = f"profile {path}"
    try:  # the one input reader: its size limit, and a device or FIFO refused like any input
        raw, _ = read_input(path, name=source, stdin=False)
    except InputError as exc:
        raise ProfileError(exc.message) from None
    text = decode_text(raw, source, hint="a profile is UTF-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(str(path), f"not valid TOML: {exc}") from None
    return profile_from_mapping(data, str(path), default_name=path.stem)


GENERIC_FILE = "generic.toml"


def _shipped(name: str) -> Profile:
    entry = resources.files("payctl.importers").joinpath("bank_profiles", name)
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    return profile_from_mapping(data, f"built-in {name}", name[:-5])


# The keys of a language table of generic.toml besides the fields of [columns].
VOCABULARY_KEYS = ("debit_markers", "credit_markers", "status", "not_booked", "summary", "card")


def _merge_words(words: Mapping[str, Any], origin: str) -> dict[str, list[str]]:
    """The language tables of generic.toml merged key by key (languages in file order, names in
    list order, duplicates dropped); a header name meaning two fields is refused."""
    merged: dict[str, list[str]] = {}
    seen: dict[str, set[str]] = {}
    for lang, table in words.items():
        if not isinstance(table, dict):
            raise _fail(origin, f"[words.{lang}] must be a table")
        unknown = sorted(set(table) - set(FIELDS) - set(VOCABULARY_KEYS))
        if unknown:
            raise _fail(origin, f"unknown key {unknown[0]!r} in [words.{lang}]")
        for key, names in table.items():
            for name in _pattern_list(names, origin, f"[words.{lang}] {key}"):
                norm = normalise_header(name)
                if norm not in seen.setdefault(key, set()):
                    seen[key].add(norm)
                    merged.setdefault(key, []).append(name)
    _check_words(merged, origin)
    return merged


def _check_words(merged: Mapping[str, list[str]], origin: str) -> None:
    owner: dict[str, str] = {}
    for key in (*FIELDS, "status"):
        for name in merged.get(key, ()):
            norm = normalise_header(name)
            if owner.setdefault(norm, key) != key:
                raise _fail(origin, f"header name {name!r} is in both {owner[norm]} and {key}")
    debit = {normalise_header(n) for n in merged.get("debit_markers", ())}
    both = debit & {normalise_header(n) for n in merged.get("credit_markers", ())}
    if both:
        raise _fail(origin, f"marker {sorted(both)[0]!r} is in both debit and credit markers")


def generic_from_mapping(data: Mapping[str, Any], origin: str) -> Profile:
    """The GENERIC profile from generic.toml: ``[words.LANG]`` tables merged into [columns]
    and the vocabulary of markers, status values, summary labels and card words."""
    rest = {k: v for k, v in data.items() if k != "words"}
    words = _merge_words(_table(data, "words", origin), origin)
    rest["columns"] = {f: words[f] for f in FIELDS if words.get(f)}
    fmt = dict(_table(rest, "format", origin))
    for key in ("debit_markers", "credit_markers"):
        if words.get(key):
            fmt[key] = words[key]
    rest["format"] = fmt
    prof = profile_from_mapping(rest, origin, "generic")
    norm = normalise_header
    return replace(
        prof,
        generic=True,
        status_columns=tuple(norm(n) for n in words.get("status", ())),
        not_booked=frozenset(norm(n) for n in words.get("not_booked", ())),
        summary=tuple(norm(n) for n in words.get("summary", ())),
        summary_as_written=tuple(n.casefold() for n in words.get("summary", ())),
        card_words=tuple(norm(n) for n in words.get("card", ())),
    )


@cache
def generic_profile() -> Profile:
    """GENERIC: the header vocabulary of ``bank_profiles/generic.toml`` (one table per
    language), any of whose names may be missing from a file except a booking date and an
    amount (see ``headers``)."""
    entry = resources.files("payctl.importers").joinpath("bank_profiles", GENERIC_FILE)
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    return generic_from_mapping(data, f"built-in {GENERIC_FILE}")


@cache
def builtin_profiles() -> dict[str, Profile]:
    """The profiles shipped in ``bank_profiles/*.toml`` (``example.toml`` excepted), GENERIC
    last."""
    folder = resources.files("payctl.importers").joinpath("bank_profiles")
    found: dict[str, Profile] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") and entry.name not in ("example.toml", GENERIC_FILE):
            prof = _shipped(entry.name)
            found[prof.name] = prof
    generic = generic_profile()
    found[generic.name] = generic
    return found


def get_profile(spec: str | Path | Profile | None) -> Profile | None:
    """``None`` (auto), a Profile, a built-in name or a path to a ``.toml`` file."""
    if spec is None or isinstance(spec, Profile):
        return spec
    text = str(spec)
    if text.lower().endswith(".toml") or "/" in text or "\\" in text:
        return load_profile_file(text)
    profiles = builtin_profiles()
    if text.lower() not in profiles:
        raise ProfileError(
            f"unknown profile {text!r}: use one of {', '.join(sorted(profiles))} "
            "or a path to a .toml profile file"
        )
    return profiles[text.lower()]


@cache
def generic_words() -> frozenset[str]:
    """Every normalised word of the generic vocabulary: header names, markers, status values
    and summary labels (what ``csvfile`` tells two code pages apart by)."""
    g = generic_profile()
    return frozenset(
        [n for names in g.columns.values() for n in names]
        + [*g.debit_markers, *g.credit_markers, *g.status_columns, *g.not_booked, *g.summary]
    )

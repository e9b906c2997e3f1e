"""Mapping profiles for bank CSV/XLSX extracts, and applying one to a table of cells.

A profile says how one bank lays out its table: where the header is, how numbers and dates are
written, which column holds which bank-line field and how amounts are signed. ``csvfile`` and
``xlsx`` turn bytes into rows of cells; :func:`read_table` applies a profile to those rows.

Choosing a profile (``--profile``):

- nothing: the header row is searched in the first 50 rows; a built-in profile is selected when
  all the header names of its ``signature`` are in one row (the longest signature wins), else
  the GENERIC profile maps common English, German, French and Dutch header names;
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

Statements: rows are grouped by (account, currency, statement id) in order of appearance, one
:class:`BankStatement` each. Opening and closing balances come from ``[statement]`` patterns, else
from the ``balance`` column when the running balance is consistent row after row (in file order or
reversed, for newest-first exports); otherwise they stay unknown. A file without a currency gives
lines with ``currency = ""``: the importer applies the journal's currency.

See ``bank_profiles/example.toml`` beside this module for a complete example file.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from itertools import chain, islice
from pathlib import Path
from typing import Any

from payctl.domain.money import AmountTooLarge, check_limit, exponent
from payctl.importers.bank import BankFileError, BankLine, BankStatement

# Bank-line fields a profile can map, in the order columns are claimed (under GENERIC a header
# column serves one field only). Fields in JOIN_FIELDS join the non-empty values of all their
# columns (remittance with the profile's separator, transaction_id with "/"); the others take
# the first non-empty value among theirs.
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
JOIN_FIELDS = ("remittance", "transaction_id")
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
HEADER_SCAN_ROWS = 50  # the header must be among the first 50 non-empty rows
SAMPLE_ROWS = 200  # rows looked at to infer decimal separator and date format

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


def normalise_header(name: object) -> str:
    """``" Débit_Amount "`` -> ``"debit amount"``: case, accents, spaces, ``_``/``-`` ignored."""
    text = "" if name is None else str(name)
    text = unicodedata.normalize("NFKD", text.replace("\ufeff", "").strip().casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", text).strip()


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


@cache
def builtin_profiles() -> dict[str, Profile]:
    """The profiles shipped in ``bank_profiles/*.toml`` (``example.toml`` excepted) + generic."""
    found: dict[str, Profile] = {}
    folder = resources.files("payctl.importers").joinpath("bank_profiles")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") and entry.name != "example.toml":
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            prof = profile_from_mapping(data, f"built-in {entry.name}", entry.name[:-5])
            found[prof.name] = prof
    found[GENERIC.name] = GENERIC
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


# ----------------------------------------------------------------------------------------------
# The GENERIC profile: common header names in English, German, French and Dutch


def _syn(*names: str) -> tuple[str, ...]:
    return tuple(normalise_header(n) for n in names)


GENERIC = Profile(
    name="generic",
    description="Common header names in English, German, French and Dutch",
    generic=True,
    columns={
        "booking_date": _syn(
            "booking date",
            "date",
            "transaction date",
            "posting date",
            "posted date",
            "entry date",
            "buchungstag",
            "buchungsdatum",
            "datum",
            "date operation",
            "date d'operation",
            "date de l'operation",
            "date comptable",
            "date de comptabilisation",
            "boekdatum",
            "boekingsdatum",
            "transactiedatum",
            "uitvoeringsdatum",
        ),
        "value_date": _syn(
            "value date",
            "wertstellung",
            "wertstellungsdatum",
            "valutadatum",
            "valuta datum",
            "date de valeur",
            "date valeur",
            "rentedatum",
        ),  # "valuta": see _refine_generic
        "amount": _syn(
            "amount",
            "betrag",
            "montant",
            "bedrag",
            "transaction amount",
            "umsatz",
            "amount eur",
            "betrag eur",
            "montant eur",
            "bedrag eur",
        ),
        "debit": _syn(
            "debit",
            "debit amount",
            "soll",
            "debit montant",
            "montant debit",
            "af",
            "debet",
            "withdrawal",
            "withdrawals",
            "paid out",
            "money out",
            "ausgang",
        ),
        "credit": _syn(
            "credit",
            "credit amount",
            "haben",
            "montant credit",
            "bij",
            "deposit",
            "deposits",
            "paid in",
            "money in",
            "eingang",
        ),
        "direction": _syn(
            "af bij",
            "af/bij",
            "bij/af",
            "debit/credit",
            "credit/debit",
            "soll/haben",
            "s/h",
            "d/c",
            "c/d",
            "dr/cr",
            "cr/dr",
            "sens",
            "debit credit",
        ),
        "fee": (),
        "balance": _syn(
            "balance",
            "running balance",
            "saldo",
            "kontostand",
            "solde",
            "saldo na trn",
            "saldo na mutatie",
            "saldo na boeking",
        ),
        "currency": _syn(
            "currency",
            "currency code",
            "ccy",
            "wahrung",
            "waehrung",
            "devise",
            "monnaie",
            "munt",
            "valuta",
        ),
        "account": _syn(
            "own account",
            "account iban",
            "auftragskonto",
            "eigenes konto",
            "rekeningnummer",
            "rekening",
            "mon compte",
            "compte",
        ),
        "counterparty_account": _syn(
            "counterparty iban",
            "counterparty account",
            "iban",
            "kontonummer",
            "kontonummer/iban",
            "iban zahlungsbeteiligter",
            "iban auftraggeber/empfanger",
            "tegenrekening",
            "tegenrekening iban",
            "tegenrekening iban/bban",
            "iban tegenpartij",
            "iban beneficiaire",
            "compte contrepartie",
            "iban contrepartie",
        ),
        "counterparty_name": _syn(
            "counterparty",
            "counterparty name",
            "name",
            "payee",
            "payer",
            "beneficiary",
            "empfanger",
            "auftraggeber",
            "auftraggeber/empfanger",
            "empfanger/auftraggeber",
            "zahlungsempfanger",
            "beguenstigter/zahlungspflichtiger",
            "name zahlungsbeteiligter",
            "beneficiaire",
            "donneur d'ordre",
            "tiers",
            "contrepartie",
            "nom",
            "tegenrekening naam",
            "naam tegenpartij",
            "tegenpartij",
            "naam",
            "naam / omschrijving",
        ),
        "structured_reference": _syn(
            "structured reference",
            "creditor reference",
            "payment reference",
            "end to end id",
            "end to end reference",
            "kundenreferenz",
            "end to end referenz",
            "eref",
            "reference structuree",
            "communication structuree",
            "gestructureerde mededeling",
            "betalingskenmerk",
        ),
        "transaction_id": _syn(
            "transaction id",
            "transaction reference",
            "transaction number",
            "id",
            "transaktions id",
            "transaktionsnummer",
            "transaktionsreferenz",
            "numero de transaction",
            "n° de transaction",
            "reference de l'operation",
            "numero d'operation",
            "transactie id",
            "transactiereferentie",
            "transactienummer",
        ),
        "remittance": _syn(
            "description",
            "details",
            "memo",
            "purpose",
            "narrative",
            "reference",
            "payment details",
            "buchungstext",
            "verwendungszweck",
            "vorgang/verwendungszweck",
            "buchungsdetails",
            "libelle",
            "libelle operation",
            "libelle de l'operation",
            "detail",
            "motif",
            "communication",
            "omschrijving",
            "mededelingen",
            "mededeling",
            "vrije mededeling",
        ),
    },
)


# ----------------------------------------------------------------------------------------------
# Finding the header row and the columns of each field


@dataclass
class ColumnMap:
    header: list[str]  # the header row as written
    index: dict[str, tuple[int, ...]]  # field -> column positions
    missing: list[str]  # mapped fields without a column
    currency_hint: str | None = None  # "Bedrag (EUR)": the currency of a generic amount column


_PAREN_SUFFIX = re.compile(r"\s*\(([^)]*)\)$")


def resolve_columns(profile: Profile, cells: Sequence[object]) -> ColumnMap:
    header = [_text(c) for c in cells]
    names = [normalise_header(h) for h in header]
    positions: dict[str, list[int]] = {}
    hint = None
    for i, name in enumerate(names):
        positions.setdefault(name, []).append(i)
        if profile.generic and (m := _PAREN_SUFFIX.search(name)):  # "betrag (eur)"
            positions.setdefault(name[: m.start()], []).append(i)
            if re.fullmatch(r"[a-z]{3}", m.group(1)):
                hint = m.group(1).upper()
    taken: set[int] = set()
    index: dict[str, tuple[int, ...]] = {}
    missing = []
    for fld in FIELDS:
        candidates = profile.columns.get(fld)
        if not candidates:
            continue
        found = [
            i
            for c in candidates
            for i in positions.get(c, ())
            if not (profile.generic and i in taken)
        ]  # own profiles may reuse a column
        found = list(dict.fromkeys(found))
        if found:
            index[fld] = tuple(found)
            taken.update(found)
        elif not profile.generic:
            missing.append(fld)
    if profile.generic:
        missing = [f for f in ("booking_date",) if f not in index]
        if not any(f in index for f in AMOUNT_FIELDS):
            missing.append("amount")
    return ColumnMap(header, index, missing, hint)


def _describe_missing(profile: Profile, cmap: ColumnMap) -> str:
    parts = []
    for fld in cmap.missing:
        wanted = profile.labels.get(fld) or profile.columns.get(fld, ())
        if profile.generic:
            parts.append(fld)
        else:
            parts.append(f"{fld} ({' or '.join(repr(w) for w in wanted)})")
    names = [h for h in cmap.header if h]
    hint = (
        "; one column only: is the delimiter right?"
        if len(names) == 1 and re.search(r"[,;\t|]", names[0])
        else ""
    )
    return f"no column for {', '.join(parts)} (found: {', '.join(names) or 'nothing'}{hint})"


def _matches_signature(profile: Profile, names: set[str]) -> bool:
    return bool(profile.signature) and all(s in names for s in profile.signature)


def _select(
    rows: Sequence[tuple[int, Sequence[object]]], profile: Profile | None
) -> tuple[Profile, int, ColumnMap] | str:
    """(profile, position of the header in rows, columns) or a message saying what is missing."""
    if profile is not None and profile.header_row is not None:
        for pos, (number, cells) in enumerate(rows):
            if number == profile.header_row:
                cmap = resolve_columns(profile, cells)
                return (
                    (profile, pos, cmap)
                    if not cmap.missing
                    else f"profile {profile.name}: {_describe_missing(profile, cmap)}"
                )
        return f"profile {profile.name}: no row {profile.header_row} for the header"
    if profile is None:
        builtins = [p for p in builtin_profiles().values() if p.signature]
        for pos, (_, cells) in enumerate(rows):
            names = {normalise_header(_text(c)) for c in cells}
            hits = [p for p in builtins if _matches_signature(p, names)]
            if hits:
                best = max(hits, key=lambda p: len(p.signature))
                cmap = resolve_columns(best, cells)
                if not cmap.missing:
                    return best, pos, cmap
    return _search_header(rows, profile or GENERIC)


def _search_header(
    rows: Sequence[tuple[int, Sequence[object]]], profile: Profile
) -> tuple[Profile, int, ColumnMap] | str:
    best: ColumnMap | None = None
    for pos, (_, cells) in enumerate(rows):
        cmap = resolve_columns(profile, cells)
        if not cmap.missing:
            return profile, pos, cmap
        if best is None or len(cmap.index) > len(best.index):
            best = cmap
    if best is None:
        return "no rows"
    label = "no header row found: " if profile.generic else f"profile {profile.name}: "
    hint = "; name a profile with --profile" if profile.generic else ""
    return label + _describe_missing(profile, best) + hint


# ----------------------------------------------------------------------------------------------
# Cells: text, amounts, dates


def _text(cell: object) -> str:
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


def _clean(cell: object) -> str:
    """Trimmed text with inner runs of whitespace collapsed and a stray unbalanced quote dropped."""
    text = _text(cell)
    if '"' in text and text.count('"') % 2:
        text = text.strip('"').strip()  # Rabobank: a row whose first field lost its opening quote
    if "  " in text or "\n" in text or "\t" in text or "\r" in text:
        text = " ".join(text.split())
    return text


_DIRTY = re.compile(r'["\n\t\r]|  ')


def _cell(cell: object) -> str:
    return cell.strip() if type(cell) is str else _text(cell)


def _first(cells: Sequence[object], cols: tuple[int, ...]) -> str | None:
    """The first non-empty of the columns, tidied (see :func:`_clean`)."""
    for i in cols:
        cell = cells[i]
        text = cell.strip() if type(cell) is str else _text(cell)
        if text:
            return _clean(text) if _DIRTY.search(text) else text
    return None


def _join(cells: Sequence[object], cols: tuple[int, ...], sep: str) -> str:
    if len(cols) == 1:
        return _first(cells, cols) or ""
    return sep.join(t for i in cols if (t := _first(cells, (i,))))


_NUMBER = re.compile(
    r"(?P<open>\()?(?P<s1>[+\-\u2212])?(?:[A-Z]{3}|[^\w\s().,'’+\-\u2212])?(?P<s2>[+\-\u2212])?"
    r"(?P<num>[\d.,'’]*\d[\d.,'’]*)"
    r"(?:[A-Z]{3}|[^\w\s().,'’+\-\u2212])?(?P<s3>[+\-\u2212]|CR|DR|Cr|Dr|cr|dr)?(?P<close>\))?"
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
    """An amount cell: text through ``parse``; Excel numbers exactly (see ``_from_float``)."""
    if isinstance(cell, str):
        return parse(cell) if cell else None
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, float):
        return _from_float(cell)
    if isinstance(cell, int | Decimal):
        return Decimal(cell)
    text = _text(cell)
    return parse(text) if text else None


_FLOAT_NOISE = Decimal("1e-9")


def _from_float(value: float) -> Decimal | None:
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
        text = _text(cell)
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


# ----------------------------------------------------------------------------------------------
# Applying a profile to rows

Row = tuple[int, Sequence[object]]
Rows = Iterable[Row]


@dataclass
class _Group:
    account: str | None
    currency: str
    statement_id: str | None
    lines: list[BankLine] = field(default_factory=list)
    chain: list[tuple[Decimal, Decimal | None]] = field(default_factory=list)  # (row total, bal)


class TableReader:
    """Turns the rows of one table into statements with one profile."""

    def __init__(
        self,
        source: str,
        profile: Profile,
        cmap: ColumnMap,
        unit: str,
        sample: Sequence[Sequence[object]],
        currency: str | None,
    ) -> None:
        self.source, self.profile, self.cmap, self.unit = source, profile, cmap, unit
        self.idx = cmap.index
        self.width = len(cmap.header)
        decimal = profile.decimal
        if decimal == "auto":
            decimal = infer_decimal(
                _text(r[i])
                for r in sample
                for f in (*AMOUNT_FIELDS, "fee", "balance")
                for i in self.idx.get(f, ())
                if i < len(r) and isinstance(r[i], str)
            )
        thousands = profile.thousands
        if thousands == "auto":
            thousands = ("," if decimal == "." else ".") + "'’"
        self.amount = AmountParser(decimal, thousands)
        formats = profile.date_formats or infer_date_formats(
            [
                t
                for r in sample
                for i in self.idx["booking_date"][:1]
                if i < len(r) and isinstance(r[i], str) and (t := _text(r[i]))
            ],
            profile.day_first,
        )
        self.date = DateParser(formats)
        self.default_currency = (profile.currency or cmap.currency_hint or currency or "").upper()
        self.debit_markers = set(profile.debit_markers)
        self.credit_markers = set(profile.credit_markers)
        names = [normalise_header(h) for h in cmap.header]
        unknown = sorted({col for col, _ in profile.ignore} - set(names))
        if unknown:  # a misspelt column would let the rows meant to be left out in
            raise ProfileError(
                f"{source}: profile {profile.name}: [ignore] names no column of "
                f"the header: {unknown[0]!r} (found: {', '.join(cmap.header)})"
            )
        self.ignore = [
            (i, pat) for col, pat in profile.ignore for i, name in enumerate(names) if name == col
        ]
        self.meta: dict[str, tuple[str, int]] = {}
        self.groups: dict[tuple[str | None, str, str | None], _Group] = {}
        self._currencies: dict[str, str] = {}
        self._quanta: dict[str, Decimal] = {}
        self.cols = {f: self.idx.get(f, ()) for f in FIELDS}
        self.booking_col = self.idx["booking_date"][0]
        self.date_cache: dict[str, dt.date] = {}
        self.negate = profile.sign == "negate"
        self.separator = profile.remittance_separator

    # -- locations --------------------------------------------------------------------------

    def where(self, number: int) -> str | int:
        return number if self.unit == "line" else f"{self.unit} {number}"

    def label(self, fld: str, i: int | None = None) -> str:
        if i is None:
            i = self.idx[fld][0] if fld in self.idx else None
        if i is None:
            return fld
        col = self.cmap.header[i]
        if self.unit == "row":
            return f"{fld} (column {_column_letter(i)} {col!r})"
        return f"{fld} (column {col!r})"

    def error(
        self, number: int, fld: str | None, problem: str, i: int | None = None
    ) -> BankFileError:
        return BankFileError.at(
            self.source, self.where(number), self.label(fld, i) if fld else None, problem
        )

    # -- rows -------------------------------------------------------------------------------

    def start(self) -> None:
        """After the preamble: a currency it names is the default of the rows."""
        if not self.default_currency and "currency" in self.meta:
            code = self.meta["currency"][0].upper()
            if len(code) == 3 and code.isalpha():
                self.default_currency = code

    def feed_preamble(self, number: int, cells: Sequence[object]) -> None:
        if self.profile.statement:
            self._match_meta(number, cells)

    def feed(self, number: int, cells: Sequence[object]) -> None:
        if len(cells) < self.width:
            cells = [*cells, *([""] * (self.width - len(cells)))]
        if self.ignore and self._ignored(cells):
            return
        booking = self._booking_date(number, cells)
        if booking is None:
            return
        amount, fee = self._amounts(number, cells)
        currency = self._currency(cells, number) if self.cols["currency"] else self.default_currency
        first, join, cols = _first, _join, self.cols
        line = BankLine(
            booking,
            self._exact(number, amount, currency, "amount"),
            currency,
            self._date(number, cells, "value_date") if cols["value_date"] else None,
            first(cells, cols["counterparty_name"]),
            first(cells, cols["counterparty_account"]),
            join(cells, cols["remittance"], self.separator) or None,
            first(cells, cols["structured_reference"]),
            join(cells, cols["transaction_id"], "/") or None,
            number,
        )
        group = self._group(cells, currency)
        group.lines.append(line)
        if fee or cols["balance"]:
            self._fee_and_balance(number, cells, group, line, fee)

    def _ignored(self, cells: Sequence[object]) -> bool:
        return any(pattern.fullmatch(_cell(cells[i])) for i, pattern in self.ignore)

    def _fee_and_balance(
        self,
        number: int,
        cells: Sequence[object],
        group: _Group,
        line: BankLine,
        fee: Decimal | None,
    ) -> None:
        total = line.amount
        if fee:
            fee = self._exact(number, fee, line.currency, "fee")
            total += fee
            text = f"Fee: {line.remittance or line.transaction_id or ''}".strip()
            group.lines.append(
                replace(
                    line,
                    amount=fee,
                    counterparty_name=None,
                    counterparty_account=None,
                    structured_reference=None,
                    remittance=text,
                    transaction_id=f"{line.transaction_id}/fee" if line.transaction_id else None,
                )
            )
        if self.cols["balance"]:
            group.chain.append((total, self._number(number, cells, "balance")))

    def _booking_date(self, number: int, cells: Sequence[object]) -> dt.date | None:
        i = self.booking_col
        cell = cells[i]
        if type(cell) is str:  # the fast path: a date already seen
            hit = self.date_cache.get(cell)
            if hit is not None:
                return hit
        try:
            value = self.date.cell(cell)
        except ValueError as exc:
            if self._match_meta(number, cells):
                return None
            raise self.error(number, "booking_date", str(exc), i) from None
        if value is None:
            if self._match_meta(number, cells) or not self._has_amount(cells):
                return None  # a blank separator or a meta row
            raise self.error(number, "booking_date", "missing", i)
        if type(cell) is str and len(self.date_cache) < 50_000:
            self.date_cache[cell] = value
        return value

    def _has_amount(self, cells: Sequence[object]) -> bool:
        return any(_cell(cells[i]) for f in (*AMOUNT_FIELDS, "fee") for i in self.cols[f])

    def _match_meta(self, number: int, cells: Sequence[object]) -> bool:
        if not self.profile.statement:
            return False
        text = " | ".join(t for c in cells if (t := _text(c)))
        hit = False
        for key, pattern in self.profile.statement:
            m = pattern.search(text)
            if m and m.group(1).strip():
                self.meta.setdefault(key, (m.group(1).strip(), number))
                hit = True
        return hit

    def _date(self, number: int, cells: Sequence[object], fld: str) -> dt.date | None:
        i = self.cols[fld][0]
        cell = cells[i]
        if type(cell) is str and (hit := self.date_cache.get(cell)) is not None:
            return hit
        try:
            return self.date.cell(cell)
        except ValueError as exc:
            raise self.error(number, fld, str(exc), i) from None

    def _number(self, number: int, cells: Sequence[object], fld: str) -> Decimal | None:
        for i in self.cols[fld]:
            cell = cells[i]
            try:
                if type(cell) is str:
                    cell = cell.strip()
                    if cell:
                        return self.amount(cell)
                else:
                    value = decimal_from_cell(cell, self.amount)
                    if value is not None:
                        return value
            except (ValueError, InvalidOperation) as exc:
                raise self.error(number, fld, str(exc), i) from None
        return None

    def _amounts(self, number: int, cells: Sequence[object]) -> tuple[Decimal, Decimal | None]:
        amount = self._number(number, cells, "amount") if self.cols["amount"] else None
        if amount is not None:
            if self.negate or self.cols["direction"]:
                amount = self._direction(number, cells, amount)
        else:
            amount = self._debit_credit(number, cells)
        if amount is None:
            names = [self.cmap.header[i] for f in AMOUNT_FIELDS for i in self.cols[f]]
            raise self.error(number, "amount", f"missing (empty: {', '.join(names)})")
        return amount, self._number(number, cells, "fee") if self.cols["fee"] else None

    def _direction(self, number: int, cells: Sequence[object], amount: Decimal) -> Decimal:
        if self.negate:
            amount = -amount
        idx = self.cols["direction"]
        if not idx:
            return amount
        marker = normalise_header(_cell(cells[idx[0]]))
        if marker in self.debit_markers:
            return -abs(amount)
        if marker in self.credit_markers:
            return abs(amount)
        raise self.error(
            number,
            "direction",
            f"{marker!r} is neither a debit marker "
            f"({', '.join(sorted(self.debit_markers))}) nor a credit marker "
            f"({', '.join(sorted(self.credit_markers))})",
            idx[0],
        )

    def _debit_credit(self, number: int, cells: Sequence[object]) -> Decimal | None:
        debit = self._number(number, cells, "debit")
        credit = self._number(number, cells, "credit")
        if debit is None and credit is None:
            return None
        mode = self.profile.debit_sign
        out = Decimal(0)
        if debit is not None:
            out -= abs(debit) if mode == "auto" else (debit if mode == "positive" else -debit)
        if credit is not None:
            out += abs(credit) if mode == "auto" else credit
        return out

    def _currency(self, cells: Sequence[object], number: int) -> str:
        raw = _first(cells, self.cols["currency"])
        if not raw:
            return self.default_currency
        code = self._currencies.get(raw)
        if code is None:
            code = raw.upper()
            if len(code) != 3 or not code.isalpha():
                raise self.error(number, "currency", f"{raw!r} is not a 3-letter currency code")
            self._currencies[raw] = code
        return code

    def _exact(self, number: int, value: Decimal, currency: str, fld: str) -> Decimal:
        """Rounded to the currency's minor unit only when nothing is lost; else an error. The
        file names no currency (``currency`` empty): kept as written, for the importer, which
        applies the journal's currency, its limit and its minor unit."""
        if not value.is_finite():
            raise self.error(number, fld, f"{value} is not an amount")
        if not currency:
            return value
        quantum = self._quanta.get(currency)
        if quantum is None:
            quantum = self._quanta[currency] = Decimal(1).scaleb(-exponent(currency))
        try:  # before quantize, which overflows on huge values
            check_limit(value, currency, fld)
        except AmountTooLarge as exc:
            raise self.error(number, fld, exc.problem) from None
        exact = value.quantize(quantum)
        if exact != value:
            raise self.error(number, fld, f"{value} has more decimals than {currency} allows")
        return exact

    def _group(self, cells: Sequence[object], currency: str) -> _Group:
        account = _first(cells, self.cols["account"]) or self.profile.account
        sid = _first(cells, self.cols["statement_id"])
        key = (account, currency, sid)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group(account, currency, sid)
        return group

    # -- statements -------------------------------------------------------------------------

    def statements(self) -> list[BankStatement]:
        meta = self._meta_values()
        groups = list(self.groups.values()) or [_Group(None, self.default_currency, None)]
        out = []
        for g in groups:
            opening, closing = _chain_balances(g.chain)
            dates = [ln.booking_date for ln in g.lines]
            st = BankStatement(
                account=g.account or meta.get("account"),
                currency=g.currency or meta.get("currency") or None,
                statement_id=g.statement_id or meta.get("statement_id"),
                opening_balance=meta.get("opening_balance", opening),
                closing_balance=meta.get("closing_balance", closing),
                opening_date=meta.get("opening_date", min(dates, default=None)),
                closing_date=meta.get("closing_date", max(dates, default=None)),
                lines=g.lines,
            )
            out.append(st)
        return out

    def _meta_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, (raw, number) in self.meta.items():
            try:
                if key.endswith("balance"):
                    out[key] = self.amount(raw)
                elif key.endswith("date"):
                    out[key] = self.date(raw)
                elif key == "currency":
                    out[key] = raw.upper()
                else:
                    out[key] = raw
            except ValueError as exc:
                raise self.error(number, key, str(exc)) from None
        return out


def _chain_balances(
    chain: list[tuple[Decimal, Decimal | None]],
) -> tuple[Decimal | None, Decimal | None]:
    """Opening and closing balance from a running-balance column, when it adds up."""
    if not chain or any(bal is None for _, bal in chain):
        return None, None
    totals = [t for t, _ in chain]
    bals = [b for _, b in chain if b is not None]
    if all(bals[i - 1] + totals[i] == bals[i] for i in range(1, len(bals))):
        return bals[0] - totals[0], bals[-1]  # oldest first
    if all(bals[i] + totals[i - 1] == bals[i - 1] for i in range(1, len(bals))):
        return bals[-1] - totals[-1], bals[0]  # newest first
    return None, None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _refine_generic(cmap: ColumnMap, sample: Sequence[Sequence[object]]) -> None:
    """GENERIC: a "Valuta" column holding dates is the value date, not the currency."""
    idx = cmap.index.get("currency")
    if not idx:
        return
    values = [_text(r[idx[0]]) for r in sample if idx[0] < len(r) and _text(r[idx[0]])]
    if values and all(re.search(r"\d", v) for v in values):
        del cmap.index["currency"]
        if "value_date" not in cmap.index:
            cmap.index["value_date"] = idx


def _take_head(rows: Rows, source: str) -> tuple[list[Row], Iterator[Row]]:
    """The first non-empty rows (where the header is searched) and an iterator on the rest."""
    it: Iterator[Row] = iter(rows)
    head: list[Row] = []
    for number, cells in it:
        if any(_text(c) for c in cells):
            head.append((number, cells))
            if len(head) >= HEADER_SCAN_ROWS:
                break
    if not head:
        raise ProfileError(f"{source}: the file holds no rows")
    return head, it


def choose_profile(rows: Rows, source: str, profile: Profile | None = None) -> Profile:
    """The profile :func:`read_table` would use for these rows (auto-selection when None)."""
    head, _ = _take_head(rows, source)
    found = _select(head, profile)
    if isinstance(found, str):
        raise ProfileError(f"{source}: {found}")
    return found[0]


def read_table(
    rows: Rows,
    source: str,
    profile: Profile | None = None,
    *,
    unit: str = "line",
    currency: str | None = None,
) -> list[BankStatement]:
    """Apply ``profile`` (None: auto-select) to ``(number, cells)`` rows of one table."""
    head, it = _take_head(rows, source)
    found = _select(head, profile)
    if isinstance(found, str):
        raise ProfileError(f"{source}: {found}")
    chosen, pos, cmap = found
    body = chain(head[pos + 1 :], it)
    sample_rows = list(islice(body, SAMPLE_ROWS))
    sample = [cells for _, cells in sample_rows]
    if chosen.generic:
        _refine_generic(cmap, sample)
    reader = TableReader(source, chosen, cmap, unit, sample, currency)
    for number, cells in head[:pos]:
        reader.feed_preamble(number, cells)
    reader.start()
    feed = reader.feed
    for number, cells in chain(sample_rows, body):
        feed(number, cells)
    return reader.statements()

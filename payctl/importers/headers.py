"""Header resolution: finding the header row of a bank table and the column of each field.

With a profile that names its header row, that row is used. Otherwise the first rows are
searched: a built-in profile is chosen when all the names of its ``signature`` are in one row
(the longest signature wins), else the header row is the first one where the given profile
(default: the GENERIC one, ``bank_profiles/generic.toml``) finds a column for every field it
needs. Names are compared normalised (:func:`~payctl.importers.values.normalise_header`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from payctl.importers.profiles import (
    AMOUNT_FIELDS,
    FIELDS,
    Profile,
    builtin_profiles,
    generic_profile,
)
from payctl.importers.values import cell_text, normalise_header


@dataclass
class ColumnMap:
    header: list[str]  # the header row as written
    index: dict[str, tuple[int, ...]]  # field -> column positions
    missing: list[str]  # mapped fields without a column
    currency_hint: str | None = None  # "Bedrag (EUR)": the currency of a generic amount column


_PAREN_SUFFIX = re.compile(r"\s*\(([^)]*)\)$")


def resolve_columns(profile: Profile, cells: Sequence[object]) -> ColumnMap:
    header = [cell_text(c) for c in cells]
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
    understood = (
        "; understood: " + ", ".join(f"{f}={cmap.header[i[0]]!r}" for f, i in cmap.index.items())
        if profile.generic and cmap.index
        else ""
    )
    return (
        f"no column for {', '.join(parts)} "
        f"(found: {', '.join(names) or 'nothing'}{understood}{hint})"
    )


def _matches_signature(profile: Profile, names: set[str]) -> bool:
    return bool(profile.signature) and all(s in names for s in profile.signature)


def select(
    rows: Sequence[tuple[int, Sequence[object]]], profile: Profile | None, source: str = "FILE"
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
            names = {normalise_header(cell_text(c)) for c in cells}
            hits = [p for p in builtins if _matches_signature(p, names)]
            if hits:
                best = max(hits, key=lambda p: len(p.signature))
                cmap = resolve_columns(best, cells)
                if not cmap.missing:
                    return best, pos, cmap
    return _search_header(rows, profile or generic_profile(), source)


def _search_header(
    rows: Sequence[tuple[int, Sequence[object]]], profile: Profile, source: str
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
    hint = (
        f"; name a profile with --profile (draft one with: payctl profile draft {source})"
        if profile.generic
        else ""
    )
    return label + _describe_missing(profile, best) + hint

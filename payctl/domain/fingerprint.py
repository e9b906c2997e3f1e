"""Stable fingerprints, so re-imports and re-runs of the same file add nothing twice.

A line's fingerprint is the bank's transaction id where the bank gives a reliable one (present
and unique among the lines given), else a hash of account, dates, amount, references and text plus
an occurrence counter, so identical lines (two equal card payments on one day) stay distinct.
The caller passes all of one file's lines of one account at once: fingerprints are then distinct
within the file, and only a line already stored (an overlapping or repeated file) shares one.

An id fingerprint does not cover the booking date (a bank may re-send a line with a corrected
date), so looking for stored duplicates by date range alone misses them: ``dated`` says which
fingerprints do cover the date.

A `bulk create` row's idempotency key is the file's own key (a ``key`` or ``external_id``
column) when it has one, else a hash of the row's content plus its occurrence number among
identical rows of the file: two identical rows are two payments, a re-run makes neither again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from typing import Protocol


class LineLike(Protocol):
    """What a fingerprint reads of a line (read-only, so frozen dataclasses match)."""

    @property
    def booking_date(self) -> object: ...
    @property
    def amount(self) -> object: ...
    @property
    def currency(self) -> str: ...
    @property
    def counterparty_name(self) -> str | None: ...
    @property
    def counterparty_account(self) -> str | None: ...
    @property
    def remittance(self) -> str | None: ...
    @property
    def structured_reference(self) -> str | None: ...
    @property
    def transaction_id(self) -> str | None: ...


def _digest(*parts: object) -> str:
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean(text: str | None) -> str:
    return " ".join((text or "").split()).upper()


class _Occurrences:
    """Numbers equal contents in order of appearance: the n-th copy gets digest(base, n)."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def key(self, base: str) -> str:
        n = self.seen[base]
        self.seen[base] += 1
        return _digest(base, n)


def fingerprints(account: str, lines: Sequence[LineLike]) -> list[str]:
    return [fp for fp, _dated in fingerprint_kinds(account, lines)]


def fingerprint_kinds(account: str, lines: Sequence[LineLike]) -> list[tuple[str, bool]]:
    """(fingerprint, dated) per line; ``dated`` is False for the bank-id fingerprints, which
    do not depend on the booking date."""
    return Fingerprinter(account, repeated_ids(lines)).kinds(lines)


def transaction_key(line: LineLike) -> str:
    """The bank's transaction id of a line as fingerprints read it ("" when none)."""
    return (line.transaction_id or "").strip()


def repeated_ids(lines: Iterable[LineLike]) -> set[str]:
    """The transaction ids given more than once among ``lines``."""
    ids = Counter(
        ln.transaction_id.strip() for ln in lines if ln.transaction_id and ln.transaction_id.strip()
    )
    return {tx for tx, n in ids.items() if n > 1}


class Fingerprinter:
    """The fingerprints of one account's lines of one file, given a part at a time (a file
    read in chunks): ``repeated`` holds the transaction ids given more than once among all of
    them; occurrence numbers of identical lines carry on from part to part."""

    def __init__(self, account: str, repeated: Container[str]) -> None:
        self.account = account
        self.repeated = repeated
        self.occurrences = _Occurrences()

    def kinds(self, lines: Iterable[LineLike]) -> list[tuple[str, bool]]:
        account, repeated, occurrences = self.account, self.repeated, self.occurrences
        out: list[tuple[str, bool]] = []
        by_id = f"id\x1f{account}\x1f"  # _digest("id", account, tx), spelt out: one per line
        sha256 = hashlib.sha256
        for ln in lines:
            tx = (ln.transaction_id or "").strip()
            if tx and tx not in repeated:
                out.append((sha256((by_id + tx).encode("utf-8")).hexdigest(), False))
                continue
            amount = ln.amount.normalize() if hasattr(ln.amount, "normalize") else ln.amount
            base = _digest(
                "content",
                account,
                ln.booking_date,
                amount,
                ln.currency,
                _clean(ln.structured_reference),
                _clean(ln.remittance),
                _clean(ln.counterparty_name),
                _clean(ln.counterparty_account),
            )
            out.append((occurrences.key(base), True))
        return out


KEY_MAX = 200  # characters of a file's own key


def given_key(value: str) -> str:
    """The stored idempotency key for a row's own ``key``/``external_id`` value."""
    return f"key:{value.strip()}"


def content_keys(contents: Sequence[Sequence[object]]) -> list[str]:
    """Idempotency keys of rows without their own key, in order: a hash of each row's
    (normalised) content and its occurrence number among equal rows."""
    occurrences = _Occurrences()
    return [f"row:{occurrences.key(_digest('payment-row', *content))}" for content in contents]

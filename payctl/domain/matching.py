"""Matching bank lines to what they settle. Pure: plain facts in, scored candidates out.

Rules, each candidate carrying its reason:
  (a) reference — an open item's number appears in the remittance text or structured
      reference (normalised: case, spaces, separators) and the amount fits;
  (b) partner + amount — the partner is found by IBAN (else by fuzzy name, ties rejected) and
      the amount equals one open item's residual, or the sum of a set of 2+ open items of one
      type of that partner (the 10 oldest are searched); when several sets fit — of one type
      or of different types, e.g. customer invoices and vendor credit notes of a partner who
      is both — the tie-break is "fewest, then oldest" (see Matcher._subset);
  (c) payment — a posted, not yet matched payment of that partner with that amount within a
      date window: the line reconciles it;
  (d) partial / over / write-off — a reference is found but the amount is below the residual
      (partial allocation), above it (residual allocated, the rest left as partner credit), or
      within the write-off tolerance (the difference is written off; the tolerance is applied
      in the item's currency, as confirm applies it: money.writeoff_limit).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from payctl.domain.enums import SETTLES, InvoiceType, PaymentType, is_inbound
from payctl.domain.money import format_amount, writeoff_limit
from payctl.domain.open_items import TYPE_CODE, OpenItem, OpenItems

SEPARATORS = re.compile(r"[^0-9A-Z]")
TOKENS = re.compile(r"[0-9A-Z]+")

# Which open items a line can settle, by direction: type of item -> payment type.
INBOUND_ITEMS = {SETTLES[t]: t for t in PaymentType if is_inbound(t)}
OUTBOUND_ITEMS = {SETTLES[t]: t for t in PaymentType if not is_inbound(t)}

SCORE_EXACT_REFERENCE = 100
SCORE_REFERENCE_WRITEOFF = 95
SCORE_PAYMENT = 95
SCORE_REFERENCE_PARTIAL = 85
SCORE_REFERENCE_OVER = 85
SCORE_IBAN_AMOUNT = 90
SCORE_IBAN_SUBSET = 85
SCORE_NAME_PENALTY = 10  # partner found by fuzzy name instead of IBAN
SCORE_AMBIGUOUS_PENALTY = 25


def _subsets(indexes: Iterable[int]) -> Iterable[tuple[int, ...]]:
    pool = list(indexes)
    for size in range(len(pool) + 1):
        yield from itertools.combinations(pool, size)


def normalise_reference(text: str) -> str:
    return SEPARATORS.sub("", text.upper())


class LineFacts(NamedTuple):
    """A bank line as matching sees it (immutable; a named tuple: one is made per line of an
    import, and a frozen dataclass costs several times as much to make)."""

    amount: int  # signed minor units: + money in, - money out
    currency: str
    date: dt.date
    name: str | None = None
    account: str | None = None  # normalised IBAN / account number
    text: str = ""  # remittance and structured reference


def age(item: OpenItem) -> tuple[dt.date, int]:
    """The order "oldest first" means everywhere in matching: by date, then by id."""
    return item.date, item.id


@dataclass(frozen=True)
class PostedPayment:
    id: int
    partner_id: int
    type: PaymentType
    amount: int  # positive minor units
    currency: str
    date: dt.date
    number: str | None = None


class Allocation(NamedTuple):  # immutable, made per candidate: see LineFacts
    invoice_id: int
    number: str
    amount: int
    writeoff: int = 0


class Candidate(NamedTuple):  # immutable, made per candidate: see LineFacts
    # reference | partial | overpayment | writeoff | partner_amount | partner_subset | payment
    rule: str
    score: int
    reason: str
    partner_id: int
    payment_type: PaymentType
    allocations: tuple[Allocation, ...] = ()
    payment_id: int | None = None

    @property
    def allocated(self) -> int:
        return sum(a.amount for a in self.allocations)


@dataclass
class MatchResult:
    candidates: list[Candidate] = field(default_factory=list)
    decision: Candidate | None = None
    review_reason: str | None = None


class Matcher:
    """Holds the open items, partners and payments of one import; matches line after line.

    Decisions consume residuals and payments, so two lines never settle the same thing twice.

    Deterministic: the same lines and open items give the same decisions on every machine and
    under every hash seed. Open items are considered oldest first (by date, then id), never in
    the order they were passed in or held in a set; where several open items fit equally, the
    tie-break is "fewest, then oldest": the fewest items win, then the oldest (dates compared
    oldest first, then ids). Two candidates for different targets at the same score (say two
    invoice numbers in the text) are never ranked by order: the line goes to review
    ("several candidates score the same").
    """

    def __init__(
        self,
        items: OpenItems | Iterable[Sequence[Any]],
        partner_accounts: dict[str, int],
        partner_names: dict[int, str],
        payments: Iterable[PostedPayment],
        *,
        writeoff_tolerance: Decimal,
        threshold: int = 80,
        date_window: int = 10,
        subset_limit: int = 10,
        fuzzy: Callable[[str], list[tuple[int, int]]] | None = None,
    ) -> None:
        # Held column-wise, oldest first (by date, then id), whatever order the items came in
        # (a database returns rows of an unordered query in any order): the same open items
        # give the same decisions. Below, a position stands for an item and its age.
        self.items = items if isinstance(items, OpenItems) else OpenItems(items)
        by_key: dict[str, int | tuple[int, ...]] = {}
        # A partner's items by type and currency (the rules only look at the types a line's
        # direction settles, in the line's currency), positions in age order.
        self._by_partner: dict[tuple[int, int, int], array[int]] = {}
        held = self.items
        facts = zip(held.numbers, held.partners, held.types, held.currencies, strict=True)
        for k, (number, partner, kind, cur) in enumerate(facts):
            key = normalise_reference(number)
            same = by_key.get(key)
            if same is None:
                by_key[key] = k
            else:  # numbers that differ only in case or separators: oldest first
                by_key[key] = (*same, k) if isinstance(same, tuple) else (same, k)
            group = self._by_partner.get((partner, kind, cur))
            if group is None:
                group = self._by_partner[partner, kind, cur] = array("l")
            group.append(k)
        self.by_key = by_key
        # Every start of a key: a run of tokens that is none can grow into no key.
        self.prefixes = {k[:n] for k in self.by_key for n in range(1, len(k) + 1)}
        self.partner_accounts = partner_accounts
        self.partner_names = partner_names
        self.payments: dict[tuple[int, int, str], list[PostedPayment]] = defaultdict(list)
        for p in payments:
            self.payments[(p.partner_id, p.amount, p.currency)].append(p)
        self.tolerance = writeoff_tolerance
        self._limits: dict[str, int] = {}  # currency -> the tolerance in its minor units
        self.threshold = threshold
        self.window = dt.timedelta(days=date_window)
        self.subset_limit = subset_limit
        self.fuzzy = fuzzy
        self._name_cache: dict[str, tuple[int | None, str]] = {}

    def writeoff_limit(self, currency: str) -> int:
        limit = self._limits.get(currency)
        if limit is None:
            limit = self._limits[currency] = writeoff_limit(self.tolerance, currency)
        return limit

    # ------------------------------------------------------------ look-ups
    def referenced_items(self, text: str) -> list[OpenItem]:
        """Open items whose normalised number appears in the text, in order of appearance."""
        if not text or not self.by_key:
            return []
        tokens = TOKENS.findall(text.upper())
        prefixes = self.prefixes
        if prefixes.isdisjoint(tokens):  # most texts name no open item: at C speed
            return []
        found: dict[int, None] = {}  # positions, in order of appearance
        by_key, residuals = self.by_key, self.items.residuals
        for i, token in enumerate(tokens):
            if token not in prefixes:
                continue
            key = ""
            for nxt in tokens[i : i + 6]:
                key += nxt
                if key not in prefixes:
                    break
                held = by_key.get(key)
                if held is not None:
                    for k in held if isinstance(held, tuple) else (held,):
                        if residuals[k] > 0:
                            found.setdefault(k)
        return [self.items.at(k) for k in found]

    def prime_names(self, hits: dict[str, list[tuple[int, int]]]) -> None:
        """Fuzzy name look-ups done ahead in one batch: name -> best (partner, score) pairs."""
        for name, found in hits.items():
            self._name_cache[name] = self._decide_name(found)

    @staticmethod
    def _decide_name(hits: list[tuple[int, int]]) -> tuple[int | None, str]:
        if not hits:
            return None, ""
        if len(hits) > 1 and hits[0][1] == hits[1][1] and hits[0][0] != hits[1][0]:
            return None, "name matches several partners equally"
        return hits[0][0], f"name (similarity {hits[0][1]})"

    def partner_of(self, line: LineFacts) -> tuple[int | None, str]:
        """(partner id, how it was found) by IBAN/account first, then fuzzy name."""
        if line.account and line.account in self.partner_accounts:
            return self.partner_accounts[line.account], "IBAN"
        if not line.name or self.fuzzy is None:
            return None, ""
        if line.name not in self._name_cache:
            self._name_cache[line.name] = self._decide_name(self.fuzzy(line.name))
        return self._name_cache[line.name]

    # -------------------------------------------------------------- rules
    def match(self, line: LineFacts) -> MatchResult:
        if line.amount == 0:
            return MatchResult(review_reason="zero amount")
        kinds = INBOUND_ITEMS if line.amount > 0 else OUTBOUND_ITEMS
        amount = abs(line.amount)
        candidates = self._by_reference(line, amount, kinds)
        exact = [c for c in candidates if c.score == SCORE_EXACT_REFERENCE]
        if len(exact) == 1 and self.threshold <= SCORE_EXACT_REFERENCE:
            # The invoice number and the exact amount say it all: no partner search needed.
            return MatchResult(
                candidates=sorted(candidates, key=lambda c: -c.score)[:5], decision=exact[0]
            )
        partner_id, how = self.partner_of(line)
        if partner_id is not None:
            penalty = 0 if how == "IBAN" else SCORE_NAME_PENALTY
            candidates += self._by_payment(line, amount, partner_id, how, penalty)
            candidates += self._by_partner_amount(line, amount, partner_id, how, penalty, kinds)
        candidates.sort(key=lambda c: -c.score)
        result = MatchResult(candidates=candidates[:5])
        if not candidates:
            result.review_reason = how or (
                "no invoice number in the text and no partner with this IBAN or name"
            )
            if partner_id is not None:
                result.review_reason = (
                    f"partner found by {how} but no open item or payment fits the amount"
                )
            return result
        best = candidates[0]
        runner_up = candidates[1] if len(candidates) > 1 else None
        same_target = runner_up is not None and (
            runner_up.allocations == best.allocations and runner_up.payment_id == best.payment_id
        )
        if best.score < self.threshold:
            result.review_reason = (
                f"best score {best.score} is below the threshold {self.threshold}"
            )
        elif runner_up is not None and runner_up.score == best.score and not same_target:
            result.review_reason = "several candidates score the same"
        else:
            result.decision = best
        return result

    def _fits(self, item: OpenItem, line: LineFacts, kinds: dict[InvoiceType, PaymentType]) -> bool:
        return item.type in kinds and item.currency == line.currency and item.residual > 0

    def _by_reference(
        self, line: LineFacts, amount: int, kinds: dict[InvoiceType, PaymentType]
    ) -> list[Candidate]:
        items = [i for i in self.referenced_items(line.text) if self._fits(i, line, kinds)]
        if not items:
            return []
        # Several referenced items of one partner paid together.
        partners = {i.partner_id for i in items}
        if len(items) > 1 and len(partners) == 1 and sum(i.residual for i in items) == amount:
            first = items[0]
            return [
                Candidate(
                    "reference",
                    SCORE_EXACT_REFERENCE,
                    f"invoice numbers {', '.join(i.number for i in items)} in the text; "
                    "amount equals their residuals",
                    first.partner_id,
                    kinds[first.type],
                    tuple(Allocation(i.id, i.number, i.residual) for i in items),
                )
            ]
        out = []
        for item in items:
            ptype = kinds[item.type]
            gap = item.residual - amount
            cur = item.currency
            if gap == 0:
                out.append(
                    Candidate(
                        "reference",
                        SCORE_EXACT_REFERENCE,
                        f"invoice number {item.number} in the text; amount equals its residual",
                        item.partner_id,
                        ptype,
                        (Allocation(item.id, item.number, amount),),
                    )
                )
            elif 0 < gap <= self.writeoff_limit(cur):
                out.append(
                    Candidate(
                        "writeoff",
                        SCORE_REFERENCE_WRITEOFF,
                        f"invoice number {item.number} in the text; difference "
                        f"{format_amount(gap, cur)} within the write-off tolerance",
                        item.partner_id,
                        ptype,
                        (Allocation(item.id, item.number, amount, gap),),
                    )
                )
            elif gap > 0:
                out.append(
                    Candidate(
                        "partial",
                        SCORE_REFERENCE_PARTIAL,
                        f"invoice number {item.number} in the text; partial payment "
                        f"({format_amount(amount, cur)} of {format_amount(item.residual, cur)})",
                        item.partner_id,
                        ptype,
                        (Allocation(item.id, item.number, amount),),
                    )
                )
            else:
                out.append(
                    Candidate(
                        "overpayment",
                        SCORE_REFERENCE_OVER,
                        f"invoice number {item.number} in the text; overpaid by "
                        f"{format_amount(-gap, cur)}, left as partner credit",
                        item.partner_id,
                        ptype,
                        (Allocation(item.id, item.number, item.residual),),
                    )
                )
        if len(out) > 1:  # several references, none of them alone explaining the amount
            out = [
                c
                if c.rule == "reference"
                else Candidate(
                    c.rule,
                    c.score - SCORE_AMBIGUOUS_PENALTY,
                    c.reason + "; other invoice numbers in the text too",
                    c.partner_id,
                    c.payment_type,
                    c.allocations,
                )
                for c in out
            ]
        return out

    def _by_payment(
        self, line: LineFacts, amount: int, partner_id: int, how: str, penalty: int
    ) -> list[Candidate]:
        pool = self.payments.get((partner_id, amount, line.currency), [])
        inbound = line.amount > 0
        fitting = [
            p
            for p in pool
            if abs(p.date - line.date) <= self.window and is_inbound(p.type) == inbound
        ]
        if not fitting:
            return []
        fitting.sort(key=lambda p: (abs(p.date - line.date), p.id))
        score = SCORE_PAYMENT - penalty - (SCORE_AMBIGUOUS_PENALTY if len(fitting) > 1 else 0)
        p = fitting[0]
        return [
            Candidate(
                "payment",
                score,
                f"posted payment #{p.id} of the partner (found by "
                f"{how}) with this amount, dated {p.date}",
                partner_id,
                p.type,
                payment_id=p.id,
            )
        ]

    def _partner_positions(
        self, partner_id: int, currency: str, kinds: dict[InvoiceType, PaymentType]
    ) -> Sequence[int]:
        """Positions of the partner's items of the kinds and currency, oldest first."""
        code = self.items.currency_code.get(currency)
        if code is None:
            return ()
        groups = [
            g
            for t in kinds
            if (g := self._by_partner.get((partner_id, TYPE_CODE[t], code))) is not None
        ]
        if len(groups) == 1:
            return groups[0]
        return sorted(itertools.chain.from_iterable(groups))  # a position is an age

    def _by_partner_amount(
        self,
        line: LineFacts,
        amount: int,
        partner_id: int,
        how: str,
        penalty: int,
        kinds: dict[InvoiceType, PaymentType],
    ) -> list[Candidate]:
        residuals, at = self.items.residuals, self.items.at
        positions = self._partner_positions(partner_id, line.currency, kinds)
        exact = [k for k in positions if residuals[k] == amount]  # amount > 0: open ones
        if exact:
            item = at(exact[0])
            score = SCORE_IBAN_AMOUNT - penalty - (SCORE_AMBIGUOUS_PENALTY if len(exact) > 1 else 0)
            return [
                Candidate(
                    "partner_amount",
                    score,
                    f"partner found by {how}; amount equals "
                    f"the residual of {item.number}"
                    + (" (oldest of several)" if len(exact) > 1 else ""),
                    partner_id,
                    kinds[item.type],
                    (Allocation(item.id, item.number, amount),),
                )
            ]
        oldest = itertools.islice((k for k in positions if residuals[k] > 0), self.subset_limit)
        subset = self._subset([at(k) for k in oldest], amount)
        if subset:
            return [
                Candidate(
                    "partner_subset",
                    SCORE_IBAN_SUBSET - penalty,
                    f"partner found by {how}; amount equals the residuals of "
                    f"{', '.join(i.number for i in subset)}",
                    partner_id,
                    kinds[subset[0].type],
                    tuple(Allocation(i.id, i.number, i.residual) for i in subset),
                )
            ]
        return []

    def _subset(self, items: list[OpenItem], amount: int) -> list[OpenItem] | None:
        """2+ items of one type whose residuals sum to the amount (meet in the middle).

        Every type is searched (a partner who is customer and vendor may have a customer
        invoice set and a vendor credit note set that both fit), and among all solutions the
        tie-break is "fewest, then oldest": fewest items; then the oldest set, comparing
        the sets' items oldest first by (date, id) — the set whose oldest item is older wins,
        if equal its second oldest decides, and so on; the id (creation order) settles items
        of the same date, so exactly one set wins and the choice never depends on the order
        the items or types happen to be held in."""
        groups: dict[InvoiceType, list[OpenItem]] = {}
        for item in sorted(items, key=age):
            groups.setdefault(item.type, []).append(item)
        best: tuple[int, list[tuple[dt.date, int]]] | None = None
        chosen_items: list[OpenItem] | None = None
        for group in groups.values():
            if len(group) < 2 or sum(i.residual for i in group) < amount:
                continue
            half = len(group) // 2
            left: dict[int, list[tuple[int, ...]]] = defaultdict(list)
            for combo in _subsets(range(half)):
                left[sum(group[k].residual for k in combo)].append(combo)
            for right in _subsets(range(half, len(group))):
                need = amount - sum(group[k].residual for k in right)
                for combo in left.get(need, ()):
                    if len(combo) + len(right) < 2:
                        continue
                    # indexes ascend in combo + right, so picked is oldest first too
                    picked = [group[k] for k in combo + right]
                    key = (len(picked), [age(i) for i in picked])
                    if best is None or key < best:
                        best, chosen_items = key, picked
        return chosen_items

    # ------------------------------------------------------------ consume
    def consume(self, decision: Candidate) -> None:
        """Record a decision so later lines see the reduced residuals / used payments."""
        for a in decision.allocations:
            self.items.lower(a.invoice_id, a.amount + a.writeoff)
        if decision.payment_id is not None:
            for key in [k for k in self.payments if k[0] == decision.partner_id]:
                self.payments[key] = [p for p in self.payments[key] if p.id != decision.payment_id]

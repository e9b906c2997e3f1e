"""Rules the accountant writes for the bank lines matching leaves undecided (pure, no I/O).

A rule says *when* (every condition given must hold: text, counterparty name or account
matching a pattern, an amount range in a currency, a sign, a journal) and *what* (book to an
account with a label, a payment on account for a partner, an internal transfer to another own
journal, or leave the line for review). Rules are tried in file order; the first whose
conditions all hold decides (:func:`first_match`), and its explanation is the line's reason.

Patterns are regular expressions searched case-insensitively. Python's ``re`` has no timeout,
so a pattern is refused up front (:func:`pattern_problem`) when it is long or nests an
unbounded repetition inside another (``(a+)+``, ``(.*)*``: the shapes that backtrack
exponentially), and the text a pattern is searched in is cut to :data:`MAX_TEXT` characters.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MAX_PATTERN = 200  # characters of one pattern
MAX_TEXT = 1000  # characters of a line's text a pattern is searched in
MAX_NAME = 32  # characters of a rule's name (stored as the line's rule)


class Sign(enum.Enum):
    INBOUND = "inbound"  # money in (amount > 0)
    OUTBOUND = "outbound"  # money out (amount < 0)


class Action(enum.Enum):
    ACCOUNT = "account"  # book to an account, with a label
    PAYMENT = "payment"  # a payment on account for a partner
    TRANSFER = "transfer"  # an internal transfer to another own journal
    REVIEW = "review"  # leave the line for a person


@dataclass(frozen=True)
class When:
    """The conditions of a rule; None: not a condition. Amounts are positive, in ``currency``
    (a range always comes with its currency), compared with the line's absolute amount."""

    text: re.Pattern[str] | None = None
    counterparty: re.Pattern[str] | None = None
    iban: re.Pattern[str] | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    sign: Sign | None = None
    journal: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Then:
    """What a rule decides: ``target`` is the account code (ACCOUNT), the partner's name or id
    (PAYMENT) or the other journal's code (TRANSFER); None for REVIEW."""

    action: Action
    target: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    when: When
    then: Then
    line: int = 0  # where the rule starts in its file (for messages)


@dataclass(frozen=True)
class LineView:
    """What a rule looks at of a bank line."""

    amount: Decimal  # signed: + money in, - money out
    currency: str
    journal: str
    text: str = ""  # structured reference and remittance
    counterparty: str | None = None
    iban: str | None = None


# ---------------------------------------------------------------------------- patterns
def _is_repeat(op: Any) -> bool:
    return str(op) in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _unbounded(av: Any) -> bool:
    from re import _constants  # type: ignore[attr-defined]

    return bool(av[1] == _constants.MAXREPEAT or av[1] > 100)


def _children(op: Any, av: Any) -> list[Any]:
    """The sub-patterns of one parsed item (groups, alternatives, look-arounds, repeats)."""
    name = str(op)
    if _is_repeat(op):
        return [av[2]]
    if name == "SUBPATTERN":
        return [av[3]]
    if name == "BRANCH":
        return list(av[1])
    if name in ("ASSERT", "ASSERT_NOT"):
        return [av[1]]
    return []


def _walk(items: Iterable[Any], inside_repeat: bool) -> bool:
    """True when an unbounded repetition sits inside another repetition."""
    for op, av in items:
        unbounded = _is_repeat(op) and _unbounded(av)
        if inside_repeat and unbounded:
            return True
        if any(_walk(sub, inside_repeat or unbounded) for sub in _children(op, av)):
            return True
    return False


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is refused as a rule's pattern, or None."""
    if not pattern:
        return "the pattern is empty"
    if len(pattern) > MAX_PATTERN:
        return f"the pattern is longer than {MAX_PATTERN} characters"
    try:
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, re.IGNORECASE)
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    if _walk(parsed, False):
        return (
            "a repetition inside a repetition (like (a+)+) can take exponential time: "
            "write it without the nesting"
        )
    return None


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled pattern (case-insensitive); ValueError when :func:`pattern_problem`."""
    problem = pattern_problem(pattern)
    if problem:
        raise ValueError(problem)
    return re.compile(pattern, re.IGNORECASE)


# --------------------------------------------------------------------------- evaluation
def _search(pattern: re.Pattern[str], value: str | None, what: str) -> str | None:
    if value and pattern.search(value[:MAX_TEXT]):
        return f"{what} matches '{pattern.pattern}'"
    return None


def explain(when: When, line: LineView) -> list[str] | None:
    """Why every condition of ``when`` holds for ``line`` (one phrase each), or None when
    one does not."""
    facts = _facts(when, line)  # the cheap conditions first, the patterns last
    amount = _amount(when, line) if facts is not None else None
    texts = _texts(when, line) if amount is not None else None
    if facts is None or amount is None or texts is None:
        return None
    return texts + facts + amount


def _texts(when: When, line: LineView) -> list[str] | None:
    why: list[str] = []
    checks: list[tuple[re.Pattern[str] | None, str | None, str]] = [
        (when.text, line.text, "text"),
        (when.counterparty, line.counterparty, "counterparty"),
        (when.iban, line.iban, "counterparty account"),
    ]
    for pattern, value, what in checks:
        if pattern is not None:
            found = _search(pattern, value, what)
            if found is None:
                return None
            why.append(found)
    return why


def _facts(when: When, line: LineView) -> list[str] | None:
    why: list[str] = []
    if when.sign is not None:
        inbound = line.amount > 0
        if line.amount == 0 or inbound != (when.sign is Sign.INBOUND):
            return None
        why.append(when.sign.value)
    if when.journal is not None:
        if line.journal.upper() != when.journal.upper():
            return None
        why.append(f"journal {line.journal}")
    if when.currency is not None:
        if line.currency.upper() != when.currency.upper():
            return None
        why.append(f"currency {line.currency}")
    return why


def _amount(when: When, line: LineView) -> list[str] | None:
    why: list[str] = []
    size = abs(line.amount)
    if when.amount_min is not None and size < when.amount_min:
        return None
    if when.amount_max is not None and size > when.amount_max:
        return None
    if when.amount_min is not None or when.amount_max is not None:
        low = "" if when.amount_min is None else str(when.amount_min)
        high = "" if when.amount_max is None else str(when.amount_max)
        why.append(f"amount {size} in {low}..{high}")
    return why


def first_match(rules: Sequence[Rule], line: LineView) -> tuple[Rule, str] | None:
    """The first rule (in the given order) whose conditions all hold, and its explanation
    ("rule 'bank fees': text matches 'KONTOFUEHRUNG'"), or None. Deterministic: the same
    rules and line always give the same answer."""
    for rule in rules:
        why = explain(rule.when, line)
        if why is not None:
            return rule, f"rule '{rule.name}': {', '.join(why) or 'always'}"
    return None


def proposal(rule: Rule, explanation: str) -> str:
    """The reason a line waiting for its rule's decision shows in `review list`."""
    then = rule.then
    if then.action is Action.ACCOUNT:
        label = f" ({then.label})" if then.label else ""
        what = f"proposes account {then.target}{label}"
    elif then.action is Action.TRANSFER:
        what = f"proposes an internal transfer to journal {then.target}"
    elif then.action is Action.PAYMENT:
        what = f"makes a payment on account for {then.target}"
    else:
        what = "leaves it for review"
    head, _, why = explanation.partition(": ")
    return f"{head} {what}: {why}"

"""Reading a bank rules file (TOML): every rule parsed and checked, every problem named.

A rules file is a list of ``[[rule]]`` tables, tried in file order (the first whose conditions
all hold decides). See ``bank_rules/example.toml`` beside this module for a complete, commented
example. Keys of one rule::

    [[rule]]
    name = "bank fees"            # required, unique, at most 32 characters: the line's reason
    # when: every condition given must hold (none given: the rule takes every line)
    text = "KONTOFUEHRUNG|Entgelt"  # pattern searched in the reference and remittance text
    counterparty = "^Finanzamt"     # pattern searched in the counterparty's name
    iban = "^DE02"                  # pattern searched in the counterparty's account
    sign = "outbound"               # "inbound" (money in) or "outbound" (money out)
    amount_min = "0.01"             # range of the line's absolute amount, in `currency`
    amount_max = "50.00"
    currency = "EUR"                # required with an amount range
    journal = "BNK1"                # only lines of this journal
    # then: exactly one of
    account = "6270"                # book to this account ...
    label = "Bank fees"             # ... with this label (default: the rule's name)
    # partner = "ACME GmbH"         # a payment on account for this partner (name or id)
    # transfer_to = "BNK2"          # an internal transfer to this own journal
    # review = true                 # leave the line for a person

Patterns are regular expressions, searched case-insensitively (``bank_rules.pattern_problem``
says which are refused). Amounts are written as strings or numbers and read exactly (never
through a float). That the accounts, journals and partners exist is the database's to say
(``RulesService``); everything else is checked here, and every problem is reported as
``FILE:LINE: field: problem`` (:class:`RulesFileError`, exit 2).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from payctl.domain.bank_rules import (
    MAX_NAME,
    Action,
    Rule,
    Sign,
    Then,
    When,
    compile_pattern,
)
from payctl.domain.money import exponent
from payctl.errors import InputErrors

PATTERN_KEYS = ("text", "counterparty", "iban")
WHEN_KEYS = (*PATTERN_KEYS, "sign", "amount_min", "amount_max", "currency", "journal")
THEN_KEYS = ("account", "partner", "transfer_to", "review")
KEYS = ("name", *WHEN_KEYS, *THEN_KEYS, "label")
_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")
_ANY_HEADER = re.compile(r"^\s*\[")
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


class RulesFileError(InputErrors):
    """A rules file that cannot be used: one ``FILE:LINE: field: problem`` line per problem."""


@dataclass(frozen=True)
class RulesFile:
    """The rules of one file in file order, and for each the line of each of its keys (what
    the database checks of ``RulesService`` name in their messages)."""

    path: str
    rules: tuple[Rule, ...]
    key_lines: tuple[dict[str, int], ...] = ()

    def problem(self, index: int, key: str, text: str) -> str:
        line = self.key_lines[index].get(key, self.rules[index].line)
        return f"{self.path}:{line}: {key}: {text}"


class _Lines:
    """Where the tables and keys of a rules file are: tomllib gives no line numbers for
    values, so the text is scanned (the n-th ``[[rule]]`` header, then its keys)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.starts = [i + 1 for i, ln in enumerate(self.lines) if _HEADER.match(ln)]

    def rule(self, index: int) -> int:
        return self.starts[index] if index < len(self.starts) else 1

    def key(self, index: int, key: str) -> int:
        start = self.rule(index)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start + 1, len(self.lines) + 1):
            text = self.lines[number - 1]
            if _ANY_HEADER.match(text):
                break
            if pattern.match(text):
                return number
        return start


class _Problems:
    def __init__(self, path: str, where: _Lines) -> None:
        self.path, self.where = path, where
        self.items: list[str] = []

    def add(self, line: int, field: str, problem: str) -> None:
        self.items.append(f"{self.path}:{line}: {field}: {problem}")

    def at(self, index: int, key: str | None, problem: str) -> None:
        line = self.where.key(index, key) if key else self.where.rule(index)
        self.add(line, key or "rule", problem)


def _amount(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError('must be an amount such as "12.50"')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{value!r} must be an amount of zero or more")
    return amount


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _currency(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value):
        raise ValueError(f"{value!r} is not a 3-letter currency code")
    code = value.upper()
    exponent(code)  # ValueError for a code ISO 4217 does not know
    return code


class _RuleReader:
    """One ``[[rule]]`` table into a Rule; problems collected, not raised."""

    def __init__(self, table: dict[str, Any], index: int, problems: _Problems) -> None:
        self.table, self.index, self.problems = table, index, problems
        self.ok = True

    def fail(self, key: str | None, problem: str) -> None:
        self.ok = False
        self.problems.at(self.index, key, problem)

    def get(self, key: str, convert: Any) -> Any:
        if key not in self.table:
            return None
        try:
            return convert(self.table[key])
        except ValueError as exc:
            self.fail(key, str(exc))
            return None

    def read(self) -> Rule | None:
        for key in sorted(set(self.table) - set(KEYS)):
            self.fail(key, f"unknown key (known: {', '.join(KEYS)})")
        name = self.get("name", _text)
        if "name" not in self.table:
            self.fail(None, "name: every rule needs a name")
        elif name is not None and len(name) > MAX_NAME:
            self.fail("name", f"at most {MAX_NAME} characters")
            name = None
        when = self._when()
        then = self._then(name)
        if not self.ok or name is None or when is None or then is None:
            return None
        return Rule(name, when, then, self.problems.where.rule(self.index))

    def _pattern(self, key: str) -> re.Pattern[str] | None:
        return self.get(key, lambda v: compile_pattern(_text(v) if isinstance(v, str) else v))

    def _when(self) -> When | None:
        patterns = {key: self._pattern(key) for key in PATTERN_KEYS}
        sign = self.get("sign", lambda v: Sign(v) if v in ("inbound", "outbound") else _bad_sign())
        low, high = self.get("amount_min", _amount), self.get("amount_max", _amount)
        currency = self.get("currency", _currency)
        journal = self.get("journal", _text)
        if low is not None and high is not None and low > high:
            self.fail("amount_max", f"{high} is below amount_min {low}")
        if ("amount_min" in self.table or "amount_max" in self.table) and (
            "currency" not in self.table
        ):
            key = "amount_min" if "amount_min" in self.table else "amount_max"
            self.fail(
                key, 'an amount range needs its currency: add currency = "EUR" (or another code)'
            )
        if currency is not None:
            for key, value in (("amount_min", low), ("amount_max", high)):
                places = -int(value.normalize().as_tuple().exponent) if value is not None else 0
                if places > exponent(currency):
                    self.fail(key, f"{value} has more decimals than {currency} has")
        return When(
            patterns["text"],
            patterns["counterparty"],
            patterns["iban"],
            low,
            high,
            sign,
            journal.upper() if journal else None,
            currency,
        )

    def _then(self, name: str | None) -> Then | None:
        given = [key for key in THEN_KEYS if key in self.table]
        if len(given) != 1:
            self.fail(
                given[1] if len(given) > 1 else None,
                "say exactly one of account, partner, transfer_to or review"
                + (f" (found {', '.join(given)})" if given else ""),
            )
            return None
        (key,) = given
        if "label" in self.table and key != "account":
            self.fail("label", "a label goes with account only")
        if key == "review":
            if self.table[key] is not True:
                self.fail(key, "must be true")
            return Then(Action.REVIEW)
        target = self.get(key, _text)
        if target is None:
            return None
        if key == "account":
            label = self.get("label", _text) or name
            return Then(Action.ACCOUNT, target, label)
        if key == "partner":
            return Then(Action.PAYMENT, target)
        return Then(Action.TRANSFER, target.upper())


def _bad_sign() -> Sign:
    raise ValueError('must be "inbound" or "outbound"')


def parse_rules(text: str, path: str) -> RulesFile:
    """The rules of a rules file's text; RulesFileError naming every problem."""
    where = _Lines(text)
    problems = _Problems(path, where)
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        problems.add(int(found.group(1)) if found else 1, "TOML", f"not valid TOML: {exc}")
        raise RulesFileError(problems.items) from None
    for key in sorted(set(data) - {"rule"}):
        problems.add(_top_line(where, key), key, "unknown key (a rules file holds [[rule]] tables)")
    tables = data.get("rule", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.add(_top_line(where, "rule"), "rule", "write each rule as a [[rule]] table")
        tables = []
    rules: list[Rule] = []
    key_lines: list[dict[str, int]] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        rule = _RuleReader(table, index, problems).read()
        if rule is None:
            continue
        if rule.name.casefold() in seen:
            problems.at(
                index,
                "name",
                f"{rule.name!r} is already the name of the rule at line "
                f"{seen[rule.name.casefold()]}",
            )
            continue
        seen[rule.name.casefold()] = rule.line
        rules.append(rule)
        key_lines.append({key: where.key(index, key) for key in table})
    if problems.items:
        raise RulesFileError(problems.items)
    return RulesFile(path, tuple(rules), tuple(key_lines))


def _top_line(where: _Lines, key: str) -> int:
    pattern = re.compile(rf"^\s*(\[+\s*)?{re.escape(key)}\b")
    for number, text in enumerate(where.lines, start=1):
        if pattern.match(text):
            return number
    return 1


def load_rules(path: str | Path) -> RulesFile:
    """Read and parse a rules file (UTF-8, through the one input reader and its limits)."""
    from payctl.errors import InputError
    from payctl.importers.files import decode_text, read_input

    name = str(path)
    try:
        raw, _ = read_input(path, name=name, stdin=False)
    except InputError as exc:
        raise RulesFileError([f"{name}:0: file: {exc.message}"]) from None
    try:
        text = decode_text(raw, name, hint="a rules file is UTF-8")
    except InputError as exc:
        raise RulesFileError([f"{name}:0: file: {exc.message}"]) from None
    return parse_rules(text, name)

"""The bank rules without a database: conditions, first match in file order, explanations,
refused patterns, and the rules file reader's `FILE:LINE: field: problem` lines."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources

import pytest

from payctl.domain.bank_rules import (
    Action,
    LineView,
    first_match,
    pattern_problem,
    proposal,
)
from payctl.importers.rules_file import RulesFileError, parse_rules

RULES = """
# bank rules
[[rule]]
name = "bank fees"
text = "KONTOFUEHRUNG|Entgelt"
sign = "outbound"
account = "6270"
label = "Bank fees"

[[rule]]
name = "small ACME"
counterparty = "^acme"
sign = "inbound"
amount_max = "100.00"
currency = "EUR"
partner = "ACME GmbH"

[[rule]]
name = "anything from ACME"
counterparty = "acme"
review = true

[[rule]]
name = "savings"
iban = "DE02"
journal = "bnk1"
transfer_to = "BNK2"
"""


def view(
    amount: str,
    text: str = "",
    name: str | None = None,
    iban: str | None = None,
    journal: str = "BNK1",
    currency: str = "EUR",
) -> LineView:
    return LineView(Decimal(amount), currency, journal, text, name, iban)


def test_first_match_wins_in_file_order_and_explains():
    rules = parse_rules(RULES, "r.toml").rules
    rule, why = first_match(rules, view("-4.50", "Kontofuehrung 02/2026"))
    assert rule.name == "bank fees" and rule.then.action is Action.ACCOUNT
    assert why == "rule 'bank fees': text matches 'KONTOFUEHRUNG|Entgelt', outbound"
    assert proposal(rule, why).startswith("rule 'bank fees' proposes account 6270 (Bank fees): ")
    # money in with the fee text: not outbound, the fee rule does not fire
    assert first_match(rules, view("4.50", "Kontofuehrung")) is None
    # both ACME rules hold for a small payment: the first in the file decides
    rule, why = first_match(rules, view("99.99", name="ACME GmbH"))
    assert rule.name == "small ACME"
    assert "amount 99.99 in ..100.00" in why and "currency EUR" in why
    # above the range, or in another currency: the next rule
    assert first_match(rules, view("100.01", name="ACME GmbH"))[0].name == "anything from ACME"
    assert first_match(rules, view("5", name="ACME", currency="CHF"))[0].name == (
        "anything from ACME"
    )
    reordered = (rules[2], rules[1], rules[0], rules[3])
    assert first_match(reordered, view("99.99", name="ACME GmbH"))[0].name == "anything from ACME"


def test_conditions_on_journal_iban_and_zero():
    rules = parse_rules(RULES, "r.toml").rules
    assert first_match(rules, view("-10", iban="DE02120300000000202051"))[0].name == "savings"
    assert first_match(rules, view("-10", iban="DE02120300000000202051", journal="CSH1")) is None
    assert first_match(rules, view("0", "Entgelt")) is None  # zero is neither in nor out


def test_deterministic():
    rules = parse_rules(RULES, "r.toml").rules
    lines = [
        view(a, t, n) for a in ("-1", "1", "150") for t in ("", "Entgelt") for n in (None, "acme")
    ]
    first = [first_match(rules, ln) for ln in lines]
    assert all([first_match(rules, ln) for ln in lines] == first for _ in range(3))


@pytest.mark.parametrize("pattern", ["(a+)+", "(.*)*", "((ab)*)+", "(x|y+)*z", "a" * 201, "[", ""])
def test_refused_patterns(pattern):
    assert pattern_problem(pattern)


@pytest.mark.parametrize("pattern", ["KONTO", "^Finanzamt", "a{1,5}(b|c)*", r"\bfee\b"])
def test_accepted_patterns(pattern):
    assert pattern_problem(pattern) is None


def problems(text: str) -> list[str]:
    with pytest.raises(RulesFileError) as caught:
        parse_rules(text, "r.toml")
    return caught.value.lines


def test_each_problem_names_file_line_and_field():
    text = """[[rule]]
name = "one"
text = "(a+)+"
colour = "red"
account = "6270"

[[rule]]
name = "two"
amount_min = "10"
amount_max = "5"
currency = "EUR"
partner = "P"
label = "x"

[[rule]]
name = "three"
sign = "sideways"
account = "1"
review = true

[[rule]]
text = "x"
review = true

[[rule]]
name = "four"
amount_min = "1.005"
currency = "EUR"
review = true

[[rule]]
name = "five"
amount_max = "3"
review = true
"""
    lines = problems(text)
    assert "r.toml:4: colour: unknown key" in lines[0]
    assert lines[1].startswith("r.toml:3: text: a repetition inside a repetition")
    assert "r.toml:10: amount_max: 5 is below amount_min 10" in lines
    assert "r.toml:13: label: a label goes with account only" in lines
    assert 'r.toml:17: sign: must be "inbound" or "outbound"' in lines
    assert any(ln.startswith("r.toml:19: review: say exactly one of") for ln in lines)
    assert any(ln.startswith("r.toml:21: rule: name: every rule needs a name") for ln in lines)
    assert "r.toml:27: amount_min: 1.005 has more decimals than EUR has" in lines
    assert any(
        ln.startswith("r.toml:33: amount_max: an amount range needs its currency") for ln in lines
    )


def test_toml_syntax_error_names_its_line_and_duplicate_names():
    (line,) = problems('[[rule]]\nname = "x"\nreview = tru\n')
    assert line.startswith("r.toml:3: TOML: not valid TOML")
    (line,) = problems('[[rule]]\nname = "x"\nreview = true\n[[rule]]\nname = "X"\nreview = true\n')
    assert line.startswith("r.toml:5: name: 'X' is already the name of the rule at line 1")
    (line,) = problems('colour = 1\n[[rule]]\nname = "x"\nreview = true\n')
    assert line.startswith("r.toml:1: colour: unknown key")


def test_amounts_are_exact_never_floats():
    rules = parse_rules(
        '[[rule]]\nname = "x"\namount_min = 0.1\namount_max = 0.30\ncurrency = "eur"\n'
        "review = true\n",
        "r.toml",
    ).rules
    assert rules[0].when.amount_min == Decimal("0.1")
    assert rules[0].when.currency == "EUR"
    assert first_match(rules, view("0.30"))


def test_the_shipped_example_parses():
    entry = resources.files("payctl.importers").joinpath("bank_rules", "example.toml")
    rules = parse_rules(entry.read_text(encoding="utf-8"), "example.toml").rules
    assert [r.then.action for r in rules] == [
        Action.ACCOUNT,
        Action.ACCOUNT,
        Action.REVIEW,
        Action.TRANSFER,
        Action.PAYMENT,
    ]

"""Bank rules against the database: a rules file checked (its accounts, journals and partners
exist), tried on stored lines without writing, and resolved for an import.

The rules themselves are pure (``payctl.domain.bank_rules``); reading the file is
``payctl.importers.rules_file``; what a decision books is ``rule_decisions``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Account, BankLine, Journal
from payctl.db.uow import unit_of_work
from payctl.domain.bank_rules import Action, LineView, Rule, first_match, proposal
from payctl.domain.enums import JournalType, PartnerKind, PaymentType, is_inbound
from payctl.domain.enums import partner_kind_allows as kind_allows
from payctl.domain.money import from_minor
from payctl.errors import NotFound
from payctl.importers.rules_file import RulesFile, RulesFileError, load_rules
from payctl.services import lookups

RULES_FILE_NAME = "rules.toml"
OWN_JOURNALS = (JournalType.BANK, JournalType.CASH)


def default_rules_path() -> Path:
    """``rules.toml`` beside the default database: ``$XDG_DATA_HOME/payctl/rules.toml``."""
    from payctl.config import default_database_path

    return default_database_path().parent / RULES_FILE_NAME


@dataclass(frozen=True)
class PartnerTarget:
    id: int
    name: str
    kind: PartnerKind


@dataclass(frozen=True)
class ResolvedRules:
    """A checked rules file: its rules in order, and the partners their payments go to (by
    the ``partner`` value as written)."""

    path: str
    rules: tuple[Rule, ...]
    partners: dict[str, PartnerTarget]

    def decide(self, line: LineView) -> tuple[Rule, str] | None:
        return first_match(self.rules, line)


def line_view(
    journal: str,
    amount: int,
    currency: str,
    reference: str | None,
    remittance: str | None,
    counterparty: str | None,
    account: str | None,
) -> LineView:
    """What the rules see of a bank line (its amount in minor units of ``currency``)."""
    text = " ".join(filter(None, [reference, remittance]))
    return LineView(from_minor(amount, currency), currency, journal, text, counterparty, account)


def payment_type_for(kind: PartnerKind, inbound: bool) -> PaymentType:
    """The first payment type of the line's direction the partner may use: a payment before a
    refund (PaymentType's order), so a partner of both kinds gets a payment."""
    return next(t for t in PaymentType if is_inbound(t) == inbound and kind_allows(kind, t))


async def resolve(session: AsyncSession, parsed: RulesFile) -> ResolvedRules:
    """Check what the rules name against the database; RulesFileError naming each unknown
    account, journal and partner (file, line, field)."""
    codes = {c.upper() for c in (await session.scalars(select(Account.code))).all()}
    rows = await session.execute(select(Journal.code, Journal.type))
    journals = {code.upper(): jtype for code, jtype in rows}
    partners: dict[str, PartnerTarget] = {}
    problems: list[str] = []
    for index, rule in enumerate(parsed.rules):
        found = _known_names(rule, codes, journals)
        problems += [parsed.problem(index, key, text) for key, text in found]
        target = str(rule.then.target)
        if rule.then.action is Action.PAYMENT and target not in partners:
            try:
                p = await lookups.partner(session, target)
            except NotFound:
                problems.append(parsed.problem(index, "partner", f"unknown partner {target!r}"))
            else:
                partners[target] = PartnerTarget(p.id, p.name, p.kind)
    if problems:
        raise RulesFileError(problems)
    return ResolvedRules(parsed.path, parsed.rules, partners)


def _known_names(
    rule: Rule, codes: set[str], journals: dict[str, JournalType]
) -> list[tuple[str, str]]:
    """(key, problem) for each account or journal a rule names that is not there."""
    when, then = rule.when, rule.then
    out: list[tuple[str, str]] = []
    if when.journal is not None and when.journal not in journals:
        out.append(("journal", f"unknown journal {when.journal!r}: see `payctl journal list`"))
    target = str(then.target)
    if then.action is Action.ACCOUNT and target.upper() not in codes:
        out.append(("account", f"unknown account {target!r}: see `payctl account list`"))
    if then.action is not Action.TRANSFER:
        return out
    kind = journals.get(target)
    if kind is None:
        out.append(("transfer_to", f"unknown journal {target!r}: see `payctl journal list`"))
    elif kind not in OWN_JOURNALS:
        out.append(("transfer_to", f"journal {target} is a {kind} journal, not bank or cash"))
    elif when.journal == target:
        out.append(("transfer_to", "a transfer goes to another journal than `journal`"))
    return out


async def load_resolved(session: AsyncSession, path: str | Path) -> ResolvedRules:
    return await resolve(session, load_rules(path))


@dataclass(frozen=True)
class RulesSummary:
    file: str
    rules: int
    actions: dict[str, int]


@dataclass(frozen=True)
class RuleTrial:
    """What the rules would do with one stored bank line (nothing is written)."""

    line: int
    journal: str
    date: dt.date
    amount: Decimal
    currency: str
    counterparty: str | None
    text: str | None
    state: str
    rule: str | None
    action: str | None
    target: str | None
    reason: str | None


class RulesService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    @unit_of_work(write=False)
    async def check(self, path: str) -> RulesSummary:
        """Validate a rules file: its syntax and values, and what it names in the database."""
        resolved = await load_resolved(self.session, path)
        actions = Counter(r.then.action.value for r in resolved.rules)
        return RulesSummary(path, len(resolved.rules), dict(sorted(actions.items())))

    @unit_of_work(write=False)
    async def test(self, path: str, line_ids: Sequence[str]) -> list[RuleTrial]:
        """Which rule would decide each of the stored lines, and why; writes nothing. The
        rules look at a line whatever its state (its state says whether an import would have
        asked them: only lines matching left in review are)."""
        resolved = await load_resolved(self.session, path)
        ids = [self._id(ident) for ident in line_ids]
        rows = await self.session.execute(
            select(BankLine, Journal.code)
            .join(Journal, Journal.id == BankLine.journal_id)
            .where(BankLine.id.in_(ids))
        )
        found = {line.id: (line, code) for line, code in rows}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise NotFound(f"unknown bank line {', '.join(missing)}: see `payctl review list`")
        return [self._trial(resolved, *found[i]) for i in ids]

    @staticmethod
    def _id(ident: str) -> int:
        value = lookups.as_id(str(ident).lstrip("#"))
        if value is None or value > lookups.MAX_ID:
            raise NotFound(f"unknown bank line {ident}: see `payctl review list`")
        return value

    @staticmethod
    def _trial(resolved: ResolvedRules, line: BankLine, journal: str) -> RuleTrial:
        view = line_view(
            journal,
            line.amount,
            line.currency,
            line.structured_reference,
            line.remittance,
            line.counterparty_name,
            line.counterparty_account,
        )
        decided = resolved.decide(view)
        rule, reason = decided if decided else (None, None)
        return RuleTrial(
            line.id,
            journal,
            line.booking_date,
            view.amount,
            line.currency,
            line.counterparty_name,
            view.text or None,
            line.state,
            rule.name if rule else None,
            rule.then.action.value if rule else None,
            rule.then.target if rule else None,
            proposal(rule, reason) if rule and reason else None,
        )

"""IntegrityService: the invariants `payctl check` verifies, computed set-wise in SQL.

Each check is one or a few aggregate queries over the whole ledger (no query per row), so the
run stays fast on large books. The whole run reads one consistent snapshot (a read
transaction on SQLite, REPEATABLE READ on PostgreSQL), so concurrent writers cannot produce
false alarms. Every check returns ``Violation`` records; nothing is raised for a finding.

The balance formulas follow what is actually posted (domain/journal.py, payment_flow_service):

- customer invoice Dr receivable / Cr sales; customer credit note the other way round;
- customer payment Cr receivable ``amount + write-off`` (inbound), customer refund Dr
  receivable ``amount + write-off`` (outbound); allocations lower the invoice residual by
  ``allocation + write-off``;

so receivable (debit - credit) = customer invoice residuals - customer credit note residuals
- unallocated posted customer payments + unallocated posted customer refunds. Payable
(credit - debit) is the same with vendor bills, vendor credit notes, vendor payments and
vendor refunds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from payctl.db.engine import dialect_name
from payctl.db.models import (
    Account,
    AuditHead,
    BankLine,
    Invoice,
    Journal,
    JournalEntry,
    JournalLine,
    Partner,
    Payment,
    PaymentAllocation,
    Sequence,
)
from payctl.db.uow import gc_paused, transaction
from payctl.domain.enums import (
    SETTLES,
    AccountRole,
    InvoiceState,
    InvoiceType,
    PaymentState,
    PaymentType,
    is_customer_side,
)
from payctl.domain.money import format_amount
from payctl.services import lookups
from payctl.services.ledger import audit_chain, audit_match, bank_balance_check, sequences, settings
from payctl.services.ledger.entries import entry_currency, live_entry, with_entry_currency


@dataclass(frozen=True)
class Violation:
    """One broken invariant: a stable code, the object concerned and a readable message."""

    code: str
    object: str
    message: str


@dataclass(frozen=True)
class Check:
    """One step of `payctl check`: its name and the method that runs it (see ``CHECKS``)."""

    name: str
    run: Callable[[IntegrityService], Awaitable[list[Violation]]]


_MAX_LISTED = 5  # numbers listed in one gap message


@asynccontextmanager
async def read_snapshot(session: AsyncSession) -> AsyncIterator[None]:
    """One consistent read-only snapshot for several queries; joins a running transaction."""
    async with transaction(session, write=False, snapshot=True):
        yield


async def whole_table_plans(session: AsyncSession) -> None:
    """No nested loops for the checks' joins on PostgreSQL, for the running transaction.

    Every check reads whole tables, where hash and merge joins are right whatever the row
    counts. A nested loop only pays off when the planner believes a side has a handful of
    rows, and right after a bulk load its statistics may still say so (the tables were empty,
    or their payments drafts, when last analysed): the loop then runs once per row of a table
    it thought tiny. The planner keeps a nested loop where nothing else can join. SET LOCAL
    ends with the transaction (check's own read snapshot)."""
    if dialect_name(session) == "postgresql":
        await session.execute(text("SET LOCAL enable_nestloop = off"))


def parse_number(number: str, prefix: str = "") -> tuple[str, int, int] | None:
    """``[prefix]<JOURNAL>/<YEAR>/<N>`` -> (journal code, year, N); None when malformed."""
    head, _, value = number.rpartition("/")
    return _with_serial(_parse_head(head, prefix), value)


def _parse_head(head: str, prefix: str) -> tuple[str, str] | None:
    """``[prefix]<JOURNAL>/<YEAR>`` -> (journal code, year text); None when malformed (the
    same for every number of a journal and year: `check` parses each head once)."""
    code, _, year = head.rpartition("/")
    if not code.startswith(prefix) or len(code) == len(prefix):
        return None
    if len(year) != 4 or not year.isdigit():
        return None
    return code[len(prefix) :], year


def _with_serial(head: tuple[str, str] | None, value: str) -> tuple[str, int, int] | None:
    if head is None or not value.isdigit() or int(value) == 0:
        return None
    return head[0], int(head[1]), int(value)


def sort_numbers(
    numbers: Iterable[str | None],
    prefix: str,
    kind: str,
    journals: dict[str, int],
    used: defaultdict[tuple[int, int, str], list[int]],
) -> list[str]:
    """Each number that ``parse_number`` parses, of a known journal, added to ``used[(journal
    id, year, kind)]``; the others returned, in their order. Each distinct head (journal and
    year) is parsed and its journal looked up once; the serial by ``_with_serial``, as
    ``parse_number`` does (tests/unit/test_check_numbers.py holds it to the per-number form)."""
    heads: dict[str, tuple[tuple[str, str] | None, int | None]] = {}
    malformed: list[str] = []
    for number in numbers:
        if number is None:  # pragma: no cover - filtered in SQL
            continue
        head, _, value = number.rpartition("/")
        known = heads.get(head)
        if known is None:
            found = _parse_head(head, prefix)
            known = heads[head] = (found, None if found is None else journals.get(found[0]))
        parsed = _with_serial(known[0], value)
        jid = known[1]
        if parsed is None or jid is None:
            malformed.append(number)
            continue
        used[(jid, parsed[1], kind)].append(parsed[2])
    return malformed


def _payment_violation(
    code: str, pid: int, number: str | None, problem: str, sep: str = " "
) -> Violation:
    """A violation about a payment, named as payctl names a payment everywhere."""
    label = lookups.label(number, pid)
    return Violation(code, label, f"payment {label}{sep}{problem}")


def _money(minor: int | None, currency: str) -> str:
    return format_amount(int(minor or 0), currency)


class IntegrityService:
    def __init__(
        self,
        session: AsyncSession,
        user: str = "system",
        expected_head: tuple[int, str] | None = None,
    ) -> None:
        self.session = session
        self.user = user
        # (count, hash) of the trail as stored outside the database (`check --expect-head`)
        self.expected_head = expected_head
        # (count, hash) of the trail as found by the last check (`check --head` prints it)
        self.head: tuple[int, str] | None = None
        # each payment's last audit record, noted by the chain walk for the comparison after it
        self._last_records: audit_match.LastRecords | None = None

    async def check(self) -> list[Violation]:
        """Run every check of ``CHECKS``, in order, on one snapshot; an empty list means all
        passed."""
        found: list[Violation] = []
        own = not self.session.in_transaction()
        # the audit comparison makes ~20 short-lived, acyclic objects per posted payment: the
        # collector's passes over them cost more than the queries
        with gc_paused():
            await self._check(found, own)
        return found

    async def _check(self, found: list[Violation], own: bool) -> None:
        async with read_snapshot(self.session):
            if own:
                await whole_table_plans(self.session)
            for step in CHECKS:
                found.extend(await step.run(self))

    async def _rows(self, stmt: Any) -> list[Any]:
        """All rows of ``stmt`` as plain rows: run on the session's connection (its
        transaction), not through the ORM's result machinery, which costs per row."""
        conn = await self.session.connection()
        return list((await conn.execute(stmt)).all())

    # ------------------------------------------------------------ entries
    async def _balanced(self) -> list[Violation]:
        debit = func.coalesce(func.sum(JournalLine.debit), 0)
        credit = func.coalesce(func.sum(JournalLine.credit), 0)
        count = func.count(JournalLine.id)
        rows = await self._rows(
            select(JournalEntry.id, JournalEntry.number, count, debit, credit)
            .outerjoin(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .group_by(JournalEntry.id, JournalEntry.number)
            .having(or_(count < 2, debit != credit))
            .order_by(JournalEntry.id)
        )
        currency = dict(  # of the few unbalanced entries only: the scan above stays as it was
            await self._rows(
                with_entry_currency(select(JournalEntry.id, entry_currency())).where(
                    JournalEntry.id.in_([r[0] for r in rows if r[2] >= 2])
                )
            )
            if rows
            else []
        )
        out = []
        for entry_id, number, n, d, c in rows:
            if n < 2:
                text = f"journal entry {number} has {n} line(s); an entry needs at least two"
            else:
                text = (
                    f"journal entry {number} does not balance: debit "
                    f"{_money(d, currency[entry_id])} != credit {_money(c, currency[entry_id])}"
                )
            out.append(Violation("entry_unbalanced", number, text))
        return out

    async def _payment_entries(self) -> list[Violation]:
        live = (
            select(JournalEntry.payment_id.label("pid"), func.count().label("n"))
            .where(
                JournalEntry.payment_id.is_not(None),
                JournalEntry.source_type == "payment",
                live_entry(),
            )
            .group_by(JournalEntry.payment_id)
            .subquery()
        )
        n = func.coalesce(live.c.n, 0)
        rows = await self._rows(
            select(Payment.id, Payment.number, Payment.state, n)
            .outerjoin(live, live.c.pid == Payment.id)
            .where(
                or_(
                    and_(Payment.state == PaymentState.POSTED, n != 1),
                    and_(Payment.state != PaymentState.POSTED, n != 0),
                )
            )
            .order_by(Payment.id)
        )
        out = [
            _payment_violation(
                "payment_entry",
                pid,
                number,
                f"is {PaymentState(state).value} and has {count} live journal entries "
                f"(expected {1 if state == PaymentState.POSTED else 0})",
            )
            for pid, number, state, count in rows
        ]
        return out + await self._payment_amounts()

    async def _payment_amounts(self) -> list[Violation]:
        """The live entry of a posted payment moves its amount plus its write-offs.

        One aggregate over a union (lines moved, amount, write-offs, each keyed by payment),
        not a join of two aggregates: right after a bulk import PostgreSQL has no statistics
        yet, estimated such a join at one row and ran it as a nested loop over every pair
        (85 s at 40,000 payments). A single GROUP BY has no join order to get wrong.
        """
        zero = literal(0)
        parts = union_all(
            select(
                JournalEntry.payment_id.label("pid"),
                JournalLine.debit.label("got"),
                zero.label("want"),
                literal(1).label("lines"),
                zero.label("posted"),
            )
            .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .where(
                JournalEntry.payment_id.is_not(None),
                JournalEntry.source_type == "payment",
                live_entry(),
            ),
            select(Payment.id, zero, Payment.amount, zero, literal(1)).where(
                Payment.state == PaymentState.POSTED
            ),
            select(PaymentAllocation.payment_id, zero, PaymentAllocation.writeoff, zero, zero),
        ).subquery()
        got, want = func.sum(parts.c.got), func.sum(parts.c.want)
        bad = (
            select(parts.c.pid, got.label("got"), want.label("want"))
            .group_by(parts.c.pid)
            .having(func.sum(parts.c.lines) > 0, func.sum(parts.c.posted) > 0, got != want)
            .subquery()
        )
        rows = await self._rows(
            select(Payment.id, Payment.number, bad.c.got, bad.c.want, Payment.currency)
            .join(bad, bad.c.pid == Payment.id)
            .order_by(Payment.id)
        )
        return [
            _payment_violation(
                "payment_entry_amount",
                pid,
                number,
                f"its live entry moves {_money(got, cur)}, expected amount plus write-offs "
                f"{_money(want, cur)}",
                sep=": ",
            )
            for pid, number, got, want, cur in rows
        ]

    async def _reversals(self) -> list[Violation]:
        rev, orig = aliased(JournalEntry), aliased(JournalEntry)
        out = []
        # a reversal must point at an entry that points back, for the same payment/invoice
        for r_id, r_num, o_num, back in await self._rows(
            select(rev.id, rev.number, orig.number, orig.reversed_by_id)
            .join(orig, orig.id == rev.reversal_of_id)
            .where(
                or_(
                    orig.reversed_by_id.is_(None),
                    orig.reversed_by_id != rev.id,
                    rev.payment_id.is_distinct_from(orig.payment_id),
                    rev.invoice_id.is_distinct_from(orig.invoice_id),
                )
            )
            .order_by(rev.id)
        ):
            why = (
                "is not marked as reversed by it"
                if back is None
                else "is marked as reversed by another entry"
                if back != r_id
                else "belongs to another payment or invoice"
            )
            out.append(
                Violation(
                    "reversal_link", r_num, f"reversal {r_num} points at {o_num}, which {why}"
                )
            )
        for o_num, r_num in await self._rows(
            select(orig.number, rev.number)
            .join(rev, rev.id == orig.reversed_by_id)
            .where(or_(rev.reversal_of_id.is_(None), rev.reversal_of_id != orig.id))
            .order_by(orig.id)
        ):
            out.append(
                Violation(
                    "reversal_link",
                    o_num,
                    f"entry {o_num} is marked as reversed by {r_num}, "
                    "which is not a reversal of it",
                )
            )
        return out + await self._mirrors()

    async def _mirrors(self) -> list[Violation]:
        """A reversal undoes its original exactly: per account and partner the pair nets to 0."""
        rev = aliased(JournalEntry)
        net = (JournalLine.debit - JournalLine.credit).label("net")
        pairs = union_all(
            select(rev.id.label("rev"), JournalLine.account_id, JournalLine.partner_id, net)
            .join(JournalLine, JournalLine.entry_id == rev.id)
            .where(rev.reversal_of_id.is_not(None)),
            select(rev.id.label("rev"), JournalLine.account_id, JournalLine.partner_id, net)
            .join(JournalLine, JournalLine.entry_id == rev.reversal_of_id)
            .where(rev.reversal_of_id.is_not(None)),
        ).subquery()
        bad = (
            select(pairs.c.rev)
            .group_by(pairs.c.rev, pairs.c.account_id, pairs.c.partner_id)
            .having(func.sum(pairs.c.net) != 0)
            .subquery()
        )
        rows = await self._rows(
            select(JournalEntry.number)
            .where(JournalEntry.id.in_(select(bad.c.rev)))
            .order_by(JournalEntry.id)
        )
        return [
            Violation(
                "reversal_mirror",
                number,
                f"reversal {number} does not exactly undo the entry it reverses",
            )
            for (number,) in rows
        ]

    # ----------------------------------------------------------- invoices
    async def _invoices(self) -> list[Violation]:
        applied = (
            select(
                PaymentAllocation.invoice_id.label("iid"),
                func.sum(PaymentAllocation.amount + PaymentAllocation.writeoff).label("sum"),
            )
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(Payment.state == PaymentState.POSTED)
            .group_by(PaymentAllocation.invoice_id)
            .subquery()
        )
        done = func.coalesce(applied.c.sum, 0)
        expected_state = case(
            (Invoice.residual == 0, literal(InvoiceState.PAID.value)),
            (Invoice.residual == Invoice.total, literal(InvoiceState.OPEN.value)),
            else_=literal(InvoiceState.PARTIAL.value),
        )
        rows = await self._rows(
            select(
                Invoice.number,
                Invoice.total,
                Invoice.residual,
                Invoice.state,
                Invoice.currency,
                done,
                expected_state,
            )
            .outerjoin(applied, applied.c.iid == Invoice.id)
            .where(
                or_(
                    Invoice.residual != Invoice.total - done,
                    and_(Invoice.state != InvoiceState.CANCELLED, Invoice.state != expected_state),
                )
            )
            .order_by(Invoice.id)
        )
        out = []
        for number, total, residual, state, cur, paid, want_state in rows:
            if residual != total - paid:
                out.append(
                    Violation(
                        "invoice_residual",
                        number,
                        f"invoice {number}: residual {format_amount(residual, cur)}, expected "
                        f"total {format_amount(total, cur)} - {format_amount(paid, cur)} applied "
                        f"by posted payments = {format_amount(total - paid, cur)}",
                    )
                )
            state_value = InvoiceState(state).value
            if state_value != InvoiceState.CANCELLED.value and state_value != want_state:
                out.append(
                    Violation(
                        "invoice_state",
                        number,
                        f"invoice {number}: state {state_value} but its residual "
                        f"{format_amount(residual, cur)} of {format_amount(total, cur)} "
                        f"means {want_state}",
                    )
                )
        return out

    async def _invoice_bookings(self) -> list[Violation]:
        """Every invoice that is not cancelled has one live booking entry of its total."""
        booked = (
            select(
                JournalEntry.invoice_id.label("iid"),
                func.count(JournalEntry.id.distinct()).label("n"),
                func.sum(JournalLine.debit).label("debit"),
            )
            .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
            .where(
                JournalEntry.invoice_id.is_not(None),
                JournalEntry.source_type == "invoice",
                live_entry(),
            )
            .group_by(JournalEntry.invoice_id)
            .subquery()
        )
        n = func.coalesce(booked.c.n, 0)
        rows = await self._rows(
            select(Invoice.number, Invoice.total, Invoice.currency, n, booked.c.debit)
            .outerjoin(booked, booked.c.iid == Invoice.id)
            .where(
                Invoice.state != InvoiceState.CANCELLED,
                or_(n != 1, booked.c.debit != Invoice.total),
            )
            .order_by(Invoice.id)
        )
        out = []
        for number, total, cur, count, debit in rows:
            if count != 1:
                text = f"invoice {number} has {count} live booking entries (expected 1)"
            else:
                text = (
                    f"invoice {number}: its booking entry moves {format_amount(debit, cur)}, "
                    f"the invoice total is {format_amount(total, cur)}"
                )
            out.append(Violation("invoice_booking", number, text))
        return out

    # ---------------------------------------------------------- open items
    async def _open_items(self) -> list[Violation]:
        roles = {
            AccountRole(r): i
            for r, i in await self._rows(
                select(Account.role, Account.id).where(
                    Account.role.in_([AccountRole.RECEIVABLE, AccountRole.PAYABLE])
                )
            )
        }
        expected = await self._expected_open_items()
        out: list[Violation] = []
        for role, sign, invoice_side in (
            (AccountRole.RECEIVABLE, 1, "customer"),
            (AccountRole.PAYABLE, -1, "vendor"),
        ):
            account_id = roles.get(role)
            if account_id is None:
                out.append(
                    Violation(
                        f"{role.value}_balance",
                        "chart of accounts",
                        f"no account has the {role.value} role",
                    )
                )
                continue
            ledger = {
                pid: sign * int(v)
                for pid, v in await self._rows(
                    select(JournalLine.partner_id, func.sum(JournalLine.debit - JournalLine.credit))
                    .where(JournalLine.account_id == account_id)
                    .group_by(JournalLine.partner_id)
                )
            }
            out.extend(await self._compare(role, invoice_side, ledger, expected[role]))
        return out

    async def _expected_open_items(self) -> dict[AccountRole, dict[int | None, int]]:
        """Per partner: the open items each control account must show (module docstring)."""
        want: dict[AccountRole, dict[int | None, int]] = {
            AccountRole.RECEIVABLE: defaultdict(int),
            AccountRole.PAYABLE: defaultdict(int),
        }
        credit_notes = (InvoiceType.CUSTOMER_CREDIT_NOTE, InvoiceType.VENDOR_CREDIT_NOTE)
        invoice_sign = {
            t: (
                AccountRole.RECEIVABLE if is_customer_side(t) else AccountRole.PAYABLE,
                -1 if t in credit_notes else 1,
            )
            for t in InvoiceType
        }
        for partner_id, inv_type, residual in await self._rows(
            select(Invoice.partner_id, Invoice.type, func.sum(Invoice.residual))
            .where(Invoice.state != InvoiceState.CANCELLED)
            .group_by(Invoice.partner_id, Invoice.type)
        ):
            role, sign = invoice_sign[InvoiceType(inv_type)]
            want[role][partner_id] += sign * int(residual)
        # an unallocated payment counts on the side of what it settles, the other way round
        payment_sign = {
            t: (invoice_sign[SETTLES[t]][0], -invoice_sign[SETTLES[t]][1]) for t in PaymentType
        }
        allocated = (
            select(
                PaymentAllocation.payment_id.label("pid"),
                func.sum(PaymentAllocation.amount).label("sum"),
            )
            .group_by(PaymentAllocation.payment_id)
            .subquery()
        )
        for partner_id, p_type, unallocated in await self._rows(
            select(
                Payment.partner_id,
                Payment.type,
                func.sum(Payment.amount - func.coalesce(allocated.c.sum, 0)),
            )
            .outerjoin(allocated, allocated.c.pid == Payment.id)
            .where(Payment.state == PaymentState.POSTED)
            .group_by(Payment.partner_id, Payment.type)
        ):
            role, sign = payment_sign[PaymentType(p_type)]
            want[role][partner_id] += sign * int(unallocated)
        return want

    async def _compare(
        self,
        role: AccountRole,
        side: str,
        ledger: dict[int | None, int],
        want: dict[int | None, int],
    ) -> list[Violation]:
        code = f"{role.value}_balance"
        out: list[Violation] = []
        got_total, want_total = sum(ledger.values()), sum(want.values())
        bad = sorted(
            (p for p in set(ledger) | set(want) if ledger.get(p, 0) != want.get(p, 0)),
            key=lambda p: (p is None, p or 0),
        )
        if got_total == want_total and not bad:
            return out
        # Sums over every currency (no exchange rates yet): shown in the database's default
        # currency, which they are in when it is the only one.
        cur = await settings.default_currency(self.session)
        if got_total != want_total:
            out.append(
                Violation(
                    code,
                    role.value,
                    f"{role.value} balance in the ledger is {_money(got_total, cur)}, the open "
                    f"{side} items add up to {_money(want_total, cur)}",
                )
            )
        names = (
            dict(
                await self._rows(
                    select(Partner.id, Partner.name).where(Partner.id.in_([p for p in bad if p]))
                )
            )
            if bad
            else {}
        )
        for pid in bad:
            who = names.get(pid, f"partner #{pid}") if pid is not None else "(no partner)"
            out.append(
                Violation(
                    code,
                    who,
                    f"{role.value} of {who} in the ledger is {_money(ledger.get(pid, 0), cur)}, "
                    f"its open {side} items add up to {_money(want.get(pid, 0), cur)}",
                )
            )
        return out

    # ------------------------------------------------------------- numbers
    async def _numbers(self) -> list[Violation]:
        journals = {code: jid for jid, code in await self._rows(select(Journal.id, Journal.code))}
        counters = {
            (jid, year, kind): last
            for jid, year, kind, last in await self._rows(
                select(Sequence.journal_id, Sequence.year, Sequence.kind, Sequence.last_value)
            )
        }
        out: list[Violation] = []
        used: defaultdict[tuple[int, int, str], list[int]] = defaultdict(list)
        for kind, prefix, column in (
            (sequences.PAYMENT, "", Payment.number),
            (sequences.ENTRY, "JE/", JournalEntry.number),
        ):
            conn = await self.session.connection()
            numbers = await conn.execute(select(column).where(column.is_not(None)))
            for number in sort_numbers(numbers.scalars().all(), prefix, kind, journals, used):
                out.append(
                    Violation(
                        "number_malformed",
                        number,
                        f"{kind} number {number} does not follow "
                        f"{prefix}<JOURNAL>/<YEAR>/<NNNNN> with a known journal",
                    )
                )
        codes = {jid: code for code, jid in journals.items()}
        for key in sorted(set(used) | {k for k, last in counters.items() if last}):
            out.extend(
                self._sequence_problems(key, codes[key[0]], used.get(key, []), counters.get(key))
            )
        return out

    @staticmethod
    def _sequence_problems(
        key: tuple[int, int, str], code: str, values: list[int], counter: int | None
    ) -> list[Violation]:
        _, year, kind = key
        where = f"{'JE/' if kind == sequences.ENTRY else ''}{code}/{year}"
        out = []
        counts = Counter(values)
        dupes = sorted(v for v, n in counts.items() if n > 1)
        if dupes:
            out.append(
                Violation(
                    "number_duplicate",
                    where,
                    f"{kind} numbers in {where} used more than once: "
                    + ", ".join(map(str, dupes[:_MAX_LISTED])),
                )
            )
        top = max(counts, default=0)
        missing = top - len(counts)
        if missing:
            gaps = [v for v in range(1, top + 1) if v not in counts][:_MAX_LISTED]
            out.append(
                Violation(
                    "number_gap",
                    where,
                    f"{kind} numbers in {where} have {missing} gap(s), first "
                    f"missing: {', '.join(map(str, gaps))}",
                )
            )
        if (counter or 0) != top:
            out.append(
                Violation(
                    "sequence_mismatch",
                    where,
                    f"{kind} counter of {where} is at {counter or 0} but the highest "
                    f"number used is {top}",
                )
            )
        return out

    # --------------------------------------------------------------- audit
    # ------------------------------------------------------------ bank lines
    async def _bank_lines(self) -> list[Violation]:
        """A line that reconciled a payment needs it posted (else its reconciliation entry
        books money the payment no longer owes); a matched line holds no cancelled payment
        (it left the review queue while nothing is booked for it); a line holds a payment of
        its own journal; a payment is on one bank line at most (two would count its money
        twice)."""
        line_journal, pay_journal = aliased(Journal), aliased(Journal)
        rows = await self._rows(
            select(
                BankLine.id,
                BankLine.link,
                line_journal.code,
                Payment.id,
                Payment.number,
                Payment.state,
                pay_journal.code,
            )
            .join(Payment, Payment.id == BankLine.payment_id)
            .join(line_journal, line_journal.id == BankLine.journal_id)
            .join(pay_journal, pay_journal.id == Payment.journal_id)
            .where(
                BankLine.state == "matched",
                or_(
                    and_(BankLine.link == "reconciled", Payment.state != PaymentState.POSTED),
                    Payment.state == PaymentState.CANCELLED,
                    BankLine.journal_id != Payment.journal_id,
                ),
            )
            .order_by(BankLine.id)
        )
        out = []
        for line_id, link, line_code, pid, number, state, pay_code in rows:
            label = lookups.label(number, pid)
            if line_code != pay_code:
                out.append(
                    Violation(
                        "bank_line_journal",
                        f"bank line {line_id}",
                        f"bank line {line_id} of journal {line_code} holds payment {label} "
                        f"of journal {pay_code}",
                    )
                )
            if link == "reconciled" and state != PaymentState.POSTED:
                out.append(
                    Violation(
                        "bank_line_payment",
                        f"bank line {line_id}",
                        f"bank line {line_id} is matched and reconciles payment {label}, "
                        f"which is {PaymentState(state).value}, not posted",
                    )
                )
            elif state == PaymentState.CANCELLED:
                out.append(
                    Violation(
                        "bank_line_payment",
                        f"bank line {line_id}",
                        f"bank line {line_id} is matched to payment {label}, which is "
                        "cancelled: the line is out of the review queue with nothing booked",
                    )
                )
        twice = (
            select(BankLine.payment_id)
            .where(BankLine.payment_id.is_not(None))
            .group_by(BankLine.payment_id)
            .having(func.count() > 1)
        )
        held = await self._rows(
            select(Payment.id, Payment.number, BankLine.id)
            .join(BankLine, BankLine.payment_id == Payment.id)
            .where(Payment.id.in_(twice))
            .order_by(Payment.id, BankLine.id)
        )
        lines: dict[tuple[int, str | None], list[int]] = defaultdict(list)
        for pid, number, line_id in held:
            lines[(pid, number)].append(line_id)
        for (pid, number), ids in lines.items():
            out.append(
                _payment_violation(
                    "payment_on_several_lines",
                    pid,
                    number,
                    f"is held by {len(ids)} bank lines ({', '.join(map(str, ids))}): its "
                    f"money is counted {len(ids)} times",
                )
            )
        return out

    async def _bank_balances(self) -> list[Violation]:
        """Per journal: the bank suspense account equals the undecided lines, the bank
        account the opening balance plus the lines and the last closing balance
        (bank_balance_check.py)."""
        return [Violation(*f) for f in await bank_balance_check.findings(self.session)]

    async def _transfers(self) -> list[Violation]:
        """The internal transfer account holds the transfers on their way; pairs are one
        amount out and in (services/bank/transfers.py)."""
        from payctl.services.bank import transfers

        return [Violation(*f) for f in await transfers.findings(self.session)]

    async def _audit_chain(self) -> list[Violation]:
        """The hash chain, streamed in id order in chunks (audit_chain.py), against the head
        row and, with ``--expect-head``, the head stored outside the database."""
        head = await self.session.scalar(select(AuditHead.last_hash).where(AuditHead.id == 1))
        if head is None:
            return [Violation("audit_chain", "audit_head", "the audit chain head row is missing")]
        chain = audit_chain.ChainCheck(self.expected_head[0] if self.expected_head else None)
        last: audit_match.LastRecords = {}
        async for rows in audit_chain.chunks(self.session):
            chain.feed(rows)
            audit_match.note_last_records(last, rows)
        self._last_records = last  # for _audit_objects, next on the same snapshot
        problem = chain.result(head)
        out = [Violation("audit_chain", "audit_log", problem)] if problem else []
        self.head = (chain.count, chain.last)
        if self.expected_head is not None:
            moved = chain.head_problem(*self.expected_head)
            if moved:
                out.append(Violation("audit_head", "audit_log", moved))
        return out

    async def _audit_objects(self) -> list[Violation]:
        """Posted payments, their entries and bank lines say what the audit trail recorded."""
        last, self._last_records = self._last_records, None
        found = await audit_match.posted_payments(self.session, last)
        found += await audit_match.bank_lines(self.session)
        return [Violation(*f) for f in found]


# The one registry of `payctl check`: every step, by name, in the order it runs.
CHECKS = (
    Check("journal entries balanced", IntegrityService._balanced),
    Check("one live entry per posted payment", IntegrityService._payment_entries),
    Check("reversals linked both ways and mirrored", IntegrityService._reversals),
    Check("invoice residuals and states", IntegrityService._invoices),
    Check("invoice bookings", IntegrityService._invoice_bookings),
    Check("receivable and payable equal the open items", IntegrityService._open_items),
    Check("numbers unique and gapless", IntegrityService._numbers),
    Check(
        "bank lines hold posted payments of their journal, each once",
        IntegrityService._bank_lines,
    ),
    Check(
        "bank suspense and bank balances follow the bank lines",
        IntegrityService._bank_balances,
    ),
    Check(
        "internal transfers on their way equal the transfer account",
        IntegrityService._transfers,
    ),
    Check("audit chain intact", IntegrityService._audit_chain),
    Check(
        "posted payments, entries and bank lines match the audit trail",
        IntegrityService._audit_objects,
    ),
)

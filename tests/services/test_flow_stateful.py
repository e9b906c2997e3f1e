"""Hypothesis state machine over the payment workflow (issue 3, "Tests"), on SQLite.

Rules create drafts (random amount, maybe allocated), allocate, confirm (maybe with
write-off), reset, cancel and delete in random order. A small model predicts whether each
call succeeds; after every step the invariants that ``payctl check`` verifies are computed
with plain SQL here, and checked again with IntegrityService (`payctl check`):

- every posted payment has exactly one live journal entry, other payments none;
- every entry balances; reversal links point both ways;
- each invoice residual == total - allocations (+ write-offs) of posted payments, >= 0;
- receivable balance == open customer invoice residuals - unallocated posted payments;
- payment numbers are gapless; the audit chain is intact.

Each example starts from a copy of one initialised SQLite file (fast), and runs its async
service calls on one event loop held by the machine.
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)
from sqlalchemy import func, select

from payctl.config import normalise_url
from payctl.db.engine import Database
from payctl.db.models import (
    Account,
    AuditHead,
    AuditRecord,
    Invoice,
    JournalEntry,
    JournalLine,
    Payment,
    PaymentAllocation,
)
from payctl.domain.enums import (
    AccountRole,
    InvoiceState,
    PaymentState,
    PaymentType,
    invoice_state_for,
)
from payctl.errors import RuleViolation
from payctl.services.ledger import audit
from payctl.services.ledger.integrity_service import IntegrityService
from payctl.services.payments.payment_flow_service import PaymentFlowService
from payctl.services.payments.payment_service import PaymentService
from tests import factories
from tests.conftest import init_database

INVOICES = {"INV-A": 100000, "INV-B": 50000, "INV-C": 25050}  # totals in cents
TOLERANCE = 100  # the default write-off tolerance, 1.00
DATE = "2026-03-02"
ACTIONS = [
    "create",
    "create",
    "allocate",
    "confirm",
    "confirm",
    "confirm",
    "reset",
    "cancel",
    "delete",
]

_TEMPLATE: dict[str, Path] = {}


def template() -> Path:
    """An initialised SQLite file with one customer and three open invoices, built once."""
    if "path" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="payctl-stateful-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.db"
        url = normalise_url(f"sqlite:///{path}")

        async def build() -> None:
            await init_database(url)
            db = Database(url)
            try:
                async with db.session() as s:
                    await factories.customer(s)
                    for number, total in INVOICES.items():
                        await factories.invoice(s, number, amount=str(Decimal(total) / 100))
            finally:
                await db.dispose()

        asyncio.run(build())
        _TEMPLATE["path"] = path
    return _TEMPLATE["path"]


def money(cents: int) -> str:
    return str(Decimal(cents) / 100)


@dataclass
class ModelPayment:
    amount: int
    allocations: dict[str, int] = field(default_factory=dict)
    state: str = "draft"
    numbered: bool = False


class PaymentFlowMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="payctl-sm-"))
        path = self.folder / "payctl.db"
        shutil.copyfile(template(), path)
        self.runner = asyncio.Runner()
        self.db = Database(normalise_url(f"sqlite:///{path}"))
        self.payments: dict[int, ModelPayment] = {}
        self.residual = dict(INVOICES)  # model residuals
        self.writeoff: dict[tuple[int, str], int] = {}

    # ------------------------------------------------------------------ plumbing
    def call(self, make: Any) -> Any:
        """Run ``make(session)`` in a fresh session on the machine's event loop."""

        async def go() -> Any:
            async with self.db.session() as session:
                return await make(session)

        return self.runner.run(go())

    def expect(self, what: str, ok: bool, make: Any) -> Any:
        """Call the service; it must succeed when the model says so, else refuse cleanly."""
        event(f"{what}: {'ok' if ok else 'refused'}")
        try:
            result = self.call(make)
        except RuleViolation as exc:
            assert not ok, f"{what} refused unexpectedly: {exc.message}"
            return None
        assert ok, f"{what} accepted although the model expected a refusal"
        return result

    def teardown(self) -> None:
        self.runner.run(self.db.dispose())
        self.runner.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def fits(self, amount: int, allocations: dict[str, int]) -> bool:
        return sum(allocations.values()) <= amount and all(
            a <= self.residual[inv] for inv, a in allocations.items()
        )

    def pick(self, data: st.DataObject, prefer: str | None = None) -> tuple[int, ModelPayment]:
        """Any payment; mostly one in state ``prefer`` when there is one (so that most
        transitions are valid ones, while invalid ones still come up)."""
        ids = sorted(self.payments)
        preferred = [pid for pid in ids if self.payments[pid].state == prefer]
        if preferred and data.draw(st.integers(0, 3), label="prefer") > 0:
            ids = preferred
        pid = data.draw(st.sampled_from(ids), label="payment")
        return pid, self.payments[pid]

    def allocation_amount(self, data: st.DataObject, invoice: str) -> int:
        residual = self.residual[invoice]
        mode = data.draw(st.sampled_from(["within", "within", "near", "any"]), label="mode")
        if mode == "within":
            return data.draw(st.integers(1, max(1, residual)), label="allocation")
        if mode == "near":  # the residual or just below it: exercises write-off tolerance
            return max(1, residual - data.draw(st.integers(0, 150), label="gap"))
        return data.draw(st.integers(1, 120000), label="allocation")

    # --------------------------------------------------------------------- rules
    @initialize(data=st.data())
    def first_draft(self, data: st.DataObject) -> None:
        while not self.payments:
            self._create(data, data.draw(st.booleans(), label="allocate"))

    # One rule picks the action from a weighted list (Hypothesis draws rules uniformly;
    # these weights keep drafts coming and most steps doing real transitions).
    @rule(data=st.data(), action=st.sampled_from(ACTIONS))
    def step(self, data: st.DataObject, action: str) -> None:
        getattr(self, action)(data)

    def delete(self, data: st.DataObject) -> None:
        if len(self.payments) < 2:  # keep one: the other actions need a payment
            return self.create(data)
        pid, p = self.pick(data, prefer="draft")
        ok = p.state == "draft" and not p.numbered
        if (
            self.expect("delete", ok, lambda s: PaymentService(s, "sm").delete_payment(pid))
            is not None
        ):
            del self.payments[pid]

    def create(self, data: st.DataObject) -> None:
        self._create(data, data.draw(st.integers(0, 3), label="allocate") > 0)

    def _create(self, data: st.DataObject, allocate: bool) -> None:
        allocations: dict[str, int] = {}
        if allocate:
            invoice = data.draw(st.sampled_from(sorted(INVOICES)), label="invoice")
            allocations[invoice] = self.allocation_amount(data, invoice)
        if allocations and data.draw(st.integers(0, 3), label="amount >= allocation") > 0:
            amount = sum(allocations.values()) + data.draw(st.integers(0, 5000), label="extra")
        else:
            amount = data.draw(st.integers(1, 150000), label="amount")
        ok = self.fits(amount, allocations)
        view = self.expect(
            "create",
            ok,
            lambda s: factories.draft(
                s,
                amount=money(amount),
                date=DATE,
                allocations=[(inv, money(a)) for inv, a in allocations.items()],
            ),
        )
        if view is not None:
            self.payments[view.id] = ModelPayment(amount, allocations)

    def allocate(self, data: st.DataObject) -> None:
        pid, p = self.pick(data, prefer="draft")
        invoice = data.draw(st.sampled_from(sorted(INVOICES)), label="invoice")
        amount = self.allocation_amount(data, invoice)
        after = {**p.allocations, invoice: amount}
        ok = p.state == "draft" and self.fits(p.amount, after)
        if (
            self.expect(
                "allocate",
                ok,
                lambda s: PaymentService(s, "sm").set_allocation(pid, invoice, money(amount)),
            )
            is not None
        ):
            p.allocations = after

    def confirm(self, data: st.DataObject) -> None:
        pid, p = self.pick(data, prefer="draft")
        write_off = data.draw(st.booleans(), label="write_off")
        ok = p.state == "draft" and self.fits(p.amount, p.allocations)
        view = self.expect(
            "confirm",
            ok,
            lambda s: PaymentFlowService(s, "sm").confirm_payment(pid, write_off=write_off),
        )
        if view is None:
            return
        assert view.state == "posted"
        for invoice, amount in p.allocations.items():
            gap = self.residual[invoice] - amount
            extra = gap if write_off and 0 < gap <= TOLERANCE else 0
            if extra:
                event("confirm: write-off booked")
            self.writeoff[(pid, invoice)] = extra
            self.residual[invoice] -= amount + extra
        p.state, p.numbered = "posted", True

    def _unpost(self, pid: int, p: ModelPayment, target: str) -> None:
        if p.state == "posted":
            for invoice, amount in p.allocations.items():
                self.residual[invoice] += amount + self.writeoff.pop((pid, invoice), 0)
        p.state = target

    def reset(self, data: st.DataObject) -> None:
        pid, p = self.pick(data, prefer="posted")
        if (
            self.expect(
                "reset",
                p.state == "posted",
                lambda s: PaymentFlowService(s, "sm").reset_payment_to_draft(pid),
            )
            is not None
        ):
            self._unpost(pid, p, "draft")

    def cancel(self, data: st.DataObject) -> None:
        pid, p = self.pick(data, prefer="posted")
        if (
            self.expect(
                "cancel",
                p.state != "cancelled",
                lambda s: PaymentFlowService(s, "sm").cancel_payment(pid),
            )
            is not None
        ):
            self._unpost(pid, p, "cancelled")

    # ---------------------------------------------------------------- invariants
    @invariant()
    def ledger_is_consistent(self) -> None:
        facts = self.call(gather_facts)
        problems = check_facts(facts)
        assert problems == [], problems
        # the database agrees with the model
        assert facts["states"] == {pid: p.state for pid, p in self.payments.items()}
        assert {n: r for n, (_, r, _, _) in facts["invoices"].items()} == self.residual
        # and `payctl check` agrees
        violations = self.call(lambda s: IntegrityService(s).check())
        assert violations == [], violations


# ------------------------------------------------------------------ invariant SQL


async def gather_facts(s: Any) -> dict[str, Any]:
    payments = {
        pid: (state, amount, ptype, number)
        for pid, state, amount, ptype, number in (
            await s.execute(
                select(Payment.id, Payment.state, Payment.amount, Payment.type, Payment.number)
            )
        ).all()
    }
    allocations = (
        await s.execute(
            select(
                PaymentAllocation.payment_id,
                PaymentAllocation.invoice_id,
                PaymentAllocation.amount,
                PaymentAllocation.writeoff,
            )
        )
    ).all()
    invoices = {
        number: (iid, residual, total, state)
        for iid, number, residual, total, state in (
            await s.execute(
                select(Invoice.id, Invoice.number, Invoice.residual, Invoice.total, Invoice.state)
            )
        ).all()
    }
    entries = (
        await s.execute(
            select(
                JournalEntry.id,
                JournalEntry.payment_id,
                JournalEntry.reversal_of_id,
                JournalEntry.reversed_by_id,
            )
        )
    ).all()
    sums = (
        await s.execute(
            select(
                JournalLine.entry_id,
                func.count(),
                func.sum(JournalLine.debit),
                func.sum(JournalLine.credit),
            ).group_by(JournalLine.entry_id)
        )
    ).all()
    receivable = await s.scalar(
        select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
        .join(Account, Account.id == JournalLine.account_id)
        .where(Account.role == AccountRole.RECEIVABLE)
    )
    records = list((await s.execute(select(AuditRecord).order_by(AuditRecord.id))).scalars())
    head = await s.scalar(select(AuditHead.last_hash).where(AuditHead.id == 1))
    return {
        "payments": payments,
        "allocations": allocations,
        "invoices": invoices,
        "entries": entries,
        "sums": sums,
        "receivable": int(receivable or 0),
        "chain": audit.verify_chain(records, head),
        "states": {pid: row[0].value for pid, row in payments.items()},
    }


def _entry_problems(f: dict[str, Any]) -> list[str]:
    """Entries balance with at least two lines; reversal links point both ways."""
    problems = [
        f"entry {entry_id}: {lines} lines, debit {debit} credit {credit}"
        for entry_id, lines, debit, credit in f["sums"]
        if lines < 2 or debit != credit
    ]
    if {e[0] for e in f["entries"]} != {row[0] for row in f["sums"]}:
        problems.append("an entry without lines")
    by_id = {e[0]: e for e in f["entries"]}
    for eid, _, reversal_of, reversed_by in f["entries"]:
        if reversal_of is not None and by_id[reversal_of][3] != eid:
            problems.append(f"entry {eid} reverses {reversal_of} which does not point back")
        if reversed_by is not None and by_id[reversed_by][2] != eid:
            problems.append(f"entry {eid} is reversed by {reversed_by} which does not point back")
    return problems


def _payment_problems(f: dict[str, Any]) -> list[str]:
    """One live entry per posted payment, none for the others; gapless numbers."""
    live: dict[int, int] = defaultdict(int)
    for _, pid, reversal_of, reversed_by in f["entries"]:
        if pid is not None and reversal_of is None and reversed_by is None:
            live[pid] += 1
    problems = [
        f"payment {pid} ({state}) has {live.get(pid, 0)} live entries"
        for pid, (state, *_rest) in f["payments"].items()
        if live.get(pid, 0) != (1 if state == PaymentState.POSTED else 0)
    ]
    numbers = sorted(n for _, _, _, n in f["payments"].values() if n)
    if numbers != [f"BNK1/2026/{i:05d}" for i in range(1, len(numbers) + 1)]:
        problems.append(f"payment numbers not gapless: {numbers}")
    return problems


def _invoice_problems(f: dict[str, Any]) -> list[str]:
    """Residual == total - allocations (+ write-offs) of posted payments, >= 0; the
    receivable ledger == open customer residuals - unallocated posted customer payments."""
    payments = f["payments"]
    problems = []
    settled: dict[int, int] = defaultdict(int)
    allocated: dict[int, int] = defaultdict(int)
    for pid, iid, amount, writeoff in f["allocations"]:
        allocated[pid] += amount
        if payments[pid][0] == PaymentState.POSTED:
            settled[iid] += amount + writeoff
        elif writeoff:
            problems.append(f"payment {pid} is not posted but keeps a write-off")
    for number, (iid, residual, total, state) in f["invoices"].items():
        if residual != total - settled[iid] or residual < 0:
            problems.append(
                f"invoice {number}: residual {residual}, expected {total - settled[iid]}"
            )
        if state != InvoiceState.CANCELLED and state != invoice_state_for(total, residual):
            problems.append(f"invoice {number}: state {state} for residual {residual}")
    open_items = sum(residual for _, residual, _, _ in f["invoices"].values())
    unallocated = sum(
        amount - allocated[pid]
        for pid, (state, amount, ptype, _) in payments.items()
        if state == PaymentState.POSTED and ptype == PaymentType.CUSTOMER_PAYMENT
    )
    if f["receivable"] != open_items - unallocated:
        problems.append(
            f"receivable {f['receivable']} != open items {open_items} - unallocated {unallocated}"
        )
    return problems


def check_facts(f: dict[str, Any]) -> list[str]:
    chain = [f["chain"]] if f["chain"] is not None else []
    return _entry_problems(f) + _payment_problems(f) + _invoice_problems(f) + chain


def test_check_facts_can_fail() -> None:
    """The invariant checker is not vacuous: it flags a corrupted snapshot."""
    facts = {
        "payments": {
            1: (PaymentState.POSTED, 1000, PaymentType.CUSTOMER_PAYMENT, "BNK1/2026/00002")
        },
        "allocations": [(1, 7, 400, 0)],
        "invoices": {"INV-A": (7, 1000, 1000, InvoiceState.OPEN)},
        "entries": [(1, 1, None, None), (2, 1, None, None)],
        "sums": [(1, 2, 1000, 1000), (2, 2, 1000, 999)],
        "receivable": 0,
        "chain": "audit record 3: content does not match its hash (edited)",
    }
    problems = " | ".join(check_facts(facts))
    for expected in (
        "entry 2",
        "2 live entries",
        "invoice INV-A: residual 1000, expected 600",
        "receivable 0",
        "not gapless",
        "audit record 3",
    ):
        assert expected in problems


PaymentFlowMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestPaymentFlow = PaymentFlowMachine.TestCase

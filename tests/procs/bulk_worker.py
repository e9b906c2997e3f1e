"""Bulk-test helpers, and a worker process that bulk-confirms payments.

As a library (imported by the bulk tests):
  - ``seed_drafts`` creates many drafts fast: invoices through InvoiceService.import_invoices
    (so they are booked like any invoice), payments and their allocations by direct inserts
    with their audit records appended to the chain — seconds for thousands, on both backends;
  - ``integrity_problems`` lists broken ledger invariants: IntegrityService's violations when
    payctl/services/ledger/integrity_service.py exists, plus our own SQL checks (entries
    balanced, one live entry per posted payment, payment and entry numbers 1..N without gaps
    and matching the sequences, invoice residuals matching the posted allocations, audit chain
    intact);
  - ``table_counts`` / ``payment_states`` snapshot the database for before/after comparisons.

As a script (spawned by tests/services/test_bulk_concurrency.py):

    python tests/procs/bulk_worker.py URL IDS_FILE [--ready FILE --go FILE] [--atomic]

bulk-confirms the payments listed in IDS_FILE (one id or number per line) through
PaymentFlowService.bulk and prints one JSON line
``{"succeeded": n, "skipped": n, "failed": n, "batches": n, "failures": [...]}``;
exit 0 when no item failed, 1 otherwise. With ``--create`` IDS_FILE is a payments CSV that it
bulk-creates (PaymentService.create_payments), printing
``{"created": n, "skipped": n, "failed": 0, "ids": [payment id of each row]}``.
With ``--ready FILE --go FILE`` it imports everything, creates the ready file, then waits
(up to 60 s) until the go file exists, so two workers can be released at the same moment.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.engine import Database
from payctl.db.models import (
    AuditHead,
    AuditRecord,
    Invoice,
    Journal,
    Partner,
    Payment,
    PaymentAllocation,
)
from payctl.db.uow import begin
from payctl.db.uow import commit as uow_commit
from payctl.domain.enums import PaymentState, PaymentType, invoice_state_for
from payctl.importers.records import SourceRow
from payctl.services.ledger import audit
from tests.procs.startline import HandshakeTimeout, arrive

TABLES = (
    "payments",
    "payment_allocations",
    "invoices",
    "journal_entries",
    "journal_lines",
    "audit_log",
    "sequences",
    "partners",
)

# ----------------------------------------------------------------------------- seeding


async def seed_drafts(
    session: AsyncSession,
    n: int,
    *,
    prefix: str = "S",
    allocate: bool = True,
    partner: str = "ACME GmbH",
    journal: str = "BNK1",
    amount_minor: int = 10_000,
    date: dt.date = dt.date(2026, 2, 1),
) -> list[int]:
    """``n`` customer-payment drafts of ``amount_minor`` each; with ``allocate`` each is fully
    allocated to its own open invoice ``{prefix}-INV-00001``… of the same amount.
    Returns the new payment ids in creation (= id) order. Commits."""
    from payctl.services.parties.invoice_service import InvoiceService
    from payctl.services.parties.partner_service import PartnerService

    await session.rollback()
    if await session.scalar(select(Partner.id).where(Partner.name == partner)) is None:
        await session.rollback()
        await PartnerService(session, "seed").create_partner(partner, "customer")
    await session.rollback()
    numbers = [f"{prefix}-INV-{i:05d}" for i in range(1, n + 1)]
    if allocate:
        amount = f"{amount_minor // 100}.{amount_minor % 100:02d}"
        rows = [
            SourceRow(
                i + 2, {"number": num, "partner": partner, "amount": amount, "date": "2026-01-05"}
            )
            for i, num in enumerate(numbers)
        ]
        await InvoiceService(session, "seed").import_invoices(
            rows, ["number", "partner", "amount", "date"], "seed.csv"
        )
    await begin(session, write=True)
    try:
        partner_id = await session.scalar(select(Partner.id).where(Partner.name == partner))
        jid, currency = (
            await session.execute(
                select(Journal.id, Journal.currency).where(Journal.code == journal)
            )
        ).one()
        now = dt.datetime.now(dt.UTC)
        rows_p = [
            {
                "type": PaymentType.CUSTOMER_PAYMENT,
                "state": PaymentState.DRAFT,
                "partner_id": partner_id,
                "journal_id": jid,
                "amount": amount_minor,
                "currency": currency,
                "date": date,
                "reference": f"{prefix}-{i:05d}",
                "created_by": "seed",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(1, n + 1)
        ]
        ids = [
            r[0]
            for r in await session.execute(
                insert(Payment).returning(Payment.id, sort_by_parameter_order=True), rows_p
            )
        ]
        allocations: dict[int, dict[str, int]] = {}
        if allocate:
            invoice_ids = dict(
                (
                    await session.execute(
                        select(Invoice.number, Invoice.id).where(Invoice.number.in_(numbers))
                    )
                ).all()
            )
            rows_a = [
                {
                    "payment_id": pid,
                    "invoice_id": invoice_ids[num],
                    "amount": amount_minor,
                    "writeoff": 0,
                }
                for pid, num in zip(ids, numbers, strict=True)
            ]
            await session.execute(insert(PaymentAllocation), rows_a)
            allocations = {r["payment_id"]: {str(r["invoice_id"]): amount_minor} for r in rows_a}
        await audit.append(
            session,
            [
                audit.AuditEvent(
                    "seed",
                    "create",
                    "payment",
                    pid,
                    {
                        "number": None,
                        "type": "customer_payment",
                        "state": "draft",
                        "partner_id": partner_id,
                        "journal_id": jid,
                        "amount": amount_minor,
                        "currency": currency,
                        "date": date.isoformat(),
                        "reference": f"{prefix}-{i:05d}",
                        "memo": None,
                        "allocations": allocations.get(pid, {}),
                    },
                    payment_id=pid,
                )
                for i, pid in enumerate(ids, start=1)
            ],
        )
        await uow_commit(session)
    except BaseException:
        await session.rollback()
        raise
    return ids


# ----------------------------------------------------------------------------- snapshots


async def table_counts(session: AsyncSession) -> dict[str, int]:
    out = {t: int(await session.scalar(text(f"SELECT COUNT(*) FROM {t}")) or 0) for t in TABLES}
    out["sequence_total"] = int(
        await session.scalar(text("SELECT COALESCE(SUM(last_value), 0) FROM sequences")) or 0
    )
    out["invoice_residual_total"] = int(
        await session.scalar(text("SELECT COALESCE(SUM(residual), 0) FROM invoices")) or 0
    )
    await session.rollback()
    return out


async def payment_states(session: AsyncSession) -> dict[int, tuple[str, str | None]]:
    """payment id -> (state, number), read fresh."""
    rows = (
        await session.execute(
            select(Payment.id, Payment.state, Payment.number).execution_options(
                populate_existing=True
            )
        )
    ).all()
    await session.rollback()
    return {pid: (PaymentState(state).value, number) for pid, state, number in rows}


async def count_state(session: AsyncSession, state: str) -> int:
    n = await session.scalar(
        select(func.count()).select_from(Payment).where(Payment.state == PaymentState(state))
    )
    await session.rollback()
    return int(n or 0)


# ----------------------------------------------------------------------------- invariants


def _gap_problems(what: str, numbers: list[str], sequences: dict[str, int]) -> list[str]:
    """numbers like BNK1/2026/00007 or JE/BNK1/2026/00007: per prefix exactly 1..N, N = counter."""
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for number in numbers:
        head, _, tail = number.rpartition("/")
        by_prefix[head].append(int(tail))
    problems = []
    for head, values in sorted(by_prefix.items()):
        if sorted(values) != list(range(1, len(values) + 1)):
            missing = sorted(set(range(1, max(values) + 1)) - set(values))[:5]
            problems.append(
                f"{what} numbers {head}/…: not 1..{len(values)} "
                f"(duplicates or gaps, e.g. missing {missing})"
            )
        counter = sequences.get(head, 0)
        if counter != len(values):
            problems.append(f"{what} numbers {head}/…: sequence at {counter}, {len(values)} used")
    for head, counter in sequences.items():
        if counter and head not in by_prefix:
            problems.append(f"{what} numbers {head}/…: sequence at {counter}, none used")
    return problems


async def sql_problems(session: AsyncSession) -> list[str]:
    """Ledger invariants checked with plain SQL (independent of payctl's own check)."""
    problems: list[str] = []
    unbalanced = (
        await session.execute(
            text(
                "SELECT e.number, COALESCE(SUM(l.debit), 0), COALESCE(SUM(l.credit), "
                "0), COUNT(l.id) "
                "FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id "
                "GROUP BY e.id, e.number "
                "HAVING COALESCE(SUM(l.debit), 0) <> COALESCE(SUM(l.credit), 0) OR COUNT(l.id) < 2"
            )
        )
    ).all()
    problems += [
        f"entry {num} unbalanced or without lines: Dr {d} Cr {c}, {k} lines"
        for num, d, c, k in unbalanced
    ]
    live: dict[int, int] = dict(
        (
            await session.execute(
                text(  # SQLite plans the join badly
                    "SELECT payment_id, COUNT(*) FROM journal_entries WHERE payment_id IS NOT NULL "
                    "AND reversal_of_id IS NULL AND reversed_by_id IS NULL GROUP BY payment_id"
                )
            )
        ).all()
    )
    for pid, state in (await session.execute(text("SELECT id, state FROM payments"))).all():
        want, n = (1 if state == "posted" else 0), live.pop(pid, 0)
        if n != want:
            problems.append(f"payment #{pid} ({state}) has {n} live entries, expected {want}")
    bad_links = (
        (
            await session.execute(
                text(
                    "SELECT e.number FROM journal_entries e JOIN journal_entries r ON "
                    "r.id = e.reversed_by_id "
                    "WHERE r.reversal_of_id IS NULL OR r.reversal_of_id <> e.id"
                )
            )
        )
        .scalars()
        .all()
    )
    problems += [f"entry {num}: reversal link not mutual" for num in bad_links]

    seqs = (
        await session.execute(
            text(
                "SELECT j.code, s.year, s.kind, s.last_value FROM sequences s "
                "JOIN journals j ON j.id = s.journal_id"
            )
        )
    ).all()
    pay_seq = {f"{code}/{year}": v for code, year, kind, v in seqs if kind == "payment"}
    entry_seq = {f"JE/{code}/{year}": v for code, year, kind, v in seqs if kind == "entry"}
    pay_numbers = (
        (await session.execute(text("SELECT number FROM payments WHERE number IS NOT NULL")))
        .scalars()
        .all()
    )
    entry_numbers = (
        (await session.execute(text("SELECT number FROM journal_entries"))).scalars().all()
    )
    problems += _gap_problems("payment", list(pay_numbers), pay_seq)
    problems += _gap_problems("entry", list(entry_numbers), entry_seq)
    never_numbered = (
        (
            await session.execute(
                text("SELECT id FROM payments WHERE state = 'posted' AND number IS NULL")
            )
        )
        .scalars()
        .all()
    )
    problems += [f"posted payment #{pid} has no number" for pid in never_numbered]

    invoices = (
        await session.execute(
            text(
                "SELECT i.number, i.total, i.residual, i.state, "
                "COALESCE(SUM(CASE WHEN p.state = 'posted' THEN a.amount + a.writeoff "
                "ELSE 0 END), 0) "
                "FROM invoices i LEFT JOIN payment_allocations a ON a.invoice_id = i.id "
                "LEFT JOIN payments p ON p.id = a.payment_id "
                "GROUP BY i.id, i.number, i.total, i.residual, i.state"
            )
        )
    ).all()
    for number, total, residual, state, applied in invoices:
        if residual != total - applied:
            problems.append(f"invoice {number}: residual {residual}, expected {total - applied}")
        if state != invoice_state_for(total, residual).value:
            problems.append(f"invoice {number}: state {state} does not fit residual {residual}")

    records = list(
        (
            await session.execute(
                select(AuditRecord)
                .order_by(AuditRecord.id)
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )
    head = await session.scalar(select(AuditHead.last_hash).where(AuditHead.id == 1))
    broken = audit.verify_chain(records, head)
    if broken:
        problems.append(broken)
    await session.rollback()
    return problems


async def integrity_problems(session: AsyncSession) -> list[str]:
    """IntegrityService(session).check()'s violations when that service exists, plus ours."""
    await session.rollback()
    problems: list[str] = []
    try:
        from payctl.services.ledger.integrity_service import IntegrityService
    except ModuleNotFoundError as exc:
        if exc.name != "payctl.services.ledger.integrity_service":
            raise
    else:
        result = await IntegrityService(session).check()
        problems += [f"IntegrityService: {v}" for v in getattr(result, "violations", result)]
        await session.rollback()
    return problems + await sql_problems(session)


# ----------------------------------------------------------------------------- the worker


async def _confirm(url: str, idents: list[str], atomic: bool) -> dict[str, Any]:
    from payctl.services.payments.bulk_types import BulkOptions
    from payctl.services.payments.payment_flow_service import PaymentFlowService
    from payctl.services.payments.selection import Selection

    db = Database(url)
    try:
        async with db.session() as session:
            report = await PaymentFlowService(session, "worker").bulk(
                "confirm", Selection(tuple(idents)), BulkOptions(atomic=atomic)
            )
    finally:
        await db.dispose()
    return {
        "succeeded": report.succeeded,
        "skipped": report.skipped,
        "failed": report.failed,
        "batches": report.batches,
        "rolled_back": report.rolled_back,
        "failures": [f"{i.item}: {i.message}" for i in report.items if not i.ok],
    }


async def _create(url: str, path: str) -> dict[str, Any]:
    """`bulk create` of a payments file through PaymentService.create_payments."""
    from payctl.importers.tabular import read_source_rows
    from payctl.services.payments.payment_service import PaymentService

    table = read_source_rows(path)
    db = Database(url)
    try:
        async with db.session() as session:
            result = await PaymentService(session, "worker").create_payments(
                table.rows, table.header, table.source
            )
    finally:
        await db.dispose()
    return {
        "created": result.created,
        "skipped": result.skipped,
        "failed": 0,
        "ids": [r.payment.id for r in result.rows],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("ids_file")
    parser.add_argument("--ready", help="create this file once imported and ready")
    parser.add_argument("--go", help="wait until this file exists before starting")
    parser.add_argument("--atomic", action="store_true")
    parser.add_argument(
        "--create", action="store_true", help="IDS_FILE is a payments file: bulk-create it instead"
    )
    args = parser.parse_args(argv)
    idents = [ln.strip() for ln in Path(args.ids_file).read_text().splitlines() if ln.strip()]
    import pandas  # noqa: F401 - pay the import costs before the start line

    import payctl.services.payments.bulk_create  # noqa: F401
    import payctl.services.payments.bulk_flow  # noqa: F401

    try:
        arrive(args.ready, args.go)
    except HandshakeTimeout as exc:
        print(json.dumps({"error": str(exc)}))
        return 3
    result = asyncio.run(
        _create(args.url, args.ids_file) if args.create else _confirm(args.url, idents, args.atomic)
    )
    print(json.dumps(result))
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

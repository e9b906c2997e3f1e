"""`bulk create` is safely repeatable (issue "Trust first", point 2): every row has an
idempotency key (the file's `key`/`external_id` column, else content fingerprint + occurrence),
stored under a unique index. Re-running a file creates nothing, identical rows are separate
payments, the report lists every row in file order, all bad rows are reported at once and
nothing is written, a dry run writes nothing, and the statement count does not grow with the
file.

Runs on every backend of the ``backend`` fixture; the service acts through the ``session``
fixture and results are read back through fresh sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import event, func, select

from payctl.db.engine import Database
from payctl.db.models import AuditRecord, Payment
from payctl.errors import InputError, InputErrors
from payctl.importers.records import SourceRow
from payctl.services.payments.bulk_create import BulkCreateResult
from payctl.services.payments.payment_service import PaymentService
from tests import factories
from tests.procs.bulk_worker import integrity_problems, table_counts

HEADER = ["type", "partner", "journal", "amount", "date", "reference", "memo", "allocations"]
A = ["customer_payment", "ACME GmbH", "BNK1", "100.00", "2026-02-01", "R-1", "", "INV-1=100.00"]
B = ["customer_payment", "ACME GmbH", "BNK1", "25.00", "2026-02-02", "", "cash desk", ""]
C = ["vendor_payment", "Supplier BV", "BNK1", "80.00", "2026-02-03", "R-2", "", ""]


def table(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> list[SourceRow]:
    return [SourceRow(i + 2, dict(zip(header, r, strict=True))) for i, r in enumerate(rows)]


async def create(
    session: Any, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER, **kw: Any
) -> BulkCreateResult:
    return await PaymentService(session, "tester").create_payments(
        table(rows, header), list(header), "payments.csv", **kw
    )


async def counts(db: Database) -> dict[str, int]:
    async with db.session() as s:
        return await table_counts(s)


async def payments(db: Database) -> list[tuple[int, str | None, int, str | None]]:
    async with db.session() as s:
        rows = (
            await s.execute(
                select(
                    Payment.id, Payment.reference, Payment.amount, Payment.idempotency_key
                ).order_by(Payment.id)
            )
        ).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.fixture
async def partners(session: Any) -> None:
    await factories.customer(session)
    await factories.vendor(session)
    await factories.invoice(session, "INV-1", amount="100.00")


def outcome(result: BulkCreateResult) -> list[tuple[int, str]]:
    return [(r.line, r.status) for r in result.rows]


async def test_running_the_same_file_again_creates_nothing(session, db, partners):
    rows = [A, B, C]
    first = await create(session, rows)
    assert outcome(first) == [(2, "created"), (3, "created"), (4, "created")]
    created = await payments(db)
    assert len(created) == 3 and all(key for *_, key in created)
    before = await counts(db)

    again = await create(session, rows)

    assert outcome(again) == [(2, "skipped"), (3, "skipped"), (4, "skipped")]
    assert (again.created, again.skipped) == (0, 3)
    assert [r.payment.id for r in again.rows] == [r.payment.id for r in first.rows]
    assert again.rows[1].message == f"already created from this row: payment #{created[1][0]}"
    assert await counts(db) == before  # no payment, allocation or audit record added
    assert await payments(db) == created


async def test_identical_rows_are_separate_payments_and_a_rerun_adds_only_new_copies(
    session, db, partners
):
    """Two identical rows without a reference are two receipts; so are two with the same one."""
    result = await create(session, [B, A, B, A])
    assert outcome(result) == [(2, "created"), (3, "created"), (4, "created"), (5, "created")]
    assert len({r.key for r in result.rows}) == 4
    assert [p[1] for p in await payments(db)] == [None, "R-1", None, "R-1"]

    grown = await create(session, [B, A, B, A, B])  # the same file with a third B appended

    assert outcome(grown) == [
        (2, "skipped"),
        (3, "skipped"),
        (4, "skipped"),
        (5, "skipped"),
        (6, "created"),
    ]
    assert [r.key for r in grown.rows[:4]] == [r.key for r in result.rows]
    assert len(await payments(db)) == 5


async def test_the_key_is_the_content_not_its_spelling_nor_the_row_order(session, db, partners):
    await create(session, [A, C])
    respelled = [
        "Customer_Payment",
        "acme gmbh",
        "bnk1",
        "100",
        "2026-02-01",
        "R-1",
        "",
        "INV-1=100.0",
    ]
    result = await create(session, [C, respelled])
    assert outcome(result) == [(2, "skipped"), (3, "skipped")]
    changed = [*A[:3], "99.00", *A[4:7], "INV-1=99.00"]
    assert outcome(await create(session, [changed])) == [(2, "created")]
    assert len(await payments(db)) == 3


@pytest.mark.parametrize("column", ["key", "external_id"])
async def test_a_key_column_identifies_the_rows(session, db, partners, column):
    header = [*HEADER, column]
    first = await create(session, [[*A, "K-1"], [*B, "K-2"], [*B, "K-3"]], header)
    assert outcome(first) == [(2, "created"), (3, "created"), (4, "created")]
    assert [p[3] for p in await payments(db)] == ["key:K-1", "key:K-2", "key:K-3"]

    # the same keys with edited content are the same payments; a new key is a new payment
    edited = [[*B, "K-1"], [*C, "K-4"], [*A, "K-2"]]
    again = await create(session, edited, header)

    assert outcome(again) == [(2, "skipped"), (3, "created"), (4, "skipped")]
    assert again.rows[0].payment.id == first.rows[0].payment.id
    assert len(await payments(db)) == 4


async def test_every_bad_row_is_reported_at_once_in_file_order_and_nothing_written(
    session, db, partners
):
    before = await counts(db)
    rows = [
        A,
        ["customer_payment", "Nobody GmbH", "BNK1", "10.00", "2026-02-04", "", "", ""],
        B,
        [*A[:3], "12.3.4", *A[4:]],
        ["cheque", "ACME GmbH", "BNK1", "10.00", "", "", "", ""],
        [*A[:3], "500.00", *A[4:7], "INV-1=500.00"],  # more than the invoice's residual
        [*A[:4], "2026-31-02", *A[5:]],
    ]
    with pytest.raises(InputErrors) as caught:
        await create(session, rows)

    problems = caught.value.problems
    assert [p.split(": ", 2)[1] for p in problems[:-1]] == [
        "row 3",
        "row 5",
        "row 6",
        "row 7",
        "row 8",
    ]
    assert all(p.startswith("payments.csv: row ") for p in problems[:-1])
    assert "partner 'Nobody GmbH'" in problems[0]
    assert "amount" in problems[1] and "type" in problems[2]
    assert "INV-1" in problems[3] and "residual" in problems[3]
    assert "date" in problems[4]
    assert problems[-1] == "payments.csv: 5 bad rows: nothing created"
    assert caught.value.exit_code == 2
    assert await counts(db) == before


@pytest.mark.parametrize(
    ("header", "rows", "expected"),
    [
        ([*HEADER, "key"], [[*A, "K-1"], [*B, ""]], ["payments.csv: row 3: key: value is missing"]),
        (
            [*HEADER, "key"],
            [[*A, "K-1"], [*B, "K-2"], [*C, "K-1"]],
            ["payments.csv: row 4: key 'K-1' is also on row 2: each row needs its own key"],
        ),
        ([*HEADER, "key"], [[*A, "K" * 201]], ["payments.csv: row 2: key: longer than 200"]),
        (
            [*HEADER, "key", "external_id"],
            [[*A, "K-1", "E-1"]],
            ["payments.csv: columns key and external_id: give one key column"],
        ),
        (HEADER[1:], [A[1:]], ["payments.csv: missing column(s) type"]),
    ],
)
async def test_bad_keys_and_columns_are_refused_and_nothing_written(
    session, db, partners, header, rows, expected
):
    before = await counts(db)
    with pytest.raises(InputError) as caught:
        await create(session, rows, header)
    lines = caught.value.message.splitlines()
    assert len(lines) == len(expected)
    assert all(line.startswith(want) for line, want in zip(lines, expected, strict=True)), lines
    assert await counts(db) == before


async def test_a_dry_run_reports_what_would_be_created_and_writes_nothing(session, db, partners):
    await create(session, [A])
    before = await counts(db)

    dry = await create(session, [A, B, B], dry_run=True)

    assert dry.dry_run and outcome(dry) == [(2, "skipped"), (3, "created"), (4, "created")]
    assert dry.rows[1].message == "would be created (dry run)"
    assert await counts(db) == before
    real = await create(session, [A, B, B])
    assert [r.key for r in real.rows] == [r.key for r in dry.rows]
    assert (real.created, real.skipped) == (2, 1)
    async with db.session() as s:
        assert await integrity_problems(s) == []


async def test_created_payments_are_audited_once_each(session, db, partners):
    await create(session, [A, B, B])
    await create(session, [A, B, B])
    async with db.session() as s:
        n = await s.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "create")
        )
        assert n == 3
        assert await integrity_problems(s) == []


@pytest.mark.slow
async def test_statements_per_bulk_create_do_not_grow_with_the_file(session, db, partners):
    def rows(n: int, start: int) -> list[list[str]]:
        return [[*B[:3], f"{start + k}.00", *B[4:]] for k in range(n)]

    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    await create(session, rows(1, 1))  # warm: lookups of the first run
    counted: dict[tuple[str, int], int] = {}
    for n, start in ((10, 100), (1000, 2000)):
        for run in ("new", "rerun"):
            seen.clear()
            event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
            try:
                result = await create(session, rows(n, start))
            finally:
                event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
            assert (result.created, result.skipped) == ((n, 0) if run == "new" else (0, n))
            counted[(run, n)] = len(seen)
    for run in ("new", "rerun"):
        few, many = counted[(run, 10)], counted[(run, 1000)]
        assert many < 40, counted
        assert abs(many - few) <= 4, counted


# --------------------------------------------------------------------------- two at once


async def test_a_run_racing_an_uncommitted_one_for_the_same_rows_creates_nothing(
    db, init_url, partners
):
    """B runs the file while A has created its payments but not committed. On PostgreSQL B's
    insert waits on the unique index, fails when A commits, and B's retry finds every key
    taken; on SQLite B waits for A's write lock. Either way: each row once."""
    import asyncio

    from payctl.db.uow import begin, commit

    rows = [A, B, B, C]
    other = Database(init_url)
    key_reads: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "idempotency_key IN" in statement.replace("payments.", ""):
            key_reads.append(statement)

    event.listen(other.engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        async with db.session() as first, other.session() as second:
            await begin(first, write=True)
            mine = await create(first, rows)  # inside our transaction: not committed yet
            racing = asyncio.create_task(create(second, rows))
            await asyncio.sleep(1.0)  # B has read the keys and waits on A's rows / lock
            assert not racing.done()
            await commit(first)
            theirs = await asyncio.wait_for(racing, 60)
    finally:
        event.remove(other.engine.sync_engine, "before_cursor_execute", on_execute)
        await other.dispose()

    assert (mine.created, theirs.created, theirs.skipped) == (4, 0, 4)
    assert [r.payment.id for r in theirs.rows] == [r.payment.id for r in mine.rows]
    assert len(await payments(db)) == 4
    assert len(key_reads) == (2 if db.engine.dialect.name == "postgresql" else 1)
    async with db.session() as s:
        assert await integrity_problems(s) == []

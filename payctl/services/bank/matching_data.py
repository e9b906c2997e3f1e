"""Loading what the matcher needs for one import, in a handful of set-wise queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.engine import dialect_name
from payctl.db.models import (
    BankLine,
    Invoice,
    Journal,
    JournalEntry,
    JournalLine,
    Partner,
    PartnerBankAccount,
    Payment,
)
from payctl.domain.enums import InvoiceState, PaymentState
from payctl.domain.matching import Matcher, OpenItems, PostedPayment
from payctl.domain.open_items import ReadRows
from payctl.services.ledger.entries import live_entry
from payctl.services.ledger.settings import writeoff_tolerance

DATE_WINDOW_DAYS = 10
FUZZY_CUTOFF = 85
THRESHOLD = 80


def fuzzy_finder(names: dict[int, str]) -> Callable[[str], list[tuple[int, int]]]:
    """Best two partners by name similarity (rapidfuzz), above the cutoff."""
    from rapidfuzz import fuzz, process, utils

    processed = {pid: utils.default_process(name) for pid, name in names.items()}

    def find(name: str) -> list[tuple[int, int]]:
        hits = process.extract(
            utils.default_process(name),
            processed,
            scorer=fuzz.token_sort_ratio,
            processor=None,
            limit=2,
            score_cutoff=FUZZY_CUTOFF,
        )
        return [(key, int(round(score))) for _, score, key in hits]

    return find


def fuzzy_batch(
    names: dict[int, str], queries: list[str], block: int = 256
) -> dict[str, list[tuple[int, int]]]:
    """The same look-up for many names at once (rapidfuzz.cdist, vectorised, both cores).

    Queries go in blocks so the score matrix stays small (block x partners)."""
    import numpy as np
    from rapidfuzz import fuzz, process, utils

    if not queries or not names:
        return {}
    keys = list(names)
    choices = [utils.default_process(names[k]) for k in keys]
    width = min(2, len(keys))
    out = {}
    for start in range(0, len(queries), block):
        chunk = queries[start : start + block]
        scores = process.cdist(
            [utils.default_process(q) for q in chunk],
            choices,
            scorer=fuzz.token_sort_ratio,
            processor=None,
            score_cutoff=FUZZY_CUTOFF,
            workers=-1,
            dtype=np.uint8,
        )
        top = np.argpartition(scores, len(keys) - width, axis=1)[:, -width:]
        for query, row, best in zip(chunk, scores, top, strict=True):
            out[query] = sorted(
                ((keys[i], int(row[i])) for i in best if row[i] >= FUZZY_CUTOFF),
                key=lambda hit: -hit[1],
            )
    return out


def booked_on_bank():  # noqa: ANN201 - SQL expression
    """The payment's live entry already books its journal's bank account (it was confirmed
    while a bank line it was made from held it): reconciling it would count the money twice."""
    return exists().where(
        JournalEntry.payment_id == Payment.id,
        live_entry(),
        JournalLine.entry_id == JournalEntry.id,
        Journal.id == Payment.journal_id,
        JournalLine.account_id == Journal.account_id,
    )


def reconcilable(journal_id: int) -> list[Any]:
    """The payments a bank line of journal ``journal_id`` may reconcile: posted payments of
    that journal, not matched to a line yet, not already booked on its bank account."""
    matched = exists().where(BankLine.payment_id == Payment.id, BankLine.state == "matched")
    return [
        Payment.state == PaymentState.POSTED,
        Payment.journal_id == journal_id,
        ~matched,
        ~booked_on_bank(),
    ]


async def load_matcher(
    session: AsyncSession,
    journal_id: int,
    date_from: dt.date,
    date_to: dt.date,
) -> tuple[Matcher, OpenItems, dict[int, PostedPayment]]:
    """What the matcher needs to decide the lines of one import into ``journal_id``.

    The payments it may reconcile are locked first (PostgreSQL; payments in id order, the lock
    order), then read again: a reset or cancel of one of them, or another import reconciling
    it, either committed before the lock (the second read sees it, the payment is no longer a
    candidate) or waits for this import to commit (and then finds it matched)."""
    # Read in partitions (a server-side cursor): all 500,000 rows fetched at once took ~120 MB
    # more than the open items they make, at the import's peak.
    rows = await session.stream(
        select(
            Invoice.id,
            Invoice.number,
            Invoice.partner_id,
            Invoice.type,
            Invoice.residual,
            Invoice.currency,
            Invoice.date,
        )
        .where(Invoice.state.in_([InvoiceState.OPEN, InvoiceState.PARTIAL]))
        .execution_options(yield_per=10_000)
    )
    read = ReadRows()
    async for part in rows.partitions():
        read.add(part)
    items = OpenItems(read)
    del read
    accounts = dict(
        (
            await session.execute(select(PartnerBankAccount.iban, PartnerBankAccount.partner_id))
        ).all()
    )
    names = dict((await session.execute(select(Partner.id, Partner.name))).all())
    window = dt.timedelta(days=DATE_WINDOW_DAYS)
    candidates = [
        *reconcilable(journal_id),
        Payment.date >= date_from - window,
        Payment.date <= date_to + window,
    ]
    locked: set[int] | None = None
    if dialect_name(session) != "sqlite":  # SQLite: the writer lock is already held
        locked = set(
            (
                await session.execute(
                    select(Payment.id)
                    .where(*candidates)
                    .order_by(Payment.id)
                    .with_for_update(of=Payment)
                )
            ).scalars()
        )
    # A new statement sees what committed while the lock was awaited (READ COMMITTED).
    prow = await session.execute(
        select(
            Payment.id,
            Payment.partner_id,
            Payment.type,
            Payment.amount,
            Payment.currency,
            Payment.date,
            Payment.number,
        ).where(*candidates)
    )
    candidate_rows = [r for r in prow if locked is None or r[0] in locked]
    payments = {r[0]: PostedPayment(*r) for r in candidate_rows}
    matcher = Matcher(
        items,
        accounts,
        names,
        payments.values(),
        writeoff_tolerance=await writeoff_tolerance(session),
        threshold=THRESHOLD,
        date_window=DATE_WINDOW_DAYS,
        fuzzy=fuzzy_finder(names) if names else None,
    )
    return matcher, matcher.items, payments


def prime_fuzzy(matcher: Matcher, lines: list[tuple[str | None, str | None]]) -> None:
    """Batch the fuzzy name look-ups of lines whose account does not name a partner."""
    queries = sorted(
        {
            name
            for name, account in lines
            if name and not (account and account in matcher.partner_accounts)
        }
    )
    matcher.prime_names(fuzzy_batch(matcher.partner_names, queries))

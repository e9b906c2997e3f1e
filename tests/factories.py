"""Small builders for service tests: a customer, a vendor, invoices, drafts; and what tests
read back: row counts and sequence counters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select

from payctl.db import models as m
from payctl.services.events import outbox
from payctl.services.parties.invoice_service import InvoiceService
from payctl.services.parties.partner_service import PartnerService
from payctl.services.payments.payment_service import PaymentService


async def customer(session: Any, name: str = "ACME GmbH", iban: str | None = None) -> Any:
    return await PartnerService(session, "tester").create_partner(
        name, "customer", [iban] if iban else None
    )


async def vendor(session: Any, name: str = "Supplier BV") -> Any:
    return await PartnerService(session, "tester").create_partner(name, "vendor")


async def invoice(
    session: Any,
    number: str,
    partner: str = "ACME GmbH",
    amount: str = "1190.00",
    type: str = "customer_invoice",
    date: str = "2026-01-05",
) -> Any:
    return await InvoiceService(session, "tester").create_invoice(
        number, partner, amount, type, date
    )


async def draft(
    session: Any,
    amount: str = "1190.00",
    partner: str = "ACME GmbH",
    type: str = "customer_payment",
    journal: str = "BNK1",
    allocations: list[tuple[str, str]] | None = None,
    date: str = "2026-02-01",
    **kw: Any,
) -> Any:
    return await PaymentService(session, "tester").create_payment(
        type, partner, journal, amount, date, allocations=allocations or [], **kw
    )


async def row_counts(session: Any, models: Iterable[Any] | Mapping[str, Any]) -> dict[str, int]:
    """Rows in the table of each model, by table name (or by the names a mapping gives)."""
    named = models if isinstance(models, Mapping) else {m.__tablename__: m for m in models}
    return {
        name: int(await session.scalar(select(func.count()).select_from(model)))
        for name, model in named.items()
    }


async def sequence_counters(session: Any) -> list[Any]:
    """(journal, kind, last value) of every number sequence, sorted."""
    rows = await session.execute(
        select(m.Sequence.journal_id, m.Sequence.kind, m.Sequence.last_value)
    )
    return sorted(rows.all())


@contextmanager
def payctl_before_outbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Today's services building a database at a revision before 0008, as the payctl of that
    time did: without writing events (that database has no outbox table yet), and as before
    0009 (payctl_before_suspense)."""

    async def no_events(*_args: Any, **_kwargs: Any) -> None:
        return None

    with monkeypatch.context() as old, payctl_before_suspense(monkeypatch):
        old.setattr(outbox, "emit", no_events)
        yield


@contextmanager
def payctl_before_suspense(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Today's services building a database at a revision before 0009, as the payctl of that
    time did: undecided bank lines book nothing (no bank_lines.suspense_entry_id yet: the review
    queue loads its line without that column, enough for `review ignore`), and the chart has
    no opening balance equity account (its role is not allowed yet)."""
    from sqlalchemy.orm import defer

    from payctl.domain.enums import AccountRole
    from payctl.services import setup_service
    from payctl.services.bank import suspense
    from payctl.services.bank.review_service import ReviewService

    async def line_before_0009(self: ReviewService, line_id: int | str) -> m.BankLine:
        line = await self.session.scalar(
            select(m.BankLine)
            .where(m.BankLine.id == int(str(line_id).lstrip("#")))
            .options(
                defer(m.BankLine.suspense_entry_id, raiseload=True),
                defer(m.BankLine.transfer_journal_id, raiseload=True),
                defer(m.BankLine.transfer_line_id, raiseload=True),
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert line is not None
        return line

    async def nothing_booked(*_args: Any, **_kwargs: Any) -> dict[int, int]:
        return {}

    async def none_pending(*_args: Any, **_kwargs: Any) -> int:
        return 0

    new_roles = (AccountRole.OPENING_EQUITY, AccountRole.INTERNAL_TRANSFER)  # schema 0009's
    chart = [a for a in setup_service.CHART if a[3] not in new_roles]
    with monkeypatch.context() as old:
        old.setattr(suspense, "book", nothing_booked)
        old.setattr(suspense, "book_pending", none_pending)
        old.setattr(setup_service, "CHART", chart)
        old.setattr(ReviewService, "_line", line_before_0009)
        yield

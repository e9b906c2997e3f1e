"""ORM models. Money is integer minor units (BigInteger) plus a currency code.

No ``from __future__ import annotations`` here: with it every ``Mapped[...]`` annotation is a
string SQLAlchemy evaluates (``eval``) when it declares the model, about a tenth of declaring
the 17 models, which every command that opens the database pays (issue 12, benchmarks/README.md
"start-up (round 4)"). Python evaluates them itself now; the three models named before they are
defined are written as strings (``Mapped[list["JournalLine"]]``), which SQLAlchemy resolves.
"""

import datetime as dt
from enum import Enum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from payctl.db import limits
from payctl.domain.enums import (
    AccountRole,
    AccountType,
    InvoiceState,
    InvoiceType,
    JournalType,
    PartnerKind,
    PaymentState,
    PaymentType,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids are never reused, not even those of deleted rows: users type them and the audit trail
# names them. PostgreSQL sequences never go back; SQLite needs AUTOINCREMENT for that (without
# it a new row takes max(id) + 1, the id of a deleted last row). Every table with an integer id
# carries these table args (tests/unit/test_migrations_match_models.py checks it).
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}


def loaded_attribute(obj: Any, key: str) -> Any:
    """``obj``'s value of attribute ``key`` as its session loaded it, if it is loaded and the
    instance has no change since (else None): read from the instance's state, never loading
    (an async session cannot load lazily)."""
    state = getattr(obj, "_sa_instance_state", None)
    if state is None or state.modified:
        return None
    return state.dict.get(key)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def enum_column(enum: type[Enum], name: str) -> SAEnum:
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        length=32,
        create_constraint=True,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[AccountType] = mapped_column(enum_column(AccountType, "account_type"))
    role: Mapped[AccountRole | None] = mapped_column(
        enum_column(AccountRole, "account_role"), unique=True
    )


class Journal(Base):
    __tablename__ = "journals"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[JournalType] = mapped_column(enum_column(JournalType, "journal_type"))
    currency: Mapped[str] = mapped_column(String(3))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    outstanding_receipts_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    outstanding_payments_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    iban: Mapped[str | None] = mapped_column(String(34))
    bank_account_number: Mapped[str | None] = mapped_column(String(64))


class Partner(Base):
    __tablename__ = "partners"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[PartnerKind] = mapped_column(enum_column(PartnerKind, "partner_kind"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    vat: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    ibans: Mapped[list["PartnerBankAccount"]] = relationship(
        back_populates="partner",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="PartnerBankAccount.id",
    )


class PartnerBankAccount(Base):
    __tablename__ = "partner_bank_accounts"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    iban: Mapped[str] = mapped_column(String(34), unique=True)

    partner: Mapped[Partner] = relationship(back_populates="ibans", lazy="raise")


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("residual >= 0 AND residual <= total", name="residual_range"),
        Index(None, "partner_id", "state"),
        Index(None, "state", "date"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[InvoiceType] = mapped_column(enum_column(InvoiceType, "invoice_type"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)
    residual: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[InvoiceState] = mapped_column(enum_column(InvoiceState, "invoice_state"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    partner: Mapped[Partner] = relationship(lazy="raise")


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index(None, "state", "type"),  # list/bulk filters by state, and state + type
        Index(None, "partner_id", "amount"),  # partner filter; matching by partner and amount
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(64), unique=True)
    type: Mapped[PaymentType] = mapped_column(enum_column(PaymentType, "payment_type"))
    state: Mapped[PaymentState] = mapped_column(enum_column(PaymentState, "payment_state"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    # No index on journal_id nor reference (migration 0010): no query they would serve.
    journal_id: Mapped[int] = mapped_column(ForeignKey("journals.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    reference: Mapped[str | None] = mapped_column(String(200))
    memo: Mapped[str | None] = mapped_column(Text)
    # What `bulk create` made this payment from ("key:<the file's key>" or "row:<content
    # fingerprint and occurrence>"); unique, so the same row never makes a second payment,
    # not even from two processes at once. NULL for payments made otherwise.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), index=True, unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    partner: Mapped[Partner] = relationship(lazy="raise")
    journal: Mapped[Journal] = relationship(lazy="raise")
    allocations: Mapped[list["PaymentAllocation"]] = relationship(
        back_populates="payment",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="PaymentAllocation.id",
    )


class PaymentAllocation(Base):
    __tablename__ = "payment_allocations"
    __table_args__ = (
        UniqueConstraint("payment_id", "invoice_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("writeoff >= 0", name="writeoff_non_negative"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    writeoff: Mapped[int] = mapped_column(BigInteger, default=0)

    payment: Mapped[Payment] = relationship(back_populates="allocations", lazy="raise")
    invoice: Mapped[Invoice] = relationship(lazy="raise")


class JournalEntry(Base):
    __tablename__ = "journal_entries"
    __table_args__ = (Index(None, "journal_id", "date"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("journals.id"))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int | None] = mapped_column(Integer)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    reversal_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id"), unique=True
    )
    reversed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id"), unique=True
    )
    memo: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    journal: Mapped[Journal] = relationship(lazy="raise")
    lines: Mapped[list["JournalLine"]] = relationship(
        back_populates="entry", lazy="raise", order_by="JournalLine.id"
    )


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="non_negative"),
        CheckConstraint("(debit = 0) <> (credit = 0)", name="one_side"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    label: Mapped[str | None] = mapped_column(String(200))

    entry: Mapped[JournalEntry] = relationship(back_populates="lines", lazy="raise")
    account: Mapped[Account] = relationship(lazy="raise")


class Sequence(Base):
    """Gapless counters, one row per (journal, year, kind); locked by the consuming txn."""

    __tablename__ = "sequences"
    __table_args__ = (UniqueConstraint("journal_id", "year", "kind"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("journals.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditRecord(Base):
    """Append-only, hash-chained audit trail."""

    __tablename__ = "audit_log"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    payment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    changes: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """Single row locked to serialise appends to the audit chain across processes."""

    __tablename__ = "audit_head"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))


class BankStatement(Base):
    """One imported statement (a file can hold several). Lines hang off it."""

    __tablename__ = "bank_statements"
    __table_args__ = (
        UniqueConstraint("journal_id", "source_hash", "seq"),
        Index(None, "journal_id", "closing_date"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("journals.id"))
    source_name: Mapped[str] = mapped_column(String(500))
    source_hash: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))
    account: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    statement_ref: Mapped[str | None] = mapped_column(String(100))
    opening_balance: Mapped[int | None] = mapped_column(BigInteger)
    closing_balance: Mapped[int | None] = mapped_column(BigInteger)
    opening_date: Mapped[dt.date | None] = mapped_column(Date)
    closing_date: Mapped[dt.date | None] = mapped_column(Date)
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BankLine(Base):
    """A bank statement line: matched (to a payment it created or reconciled), booked (to an
    account, by hand or by a rule), in review, or ignored (review and ignored lines wait in the
    bank suspense account)."""

    __tablename__ = "bank_lines"
    __table_args__ = (
        UniqueConstraint("journal_id", "fingerprint"),
        # the import's dedup (a journal's lines in the file's date range), the reconciliation
        # and transfer queries: all by journal and booking date (migration 0010)
        Index(None, "journal_id", "booking_date"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), index=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("journals.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    booking_date: Mapped[dt.date] = mapped_column(Date)
    value_date: Mapped[dt.date | None] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    counterparty_name: Mapped[str | None] = mapped_column(String(200))
    counterparty_account: Mapped[str | None] = mapped_column(String(64))
    remittance: Mapped[str | None] = mapped_column(Text)
    structured_reference: Mapped[str | None] = mapped_column(String(200))
    transaction_id: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), index=True)  # matched|booked|review|ignored
    link: Mapped[str | None] = mapped_column(String(16))  # created | reconciled | account
    rule: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    candidates: Mapped[str | None] = mapped_column(Text)  # JSON list of the best candidates
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    # A payment is on one bank line at most (created from it, or reconciled by it).
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id"), index=True, unique=True
    )
    reconcile_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    # The entry that holds this line in the bank suspense account while it is undecided
    # (review or ignored; services/bank/suspense.py); NULL once a decision released it.
    suspense_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    # An internal transfer: the journal the money went to (or came from), and the line on
    # that journal's statement it is paired with once both have arrived.
    transfer_journal_id: Mapped[int | None] = mapped_column(ForeignKey("journals.id"))
    transfer_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


limits.install(Base)


class Event(Base):
    """The transactional outbox: one row per state change, written in the same transaction as
    the change (payctl/services/events/outbox.py), read in id order by `payctl events` and the
    relay. Ids are handed out under the audit chain's head lock, so they follow commit order."""

    __tablename__ = "events"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No index but the primary key: every reader pages by id, and a bulk run writes thousands
    # of events (benchmarks/README.md, "Issue 13").
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_number: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)


class EventDestination(Base):
    """Where the relay publishes, and the last event id that destination acknowledged."""

    __tablename__ = "event_destinations"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_acked_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

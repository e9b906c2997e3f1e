"""Finding the objects a user names: payments by id or number, partners by name or id, ..."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payctl.db.models import Invoice, Journal, Partner, Payment
from payctl.domain.idents import id_digits
from payctl.errors import NotFound

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; a larger one names nothing


def as_id(ident: str | int) -> int | None:
    """The id a user wrote (``42`` or ``#42``), or None when it is not one."""
    digits = id_digits(ident)
    return int(digits) if digits is not None and int(digits) <= MAX_ID else None


async def partner(session: AsyncSession, ident: str | int) -> Partner:
    pid = as_id(ident)
    stmt = select(Partner).where(
        Partner.id == pid
        if pid is not None
        else func.lower(Partner.name) == str(ident).strip().lower()
    )
    found = await session.scalar(stmt)
    if found is None and pid is not None:  # a partner literally named "42"
        found = await session.scalar(select(Partner).where(Partner.name == str(ident).strip()))
    if found is None:
        raise NotFound(f"unknown partner {ident!r}: see `payctl partner list`")
    return found


async def journal(session: AsyncSession, code: str) -> Journal:
    found = await session.scalar(
        select(Journal).where(func.upper(Journal.code) == str(code).strip().upper())
    )
    if found is None:
        raise NotFound(f"unknown journal {code!r}: see `payctl journal list`")
    return found


async def invoice(session: AsyncSession, ident: str | int) -> Invoice:
    found = await session.scalar(select(Invoice).where(Invoice.number == str(ident).strip()))
    iid = as_id(ident)
    if found is None and iid is not None:
        found = await session.get(Invoice, iid)
    if found is None:
        raise NotFound(f"unknown invoice {ident!r}: see `payctl invoice list`")
    return found


def payment_filter(ident: str | int):  # noqa: ANN201 - SQL expression
    pid = as_id(ident)
    if pid is not None:
        return Payment.id == pid
    return Payment.number == str(ident).strip()


def label(number: str | None, pid: int) -> str:
    """How payctl names a payment: its number, or ``#id`` while a draft has none."""
    return number or f"#{pid}"


def payment_label(p: Payment) -> str:
    return label(p.number, p.id)

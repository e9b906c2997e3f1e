"""Partners: customers and vendors, with their IBANs."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from payctl.db.models import Invoice, Partner, PartnerBankAccount, Payment, PaymentAllocation
from payctl.db.uow import unit_of_work
from payctl.domain.enums import (
    CUSTOMER_SIDE_INVOICE_TYPES,
    InvoiceType,
    PartnerKind,
    PaymentState,
    PaymentType,
    is_customer_payment,
)
from payctl.domain.iban import parse_iban
from payctl.domain.money import from_minor
from payctl.errors import InputError, RuleViolation
from payctl.services import lookups
from payctl.services.ledger import settings
from payctl.services.rows import (
    ImportResult,
    enum_value,
    parse_field,
    require_columns,
    row_context,
)
from payctl.services.views import Page, PartnerView, partner_view

if TYPE_CHECKING:  # payctl.importers only in the commands that read files (issue 12)
    from payctl.importers.records import SourceRow


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


class PartnerService:
    def __init__(self, session: AsyncSession, user: str = "system") -> None:
        self.session = session
        self.user = user

    async def _iban_owner(self, iban: str) -> str | None:
        return await self.session.scalar(
            select(Partner.name).join(PartnerBankAccount).where(PartnerBankAccount.iban == iban)
        )

    @unit_of_work(write=True)
    async def create_partner(
        self,
        name: str,
        kind: PartnerKind | str = PartnerKind.CUSTOMER,
        ibans: list[str] | None = None,
        email: str | None = None,
        vat: str | None = None,
    ) -> PartnerView:
        name = name.strip()
        if not name:
            raise InputError("name: must not be empty")
        kind = enum_value(PartnerKind, "kind")(str(kind))
        if await self.session.scalar(
            select(Partner.id).where(func.lower(Partner.name) == name.lower())
        ):
            raise RuleViolation(f"partner {name!r} already exists")
        clean_ibans = [parse_iban(i) for i in ibans or [] if i.strip()]
        for iban in clean_ibans:
            owner = await self._iban_owner(iban)
            if owner:
                raise RuleViolation(f"IBAN {iban} already belongs to partner {owner!r}")
        partner = Partner(
            name=name,
            kind=kind,
            email=_clean(email),
            vat=_clean(vat),
            ibans=[PartnerBankAccount(iban=i) for i in dict.fromkeys(clean_ibans)],
        )
        self.session.add(partner)
        await self.session.flush()
        return partner_view(partner)

    @unit_of_work(write=False)
    async def list_partners(
        self,
        kind: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Page:
        stmt = select(Partner)
        if kind:
            stmt = stmt.where(Partner.kind == enum_value(PartnerKind, "kind")(kind))
        if search:
            stmt = stmt.where(Partner.name.ilike(f"%{search}%"))
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        stmt = stmt.options(selectinload(Partner.ibans)).order_by(Partner.name).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        items = [partner_view(p) for p in (await self.session.execute(stmt)).scalars()]
        return Page(items, total or 0, limit, offset)

    @unit_of_work(write=False)
    async def get_partner(self, ident: str) -> PartnerView:
        found = await lookups.partner(self.session, ident)
        partner = await self.session.scalar(
            select(Partner).where(Partner.id == found.id).options(selectinload(Partner.ibans))
        )
        assert partner is not None
        return partner_view(partner, **await self._balances(partner.id))

    async def _balances(self, partner_id: int) -> dict[str, Decimal]:
        sign = case(
            (
                Invoice.type.in_(
                    [InvoiceType.CUSTOMER_CREDIT_NOTE, InvoiceType.VENDOR_CREDIT_NOTE]
                ),
                -Invoice.residual,
            ),
            else_=Invoice.residual,
        )
        customer = Invoice.type.in_(CUSTOMER_SIDE_INVOICE_TYPES)
        row = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(case((customer, sign), else_=0)), 0),
                    func.coalesce(func.sum(case((customer, 0), else_=sign)), 0),
                ).where(Invoice.partner_id == partner_id)
            )
        ).one()
        allocated = (
            select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
            .where(PaymentAllocation.payment_id == Payment.id)
            .scalar_subquery()
        )
        unallocated = Payment.amount - allocated
        signed = case(  # refunds give credit back, so they count against it
            (
                Payment.type.in_([PaymentType.CUSTOMER_REFUND, PaymentType.VENDOR_REFUND]),
                -unallocated,
            ),
            else_=unallocated,
        )
        customer_side = Payment.type.in_([t for t in PaymentType if is_customer_payment(t)])
        credit = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(case((customer_side, signed), else_=0)), 0),
                    func.coalesce(func.sum(case((customer_side, 0), else_=signed)), 0),
                ).where(Payment.partner_id == partner_id, Payment.state == PaymentState.POSTED)
            )
        ).one()
        # Sums over the partner's items whatever their currency (no exchange rates yet):
        # shown in the database's default currency, which they are in when it is the only one.
        cur = await settings.default_currency(self.session)
        return {
            "open_receivable": from_minor(row[0], cur),
            "open_payable": from_minor(row[1], cur),
            "unallocated_credit": from_minor(credit[0], cur),
            "vendor_prepayment": from_minor(credit[1], cur),
        }

    @unit_of_work(write=True)
    async def import_partners(
        self, rows: list[SourceRow], header: list[str], source: str
    ) -> ImportResult:
        """All-or-nothing: any bad row raises InputError and the transaction rolls back."""
        require_columns(source, header, ["name", "kind"])
        existing = {
            p.name.lower(): p
            for p in (
                await self.session.execute(select(Partner).options(selectinload(Partner.ibans)))
            ).scalars()
        }
        iban_owner = {b.iban: p.name for p in existing.values() for b in p.ibans}
        created = updated = unchanged = 0
        for row in rows:
            with row_context(source, row):
                name = parse_field(source, row, "name", str.strip)
                kind = parse_field(source, row, "kind", enum_value(PartnerKind, "kind"))
                iban = parse_field(source, row, "iban", parse_iban, required=False)
                email, vat = _clean(row.get("email")), _clean(row.get("vat"))
                assert name is not None
                if iban and iban_owner.get(iban, name) != name:
                    raise InputError(
                        f"{source}: row {row.line}: iban: {iban} already belongs to "
                        f"partner {iban_owner[iban]!r}"
                    )
                partner = existing.get(name.lower())
                if partner is None:
                    partner = Partner(
                        name=name,
                        kind=kind,
                        email=email,
                        vat=vat,
                        ibans=[PartnerBankAccount(iban=iban)] if iban else [],
                    )
                    self.session.add(partner)
                    existing[name.lower()] = partner
                    created += 1
                else:
                    changed = (partner.kind, partner.email, partner.vat) != (kind, email, vat)
                    partner.kind, partner.email, partner.vat = kind, email, vat
                    if iban and iban not in iban_owner:
                        partner.ibans.append(PartnerBankAccount(iban=iban))
                        changed = True
                    updated += changed
                    unchanged += not changed
                if iban:
                    iban_owner[iban] = name
        await self.session.flush()
        return ImportResult(created, updated, unchanged)

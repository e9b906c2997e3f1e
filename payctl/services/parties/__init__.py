"""Parties: customers and vendors, and the invoices and bills they are sent or send."""

from __future__ import annotations

from typing import TYPE_CHECKING

from payctl.services import lazy_exports

if TYPE_CHECKING:
    from payctl.services.parties.invoice_service import InvoiceService
    from payctl.services.parties.partner_service import PartnerService

PUBLIC = {
    "PartnerService": "partner_service",
    "InvoiceService": "invoice_service",
}
__all__ = ["InvoiceService", "PartnerService"]
__getattr__ = lazy_exports(__name__, PUBLIC)

"""Parties: customers and vendors, and the invoices and bills they are sent or send.

Public services:

- ``PartnerService`` (:mod:`payctl.services.parties.partner_service`)
- ``InvoiceService`` (:mod:`payctl.services.parties.invoice_service`)
"""

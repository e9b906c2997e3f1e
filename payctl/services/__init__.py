"""Async service layer: one public method is one use case and one transaction.

The services are grouped by capability, one package each; a package's ``__init__`` names its
public services:

- :mod:`payctl.services.payments`: recording payments, confirming, resetting and cancelling
  them, one or a thousand at a time, and their history;
- :mod:`payctl.services.bank`: importing bank extracts, matching and booking their lines, the
  review queue;
- :mod:`payctl.services.ledger`: journal entries, sequences, the audit trail, the lock date,
  journals and accounts, ``check`` and the exports;
- :mod:`payctl.services.parties`: partners and their invoices.

Shared by all of them: :mod:`~payctl.services.views` (the DTOs they return),
:mod:`~payctl.services.lookups` (finding what a user names), :mod:`~payctl.services.rows`
(all-or-nothing tabular imports) and :mod:`~payctl.services.setup_service` (``init``).
"""

"""The ledger: journal entries and their numbers, the audit trail, the lock date, journals and
accounts, what `payctl check` verifies and the exports.

Public services:

- ``IntegrityService`` (:mod:`payctl.services.ledger.integrity_service`)
- ``ExportService`` (:mod:`payctl.services.ledger.export_service`)
- ``JournalService`` (:mod:`payctl.services.ledger.journal_service`)
- ``LockService`` (:mod:`payctl.services.ledger.lock_service`)
"""

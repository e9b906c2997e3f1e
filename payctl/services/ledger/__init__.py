"""The ledger: journal entries and their numbers, the audit trail, the lock date, journals and
accounts, what `payctl check` verifies and the exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from payctl.services import lazy_exports

if TYPE_CHECKING:
    from payctl.services.ledger.export_service import ExportService
    from payctl.services.ledger.integrity_service import IntegrityService
    from payctl.services.ledger.journal_service import JournalService
    from payctl.services.ledger.lock_service import LockService

PUBLIC = {
    "IntegrityService": "integrity_service",
    "ExportService": "export_service",
    "JournalService": "journal_service",
    "LockService": "lock_service",
}
__all__ = ["ExportService", "IntegrityService", "JournalService", "LockService"]
__getattr__ = lazy_exports(__name__, PUBLIC)

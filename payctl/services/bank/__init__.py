"""The bank: importing extracts, matching and booking their lines, and the review queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from payctl.services import lazy_exports

if TYPE_CHECKING:
    from payctl.services.bank.bank_extract_service import BankExtractService
    from payctl.services.bank.review_service import ReviewService

PUBLIC = {
    "BankExtractService": "bank_extract_service",
    "ReviewService": "review_service",
}
__all__ = ["BankExtractService", "ReviewService"]
__getattr__ = lazy_exports(__name__, PUBLIC)

"""Payments: recording them, confirming, resetting and cancelling one or a thousand at a time,
and reading their history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from payctl.services import lazy_exports

if TYPE_CHECKING:
    from payctl.services.payments.history_service import HistoryService
    from payctl.services.payments.payment_flow_service import PaymentFlowService
    from payctl.services.payments.payment_service import PaymentService

PUBLIC = {
    "PaymentService": "payment_service",
    "PaymentFlowService": "payment_flow_service",
    "HistoryService": "history_service",
}
__all__ = ["HistoryService", "PaymentFlowService", "PaymentService"]
__getattr__ = lazy_exports(__name__, PUBLIC)

"""Payments: recording them, confirming, resetting and cancelling one or a thousand at a time,
and reading their history.

Public services:

- ``PaymentService`` (:mod:`payctl.services.payments.payment_service`)
- ``PaymentFlowService`` (:mod:`payctl.services.payments.payment_flow_service`)
- ``HistoryService`` (:mod:`payctl.services.payments.history_service`)
"""

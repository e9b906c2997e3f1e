"""Reports: what an accountant reads — aged receivables and payables, the trial balance, a
partner's statement. Read-only, each one consistent snapshot, computed by SQL aggregation.

Public services:

- ``ReportService`` (:mod:`payctl.services.reports.report_service`)
"""

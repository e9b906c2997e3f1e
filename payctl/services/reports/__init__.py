"""Reports: what an accountant reads — aged receivables and payables, the trial balance, a
partner's statement. Read-only, each one consistent snapshot, computed by SQL aggregation.

Public services:

- ``ReportService`` (:mod:`payctl.services.reports.report_service`): aging, trial balance,
  partner statement
- ``SummaryService`` (:mod:`payctl.services.reports.summary`): money in and out of payments
- ``ForecastService`` (:mod:`payctl.services.reports.forecast`): open invoices and bills by
  week of due date
"""

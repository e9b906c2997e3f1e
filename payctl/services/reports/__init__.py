"""Reports: what an accountant reads, each figure summed by the database.

Public services:

- ``SummaryService`` (:mod:`payctl.services.reports.summary`): money in and out of payments
- ``ForecastService`` (:mod:`payctl.services.reports.forecast`): open invoices and bills by
  week of due date
"""

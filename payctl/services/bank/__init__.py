"""The bank: importing extracts, matching and booking their lines, and the review queue.

Public services:

- ``BankExtractService`` (:mod:`payctl.services.bank.bank_extract_service`)
- ``ReviewService`` (:mod:`payctl.services.bank.review_service`)
"""

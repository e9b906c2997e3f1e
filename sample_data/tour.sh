#!/usr/bin/env bash
# payctl's main job on the embedded SQLite default, with the files in sample_data/:
# load partners and invoices, book the payments already known, then import November's bank
# extracts (CSV, camt.053, MT940) and let payctl match every line or queue it for review.
# Safe to run again: every step is idempotent (re-imports and re-creates are skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

payctl init
payctl partner import sample_data/partners.csv
payctl invoice import sample_data/invoices.csv
payctl --quiet bulk create --file sample_data/payments.csv >/dev/null
payctl --quiet bulk confirm --state draft >/dev/null
# Matched lines become posted payments (--auto-confirm) or reconcile posted ones; lines seen
# before (the CSV and the camt.053 overlap on 10-11 November, or a second run) are skipped.
# BNK1 is the account these extracts are of; its opening balance is booked from the first
# statement (--book-opening), so `check` holds the ledger's bank account to the bank's balance.
payctl --quiet journal update BNK1 --iban DE10370501981002873341 >/dev/null
payctl import sample_data/bank/*.csv sample_data/bank/*.xml sample_data/bank/*.sta \
    --journal BNK1 --auto-confirm --book-opening
payctl review list --limit 5
payctl summary
payctl check

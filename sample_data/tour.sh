#!/usr/bin/env bash
# payctl's main job on the embedded SQLite default, with the files in sample_data/.
# Safe to run again: every step is idempotent (re-imports and re-creates are skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

payctl init
payctl partner import sample_data/partners.csv
payctl invoice import sample_data/invoices.csv
payctl --quiet bulk create --file sample_data/payments.csv >/dev/null
payctl --quiet bulk confirm --state draft >/dev/null
payctl summary
payctl partner show "ACME GmbH"

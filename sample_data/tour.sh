#!/usr/bin/env bash
# payctl's main job on the embedded SQLite default, with the files in sample_data/.
# Safe to run again: every step is idempotent (re-imports and re-creates are skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

payctl init
payctl partner import sample_data/partners.csv
payctl invoice import sample_data/invoices.csv
payctl bulk create --file sample_data/payments.csv --quiet >/dev/null
payctl bulk confirm --state draft --quiet >/dev/null
payctl summary
payctl partner show "ACME GmbH"

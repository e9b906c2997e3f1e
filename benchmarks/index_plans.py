# ruff: noqa: E501, E741  (a table of SQL texts; a throwaway report script)
"""Issue 12, point 3: the plan of each query payctl runs on the big tables, to check that each
index serves a query (benchmarks/README.md, "Issue 12: indexes").

    python benchmarks/index_plans.py sqlite BOOKS.db        # EXPLAIN QUERY PLAN
    python benchmarks/index_plans.py postgresql DBNAME      # EXPLAIN ANALYZE (psql, local server)

The queries are the shapes of the services' own (their WHERE and ORDER BY), with literal values.
"""

import sqlite3
import subprocess
import sys

Q = [
    (
        "import dedup, by journal and booking date",
        "SELECT fingerprint, id, booking_date, value_date, amount, currency FROM bank_lines WHERE journal_id = 1 AND booking_date >= '2026-01-01' AND booking_date <= '2026-03-31'",
    ),
    (
        "import dedup, bank ids by fingerprint",
        "SELECT fingerprint, id FROM bank_lines WHERE journal_id = 1 AND fingerprint IN ('a', 'b')",
    ),
    (
        "review queue",
        "SELECT id FROM bank_lines WHERE state = 'review' ORDER BY booking_date, id LIMIT 50",
    ),
    (
        "statement show",
        "SELECT id FROM bank_lines WHERE statement_id = 1 ORDER BY booking_date, id",
    ),
    (
        "matching: reconcilable payments",
        "SELECT p.id FROM payments p WHERE p.state = 'posted' AND p.journal_id = 1 AND NOT EXISTS (SELECT 1 FROM bank_lines b WHERE b.payment_id = p.id AND b.state = 'matched')",
    ),
    ("list, newest first", "SELECT id FROM payments ORDER BY date DESC, id DESC LIMIT 50"),
    (
        "list --state draft",
        "SELECT id FROM payments WHERE state = 'draft' ORDER BY date DESC, id DESC LIMIT 50",
    ),
    (
        "list --partner",
        "SELECT id FROM payments WHERE partner_id = 7 ORDER BY date DESC, id DESC LIMIT 50",
    ),
    (
        "list --journal (no index since 0010)",
        "SELECT id FROM payments WHERE journal_id = 1 ORDER BY date DESC, id DESC LIMIT 50",
    ),
    ("history", "SELECT id FROM audit_log WHERE payment_id = 100 ORDER BY id"),
    ("show: entries of a payment", "SELECT id FROM journal_entries WHERE payment_id = 100"),
    ("show: lines of entries", "SELECT id FROM journal_lines WHERE entry_id IN (1, 2, 3)"),
    ("invoice show: allocations", "SELECT id FROM payment_allocations WHERE invoice_id = 10"),
    ("payment's allocations", "SELECT id FROM payment_allocations WHERE payment_id IN (1, 2)"),
    (
        "report partner",
        "SELECT l.id FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id WHERE l.partner_id = 7 AND e.date <= '2026-12-31'",
    ),
    (
        "trial balance / account",
        "SELECT account_id, sum(debit) FROM journal_lines WHERE account_id = 3 GROUP BY account_id",
    ),
    (
        "export a date range",
        "SELECT id FROM journal_entries WHERE date >= '2026-02-01' AND date <= '2026-02-28' ORDER BY date, id",
    ),
    (
        "bank reconciliation: entries of a journal",
        "SELECT id FROM journal_entries WHERE journal_id = 1 AND date <= '2026-12-31'",
    ),
    ("events list", "SELECT id FROM events WHERE id > 100 ORDER BY id LIMIT 100"),
]
backend = sys.argv[1]
if backend == "sqlite":
    con = sqlite3.connect(sys.argv[2])
    for name, sql in Q:
        plan = "; ".join(r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + sql))
        print(f"| {name} | {plan} |")
else:
    for name, sql in Q:
        out = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                sys.argv[2],
                "-At",
                "-c",
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING ON, SUMMARY OFF) " + sql,
            ],
            capture_output=True,
            text=True,
        ).stdout
        lines = [
            l.strip()
            for l in out.splitlines()
            if l.strip()
            and not l.strip().startswith(
                (
                    "Planning",
                    "Sort Key",
                    "Sort Method",
                    "Heap Blocks",
                    "Rows Removed",
                    "Buffers",
                    "Filter",
                    "Index Cond",
                    "Recheck",
                    "Group Key",
                    "Hash Cond",
                    "Batches",
                    "Buckets",
                )
            )
        ]
        print(f"| {name} | {' / '.join(l.replace('->', '').strip() for l in lines)[:300]} |")

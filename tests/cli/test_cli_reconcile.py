"""`payctl reconcile JOURNAL` through the CLI on every backend: every figure against an
independent SQL sum on the main job's books (sample_data/), the difference explained to the
cent, a past day, every format, and bad input."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.cli.test_cli_statements import imported
from tests.conftest import BACKENDS, SAMPLE, fresh_url, in_session, init_database, payctl, refused
from tests.conftest import payctl_json as js

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=BACKENDS)
def sample(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of the main job's books (read-only for the tests that use it)."""
    import asyncio

    url = fresh_url(request.param, tmp_path_factory.mktemp("reconcile"))
    asyncio.run(init_database(url))
    env = {"PAYCTL_DATABASE_URL": url, "PAYCTL_USER": "tester"}
    for args in (
        ("partner", "import", SAMPLE / "partners.csv"),
        ("invoice", "import", SAMPLE / "invoices.csv"),
        ("bulk", "create", "--file", SAMPLE / "payments.csv"),
        ("bulk", "confirm", "--state", "draft"),
        ("import", *sorted((SAMPLE / "bank").iterdir()), "--journal", "BNK1", "--auto-confirm"),
        ("review", "ignore", "4", "--reason", "bank fee, booked later"),
    ):
        payctl(*args, env=env)
    return url


def sql(url: str, query: str, **params: Any) -> Any:
    async def go(s: Any) -> Any:
        return (await s.execute(text(query), params)).all()

    return in_session(url, go)


def cents(value: str | None) -> int:
    assert value is not None
    return int(Decimal(value) * 100)


def _js(url: str, *args: str) -> dict[str, Any]:
    import json

    out = payctl("reconcile", "BNK1", *args, "--format", "json", env={"PAYCTL_DATABASE_URL": url})
    return json.loads(out.stdout)


def test_every_figure_against_sql(sample):
    r = _js(sample)
    ((closing,),) = sql(
        sample,
        "SELECT closing_balance FROM bank_statements s JOIN journals j ON j.id = s.journal_id "
        "WHERE j.code = 'BNK1' ORDER BY closing_date DESC, s.id DESC LIMIT 1",
    )
    assert cents(r["statement_balance"]) == closing
    ((ledger,),) = sql(
        sample,
        "SELECT COALESCE(SUM(l.debit - l.credit), 0) FROM journal_lines l "
        "JOIN journals j ON j.account_id = l.account_id WHERE j.code = 'BNK1'",
    )
    assert cents(r["ledger_balance"]) == ledger
    assert cents(r["difference"]) == closing - ledger
    ((first_opening,),) = sql(
        sample,
        "SELECT opening_balance FROM bank_statements ORDER BY opening_date, id LIMIT 1",
    )
    assert cents(r["opening_not_booked"]) == first_opening  # no opening balance booked here
    waiting = sql(
        sample,
        "SELECT id, amount, state FROM bank_lines WHERE state IN ('review', 'ignored') "
        "ORDER BY booking_date, id",
    )
    assert [(w["id"], cents(w["amount"]), w["state"]) for w in r["waiting"]] == [
        tuple(w) for w in waiting
    ]
    assert "ignored" in {w["state"] for w in r["waiting"]}
    assert cents(r["waiting_total"]) == sum(w[1] for w in waiting)
    # today, undecided lines are not in the ledger: they and the unbooked opening balance
    # explain the difference to the cent
    assert cents(r["lines_not_in_ledger"]) == sum(w[1] for w in waiting)
    assert r["unexplained"] == "0.00"
    transit = sql(
        sample,
        "SELECT p.id, CASE WHEN p.type IN ('customer_payment', 'vendor_refund') THEN p.amount "
        "ELSE -p.amount END FROM payments p JOIN journals j ON j.id = p.journal_id "
        "WHERE j.code = 'BNK1' AND p.state = 'posted' "
        "AND p.id NOT IN (SELECT payment_id FROM bank_lines WHERE payment_id IS NOT NULL) "
        "ORDER BY p.date, p.id",
    )
    assert len(r["in_transit"]) == len(transit) > 0
    assert [cents(t["amount"]) for t in r["in_transit"]] == [t[1] for t in transit]
    assert cents(r["in_transit_total"]) == sum(t[1] for t in transit)
    assert cents(r["expected_balance"]) == ledger + sum(t[1] for t in transit)


def test_a_past_day(sample):
    r = _js(sample, "--as-of", "2026-11-15")
    assert r["as_of"] == "2026-11-15" and r["statement_date"] <= "2026-11-15"
    assert all(w["date"] <= "2026-11-15" for w in r["waiting"])
    assert all(t["date"] <= "2026-11-15" for t in r["in_transit"])
    assert r["unexplained"] == "0.00"
    now = _js(sample)
    assert len(r["waiting"]) < len(now["waiting"])
    before = _js(sample, "--as-of", "2025-12-31")
    assert before["statement_balance"] is None and before["difference"] is None
    assert before["waiting"] == [] and before["ledger_balance"] == "0.00"


def test_table_and_csv(sample):
    env = {"PAYCTL_DATABASE_URL": sample}
    table = payctl("reconcile", "BNK1", env=env).stdout
    r = _js(sample)
    for label in ("Statement balance (bank)", "Ledger bank balance", "In transit"):
        assert label in table
    assert r["statement_balance"] in table and r["difference"] in table
    assert f"Waiting in suspense: {len(r['waiting'])} lines, {r['waiting_total']} EUR" in table
    rows = list(
        csv.DictReader(io.StringIO(payctl("reconcile", "BNK1", "-f", "csv", env=env).stdout))
    )
    figures = {x["text"]: x["amount"] for x in rows if x["row"] == "figure"}
    assert figures["difference"] == r["difference"] and figures["unexplained"] == "0.00"
    assert sum(x["row"] == "waiting" for x in rows) == len(r["waiting"])
    assert sum(x["row"] == "in_transit" for x in rows) == len(r["in_transit"])


def test_lines_without_statement_balances(init_url, cli_env, tmp_path: Path):
    imported(init_url, tmp_path)  # a camt with balances (one line matched), two JSON lines
    r = js("reconcile", "BNK1")
    assert r["statement_balance"] == "2190.00" and r["opening_not_booked"] == "1000.00"
    assert [w["amount"] for w in r["waiting"]] == ["-12.50", "77.00"]
    # the camt line made a draft payment: not in the ledger until it is confirmed
    (draft,) = r["matched_to_drafts"]
    assert (draft["amount"], draft["state"], draft["in_ledger"]) == ("1190.00", "matched", False)
    assert r["lines_not_in_ledger"] == "1190.00" and r["ledger_balance"] == "0.00"
    assert r["unexplained"] == "0.00"
    assert "Matched to draft payments (confirm them): 1 lines" in payctl("reconcile", "BNK1").stdout
    payctl("confirm", "1")
    r = js("reconcile", "BNK1")
    assert r["matched_to_drafts"] == [] and r["ledger_balance"] == "1190.00"
    assert r["lines_not_in_ledger"] == "0.00" and r["unexplained"] == "0.00"


def test_bad_input(init_url, cli_env):
    refused("reconcile", "NOPE", code=1, says="unknown journal 'NOPE'")
    refused("reconcile", "BNK1", "--as-of", "2026-13-01", code=2, says="--as-of")
    refused("reconcile", code=2, says="Missing argument")

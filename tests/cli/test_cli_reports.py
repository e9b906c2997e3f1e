"""`payctl summary` and `payctl report forecast` on the sample data, on both backends (cli_env):
every figure against sums the database makes from its own rows, independently of the services
(plain SQL text), in the three formats; the summary's chart only on a terminal."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from tests.cli.test_cli_render_after_commit import on_a_terminal
from tests.conftest import SAMPLE, in_session, payctl, refused
from tests.conftest import payctl_json as js

INBOUND = ("customer_payment", "vendor_refund")  # payment types bringing money in
INBOUND_ITEMS = ("customer_invoice", "vendor_credit_note")  # settled by them
CHART = "Money in and out by month"


def cents(minor: int) -> str:
    """Minor units of a two-decimal currency as payctl prints them."""
    return f"{Decimal(int(minor)) / 100:.2f}"


def figures(count: int, money_in: int, money_out: int) -> tuple[int, str, str, str]:
    return (count, cents(money_in), cents(-money_out), cents(money_in - money_out))


@pytest.fixture
def ledger(cli_env: dict[str, str]) -> dict[str, str]:
    """The sample partners, invoices and payments, confirmed; then a draft, a cancelled
    payment, and a USD journal with a posted payment and an open invoice without a due date
    (two currencies, never added together)."""
    payctl("partner", "import", SAMPLE / "partners.csv")
    payctl("invoice", "import", SAMPLE / "invoices.csv")
    payctl("--quiet", "bulk", "create", "--file", SAMPLE / "payments.csv")
    payctl("--quiet", "bulk", "confirm", "--state", "draft")
    payctl("cancel", "BNK1/2026/00003", "--reason", "test")
    payctl("journal", "create", "USD1", "--currency", "USD")
    payctl(
        "invoice",
        "create",
        "--partner",
        "ACME GmbH",
        "--number",
        "US-1",
        "--amount",
        "500.00",
        "--date",
        "2026-10-09",
        "--currency",
        "USD",
    )
    for amount, kind, partner in (
        ("120.00", "customer_payment", "ACME GmbH"),
        ("80.50", "vendor_payment", "Hollandse Kantoorhuur B.V."),
    ):
        made = js(
            "create", "-t", kind, "-p", partner, "-j", "USD1", "-a", amount, "--date", "2026-10-20"
        )
        payctl("confirm", made["id"])
    # a draft
    payctl(
        "create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "33.00", "--date", "2026-11-02"
    )
    return cli_env


def sql(url: str, query: str) -> list[Any]:
    async def go(session: Any) -> list[Any]:
        return list((await session.execute(text(query))).all())

    return in_session(url, go)


def sql_flows(url: str, key: str | None, where: str, join: str = "") -> dict[tuple[str, str], Any]:
    """(key, currency) -> (count, money in, money out, net) of the payments, summed by SQL."""
    shown_key, group = (key, f"{key}, p.currency") if key else ("''", "p.currency")
    rows = sql(
        url,
        f"SELECT {shown_key}, p.currency, COUNT(*),"
        f" SUM(CASE WHEN p.type IN {INBOUND} THEN p.amount ELSE 0 END),"
        f" SUM(CASE WHEN p.type IN {INBOUND} THEN 0 ELSE p.amount END)"
        f" FROM payments p {join} WHERE {where} GROUP BY {group}",
    )
    return {(str(k), cur): figures(n, i, o) for k, cur, n, i, o in rows}


def shown(rows: list[dict[str, Any]], key: str | None) -> dict[tuple[str, str], Any]:
    return {
        (str(r[key]) if key else "", r["currency"]): (
            int(r["count"]),
            r["money_in"],
            r["money_out"],
            r["net"],
        )
        for r in rows
    }


def expected_summary(url: str, where: str) -> dict[str, dict[tuple[str, str], Any]]:
    by_month: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for day, currency, n, i, o in sql(
        url,
        f"SELECT p.date, p.currency, COUNT(*),"
        f" SUM(CASE WHEN p.type IN {INBOUND} THEN p.amount ELSE 0 END),"
        f" SUM(CASE WHEN p.type IN {INBOUND} THEN 0 ELSE p.amount END)"
        f" FROM payments p WHERE {where} GROUP BY p.date, p.currency",
    ):
        month = by_month[(str(day)[:7], currency)]
        for k, v in enumerate((n, i, o)):
            month[k] += int(v)
    return {
        "totals": sql_flows(url, None, where),
        "by_type": sql_flows(url, "p.type", where),
        "by_journal": sql_flows(url, "j.code", where, "JOIN journals j ON j.id = p.journal_id"),
        "by_month": {k: figures(*v) for k, v in by_month.items()},
    }


def test_summary_figures_are_the_databases_sums(ledger):
    url = ledger["PAYCTL_DATABASE_URL"]
    data = js("summary")
    assert data["states"] == ["posted"] and data["date_from"] is None
    want = expected_summary(url, "p.state = 'posted'")
    for section, key in (
        ("totals", None),
        ("by_type", "type"),
        ("by_journal", "journal"),
        ("by_month", "month"),
    ):
        assert shown(data[section], key) == want[section], section
    # two currencies, each summed on its own; money out negative, net their sum
    assert shown(data["totals"], None)[("", "USD")] == (2, "120.00", "-80.50", "39.50")
    assert {r["currency"] for r in data["totals"]} == {"EUR", "USD"}
    assert all(isinstance(r["money_in"], str) for r in data["by_type"])  # amounts as strings
    # the draft and the cancelled payment are apart, never in the totals
    assert shown(data["not_counted"], "state") == sql_flows(url, "p.state", "p.state <> 'posted'")
    assert {r["state"] for r in data["not_counted"]} == {"draft", "cancelled"}

    # --state chooses, repeatable; with a period
    chosen = js(
        "summary",
        "--state",
        "draft",
        "--state",
        "cancelled",
        "--date-from",
        "2026-01-01",
        "--date-to",
        "2026-10-31",
    )
    period = "p.date BETWEEN '2026-01-01' AND '2026-10-31'"
    assert chosen["states"] == ["draft", "cancelled"] and chosen["unallocated"] == []
    want = expected_summary(url, f"p.state <> 'posted' AND {period}")
    assert shown(chosen["totals"], None) == want["totals"]
    assert shown(chosen["by_month"], "month") == want["by_month"]
    assert shown(chosen["not_counted"], "state") == sql_flows(
        url, "p.state", f"p.state = 'posted' AND {period}"
    )


def test_summary_csv_and_table(ledger):
    data = js("summary")
    rows = list(csv.DictReader(io.StringIO(payctl("summary", "--format", "csv").stdout)))
    assert list(rows[0]) == ["section", "key", "currency", "count", "money_in", "money_out", "net"]
    sections = {
        "totals": None,
        "type": "type",
        "journal": "journal",
        "month": "month",
        "not_counted": "state",
        "unallocated": "type",
    }
    for section, key in sections.items():
        from_json = data[
            section if section in ("totals", "not_counted", "unallocated") else f"by_{section}"
        ]
        assert [r for r in rows if r["section"] == section] == [
            {
                "section": section,
                "key": r[key] if key else "",
                "currency": r["currency"],
                "count": str(r["count"]),
                "money_in": r["money_in"],
                "money_out": r["money_out"],
                "net": r["net"],
            }
            for r in from_json
        ], section
    table = payctl("summary").stdout
    for title in (
        "Posted payments, all dates",
        "By type",
        "By journal",
        "By month",
        "Not counted above",
        "Posted, not allocated to invoices",
    ):
        assert title in table, title
    eur = next(r for r in data["totals"] if r["currency"] == "EUR")
    assert eur["money_out"] in table and eur["net"] in table
    assert CHART not in table and "█" not in table  # not a terminal: no chart
    ranged = payctl("summary", "--date-from", "2027-01-01").stdout
    assert "Posted payments, 2027-01-01 to …: none" in ranged


def test_summary_bad_input(ledger):
    refused("summary", "--state", "booked", code=2, says="state: 'booked' is not one of")
    refused("summary", "--date-from", "2026-13-01", code=2, says="--date-from")
    refused(
        "summary",
        "--date-from",
        "2026-03-01",
        "--date-to",
        "2026-02-01",
        code=2,
        says="--date-from: 2026-03-01 is after --date-to 2026-02-01",
    )


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_summary_chart_only_on_a_terminal(ledger):
    code, raw = on_a_terminal(ledger, "summary")
    screen = raw.decode("utf-8")
    assert code == 0 and CHART in screen and "█" in screen
    # the month with the most money in fills the bar: 30 full blocks
    assert "█" * 30 in screen
    for fmt in ("json", "csv"):
        code, raw = on_a_terminal(ledger, "summary", "--format", fmt)
        assert code == 0 and CHART not in raw.decode("utf-8") and "█" not in raw.decode()


# ---------------------------------------------------------------------------- forecast
def open_items(url: str) -> list[tuple[str, dt.date, int, int]]:
    """(currency, due date or invoice date, money in, money out) of each open item."""
    return [
        (cur, dt.date.fromisoformat(str(due)[:10]), *((r, 0) if kind in INBOUND_ITEMS else (0, r)))
        for cur, kind, due, r in sql(
            url,
            "SELECT currency, type, COALESCE(due_date, date), residual FROM invoices"
            " WHERE state IN ('open', 'partial') AND residual > 0",
        )
    ]


def test_forecast_figures_are_the_open_residuals(ledger):
    url = ledger["PAYCTL_DATABASE_URL"]
    as_of = dt.date(2026, 10, 1)
    data = js("report", "forecast", "--as-of", as_of.isoformat(), "--weeks", "4")
    assert (data["as_of"], data["weeks"]) == ("2026-10-01", 4)
    # totals: the open residuals summed by the database, per currency and direction
    totals = {
        cur: figures(n, i, o)
        for cur, n, i, o in sql(
            url,
            f"SELECT currency, COUNT(*),"
            f" SUM(CASE WHEN type IN {INBOUND_ITEMS} THEN residual ELSE 0 END),"
            f" SUM(CASE WHEN type IN {INBOUND_ITEMS} THEN 0 ELSE residual END)"
            f" FROM invoices WHERE state IN ('open', 'partial') AND residual > 0"
            f" GROUP BY currency",
        )
    }
    assert {
        r["currency"]: (r["count"], r["money_in"], r["money_out"], r["net"]) for r in data["totals"]
    } == totals
    assert set(totals) == {"EUR", "USD"}
    # each row: the items whose due date (else invoice date) falls in it
    periods = (
        [("overdue", None, as_of - dt.timedelta(days=1))]
        + [
            (
                f"week {w + 1}",
                as_of + dt.timedelta(weeks=w),
                as_of + dt.timedelta(weeks=w + 1, days=-1),
            )
            for w in range(4)
        ]
        + [("later", as_of + dt.timedelta(weeks=4), None)]
    )
    items = open_items(url)
    want = []
    for cur in sorted(totals):
        for period, begin, end in periods:
            inside = [
                (i, o)
                for c, due, i, o in items
                if c == cur and (begin is None or due >= begin) and (end is None or due <= end)
            ]
            want.append(
                {
                    "currency": cur,
                    "period": period,
                    "from": begin and begin.isoformat(),
                    "to": end and end.isoformat(),
                    "count": len(inside),
                    "money_in": cents(sum(i for i, _ in inside)),
                    "money_out": cents(-sum(o for _, o in inside)),
                    "net": cents(sum(i - o for i, o in inside)),
                }
            )
    assert data["items"] == want
    # the sample data has items in every kind of row
    eur = [r for r in data["items"] if r["currency"] == "EUR"]
    assert all(r["count"] > 0 for r in eur if r["period"] in ("overdue", "week 2", "later"))
    usd = [r for r in data["items"] if r["currency"] == "USD"]  # no due date: invoice date
    assert [(r["period"], r["money_in"]) for r in usd if r["count"]] == [("week 2", "500.00")]

    rows = list(
        csv.DictReader(
            io.StringIO(
                payctl(
                    "report", "forecast", "--as-of", "2026-10-01", "--weeks", "4", "--format", "csv"
                ).stdout
            )
        )
    )
    assert len(rows) == len(want) + 2 and rows[-1]["period"] == "total"
    assert {k: rows[0][k] for k in ("currency", "period", "from", "net")} == {
        "currency": "EUR",
        "period": "overdue",
        "from": "",
        "net": want[0]["net"],
    }
    table = payctl("report", "forecast", "--as-of", "2026-10-01", "--weeks", "4").stdout
    assert "Forecast in EUR as of 2026-10-01, 4 weeks" in table and "Forecast in USD" in table
    assert "overdue" in table and "week 4" in table and "later" in table
    assert totals["EUR"][3] in table
    default = js("report", "forecast")
    assert default["weeks"] == 8 and default["as_of"] == dt.date.today().isoformat()


def test_forecast_bad_input_and_nothing_open(cli_env):
    for weeks in ("0", "-1", "two", "1.5", "521"):
        refused("report", "forecast", "--weeks", weeks, code=2, says="--weeks")
    refused("report", "forecast", "--as-of", "2026-02-30", code=2, says="--as-of")
    assert js("report", "forecast") == {
        "as_of": dt.date.today().isoformat(),
        "weeks": 8,
        "items": [],
        "totals": [],
    }
    assert "No open invoices or bills" in payctl("report", "forecast").stdout

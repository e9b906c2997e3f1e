"""Tables that read well (issue 11, point 8), through the CLI on every backend.

Realistic books (the sample partners, invoices, payments and a November bank extract, plus a
partner with a very long name, a long reference and invoices in a second currency) are listed
at a console of 80 and of 120 columns (COLUMNS, as a terminal of that width): no line is wider,
no amount, date or payment number is split or cut (each appears whole, as one word, on one
line), long texts end in an ellipsis, lists of money end with the right total per currency
(outbound amounts negative), and an empty result is one line (JSON ``[]``, CSV a header).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest
from rich.cells import cell_len

from payctl.domain.enums import INBOUND_INVOICE_TYPES, is_inbound
from tests.conftest import BACKENDS, SAMPLE, fresh_url, init_database, payctl

LONG_NAME = "Vereinigte Hüttenwerke und Maschinenfabriken Augsburg-Nürnberg Aktiengesellschaft"
LONG_REF = "RE-2026-11-SAMMELZAHLUNG-RAHMENVERTRAG-WARTUNG-UND-ERSATZTEILE-Q4"
USD_INVOICE = "--number INV/2026/9001 --amount 123456.78 --date 2026-11-20 --currency USD"
USD_BILL = "--number BILL/2026/9002 --amount 2000.00 --date 2026-11-21 --currency USD"
USD_BILL += " --type vendor_bill"
OUT = "-t vendor_payment -j BNK1 -a 98765.43 --date 2026-11-28"
IN = "-t customer_payment -j BNK1 -a 10.05 --date 2026-11-29"
WIDTHS = (80, 120)
AMOUNT = re.compile(r"-?\d+\.\d{2,3}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BOX = str.maketrans({c: " " for c in "│┃║|"})


@pytest.fixture(scope="module", params=BACKENDS)
def books(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    import asyncio

    url = fresh_url(request.param, tmp_path_factory.mktemp("layout"))
    asyncio.run(init_database(url))
    env = {"PAYCTL_DATABASE_URL": url, "PAYCTL_USER": "tester"}
    for args in (
        ("partner", "import", SAMPLE / "partners.csv"),
        ("invoice", "import", SAMPLE / "invoices.csv"),
        ("bulk", "create", "--file", SAMPLE / "payments.csv"),
        ("bulk", "confirm", "--state", "draft"),
        ("import", SAMPLE / "bank" / "2026-11_bnk1.csv", "--journal", "BNK1", "--auto-confirm"),
        ("partner", "create", LONG_NAME, "--kind", "both"),
        ("invoice", "create", "--partner", LONG_NAME, *USD_INVOICE.split()),
        ("invoice", "create", "--partner", LONG_NAME, *USD_BILL.split()),
        ("create", "-p", LONG_NAME, "--ref", LONG_REF, *OUT.split()),
        ("create", "-p", LONG_NAME, "--ref", "short", *IN.split()),
        ("bulk", "confirm", "--state", "draft"),
    ):
        payctl("--quiet", *args, env=env)
    return url


def run(url: str, *args: Any, columns: int | None = None, code: int = 0) -> Any:
    env: dict[str, str | None] = {"PAYCTL_DATABASE_URL": url, "PAYCTL_USER": "tester"}
    env["COLUMNS"] = None if columns is None else str(columns)
    return payctl(*args, env=env, code=code)


def js(url: str, *args: Any) -> Any:
    return json.loads(run(url, *args, "--format", "json").stdout)


def words(text: str) -> list[list[str]]:
    """Each line of a table as its words (box characters and spaces separate)."""
    return [line.translate(BOX).split() for line in text.splitlines()]


def lines_with(text: str, *values: str) -> list[list[str]]:
    """The lines holding every one of ``values`` as a whole word."""
    return [w for w in words(text) if all(v in w for v in values)]


def signed(item: dict[str, Any], key: str) -> str:
    value = Decimal(item[key])
    kind = item["type"]
    inbound = is_inbound(kind) if "payment" in kind or "refund" in kind else None
    if inbound is None:
        inbound = kind in INBOUND_INVOICE_TYPES
    return str(value if inbound else -value) if value else str(value)


def assert_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        assert cell_len(line) <= width, (width, line)


LISTS = [
    ("list", "--limit", "0"),
    ("invoice", "list", "--limit", "0"),
    ("review", "list", "--state", "all", "--limit", "0"),
    ("partner", "list", "--limit", "0"),
    ("journal", "list"),
    ("account", "list"),
    ("summary",),
    ("report", "aging"),
    ("report", "aging", "--payable"),
    ("report", "trial-balance"),
    ("report", "partner", "ACME GmbH"),
    ("report", "partner", LONG_NAME),
    ("report", "forecast", "--as-of", "2026-11-30"),
    ("events", "list", "--limit", "30"),
    ("types",),
    ("statuses",),
    ("import", SAMPLE / "bank" / "2026-11_bnk1.csv", "--journal", "BNK1", "--dry-run"),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args", LISTS, ids=lambda a: "-".join(map(str, a[:2])))
def test_every_table_fits_and_keeps_amounts_and_dates_whole(books, args, width):
    """At 80 and 120 columns no line is wider, and every amount and date the wide table shows
    is still there, whole (a split one would be two other words)."""
    narrow = run(books, *args, columns=width).stdout
    wide = run(books, *args, columns=1000).stdout
    assert_fits(narrow, width)

    def tokens(text: str, pattern: re.Pattern[str]) -> list[str]:
        return sorted(w for line in words(text) for w in line if pattern.fullmatch(w))

    for pattern in (AMOUNT, DATE):
        if args[0] in ("report", "summary"):  # every column stays, no text holds an amount
            assert tokens(narrow, pattern) == tokens(wide, pattern)
        else:  # columns may be left out, texts shortened: nothing new (a half) appears
            assert not Counter(tokens(narrow, pattern)) - Counter(tokens(wide, pattern))
    for line in words(narrow):  # nothing cut: no word ends a value half-way
        for word in line:
            assert not re.fullmatch(r"-?\d+\.|\d{4}-(\d\d-)?|[A-Z]+\d/(\d*/)?", word), (
                word,
                line,
            )


@pytest.mark.parametrize("width", WIDTHS)
def test_payment_list_shows_number_date_and_signed_amount_on_one_line(books, width):
    items = js(books, "list", "--limit", "0")["items"]
    out = run(books, "list", "--limit", "0", columns=width).stdout
    assert_fits(out, width)
    for item in items:
        assert item["number"], item  # all confirmed
        found = lines_with(out, item["number"], item["date"], signed(item, "amount"))
        assert len(found) == 1, (item, out)
    vendor = next(i for i in items if i["partner"] == LONG_NAME and i["type"] == "vendor_payment")
    assert lines_with(out, vendor["number"], "-98765.43")


@pytest.mark.parametrize("width", WIDTHS)
def test_invoice_list_keeps_numbers_dates_and_signed_totals_whole(books, width):
    items = js(books, "invoice", "list", "--limit", "0")["items"]
    out = run(books, "invoice", "list", "--limit", "0", columns=width).stdout
    assert_fits(out, width)
    for item in items:
        assert len(lines_with(out, item["number"], item["date"], signed(item, "total"))) == 1
    assert lines_with(out, "BILL/2026/9002", "-2000.00", "USD")


@pytest.mark.parametrize("width", WIDTHS)
def test_long_texts_end_in_an_ellipsis(books, width):
    out = run(books, "list", "--limit", "0", columns=width).stdout
    assert LONG_NAME not in out
    row = next(line for line in out.splitlines() if "98765.43" in line)
    assert "…" in row and "Vereinigt" in row
    wide = run(books, "list", "--limit", "0", columns=1000).stdout
    assert LONG_NAME in wide and LONG_REF in wide and "…" not in wide


def test_a_narrow_console_says_which_columns_it_left_out(books):
    result = run(books, "list", "--limit", "0", columns=80)
    assert "not shown at 80 columns:" in result.stderr and "Allocated" in result.stderr
    assert "Allocated" not in result.stdout
    assert "not shown" not in run(books, "list", "--limit", "0", columns=1000).stderr


def expected_totals(items: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, list[str]]:
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for item in items:
        for key in keys:
            value = signed(item, key) if "type" in item else item[key]
            sums[item["currency"]][key] += Decimal(value)
    return {cur: [str(v) for v in per.values()] for cur, per in sums.items()}


@pytest.mark.parametrize("width", [*WIDTHS, None])
@pytest.mark.parametrize(
    "args, keys",
    [
        (("list", "--limit", "0"), ("amount",)),
        (("invoice", "list", "--limit", "0"), ("total", "residual")),
        (("review", "list", "--state", "all", "--limit", "0"), ("amount",)),
    ],
    ids=["payments", "invoices", "bank-lines"],
)
def test_lists_of_money_end_with_a_total_per_currency(books, args, keys, width):
    items = js(books, *args)["items"]
    out = run(books, *args, columns=width).stdout
    for currency, sums in expected_totals(items, keys).items():
        assert lines_with(out, "Total", currency, *sums), (currency, sums, out)
    assert "Page total" not in out


def test_a_page_of_a_list_totals_the_page_and_says_so(books):
    items = js(books, "list", "--limit", "5")["items"]
    out = run(books, "list", "--limit", "5", columns=120).stdout
    (total,) = expected_totals(items, ("amount",)).values()
    assert lines_with(out, "Page", "total", *total)
    assert re.search(r"^5 of \d+ shown", out, re.M)


@pytest.mark.parametrize(
    "args, line",
    [
        (("list", "--search", "no-such-thing"), "no payments match"),
        (("invoice", "list", "--partner", LONG_NAME, "--state", "paid"), "no invoices match"),
        (("review", "list", "--state", "ignored"), "no bank lines match"),
        (("partner", "list", "--search", "no-such-partner"), "no partners match"),
    ],
)
@pytest.mark.parametrize("width", [*WIDTHS, None])
def test_an_empty_result_is_one_line_and_json_csv_stay_valid(books, args, line, width):
    result = run(books, *args, columns=width)
    assert result.stdout == line + "\n"
    assert js(books, *args) == {"items": [], "total": 0}
    header = run(books, *args, "--format", "csv").stdout
    assert len(list(csv.reader(io.StringIO(header)))) == 1


def test_piped_tables_are_not_padded_to_a_width(books):
    """No terminal, no COLUMNS: the table is as wide as its cells (plain_table), with the
    totals row and the text whole."""
    out = run(books, "list", "--limit", "0").stdout
    lines = out.splitlines()[1:]  # under the title
    assert all(line == line.rstrip() for line in lines)
    assert len({cell_len(line) for line in lines}) == 1  # one width: the table's
    assert LONG_NAME in out and LONG_REF in out and "…" not in out
    assert lines_with(out, "Total", "EUR")


def test_a_table_that_cannot_fit_is_shown_as_records(books):
    """The import report has a dozen columns of counts: at 80 columns, one record per file,
    every value whole on its line."""
    args = ("import", SAMPLE / "bank" / "2026-11_bnk1.csv", "--journal", "BNK1", "--dry-run")
    out = run(books, *args, columns=80).stdout
    assert_fits(out, 80)
    assert lines_with(out, "Duplicates", "28") and lines_with(out, "Status", "dry", "run")
    assert "┃" not in out


def test_the_width_plan_keeps_fixed_columns_whole():
    from payctl.cli import columns

    keys = ["id", "number", "date", "partner", "amount", "currency", "reference", "allocated"]
    kinds = [columns.kind(k) for k in keys]
    assert kinds == ["code", "code", "date", "text", "amount", "code", "text", "amount"]
    natural = [3, 15, 10, 60, 9, 3, 40, 9]
    for width in (60, 80, 120, 200):
        plan = columns.plan(keys, natural, natural, natural, kinds, width)
        assert plan is not None
        shown = dict(zip([keys[i] for i in plan.shown], plan.widths, strict=True))
        for key in ("id", "number", "date", "amount", "currency"):
            assert shown[key] == natural[keys.index(key)]
        assert 10 <= shown["partner"] <= 60
        chrome = 3 * len(shown) + 1 if plan.style == 0 else (len(shown) - 1) * (3 - plan.style)
        assert sum(shown.values()) + chrome <= width
    assert columns.plan(keys, natural, natural, natural, kinds, 30) is None  # as records

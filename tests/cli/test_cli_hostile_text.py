"""Text from users and bank files is data, never markup or terminal control ("Trust first" 5).

Each hostile string goes into a partner name, an invoice number, a payment's reference and
memo and a bank line's counterparty and text, and then through every command that shows them
(list, show, partner list/show, invoice list, review list, history, summary, bulk, the error
messages) and the exports. Nothing may crash, exit codes are the usual ones, Rich markup is
shown literally, control characters (ESC, CR, BEL, NUL, bidi overrides, newlines) are shown
escaped (``\\x1b``, ``\\u202e``) and never reach stdout/stderr raw; JSON and piped CSV keep
the exact value; a CSV on a terminal is escaped too.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import payctl

ROOT = Path(__file__).resolve().parents[2]

# (id, value). NUL cannot be a command-line argument (execve ends strings at it): it comes in
# through a bank file only, see test_nul_in_a_bank_file_is_refused_cleanly.
HOSTILE = [
    ("markup-close", "[/]"),
    ("markup-bold", "[bold]x[/bold]"),
    ("markup-link", "[link=https://evil.example]click[/link] [red]r"),
    ("emoji-code", ":thumbs_up: :smile:"),
    ("ansi-colour", "\x1b[31mred\x1b[0m"),
    ("osc-title", "\x1b]0;title\x07"),
    ("carriage-return", "shown\rhidden"),
    ("bidi-override", "abc\u202edef\u2066g\u2069"),
    ("c1-csi-del", "x\x9b31my\x7f"),
    ("newline-tab", "two\nlines\tand tab"),
    ("backspace-bell", "ab\x08\x08\x07c"),
    ("long", "W" * 120 + "[/]\x1b[1m" + "é中ß" * 5),
]
IDS = [name for name, _ in HOSTILE]
# Control characters that must never reach a terminal raw (newline only as a line end).
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(value: str) -> str:
    """How a value must look on a terminal: controls escaped, everything else as it is."""

    def one(ch: str) -> str:
        code = ord(ch)
        if RAW.match(ch) or ch == "\n":
            return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
        return ch

    return "".join(one(ch) for ch in value)


@pytest.fixture
def env(cli_env, monkeypatch):
    monkeypatch.setenv("COLUMNS", "4000")  # tables never wrap a cell: values read back whole
    return cli_env


def terminal_safe(result: Any) -> str:
    """stdout + stderr, after checking no raw control character is in either."""
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        raw = RAW.search(text)
        assert raw is None, f"raw {raw[0]!r} on {name}: {text!r}"
    return result.stdout + result.stderr


def shows(result: Any, value: str) -> None:
    text = terminal_safe(result)
    assert visible(value) in text, f"{visible(value)!r} not shown in {text!r}"


def make_books(h: str, tmp_path: Path) -> dict[str, str]:
    """A partner, invoice, posted payment and reviewed bank line carrying ``h``."""
    names = {
        "partner": f"P {h}",
        "invoice": f"I {h}"[:60],
        "ref": f"R {h}",
        "memo": f"M {h}",
        "counterparty": f"C {h}",
        "text": f"T {h}",
    }
    shows(payctl("partner", "create", names["partner"], "--kind", "customer"), names["partner"])
    shows(
        payctl(
            "invoice",
            "create",
            "--partner",
            names["partner"],
            "--number",
            names["invoice"],
            "--amount",
            "100.00",
            "--date",
            "2026-01-05",
        ),
        names["invoice"],
    )
    # --allocate takes INV=AMOUNT pairs separated by ';': an invoice number with one in it
    # cannot be named there (allocate it with `payctl allocate` instead)
    created = payctl(
        "create",
        "--type",
        "customer_payment",
        "--partner",
        names["partner"],
        "--amount",
        "10.00",
        "--date",
        "2026-01-10",
        "--ref",
        names["ref"],
        "--memo",
        names["memo"],
    )
    for key in ("partner", "ref", "memo"):
        shows(created, names[key])
    pid = json.loads(payctl("list", "--format", "json").stdout)["items"][0]["id"]
    shows(payctl("allocate", pid, names["invoice"], "10.00"), names["invoice"])
    names["payment"] = str(pid)
    terminal_safe(payctl("confirm", pid))
    bank = tmp_path / "bank.jsonl"
    bank.write_text(
        json.dumps(
            {
                "booking_date": "2026-01-20",
                "amount": "3.21",
                "counterparty_name": names["counterparty"],
                "remittance": names["text"],
                "transaction_id": "TX-1",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    terminal_safe(payctl("import", bank, "--journal", "BNK1", "--input-format", "jsonl"))
    return names


@pytest.mark.parametrize("h", [v for _, v in HOSTILE], ids=IDS)
def test_hostile_text_is_shown_literally_or_escaped(env, tmp_path, h):
    names = make_books(h, tmp_path)
    partner, pid = names["partner"], names["payment"]

    # tables (default format) and record views
    shows(payctl("partner", "list"), partner)
    shows(payctl("partner", "show", partner), partner)
    shows(payctl("invoice", "list"), names["invoice"])
    shows(payctl("invoice", "show", names["invoice"]), names["invoice"])
    listed = payctl("list")
    shows(listed, partner)
    shows(listed, names["ref"])
    show = payctl("show", pid)
    for key in ("partner", "ref", "memo", "invoice"):
        shows(show, names[key])
    review = payctl("review", "list")
    shows(review, names["counterparty"])
    shows(review, names["text"])
    # one line per change: the memo as text, escaped like every other cell
    shows(payctl("history", pid), names["memo"])
    terminal_safe(payctl("summary"))
    terminal_safe(payctl("check"))
    terminal_safe(payctl("bulk", "cancel", "--partner", partner, "--dry-run"))

    # errors: one line on stderr, the name shown, no raw control character
    for args in (
        ("partner", "show", f"X {h}"),
        ("show", f"X {h}"),
        ("create", "--type", "customer_payment", "--partner", f"X {h}", "--amount", "1.00"),
        ("invoice", "show", f"X {h}"),
        ("partner", "create", partner),
    ):  # already exists
        failed = payctl(*args, code=1)
        terminal_safe(failed)
        assert failed.stdout == ""
        assert failed.stderr.startswith("payctl: error: ") and failed.stderr.count("\n") == 1
    bad = payctl("list", "--sort", h, code=2)
    terminal_safe(bad)

    # JSON keeps the exact value (controls escaped the JSON way), nothing raw on the terminal
    for args, key, want in (
        (("partner", "list"), "name", partner),
        (("list",), "reference", names["ref"]),
        (("review", "list"), "counterparty", names["counterparty"]),
        (("review", "list"), "text", names["text"]),
    ):
        out = payctl(*args, "--format", "json")
        terminal_safe(out)
        assert [item[key] for item in json.loads(out.stdout)["items"]] == [want]
    detail = payctl("show", pid, "--format", "json")
    terminal_safe(detail)
    assert json.loads(detail.stdout)["memo"] == names["memo"]

    # piped CSV is data for a program: the exact value
    out = payctl("partner", "list", "--format", "csv").stdout
    assert [r["name"] for r in csv.DictReader(io.StringIO(out, newline=""))] == [partner]
    out = payctl("review", "export").stdout
    assert [r["text"] for r in csv.DictReader(io.StringIO(out, newline=""))] == [names["text"]]

    exports(h, names, tmp_path)


def exports(h: str, names: dict[str, str], tmp_path: Path) -> None:
    """ledger/beancount stay valid (bean-check), text is escaped; csv/xlsx keep the text.
    The partner name and the invoice number (the invoice entry's memo) reach the exports."""
    ledger = payctl("export", "--to", "ledger")
    text = terminal_safe(ledger)
    headers = [line for line in ledger.stdout.splitlines() if re.match(r"\d{4}-\d{2}-\d{2} ", line)]
    # whitespace runs and ';' (a comment start) become one space; controls are escaped
    invoice = visible(re.sub(r"[\s;]+", " ", names["invoice"]).strip())
    assert any(invoice in line for line in headers), text
    for line in ledger.stdout.splitlines():  # every line is a header, posting, comment or blank
        assert line == "" or re.match(r"\d{4}-\d{2}-\d{2} |    |; |commodity |account ", line), (
            repr(line)
        )

    path = tmp_path / "books.beancount"
    payctl("export", "--to", "beancount", "--output", path)
    beancount = path.read_text(encoding="utf-8")
    assert RAW.search(beancount) is None, repr(beancount)
    from beancount import loader

    entries, errors, _ = loader.load_string(beancount)
    assert not errors, errors
    narrations = [getattr(e, "narration", None) for e in entries]
    payees = {getattr(e, "payee", None) for e in entries}
    assert visible(" ".join(names["invoice"].split())) in narrations, narrations
    assert visible(" ".join(names["partner"].split())) in payees, payees
    check = shutil.which("bean-check") or str(Path(sys.executable).with_name("bean-check"))
    if Path(check).exists():
        out = subprocess.run([check, str(path)], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr

    csv_out = payctl("export", "--to", "csv").stdout
    partners = {r["partner"] for r in csv.DictReader(io.StringIO(csv_out, newline=""))}
    assert names["partner"] in partners or visible(names["partner"]) in partners, partners

    from openpyxl import load_workbook

    book = tmp_path / "books.xlsx"
    payctl("export", "--to", "xlsx", "--output", book)
    cells = {c.value for row in load_workbook(book).active.iter_rows() for c in row}
    # the cell holds the text (an XML reader turns a CR into a newline: XML's own rule)
    assert names["partner"].replace("\r", "\n") in cells or visible(names["partner"]) in cells


def test_nul_in_a_bank_file_is_refused_cleanly(env, tmp_path):
    bank = tmp_path / "nul.jsonl"
    bank.write_text(
        json.dumps(
            {
                "booking_date": "2026-01-20",
                "amount": "3.21",
                "counterparty_name": "a\x00b",
                "remittance": "x",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    failed = payctl("import", bank, "--input-format", "jsonl", code=2)
    terminal_safe(failed)
    assert "nul.jsonl" in failed.stderr and "line 1" in failed.stderr
    assert "counterparty_name" in failed.stderr
    assert json.loads(payctl("review", "list", "--format", "json").stdout)["total"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--format", "[bold]x[/bold]\u202e\x1b[31m"),
        ("list", "--x[bold]x[/bold]\u202e\x1b[31m"),
        ("show", "1", "[bold]x[/bold]\u202e\x1b[31m"),
        ("partner", "[bold]x[/bold]\u202e\x1b[31m"),
        ("[bold]x[/bold]\u202e\x1b[31m",),
    ],
    ids=["bad-value", "unknown-option", "extra-argument", "unknown-command", "unknown-group"],
)
def test_a_usage_error_shows_what_was_typed_literally(env, args):
    failed = payctl(*args, code=2)
    text = terminal_safe(failed)
    assert "[bold]x[/bold]" in text and "\\u202e" in text


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_csv_and_messages_on_a_terminal_are_escaped(env):
    import pty

    name = "T \x1b[31mred\x1b]0;t\x07 \u202ex\rz"
    payctl("partner", "create", name, "--kind", "customer")
    out = []
    for args in (
        ["partner", "list", "--format", "csv"],
        ["partner", "list"],
        ["export", "--to", "csv"],
        ["partner", "show", "nobody \x1b[2J"],
    ):
        leader, follower = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "payctl", *args],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=follower,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "dumb", "NO_COLOR": "1"},
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
        os.close(leader)
        text = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
        assert RAW.search(text) is None, f"{args}: {text!r}"
        out.append(text)
    assert visible(name) in out[0] and visible(name) in out[1]
    assert "\\x1b[2J" in out[3]

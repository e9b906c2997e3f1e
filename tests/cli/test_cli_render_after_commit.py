"""Showing a result never fails, and never hands data to the terminal ("Trust, part two" 4, 12).

A write command has committed by the time it shows its result: if showing it failed, the
ledger would hold the change while the command said "error" (exit 1), and a retry would add
it again. Names a terminal cannot encode (``ü`` on an ASCII stdout) used to do exactly that:
UnicodeEncodeError after the commit. Now they are written as backslash escapes, JSON as its
own ``\\u`` escapes, and a retried ``invoice create`` is refused, never a duplicate.

The markup and terminal-control payloads go through the listed commands in a real process on
a forced colour terminal (a pseudo-terminal, FORCE_COLOR, TERM=xterm-256color): the raw bytes
may hold Rich's own colour codes (SGR) and nothing else: no OSC 8 hyperlink, no ESC sequence
from the data, no fake row from an embedded newline.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT, payctl

ASCII = "ascii"  # a stdout that encodes ASCII only, strictly

NAME = "M\u00fcller [bold red]\u4e2d"  # Müller, CJK: not ASCII; markup that must stay text
NUMBER = "INV/\u00e9/1"


def invoices() -> list[dict[str, Any]]:
    return json.loads(payctl("invoice", "list", "--format", "json").stdout)["items"]


def test_a_name_the_terminal_cannot_encode_never_fails_after_the_commit(cli_env):
    created = payctl("partner", "create", NAME, "--kind", "customer", charset=ASCII)
    assert "M\\xfcller [bold red]\\u4e2d" in created.stdout

    args = ("invoice", "create", "--partner", NAME, "--number", NUMBER, "--amount", "119.00")
    shown = payctl(*args, "--date", "2026-01-05", charset=ASCII)
    assert "INV/\\xe9/1" in shown.stdout and "M\\xfcller [bold red]\\u4e2d" in shown.stdout
    # a retry (after what looked like a failure) is refused by number, never a second invoice
    again = payctl(*args, "--date", "2026-01-05", code=1, charset=ASCII)
    assert again.stdout == ""
    assert again.stderr == "payctl: error: invoice INV/\\xe9/1 already exists\n"
    assert [(i["number"], i["partner"], i["total"]) for i in invoices()] == [
        (NUMBER, NAME, "119.00")
    ]

    # JSON on an ASCII stdout is still valid JSON holding the exact values
    data = json.loads(payctl("invoice", "show", NUMBER, "--format", "json", charset=ASCII).stdout)
    assert (data["number"], data["partner"]) == (NUMBER, NAME)
    # CSV and every table view: escaped, never an error
    assert "INV/\\xe9/1" in payctl("invoice", "list", "-f", "csv", charset=ASCII).stdout
    for view in (("invoice", "list"), ("partner", "show", NAME), ("partner", "list")):
        assert "M\\xfcller [bold red]\\u4e2d" in payctl(*view, charset=ASCII).stdout


def test_a_real_process_on_an_ascii_stdout_commits_once_and_says_so(cli_env):
    """The real entry point and a real stdout (PYTHONIOENCODING=ascii: strict ASCII)."""
    payctl("partner", "create", NAME, "--kind", "customer")
    env = {**cli_env, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "ascii"}
    args = [sys.executable, "-m", "payctl", "invoice", "create", "--partner", NAME]
    args += ["--number", NUMBER, "--amount", "5.00", "--date", "2026-01-05"]
    first = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, timeout=120)
    assert (first.returncode, first.stderr) == (0, b""), first.stderr
    assert b"M\\xfcller [bold red]\\u4e2d" in first.stdout and first.stdout.isascii()
    again = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, timeout=120)
    assert again.returncode == 1 and again.stdout == b""
    assert again.stderr == b"payctl: error: invoice INV/\\xe9/1 already exists\n"
    assert [(i["number"], i["total"]) for i in invoices()] == [(NUMBER, "5.00")]


def test_bulk_confirm_with_a_bad_line_reports_after_posting_and_a_retry_skips(cli_env, tmp_path):
    payctl("partner", "create", NAME, "--kind", "customer")
    payctl("invoice", "create", "--partner", NAME, "--number", NUMBER, "--amount", "10.00")
    payctl("create", "--type", "customer_payment", "--partner", NAME, "--amount", "10.00")
    ids = tmp_path / "ids.txt"
    ids.write_text("1\n[/]\nZahlung-\u00fc\n", encoding="utf-8")

    for attempt, status in ((1, "ok"), (2, "skipped")):
        # exit 1: some items failed (documented); the report is shown whole, no internal error
        run = payctl("bulk", "confirm", "--file", ids, code=1, charset=ASCII)
        assert "[/]" in run.stdout and "Zahlung-\\xfc" in run.stdout, attempt
        assert "unknown payment" in run.stdout
        data = json.loads(payctl("bulk", "confirm", "--file", ids, "-f", "json", code=1).stdout)
        assert {i["item"]: i["status"] for i in data["items"]} == {
            "1": "skipped",
            "[/]": "failed",
            "Zahlung-\u00fc": "failed",
        }
        assert status in run.stdout
    payments = json.loads(payctl("list", "--format", "json").stdout)
    assert [(p["state"], p["number"]) for p in payments["items"]] == [("posted", "BNK1/2026/00001")]


# What Rich itself sends to a colour terminal: Select Graphic Rendition (colours, bold) and, for
# the progress bar on stderr, hide/show cursor, erase line, cursor up, each after a CR.
RICH = re.compile(rb"\x1b\[[0-9;]*m|\x1b\[\?25[lh]|\r?\x1b\[(?:2K|1A)")
PAYLOADS = {
    "link": "[link=https://evil.example]x[/link]",
    "close": "[/]",
    "style": "[bold red]",
    "clear": "\x1b[2J",
    "row": "a\nb",
}
HOSTILE = " ".join(PAYLOADS.values())
SHOWN = "[link=https://evil.example]x[/link] [/] [bold red] \\x1b[2J a\\x0ab"


def on_a_terminal(env: dict[str, str], *args: str) -> tuple[int, bytes]:
    """Run ``payctl ARGS`` on a pseudo-terminal with colours forced; the raw bytes it wrote."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "payctl", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        env={
            **env,
            "PYTHONPATH": str(ROOT),
            "FORCE_COLOR": "1",
            "TERM": "xterm-256color",
            "COLUMNS": "400",
        },
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
    code = proc.wait(timeout=120)
    os.close(leader)
    return code, b"".join(chunks)


def clean(args: tuple[str, ...], raw: bytes) -> str:
    """The text a person sees, after checking the only ESC sequences are Rich's own."""
    assert b"\x1b]" not in raw, f"{args}: an OSC sequence (hyperlink, title): {raw!r}"
    plain = RICH.sub(b"", raw)
    assert b"\x1b" not in plain and b"\x9b" not in plain, f"{args}: raw ESC/CSI: {raw!r}"
    text = plain.decode("utf-8").replace("\r\n", "\n")
    assert re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text) is None
    # an embedded newline never starts a line of its own: no fake row beginning with "b"
    assert not any(re.fullmatch(r"[\s│┃|]*b[\s│┃|]*", line) for line in text.splitlines()), text
    return text


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_markup_and_controls_on_a_forced_colour_terminal(cli_env, tmp_path):
    env = {k: v for k, v in cli_env.items() if k not in {"NO_COLOR", "PYTHONIOENCODING"}}
    bank = tmp_path / "bank.jsonl"
    bank.write_text(
        json.dumps(
            {
                "booking_date": "2026-01-20",
                "amount": "3.21",
                "counterparty_name": HOSTILE,
                "remittance": HOSTILE,
                "transaction_id": "TX-1",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    ids = tmp_path / "ids.txt"
    ids.write_text("1\n[/]\n[link=https://evil.example]x[/link]\n", encoding="utf-8")
    steps: list[tuple[tuple[str, ...], int, str | None]] = [  # args, exit code, shown
        (("partner", "create", HOSTILE, "--kind", "customer"), 0, SHOWN),
        (
            (
                "invoice",
                "create",
                "--partner",
                HOSTILE,
                "--number",
                "INV-1",
                "--amount",
                "10.00",
                "--date",
                "2026-01-05",
            ),
            0,
            SHOWN,
        ),
        (
            (
                "create",
                "--type",
                "customer_payment",
                "--partner",
                HOSTILE,
                "--amount",
                "10.00",
                "--date",
                "2026-01-10",
                "--ref",
                HOSTILE,
                "--memo",
                HOSTILE,
            ),
            0,
            SHOWN,
        ),
        (("import", str(bank), "--journal", "BNK1", "--input-format", "jsonl"), 0, None),
        (("list",), 0, SHOWN),
        (("show", "1"), 0, SHOWN),
        (("partner", "show", HOSTILE), 0, SHOWN),
        (("partner", "list"), 0, SHOWN),
        (("invoice", "list"), 0, SHOWN),
        (("review", "list"), 0, SHOWN),
        (("history", "1"), 0, SHOWN),
        (("bulk", "confirm", "--file", str(ids)), 1, PAYLOADS["link"]),
        # error messages quote the value as a Python literal: the markup shows as typed
        (("show", HOSTILE), 1, PAYLOADS["link"]),
        (("partner", "show", "nobody " + HOSTILE), 1, PAYLOADS["link"]),
    ]
    for args, code, want in steps:
        got, raw = on_a_terminal(env, *args)
        text = clean(args, raw)
        assert got == code, f"{args}: exit {got}, wanted {code}: {text}"
        assert "Traceback" not in text and "internal error" not in text, text
        assert want is None or want in text, f"{args}: {want!r} not in {text!r}"
    assert "BNK1/2026/00001" in clean(("list",), on_a_terminal(env, "list")[1])
    code, raw = on_a_terminal(env, "bulk", "confirm", "--file", str(ids))  # the retry
    report = clean(("bulk",), raw)
    assert code == 1 and "skipped" in report and "[link=https://evil.example]x[/link]" in report


def test_bidi_marks_are_escaped_like_the_overrides(cli_env):
    """RLM, LRM and ALM reorder what a terminal shows, like the overrides: escaped too."""
    name = "Acme \u200f-100.00\u200e Ltd\u061c"
    marks = re.compile("[\u061c\u200e\u200f]")
    created = payctl("partner", "create", name, "--kind", "customer")
    for result in (created, payctl("partner", "show", name), payctl("partner", "list")):
        assert marks.search(result.stdout + result.stderr) is None, result.stdout
        assert "Acme \\u200f-100.00\\u200e Ltd\\u061c" in result.stdout
    listed = payctl("partner", "list", "--format", "json").stdout
    assert marks.search(listed) is None and "\\u200f" in listed
    assert [p["name"] for p in json.loads(listed)["items"]] == [name]

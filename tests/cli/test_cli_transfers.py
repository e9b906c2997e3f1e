"""Internal transfers between two own journals on every backend (cli_env): a line leaving
BNK1 for BNK2's account and the line arriving on BNK2 are booked through the internal transfer
account and paired; whichever comes first waits there; `payctl check` holds the account to the
transfers on their way; a rule's `transfer_to` does the same; unmatch unpairs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import payctl
from tests.conftest import payctl_json as js
from tests.services.test_bank_import import jsonl, row

BNK1_IBAN = "DE02120300000000202051"
BNK2_IBAN = "BE68539007547034"


@pytest.fixture(autouse=True)
def _check(cli_env: dict[str, str]) -> Any:
    payctl("journal", "update", "BNK1", "--iban", BNK1_IBAN)
    payctl("journal", "create", "BNK2", "--name", "Savings", "--iban", BNK2_IBAN)
    yield
    payctl("check")


def transfer_balance() -> str:
    trial = {r["code"]: r for r in js("report", "trial-balance")["items"]}
    return trial["1095"]["closing"] if "1095" in trial else "0.00"


def lines(state: str = "all") -> dict[int, dict[str, Any]]:
    return {i["id"]: i for i in js("review", "list", "--state", state, "--limit", "0")["items"]}


def imp(journal: str, *rows: dict[str, str], extra: tuple[str, ...] = ()) -> dict[str, Any]:
    return js(
        "import", "-", "--journal", journal, "--input-format", "jsonl", *extra, input=jsonl(*rows)
    )["files"][0]


def test_both_halves_paired_through_the_transfer_account():
    out = imp(
        "BNK1",
        row("-500.00", day="2026-03-02", text="to savings", iban=BNK2_IBAN, account=BNK1_IBAN),
    )
    assert out["ruled"] == {"transfer": 1}
    (first,) = lines().values()
    assert first["state"] == "booked"
    assert first["reason"] == (
        f"counterparty account {BNK2_IBAN} is journal BNK2's: an internal transfer"
    )
    assert transfer_balance() == "500.00"  # on its way
    payctl("check")
    imp(
        "BNK2",
        row("500.00", day="2026-03-04", text="from current", iban=BNK1_IBAN, account=BNK2_IBAN),
    )
    both = lines()
    assert [b["state"] for b in both.values()] == ["booked", "booked"]
    a, b = sorted(both)
    assert both[a]["reason"].endswith(f"paired with bank line {b}")
    assert both[b]["reason"].endswith(f"paired with bank line {a}")
    assert transfer_balance() == "0.00"
    # unmatch the arrival: the departure waits on the transfer account again
    payctl("review", "unmatch", str(b))
    assert transfer_balance() == "500.00"
    assert lines("review")[b]["state"] == "review"
    payctl("check")


def test_too_far_apart_or_another_amount_stays_unpaired():
    imp("BNK1", row("-500.00", day="2026-03-02", iban=BNK2_IBAN, account=BNK1_IBAN))
    imp(
        "BNK2",
        row("500.00", day="2026-03-20", iban=BNK1_IBAN, account=BNK2_IBAN),
        row("499.00", day="2026-03-03", iban=BNK1_IBAN, account=BNK2_IBAN),
    )
    for item in lines().values():
        assert item["state"] == "booked" and "paired" not in item["reason"]
    assert transfer_balance() == "-499.00"  # 500 out on its way, 999 in waiting for theirs


def test_transfer_days_widen_the_window():
    imp("BNK1", row("-500.00", day="2026-03-02", iban=BNK2_IBAN, account=BNK1_IBAN))
    imp(
        "BNK2",
        row("500.00", day="2026-03-20", iban=BNK1_IBAN, account=BNK2_IBAN),
        extra=("--transfer-days", "18"),
    )
    assert all("paired with" in item["reason"] for item in lines().values())
    assert transfer_balance() == "0.00"
    bad = payctl("import", "-", "--transfer-days", "-1", code=2, input="").stderr
    assert "--transfer-days" in bad


def test_a_rule_books_a_transfer(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nname = "sweep"\ntext = "SWEEP"\njournal = "BNK1"\ntransfer_to = "BNK2"\n',
        encoding="utf-8",
    )
    imp("BNK1", row("-250.00", day="2026-03-02", text="SWEEP 03"), extra=("--rules", str(rules)))
    imp("BNK2", row("250.00", day="2026-03-02", text="sweep in"))
    items = lines()
    out, into = sorted(items)
    assert items[out]["state"] == "booked" and items[out]["reason"].startswith("rule 'sweep'")
    assert items[into]["state"] == "review"  # nothing says it is a transfer: a person decides
    assert transfer_balance() == "250.00"
    done = payctl("review", "accept", str(into), "--transfer", "BNK1").stdout
    assert done == f"bank line {into} booked as a transfer from BNK1, paired with bank line {out}\n"
    assert transfer_balance() == "0.00"


def test_accept_as_a_transfer_by_hand_and_bad_input():
    imp("BNK1", row("-90.00", day="2026-03-02", text="?"))
    (line,) = lines()
    refused_line = payctl("review", "accept", str(line), "--transfer", "BNK1", code=1).stderr
    assert "a transfer goes to another journal" in refused_line
    assert (
        "unknown journal 'NOPE'"
        in payctl("review", "accept", str(line), "--transfer", "NOPE", code=1).stderr
    )
    assert (
        "leave out"
        in payctl(
            "review", "accept", str(line), "--transfer", "BNK2", "--account", "6900", code=2
        ).stderr
    )
    assert lines()[line]["state"] == "review"
    out = payctl("review", "accept", str(line), "--transfer", "BNK2").stdout
    assert "waits on the transfer account for its other half" in out
    assert transfer_balance() == "90.00"

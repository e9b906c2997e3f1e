"""`payctl journal update` on every backend (cli_env): what it changes, what it refuses (and
then writes nothing), its audit record and its `journal.updated` event; and a journal without
a bank account taking the account of the first statement imported into it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from payctl.db import models as m
from tests.conftest import in_session, payctl, refused
from tests.conftest import payctl_json as js
from tests.services.test_bank_import import FOREIGN_IBAN, OWN_IBAN, jsonl, row

OTHER_IBAN = "DE89370400440532013000"


def journal(code: str) -> dict[str, Any]:
    return {j["code"]: j for j in js("journal", "list")["items"]}[code]


def counts(url: str) -> tuple[int, int, int]:
    async def go(s: Any) -> tuple[int, int, int]:
        return (
            await s.scalar(select(func.count()).select_from(m.AuditRecord)),
            await s.scalar(select(func.count()).select_from(m.Event)),
            await s.scalar(select(func.count()).select_from(m.Journal)),
        )

    return in_session(url, go)


def test_update_changes_name_and_bank_account_audited_with_one_event(cli_env, init_url):
    before = counts(init_url)
    out = js(
        "journal",
        "update",
        "BNK1",
        "--name",
        "Main bank",
        "--iban",
        OWN_IBAN,
        "--reason",
        "new account",
    )
    assert (out["name"], out["iban"]) == ("Main bank", OWN_IBAN)
    assert journal("BNK1")["iban"] == OWN_IBAN
    audits, events, _ = counts(init_url)
    assert (audits, events) == (before[0] + 1, before[1] + 1)
    event = js("events", "list", "--type", "journal.updated")[-1]
    assert event["object"] == {"type": "journal", "id": event["object"]["id"], "number": "BNK1"}
    data = event["data"]
    assert data["changed"] == ["iban", "name"] and data["reason"] == "new account"
    assert (data["iban"], data["name"], data["account"]) == (OWN_IBAN, "Main bank", "1000")
    # the same values again change nothing: no audit record, no event
    js("journal", "update", "BNK1", "--name", "Main bank", "--iban", OWN_IBAN)
    assert counts(init_url)[:2] == (audits, events)
    # an empty --iban clears it
    assert js("journal", "update", "BNK1", "--iban", "")["iban"] is None


def test_bad_updates_are_refused_and_write_nothing(cli_env, init_url):
    payctl("journal", "update", "BNK1", "--iban", OWN_IBAN)
    before = counts(init_url)
    cases = [
        (("BNKX", "--name", "x"), 1, "BNKX"),
        (
            ("CSH1", "--iban", OWN_IBAN),
            1,
            f"bank account {OWN_IBAN} already belongs to journal BNK1",
        ),
        (("CSH1", "--iban", "DE00 1234"), 2, "--iban"),
        (("CSH1", "--name", " "), 2, "--name"),
        (("CSH1", "--account", "9999"), 1, "--account: no account 9999"),
        (("CSH1", "--account", "1090"), 1, "bank_suspense"),
        (("CSH1", "--account", "1100"), 1, "receivable"),
        (("CSH1", "--account", "1000"), 1, "journal BNK1's bank account"),
        (("CSH1", "--outstanding-receipts", "4000"), 1, "--outstanding-receipts"),
    ]
    for args, code, says in cases:
        refused("journal", "update", *args, code=code, says=says)
        assert counts(init_url) == before, args
    assert journal("CSH1")["iban"] is None


def test_an_account_with_postings_stays(cli_env, init_url):
    """Moving a journal's ledger account once something is booked on it would split its
    balance over two accounts: refused. A journal with nothing booked may move."""

    async def spare(s: Any) -> None:
        s.add(m.Account(code="1005", name="Spare bank", type="asset", role=None))
        await s.commit()

    in_session(init_url, spare)
    payctl("journal", "create", "BNK2")
    assert js("journal", "update", "BNK2", "--account", "1005")["account"] == "1005"
    payctl("partner", "create", "Fee Bank", "--kind", "vendor")
    payctl(
        "create",
        "--type",
        "vendor_payment",
        "--partner",
        "Fee Bank",
        "--journal",
        "BNK1",
        "--amount",
        "5.00",
        "--date",
        "2026-02-03",
    )
    payctl("confirm", "1")
    # BNK1's outstanding payments account has the confirmed payment on it now
    refused(
        "journal", "update", "BNK1", "--outstanding-payments", "1005", code=1, says="has postings"
    )


def test_a_journal_takes_the_first_statements_account_then_refuses_others(cli_env, init_url):
    first = jsonl(row("-5.00", text="fee", account=OWN_IBAN))
    out = js("import", "-", "--journal", "CSH1", "--input-format", "jsonl", input=first)
    assert out["files"][0]["warnings"] == [
        f"journal CSH1 had no bank account: it now belongs to {OWN_IBAN}, the account of these "
        "statements (change it with payctl journal update CSH1)"
    ]
    assert journal("CSH1")["iban"] == OWN_IBAN
    before = counts(init_url)
    other = jsonl(row("-7.00", text="fee", account=FOREIGN_IBAN))
    line = refused(
        "import", "-", "--journal", "CSH1", "--input-format", "jsonl", input=other, code=2
    )
    assert f"does not belong to journal CSH1 ({OWN_IBAN})" in line
    assert counts(init_url) == before
    # and the journal's account cannot be changed away from its statements' account
    refused(
        "journal",
        "update",
        "CSH1",
        "--iban",
        OTHER_IBAN,
        code=1,
        says=f"holds statements of account {OWN_IBAN}",
    )
    assert counts(init_url) == before
    # a statement without an account says nothing and lands where it is told
    bare = jsonl(row("-9.00", text="fee"))
    out = js("import", "-", "--journal", "BNK1", "--input-format", "jsonl", input=bare)
    assert out["files"][0]["warnings"] == [] and journal("BNK1")["iban"] is None

"""Issue 14: the audit trail wiped or forged, and the books changed behind it, are caught by
`payctl check` (through the CLI), on every backend.

Each test tampers as an attacker with database access would: raw SQL on the database file
(sqlite3) or server (asyncpg), dropping the audit triggers first where they would block it,
even recomputing the (unkeyed) hash chain. `check` must exit 1 and name the object: posted
payments, their entries and bank lines are compared with what the trail recorded, and a head
stored outside the database (`check --head`) catches a rewritten or shortened trail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from payctl.db.engine import Database
from payctl.services.ledger import audit
from payctl.services.payments.payment_flow_service import PaymentFlowService
from tests import factories
from tests.cli.test_cli_check_export import tamper
from tests.conftest import payctl
from tests.services.test_check import build_books

ON_ACCOUNT = "BNK1/2026/00006"  # posted, no allocations: nothing else depends on its figures
LIVE_ENTRY = (
    "(SELECT id FROM journal_entries WHERE source_type = 'payment' AND reversal_of_id IS NULL "
    "AND reversed_by_id IS NULL AND payment_id = (SELECT id FROM payments WHERE number = '{}'))"
)


async def _build(url: str) -> None:
    db = Database(url)
    try:
        async with db.session() as s:
            await build_books(s)
            p = await factories.draft(s, "250.00", "Both & Co", date="2026-03-02")
            await PaymentFlowService(s, "tester").confirm_payment(p.id)
    finally:
        await db.dispose()


@pytest.fixture
def books(cli_env: dict[str, str], init_url: str, tmp_path: Path) -> str:
    asyncio.run(_build(init_url))
    extract = tmp_path / "extract.csv"
    extract.write_text(
        "Date,Amount,Currency,Counterparty,Description\n"
        "2026-03-03,12.34,EUR,Nobody Known,first\n"
        "2026-03-04,-56.78,EUR,Nobody Else,second\n"
    )
    result = payctl("import", str(extract), "--journal", "BNK1")
    assert result.exit_code == 0, result.output
    clean = payctl("check")
    assert clean.exit_code == 0, clean.output
    return init_url


def rows(url: str, backend: str, sql: str) -> list[tuple[Any, ...]]:
    if backend == "sqlite":
        con = sqlite3.connect(url.split("///", 1)[1])
        try:
            return list(con.execute(sql))
        finally:
            con.close()

    async def pg() -> list[tuple[Any, ...]]:
        import asyncpg

        con = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return [tuple(r) for r in await con.fetch(sql)]
        finally:
            await con.close()

    return asyncio.run(pg())


def unlocked(backend: str) -> list[str]:
    """Drop every trigger that keeps audit_log append-only."""
    if backend == "sqlite":
        return ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]
    return [
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "DROP TRIGGER audit_log_no_truncate ON audit_log",
    ]


def violations(*args: str) -> list[dict[str, str]]:
    result = payctl("check", "--format", "json", *args, code=1)
    return json.loads(result.stdout)["items"]


def named(items: list[dict[str, str]], code: str, obj: str) -> list[str]:
    return [i["message"] for i in items if i["code"] == code and i["object"] == obj]


def head() -> str:
    result = payctl("check", "--head")
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def _at(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def rechain(url: str, backend: str, first: int) -> list[str]:
    """Recompute the hash of every record from id ``first`` on, and the head, as an attacker
    who knows the (public) hash function would after editing record ``first``."""
    records = rows(
        url,
        backend,
        'SELECT id, at, "user", action, object_type, object_id, payment_id, changes, reason, '
        "hash FROM audit_log ORDER BY id",
    )
    out, prev = [], audit.GENESIS
    for rid, at, user, action, otype, oid, pid, changes, reason, stored in records:
        if rid < first:
            prev = stored
            continue
        digest = audit.record_hash(prev, _at(at), user, action, otype, oid, pid, changes, reason)
        out.append(f"UPDATE audit_log SET prev_hash = '{prev}', hash = '{digest}' WHERE id = {rid}")
        prev = digest
    out.append(f"UPDATE audit_head SET last_hash = '{prev}' WHERE id = 1")
    return out


# --------------------------------------------------------------------------- wiped trail


def test_the_trail_cannot_be_wiped_while_its_triggers_stand(books, backend):
    wipe = "TRUNCATE audit_log" if backend == "postgresql" else "DELETE FROM audit_log"
    with pytest.raises(Exception, match="append-only"):
        tamper(books, backend, wipe)
    assert rows(books, backend, "SELECT count(*) FROM audit_log")[0][0] > 0


def test_a_wiped_trail_with_its_head_reset_is_caught(books, backend):
    wipe = "TRUNCATE audit_log" if backend == "postgresql" else "DELETE FROM audit_log"
    tamper(
        books,
        backend,
        *unlocked(backend),
        wipe,
        f"UPDATE audit_head SET last_hash = '{audit.GENESIS}' WHERE id = 1",
    )
    assert rows(books, backend, "SELECT count(*) FROM audit_log")[0][0] == 0
    items = violations()
    assert not [i for i in items if i["code"] == "audit_chain"]  # an empty chain is intact
    for number in ("BNK1/2026/00001", "CSH1/2026/00001", ON_ACCOUNT):
        assert "no record of it" in " ".join(named(items, "audit_payment", number)), items
    lines = [i for i in items if i["code"] == "audit_bank_line"]
    assert len(lines) == 2 and all("no record of its import" in i["message"] for i in lines)


def test_last_records_deleted_and_head_moved_back_are_caught(books, backend):
    stored = head()
    last_confirm = rows(
        books,
        backend,
        "SELECT max(id) FROM audit_log WHERE action = 'confirm' AND object_id = "
        f"(SELECT id FROM payments WHERE number = '{ON_ACCOUNT}')",
    )[0][0]
    keep = rows(books, backend, f"SELECT hash FROM audit_log WHERE id = {last_confirm - 1}")[0][0]
    tamper(
        books,
        backend,
        *unlocked(backend),
        f"DELETE FROM audit_log WHERE id >= {last_confirm}",
        f"UPDATE audit_head SET last_hash = '{keep}' WHERE id = 1",
    )
    items = violations()
    assert not [i for i in items if i["code"] == "audit_chain"]  # the shorter chain is intact
    assert "last audit record is 'create'" in " ".join(named(items, "audit_payment", ON_ACCOUNT))
    assert len([i for i in items if i["code"] == "audit_bank_line"]) == 2  # the import went too
    items = violations("--expect-head", stored)
    assert "fewer than" in " ".join(named(items, "audit_head", "audit_log")), items


# -------------------------------------------------------------------------- forged trail


def test_an_edited_record_with_the_chain_recomputed_is_caught_by_the_stored_head(books, backend):
    stored = head()
    target = rows(
        books,
        backend,
        "SELECT max(id) FROM audit_log WHERE action = 'confirm' AND object_id = "
        f"(SELECT id FROM payments WHERE number = '{ON_ACCOUNT}')",
    )[0][0]
    forged = "SET \"user\" = 'somebody else', reason = 'forged'"
    tamper(books, backend, *unlocked(backend), f"UPDATE audit_log {forged} WHERE id = {target}")
    tamper(books, backend, *rechain(books, backend, target))
    result = payctl("check")
    assert result.exit_code == 0, result.output  # a consistent forgery: only the head tells
    items = violations("--expect-head", stored)
    messages = named(items, "audit_head", "audit_log")
    assert messages and "rewritten" in messages[0], items
    count = int(stored.split(":")[0])
    assert f"the first {count} audit record(s)" in messages[0]


def test_a_longer_trail_with_the_stored_head_as_prefix_is_fine(books, backend):
    stored = head()
    assert payctl("partner", "create", "Later GmbH", "--kind", "customer").exit_code == 0
    assert payctl("lock-date", "set", "2025-12-31").exit_code == 0  # an audited change
    assert head() != stored
    result = payctl("check", "--expect-head", stored)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("value", ["12", "12:abc", "x:" + "0" * 64, "1:" + "A" * 64])
def test_a_malformed_expected_head_is_bad_usage(books, value):
    result = payctl("check", "--expect-head", value, code=2)
    assert result.stderr.count("\n") == 1 and "--expect-head" in result.stderr


# ------------------------------------------------------------- books changed behind it


def _only_the_trail_notices(items: list[dict[str, str]]) -> None:
    """The other checks see consistent books: before issue 14 this tampering went unnoticed."""
    assert {i["code"] for i in items} <= {"audit_payment", "audit_entry", "audit_bank_line"}, items


def test_posted_amount_changed_with_both_entry_lines_is_caught(books, backend):
    entry = LIVE_ENTRY.format(ON_ACCOUNT)
    number = rows(books, backend, f"SELECT number FROM journal_entries WHERE id = {entry}")[0][0]
    tamper(
        books,
        backend,
        f"UPDATE payments SET amount = amount + 5000 WHERE number = '{ON_ACCOUNT}'",
        f"UPDATE journal_lines SET debit = debit + 5000 WHERE debit > 0 AND entry_id = {entry}",
        f"UPDATE journal_lines SET credit = credit + 5000 WHERE credit > 0 AND entry_id = {entry}",
    )
    items = violations()
    _only_the_trail_notices(items)
    assert "amount is 300.00, recorded 250.00" in named(items, "audit_payment", ON_ACCOUNT)[0]
    assert "does not match the entry" in named(items, "audit_entry", number)[0]


def test_posted_date_changed_is_caught(books, backend):
    tamper(books, backend, f"UPDATE payments SET date = '2026-03-09' WHERE number = '{ON_ACCOUNT}'")
    items = violations()
    _only_the_trail_notices(items)
    assert "date is 2026-03-09, recorded 2026-03-02" in named(items, "audit_payment", ON_ACCOUNT)[0]


def test_posted_partner_changed_with_its_entry_lines_is_caught(books, backend):
    other = "(SELECT id FROM partners WHERE name = 'ACME GmbH')"
    tamper(
        books,
        backend,
        f"UPDATE payments SET partner_id = {other} WHERE number = '{ON_ACCOUNT}'",
        f"UPDATE journal_lines SET partner_id = {other} WHERE partner_id IS NOT NULL AND "
        f"entry_id = {LIVE_ENTRY.format(ON_ACCOUNT)}",
    )
    items = violations()
    _only_the_trail_notices(items)
    assert "partner_id is" in named(items, "audit_payment", ON_ACCOUNT)[0]
    assert len([i for i in items if i["code"] == "audit_entry"]) == 1


def test_bank_line_amount_changed_is_caught(books, backend):
    line = rows(books, backend, "SELECT min(id) FROM bank_lines")[0][0]
    tamper(books, backend, f"UPDATE bank_lines SET amount = amount + 100000 WHERE id = {line}")
    items = violations()
    # the trail notices, and so do the bank balances (every line is in the ledger, issue 10)
    codes = {i["code"] for i in items}
    assert "audit_bank_line" in codes, items
    assert all(c == "audit_bank_line" or c.startswith("bank_") for c in codes), items
    assert (
        "amount, currency, booking date" in named(items, "audit_bank_line", f"bank line {line}")[0]
    )


# ------------------------------------------- the confirm record compared as text (fast path)
# `check` first compares a posted payment's last record with the text the trail's encoder
# gives its confirm record as the payment stands (audit_match.confirm_text); any difference
# sends the record to the full comparison. These forge the record itself (chain recomputed)
# or change a row in the fields only the snapshot holds.


def _forge_confirm_record(url: str, backend: str, edit: Any, spell: Any = None) -> None:
    target, changes = rows(
        url,
        backend,
        "SELECT id, changes FROM audit_log WHERE id = (SELECT max(id) FROM audit_log WHERE "
        f"object_type = 'payment' AND object_id = (SELECT id FROM payments WHERE number = "
        f"'{ON_ACCOUNT}'))",
    )[0]
    data = json.loads(changes)
    edit(data)
    text = (spell or audit._json)(data).replace("'", "''")
    forged = f"UPDATE audit_log SET changes = '{text}' WHERE id = {target}"
    tamper(url, backend, *unlocked(backend), forged)
    tamper(url, backend, *rechain(url, backend, target))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["snapshot"].update(memo="forged"), "memo changed"),
        (lambda d: d["snapshot"].update(reference="forged"), "reference changed"),
        (lambda d: d["snapshot"].update(amount=1), "amount is 250.00, recorded 0.01"),
        (lambda d: d["snapshot"].update(allocations={"1": 25000}), "allocations changed"),
        (lambda d: d["snapshot"].pop("currency"), "currency is EUR, recorded (none)"),
        (lambda d: d.pop("snapshot"), "number is"),
        (lambda d: d["entry"]["lines"][0].__setitem__(2, 1), None),
        (lambda d: d["entry"]["lines"].pop(), None),
    ],
)
def test_a_forged_confirm_record_is_caught(books, backend, edit, message):
    _forge_confirm_record(books, backend, edit)
    items = violations()
    _only_the_trail_notices(items)
    if message is None:
        entry = LIVE_ENTRY.format(ON_ACCOUNT)
        number = rows(books, backend, f"SELECT number FROM journal_entries WHERE id = {entry}")
        assert "does not match the entry" in named(items, "audit_entry", number[0][0])[0]
    else:
        assert message in named(items, "audit_payment", ON_ACCOUNT)[0], items


def test_a_confirm_record_spelt_otherwise_is_compared_in_full(books, backend):
    """The same record in other JSON text (keys unsorted, spaces, another state before, an
    extra key): not the encoder's text, so decoded and compared in full, which finds it
    matches: no false alarm."""

    def edit(data: dict[str, Any]) -> None:
        data["state_before"] = "something else"
        data["extra"] = ["ignored"]

    _forge_confirm_record(books, backend, edit, spell=lambda d: json.dumps(d, indent=1))
    result = payctl("check")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "change",
    [
        "memo = 'changed behind the trail'",
        "reference = 'changed'",
        "memo = ''",  # recorded as null
        "number = 'BNK1/2026/00099'",
        "currency = 'USD'",
    ],
)
def test_a_posted_payment_changed_in_a_snapshot_field_is_caught(books, backend, change):
    tamper(books, backend, f"UPDATE payments SET {change} WHERE number = '{ON_ACCOUNT}'")
    items = violations()
    label = "BNK1/2026/00099" if change.startswith("number") else ON_ACCOUNT
    field = change.split(" ")[0]
    assert f"{field} " in named(items, "audit_payment", label)[0], items


def test_an_entry_line_changed_alone_is_caught(books, backend):
    entry = LIVE_ENTRY.format(ON_ACCOUNT)
    number = rows(books, backend, f"SELECT number FROM journal_entries WHERE id = {entry}")[0][0]
    other = "(SELECT id FROM partners WHERE name = 'ACME GmbH')"
    tamper(
        books,
        backend,
        f"UPDATE journal_lines SET partner_id = {other} WHERE partner_id IS NOT NULL AND "
        f"entry_id = {entry}",
    )
    items = violations()
    assert "does not match the entry" in named(items, "audit_entry", number)[0], items
    assert not named(items, "audit_payment", ON_ACCOUNT), items

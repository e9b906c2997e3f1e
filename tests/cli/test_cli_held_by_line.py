"""A payment a bank line holds (the draft the import made from the line, issue 14 points 1-3)
stays what the line says until `payctl review unmatch`: cancel, delete, bulk cancel and bulk
delete are refused (exit 1, one line naming the line and the unmatch command, nothing
written), so is an update of its amount, journal or direction; and `payctl check` reports a
matched line whose payment is cancelled. Through Typer's runner, on every backend (cli_env).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from payctl.db import models as m
from payctl.db.engine import Database
from payctl.db.uow import begin
from tests.cli.test_cli_import import flat, table_counts, write
from tests.conftest import on_database, payctl, refused
from tests.conftest import payctl_json as js
from tests.services.test_bank_import import GLOBEX_IBAN, books, jsonl, row

LINES = jsonl(
    row("1190.00", text="INV-2026-0001", tx="H1"),  # reference rule
    row("800.00", iban=GLOBEX_IBAN, tx="H2"),  # partner_amount rule
)


async def _held(db: Database) -> list[tuple[int, str, str | None, int | None, str | None]]:
    """(line id, line state, link, payment id, payment state), in line order."""
    async with db.session() as s:
        rows = await s.execute(
            select(m.BankLine.id, m.BankLine.state, m.BankLine.link, m.Payment.id, m.Payment.state)
            .outerjoin(m.Payment, m.Payment.id == m.BankLine.payment_id)
            .order_by(m.BankLine.id)
        )
        return [(a, b, c, d, e.value if e else None) for a, b, c, d, e in rows]


async def _sql(db: Database, statement: str) -> None:
    async with db.session() as s:
        await begin(s, write=True)
        await s.execute(text(statement))
        await s.commit()


@pytest.fixture
def drafts(cli_env: dict[str, str], tmp_path: Path) -> list[tuple[int, int]]:
    """A real import, without --auto-confirm: each line made a draft it holds (link created).
    Returns (line id, payment id) pairs."""
    url = cli_env["PAYCTL_DATABASE_URL"]
    on_database(url, books)
    out = js("import", write(tmp_path, "day.jsonl", LINES), "--journal", "BNK1")
    assert out["totals"]["payments_created"] == 2
    held = on_database(url, _held)
    assert [(state, link, pay) for _, state, link, _, pay in held] == [
        ("matched", "created", "draft")
    ] * 2
    return [(line, pid) for line, _, _, pid, _ in held]


def _refused(*args: Any, line: int) -> str:
    error = refused(*args, code=1)
    assert f"bank line {line}" in error, error
    assert f"payctl review unmatch {line}" in error, error
    return error


def test_a_draft_its_line_holds_is_not_cancelled_deleted_or_changed(cli_env, drafts):
    url = cli_env["PAYCTL_DATABASE_URL"]
    (line, pid), _ = drafts
    counts, held = table_counts(url), on_database(url, _held)
    _refused("cancel", pid, "--reason", "typo", line=line)
    _refused("delete", pid, line=line)  # no foreign-key error: the rule speaks first
    _refused("update", pid, "--amount", "1200.00", line=line)
    _refused("update", pid, "--journal", "CSH1", line=line)
    _refused("update", pid, "--type", "customer_refund", line=line)  # money the other way
    assert (table_counts(url), on_database(url, _held)) == (counts, held)
    assert js("show", pid)["amount"] == "1190.00"
    # what the line does not fix stays editable
    payctl("update", pid, "--memo", "paid by transfer")
    payctl("check")
    # unmatch undoes what the match booked (README, review): the never-posted draft goes with
    # it and the line is back in review
    out = flat(payctl("review", "unmatch", line).stdout)
    assert f"draft payment #{pid} made from it is deleted" in out
    assert on_database(url, _held)[0][1:4] == ("review", None, None)
    payctl("cancel", pid, code=1)  # gone with the match
    payctl("check")


def test_bulk_cancel_and_delete_fail_per_item(cli_env, drafts):
    url = cli_env["PAYCTL_DATABASE_URL"]
    counts, held = table_counts(url), on_database(url, _held)
    ids = [str(pid) for _, pid in drafts]
    for action in ("cancel", "delete"):
        for atomic in ([], ["--atomic"]):
            out = js("bulk", action, *ids, *atomic, code=1)
            assert out["summary"]["failed"] == 2, out
            for item, (line, _) in zip(out["items"], drafts, strict=True):
                assert not item["ok"] and item["after"] == "draft"
                assert item["message"].endswith(f"unmatch it first (payctl review unmatch {line})")
    assert (table_counts(url), on_database(url, _held)) == (counts, held)
    payctl("check")


def test_check_reports_a_line_holding_a_cancelled_payment(cli_env, drafts):
    url = cli_env["PAYCTL_DATABASE_URL"]
    (line, pid), _ = drafts
    payctl("check")
    on_database(url, _sql, f"UPDATE payments SET state = 'cancelled' WHERE id = {pid}")
    out = js("check", code=1)
    assert [(v["code"], v["object"]) for v in out["items"]] == [
        ("bank_line_payment", f"bank line {line}")
    ]
    assert out["items"][0]["message"].startswith(
        f"bank line {line} is matched to payment #{pid}, which is cancelled"
    )

"""Migration 0006 on a database whose audit trail was written before it, on every backend.

Before 0006 a confirmation did not record the entry it posted and an import recorded nothing
of its lines, so `payctl check` (which compares them with the trail since issue 14) would
report every one of them. The upgrade appends one baseline record with what those older
records lack: after it the books pass, and a line changed afterwards is still caught.

The old trail is made from today's: the books are built at 0004, then the records are
rewritten as payctl wrote them then (no "entry" in confirmations, no import records) and
re-chained.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select, text, update

from payctl.db.engine import Database
from payctl.db.models import AuditHead, AuditRecord
from payctl.db.schema import upgrade_to, upgrade_to_head
from payctl.db.uow import begin
from payctl.services.bank.bank_extract_service import BankExtractService
from payctl.services.ledger import audit
from payctl.services.ledger.integrity_service import IntegrityService, Violation
from payctl.services.setup_service import SetupService
from tests import factories
from tests.services.test_bank_import import jsonl, row
from tests.services.test_check import build_books, tamper


async def _check(db: Database) -> list[Violation]:
    async with db.session() as s:
        return await IntegrityService(s, "tester").check()


def _old_style(records: list[AuditRecord]) -> list[dict[str, Any]]:
    """The records as payctl wrote them before 0006, hash-chained again."""
    out, prev = [], audit.GENESIS
    for r in records:
        if r.object_type == "bank_statement" and r.action == "import":
            continue
        changes = json.loads(r.changes)
        if r.action == "confirm":
            changes.pop("entry")
        text_ = json.dumps(changes, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = audit.record_hash(
            prev, r.at, r.user, r.action, r.object_type, r.object_id, r.payment_id, text_, r.reason
        )
        out.append(
            {
                "id": r.id,
                "at": r.at,
                "user": r.user,
                "action": r.action,
                "object_type": r.object_type,
                "object_id": r.object_id,
                "payment_id": r.payment_id,
                "changes": text_,
                "reason": r.reason,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    return out


async def _built_at_0004(db: Database) -> None:
    await upgrade_to(db.engine, "0004")
    async with db.session() as s:
        await SetupService(s).seed("EUR")
        await build_books(s)
        await BankExtractService(s, "tester").import_file(
            jsonl(row("12.34", text="first", tx="A1"), row("-5.00", text="fee", tx="A2")),
            "bank.jsonl",
            "BNK1",
            input_format="jsonl",
        )
    sqlite = db.dialect == "sqlite"
    async with db.session() as s:
        await begin(s, write=True)
        records = list((await s.execute(select(AuditRecord).order_by(AuditRecord.id))).scalars())
        assert any(r.object_type == "bank_statement" for r in records)
        old = _old_style(records)
        if sqlite:
            await s.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            await s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        await s.execute(delete(AuditRecord))
        await s.execute(insert(AuditRecord), old)
        await s.execute(update(AuditHead).values(last_hash=old[-1]["hash"]))
        if sqlite:
            await s.execute(
                text(
                    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                )
            )
        else:
            await s.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        await s.commit()


async def test_the_upgrade_records_what_older_records_lack(db_url, monkeypatch):
    db = Database(db_url)
    try:
        with factories.payctl_before_outbox(monkeypatch):
            await _built_at_0004(db)
        await upgrade_to_head(db.engine)
        async with db.session() as s:  # and the rest of `payctl init`: lines into suspense (0009)
            await SetupService(s).seed()
        assert await _check(db) == []
        async with db.session() as s:
            last = await s.scalar(
                select(AuditRecord)
                .where(AuditRecord.object_type == audit.BASELINE)
                .order_by(AuditRecord.id.desc())
                .limit(1)
            )
            assert last is not None and last.object_type == audit.BASELINE
            baseline = json.loads(last.changes)
        assert len(baseline["bank_lines"]) == 2 and len(baseline["entries"]) == 5

        live = (
            "(SELECT id FROM journal_entries WHERE source_type = 'payment' AND reversal_of_id "
            "IS NULL AND reversed_by_id IS NULL AND payment_id = (SELECT id FROM payments WHERE "
            "number = 'BNK1/2026/00003'))"
        )
        await tamper(
            db,
            "UPDATE bank_lines SET amount = amount + 1 WHERE id = (SELECT min(id) FROM bank_lines)",
            f"UPDATE journal_lines SET debit = debit + 1 WHERE debit > 0 AND entry_id = {live}",
            f"UPDATE journal_lines SET credit = credit + 1 WHERE credit > 0 AND entry_id = {live}",
        )
        found = {(v.code, v.object.split()[0]) for v in await _check(db)}
        assert ("audit_bank_line", "bank") in found
        assert any(code == "audit_entry" for code, _ in found), found
    finally:
        await db.dispose()

"""Bulk transitions: many payments, batches of at most 1000, each batch done set-wise.

Per-item mode (default): each batch is one transaction; a payment that fails its checks is
reported and left untouched while the others go on. Atomic mode: the whole run is one
transaction and any failure rolls everything back. Dry run / validate: every check runs, the
transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select

from payctl.db.models import AuditRecord, Payment
from payctl.db.uow import Transaction, gc_paused, transaction
from payctl.domain import states
from payctl.errors import PayctlError, RuleViolation
from payctl.services.lookups import as_id
from payctl.services.payments.bulk_types import (
    BulkAction,
    BulkOptions,
    BulkReport,
    ItemResult,
    refused,
)
from payctl.services.payments.payment_service import ensure_deletable
from payctl.services.payments.records import PaymentRecord, load_payments
from payctl.services.payments.selection import Resolved, Selection, batches, resolve

if TYPE_CHECKING:
    from payctl.services.payments.payment_flow_service import PaymentFlowService

Progress = Callable[[int, int], None]

_ACTIONS = {
    BulkAction.VALIDATE: states.Action.CONFIRM,
    BulkAction.CONFIRM: states.Action.CONFIRM,
    BulkAction.POST: states.Action.CONFIRM,
    BulkAction.RESET: states.Action.RESET,
    BulkAction.CANCEL: states.Action.CANCEL,
    BulkAction.DELETE: states.Action.DELETE,
}


def _not_applied(items: list[ItemResult]) -> list[ItemResult]:
    """After an atomic rollback nothing was applied: items that had passed say so."""
    return [
        replace(
            i,
            after=i.before,
            skipped=True,
            message="not applied: rolled back because another item failed",
        )
        if i.ok and not i.skipped
        else i
        for i in items
    ]


class BulkFlow:
    def __init__(self, flow: PaymentFlowService) -> None:
        self.flow = flow
        self.session = flow.session

    async def run(
        self,
        action: BulkAction,
        selection: Selection,
        options: BulkOptions,
        progress: Progress | None = None,
    ) -> BulkReport:
        with gc_paused():
            return await self._run(BulkAction(action), selection, options, progress)

    async def _run(
        self,
        action: BulkAction,
        selection: Selection,
        options: BulkOptions,
        progress: Progress | None,
    ) -> BulkReport:
        keep = not (options.dry_run or action == BulkAction.VALIDATE)
        report = BulkReport(action.value, atomic=options.atomic, dry_run=not keep)
        resolved = await self._resolve(selection, report, action)
        groups = batches(resolved.ids)
        report.batches = len(groups)
        if options.atomic and report.failed:
            report.rolled_back = True
            return report
        done = 0
        # atomic: the run is one transaction, which each batch's joins; else each batch is one
        async with self._whole_run(options.atomic, keep) as run:
            for group in groups:
                results = await self._group(action, group, report, options, run, keep)
                if results is None:  # an atomic run rolled back: the report says why
                    return report
                report.items += results
                done += len(group)
                if progress:
                    progress(done, len(resolved.ids))
        return report

    def _whole_run(self, atomic: bool, keep: bool) -> AbstractAsyncContextManager[Any]:
        return transaction(self.session, write=True, keep=keep) if atomic else nullcontext()

    async def _group(
        self,
        action: BulkAction,
        group: list[tuple[str, int]],
        report: BulkReport,
        options: BulkOptions,
        run: Transaction | None,
        keep: bool,
    ) -> list[ItemResult] | None:
        """One batch: its own transaction in per-item mode, part of the run's (``run``) when
        atomic; a failure of an atomic run discards the run's."""
        try:
            async with transaction(self.session, write=True, keep=keep):
                results = await self._apply(action, group, options)
        except PayctlError as exc:
            if run is not None:
                run.discard()
                self._abort(report, group, exc.message)
                return None
            return [ItemResult(i, pid, None, None, None, False, exc.message) for i, pid in group]
        if run is not None and any(not r.ok for r in results):
            run.discard()
            report.items = _not_applied(report.items + results)
            report.rolled_back = True
            return None
        return results

    async def _resolve(
        self, selection: Selection, report: BulkReport, action: BulkAction
    ) -> Resolved:
        """Payment ids to act on; unknown identifiers (failures) and payments named more than
        once (skipped: reported once, acted on once) go to the report.

        For a delete, an id whose payment was deleted before (the audit trail says so) is
        "already deleted: skipped", so a delete run can be repeated like the others."""
        async with transaction(self.session, write=False):
            resolved = await resolve(self.session, selection)
            deleted = (
                await self._deleted_before(resolved.unknown)
                if action == BulkAction.DELETE
                else set()
            )
        report.items += [
            ItemResult(
                i, None, None, "deleted", "deleted", True, "already deleted: skipped", skipped=True
            )
            if i in deleted
            else ItemResult(i, None, None, None, None, False, f"unknown payment {i!r}")
            for i in resolved.unknown
        ]
        report.items += [  # not a failure: the payment is acted on once, like any other
            ItemResult(
                d.item,
                d.payment_id,
                None,
                None,
                None,
                True,
                f"listed {d.times} times: handled once",
                skipped=True,
            )
            for d in resolved.duplicates
        ]
        return resolved

    async def _deleted_before(self, identifiers: list[str]) -> set[str]:
        ids = {i: pid for i in identifiers if (pid := as_id(i)) is not None}
        if not ids:
            return set()
        found = set(
            (
                await self.session.execute(
                    select(AuditRecord.payment_id).where(
                        AuditRecord.action == "delete",
                        AuditRecord.payment_id.in_(list(ids.values())),
                    )
                )
            ).scalars()
        )
        return {ident for ident, pid in ids.items() if pid in found}

    @staticmethod
    def _abort(report: BulkReport, group: list[tuple[str, int]], message: str) -> BulkReport:
        report.items = _not_applied(report.items)
        report.items += [ItemResult(i, pid, None, None, None, False, message) for i, pid in group]
        report.rolled_back = True
        return report

    async def _apply(
        self, action: BulkAction, group: list[tuple[str, int]], options: BulkOptions
    ) -> list[ItemResult]:
        transition = _ACTIONS[action]
        ids = [pid for _, pid in group]
        # a delete goes through the ORM (session.delete); a transition reads plain records
        payments: Sequence[Payment | PaymentRecord] = (
            await self.flow.payments.load_many(ids, lock=True)
            if transition == states.Action.DELETE
            else await load_payments(self.session, ids, lock=True)
        )
        by_id = {p.id: p for p in payments}
        before = {p.id: p.state for p in payments}
        # already where the action leads: nothing to do, not a failure (re-runs are safe)
        already = {p.id for p in payments if states.already_done(before[p.id], transition)}
        todo = [p for p in payments if p.id not in already]
        if transition == states.Action.DELETE:
            failed = await self._delete(cast(list[Payment], todo), options.reason)
        else:
            batch = await self.flow.run_transition(
                todo, transition, options.reason, options.write_off
            )
            failed = batch.failed_by_payment()
        verb = "can be confirmed" if action == BulkAction.VALIDATE else "ok"
        out = []
        for ident, pid in group:
            p = by_id.get(pid)
            if p is None:  # deleted by someone else since the selection was resolved
                out.append(
                    ItemResult(ident, pid, None, None, None, False, f"unknown payment {ident!r}")
                )
            elif pid in already:
                out.append(
                    ItemResult(
                        ident,
                        pid,
                        p.number,
                        before[pid].value,
                        before[pid].value,
                        True,
                        f"already {before[pid].value}: skipped",
                        skipped=True,
                    )
                )
            elif pid in failed:
                f = failed[pid]
                out.append(ItemResult(ident, pid, p.number, f.before, f.before, False, f.message))
            else:
                after = "deleted" if transition == states.Action.DELETE else p.state.value
                out.append(ItemResult(ident, pid, p.number, before[pid].value, after, True, verb))
        return out

    async def _delete(self, payments: list[Payment], reason: str | None) -> dict[int, ItemResult]:
        failed: dict[int, ItemResult] = {}
        ids = [p.id for p in payments]
        with_history = await self.flow.payments.with_history(ids)
        held = await self.flow.payments.held_by(ids)
        doomed = []
        for p in payments:
            try:
                ensure_deletable(p, with_history, held)
            except RuleViolation as exc:
                failed[p.id] = refused(p, exc.message)
                continue
            doomed.append(p)
        await self.flow.payments.record("delete", doomed, reason=reason)
        for p in doomed:
            await self.session.delete(p)
        await self.session.flush()
        return failed

"""Results of transitions on many payments."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from payctl.errors import EXIT_OK, EXIT_REFUSED
from payctl.services.lookups import payment_label


class BulkAction(StrEnum):
    VALIDATE = "validate"
    CONFIRM = "confirm"
    POST = "post"  # the accounting word for confirm: the same transition
    RESET = "reset"
    CANCEL = "cancel"
    DELETE = "delete"


@dataclass(frozen=True)
class BulkOptions:
    """How a transition run goes, for `payctl confirm|reset|cancel` and `payctl bulk` alike.

    ``atomic``: one transaction for the whole run, any failure rolls everything back (else one
    per batch, failures reported per item). ``dry_run``: every check, nothing written.
    ``reason``: recorded in the audit trail. ``write_off``: confirm closes invoices whose
    remaining difference is within the write-off tolerance."""

    atomic: bool = False
    dry_run: bool = False
    reason: str | None = None
    write_off: bool = False


@dataclass(frozen=True)
class ItemResult:
    """Outcome of one payment in a transition run (single or bulk)."""

    item: str
    payment_id: int | None
    number: str | None
    before: str | None
    after: str | None
    ok: bool
    message: str
    skipped: bool = False


def refused(p: Any, message: str) -> ItemResult:
    """A payment left as it was, with the reason."""

    return ItemResult(
        payment_label(p), p.id, p.number, p.state.value, p.state.value, False, message
    )


@dataclass
class BulkReport:
    action: str
    items: list[ItemResult] = field(default_factory=list)
    batches: int = 0
    atomic: bool = False
    dry_run: bool = False
    rolled_back: bool = False

    @property
    def failed(self) -> int:
        return sum(not i.ok for i in self.items)

    @property
    def succeeded(self) -> int:
        return sum(i.ok and not i.skipped for i in self.items)

    @property
    def skipped(self) -> int:
        return sum(i.skipped for i in self.items)

    @property
    def exit_code(self) -> int:
        """The one exit-code rule of a transition run: 1 when an item failed (refused, or no
        such payment), else 0. Skipped items (already in the target state, listed twice) are
        not failures, so a run can be repeated."""
        return EXIT_REFUSED if self.failed else EXIT_OK

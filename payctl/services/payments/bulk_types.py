"""Results of transitions on many payments."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from payctl.services.lookups import payment_label


class BulkAction(StrEnum):
    VALIDATE = "validate"
    CONFIRM = "confirm"
    POST = "post"  # the accounting word for confirm: the same transition
    RESET = "reset"
    CANCEL = "cancel"
    DELETE = "delete"


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

"""The payment state machine (DESIGN.md, "Payment lifecycle")."""

from __future__ import annotations

from enum import StrEnum

from payctl.domain.enums import PaymentState
from payctl.errors import RuleViolation


class Action(StrEnum):
    CONFIRM = "confirm"
    RESET = "reset"
    CANCEL = "cancel"
    DELETE = "delete"
    EDIT = "edit"


# (current state, action) -> new state; None means the payment disappears (delete).
TRANSITIONS: dict[tuple[PaymentState, Action], PaymentState | None] = {
    (PaymentState.DRAFT, Action.CONFIRM): PaymentState.POSTED,
    (PaymentState.DRAFT, Action.CANCEL): PaymentState.CANCELLED,
    (PaymentState.DRAFT, Action.DELETE): None,
    (PaymentState.DRAFT, Action.EDIT): PaymentState.DRAFT,
    (PaymentState.POSTED, Action.RESET): PaymentState.DRAFT,
    (PaymentState.POSTED, Action.CANCEL): PaymentState.CANCELLED,
}

_REFUSALS = {
    (PaymentState.POSTED, Action.CONFIRM): "is already posted",
    (PaymentState.CANCELLED, Action.CONFIRM): "is cancelled and cannot be confirmed",
    (PaymentState.DRAFT, Action.RESET): "is already a draft",
    (PaymentState.CANCELLED, Action.RESET): "is cancelled and cannot be reset to draft",
    (PaymentState.CANCELLED, Action.CANCEL): "is already cancelled",
    (
        PaymentState.POSTED,
        Action.DELETE,
    ): "is posted: only drafts can be deleted (cancel it instead)",
    (PaymentState.CANCELLED, Action.DELETE): "is cancelled: only drafts can be deleted",
    (PaymentState.POSTED, Action.EDIT): "is posted: only drafts can be changed (reset it first)",
    (PaymentState.CANCELLED, Action.EDIT): "is cancelled: only drafts can be changed",
}


def can(state: PaymentState, action: Action) -> bool:
    return (state, action) in TRANSITIONS


def transition(label: str, state: PaymentState, action: Action) -> PaymentState | None:
    """Return the state after ``action``, or raise RuleViolation naming the payment."""
    key = (PaymentState(state), Action(action))
    if key in TRANSITIONS:
        return TRANSITIONS[key]
    reason = _REFUSALS.get(key, f"cannot {action.value} from state {state}")
    raise RuleViolation(f"payment {label} {reason}")

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


# The state of a new payment.
INITIAL = PaymentState.DRAFT

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


def already_done(state: PaymentState, action: Action) -> bool:
    """``state`` is where ``action`` leads and the action cannot apply again: nothing to do,
    not a failure (a re-run of a bulk action skips these)."""
    targets = {new for (_, act), new in TRANSITIONS.items() if act == action}
    return state in targets and not can(state, action)


def refusal(label: str, state: PaymentState, action: Action) -> str | None:
    """Why ``action`` cannot apply to the payment (None: it can)."""
    if (state, action) in TRANSITIONS:  # the members hash and compare as their values
        return None
    key = (PaymentState(state), Action(action))
    reason = _REFUSALS.get(key, f"cannot {key[1].value} from state {state}")
    return f"payment {label} {reason}"


def transition(label: str, state: PaymentState, action: Action) -> PaymentState | None:
    """Return the state after ``action``, or raise RuleViolation naming the payment."""
    key = (state, action)  # the members hash and compare as their values: no conversion
    if key not in TRANSITIONS:
        raise RuleViolation(str(refusal(label, state, action)))
    return TRANSITIONS[key]

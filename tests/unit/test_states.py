"""The payment state machine."""

from __future__ import annotations

import pytest

from payctl.domain.enums import PaymentState
from payctl.domain.states import Action, can, transition
from payctl.errors import RuleViolation

D, P, C = PaymentState.DRAFT, PaymentState.POSTED, PaymentState.CANCELLED


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        (D, Action.CONFIRM, P),
        (D, Action.CANCEL, C),
        (D, Action.DELETE, None),
        (D, Action.EDIT, D),
        (P, Action.RESET, D),
        (P, Action.CANCEL, C),
    ],
)
def test_allowed_transitions(state, action, after):
    assert can(state, action)
    assert transition("#1", state, action) == after


@pytest.mark.parametrize(
    ("state", "action", "reason"),
    [
        (P, Action.CONFIRM, "is already posted"),
        (C, Action.CONFIRM, "is cancelled and cannot be confirmed"),
        (D, Action.RESET, "is already a draft"),
        (C, Action.RESET, "is cancelled and cannot be reset"),
        (C, Action.CANCEL, "is already cancelled"),
        (P, Action.DELETE, "only drafts can be deleted"),
        (C, Action.DELETE, "only drafts can be deleted"),
        (P, Action.EDIT, "only drafts can be changed"),
        (C, Action.EDIT, "only drafts can be changed"),
    ],
)
def test_refused_transitions_name_the_payment(state, action, reason):
    assert not can(state, action)
    with pytest.raises(RuleViolation) as info:
        transition("BNK1/2026/00001", state, action)
    assert info.value.message.startswith("payment BNK1/2026/00001 ")
    assert reason in info.value.message
    assert info.value.exit_code == 1


def test_every_refusal_has_a_specific_reason():
    for state in PaymentState:
        for action in Action:
            if can(state, action):
                continue
            with pytest.raises(RuleViolation) as info:
                transition("#9", state, action)
            assert (
                "cannot" in info.value.message
                or "already" in info.value.message
                or "only drafts" in info.value.message
            )


def test_transition_accepts_plain_strings():
    assert transition("#1", "draft", "confirm") == P  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        transition("#1", "draft", "fly")  # type: ignore[arg-type]


def test_cancelled_is_terminal():
    assert not any(can(C, action) for action in Action)

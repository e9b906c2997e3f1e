"""Global options of one payctl invocation (set by the root callback)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class State:
    database_url: str | None = None
    user: str | None = None
    format: str = "table"
    quiet: bool = False
    debug: bool = False
    # a write transaction committed: an output error after it must say the change was made
    committed: bool = False


_STATE = State()


def state() -> State:
    return _STATE


def reset_state() -> None:
    global _STATE
    _STATE = State()

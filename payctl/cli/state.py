"""Global options of one payctl invocation (set by the root callback)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class State:
    database_url: str | None = None
    user: str | None = None
    format: str = "table"
    quiet: bool = False
    debug: bool = False
    # a write transaction committed: an output error after it must say the change was made
    committed: bool = False
    # the command being run (its click command, once its options are parsed): messages name
    # its flags (``cli.conventions.flag_names``)
    command: Any = None
    command_path: str = "payctl"


_STATE = State()


def state() -> State:
    return _STATE


def reset_state() -> None:
    global _STATE
    _STATE = State()

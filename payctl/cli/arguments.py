"""Command-line arguments are text: refused before parsing when one is not UTF-8 or holds a
NUL character, naming the option it is the value of."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: the bytes Python could not decode
        return False
    return True


def _shown(text: str) -> str:
    """``text`` with the bytes that are not UTF-8 written as ``\\xfc``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def argument_problem(group: Any, args: Sequence[str]) -> str | None:
    """The first command-line argument that is not text, named (None when all are text).

    Not UTF-8: Python decodes such bytes as lone surrogates (``surrogateescape``). A NUL
    character: binary data, which PostgreSQL can neither store nor look up (a process's own
    arguments cannot hold one; a program calling payctl in-process can pass one). Refused here,
    before parsing, so no command ever stores or compares them. The option a value belongs to
    is found by walking the command names given before it."""
    for i, arg in enumerate(args):
        utf8 = _is_utf8(arg)
        if utf8 and "\x00" not in arg:
            continue
        name, equals, value = arg.partition("=")
        if arg.startswith("--") and equals and _is_utf8(name) and "\x00" not in name:
            option: str | None = name  # --option=VALUE
        else:
            option, value = _value_of(group, args[:i]), arg
        if not utf8:
            shown = f"the value of {option} ('{_shown(value)}')" if option else None
            shown = shown or f"command-line argument '{_shown(value)}'"
            return f"{shown} is not UTF-8 text; command-line arguments must be UTF-8"
        from payctl.importers.files import NOT_TEXT  # only for a bad argument: it is heavy

        return f"{option or f'argument {arg!r}'}: {NOT_TEXT}"
    return None


def _options(command: Any) -> dict[str, Any]:
    return {
        name: p
        for p in getattr(command, "params", ())
        if getattr(p, "param_type_name", None) == "option"
        for name in (*p.opts, *p.secondary_opts)
    }


def _value_of(group: Any, before: Sequence[str]) -> str | None:
    """The option whose value follows ``before`` (the arguments before it), if any."""
    options: dict[str, Any] = {}
    command = group
    for arg in before:
        options.update(_options(command))
        commands = getattr(command, "commands", None)
        if commands is not None and arg in commands:
            command = commands[arg]
    options.update(_options(command))
    if not before or before[-1] not in options:
        return None
    param = options[before[-1]]
    takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
    return before[-1] if takes_value else None

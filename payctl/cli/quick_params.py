"""Option values converted without building a Pydantic adapter for each one (issue 12).

Typer converts every option value through a Pydantic ``TypeAdapter`` it builds on first use:
importing Pydantic and building the adapters of one command's options is a tenth of a read
command's start-up. The values that need no judgement (text that is text, a whole number in
plain digits within the option's bounds, a choice among an enum's values) are converted here
to exactly what the adapter returns; any other value (a sign, spaces, a value out of range, a
type this module does not know) goes to Typer's own conversion, which decides and words the
error. When Typer's internals differ from what this expects, nothing is changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, get_args, get_origin

try:  # typer's private conversion layer (typer >= 0.24): without it, Typer converts alone
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_choice
except ImportError:  # pragma: no cover - another typer
    RuntimeParam = None  # type: ignore[assignment,misc]

_UNDECIDED = object()


def _text(value: Any) -> bool:
    """A ``str`` Pydantic takes as it is (not lone surrogates: those it refuses)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _whole(value: Any, info: Any) -> Any:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    elif type(value) is int:
        number = value
    else:
        return _UNDECIDED
    if (info.min is not None and number < info.min) or (info.max is not None and number > info.max):
        return _UNDECIDED  # Typer's words for the error
    return number


def _quick(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    """``value`` converted as Typer's adapter would, or _UNDECIDED."""
    if info.parser is not None:
        return _UNDECIDED
    if annotation is str:
        return value if _text(value) else _UNDECIDED
    if annotation is int:
        return _UNDECIDED if info.clamp else _whole(value, info)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError:
            return _UNDECIDED
    listed = get_origin(annotation) is list and get_args(annotation) == (str,)
    if listed and isinstance(value, list | tuple) and all(_text(v) for v in value):
        return list(value)
    return _UNDECIDED


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class QuickParam(RuntimeParam):
        """A parameter's conversion: :func:`_quick` first, else Typer's (built then)."""

        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            quick = _quick(self.annotation, self.parameter_info, value, ctx)
            if quick is not _UNDECIDED:
                return quick
            param._runtime_param = build_runtime_param(self.descriptor)
            return param._runtime_param._coerce_value(value, param=param, ctx=ctx)


def install(params: Iterable[Any]) -> None:
    """Give ``params`` (a command's) the quick conversion, where Typer has not built one."""
    if RuntimeParam is None:
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if not isinstance(descriptor, TypeDescriptor) or descriptor.file_annotation is not None:
            continue
        if getattr(param, "_runtime_param", _UNDECIDED) is not None:
            continue
        param._runtime_param = QuickParam(
            parameter_info=descriptor.parameter_info,
            annotation=descriptor.annotation,
            descriptor=descriptor,
        )


def install_help(command: Any) -> None:
    """The same for the ``--help`` option click makes for ``command`` when it is parsed."""
    make = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            install([option])
        return option

    command.get_help_option = get_help_option


def install_tree(command: Any) -> None:
    """:func:`install` on ``command`` and every command below it that is already built."""
    install(getattr(command, "params", ()))
    install_help(command)
    commands = getattr(command, "commands", None)
    if isinstance(commands, dict):
        for sub in commands.values():
            install_tree(sub)

"""Typer's help formatter, loaded without the Rich modules payctl's help never uses (issue 12).

Every ``--help`` is drawn by ``typer.rich_utils``. That module imports, besides the tables and
panels it draws with, ``rich.markdown`` (with markdown-it and Pygments' lexers through
``rich.syntax``) and ``rich.traceback``: about a fifth of what ``payctl --help`` costs.
payctl's help never uses them: its markup mode is Typer's "rich", not "markdown" (Markdown is
only built for "markdown"), and Typer's pretty tracebacks are off
(``pretty_exceptions_enable=False``; the root's door reports errors, :mod:`payctl.cli.runtime`).

Every command payctl builds draws its help after :func:`load` (:func:`install_tree`, from
:mod:`payctl.cli.lazy`; the root's own ``format_help``), which imports ``typer.rich_utils``
once with those two modules stood in for by
:class:`_Deferred` classes: the same names, each importing the real Rich class the first time
it is used (built, or asked for an attribute such as ``Traceback.from_exception``), so
nothing changes if Typer ever does use one. The stand-ins are only seen by ``typer.rich_utils``:
``sys.modules`` gets the real modules back (or nothing, until someone imports them) right after.
When the real modules are already loaded nothing is stood in for. The help's bytes are Typer's
own (``tests/cli/test_startup_imports.py`` compares them with a plain import's)."""

from __future__ import annotations

import importlib
import sys
from typing import Any

# module -> the names typer.rich_utils imports from it
_DEFERRED = {"rich.markdown": ("Markdown",), "rich.traceback": ("Traceback",)}


class _Deferring(type):
    """The metaclass of a stand-in: attributes and isinstance come from the real class."""

    _module: str
    _name: str

    def real(cls) -> Any:
        return getattr(importlib.import_module(cls._module), cls._name)

    def __getattr__(cls, attribute: str) -> Any:
        if attribute.startswith("__") or attribute in ("_module", "_name"):
            raise AttributeError(attribute)
        return getattr(cls.real(), attribute)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.real())

    def __subclasscheck__(cls, subclass: Any) -> bool:
        return issubclass(subclass, cls.real())


class _Deferred(metaclass=_Deferring):
    """A Rich class not imported yet: building one builds the real class's instance."""

    _module = ""
    _name = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return type(cls).real(cls)(*args, **kwargs)


def _stand_in(module: str, names: tuple[str, ...]) -> Any:
    import types

    stand_in = types.ModuleType(module)
    for name in names:
        setattr(stand_in, name, _Deferring(name, (_Deferred,), {"_module": module, "_name": name}))
    return stand_in


def install_tree(command: Any) -> None:
    """Load the formatter the light way before ``command`` (and every command below it that
    is built) draws its help: for ``--help``, and for a group given no command (click draws
    that help when it raises the error)."""
    draw = command.format_help
    if not getattr(draw, "loads_formatter", False):

        def format_help(ctx: Any, formatter: Any) -> None:
            load()
            draw(ctx, formatter)

        format_help.loads_formatter = True  # type: ignore[attr-defined]
        command.format_help = format_help
    commands = getattr(command, "commands", None)
    if isinstance(commands, dict):
        for sub in commands.values():
            install_tree(sub)


def load() -> Any:
    """``typer.rich_utils``, imported without the Rich modules help does not use (once);
    None when Typer is told not to use Rich."""
    loaded = sys.modules.get("typer.rich_utils")
    if loaded is not None:
        return loaded
    from typer.core import HAS_RICH

    if not HAS_RICH:  # TYPER_USE_RICH=0: Typer draws the help without it
        return None
    placed = [module for module in _DEFERRED if module not in sys.modules]
    for module in placed:
        sys.modules[module] = _stand_in(module, _DEFERRED[module])
    try:
        from typer import rich_utils
    finally:
        for module in placed:
            del sys.modules[module]  # the real one is imported by whoever asks for it
    return rich_utils

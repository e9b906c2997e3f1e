"""Commands imported only when they are needed (issue 12).

The root group knows its commands by name, each with the module that defines it and the line
``payctl --help`` lists for it. A command's module is imported, and its click command built,
only when that command runs or shows its own help: ``payctl list`` never imports the modules
of ``import``, ``bulk`` or ``events``, and ``payctl --help`` lists every command from the
table without importing any of them. ``tests/cli/test_startup_imports.py`` checks the listed
lines against the commands' own help.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from payctl.cli import help_format, quick_params


@dataclass(frozen=True)
class Lazy:
    """One command or group of the root, defined in a module imported on first use.

    ``target`` is ``"module:attribute"``: a ``typer.Typer`` added as the group ``name`` (with
    ``help``, as ``add_typer`` takes it), a ``register(app)`` function adding one or more
    commands (all named in the table), or any other function: the command ``name`` itself.
    ``summary`` is the line the root's ``--help`` lists: the first paragraph of the command's
    help (a group's comes from ``help``)."""

    name: str
    target: str
    summary: str = ""
    help: str | None = None
    hidden: bool = False

    @property
    def listed(self) -> str:
        from payctl.cli.conventions import reflow

        return reflow(self.summary or self.help or "").split("\n\n")[0]


def _build(entry: Lazy) -> dict[str, Any]:
    """The click commands ``entry``'s module defines, built the way the root would build them."""
    module_name, _, attribute = entry.target.partition(":")
    defined = getattr(importlib.import_module(module_name), attribute)
    holder = typer.Typer()
    if isinstance(defined, typer.Typer):
        if entry.help is None:
            holder.add_typer(defined, name=entry.name)
        else:
            holder.add_typer(defined, name=entry.name, help=entry.help)
    elif attribute == "register":
        defined(holder)
        _only(holder, entry.name)
    else:
        holder.command(entry.name)(defined)
    built = dict(typer.main.get_group(holder).commands)
    for command in built.values():
        quick_params.install_tree(command)
        help_format.install_tree(command)
    return built


def _only(holder: typer.Typer, name: str) -> None:
    """Keep only the command ``name`` of those a ``register`` function added: building a
    click command (its parameters from the function's signature) costs, and one run uses one
    command; a sibling is built when it is asked for. Unchanged when none has that name (the
    caller then reports it) or when one was added without a name."""
    infos = holder.registered_commands
    if all(info.name is not None for info in infos):
        wanted = [info for info in infos if info.name == name]
        if wanted:
            holder.registered_commands = wanted


class LazyCommands(MutableMapping[str, Any]):
    """A group's ``commands``: every name known up front, each command built on first access."""

    def __init__(self, entries: Sequence[Lazy], prepare: Any = None) -> None:
        self.entries = {e.name: e for e in entries}
        self.loaded: dict[str, Any] = {}
        self._order = list(self.entries)
        self.prepare = prepare  # called with each command as it is built (the group's hook)

    def __getitem__(self, name: str) -> Any:
        if name not in self.loaded:
            entry = self.entries[name]  # KeyError: no such command
            built = _build(entry)
            for other in self.entries.values():  # any sibling built with it (see _only)
                if other.target == entry.target and other.name in built:
                    if other.name not in self.loaded and self.prepare is not None:
                        self.prepare(built[other.name])
                    self.loaded.setdefault(other.name, built[other.name])
            if name not in self.loaded:
                raise LookupError(f"{entry.target} does not define the command {name!r}")
        return self.loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._order:
            self._order.append(name)
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._order.remove(name)
        self.entries.pop(name, None)
        self.loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._order

    def listed(self, name: str) -> Any:
        """The command as the group's help lists it: the built one if it is loaded, else a
        stand-in carrying the listed line (nothing imported)."""
        if name in self.loaded or name not in self.entries:
            return self.loaded.get(name)
        entry = self.entries[name]
        return TyperCommand(name=name, help=entry.listed, hidden=entry.hidden)


class LazyGroup(TyperGroup):
    """A Typer group whose commands come from :meth:`lazy_commands`, imported when used."""

    def lazy_commands(self) -> Sequence[Lazy]:
        return ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        quick_params.install(self.params)
        quick_params.install_help(self)
        # a group that defines prepare_command(command) gets each command as it is built
        lazy = LazyCommands(self.lazy_commands(), getattr(self, "prepare_command", None))
        for name, command in self.commands.items():  # any added the usual way
            lazy[name] = command
        self.commands = lazy
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the names: typer's own reads every command

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self._listing and isinstance(self.commands, LazyCommands):
            return self.commands.listed(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """List the commands from the table: listing must not import every command."""
        help_format.load()
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

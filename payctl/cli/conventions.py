"""What every command shares, applied once to the whole command tree (issue 11, point 10).

- ``--quiet/-q`` is accepted after the command name as well as before it, on every command:
  the same flag as the root's, setting the same state.
- A flag (an option that takes no value, ``--help`` included) is shown in help without a
  ``<bool>`` type: there is no value to type.
- A command's help is written in paragraphs wrapped at the source's line length; Typer's rich
  help keeps those line breaks, so a narrower terminal broke sentences mid-line. Each
  paragraph is joined into one line (:func:`reflow`) and the terminal wraps it.

``--format/-f/-O`` is not added here: only a command that prints a result offers it (it
declares :data:`payctl.cli.options.FormatOpt` and renders accordingly).
"""

from __future__ import annotations

import copy
import inspect
import re
from typing import Any

from payctl.cli.state import state

QUIET = ("--quiet", "-q")
QUIET_HELP = "No messages, only data (also accepted before the command name)."
HELP_NAMES = ["-h", "--help"]
_APPLIED = "_payctl_conventions"


def _quiet(ctx: Any, param: Any, value: bool) -> bool:
    """Every command's --quiet: click calls it given or not, so it also notes the command."""
    state().command, state().command_path = ctx.command, ctx.command_path
    if value:
        state().quiet = True
    return value


def reflow(text: str) -> str:
    """``text`` with each paragraph on one line (blank lines part paragraphs); a paragraph
    marked ``\\b`` (click's "keep my lines") is left as it is."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split()) for p in paragraphs)


def _names(command: Any) -> set[str]:
    return {name for p in command.params for name in (*p.opts, *p.secondary_opts)}


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False) or getattr(param, "count", False))


def _quiet_option(root: Any) -> Any:
    """The root's ``--quiet`` as a command's own: it sets the state itself (no value is
    passed to the command's function)."""
    template = next(p for p in root.params if p.opts and p.opts[0] == QUIET[0])
    option = copy.copy(template)
    option.expose_value, option.callback, option.help = False, _quiet, QUIET_HELP
    return option


def apply(root: Any) -> Any:
    """Give every command under the root command the shared options; idempotent."""
    _apply(root, _quiet_option(root))
    return root


def apply_under(root: Any, command: Any) -> Any:
    """:func:`apply` for one command of the root's (one the root loaded on demand)."""
    _apply(command, _quiet_option(root))
    return command


def _apply(command: Any, quiet: Any) -> None:
    if getattr(command, _APPLIED, False):
        return
    for sub in getattr(command, "commands", {}).values():
        _apply(sub, quiet)
    if command.help:
        command.help = reflow(command.help)
    if not hasattr(command, "commands") and not _names(command) & set(QUIET):
        command.params.append(quiet)
    from typer import _click

    help_option = command.get_help_option(_click.Context(command, help_option_names=HELP_NAMES))
    for param in [*command.params, help_option]:
        if param is not None and _is_flag(param):
            param.metavar = ""  # typer's rich help shows the metavar in place of "<bool>"
    setattr(command, _APPLIED, True)


def flag_names(text: str) -> str:
    """A service's message about one of the running command's options, naming the flag the
    user typed (``--date-from``) where it names the value (``date_from: 'x' is not a date``).

    Services name a value by its field; the CLI knows which flag carried it. A leading
    ``field:`` becomes ``--flag:``; a field with an underscore is renamed anywhere in the text
    (``date_from: … is after date_to …``). File rows (``payments.csv line 3: date: …``)
    begin with their file and are left alone."""
    command = state().command
    if command is None:
        return text
    flags: dict[str, str] = {}
    for p in command.params:
        if p.name and p.param_type_name == "option" and p.opts and p.opts[0].startswith("--"):
            name = p.name.rstrip("_")
            flags[name] = p.opts[0]
            if p.multiple and name.endswith("s"):  # --type (repeatable) held in ``types``
                flags.setdefault(name[:-1], p.opts[0])
    field, colon, rest = text.partition(": ")
    if colon and field in flags:
        text = f"{flags[field]}: {rest}"
    for name, flag in flags.items():
        if "_" in name:
            text = re.sub(rf"(?<![\w-]){re.escape(name)}(?!\w)", flag, text)
    return text

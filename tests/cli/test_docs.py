"""Every command teaches: it has help text, and README.md mentions it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from payctl.cli.app import app
from tests.conftest import payctl

README = Path(__file__).resolve().parents[2] / "README.md"


def command_tree() -> list[tuple[tuple[str, ...], Any]]:
    """(path, click command) for every visible command and group, depth first."""
    out: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            if sub.hidden:
                continue
            out.append(((*path, name), sub))
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return out


TREE = command_tree()


def test_the_tree_has_the_issue_2_commands():
    paths = {" ".join(path) for path, _ in TREE}
    expected = {
        "init",
        "create",
        "list",
        "show",
        "update",
        "delete",
        "allocate",
        "summary",
        "types",
        "statuses",
        "confirm",
        "reset",
        "cancel",
        "history",
        "partner create",
        "partner list",
        "partner show",
        "partner import",
        "invoice create",
        "invoice list",
        "invoice show",
        "invoice import",
        "journal list",
        "journal create",
        "account list",
    }
    assert expected <= paths, sorted(expected - paths)


@pytest.mark.parametrize(("path", "command"), TREE, ids=[" ".join(p) for p, _ in TREE])
def test_every_command_has_help(path, command):
    text = (command.help or command.short_help or "").strip()
    assert len(text) >= 10, f"`payctl {' '.join(path)}` has no help text"
    if not hasattr(command, "commands"):  # a leaf command shows an example
        assert "Example:" in text or "example" in text.lower(), (
            f"`payctl {' '.join(path)}` help has no example"
        )


def test_root_help_and_every_help_page_render():
    groups = [[*path] for path, command in TREE if hasattr(command, "commands")]
    # rendering costs ~0.1 s a page: the root, every group and a few leaves
    for args in [[], *groups, ["create"], ["list"], ["partner", "import"]]:
        assert "Usage" in payctl(*args, "--help").output, args


def _mentioned(readme: str, path: tuple[str, ...]) -> bool:
    words = " ".join(path)
    if re.search(rf"payctl {re.escape(words)}(?![\w-])", readme):
        return True
    if len(path) == 1:
        return re.search(rf"`{re.escape(path[0])}[`\s]", readme) is not None
    # a listing such as `partner create|list|show|import`
    *group, leaf = path
    for match in re.finditer(rf"{re.escape(' '.join(group))} ((?:[\w-]+\|)*[\w-]+)", readme):
        if leaf in match.group(1).split("|"):
            return True
    return False


def test_mention_matcher():
    readme = "Run `payctl init`. Reference: `list`, `partner create|list|show`, `bulk confirm`."
    assert _mentioned(readme, ("init",))
    assert _mentioned(readme, ("list",))
    assert _mentioned(readme, ("partner", "show"))
    assert _mentioned(readme, ("bulk", "confirm"))
    assert not _mentioned(readme, ("partner", "import"))
    assert not _mentioned(readme, ("show",))
    assert not _mentioned(readme, ("summary",))


def test_every_command_is_in_the_readme():
    if not README.exists():
        pytest.skip("README.md does not exist yet; the README check runs once it does")
    readme = README.read_text(encoding="utf-8")
    missing = [" ".join(path) for path, _ in TREE if not _mentioned(readme, path)]
    assert not missing, f"README.md does not mention: {', '.join(missing)}"

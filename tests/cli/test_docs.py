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


# ------------------------------------------------ one CLI: the same flag everywhere (issue 11)

LEAVES = [(path, command) for path, command in TREE if not hasattr(command, "commands")]
GROUPS = [(path, command) for path, command in TREE if hasattr(command, "commands")]
# Commands that print no result to format: `init` and `lock-date set` say what they did in a
# message on stderr; `events tail` writes JSON lines whatever --format says (README);
# `profile draft` writes a TOML profile to finish, a file rather than a result.
NO_RESULT = {"init", "lock-date set", "events tail", "profile draft"}


def _options(command: Any) -> dict[str, Any]:
    return {name: p for p in command.params for name in (*p.opts, *p.secondary_opts)}


def _ids(pairs: list[tuple[tuple[str, ...], Any]]) -> list[str]:
    return [" ".join(path) for path, _ in pairs]


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=_ids(LEAVES))
def test_every_command_takes_the_shared_flags(path, command):
    from payctl.cli.options import FORMAT_NAMES, LIST_LIMIT

    name, options = " ".join(path), _options(command)
    assert {"--quiet", "-q"} <= options.keys(), f"`payctl {name}` has no --quiet/-q"
    if name not in NO_RESULT:
        missing = set(FORMAT_NAMES) - options.keys()
        assert not missing, f"`payctl {name}` prints a result but lacks {sorted(missing)}"
        assert options["--format"] is options["-O"] is options["--output-format"]
    else:
        assert "--format" not in options, f"`payctl {name}`: add it, or drop it from NO_RESULT"
    if path[0] == "bulk":
        assert "--dry-run" in options, f"`payctl {name}` is a bulk command without --dry-run"
    if "--limit" in options:
        assert options["--limit"].default == LIST_LIMIT, f"`payctl {name}`: another --limit"


def test_write_off_is_offered_only_where_a_payment_is_posted():
    offering = {" ".join(path) for path, command in LEAVES if "--write-off" in _options(command)}
    assert offering == {"confirm", "bulk validate", "bulk confirm", "bulk post"}


@pytest.mark.parametrize(("path", "command"), [((), None), *GROUPS], ids=["payctl", *_ids(GROUPS)])
def test_every_group_help_has_an_example(path, command):
    command = command or typer.main.get_command(app)
    text = f"{command.help or ''}\n{command.epilog or ''}"
    assert "Example:" in text, f"`payctl {' '.join(path)} --help` shows no example"


def test_flags_are_shown_without_a_bool_type():
    for path, command in TREE:
        for param in command.params:
            if getattr(param, "is_flag", False):
                assert param.metavar == "", (path, param.opts)
    for args in ([], ["review"], ["bulk", "reset"], ["review", "accept"]):
        text = payctl(*args, "--help").output
        assert "<bool>" not in text and "--help" in text, args
        assert ("--quiet" in text) is (args != ["review"]), args  # a group takes no options


def test_readme_says_what_dash_f_means_here_and_documents_jsonl():
    from payctl.importers.bank import TEXT_FIELDS

    readme = README.read_text(encoding="utf-8")
    assert "`-f` is the output format here, not a file" in readme
    assert "`-O`/`--output-format`" in readme
    fields = {"booking_date", "amount", "currency", "value_date", "account", *TEXT_FIELDS}
    for field in fields:  # the JSON-lines input of `payctl import -`, field by field
        assert f"| `{field}` |" in readme, field
    assert "| payctl import - --journal BNK1" in readme  # with an example

"""Start-up of the read commands (issue 12): what a process running one imports, the table of
commands the root lists without importing them, and the option values converted without
Pydantic."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT, payctl, payctl_json

# What only the commands reading files, migrating or relaying need.
HEAVY = ("pandas", "openpyxl", "alembic", "nats", "aio_pika", "aiormq")
HEAVY_PAYCTL = ("payctl.importers",)

# Runs payctl as the console script does, then writes the modules it loaded (at exit: the
# root command leaves through sys.exit).
RUN_AND_LIST = """
import atexit, json, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv[0] = "payctl"
from payctl.cli.main import main
main()
"""


def _reported(tmp_path: Any, env: dict[str, str], script: str, *args: str) -> Any:
    """Run payctl ARGS in a child through ``script``; what it wrote at exit, as JSON."""
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-c", script, str(out), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return json.loads(out.read_text())


def loaded_by(tmp_path: Any, env: dict[str, str], *args: str) -> set[str]:
    return set(_reported(tmp_path, env, RUN_AND_LIST, *args))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY_PAYCTL))


@pytest.fixture
def payment(cli_env: dict[str, str]) -> str:
    payctl("partner", "create", "ACME GmbH", "--kind", "customer")
    created = payctl_json(
        "create", "--type", "customer_payment", "--partner", "ACME GmbH", "--journal", "BNK1",
        "--amount", "10.00", "--currency", "EUR",
    )  # fmt: skip
    return str(created["id"])


READS = [
    ("list",),
    ("show", "{id}"),
    ("summary",),
    ("--help",),
    ("history", "{id}"),
    ("list", "--format", "json"),
    ("show", "{id}", "--help"),
]


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_a_read_command_imports_nothing_heavy(tmp_path, cli_env, payment, args):
    modules = loaded_by(tmp_path, cli_env, *(a.format(id=payment) for a in args))
    assert "payctl.cli.main" in modules  # the command really ran
    assert not heavy(modules), f"payctl {' '.join(args)} imports {heavy(modules)[:8]}"
    # Typer's Pydantic adapters are not built for values that need no judgement
    assert "pydantic" not in modules, f"payctl {' '.join(args)} imports pydantic"


@pytest.mark.parametrize(
    "args",
    [("bulk", "confirm", "--state", "draft"), ("confirm", "{id}"), ("bulk", "reset", "{id}")],
    ids=" ".join,
)
def test_a_transition_imports_no_file_reader(tmp_path, cli_env, payment, args):
    """A bulk run given payments or a filter reads no file: the file readers stay unloaded."""
    modules = loaded_by(tmp_path, cli_env, *(a.format(id=payment) for a in args))
    assert "payctl.services.payments.bulk_flow" in modules  # the run really happened
    assert not heavy(modules), f"payctl {' '.join(args)} imports {heavy(modules)[:8]}"


# Runs payctl as the console script does and writes, at exit, whether the cyclic collector
# runs and how many objects the start-up left out of its sight.
RUN_AND_COLLECTOR = """
import atexit, gc, json, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps([gc.isenabled(), gc.get_freeze_count()])))
sys.argv[0] = "payctl"
from payctl.cli.main import main
main()
"""


def collector_after(tmp_path: Any, env: dict[str, str], *args: str) -> tuple[bool, int]:
    enabled, frozen = _reported(tmp_path, env, RUN_AND_COLLECTOR, *args)
    return enabled, frozen


@pytest.mark.parametrize(
    "args",
    [("list",), ("show", "{id}"), ("confirm", "{id}"), ("profile", "draft", "{csv}")],
    ids=lambda args: args[0],
)
def test_the_collector_runs_again_when_the_command_works(tmp_path, cli_env, payment, args):
    """The console script pauses the cyclic collector while it starts; a command that opens
    the database (or reads a file) has it running again, the start-up's objects frozen."""
    csv = ROOT / "sample_data" / "bank" / "2026-11_bnk1.csv"
    argv = [a.format(id=payment, csv=csv) for a in args]
    enabled, frozen = collector_after(tmp_path, cli_env, *argv)
    assert enabled, argv
    assert frozen > 10_000, (argv, frozen)


def test_the_collector_is_left_alone_in_process(cli_env, payment):
    """Commands run in-process (CliRunner) neither pause nor freeze anything."""
    import gc

    frozen = gc.get_freeze_count()
    payctl("list")
    payctl("show", payment)
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_a_command_imports_only_its_own_module(tmp_path, cli_env, payment):
    modules = loaded_by(tmp_path, cli_env, "list")
    others = sorted(
        f"payctl.cli.{name}"
        for name in ("bulk", "events", "imports", "integrity", "review", "invoices", "report")
    )
    assert not set(others) & modules, sorted(set(others) & modules)


def test_help_lists_every_command_without_importing_it(tmp_path, cli_env):
    modules = loaded_by(tmp_path, cli_env, "--help")
    assert not [m for m in modules if m.startswith(("payctl.cli.payments", "payctl.cli.bulk"))]
    assert not [m for m in modules if m.split(".")[0] == "sqlalchemy"]


# What help never uses: Typer's Markdown mode and its pretty tracebacks (payctl/cli/help_format.py).
HELP_UNUSED = ("rich.markdown", "markdown_it", "rich.syntax", "pygments", "rich.traceback")


@pytest.mark.parametrize(
    "args", [("--help",), ("list", "--help"), ("bulk", "confirm", "--help")], ids=" ".join
)
def test_help_loads_no_markdown_nor_traceback(tmp_path, cli_env, args):
    modules = loaded_by(tmp_path, cli_env, *args)
    assert "typer.rich_utils" in modules  # the help really was drawn
    unused = sorted(m for m in modules if m.startswith(HELP_UNUSED))
    assert not unused, f"payctl {' '.join(args)} imports {unused[:8]}"


# payctl run with Typer's help formatter imported beforehand the usual way (every module it
# names really imported): the help must be the same bytes.
RUN = """
import sys
sys.argv[0] = "payctl"
from payctl.cli.main import main
main()
"""
RUN_WITH_TYPERS_FORMATTER = "import typer.rich_utils\n" + RUN


@pytest.mark.parametrize(
    "args",
    [(), ("--help",), ("list", "--help"), ("bulk", "--help"), ("bulk",), ("report", "aging", "-h")],
    ids=lambda args: " ".join(args) or "no-arguments",
)
@pytest.mark.parametrize("colour", [False, True], ids=["piped", "colour"])
def test_help_is_typers_own(cli_env, args, colour):
    env = {**cli_env, "COLUMNS": "100"}
    if colour:
        env["FORCE_COLOR"] = "1"
    else:
        env.pop("FORCE_COLOR", None)

    def run(*argv: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=120)

    light = run(sys.executable, "-c", RUN, *args)
    plain = run(sys.executable, "-c", RUN_WITH_TYPERS_FORMATTER, *args)
    assert (light.returncode, light.stdout, light.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )
    assert b"Usage" in light.stdout + light.stderr


def test_the_stand_ins_are_richs_classes():
    """What typer.rich_utils got instead of Rich's Markdown and Traceback builds and answers
    as the real classes do; the real modules are what everyone else imports."""
    import subprocess as sp

    script = """
import sys
from payctl.cli import help_format
rich_utils = help_format.load()
assert "rich.markdown" not in sys.modules and "rich.traceback" not in sys.modules
import rich.markdown, rich.traceback
assert rich.markdown.Markdown is not rich_utils.Markdown
built = rich_utils.Markdown("*x*")
assert type(built) is rich.markdown.Markdown and isinstance(built, rich_utils.Markdown)
try:
    1 / 0
except ZeroDivisionError as exc:
    tb = rich_utils.Traceback.from_exception(type(exc), exc, exc.__traceback__)
assert type(tb) is rich.traceback.Traceback
assert issubclass(rich.markdown.Markdown, rich_utils.Markdown)
assert help_format.load() is rich_utils
print("ok")
"""
    proc = sp.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert proc.stdout.strip() == "ok", proc.stderr


def test_the_table_lists_what_each_command_says():
    """Each line `payctl --help` lists from the table is the first paragraph of the command's
    own help, its hidden flag the same; every command a module defines is in the table."""
    from payctl.cli import lazy
    from payctl.cli.app import COMMANDS
    from payctl.cli.conventions import reflow

    names = [entry.name for entry in COMMANDS]
    assert len(names) == len(set(names))
    for entry in COMMANDS:
        built = lazy._build(entry)
        defined = set(built) | set(registered(entry))
        assert defined <= set(names), f"{entry.target} defines {sorted(defined - set(names))}"
        command = built[entry.name]
        shown = reflow(command.short_help or command.help or "").split("\n\n")[0]
        assert entry.listed == shown, entry.name
        assert entry.hidden == command.hidden, entry.name


def registered(entry: Any) -> list[str]:
    """The names of the commands a ``register`` function adds (none for other targets)."""
    import importlib

    import typer

    module, _, attribute = entry.target.partition(":")
    if attribute != "register":
        return []
    holder = typer.Typer()
    getattr(importlib.import_module(module), attribute)(holder)
    return [info.name for info in holder.registered_commands]


def test_a_command_is_built_without_its_siblings():
    """`payctl list` builds the click command of `list` only, not the six others its module
    registers; each of them is built, the same, when it is asked for."""
    from payctl.cli import lazy
    from payctl.cli.app import COMMANDS

    by_name = {entry.name: entry for entry in COMMANDS}
    assert set(lazy._build(by_name["list"])) == {"list"}
    assert set(registered(by_name["list"])) >= {"list", "show", "create", "validate"}
    commands = lazy.LazyCommands(COMMANDS)
    assert commands["list"].name == "list"
    assert set(commands.loaded) == {"list"}
    assert commands["reset-to-draft"].hidden and not commands["reset"].hidden
    assert set(commands.loaded) == {"list", "reset-to-draft", "reset"}
    assert commands["reset"].help == commands["reset-to-draft"].help


def test_help_is_the_same_before_and_after_every_command_is_loaded():
    before = payctl("--help").stdout
    from tests.conftest import _payctl_command

    group = _payctl_command()
    for name in list(group.commands):
        group.commands[name]  # noqa: B018 - loads it
    assert payctl("--help").stdout == before


VALUES = [
    "5", "007", "0", " 5", "5 ", "+5", "-1", "5.0", "1_0", "0x5", "", "abc", "٣",
    "9223372036854775807", "9223372036854775808", "99999999999999999999999",
    "table", "JSON", "Csv", "xml", "Müller", "a\udcfcb",
]  # fmt: skip


@pytest.mark.parametrize("command", ["list", "summary", "show"])
def test_quick_conversion_gives_what_typer_gives(command):
    """For every option of the read commands, each value converts to exactly what Typer's own
    (Pydantic) conversion returns, or is left to it."""
    import typer.main
    from typer._coercion import build_runtime_param

    from payctl.cli import quick_params
    from payctl.cli.app import app

    root = typer.main.get_command(app)
    ctx = root.make_context("payctl", ["--help"], resilient_parsing=True)
    cmd: Any = root.get_command(ctx, command)  # type: ignore[attr-defined]
    for param in [*root.params, *cmd.params]:
        descriptor = param.type_descriptor
        full = build_runtime_param(descriptor)
        for value in [*VALUES, param.default, ("a", "b")]:
            if value is None:
                continue
            quick = quick_params._quick(
                descriptor.annotation, descriptor.parameter_info, value, ctx
            )
            if quick is quick_params._UNDECIDED:
                continue
            assert quick == full._coerce_value(value, param=param, ctx=ctx), (param.name, value)
            assert type(quick) is type(full._coerce_value(value, param=param, ctx=ctx))

"""The README's main job and its five-minute tour, run as a newcomer runs them.

The main job: sample_data/tour.sh on a fresh embedded SQLite database (bash, the installed
`payctl` on PATH, a fresh XDG_DATA_HOME). A small `payctl` shim in front of the real one adds
`--format json` to the tour's `payctl import` and keeps its report, so the figures checked here
are those of the tour's own import on a fresh database, and then of its second run, which must
add nothing.

The README's walk-throughs ("Five-minute tour", "The review queue, on the main job's data"): the
shell block(s) of the section, each command run by bash exactly as written, in order, in one
shell, in an empty directory holding only a copy of sample_data/. Each must exit 0, or N where
its comment says "(exit N)", so the ids and numbers they name are those of a fresh database.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT, SAMPLE

pytestmark = pytest.mark.slow

README = ROOT / "README.md"

REAL_PAYCTL = Path(sys.executable).parent / "payctl"
SHIM = """#!/bin/sh
# payctl, except that `payctl import ...` reports as JSON into $TOUR_IMPORT_REPORT
if [ "$1" = import ]; then
    "$REAL_PAYCTL" --format json "$@" > "$TOUR_IMPORT_REPORT"
    status=$?
    cat "$TOUR_IMPORT_REPORT"
    exit $status
fi
exec "$REAL_PAYCTL" "$@"
"""
RULES = (
    "reference",
    "partial",
    "overpayment",
    "writeoff",
    "partner_amount",
    "partner_subset",
    "payment",
)


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_sample_data", SAMPLE / "make_sample_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def matched(row: dict) -> Counter[str]:
    """The report's "matched by rule": a mapping, or the text "partial 2, reference 13"."""
    value = row.get("matched") or {}
    if isinstance(value, dict):
        return Counter(value)
    return Counter({rule: int(n) for rule, n in re.findall(r"(\w+) (\d+)", value)})


@pytest.fixture
def tour_env(tmp_path: Path) -> dict[str, str]:
    assert REAL_PAYCTL.exists(), f"{REAL_PAYCTL} missing: pip install -e '.[test]'"
    shim_dir = tmp_path / "bin"
    shim_dir.mkdir()
    shim = shim_dir / "payctl"
    shim.write_text(SHIM, encoding="utf-8")
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYCTL_")}
    env.update(
        XDG_DATA_HOME=str(tmp_path / "xdg"),
        PAYCTL_USER="newcomer",
        REAL_PAYCTL=str(REAL_PAYCTL),
        TOUR_IMPORT_REPORT=str(tmp_path / "import.json"),
        PATH=os.pathsep.join([str(shim_dir), str(REAL_PAYCTL.parent), env.get("PATH", "")]),
    )
    return env


def run_tour(env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], dict]:
    proc = subprocess.run(
        ["bash", str(SAMPLE / "tour.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    assert "Traceback" not in proc.stdout + proc.stderr
    report = json.loads(Path(env["TOUR_IMPORT_REPORT"]).read_text(encoding="utf-8"))
    return proc, report


def payctl_json(env: dict[str, str], *args: str) -> object:
    proc = subprocess.run(
        [str(REAL_PAYCTL), "--format", "json", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return json.loads(proc.stdout)


def test_tour_imports_the_bank_extracts_and_a_second_run_adds_nothing(tour_env):
    gen = generator()
    intended = Counter(s["rule"] for s in gen.BANK_LINES)
    first_day, last_day = gen.BANK_FILES["camt"]
    overlap = sum(first_day <= s["day"] <= gen.BANK_FILES["csv"][1] for s in gen.BANK_LINES)

    proc, report = run_tour(tour_env)
    files = {Path(row["file"]).name: row for row in report["files"]}
    assert sorted(files) == ["2026-11_bnk1.csv", "2026-11_bnk1.sta", "2026-11_bnk1_camt053.xml"]
    assert [files[f]["format"] for f in sorted(files)] == ["csv", "mt940", "camt"]
    assert all(row["status"] == "imported" and not row.get("warnings") for row in files.values())
    totals = report["totals"]
    # every line of the three files, once; the camt.053 repeats the CSV's 10-11 November
    assert overlap > 0
    assert totals["lines_read"] == len(gen.BANK_LINES) + overlap
    assert files["2026-11_bnk1_camt053.xml"]["duplicates"] == overlap
    assert totals["duplicates"] == overlap and totals["new_lines"] == len(gen.BANK_LINES)
    assert totals["failed_files"] == 0
    # each line matched by the rule the generator wrote it for
    by_rule = sum((matched(row) for row in files.values()), Counter())
    assert by_rule == Counter({rule: intended[rule] for rule in RULES})
    assert all(by_rule[rule] > 0 for rule in RULES)
    assert totals["reconciled"] == intended["payment"]
    assert totals["payments_created"] == sum(by_rule.values()) - intended["payment"]
    assert totals["payments_confirmed"] == totals["payments_created"]  # --auto-confirm
    assert totals["to_review"] == intended["review"]  # candidates, none good enough
    assert totals["unmatched"] == intended[""]  # fees, card payments, salaries, tax
    review = payctl_json(tour_env, "review", "list", "--limit", "0")
    assert review["total"] == intended["review"] + intended[""]
    # the tour ends with the summary and a passing integrity check
    assert "Posted payments, all dates" in proc.stdout and re.search(
        r"^ok: \d+ checks passed", proc.stderr, re.M
    )
    summary = payctl_json(tour_env, "summary")

    proc, again = run_tour(tour_env)
    assert again["totals"]["lines_read"] == totals["lines_read"]
    assert again["totals"]["new_lines"] == 0
    assert again["totals"]["duplicates"] == totals["lines_read"]
    assert again["totals"]["payments_created"] == again["totals"]["reconciled"] == 0
    assert re.search(r"^ok: \d+ checks passed", proc.stderr, re.M)
    assert payctl_json(tour_env, "summary") == summary


def test_sample_files_are_what_the_generator_writes(tmp_path, monkeypatch, capsys):
    gen = generator()
    monkeypatch.setattr(gen, "OUT_DIR", tmp_path)
    monkeypatch.setattr(gen, "BANK_DIR", tmp_path / "bank")
    gen.main()
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert [str(p) for p in written] == [
        "bank/2026-11_bnk1.csv",
        "bank/2026-11_bnk1.sta",
        "bank/2026-11_bnk1_camt053.xml",
        "invoices.csv",
        "partners.csv",
        "payments.csv",
    ]
    for path in written:
        assert (tmp_path / path).read_bytes() == (SAMPLE / path).read_bytes(), (
            f"sample_data/{path} is out of date: run python sample_data/make_sample_data.py"
        )


def section(readme: str, heading: str) -> str:
    """The text under a heading such as "## Five-minute tour", up to the next heading of the
    same or a higher level."""
    start = readme.index(f"\n{heading}\n")
    level = len(heading) - len(heading.lstrip("#"))
    end = re.compile(rf"\n#{{1,{level}}} ").search(readme, start + 1)
    return readme[start : end.start() if end else len(readme)]


def shell_commands(text: str) -> list[str]:
    """The commands of the ```bash blocks in text, as bash reads them: blank and comment-only
    lines dropped, a line ending in a backslash continued on the next."""
    lines = [
        line
        for block in re.findall(r"^```(?:bash|sh)\n(.*?)^```", text, re.M | re.S)
        for line in block.splitlines()
    ]
    commands: list[str] = []
    current: list[str] = []
    for line in lines:
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current.append(line)
        if not line.endswith("\\"):
            commands.append("\n".join(current))
            current = []
    assert not current, f"the block ends inside a command: {current}"
    return commands


def documented_exit(command: str) -> int:
    """0, or N when the command's comment says "(exit N)"."""
    found = re.search(r"\s#\s.*\(exit (\d)\)", command.splitlines()[-1])
    return int(found.group(1)) if found else 0


def test_shell_commands_are_read_as_bash_reads_them():
    text = (
        "prose\n```bash\n# a comment\nexport X=1   # why\n\npayctl create --a 1 \\\n"
        "    --b 2   # (exit 1) refused\n```\n```text\nnot shell\n```\n```bash\npayctl check\n```\n"
    )
    commands = shell_commands(text)
    assert commands == [
        "export X=1   # why",
        "payctl create --a 1 \\\n    --b 2   # (exit 1) refused",
        "payctl check",
    ]
    assert [documented_exit(c) for c in commands] == [0, 1, 0]


def test_the_first_command_runs_the_main_job():
    first = shell_commands(
        section(README.read_text(encoding="utf-8"), "## Two commands on a fresh machine")
    )[0]
    assert first.endswith("bash sample_data/tour.sh"), first


def run_literally(heading: str, tmp_path: Path) -> tuple[list[str], Path]:
    """Run the commands of a README section in one bash (so `export` carries on), in order, each
    exactly as written, in an empty directory holding only a copy of sample_data/, with a fresh
    HOME and XDG_DATA_HOME and the installed `payctl` on PATH. Each command must exit as
    documented, without a traceback, and a refusal is a one-line error."""
    assert REAL_PAYCTL.exists(), f"{REAL_PAYCTL} missing: pip install -e '.[test]'"
    commands = shell_commands(section(README.read_text(encoding="utf-8"), heading))
    assert commands, f"no shell block under {heading!r} in README.md"
    work, out, home = tmp_path / "clone", tmp_path / "out", tmp_path / "home"
    shutil.copytree(SAMPLE, work / "sample_data")
    out.mkdir()
    home.mkdir()
    script = "".join(
        f'{{\n{command}\n}} >"{out}/{i}.out" 2>"{out}/{i}.err" </dev/null\n'
        f'echo $? >"{out}/{i}.rc"\n'
        for i, command in enumerate(commands)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYCTL_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        PATH=os.pathsep.join([str(REAL_PAYCTL.parent), env.get("PATH", "")]),
    )
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    for i, command in enumerate(commands):
        stdout = (out / f"{i}.out").read_text(encoding="utf-8")
        stderr = (out / f"{i}.err").read_text(encoding="utf-8")
        code = int((out / f"{i}.rc").read_text(encoding="utf-8"))
        assert code == documented_exit(command), (command, code, stdout[-2000:], stderr)
        assert "Traceback" not in stdout + stderr, command
        if code:
            assert len(stderr.strip().splitlines()) == 1, (command, stderr)
    assert not (home / ".local").exists(), "the default database was used"
    return commands, work


def test_readme_tour_runs_as_written_on_a_fresh_database(tmp_path):
    """The ids and numbers the tour names are the ones a fresh database gives."""
    commands, work = run_literally("## Five-minute tour", tmp_path)
    assert len(commands) > 10 and commands[0].startswith("export PAYCTL_DATABASE_URL=tour.db")
    assert (work / "tour.db").stat().st_size > 0
    assert (work / "ledger.beancount").stat().st_size > 0


def test_readme_review_queue_runs_as_written_after_the_main_job(tmp_path):
    """The bank line ids, invoices and payment numbers the review walk-through names are the
    ones the main job gives on a fresh database."""
    commands, work = run_literally("### The review queue, on the main job's data", tmp_path)
    assert commands[0].startswith("export PAYCTL_DATABASE_URL=bank.db")
    assert commands[1].startswith("bash sample_data/tour.sh")
    assert len((work / "review.csv").read_text(encoding="utf-8").splitlines()) == 1 + 11

"""Layering rules: the domain stays pure, and CLI start-up stays light."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "payctl" / "domain"
FORBIDDEN_IN_DOMAIN = {
    "sqlalchemy",
    "pandas",
    "typer",
    "rich",
    "openpyxl",
    "alembic",
    "asyncpg",
    "aiosqlite",
    "click",
}
FORBIDDEN_PAYCTL_IN_DOMAIN = ("payctl.db", "payctl.services", "payctl.cli", "payctl.importers")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any nesting level (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def domain_files() -> list[Path]:
    files = sorted(DOMAIN.glob("*.py"))
    assert len(files) >= 5, "payctl/domain not found where expected"
    return files


def test_imported_modules_sees_nested_imports(tmp_path):
    # the scanner itself must be able to catch a violation
    sample = tmp_path / "x.py"
    sample.write_text(
        "import os\n\ndef f():\n    from sqlalchemy import select\n    import pandas as pd\n"
    )
    assert imported_modules(sample) == {"os", "sqlalchemy", "pandas"}


@pytest.mark.parametrize("path", domain_files(), ids=lambda p: p.name)
def test_domain_has_no_io_or_framework_imports(path):
    modules = imported_modules(path)
    bad = sorted(m for m in modules if m.split(".")[0] in FORBIDDEN_IN_DOMAIN)
    assert not bad, f"{path.name} imports {bad}: payctl/domain must stay pure"
    upward = sorted(m for m in modules if m.startswith(FORBIDDEN_PAYCTL_IN_DOMAIN))
    assert not upward, f"{path.name} imports {upward}: the domain must not depend on upper layers"


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("statement", ["import payctl.cli.app", "import payctl.cli.main"])
def test_cli_start_up_does_not_import_heavy_modules(statement):
    loaded = _modules_after(statement)
    assert statement.split()[-1] in loaded  # the import really happened
    heavy = sorted(
        m
        for m in loaded
        if m.split(".")[0]
        in {"pandas", "openpyxl", "sqlalchemy", "alembic", "numpy", "nats", "aio_pika", "aiormq"}
        or m.startswith(("payctl.services", "payctl.db", "payctl.importers"))
    )
    assert not heavy, f"`{statement}` loads {heavy[:8]}: import them inside the command functions"


def test_building_the_command_tree_stays_light():
    # --help builds the whole click tree: that must not pull pandas or SQLAlchemy either
    loaded = _modules_after("import typer.main, payctl.cli.app as a\ntyper.main.get_command(a.app)")
    assert not {"pandas", "openpyxl", "sqlalchemy"} & loaded

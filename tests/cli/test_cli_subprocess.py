"""The installed `payctl` executable, run exactly as a new user would: a fresh SQLite file,
the README tour on sample_data/, real exit codes from the real entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import payctl
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def executable() -> str:
    """The `payctl` console script of the environment running the tests."""
    beside = Path(sys.executable).parent / "payctl"
    if beside.exists():
        return str(beside)
    found = shutil.which("payctl")
    assert found, "the payctl console script is not installed (pip install -e '.[test]')"
    return found


@pytest.fixture
def env(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PAYCTL_")}
    environment.update(
        PAYCTL_DATABASE_URL=f"sqlite:///{tmp_path / 'tour.db'}",
        PAYCTL_USER="newcomer",
        XDG_DATA_HOME=str(tmp_path / "xdg"),
    )
    return environment


def run(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [executable(), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == code, (args, proc.returncode, proc.stdout, proc.stderr)
    if "--debug" not in args:
        assert "Traceback" not in proc.stdout + proc.stderr, args
    return proc


def run_json(env: dict[str, str], *args: str) -> object:
    return json.loads(run(env, *args, "--format", "json").stdout)


def test_help_and_version(env):
    help_text = run(env, "--help").stdout
    assert "Usage" in help_text
    for command in ("init", "create", "list", "partner", "invoice", "summary"):
        assert command in help_text, command
    assert run(env, "--version").stdout.strip() == f"payctl {payctl.__version__}"
    assert "--allocate" in run(env, "create", "--help").stdout
    module = subprocess.run(
        [sys.executable, "-m", "payctl", "--version"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert module.returncode == 0 and module.stdout.strip() == f"payctl {payctl.__version__}"
    # --help never touches the database
    assert not (Path(env["XDG_DATA_HOME"])).exists()
    assert not Path(env["PAYCTL_DATABASE_URL"].removeprefix("sqlite:///")).exists()


def test_readme_tour(env):
    db_file = Path(env["PAYCTL_DATABASE_URL"].removeprefix("sqlite:///"))
    init = run(env, "init")
    assert "is ready" in init.stderr and db_file.exists()
    partners = run_json(env, "partner", "import", "sample_data/partners.csv")
    assert partners == {"created": 40, "updated": 0, "unchanged": 0}
    invoices = run_json(env, "invoice", "import", "sample_data/invoices.csv")
    assert invoices["created"] == 304

    created = run(
        env,
        "create",
        "--type",
        "customer_payment",
        "--partner",
        "ACME GmbH",
        "--journal",
        "BNK1",
        "--amount",
        "1190.00",
        "--date",
        "2026-02-01",
        "--ref",
        "INV 0001",
        "--allocate",
        "INV/2026/0001=1190.00",
        "--format",
        "json",
    )
    payment = json.loads(created.stdout)
    assert payment["state"] == "draft" and payment["created_by"] == "newcomer"
    assert f"#{payment['id']}" in created.stderr

    confirmed = run_json(env, "confirm", str(payment["id"]))
    assert confirmed["items"][0]["number"] == "BNK1/2026/00001"
    assert confirmed["items"][0]["after"] == "posted"

    listing = run_json(env, "list")
    assert listing["total"] == 1
    (item,) = listing["items"]
    assert (item["number"], item["state"], item["amount"], item["allocated"]) == (
        "BNK1/2026/00001",
        "posted",
        "1190.00",
        "1190.00",
    )

    summary = run_json(env, "summary")
    assert [(r["currency"], r["count"], r["net"]) for r in summary["totals"]] == [
        ("EUR", 1, "1190.00")
    ]
    assert [(r["month"], r["money_in"]) for r in summary["by_month"]] == [("2026-02", "1190.00")]
    assert [(r["type"], r["money_in"]) for r in summary["by_type"]] == [
        ("customer_payment", "1190.00")
    ]

    shown = run(env, "show", "BNK1/2026/00001").stdout  # the default: a table
    for text in ("BNK1/2026/00001", "posted", "INV/2026/0001", "JE/BNK1/2026/00001", "1190.00"):
        assert text in shown, text


def test_error_exit_codes_of_the_real_process(env, tmp_path):
    missing = run(env, "list", code=2)
    assert "payctl init" in missing.stderr and missing.stdout == ""
    run(env, "init")
    bad = run(env, "list", "--amount-min", "1e3", code=2)
    assert bad.stderr.startswith("payctl: error: --amount-min: '1e3' is not a number")
    unknown = run(env, "show", "42", code=1)
    assert unknown.stderr.strip() == "payctl: error: unknown payment '42': see `payctl list`"
    secret_env = dict(env, PAYCTL_DATABASE_URL="postgresql+asyncpg://postgres:secret@127.0.0.1:1/x")
    down = run(secret_env, "list", code=3)
    assert "secret" not in down.stdout + down.stderr
    assert len(down.stderr.splitlines()) == 1
    debug = run(secret_env, "--debug", "list", code=3)  # a traceback, but still no password
    assert "secret" not in debug.stdout + debug.stderr
    assert debug.stderr.splitlines()[-1].startswith("payctl: error: cannot use database")

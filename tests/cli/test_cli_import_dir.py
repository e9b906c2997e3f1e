"""`payctl import DIR` — the nightly job — on every backend (cli_env): a directory's bank
files in name order, --archive and --failed moving each decided file, an unreadable file not
stopping the others (exit 2), and a second run importing nothing.

After every test the autouse ``_check`` fixture runs `payctl check` and requires exit 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_import import table_counts
from tests.conftest import payctl, refused
from tests.conftest import payctl_json as js
from tests.services.test_bank_import import jsonl, row


@pytest.fixture(autouse=True)
def _check(cli_env: dict[str, str]) -> Any:
    yield
    payctl("check")


def day(n: int) -> bytes:
    return jsonl(
        row("-1.00", day=f"2026-03-{n:02d}", text=f"fee {n}", tx=f"F{n}"),
        row("-2.00", day=f"2026-03-{n:02d}", text=f"more {n}", tx=f"G{n}"),
    )


@pytest.fixture
def inbox(cli_env: dict[str, str], tmp_path: Path) -> Path:
    """Three bank files (one unreadable) and what a nightly folder also holds."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "2026-03-03.jsonl").write_bytes(day(3))
    (folder / "2026-03-01.jsonl").write_bytes(day(1))
    (folder / "2026-03-02.csv").write_bytes(b"")  # empty: cannot be read
    (folder / ".2026-03-04.jsonl").write_bytes(day(4))  # hidden: still being written
    (folder / "notes.pdf").write_bytes(b"%PDF")  # not a bank file
    (folder / "sub.csv").mkdir()  # not a regular file
    return folder


def test_directory_in_name_order_archive_and_failed(inbox, tmp_path):
    done, bad = tmp_path / "done", tmp_path / "bad"
    done.mkdir()
    bad.mkdir()
    out = payctl("import", inbox, "--archive", done, "--failed", bad, "--format", "json", code=2)
    data = json.loads(out.stdout)
    files = [(Path(f["file"]).name, f["status"]) for f in data["files"]]
    assert files == [
        ("2026-03-01.jsonl", "imported"),
        ("2026-03-02.csv", "failed"),
        ("2026-03-03.jsonl", "imported"),
    ]
    first, failed, third = data["files"]
    assert first["moved_to"] == str(done / "2026-03-01.jsonl") and first["new_lines"] == 2
    assert failed["moved_to"] == str(bad / "2026-03-02.csv")
    assert "empty" in failed["error"] and failed["exit_code"] == 2
    assert third["moved_to"] == str(done / "2026-03-03.jsonl")
    assert data["totals"]["new_lines"] == 4 and data["totals"]["failed_files"] == 1
    assert sorted(p.name for p in inbox.iterdir()) == [".2026-03-04.jsonl", "notes.pdf", "sub.csv"]
    assert sorted(p.name for p in done.iterdir()) == ["2026-03-01.jsonl", "2026-03-03.jsonl"]
    assert [p.name for p in bad.iterdir()] == ["2026-03-02.csv"]
    assert "payctl: error:" in out.stderr and "2026-03-02.csv" in out.stderr
    # the next night: nothing left to import
    again = js("import", inbox, "--archive", done, "--failed", bad)
    assert again["files"] == [] and again["totals"]["new_lines"] == 0
    # a file sent again is a complete duplicate: archived beside the first, nothing imported
    (inbox / "2026-03-01.jsonl").write_bytes(day(1))
    resent = js("import", inbox, "--archive", done, "--failed", bad)["files"]
    assert [(f["status"], f["new_lines"], f["duplicates"]) for f in resent] == [("imported", 0, 2)]
    assert resent[0]["moved_to"] == str(done / "2026-03-01.jsonl.1")


def test_rerun_without_moving_imports_nothing(inbox, cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]
    first = payctl("import", inbox, "--format", "json", code=2)
    assert json.loads(first.stdout)["totals"]["new_lines"] == 4
    before = table_counts(url)
    again = payctl("import", inbox, "--format", "json", code=2)
    files = json.loads(again.stdout)["files"]
    assert [f.get("new_lines") for f in files] == [0, None, 0]
    assert [f.get("duplicates") for f in files] == [2, None, 2]
    assert table_counts(url) == before


def test_bad_folders_and_dry_run(inbox, tmp_path):
    refused("import", inbox, "--archive", tmp_path / "nope", code=2, says="--archive")
    refused("import", inbox, "--failed", tmp_path / "nope", code=2, says="--failed")
    (tmp_path / "done").mkdir()
    refused("import", inbox, "--archive", tmp_path / "done", "--dry-run", code=2, says="--dry-run")
    assert (inbox / "2026-03-01.jsonl").exists()


def test_an_empty_directory_is_fine(cli_env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert js("import", empty)["files"] == []


# ------------------------------------------------------------- two overlapping runs
def _executable() -> str:
    import shutil
    import sys

    beside = Path(sys.executable).parent / "payctl"
    found = str(beside) if beside.exists() else shutil.which("payctl")
    assert found, "the payctl console script is not installed"
    return found


@pytest.mark.slow
@pytest.mark.parametrize("archive", [True, False], ids=["archive", "stay"])
def test_two_overlapping_runs_never_import_a_file_twice(cli_env, tmp_path, archive):
    """Two nightly runs started at once on the same folder and database: every file is
    imported exactly once (one run imports it, the other finds it known, or gone when it was
    archived), each ends in the archive once, both runs exit 0."""
    import subprocess

    from payctl.db import models as m
    from tests import factories
    from tests.conftest import in_session

    url = cli_env["PAYCTL_DATABASE_URL"]
    folder, done = tmp_path / "in", tmp_path / "done"
    folder.mkdir()
    done.mkdir()
    files, per_file = 16, 25
    for n in range(1, files + 1):
        lines = [
            row(f"-{n}.{k:02d}", day=f"2026-04-{n:02d}", text=f"t {n} {k}", tx=f"T{n}-{k}")
            for k in range(per_file)
        ]
        (folder / f"{n:02d}.jsonl").write_bytes(jsonl(*lines))
    command = [_executable(), "--format", "json", "import", str(folder)]
    command += ["--archive", str(done)] if archive else []
    runs = [
        subprocess.Popen(command, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, (out, err)
        assert b"Traceback" not in err
    reports = [json.loads(out) for out, _ in outputs]
    new: dict[str, int] = {}
    for report in reports:
        for f in report["files"]:
            assert f["status"] in ("imported", "gone"), f
            name = Path(f["file"]).name
            new[name] = new.get(name, 0) + (f.get("new_lines") or 0)
    assert new == {f"{n:02d}.jsonl": per_file for n in range(1, files + 1)}
    assert sorted(p.name for p in done.iterdir()) == (sorted(new) if archive else [])
    assert sorted(p.name for p in folder.iterdir()) == ([] if archive else sorted(new))
    counts = in_session(url, factories.row_counts, (m.BankStatement, m.BankLine))
    assert counts == {"bank_statements": files, "bank_lines": files * per_file}

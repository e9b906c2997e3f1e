"""`payctl events list|tail|prune|destinations` (issue 13) on every backend: the output of each
format, paging, following new events from another process until SIGTERM/SIGINT, and pruning
that never deletes what a destination has not acknowledged.

Events are written through the real outbox (``outbox.emit`` in a real transaction), so these
tests do not depend on which services emit what; one test reads the events payment changes
really write.
"""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from payctl.db.models import Event, EventDestination, utcnow
from payctl.db.uow import transaction
from payctl.services.events import outbox
from payctl.services.events.catalog import TYPES
from tests.cli.test_cli_subprocess import executable
from tests.conftest import ROOT, in_session, payctl, payctl_json, refused
from tests.factories import customer, draft

HOSTILE = "Evil\x1b[31m\u202eCorp"


def emit(url: str, changes: Sequence[outbox.Change], actor: str = "tester") -> None:
    """Commit ``changes`` as events in one transaction of this (the test's) process."""

    async def go(session: Any) -> None:
        async with transaction(session, write=True):
            await outbox.emit(session, actor, list(changes))

    in_session(url, go)


def change(i: int, type: str = "payment.created", **data: Any) -> outbox.Change:
    return outbox.Change(type, "payment", i, f"BNK1/2026/{i:05d}", {"n": i, **data})


def many(url: str, count: int, types: Sequence[str] = ("payment.created",)) -> None:
    emit(url, [change(i, types[(i - 1) % len(types)]) for i in range(1, count + 1)])


def ids(url: str) -> list[int]:
    async def go(session: Any) -> list[int]:
        return list((await session.scalars(select(Event.id).order_by(Event.id))).all())

    return in_session(url, go)


def acknowledge(url: str, **destinations: int) -> None:
    """What the relay records: the last id each destination acknowledged (rows written here)."""

    async def go(session: Any) -> None:
        async with transaction(session, write=True):
            await session.execute(
                insert(EventDestination),
                [
                    {"name": name, "last_acked_id": acked, "updated_at": utcnow()}
                    for name, acked in sorted(destinations.items())
                ],
            )

    in_session(url, go)


def tail_lines(*args: Any) -> list[dict[str, Any]]:
    out = payctl("events", "tail", *args).stdout
    assert out.endswith("\n") or out == ""
    return [json.loads(line) for line in out.splitlines()]


# --- list ---------------------------------------------------------------------------------


def test_list_in_every_format(cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]
    emit(url, [change(1, reference=HOSTILE), change(1, "payment.confirmed")], actor=HOSTILE)
    emit(url, [outbox.Change("lock_date.moved", "setting", None, None, {"lock_date": "x"})])

    table = payctl("events", "list").stdout
    assert "payment.created" in table and "payment BNK1/2026/00001" in table
    assert "lock_date.moved" in table and "setting" in table
    assert "\x1b" not in table and "\u202e" not in table
    assert "Evil\\x1b[31m\\u202eCorp" in table  # the actor, shown escaped

    envelopes = payctl_json("events", "list")
    assert [e["id"] for e in envelopes] == [1, 2, 3]
    first = envelopes[0]
    assert list(first) == ["id", "type", "schema", "occurred_at", "actor", "object", "data"]
    assert first["type"] == "payment.created" and first["schema"] == 1
    assert first["actor"] == HOSTILE
    assert first["object"] == {"type": "payment", "id": 1, "number": "BNK1/2026/00001"}
    assert first["data"] == {"n": 1, "reference": HOSTILE}
    assert first["occurred_at"].endswith("Z")
    assert envelopes[2]["object"] == {"type": "setting", "id": None, "number": None}

    out = payctl("events", "list", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [
        "id",
        "type",
        "schema",
        "occurred_at",
        "actor",
        "object_type",
        "object_id",
        "object_number",
        "data",
    ]
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["object_number"] == "BNK1/2026/00001" and rows[2]["object_id"] == ""
    assert json.loads(rows[0]["data"]) == {"n": 1, "reference": HOSTILE}
    assert rows[1]["occurred_at"] == envelopes[1]["occurred_at"]


def test_list_since_type_limit_and_nothing(cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]
    many(url, 6, types=("payment.created", "payment.confirmed", "invoice.paid"))

    def listed(*args: str) -> list[int]:
        return [e["id"] for e in payctl_json("events", "list", *args)]

    assert listed("--since", "4") == [5, 6]
    assert listed("--type", "invoice.paid") == [3, 6]
    assert listed("--type", "invoice.paid", "--type", "payment.created") == [1, 3, 4, 6]
    assert listed("--since", "3", "--type", "payment.created") == [4]
    result = payctl("events", "list", "--limit", "2", "--since", "1", "--format", "json")
    assert [e["id"] for e in json.loads(result.stdout)] == [2, 3]
    assert "payctl events list --since 3" in result.stderr  # says how to go on
    assert "more" not in payctl("events", "list", "--since", "4").stderr

    # nothing matches: one line for people, still valid data for programs
    empty = payctl("events", "list", "--since", "6")
    assert empty.stdout == "no events match\n"
    assert payctl("events", "list", "--type", "lock_date.moved").stdout == "no events match\n"
    assert payctl_json("events", "list", "--since", "6") == []
    assert payctl("events", "list", "--since", "6", "--format", "csv").stdout.startswith("id,")
    assert len(payctl("events", "list", "--since", "6", "--format", "csv").stdout.splitlines()) == 1


def test_the_events_payment_changes_write(cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]

    async def go(session: Any) -> int:
        await customer(session)
        return (await draft(session, amount="25.00")).id

    pid = in_session(url, go)
    payctl("confirm", str(pid))
    events = payctl_json(
        "events", "list", "--type", "payment.created", "--type", "payment.confirmed"
    )
    assert [e["type"] for e in events] == ["payment.created", "payment.confirmed"]
    confirmed = events[1]
    assert confirmed["object"] == {"type": "payment", "id": pid, "number": "BNK1/2026/00001"}
    assert confirmed["actor"] == "tester"
    data = confirmed["data"]
    assert (data["amount"], data["currency"], data["partner"], data["journal"]) == (
        "25.00",
        "EUR",
        "ACME GmbH",
        "BNK1",
    )
    assert (data["state"], data["previous_state"]) == ("posted", "draft")
    line = tail_lines("--since", str(events[0]["id"]), "--type", "payment.confirmed")
    assert line == [confirmed]


BAD_INPUT = [
    (["list", "--type", "payment.nope"], ("payment.nope", "payment.confirmed")),
    (["tail", "--type", "nope"], ("nope", "lock_date.moved")),
    (["list", "--limit", "0"], "--limit"),
    (["list", "--limit", "-3"], "--limit"),
    (["list", "--since", "-1"], "--since"),
    (["list", "--since", "x"], "--since"),
    (["list", "--since", str(2**63)], "--since"),
    (["tail", "--interval", "0"], "--interval"),
    (["tail", "--interval", "soon"], "--interval"),
    (["prune", "--before", "yesterday-ish"], "before"),
    (["prune", "--before", "2026-13-01"], "before"),
    (["prune", "--before", "2026-01-01T10:00"], "before"),
    (["prune", "--before", "99999999999999999999"], "before"),
    (["prune", "--before", ""], "before"),
    (["prune"], "--before"),
]


def test_bad_input_is_one_line_exit_2_and_deletes_nothing(cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]
    many(url, 3)
    acknowledge(url, nats=3)
    for args, says in BAD_INPUT:
        refused("events", *args, code=2, says=says, quiet_stdout=True)
    assert ids(url) == [1, 2, 3]


def test_an_unknown_type_line_names_every_type(cli_env):
    line = refused("events", "list", "--type", "payments.created", code=2)
    assert all(t in line for t in TYPES)


# --- tail -----------------------------------------------------------------------------------


def test_tail_prints_json_lines_in_pages_until_caught_up(cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]
    # more than two pages (500 a page); a filter that hides most of them
    many(url, 1234, types=("payment.created", "payment.updated", "payment.deleted", "invoice.paid"))
    lines = tail_lines()
    assert [e["id"] for e in lines] == list(range(1, 1235))
    assert lines == payctl_json("events", "list", "--limit", "2000")
    paid = tail_lines("--type", "invoice.paid", "--since", "100")
    assert [e["id"] for e in paid] == [i for i in range(101, 1235) if i % 4 == 0]
    assert tail_lines("--since", "1234") == []
    # the format option does not change a stream of JSON lines
    assert payctl("--format", "table", "events", "tail", "--since", "1233").stdout.count("\n") == 1
    one = payctl("events", "tail", "--since", "1233").stdout
    assert one.count("\n") == 1 and json.loads(one)["id"] == 1234
    assert ": " not in one.split('"data"')[0]  # compact


def test_tail_escapes_what_json_leaves_raw(cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]
    emit(url, [change(1, reference=HOSTILE + "\u2028")])
    out = payctl("events", "tail").stdout
    for raw in ("\x1b", "\u202e", "\u2028"):
        assert raw not in out
    assert json.loads(out)["data"]["reference"] == HOSTILE + "\u2028"


class Follower:
    """`payctl events tail --follow` in its own process; its lines read as they come."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [executable(), "events", "tail", "--follow", "--interval", "0.1", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def next(self, timeout: float = 60) -> dict[str, Any]:
        try:
            return json.loads(self.lines.get(timeout=timeout))
        except queue.Empty:
            self.proc.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"no event line within {timeout} s: {err}") from None

    def stop(self, signum: int) -> tuple[int, str]:
        self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout=30)
        finally:
            self.proc.kill()
        assert self.proc.stderr is not None
        return self.proc.returncode, self.proc.stderr.read()


def _idle_transactions(url: str) -> int:
    """PostgreSQL sessions of this database left inside a transaction between statements."""

    async def go(session: Any) -> int:
        return int(
            await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            )
        )

    return in_session(url, go)


def _sqlite_checkpoint(url: str) -> tuple[int, int, int]:
    """A full WAL checkpoint from another connection: (busy, frames, checkpointed); busy is 1
    when a reader kept a transaction open for the whole busy timeout."""
    path = url.split("///", 1)[1]
    with sqlite3.connect(path, timeout=10) as conn:
        return conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_follow_prints_what_another_process_commits_then_stops_cleanly(cli_env, signum):
    url = cli_env["PAYCTL_DATABASE_URL"]
    many(url, 3)
    follower = Follower(cli_env, "--since", "1", "--type", "payment.created")
    assert [follower.next()["id"], follower.next()["id"]] == [2, 3]

    emit(url, [change(4)])  # committed by this process while the follower runs
    assert follower.next()["id"] == 4
    # hidden by the filter, then one it wants: it keeps up
    emit(url, [change(5, "invoice.paid"), change(6, "invoice.paid")])
    emit(url, [change(7)])
    assert follower.next()["id"] == 7

    time.sleep(0.3)  # a few looks while idle: none of them leaves a transaction open
    if url.startswith("postgresql"):
        assert _idle_transactions(url) == 0
    else:
        busy, _frames, _done = _sqlite_checkpoint(url)
        assert busy == 0
    emit(url, [change(8)])  # writers are never blocked by it either
    assert follower.next()["id"] == 8

    code, err = follower.stop(signum)
    assert (code, err) == (0, "")
    assert follower.lines.empty()


def test_tail_into_a_closed_pipe_exits_quietly(cli_env, tmp_path):
    url = cli_env["PAYCTL_DATABASE_URL"]
    many(url, 2000)  # far more than a pipe buffers
    proc = subprocess.run(
        ["bash", "-c", f"'{executable()}' events tail | head -1; echo ${{PIPESTATUS[0]}} >&2"],
        cwd=ROOT,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(proc.stdout)["id"] == 1
    assert proc.stderr == "141\n"


def test_events_commands_stay_light():
    """Reading events needs neither pandas nor openpyxl nor a broker client."""
    code = (
        "import sys, json\n"
        "from payctl.cli.app import app\n"
        "try:\n"
        "    app(['events', 'list', '--format', 'json'], prog_name='payctl')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('\\n' + json.dumps(sorted(sys.modules)) + '\\n')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYCTL_")}
    env["PAYCTL_DATABASE_URL"] = "sqlite:////nonexistent/payctl.db"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    loaded = json.loads(out.stderr.strip().splitlines()[-1])
    heavy = {m.split(".")[0] for m in loaded} & {"pandas", "openpyxl", "nats", "aio_pika", "aiormq"}
    assert not heavy, heavy
    assert "payctl.services.events.event_service" in loaded


# --- prune ----------------------------------------------------------------------------------


def test_prune_refuses_without_any_destination(cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]
    many(url, 5)
    refused("events", "prune", "--before", "4", says=("no relay", "--unpublished"))
    assert ids(url) == [1, 2, 3, 4, 5]
    report = payctl_json("events", "prune", "--before", "4", "--unpublished", "--dry-run")
    assert (report["deleted"], report["kept_first"], report["dry_run"]) == (3, 4, True)
    assert ids(url) == [1, 2, 3, 4, 5]
    report = payctl_json("events", "prune", "--before", "4", "--unpublished")
    assert (report["deleted"], report["kept"], report["kept_first"], report["kept_last"]) == (
        3,
        2,
        4,
        5,
    )
    assert report["acknowledged_through"] is None
    assert ids(url) == [4, 5]
    # ids are never handed out again: a reader that remembers 5 misses nothing
    many(url, 1)
    assert ids(url) == [4, 5, 6]


def test_prune_keeps_what_any_destination_has_not_acknowledged(cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]
    many(url, 10)
    acknowledge(url, nats=7, rabbitmq=4)

    dry = payctl_json("events", "prune", "--before", "10", "--dry-run")
    assert dry["deleted"] == 4 and dry["unacknowledged"] == 5 and dry["dry_run"] is True
    assert ids(url) == list(range(1, 11))

    result = payctl("events", "prune", "--before", "10")
    assert "deleted 4 events; ids 5-10 kept" in result.stderr
    assert "rabbitmq" in result.stdout
    assert ids(url) == list(range(5, 11))

    refused(
        "events", "prune", "--before", "11", "--unpublished", says=("rabbitmq", "--unpublished")
    )
    assert ids(url) == list(range(5, 11))

    # a date: everything occurred before the last day payctl books, but only acknowledged
    # events go; a day before they occurred deletes nothing
    assert payctl_json("events", "prune", "--before", "1900-01-02")["deleted"] == 0
    report = payctl_json("events", "prune", "--before", "2199-12-31")
    assert (report["deleted"], report["unacknowledged"]) == (0, 6)
    assert (report["acknowledged_through"], report["lagging"]) == (4, "rabbitmq")

    acknowledge_more(url, rabbitmq=9)
    report = payctl_json("events", "prune", "--before", "2199-12-31")
    assert (report["deleted"], report["kept_first"], report["kept_last"]) == (3, 8, 10)
    assert ids(url) == [8, 9, 10]


def acknowledge_more(url: str, **destinations: int) -> None:
    async def go(session: Any) -> None:
        async with transaction(session, write=True):
            for name, acked in sorted(destinations.items()):
                row = await session.get(EventDestination, name)
                row.last_acked_id = acked

    in_session(url, go)


def test_prune_with_a_destination_that_acknowledged_nothing(cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]
    many(url, 3)
    acknowledge(url, fresh=0)
    report = payctl_json("events", "prune", "--before", "4")
    assert (report["deleted"], report["unacknowledged"], report["kept"]) == (0, 3, 3)
    assert ids(url) == [1, 2, 3]


def test_prune_an_empty_outbox(cli_env):
    report = payctl_json("events", "prune", "--before", "100", "--unpublished")
    assert (report["deleted"], report["kept"], report["kept_first"]) == (0, 0, None)
    assert "no events kept" in payctl("events", "prune", "--before", "1", "--unpublished").stderr


# --- destinations ---------------------------------------------------------------------------


def test_destinations_show_what_waits(cli_env):
    url = cli_env["PAYCTL_DATABASE_URL"]
    assert payctl("events", "destinations").stdout == (
        "no destinations: no relay has acknowledged an event yet\n"
    )
    assert payctl_json("events", "destinations") == {"items": [], "total": 0}
    many(url, 6)
    acknowledge(url, rabbitmq=2, nats=6)
    items = payctl_json("events", "destinations")["items"]
    assert [(d["name"], d["last_acked_id"], d["pending"]) for d in items] == [
        ("nats", 6, 0),
        ("rabbitmq", 2, 4),
    ]
    assert all(d["updated_at"].endswith("Z") for d in items)
    table = payctl("events", "destinations").stdout
    assert "rabbitmq" in table and "Pending" in table


# --- the README's cron consumer -------------------------------------------------------------


def _readme_cron_job() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Consuming events from cron", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_readme_cron_job_hands_every_event_on_once(cli_env, tmp_path):
    url = cli_env["PAYCTL_DATABASE_URL"]
    script = _readme_cron_job()
    assert "/var/lib/payctl/events.last-id" in script and "erp-import-events" in script
    job = tmp_path / "job.sh"
    job.write_text(
        script.replace("/var/lib/payctl/events.last-id", str(tmp_path / "last-id")).replace(
            "erp-import-events", f"cat >> '{tmp_path / 'consumed.jsonl'}'"
        )
    )
    env = {**cli_env, "PATH": f"{os.path.dirname(executable())}:{os.environ['PATH']}"}

    def run_job() -> list[int]:
        proc = subprocess.run(
            ["sh", str(job)], env=env, capture_output=True, text=True, timeout=120
        )
        assert (proc.returncode, proc.stderr) == (0, ""), proc
        consumed = tmp_path / "consumed.jsonl"
        lines = consumed.read_text().splitlines() if consumed.exists() else []
        return [json.loads(line)["id"] for line in lines]

    assert run_job() == []  # nothing yet
    many(url, 3)
    assert run_job() == [1, 2, 3]
    assert (tmp_path / "last-id").read_text() == "3\n"
    assert run_job() == [1, 2, 3]  # nothing new: nothing handed on again
    emit(url, [change(4, reference='{"id":99,'), change(5)])
    assert run_job() == [1, 2, 3, 4, 5]
    assert (tmp_path / "last-id").read_text() == "5\n"

"""Values one backend takes and the other refuses (#14, point 10): each is refused at the edge,
with the same one line and the documented exit code on SQLite and PostgreSQL, nothing
written, none of Python's wording."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_bad_input import snapshot
from tests.conftest import PYTHON_WORDING, payctl, refused

# ------------------------------------------------------------------ database URLs


URL_CASES: list[tuple[str, int, str]] = [
    # libpq options asyncpg does not take as keywords: used to be TypeError, exit 1
    ("postgresql://u@h/db?bogus=1", 2, "database URL option 'bogus' is not supported"),
    ("postgresql://u@h/db?sslmode=maybe", 2, "sslmode='maybe': use one of disable"),
    ("postgresql://u@h/db?connect_timeout=soon", 2, "connect_timeout='soon' is not a number"),
    ("postgresql://u@h/db?connect_timeout=0", 2, "connect_timeout='0'"),
    ("postgresql://u@h/db?sslmode=require&sslmode=disable", 2, "'sslmode' is given more than"),
    ("postgresql://u@h/db?sslrootcert=/no/such.pem", 2, "sslrootcert: no such file"),
    # malformed: used to be ValueError/OverflowError as "internal error", exit 1
    ("postgresql://:@:/", 2, "the port '' is not a number"),
    ("postgresql://host:notaport/db", 2, "the port 'notaport' is not a number"),
    ("postgresql://me:s3cret@host:notaport/db", 2, "postgresql://me:***@host:notaport/db"),
    ("postgresql://me:s3cret@[::1/db", 2, "postgresql://me:***@[::1/db"),
    ("postgresql://h:99999/db", 2, "port 99999 is not 1-65535"),
    ("postgresql://", 2, "names no database"),
    ("mysql://x", 2, "scheme 'mysql' is not supported"),
    ("sqlite:", 2, "database URL 'sqlite:' is malformed"),
    ("sqlite:ledger.db", 2, "database URL 'sqlite:ledger.db' is malformed"),
    # well-formed but unreachable: exit 3, password masked
    ("postgresql://me:s3cret@127.0.0.1:1/db", 3, "cannot use database postgresql://me:***@"),
]


@pytest.mark.parametrize(("url", "code", "text"), URL_CASES)
def test_a_database_url_that_cannot_be_used_is_one_line(tmp_path, monkeypatch, url, code, text):
    monkeypatch.chdir(tmp_path)
    for args in (["list"], ["init"], ["partner", "create", "X"]):
        line = refused(*args, code=code, says=text, env={"PAYCTL_DATABASE_URL": url})
        assert "s3cret" not in line
        line = refused("--database-url", url, *args, code=code, says=text)
        assert "s3cret" not in line
    assert list(tmp_path.iterdir()) == [], "a file was created"


@pytest.fixture
def pg_url(backend: str, init_url: str) -> str:
    """An initialised PostgreSQL database (the tests of PostgreSQL's own options)."""
    if backend != "postgresql":
        pytest.skip("a PostgreSQL behaviour")
    return init_url


@pytest.mark.parametrize(
    "options",
    [
        "sslmode=disable",
        "sslmode=prefer",
        "connect_timeout=5",
        "application_name=payctl-test",
        "sslmode=allow&connect_timeout=2.5&application_name=x",
    ],
)
def test_libpq_url_options_are_understood(pg_url, options):
    """`?sslmode=require` and friends used to end in TypeError (asyncpg's keywords differ)."""
    url = f"{pg_url}?{options}"
    payctl("--database-url", url, "partner", "create", "Opt Co")
    assert "Opt Co" in payctl("--database-url", url, "partner", "list", "--format", "json").stdout


def test_sslmode_require_without_ssl_on_the_server_is_exit_3(pg_url):
    """The local test server has no SSL: require is honoured (not ignored), cannot connect."""
    before = snapshot(pg_url)
    line = refused(
        "--database-url",
        f"{pg_url}?sslmode=require",
        "partner",
        "create",
        "Tls Co",
        code=3,
        says="cannot use database",
    )
    assert "SSL" in line
    assert snapshot(pg_url) == before


def test_application_name_reaches_the_server(pg_url):
    import asyncio

    from sqlalchemy import text

    from payctl.db.engine import Database

    async def name() -> Any:
        db = Database(f"{pg_url}?application_name=payctl-ledger")
        try:
            async with db.session() as s:
                return await s.scalar(text("SHOW application_name"))
        finally:
            await db.dispose()

    assert asyncio.run(name()) == "payctl-ledger"


# ------------------------------------------------------------------ NUL characters

NUL_TEXT = "NUL character: binary data, not text"
OFX = Path(__file__).resolve().parents[1] / "data" / "banks" / "ofx" / "ofxparse_checking_v102.ofx"


def _ofx_with_nul() -> bytes:
    data = OFX.read_bytes()
    at = data.index(b"<NAME>") + len(b"<NAME>")
    return data[:at] + b"X\x00Y" + data[at:]


# (file name, its bytes, the command (FILE = the file), what the one line says)
NUL_FILES: list[tuple[str, bytes, list[str], str]] = [
    ("p.csv", b"name,kind\nNul\x00 Co,customer\n", ["partner", "import", "FILE"], "line 2"),
    (
        "i.csv",
        b"number,partner,amount,date\nINV\x009,ACME GmbH,1.00,2026-01-01\n",
        ["invoice", "import", "FILE"],
        "line 2",
    ),
    (
        "i2.csv",  # a look-up, not a store: PostgreSQL refused the query itself
        b"number,partner,amount,date\nINV-9,ACME\x00 GmbH,1.00,2026-01-01\n",
        ["invoice", "import", "FILE"],
        "line 2",
    ),
    (
        "b.csv",
        b"type,partner,journal,amount,date,reference\n"
        b"customer_payment,ACME GmbH,BNK1,1.00,2026-01-01,ref\x00x\n",
        ["bulk", "create", "--file", "FILE"],
        "line 2",
    ),
    (
        "b2.csv",
        b"type,partner,journal,amount,date\ncustomer_payment,ACME\x00 GmbH,BNK1,1.00,2026-01-01\n",
        ["bulk", "create", "--file", "FILE"],
        "line 2",
    ),
    ("ids.txt", b"1\n2\x00\n", ["bulk", "confirm", "--file", "FILE"], "ids.txt: line 2"),
    ("ids.csv", b"payment\n1\x00\n", ["bulk", "cancel", "--file", "FILE"], "ids.csv: line 2"),
    (
        "l.jsonl",
        b'{"booking_date":"2026-01-01","amount":"5.00","remittance":"a\\u0000b"}\n',
        ["import", "FILE", "--journal", "BNK1"],
        "line 1: remittance",
    ),
    ("n.ofx", _ofx_with_nul(), ["import", "FILE", "--journal", "BNK1"], "n.ofx: line 51"),
]


def _bank_lines(url: str) -> int:
    import asyncio

    from sqlalchemy import func, select

    from payctl.db.engine import Database
    from payctl.db.models import BankLine

    async def count() -> int:
        db = Database(url)
        try:
            async with db.session() as s:
                return int(await s.scalar(select(func.count()).select_from(BankLine)) or 0)
        finally:
            await db.dispose()

    return asyncio.run(count())


@pytest.fixture
def books(cli_env: dict[str, str]) -> str:
    for args in (
        ["partner", "create", "ACME GmbH", "--kind", "customer"],
        ["create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "5", "--journal", "BNK1"],
    ):
        payctl(*args)
    return cli_env["PAYCTL_DATABASE_URL"]


@pytest.mark.parametrize(("name", "data", "args", "text"), NUL_FILES)
def test_a_nul_character_in_a_file_is_refused_on_both_backends(
    books, tmp_path, name, data, args, text
):
    """PostgreSQL refused NUL with an internal error (DBAPIError, exit 1); SQLite stored it."""
    path = tmp_path / name
    path.write_bytes(data)
    before, lines = snapshot(books), _bank_lines(books)
    line = refused(*[str(path) if a == "FILE" else a for a in args], code=2, says=text)
    assert line.endswith(NUL_TEXT) and str(path) in line, line
    assert snapshot(books) == before and _bank_lines(books) == lines


PAY = ["create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "1", "--journal", "BNK1"]


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["partner", "create", "Nul\x00 Co"], "argument 'Nul\\x00 Co'"),
        ([*PAY, "--ref", "r\x00"], "--ref"),
        ([*PAY, "--memo=m\x00"], "--memo"),
        (
            ["invoice", "create", "-p", "ACME GmbH", "--number", "I\x00", "--amount", "1"],
            "--number",
        ),
        (["list", "--partner", "AC\x00ME"], "--partner"),
        (["show", "1\x00"], "argument '1\\x00'"),
    ],
)
def test_a_nul_character_in_an_argument_is_refused_naming_it(books, args, name):
    """A process's arguments cannot hold NUL, a program calling payctl in-process can: on
    PostgreSQL the look-up of the name already failed (internal error, exit 1)."""
    before = snapshot(books)
    line = refused(*args, code=2, says=f"{name}: {NUL_TEXT}")
    assert "\x00" not in line
    assert snapshot(books) == before


async def test_the_model_edge_refuses_nul_in_every_text_column(session):
    """What no reader saw (a service called directly): the ORM attribute and the set-wise
    insert refuse it naming the field, before the database, on both backends."""
    from sqlalchemy import func, select

    from payctl.db.bulk import bulk_insert
    from payctl.db.models import Partner, Payment
    from payctl.errors import InputError

    with pytest.raises(InputError, match=f"^name: {NUL_TEXT}$"):
        Partner(name="Nul\x00 Co", kind="customer")
    with pytest.raises(InputError, match=f"^memo: {NUL_TEXT}$"):
        Payment(memo="a\x00b")  # a Text column: no length, still text
    with pytest.raises(InputError, match=f"^name: {NUL_TEXT}$"):
        await bulk_insert(session, Partner.__table__, [{"name": "A\x00", "kind": "customer"}])
    assert await session.scalar(select(func.count()).select_from(Partner)) == 0


# ------------------------------------------------------------------ a terminated server session

APP_NAME = "payctl-terminated"


async def _terminate_while_waiting(
    url: str, table: str, args: list[str], mode: str = "ACCESS EXCLUSIVE"
) -> Any:
    """Run payctl while another session holds ``table`` locked in ``mode``; when payctl's
    statement waits on that lock (mid-command: its earlier statements ran), end its backend."""
    import asyncio
    import subprocess
    import sys

    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    holder = await asyncpg.connect(dsn)
    killer = await asyncpg.connect(dsn)
    try:
        lock = holder.transaction()
        await lock.start()
        await holder.execute(f"LOCK TABLE {table} IN {mode} MODE")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYCTL_")}
        env.update(PAYCTL_DATABASE_URL=f"{url}?application_name={APP_NAME}", PAYCTL_USER="t")
        payctl = str(Path(sys.executable).parent / "payctl")
        proc = subprocess.Popen(
            [payctl, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        ended = []
        for _ in range(600):
            ended = await killer.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = $1 AND wait_event_type = 'Lock'",
                APP_NAME,
            )
            if ended or proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=60)
        await lock.rollback()
        assert ended, ("payctl never waited on the lock", proc.returncode, stderr)
        return proc.returncode, stdout, stderr
    finally:
        await holder.close()
        await killer.close()


TERMINATED = [
    ("payments", ["list"]),
    ("payments", ["create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "3"]),
    ("partners", ["partner", "create", "Late Co"]),
    ("journal_entries", ["confirm", "1"]),
]


@pytest.mark.parametrize(("table", "args"), TERMINATED)
def test_a_terminated_server_session_is_exit_3_in_one_line(pg_url, table, args):
    """pg_terminate_backend mid-command used to be "internal error: DBAPIError", exit 1."""
    import asyncio

    for setup in (
        ["partner", "create", "ACME GmbH", "--kind", "customer"],
        ["create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "5", "--journal", "BNK1"],
    ):
        payctl("--database-url", pg_url, *setup)
    before = snapshot(pg_url)
    code, _stdout, stderr = asyncio.run(_terminate_while_waiting(pg_url, table, args))
    lines = stderr.splitlines()
    assert code == 3 and len(lines) == 1, (code, stderr)
    assert lines[0].startswith("payctl: error: lost the connection to database"), lines
    for wording in PYTHON_WORDING:
        assert wording not in stderr, (wording, stderr)
    assert snapshot(pg_url) == before


# ------------------------------------------------------------------ the database fails mid-import


def _bank_file(path: Path, name: str, lines: int, text: str = "") -> str:
    """A JSON-lines bank file of ``lines`` unmatched lines (amounts no invoice has)."""
    import json

    with path.open("w") as out:
        for i in range(lines):
            line = {
                "booking_date": "2026-11-02",
                "amount": f"{7000 + i}.13",
                "remittance": f"{text or name} {i} " + "x" * 120,
                "transaction_id": f"{name}-{i}",
            }
            out.write(json.dumps(line) + "\n")
    return str(path)


def _import_rows(stdout: str) -> list[tuple[str, str]]:
    import json

    return [(Path(f["file"]).name, f["status"]) for f in json.loads(stdout)["files"]]


def test_a_full_disk_in_file_2_of_3_reports_file_1_committed(backend, init_url, tmp_path):
    """SQLite's SQLITE_FULL ("database or disk is full") in the second file used to end the
    command with that one line: nothing said file 1 had committed. The disk is "full" through
    SQLite's own page limit (PRAGMA max_page_count), which fails a write with the very error
    (and class) a full file system gives; with a 2 MB tmpfs the command behaves the same."""
    if backend != "sqlite":
        pytest.skip("SQLITE_FULL: the PostgreSQL case is the lost session below")
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def limit(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages + 200}")
        cursor.close()

    files = [
        _bank_file(tmp_path / "f1.jsonl", "f1", 5),
        _bank_file(tmp_path / "f2.jsonl", "f2", 20_000),
        _bank_file(tmp_path / "f3.jsonl", "f3", 5),
    ]
    before = _bank_lines(init_url)
    event.listen(Engine, "connect", limit)
    try:
        result = payctl("--database-url", init_url, "import", *files, "--format", "json", code=3)
    finally:
        event.remove(Engine, "connect", limit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"payctl: error: {files[1]}: database "), lines
    assert "database or disk is full" in lines[0] and "free space" in lines[0]
    for wording in PYTHON_WORDING:
        assert wording not in result.output, (wording, result.output)
    assert _import_rows(result.stdout) == [
        ("f1.jsonl", "imported"),
        ("f2.jsonl", "failed"),
        ("f3.jsonl", "not imported"),
    ]
    assert _bank_lines(init_url) == before + 5  # file 1 committed, file 2 rolled back


async def _terminate_file_2(url: str, files: list[str]) -> Any:
    """Hold payment allocations against writes (reads go on); file 2's matched line waits to
    allocate its payment, and its session is ended there."""
    args = ["import", *files, "--format", "json"]
    return await _terminate_while_waiting(url, "payment_allocations", args, mode="EXCLUSIVE")


def test_a_lost_session_in_file_2_of_3_reports_file_1_committed(pg_url, tmp_path):
    """The same loop on PostgreSQL: the session ends while file 2 writes."""
    import asyncio

    for setup in (
        ["partner", "create", "ACME GmbH", "--kind", "customer"],
        ["invoice", "create", "-p", "ACME GmbH", "--number", "INV-77", "--amount", "77.00"],
    ):
        payctl("--database-url", pg_url, *setup)
    files = [
        _bank_file(tmp_path / "f1.jsonl", "f1", 5),
        str(tmp_path / "f2.jsonl"),
        _bank_file(tmp_path / "f3.jsonl", "f3", 5),
    ]
    Path(files[1]).write_text(
        '{"booking_date": "2026-11-03", "amount": "77.00", "remittance": "INV-77"}\n'
    )
    before = _bank_lines(pg_url)
    code, stdout, stderr = asyncio.run(_terminate_file_2(pg_url, files))
    lines = stderr.splitlines()
    assert code == 3 and len(lines) == 1, (code, stderr)
    assert lines[0].startswith(f"payctl: error: {files[1]}: lost the connection"), lines
    assert _import_rows(stdout) == [
        ("f1.jsonl", "imported"),
        ("f2.jsonl", "failed"),
        ("f3.jsonl", "not imported"),
    ]
    assert _bank_lines(pg_url) == before + 5


# ------------------------------------------------------------------ the ends of the calendar

OUTSIDE = "is outside the dates payctl books (1900–2199)"
OUTSIDE_RE = re.escape(OUTSIDE)


def _date_cases(d: str, t: Path) -> list[tuple[list[str], str]]:
    """Every place a date enters: options, lock date, invoice/payment/bank files, JSON lines."""
    inv, pay, bank = t / f"inv{d}.csv", t / f"pay{d}.csv", t / f"bank{d}.jsonl"
    inv.write_text(f"number,partner,amount,date\nZ-{d},ACME GmbH,1.00,{d}\n")
    pay.write_text(f"type,partner,journal,amount,date\ncustomer_payment,ACME GmbH,BNK1,1.00,{d}\n")
    bank.write_text(f'{{"booking_date":"{d}","amount":"5.00","remittance":"x"}}\n')
    due = t / f"due{d}.csv"
    due.write_text(f"number,partner,amount,date,due_date\nD-{d},ACME GmbH,1.00,2026-01-01,{d}\n")
    one = ["-p", "ACME GmbH", "--amount", "1"]
    return [
        (["invoice", "create", *one, "--number", f"X{d}", "--date", d], "date"),
        (["invoice", "create", *one, "--number", f"Y{d}", "--due", d], "due_date"),
        (["create", "-t", "customer_payment", "-p", "ACME GmbH", "-a", "1", "--date", d], "date"),
        (["list", "--date-from", d], "date_from"),
        (["list", "--date-to", d], "date_to"),
        (["summary", "--date-from", d], "date_from"),
        (["bulk", "validate", "--date-to", d], "date_to"),
        (["export", "--to", "beancount", "--date-from", d, "-o", str(t / "x")], "--date-from"),
        (["lock-date", "set", d], "lock date"),
        (["invoice", "import", str(inv)], f"{inv}: row 2: date"),
        (["invoice", "import", str(due)], f"{due}: row 2: due_date"),
        (["bulk", "create", "--file", str(pay)], f"{pay}: row 2: date"),
        (["import", str(bank), "--input-format", "jsonl"], f"{bank}: line 1: booking_date"),
    ]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2200-01-01", "1899-12-31"])
def test_a_date_outside_1900_2199_is_refused_wherever_it_enters(books, tmp_path, day):
    """A guard of every entry on both backends (the parser refused them before this issue;
    9999-12-31 overflowed date arithmetic on SQLite before that)."""
    before = snapshot(books)
    for args, field in _date_cases(day, tmp_path):
        refused(*args, code=2, says=f"{field}: {day} {OUTSIDE}")
    assert snapshot(books) == before


async def test_the_model_edge_refuses_a_date_outside_1900_2199(session):
    """What no parser saw (a service or a reader building models directly): every date column
    of the ORM and of bulk_insert obeys the same rule, on both backends."""
    import datetime as dt

    from sqlalchemy import func, select

    from payctl.db.bulk import bulk_insert
    from payctl.db.models import BankStatement, Invoice, Payment
    from payctl.errors import InputError

    end = dt.date(9999, 12, 31)
    with pytest.raises(InputError, match=f"^date: 9999-12-31 {OUTSIDE_RE}$"):
        Payment(date=end)
    with pytest.raises(InputError, match=f"^due_date: 0001-01-01 {OUTSIDE_RE}$"):
        Invoice(due_date=dt.date(1, 1, 1))
    with pytest.raises(InputError, match=f"^closing_date: 9999-12-31 {OUTSIDE_RE}$"):
        await bulk_insert(
            session, BankStatement.__table__, [{"journal_id": 1, "closing_date": end}]
        )
    assert await session.scalar(select(func.count()).select_from(BankStatement)) == 0
    Payment(date=dt.date(2199, 12, 31))  # the bounds themselves are dates payctl books
    Invoice(due_date=dt.date(1900, 1, 1))

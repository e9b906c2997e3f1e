"""payctl.db.bulk: a set-wise insert stores exactly what SQLAlchemy's own insert stores, on
both backends, whichever path it takes (SQLite's executemany; PostgreSQL's COPY for a large
insert, SQLAlchemy Core for a small one), and a constraint it breaks is SQLAlchemy's
IntegrityError, as from any statement."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import exc, insert, select

from payctl.db.bulk import COPY_MIN_ROWS, bulk_insert, insert_rows
from payctl.db.models import Account, Event
from payctl.domain.enums import AccountType

WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)


def _events(first: int, n: int) -> list[dict[str, object]]:
    return [
        {
            "id": first + i,
            "type": "payment.created",
            "occurred_at": WHEN + dt.timedelta(seconds=i),
            "actor": "tester",
            "object_type": "payment",
            "object_id": i if i % 3 else None,
            "object_number": f"P{i:05d}" if i % 2 else None,
            "payload": f'{{"n": {i}, "text": "äé"}}',
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [3, COPY_MIN_ROWS + 5])
async def test_bulk_insert_stores_what_sqlalchemy_stores(session, n):
    rows = _events(1, n)
    await bulk_insert(session, Event.__table__, rows)
    await session.execute(insert(Event), _events(100_001, n))
    got = (await session.execute(select(Event).order_by(Event.id))).scalars().all()
    assert len(got) == 2 * n
    mine, theirs = got[:n], got[n:]
    for a, b, row in zip(mine, theirs, rows, strict=True):
        assert (a.type, a.occurred_at, a.actor, a.object_id, a.object_number, a.payload) == (
            b.type,
            b.occurred_at,
            b.actor,
            b.object_id,
            b.object_number,
            b.payload,
        )
        assert a.payload == row["payload"]
        assert a.occurred_at.replace(tzinfo=dt.UTC) == row["occurred_at"]


async def test_an_enum_column_takes_members_and_values(session):
    """Enum members are stored as their values, and a string that is not one is refused, at
    any size (by SQLAlchemy's rule for the column, or the column's CHECK constraint)."""
    codes = [f"9{i:03d}" for i in range(COPY_MIN_ROWS + 1)]
    rows = [
        (code, f"Account {code}", AccountType.ASSET if i % 2 else "expense", None)
        for i, code in enumerate(codes)
    ]
    await insert_rows(session, Account.__table__, ["code", "name", "type", "role"], rows)
    result = await session.execute(
        select(Account.code, Account.type).where(Account.code.in_(codes))
    )
    stored = {code: type_ for code, type_ in result}
    assert stored == {
        code: AccountType.ASSET if i % 2 else AccountType("expense") for i, code in enumerate(codes)
    }
    bad = [(f"8{i:03d}", "x", "not-a-type", None) for i in range(COPY_MIN_ROWS + 1)]
    with pytest.raises((LookupError, exc.StatementError)):
        await insert_rows(session, Account.__table__, ["code", "name", "type", "role"], bad)


@pytest.mark.parametrize("n", [2, COPY_MIN_ROWS + 5])
async def test_a_broken_unique_constraint_is_an_integrity_error(session, n):
    await bulk_insert(session, Event.__table__, _events(1, 1))
    with pytest.raises(exc.IntegrityError):
        await bulk_insert(session, Event.__table__, _events(1, n))


@pytest.mark.parametrize("n", [3, COPY_MIN_ROWS + 5])
async def test_update_rows_writes_every_row(session, n):
    """update_rows: every row gets its own new values (on PostgreSQL a large batch is one
    UPDATE from arrays), enum members stored as values, other rows untouched."""
    from payctl.db.bulk import update_rows

    codes = [f"7{i:03d}" for i in range(n + 1)]
    await insert_rows(
        session,
        Account.__table__,
        ["code", "name", "type", "role"],
        [(code, "old", AccountType.ASSET, None) for code in codes],
    )
    accounts = (
        (await session.execute(select(Account).where(Account.code.in_(codes)).order_by(Account.id)))
        .scalars()
        .all()
    )
    await update_rows(
        session,
        Account.__table__,
        [
            {
                "id": account.id,
                "name": f"new {i}",
                "type": AccountType.EXPENSE if i % 2 else "income",
            }
            for i, account in enumerate(accounts[:-1])
        ],
    )
    session.expire_all()
    result = await session.execute(
        select(Account.code, Account.name, Account.type)
        .where(Account.code.in_(codes))
        .order_by(Account.id)
    )
    assert [tuple(r) for r in result] == [
        (code, f"new {i}", AccountType.EXPENSE if i % 2 else AccountType.INCOME)
        for i, code in enumerate(codes[:-1])
    ] + [(codes[-1], "old", AccountType.ASSET)]


@pytest.mark.parametrize("n", [3, COPY_MIN_ROWS + 5])
async def test_update_rows_stores_what_sqlalchemy_stores(session, n):
    """The same new values through update_rows (SQLite: straight to the driver; PostgreSQL: a
    large batch from arrays) and through SQLAlchemy's own executemany UPDATE are stored alike,
    to the stored text: aware timestamps, None, text."""
    from sqlalchemy import bindparam, text, update

    from payctl.db.bulk import update_rows

    await bulk_insert(session, Event.__table__, _events(1, 2 * n))
    table = Event.__table__

    def new(i: int) -> dict[str, object]:
        return {
            "occurred_at": WHEN + dt.timedelta(days=1, microseconds=i),
            "object_number": None if i % 2 else f"N{i}",
            "payload": f'{{"new": {i}}}',
        }

    await update_rows(session, table, [{"id": 1 + i, **new(i)} for i in range(n)])
    await session.execute(
        update(table).where(table.c.id == bindparam("row_id")),
        [{"row_id": 1 + n + i, **new(i)} for i in range(n)],
    )
    raw = (
        await session.execute(
            text("SELECT occurred_at, object_number, payload FROM events ORDER BY id")
        )
    ).all()
    assert [tuple(r) for r in raw[:n]] == [tuple(r) for r in raw[n:]]
    assert raw[0][2] == '{"new": 0}' and raw[1][1] is None

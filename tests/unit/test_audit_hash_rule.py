"""The audit trail's hash rule, spelt out: sha256 over the record's fields, each as
"<length>:<text>" (the previous hash, the canonical time, user, action, object type, object
id, payment id, changes, reason; a missing id is "", a missing reason "\\x00"). The writer and
`payctl check` (audit_chain.ChainCheck, which makes the shared part of a unit of work's
records once) must both follow it exactly: a trail written by one release is checked by the
next."""

from __future__ import annotations

import datetime as dt
from hashlib import sha256
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from payctl.services.ledger import audit
from payctl.services.ledger.audit_chain import ChainCheck


def spelt_out(
    prev: str,
    at: dt.datetime,
    user: str,
    action: str,
    otype: str,
    oid: int | None,
    pid: int | None,
    changes: str,
    reason: str | None,
) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    fields = [prev, at.isoformat(timespec="microseconds"), user, action, otype,
              "" if oid is None else str(oid), "" if pid is None else str(pid), changes,
              "\x00" if reason is None else reason]  # fmt: skip
    return sha256("".join(f"{len(f)}:{f}" for f in fields).encode()).hexdigest()


times = st.sampled_from(
    [
        dt.datetime(2026, 1, 2, 3, 4, 5, 6),
        dt.datetime(2026, 1, 2, 3, 4, 5),
        dt.datetime(1, 1, 1),
        dt.datetime(2026, 5, 6, 7, 8, 9, 10, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ]  # fmt: skip
)
records = st.tuples(
    times,
    st.sampled_from(["alice", "bob", "é", "1:2"]) | st.text(),
    st.sampled_from(["create", "confirm"]) | st.text(),
    st.sampled_from(["payment", "bank_statement"]) | st.text(),
    st.none() | st.integers(),
    st.none() | st.integers(),
    st.text(),
    st.none() | st.text(),
)


def chain(items: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows as audit_chain reads them, hashed by the spelt-out rule."""
    out, prev = [], audit.GENESIS
    for rid, (at, user, action, otype, oid, pid, changes, reason) in enumerate(items, 1):
        digest = spelt_out(prev, at, user, action, otype, oid, pid, changes, reason)
        out.append((rid, at, user, action, otype, oid, pid, changes, reason, prev, digest))
        prev = digest
    return out


@given(st.text(min_size=64, max_size=64), records)
def test_record_hash_is_the_rule(prev: str, record: tuple[Any, ...]) -> None:
    assert audit.record_hash(prev, *record) == spelt_out(prev, *record)


@given(st.lists(records, max_size=12), st.data())
def test_the_chain_check_follows_the_rule(items: list[tuple[Any, ...]], data: Any) -> None:
    rows = chain(items)
    check = ChainCheck()
    check.feed(rows[:5])
    check.feed(rows[5:])
    assert check.result(rows[-1][-1] if rows else audit.GENESIS) is None
    assert check.count == len(rows)
    if rows:
        edited = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
        row = list(rows[edited])
        row[7] = row[7] + "x"  # the changes, as an edit would leave them
        broken = ChainCheck()
        broken.feed([*rows[:edited], tuple(row), *rows[edited + 1 :]])
        assert broken.result(rows[-1][-1]) == (
            f"audit record {edited + 1}: content does not match its hash (edited)"
        )


def test_many_kinds_of_record() -> None:
    """More distinct (time, user, action, type) than the check keeps made texts for."""
    at = dt.datetime(2026, 1, 2)
    rows = chain([(at + dt.timedelta(seconds=i % 1500), "u", "a", "t", i, None, "{}", None)
                  for i in range(4000)])  # fmt: skip
    check = ChainCheck()
    check.feed(rows)
    assert check.result(rows[-1][-1]) is None

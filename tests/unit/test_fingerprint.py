"""Bank-line fingerprints (payctl/domain/fingerprint.py, issue 5 item 2): what makes a
re-imported or overlapping file add nothing twice."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal

from payctl.domain.fingerprint import fingerprints
from payctl.importers.bank import ParsedLine

ACCOUNT = "DE89370400440532013000"


def bl(
    amount: str = "100.00",
    day: int = 3,
    text: str | None = "INV-1",
    tx: str | None = None,
    name: str | None = "ACME GmbH",
    cp: str | None = "NL91ABNA0417164300",
    ref: str | None = None,
    currency: str = "EUR",
) -> ParsedLine:
    return ParsedLine(
        booking_date=dt.date(2026, 2, day),
        amount=Decimal(amount),
        currency=currency,
        counterparty_name=name,
        counterparty_account=cp,
        remittance=text,
        structured_reference=ref,
        transaction_id=tx,
    )


LINES = [
    bl("100.00", 3, "INV-1", "TX-1"),
    bl("-20.50", 4, "fee", None),
    bl("100.00", 3, "INV-1", None),
    bl("7", 5, "x", "TX-2"),
]

SCRIPT = """
import datetime as dt, json, sys
from decimal import Decimal
from payctl.domain.fingerprint import fingerprints
from payctl.importers.bank import ParsedLine
rows = json.loads(sys.argv[1])
lines = [ParsedLine(booking_date=dt.date.fromisoformat(r[0]), amount=Decimal(r[1]), currency="EUR",
                  counterparty_name=r[2], counterparty_account=r[3], remittance=r[4],
                  structured_reference=None, transaction_id=r[5]) for r in rows]
print(json.dumps(fingerprints(sys.argv[2], lines)))
"""


def test_stable_across_runs():
    """Same input, same fingerprints — also in another interpreter with another hash seed
    (a fingerprint stored yesterday must still be recognised today)."""
    here = fingerprints(ACCOUNT, LINES)
    assert here == fingerprints(ACCOUNT, list(LINES))
    assert all(len(fp) == 64 and int(fp, 16) >= 0 for fp in here)  # fits String(64)
    rows = [
        [
            ln.booking_date.isoformat(),
            str(ln.amount),
            ln.counterparty_name,
            ln.counterparty_account,
            ln.remittance,
            ln.transaction_id,
        ]
        for ln in LINES
    ]
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, json.dumps(rows), ACCOUNT],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        assert json.loads(out.stdout) == here


def test_all_distinct_for_distinct_lines():
    fps = fingerprints(ACCOUNT, LINES)
    assert len(set(fps)) == len(fps)


def test_transaction_id_used_when_unique():
    """With a unique bank id, the id alone identifies the line: a bank that re-sends the line
    with corrected text or value does not create a second one."""
    (a,) = fingerprints(ACCOUNT, [bl("100.00", 3, "INV-1", "TX-1")])
    (b,) = fingerprints(ACCOUNT, [bl("100.00", 4, "INV-1 corrected", "TX-1", name="Other")])
    assert a == b
    (c,) = fingerprints(ACCOUNT, [bl("100.00", 3, "INV-1", "TX-2")])
    assert c != a
    # the id is stripped of padding spaces
    (d,) = fingerprints(ACCOUNT, [bl("100.00", 3, "INV-1", "  TX-1 ")])
    assert d == a


def test_same_content_different_account_differs():
    assert fingerprints(ACCOUNT, [bl(tx="TX-1")]) != fingerprints("NL00X", [bl(tx="TX-1")])
    assert fingerprints(ACCOUNT, [bl()]) != fingerprints("NL00X", [bl()])


def test_identical_lines_get_occurrence_counters():
    """Two identical lines (two coffees of 3.20 on one day) are two lines, and a file holding
    only the first of them fingerprints it the same as the file holding both."""
    coffee = bl("-3.20", 3, "Coffee", None, name="Cafe", cp=None)
    both = fingerprints(ACCOUNT, [coffee, coffee])
    assert both[0] != both[1]
    one = fingerprints(ACCOUNT, [coffee])
    assert one == both[:1]
    three = fingerprints(ACCOUNT, [coffee, bl("5.00"), coffee, coffee])
    assert three[0] == both[0] and three[2] == both[1]
    assert len(set(three)) == 4


def test_content_hash_normalises_amount_text_and_case():
    base = fingerprints(ACCOUNT, [bl("100.00", text="Invoice  INV-1", name="ACME GmbH")])
    same = fingerprints(ACCOUNT, [bl("100.0", text="invoice inv-1 ", name="acme  gmbh")])
    assert base == same
    assert base != fingerprints(ACCOUNT, [bl("100.01", text="Invoice INV-1")])
    assert base != fingerprints(ACCOUNT, [bl("100.00", day=4, text="Invoice INV-1")])
    assert base != fingerprints(ACCOUNT, [bl("-100.00", text="Invoice INV-1")])


def test_repeated_ids_fall_back_to_content_hash():
    """A bank that repeats one id for several lines (a batch id, "NONREF") does not get the
    lines collapsed: each is fingerprinted by its content, as if it had no id."""
    repeated = [
        bl("10.00", 3, "a", "NONREF"),
        bl("20.00", 3, "b", "NONREF"),
        bl("30.00", 3, "c", "UNIQUE"),
    ]
    fps = fingerprints(ACCOUNT, repeated)
    assert len(set(fps)) == 3
    without_ids = fingerprints(ACCOUNT, [bl("10.00", 3, "a", None), bl("20.00", 3, "b", None)])
    assert fps[:2] == without_ids
    assert fps[2] == fingerprints(ACCOUNT, [bl("99", 9, "z", "UNIQUE")])[0]


def test_repeated_ids_with_identical_content_still_counted():
    twins = [bl("10.00", 3, "a", "DUP"), bl("10.00", 3, "a", "DUP")]
    fps = fingerprints(ACCOUNT, twins)
    assert fps[0] != fps[1]


def test_blank_id_is_no_id():
    assert fingerprints(ACCOUNT, [bl(tx="   ")]) == fingerprints(ACCOUNT, [bl(tx=None)])


def test_empty():
    assert fingerprints(ACCOUNT, []) == []


def test_values_are_the_stored_ones():
    """The fingerprints as stored by every import so far (payctl 4dead4c): a re-import finds
    its lines by them, so their values never change (ids, content, repeats, padding)."""
    from payctl.domain.fingerprint import fingerprint_kinds

    lines = [
        bl("100.00", 3, "INV-1", "TX-1"),
        bl("-20.50", 4, "fee", None),
        bl("100.00", 3, "INV-1", None),
        bl("7", 5, "x", "TX-2"),
        bl("100.00", 3, "INV-1", None),
        bl("1.50", 6, "a  b\n", " TX-3 ", ref="RF18 5390"),
        bl("2", 6, "dup", "TX-4"),
        bl("3", 7, "dup", "TX-4"),
        bl("0", 8, None, "   ", name=None, cp=None),
    ]
    assert fingerprint_kinds(ACCOUNT, lines) == [
        ("aa7451e482af92077bd949882f0b074cb16bf432829ef1b0d0de700245274101", False),
        ("eee8c2d9548ab7830c43197eafa03cc52da2f23458b92c5dc9d289908345133f", True),
        ("bcb4386486eaba8849d22585a6319e724a07b860f16b5d583a579e55af729de3", True),
        ("e960f8b885d0db7bb6fecda9b4f1ea47292206254b8b3036d0002fbe41f81bc8", False),
        ("843621523b9e0c9890729b999dfb6a2be6344930af30f5be0de0a03cc0f0eeeb", True),
        ("a477ece41b1e64e178faf49063fd5939263604877fe7e9248ea872d9b2f931b4", False),
        ("0f04dd931ad9fe640df19cdc9a523aa61eeadaf3e19fa3d8a375064b5d31ddf6", True),
        ("7f15cb35fdec80ef10fd34272599002ae7e253596650021f2179594a7c6eeb2d", True),
        ("c0ab081040b7330f839e74e66ee90f608b70f0368d4018b4eade45e642b44d7a", True),
    ]

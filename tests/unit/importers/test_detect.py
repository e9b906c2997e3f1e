"""Format detection from content, and the reader registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payctl.errors import InputError
from payctl.importers import camt, detect, ofx
from payctl.importers.bank import BankFileError
from tests.samples import BANK_SAMPLES

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = BANK_SAMPLES

FOLDER_FORMAT = {"camt053": "camt", "camt054": "camt", "ofx": "ofx"}
OWN = sorted(p for folder in FOLDER_FORMAT for p in (SAMPLES / folder).iterdir())
OTHERS = sorted(p for folder in ("mt940", "csv", "xlsx") for p in (SAMPLES / folder).iterdir())


def test_sample_folders_are_there():
    assert len(OWN) == 19
    assert len(OTHERS) == 27


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_camt_and_ofx_samples_are_recognised(path):
    assert detect.detect(path.read_bytes(), path.name) == FOLDER_FORMAT[path.parent.name]


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: p.name)
def test_other_samples_are_neither_camt_nor_ofx(path):
    head = path.read_bytes()[: detect.HEAD_BYTES]
    assert not camt.sniff(head)
    assert not ofx.sniff(head)
    try:
        found = detect.detect(path.read_bytes(), path.name)
    except BankFileError:  # that folder's reader may not be installed (yet)
        return
    assert found == {"csv": "csv", "xlsx": "xlsx", "mt940": "mt940"}[path.parent.name]


def test_unknown_content():
    with pytest.raises(BankFileError) as err:
        detect.detect(b"\x00\x01\x02 hello", "blob.bin")
    assert str(err.value) == (
        "cannot tell the format of blob.bin: use --input-format camt|mt940|ofx|csv|xlsx|jsonl"
    )


def test_empty_file():
    with pytest.raises(BankFileError, match=r"^empty\.csv: the file is empty$"):
        detect.detect(b" \n", "empty.csv")


def test_missing_reader_module_is_skipped(monkeypatch):
    monkeypatch.setitem(detect.MODULES, "camt", "payctl.importers.no_such_reader")
    data = (SAMPLES / "ofx/ofxtools_stmtrs_v200.ofx").read_bytes()
    assert detect.detect(data, "x.ofx") == "ofx"
    with pytest.raises(InputError, match="the camt reader is not available"):
        detect.reader_for("camt")


def test_reader_for():
    assert detect.reader_for("camt") is camt
    assert detect.reader_for("CAMT053") is camt
    assert detect.reader_for("qfx") is ofx
    for name in ("camt", "ofx"):
        module = detect.reader_for(name)
        assert name == module.FORMAT
        assert callable(module.read) and callable(module.sniff)
    with pytest.raises(InputError, match=r"unknown input format 'pdf': use camt\|mt940"):
        detect.reader_for("pdf")


def test_detected_reader_reads_the_file():
    path = SAMPLES / "camt054/oca_camt054.001.04.xml"
    data = path.read_bytes()
    reader = detect.reader_for(detect.detect(data, path.name))
    (statement,) = reader.read(data, path.name)
    assert statement.account == "NL77ABNA0574908765"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_bank_file_errors(data):
    try:
        name = detect.detect(data, "fuzz.bin")
    except BankFileError as exc:
        assert "fuzz.bin" in str(exc)
    else:
        assert name in detect.MODULES


def test_json_lines_are_detected_by_content():
    from payctl.importers.detect import detect

    data = b'{"booking_date": "2026-11-20", "amount": "12.30", "remittance": "INV-1"}\n'
    assert detect(data, "lines.txt") == "jsonl"
    from payctl.importers import jsonl

    assert not jsonl.sniff(b'{"not": "a bank line"}\n')
    assert not jsonl.sniff(b"date,amount\n2026-11-20,12.30\n")

"""XML attacks are refused quickly, malformed XML is named, oversized files are refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from payctl.errors import InputError
from payctl.importers import camt, files, xmlsafe
from payctl.importers.bank import BankFileError
from payctl.services.bank.bank_extract_service import parse_file
from tests.samples import BANK_SAMPLES

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = BANK_SAMPLES

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><AddtlNtryInf>&lol9;</AddtlNtryInf>
</Ntry></Stmt></BkToCstmrStmt></Document>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<AddtlNtryInf>&xxe;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>
"""

NETWORK_DTD = b"""<?xml version="1.0"?>
<!-- a comment first -->
<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/evil.dtd">
<Document><BkToCstmrStmt/></Document>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<Document/>
"""


def refused_quickly(data: bytes, source: str = "attack.xml") -> str:
    started = time.perf_counter()
    with pytest.raises(BankFileError) as err:
        camt.read(data, source)
    assert time.perf_counter() - started < 1.0
    message = str(err.value)
    assert message.startswith(f"{source}: ")
    assert "\n" not in message
    return message


def test_billion_laughs_is_refused_quickly():
    message = refused_quickly(BILLION_LAUGHS)
    assert message == (
        "attack.xml: line 2: XML with a DTD (<!DOCTYPE>) is refused: DTDs, "
        "entities and external references are not allowed in bank files"
    )


def test_external_entity_is_refused_and_nothing_is_read():
    message = refused_quickly(EXTERNAL_ENTITY)
    assert "DTD" in message
    assert "root:" not in message


@pytest.mark.parametrize("data", [NETWORK_DTD, PARAMETER_ENTITY], ids=["system-dtd", "param"])
def test_network_references_are_refused(data):
    assert "DTD" in refused_quickly(data)


def test_attack_in_utf16_is_refused_too():
    data = BILLION_LAUGHS.replace(b'version="1.0"', b'version="1.0" encoding="UTF-16"')
    assert "DTD" in refused_quickly(data.decode().encode("utf-16"))


def test_entity_without_a_dtd_is_an_error():
    data = (
        b'<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy="EUR">1</Amt>'
        b"<AddtlNtryInf>&xxe;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"
    )
    assert "undefined entity" in refused_quickly(data)


def test_defusedxml_guard_is_what_refuses():
    # the guard alone refuses; a document without a prologue passes it
    with pytest.raises(BankFileError, match="DTD"):
        xmlsafe.guard_prologue(EXTERNAL_ENTITY, "a.xml")
    xmlsafe.guard_prologue(b"<?xml version='1.0'?><!-- c --><Document/>", "ok.xml")


def test_iterparse_yields_elements():
    events = list(xmlsafe.iterparse(b"<a><b>1</b><b>2</b></a>", "x.xml"))
    assert [(e, el.tag) for e, el in events] == [("end", "b"), ("end", "b"), ("end", "a")]


@pytest.mark.parametrize(
    "sample", ["camt053/oca_abnamro_camt053.001.02.xml", "camt054/genkgo_ubs_camt054.001.08.xml"]
)
def test_truncated_sample_is_refused_with_file_and_line(sample):
    data = (SAMPLES / sample).read_bytes()
    half = data[: len(data) // 2]
    message = refused_quickly(half, "cut.xml")
    last_line = half.count(b"\n") + 1
    assert message.startswith(f"cut.xml: line {last_line}: the XML ends before the document does")


def test_malformed_xml():
    assert "not well-formed" in refused_quickly(b"<Document>\n<a b></Document>", "m.xml")


# --- size limit (files: the one place of it) ----------------------------------------------


def test_default_limit_is_50_mb(monkeypatch):
    monkeypatch.delenv(files.MAX_BYTES_ENV, raising=False)
    assert files.max_import_bytes() == 50 * 1024 * 1024
    files.check_size(50 * 1024 * 1024, "f")
    with pytest.raises(
        BankFileError,
        match=r"^f: the file is 52,428,801 bytes, above the "
        r"import limit of 52,428,800 bytes",
    ):
        files.check_size(50 * 1024 * 1024 + 1, "f")


def test_limit_from_environment_and_option(monkeypatch):
    monkeypatch.setenv(files.MAX_BYTES_ENV, "1000")
    assert files.max_import_bytes() == 1000
    assert files.max_import_bytes(5000) == 5000  # the read option wins
    data = (SAMPLES / "camt053/genkgo_camt053.001.08.xml").read_bytes()
    with pytest.raises(BankFileError, match="above the import limit of 1,000 bytes"):
        parse_file(data, "big.xml")  # bytes given to the importer, not read from a file
    monkeypatch.setenv(files.MAX_BYTES_ENV, str(len(data)))
    assert parse_file(data, "big.xml")[0] == "camt"


@pytest.mark.parametrize("value", ["lots", "-5", "0"])
def test_bad_limit_setting(monkeypatch, value):
    monkeypatch.setenv(files.MAX_BYTES_ENV, value)
    with pytest.raises(BankFileError, match=files.MAX_BYTES_ENV):
        files.max_import_bytes()


def test_oversized_file_refused_before_reading(tmp_path):
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:  # sparse: 60 MB on paper, nothing on disk
        handle.seek(60 * 1024 * 1024)
        handle.write(b"\0")
    with pytest.raises(InputError, match=r"huge\.xml: the file is 62,914,561 bytes"):
        files.read_input(path, max_bytes=50 * 1024 * 1024)
    assert len(files.read_input(path, max_bytes=61 * 1024 * 1024)[0]) == 60 * 1024 * 1024 + 1
    with pytest.raises(InputError, match=r"cannot read .*missing\.xml: no such file$"):
        files.read_input(tmp_path / "missing.xml")

"""OFX/QFX reader: every sample, SGML and XML quirks, bad files, fuzzing."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payctl.importers import ofx
from payctl.importers.bank import BankFileError
from tests.samples import BANK_SAMPLES

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = BANK_SAMPLES
OFX_DIR = SAMPLES / "ofx"

D = Decimal

# Worked out by hand from each file: per statement (lines, sum of TRNAMT, LEDGERBAL).
# OFX states no opening balance, so none is asserted (the reader leaves it None).
EXPECTED = {
    "actual_html-entities_cad.qfx": [(2, D("-2.00"), D("1111.11"))],
    "actual_latin1_cad.qfx": [(1, D("-20.00"), D("9999.99"))],
    # 4 BANKTRANLISTs of one STMTRS (-80 -90 -100 -90), then a card statement with none
    "oca_multi-banktranlist_v211.ofx": [(4, D("-360"), D("2156.56")), (0, D("0"), D("-562.00"))],
    "ofxparse_anz_creditcard_v203.ofx": [(1, D("-5.50"), D("-123.45"))],
    "ofxparse_bank_medium_v102_cad.ofx": [(3, D("-345.27"), D("382.34"))],
    "ofxparse_checking_v102.ofx": [(3, D("-59.50"), D("100.99"))],
    "ofxparse_suncorp_v200.ofx": [(1, D("-16.85"), D("1234.12"))],
    # its BANKTRANLIST is never closed; 6 charges that add up to the card's balance
    "ofxtools_nubank_creditcard_v102.ofx": [(6, D("-1280.91"), D("-1280.91"))],
    "ofxtools_stmtrs_v200.ofx": [(2, D("-500.00"), D("200.29"))],
}


def read_sample(name: str):
    return ofx.read((OFX_DIR / name).read_bytes(), name)


def line_of(name: str, text: str) -> int:
    raw = (OFX_DIR / name).read_bytes()
    return raw[: raw.index(text.encode())].count(b"\n") + 1


def test_every_ofx_sample_is_listed():
    assert {p.name for p in OFX_DIR.iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_counts_sums_and_balances(name):
    statements = read_sample(name)
    assert len(statements) == len(EXPECTED[name])
    for stmt, (lines, total, closing) in zip(statements, EXPECTED[name], strict=True):
        assert len(stmt.lines) == lines
        assert stmt.total == total
        assert stmt.closing_balance == closing
        assert stmt.opening_balance is None
        assert all(isinstance(ln.amount, Decimal) for ln in stmt.lines)
        assert all(ln.transaction_id for ln in stmt.lines)


def test_provenance_transaction_total():
    assert sum(len(s.lines) for name in EXPECTED for s in read_sample(name)) == 23


def test_sgml_fields_and_local_dates():
    (stmt,) = read_sample("ofxparse_bank_medium_v102_cad.ofx")
    assert (stmt.account, stmt.currency) == ("12300 000012345678", "CAD")
    assert (stmt.opening_date, stmt.closing_date) == (dt.date(2009, 4, 1), dt.date(2009, 5, 23))
    first = stmt.lines[0]
    assert first.booking_date == dt.date(2009, 4, 1)  # 20090401122017.000[-5:EST]
    assert first.amount == D("-6.60")
    assert first.counterparty_name == "MCDONALD'S #112"
    assert first.remittance == "POS MERCHANDISE;MCDONALD'S #112"
    assert first.transaction_id == "0000123456782009040100001"
    assert first.line_no == line_of("ofxparse_bank_medium_v102_cad.ofx", "<STMTTRN>")


def test_html_entities_are_decoded_even_when_escaped_twice():
    (stmt,) = read_sample("actual_html-entities_cad.qfx")
    first, second = stmt.lines
    assert first.remittance == (
        "PREAUTHORIZED DEBIT;B.C. HYDRO & POWER AUTHORITY;Electronic Funds Transfer"
    )
    assert second.counterparty_name == "TPAY <DEFTPYMT>"  # "TPAY &amp;lt;DEFTPYMT&amp;gt;"
    assert second.booking_date == dt.date(2023, 3, 1)


def test_latin1_charset_header():
    (stmt,) = read_sample("actual_latin1_cad.qfx")
    (line,) = stmt.lines
    assert line.counterparty_name == "Paiement facture/Carte prépayée"
    assert line.transaction_id == "wSoKuCS77"
    assert stmt.account == "999-12345-0055666-EOP"


def test_xml_with_cdata_and_broken_anz_xml():
    (suncorp,) = read_sample("ofxparse_suncorp_v200.ofx")
    assert suncorp.lines[0].counterparty_name == "EFTPOS WDL HANDYWAY ALDI STORE"
    assert suncorp.lines[0].remittance == "EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU"
    (anz,) = read_sample("ofxparse_anz_creditcard_v203.ofx")
    (line,) = anz.lines
    assert (anz.account, anz.currency) == ("1234123412341234", "AUD")
    assert line.remittance == "SOME MEMO"
    assert line.counterparty_name is None
    assert line.booking_date == dt.date(2017, 5, 8)
    assert anz.closing_date == dt.date(2017, 5, 10)


def test_repeated_banktranlist():
    bank, card = read_sample("oca_multi-banktranlist_v211.ofx")
    assert [ln.counterparty_name for ln in bank.lines] == [
        "Agrolait",
        "China Export",
        "Axelor Scuba",
        "China Scuba",
    ]
    assert [ln.transaction_id for ln in bank.lines] == ["219378", "219379", "219380", "219381"]
    assert (bank.account, card.account) == ("123456", "123412341234")


# --- small documents ------------------------------------------------------------------------

HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
    "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)


def sgml(transactions: str, header: str = HEADER) -> str:
    return (
        f"{header}<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR\n"
        f"<BANKACCTFROM><BANKID>1<ACCTID>NL91ABNA0417164300<ACCTTYPE>CHECKING</BANKACCTFROM>\n"
        f"<BANKTRANLIST><DTSTART>20240101<DTEND>20240131\n{transactions}</BANKTRANLIST>\n"
        f"<LEDGERBAL><BALAMT>10.00<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS>"
        f"</BANKMSGSRSV1></OFX>\n"
    )


def trn(amount="-1.00", posted="20240105", extra=""):
    return (
        f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{posted}<TRNAMT>{amount}<FITID>F{amount}"
        f"{extra}</STMTTRN>\n"
    )


def test_late_evening_time_zone_keeps_the_bank_date():
    # ofxparse would move this to 2024-01-06 (UTC); the booking date is the bank's own date
    (stmt,) = ofx.read(sgml(trn(posted="20240105230000.000[-5:EST]")).encode(), "t.ofx")
    assert stmt.lines[0].booking_date == dt.date(2024, 1, 5)


def test_optional_fields():
    extra = (
        "<DTAVAIL>20240107<NAME>ACME<MEMO><PAYEE><NAME>Other</PAYEE>"
        "<BANKACCTTO><BANKID>2<ACCTID>DE89370400440532013000</BANKACCTTO>"
        "<CURRENCY><CURRATE>1.1<CURSYM>usd</CURRENCY>"
    )
    (stmt,) = ofx.read(sgml(trn("+5,25", extra=extra)).encode(), "t.ofx")
    (line,) = stmt.lines
    assert line.amount == D("5.25")
    assert line.value_date == dt.date(2024, 1, 7)
    assert line.counterparty_name == "ACME"
    assert line.counterparty_account == "DE89370400440532013000"
    assert line.remittance is None  # an empty SGML leaf
    assert line.currency == "USD"


def test_utf8_body_despite_a_cp1252_header():
    (stmt,) = ofx.read(sgml(trn(extra="<NAME>Müller & Söhne")).encode("utf-8"), "t.ofx")
    assert stmt.lines[0].counterparty_name == "Müller & Söhne"
    (stmt,) = ofx.read(sgml(trn(extra="<NAME>Müller")).encode("cp1252"), "t.ofx")
    assert stmt.lines[0].counterparty_name == "Müller"


@pytest.mark.parametrize(
    "transaction, message",
    [
        (trn("12.3.4"), "t.ofx: line 15: TRNAMT: '12.3.4' is not an amount"),
        (trn("abc"), "t.ofx: line 15: TRNAMT: 'abc' is not an amount"),
        (
            trn(posted="20240230"),
            "t.ofx: line 15: DTPOSTED: '20240230' is not a date (YYYYMMDD...)",
        ),
        ("<STMTTRN><TRNAMT>1<FITID>X</STMTTRN>\n", "t.ofx: line 15: DTPOSTED: missing"),
        ("<STMTTRN><DTPOSTED>20240101<FITID>X</STMTTRN>\n", "t.ofx: line 15: TRNAMT: missing"),
    ],
)
def test_bad_values_name_file_line_and_field(transaction, message):
    with pytest.raises(BankFileError) as err:
        ofx.read(sgml(trn() + transaction).encode(), "t.ofx")  # the bad one is on line 15
    assert str(err.value) == message


def test_not_an_ofx_file():
    with pytest.raises(BankFileError, match=r"^x\.csv: no <OFX> element"):
        ofx.read(b"date,amount\n2024-01-01,5\n", "x.csv")
    with pytest.raises(BankFileError, match=r"no bank or credit card statement"):
        ofx.read(b"<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>", "x.ofx")


OFX2 = sorted(n for n in EXPECTED if "_v2" in n)
DTD_REFUSED = "XML with {} is refused: DTDs, entities and external references are not allowed"


def with_dtd(name: str, dtd: str, body_entity: bool = True) -> tuple[bytes, int]:
    """A real OFX 2 sample with ``dtd`` on its own line just before ``<OFX>``, its NAME or
    MEMO using the entity when asked: (file bytes, the DTD's line)."""
    raw = (OFX_DIR / name).read_bytes()
    at = raw.index(b"<OFX>")
    if body_entity:
        raw = raw.replace(b"<MEMO>", b"<MEMO>&x;", 1)
    return raw[:at] + dtd.encode() + b"\n" + raw[at:], raw[:at].count(b"\n") + 1


@pytest.mark.parametrize("name", OFX2)
@pytest.mark.parametrize(
    "dtd, what",
    [
        ('<!DOCTYPE OFX [<!ENTITY x "EVIL">]>', "a DTD (<!DOCTYPE>)"),
        ('<!DOCTYPE OFX [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "a DTD (<!DOCTYPE>)"),
        ('<!DOCTYPE OFX SYSTEM "http://127.0.0.1:9/ofx.dtd">', "a DTD (<!DOCTYPE>)"),
        ('<!DOCTYPE OFX [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x"> %p;]>', "a DTD (<!DOCTYPE>)"),
    ],
)
def test_ofx2_with_a_dtd_is_refused_with_file_and_line(name, dtd, what):
    data, line = with_dtd(name, dtd)
    with pytest.raises(BankFileError) as err:
        ofx.read(data, name)
    assert str(err.value).startswith(f"{name}: line {line}: " + DTD_REFUSED.format(what))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "header",
    [
        '<?xml version="1.0" encoding="USASCII"?>\n',  # an encoding expat does not know
        '\n\n<?xml version="1.0"?>\n',  # blank lines before the XML declaration
        "\ufeff",  # a byte order mark
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nCHARSET:1252\n",  # an SGML header
        '<?xml version="1.0" encoding="cp1252"?>\n<!-- caf\u00e9 -->\n',  # cp1252 prologue
    ],
)
def test_a_dtd_is_refused_whatever_the_header(header):
    data = (header + '<!DOCTYPE OFX [<!ENTITY x "y">]>\n' + sgml(trn(), header="")).encode(
        "cp1252" if "cp1252" in header else "utf-8"
    )
    line = header.count("\n") + 1
    with pytest.raises(BankFileError, match=rf"^t\.ofx: line {line}: XML with a DTD"):
        ofx.read(data, "t.ofx")


def test_the_same_headers_without_a_dtd_still_read():
    for header in (
        '<?xml version="1.0" encoding="USASCII"?>\n',
        "\n\n<?xml version='1.0'?>\n",
        "<?xml version=1.0?>\n<?OFX OFXHEADER=200 VERSION=211?>\n",  # unquoted, not XML
        'Content-Type: application/x-ofx\n<?xml version="1.0"?>\n<!-- a comment -->\n',
    ):
        assert ofx.read((header + sgml(trn(), header="")).encode(), "t.ofx"), header


def test_a_dtd_holding_the_ofx_tag_is_refused_too():
    data = '<?xml version="1.0"?>\n<!DOCTYPE OFX [<!ENTITY x "<OFX>">]>\n' + sgml(trn(), header="")
    with pytest.raises(BankFileError, match=r"^t\.ofx: line 2: "):
        ofx.read(data.encode(), "t.ofx")


def test_size_limit(monkeypatch):
    from payctl.services.bank.bank_extract_service import parse_file

    data = sgml(trn()).encode()
    monkeypatch.setenv("PAYCTL_MAX_IMPORT_BYTES", "100")
    with pytest.raises(BankFileError, match=r"above the import limit of 100 bytes"):
        parse_file(data, "t.ofx")
    monkeypatch.setenv("PAYCTL_MAX_IMPORT_BYTES", str(len(data)))
    assert parse_file(data, "t.ofx")[0] == "ofx"


def test_sniff():
    for name in EXPECTED:
        assert ofx.sniff((OFX_DIR / name).read_bytes()[:8192]), name
    assert not ofx.sniff(b'<?xml version="1.0"?><Document><BkToCstmrStmt>')
    assert not ofx.sniff(b":20:STARTUMS\n:25:12345678/0001\n")


@pytest.mark.slow
def test_large_file_reads_in_one_pass():
    data = sgml("".join(trn(f"-{i}.01") for i in range(20_000))).encode()
    started = time.perf_counter()
    (stmt,) = ofx.read(data, "big.ofx")
    elapsed = time.perf_counter() - started
    assert len(stmt.lines) == 20_000
    assert stmt.total == -(D(sum(range(20_000))) + D("200.00"))
    assert stmt.lines[-1].line_no == 20_013  # 13 lines before the first
    assert elapsed < 30, f"20,000 transactions took {elapsed:.1f} s"  # ~1 s on an idle machine


# --- fuzzing --------------------------------------------------------------------------------

SAMPLE_BYTES = [p.read_bytes() for p in sorted(OFX_DIR.iterdir())]
FRAGMENTS = [
    b"<",
    b">",
    b"</",
    b"<STMTTRN>",
    b"</STMTTRN>",
    b"</BANKTRANLIST>",
    b"<TRNAMT>",
    b"<DTPOSTED>",
    b"&amp;",
    b"&#999999999;",
    b"<![CDATA[",
    b"]]>",
    b"\xff\xfe",
    b"\x00",
    b"CHARSET:UTF-16\n",
    b"CHARSET:idna\n",
    b'encoding="zlib"',
    b"1e99999",
    b"99999999",
    b"<STMTRS>",
    b"<CURDEF>",
]


@st.composite
def mutated_samples(draw):
    data = bytearray(draw(st.sampled_from(SAMPLE_BYTES)))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "replace", "delete", "truncate"]))
        chunk = draw(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=6)))
        if action == "insert":
            data[pos:pos] = chunk
        elif action == "replace":
            data[pos : pos + len(chunk)] = chunk
        elif action == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        else:
            del data[pos:]
    return bytes(data)


def read_or_refuse(data: bytes) -> None:
    try:
        ofx.read(data, "fuzz.ofx")
    except BankFileError as exc:
        assert str(exc).startswith("fuzz.ofx: ")
        assert "\n" not in str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_samples())
def test_mutated_samples_raise_only_bank_file_errors(data):
    read_or_refuse(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_raise_only_bank_file_errors(data):
    read_or_refuse(b"<OFX>" + data)
    read_or_refuse(data)


def test_decoding_errors_name_the_line_of_the_file():
    data = sgml(trn(extra="<MEMO>a\x00b")).encode()
    line = data[: data.index(b"\x00")].count(b"\n") + 1
    assert line > 1  # after the header lines: counted in the file, not from <OFX>
    with pytest.raises(BankFileError, match=rf"^t\.ofx: line {line}: NUL character"):
        ofx.read(data, "t.ofx")


def test_amounts_keep_the_currency_decimals():
    (stmt,) = ofx.read(sgml(trn(amount="-1.500")).encode(), "t.ofx")
    assert str(stmt.lines[0].amount) == "-1.50"
    with pytest.raises(BankFileError, match=r"TRNAMT: 1\.505 has more decimals than EUR allows$"):
        ofx.read(sgml(trn(amount="-1.505")).encode(), "t.ofx")

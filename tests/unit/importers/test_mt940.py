"""MT940 reader: every sample in tests/data/banks/mt940, the dialect fixes, bad input, fuzzing.

Expected figures are computed here from the raw bytes with plain regular expressions (never by
calling the reader), or taken from PROVENANCE.md where it states them.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payctl.importers import mt940
from payctl.importers.bank import BankFileError, ParsedStatement
from tests.samples import BANK_SAMPLES

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = BANK_SAMPLES
MT940_DIR = SAMPLES / "mt940"

# (statements, :61: lines) per file, as PROVENANCE.md states them.
PROVENANCE = {
    "abnamro_jejik.sta": (2, 10),
    "asn_fruitl00p.sta": (7, 3),
    "bunq_fruitl00p.sta": (1, 111),
    "deutschebank_jejik.txt": (1, 1),
    "german-sepa_betterplace_sepa_mt9401.sta": (26, 97),
    "ing_old_jejik.sta": (1, 7),
    "knab_fruitl00p.sta": (1, 5),
    "kontist_fruitl00p.sta": (1, 6),
    "mbank_wolph.sta": (1, 3),
    "mollie_oca.mt940": (1, 21),
    "rabobank_old_jejik.sta": (4, 5),
    "raiffeisen-hu_cp852_wolph.sta": (1, 7),
    "sns_oca.940": (3, 8),
    "sparkasse_jejik.txt": (2, 2),
    "triodos_fruitl00p.sta": (2, 8),
}

# Statements (by index) whose own balances do not add up: these are hand-made fixtures of other
# parsers' test suites, and their authors never made opening + movements = closing. E.g. ABN AMRO
# #0: 3236.28 - 321.44 = 2914.84 but :62F: says 876.84; Deutsche Bank: 0.00 - 12.35 but closing
# 0.00; Raiffeisen: the closing is 1,123,264.00 HUF off. The tests assert the mismatch, so a
# reader that "fixed" the numbers would fail as well.
UNBALANCED = {
    "abnamro_jejik.sta": {0, 1},
    "deutschebank_jejik.txt": {0},
    "ing_old_jejik.sta": {0},
    "knab_fruitl00p.sta": {0},
    "rabobank_old_jejik.sta": {0, 2},
    "raiffeisen-hu_cp852_wolph.sta": {0},
}
# SNS's third statement ends with "-}" but has no :62F: at all.
NO_CLOSING = {"sns_oca.940": {2}}


def sample(name: str) -> bytes:
    path = MT940_DIR / name
    if not path.is_file():
        pytest.fail(f"sample {path} is missing: tests/data/banks is part of the repository")
    return path.read_bytes()


def read(name: str) -> list[ParsedStatement]:
    return mt940.read(sample(name), name)


# --- independent expectations from the raw bytes ---------------------------------------------

RAW_61 = re.compile(r"^:61:\d{6}(?:\d{4})?(R?[CD])[A-Z]?\s?([\d,]+)", re.M)
RAW_BALANCE = re.compile(r"^:6([02])[FM]?:([CD])\d{6}[A-Z]{3}([\d,]+)", re.M)


def _signed(mark: str, amount: str) -> Decimal:
    value = Decimal(amount.replace(",", "."))
    return -value if mark in ("D", "RC") else value


def raw_statements(name: str) -> list[dict[str, object]]:
    """Per statement (text from one :20: to the next): its :61: amounts and balances."""
    text = sample(name).decode("latin-1").replace("\r", "")
    result = []
    for chunk in re.split(r"^:20:", text, flags=re.M)[1:]:
        balances = {
            kind: _signed(mark, amount)
            for kind, mark, amount in reversed(RAW_BALANCE.findall(chunk))
        }
        result.append(
            {
                "amounts": [_signed(m, a) for m, a in RAW_61.findall(chunk)],
                "opening": balances.get("0"),
                "closing": balances.get("2"),
            }
        )
    return result


# --- the samples -----------------------------------------------------------------------------


def test_the_sample_folder_holds_exactly_the_known_files():
    if not MT940_DIR.is_dir():
        pytest.fail(f"{MT940_DIR} is missing: tests/data/banks is part of the repository")
    assert sorted(p.name for p in MT940_DIR.iterdir()) == sorted(PROVENANCE)
    assert sum(n for _, n in PROVENANCE.values()) == 294  # the PROVENANCE.md total


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_sample_counts_and_sums(name):
    statements = read(name)
    raw = raw_statements(name)
    expected_statements, expected_lines = PROVENANCE[name]
    assert len(statements) == expected_statements == len(raw)
    assert sum(len(s.lines) for s in statements) == expected_lines
    for statement, chunk in zip(statements, raw, strict=True):
        amounts = chunk["amounts"]
        assert [line.amount for line in statement.lines] == amounts
        assert statement.total == sum(amounts, Decimal(0))
        assert statement.opening_balance == chunk["opening"]
        assert statement.closing_balance == chunk["closing"]
        assert statement.currency and statement.account
        for line in statement.lines:
            assert isinstance(line.amount, Decimal)
            assert line.currency == statement.currency
            assert line.line_no and line.booking_date and line.value_date


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_opening_plus_movements_is_closing(name):
    for index, statement in enumerate(read(name)):
        if index in NO_CLOSING.get(name, set()):
            assert statement.closing_balance is None
            continue
        assert statement.opening_balance is not None and statement.closing_balance is not None
        computed = statement.opening_balance + statement.total
        if index in UNBALANCED.get(name, set()):
            assert computed != statement.closing_balance, "fixture turned out balanced"
        else:
            assert computed == statement.closing_balance


@pytest.mark.parametrize("name", sorted(set(PROVENANCE) - {"asn_fruitl00p.sta", "sns_oca.940"}))
def test_amounts_agree_with_mt940_parse_where_it_copes(name):
    # mt-940's own whole-file parser (it raises RuntimeError on the ASN and SNS files)
    import mt940 as library

    data = sample(name)
    text = data.decode("cp852" if "cp852" in name else "utf-8")
    theirs = [
        transaction.data["amount"].amount
        for statement in library.parse_statements(text, options=library.Options(reversal_sign=True))
        for transaction in statement
    ]
    assert [line.amount for s in read(name) for line in s.lines] == theirs


def test_knab_balances_without_the_pasted_2016_line():
    # Knab's 2015 statement carries a 2016 :61: (an ACCEPTGIRO payment pasted into the fixture);
    # without it the balances agree, which shows the reader's amounts are right.
    (statement,) = read("knab_fruitl00p.sta")
    pasted = [ln for ln in statement.lines if ln.booking_date.year == 2016]
    assert [ln.amount for ln in pasted] == [Decimal("-96.84")]
    assert (
        statement.opening_balance + statement.total - pasted[0].amount == statement.closing_balance
    )


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_sniff_recognises_every_sample(name):
    assert mt940.sniff(sample(name)[:2048])


@pytest.mark.parametrize("folder", ["camt053", "camt054", "csv", "ofx"])
def test_sniff_refuses_other_formats(folder):
    files = sorted((SAMPLES / folder).iterdir())
    assert files, f"{SAMPLES / folder} is empty"
    for path in files:
        assert not mt940.sniff(path.read_bytes()[:2048]), path.name


# --- spot checks per dialect -----------------------------------------------------------------


def test_bunq_structured_details_and_iban_eur_account():
    (statement,) = read("bunq_fruitl00p.sta")
    assert (statement.account, statement.currency) == ("NL10BUNQ2290325473", "EUR")
    first, fourth = statement.lines[0], statement.lines[3]
    assert first.counterparty_account == "NL65BUNQ2206724936"
    assert first.counterparty_name == "P.C. Wacki"
    assert first.remittance is None  # "/REMI/" is empty
    assert (fourth.amount, fourth.counterparty_name, fourth.remittance) == (
        Decimal("75.00"),
        "SRMF WILLEMS",
        "Proficiat",
    )
    assert first.transaction_id is None  # NONREF


def test_asn_two_line_61_and_envelopes():
    statements = read("asn_fruitl00p.sta")
    line = statements[0].lines[0]
    assert line.amount == Decimal("-2000.00")
    assert (line.counterparty_account, line.counterparty_name) == ("NL29INGB0006475121", "j blom")
    assert line.remittance == "Salaris december 2019"
    tank = statements[-1].lines[0]
    assert tank.counterparty_name == "MULTI TANK CARD BV"  # /NAME/MU + LTI TANK.. glued
    assert tank.counterparty_account == "NL44ABNA0548041814"
    assert tank.structured_reference == "1755481/5570"
    assert tank.remittance.startswith("Relatienummer 1755481/Factuurnr.7903792-07-01-2020")
    assert [len(s.lines) for s in statements] == [1, 0, 0, 0, 0, 0, 2]


def test_sns_names_references_and_wrapped_text():
    statements = read("sns_oca.940")
    first = statements[0].lines[0]
    assert first.counterparty_name == "gerrits glas en schilderwerk"
    assert first.counterparty_account == "NL49RABO0166416932"
    assert first.remittance == "Factuur 17227/248/20"
    card = statements[0].lines[1]
    assert card.transaction_id == "228ohu/972795"
    assert card.remittance.startswith("Jumbo Wijchen B.V.")
    vitens = statements[0].lines[2]
    assert "VNKlantnr 00000000000" in vitens.remittance  # a 65-character line wrapped mid-word


def test_raiffeisen_cp852_accents():
    (statement,) = read("raiffeisen-hu_cp852_wolph.sta")
    assert statement.currency == "HUF"
    first = statement.lines[0]
    assert "összevont utánvét" in first.remittance
    assert first.counterparty_name == "HUNGARY KFT."
    assert first.counterparty_account == "109876543210000012345678"
    assert statement.opening_date == dt.date(2018, 4, 17)


def test_german_subfields_and_sepa_keywords():
    (statement,) = read("deutschebank_jejik.txt")
    (line,) = statement.lines
    assert line.structured_reference == "A1.200080779.400143254.4961336"  # EREF+, over ?20/?21
    assert line.counterparty_account == "DE50712345600200691329"  # ?31 across a CRLF
    assert line.transaction_id == "2016021783252833"
    assert line.remittance.startswith("SONSTIGE GRUENDE ENDABRECHNUNG NR. 500106875")
    assert statement.account == "20070000/0123456601"
    assert statement.opening_date == dt.date(2020, 6, 5)
    assert statement.closing_date == dt.date(2020, 6, 8)


def test_betterplace_reversal_and_eref():
    statement = read("german-sepa_betterplace_sepa_mt9401.sta")[0]
    assert statement.opening_balance == Decimal("-1234718.36")  # D balance
    reversal = statement.lines[5]  # :61:0709040904RCR204,88NRTINONREF: reversal of a credit
    assert reversal.amount == Decimal("-204.88")
    assert statement.lines[0].structured_reference == "TFNR 40005 00005"
    assert statement.lines[0].remittance.startswith("MTLG:Grund nicht spezifiziert Reject")


def test_sparkasse_kontist_names_and_utf8():
    first, _ = read("sparkasse_jejik.txt")
    assert first.lines[0].counterparty_name == "ARAL AG"
    assert first.lines[0].counterparty_account == "DE95430800830802029200"
    kontist = read("kontist_fruitl00p.sta")[0].lines
    assert kontist[1].counterparty_name == "Lucien Schünke"
    assert kontist[2].remittance == "Rechnung-Nr.: INV-00002 v. 13.02.21"


def test_mollie_notprovided_and_wrapped_name():
    lines = read("mollie_oca.mt940")[0].lines
    assert lines[0].structured_reference == "tr_XXXXXXXXX"
    last = lines[-1]
    assert (last.counterparty_name, last.remittance) == ("Mollie B.V.", "Factuurnummer 2016.00000")
    assert last.structured_reference is None  # /EREF/NOTPROVIDED


def test_triodos_rabobank_abn_ing_mbank():
    triodos = read("triodos_fruitl00p.sta")
    assert triodos[0].account == "0666666666"
    assert triodos[0].lines[0].counterparty_account == "0555555555"
    assert triodos[0].lines[2].counterparty_account == "AA99BBBB0555555555"
    rabo = read("rabobank_old_jejik.sta")
    assert (rabo[0].account, rabo[0].currency) == ("129199348", "EUR")
    assert (rabo[0].lines[0].counterparty_account, rabo[0].lines[0].counterparty_name) == (
        "0121470966",
        "W.P. Jansen",
    )
    abn = read("abnamro_jejik.sta")[0].lines
    assert (abn[0].counterparty_name, abn[0].counterparty_account) == ("KPN - DIGITENNE", "428428")
    assert (abn[1].value_date, abn[1].booking_date) == (dt.date(2011, 5, 21), dt.date(2011, 5, 23))
    ing = read("ing_old_jejik.sta")[0].lines
    assert "22-07-2010 09:57" in ing[3].remittance  # soft hyphens
    assert ing[0].booking_date == ing[0].value_date == dt.date(2010, 7, 22)  # no entry date
    mbank = read("mbank_wolph.sta")[0].lines[0]
    assert (mbank.counterparty_name, mbank.counterparty_account, mbank.transaction_id) == (
        "JAN NOWAK",
        "PL56114010810000267002001001",
        "MB170119012058",
    )


# --- synthetic files -------------------------------------------------------------------------


def statement_text(*lines: str, account: str = "NL91ABNA0417164300") -> str:
    return "\n".join(
        [
            ":20:TEST",
            f":25:{account}",
            ":28C:1/1",
            ":60F:C200101EUR100,00",
            *lines,
            ":62F:C200131EUR100,00",
            "-",
            "",
        ]
    )


def one(text: str | bytes) -> ParsedStatement:
    data = text.encode() if isinstance(text, str) else text
    (statement,) = mt940.read(data, "x.sta")
    return statement


def test_year_wrap_reversals_and_references():
    statement = one(
        statement_text(
            ":61:2101011231D5,00NTRFNONREF//NONREF",
            ":61:2012310101C5,00NTRFREF1//BANK-1",
            ":61:200105RD7,50NTRFNONREF",
            ":61:200105RC7,50NTRFNONREF",
        )
    )
    wrap, forward, rd, rc = statement.lines
    assert (wrap.value_date, wrap.booking_date) == (dt.date(2021, 1, 1), dt.date(2020, 12, 31))
    assert (forward.value_date, forward.booking_date) == (
        dt.date(2020, 12, 31),
        dt.date(2021, 1, 1),
    )
    assert wrap.transaction_id is None and forward.transaction_id == "BANK-1"
    assert (rd.amount, rc.amount) == (Decimal("7.50"), Decimal("-7.50"))


@pytest.mark.parametrize(
    ("raw", "account", "currency"),
    [
        ("NL91ABNA0417164300", "NL91ABNA0417164300", None),
        ("NL91ABNA0417164300 EUR", "NL91ABNA0417164300", "EUR"),
        ("TRIODOSBANK/0666666666", "0666666666", None),
        ("UBRTHUHB/123456789150ABCDEF002/HUF", "123456789150ABCDEF002", "HUF"),
        ("1291.99.348EUR", "129199348", "EUR"),
        ("50880050/0194774600888", "50880050/0194774600888", None),
        ("ABNANL2A/NL91ABNA0417164300", "NL91ABNA0417164300", None),
    ],
)
def test_account_identification(raw, account, currency):
    text = statement_text(account=raw).replace(":60F:C200101EUR", ":60F:C200101USD")
    text = text.replace(":62F:C200131EUR", ":62F:C200131USD")
    statement = one(text)
    assert statement.account == account
    assert statement.currency == "USD"  # the balances' currency wins over a :25: suffix
    assert mt940._statement_account(raw) == (account, currency)


def test_crlf_swift_envelope_and_headers_give_the_same_result():
    body = statement_text(":61:200102D1,50NTRFNONREF", ":86:/NAME/A B/REMI/Invoice 7")
    plain = one(body)
    wrapped = "{1:F01ABNANL2AXXXX0000000000}{2:O940ABNANL2AXXXXN}{3:}{4:\r\n" + body.replace(
        "\n", "\r\n"
    ).replace("-\r\n", "-}{5:}\r\n")
    headed = "ABNANL2A\n940\nABNANL2A\n" + body + "-XXX\n"
    for text, header_lines in ((wrapped, 1), (headed, 3)):
        other = one(text)
        assert [replace(ln, line_no=ln.line_no - header_lines) for ln in other.lines] == plain.lines
        assert other.closing_balance == plain.closing_balance


def test_cp1252_is_not_mistaken_for_cp852():
    text = statement_text(
        ":61:200102D1,50NTRFNONREF", ":86:?20SVWZ+Miete Straße Müller?32Bäcker Jürgen"
    )
    line = one(text.encode("cp1252")).lines[0]
    assert (line.remittance, line.counterparty_name) == ("Miete Straße Müller", "Bäcker Jürgen")
    hungarian = one(text.replace("Straße Müller", "átutalás jóváírása").encode("cp852"))
    assert hungarian.lines[0].remittance == "Miete átutalás jóváírása"


def test_other_dutch_layouts_ing_cntp_rabobank_ordp_strd():
    text = statement_text(
        ":61:1402200220C1,56NTRFEREF//00000000001005",
        "/TRCD/00100/",
        ":86:/EREF/EV12341REP1231456T1234//CNTP/NL32INGB0000012345/INGBNL2A/ING BANK NV INZAK",
        "E WEB///REMI/USTD//EV10001REP1000000T1000/",
        ":61:140102C000000000100,00N541EREF",
        "NL91ABNA0417164300",
        ":86:/EREF/REF123//ORDP//NAME/Some Company/ADDR/Street 1/REMI/Invoice 123/ISDT/2014-01-02",
        ":61:140103D5,00N541NONREF",
        ":86:/TRTP/ACCEPTGIRO/IBAN/NL91ABNA0417164300/NAME/X/REMI/STRD/CUR/RF18539007547034/",
        account="NL69INGB0123456789EUR",
    )
    statement = one(text)
    assert statement.account == "NL69INGB0123456789"
    ing, rabo, strd = statement.lines
    assert (ing.counterparty_account, ing.counterparty_name) == (
        "NL32INGB0000012345",
        "ING BANK NV INZAKE WEB",
    )
    assert (ing.remittance, ing.structured_reference) == (
        "EV10001REP1000000T1000",
        "EV12341REP1231456T1234",
    )
    assert ing.transaction_id == "00000000001005"
    assert (rabo.counterparty_account, rabo.counterparty_name) == (
        "NL91ABNA0417164300",
        "Some Company",
    )
    assert (rabo.amount, rabo.remittance) == (Decimal("100.00"), "Invoice 123")
    assert strd.structured_reference == "RF18539007547034" and strd.remittance is None


def test_tolerated_quirks():
    # lone-CR line ends, 12.50 with a dot, a Belgian structured reference, a space before the
    # type code
    text = statement_text(
        ":61:2102280228D12.50NTRFNONREF",
        ":86:Betaling +++123/4567/89012+++",
        ":61:2001020102C1,00 NTRFNONREF",
    ).replace("\n", "\r")
    first, second = one(text.encode()).lines
    assert (first.amount, first.booking_date) == (Decimal("-12.50"), dt.date(2021, 2, 28))
    assert first.structured_reference == "123/4567/89012"
    assert (second.amount, second.line_no) == (Decimal("1.00"), 7)


def test_29_february_of_a_leap_year_is_a_date():
    text = statement_text(":61:2002290229D5,00NTRFNONREF").replace(":62F:C200131", ":62F:C200229")
    (line,) = one(text.encode()).lines
    assert (line.value_date, line.booking_date) == (dt.date(2020, 2, 29), dt.date(2020, 2, 29))


def test_mt942_currency_from_floor_limit():
    text = (
        ":20:X\n:25:NL91ABNA0417164300\n:28C:1\n:34F:EURD0,00\n:13D:2001021200+0100\n"
        ":61:200102D1,50NTRFNONREF\n:86:hello\n:90D:1EUR1,50\n-\n"
    )
    statement = one(text)
    assert (statement.currency, statement.opening_balance, statement.closing_balance) == (
        "EUR",
        None,
        None,
    )
    assert [ln.amount for ln in statement.lines] == [Decimal("-1.50")]


def test_encoding_option_overrides_detection():
    data = sample("raiffeisen-hu_cp852_wolph.sta")
    forced = mt940.read(data, "hu.sta", encoding="latin-1")[0].lines[0].remittance
    assert "összevont" not in forced and "sszevont" in forced
    assert (
        error_of(b":20:X\n", encoding="no-such-codec") == "x.sta: unknown encoding 'no-such-codec'"
    )
    # the one decoder's errors, as for every other reader: file, line and byte
    assert error_of(b":20:X\n:25:\xe9\n", encoding="ascii") == (
        "x.sta: line 2: encoding: byte 0xe9 is not ascii text; give --encoding"
    )


def test_nul_byte_is_refused_with_its_line_like_every_text_file():
    data = sample("mbank_wolph.sta")
    at = data.index(b":61:")
    line = data[:at].count(b"\n") + 1
    message = error_of(data[:at] + b"\x00" + data[at:], "mbank.sta")
    assert message == f"mbank.sta: line {line}: NUL character: binary data, not text"


def test_utf8_then_a_code_page_byte_is_read_in_the_code_page():
    # MT940 keeps reading a file that is UTF-8 up to a byte that is not (the CSV reader refuses
    # it as mixed encodings): the whole file is then read in the most plausible code page
    text = statement_text(":61:200102D1,50NTRFNONREF", ":86:Stra\u00dfe M\u00fcller")
    data = text.encode("cp1252").replace(b"Stra", "\u00e9".encode() + b"Stra")
    (statement,) = mt940.read(data, "x.sta")
    assert "Straße Müller" in statement.lines[0].remittance


def test_statement_level_86_after_the_closing_balance_is_not_a_line_detail():
    text = statement_text(":61:200102D1,50NTRFNONREF", ":86:real details")
    text = text.replace(":62F:C200131EUR100,00", ":62F:C200131EUR98,50\n:86:D000001C000000")
    (line,) = one(text).lines
    assert line.remittance == "real details"


# --- bad input -------------------------------------------------------------------------------


def error_of(text: str | bytes, name: str = "x.sta", **options: object) -> str:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(BankFileError) as caught:
        mt940.read(data, name, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            ":61:2001020102D12,3,4NTRFNONREF",
            "x.sta: line 5: :61: amount: '12,3,4' is not an amount",
        ),
        (
            ":61:201341D5,00NTRFNONREF",
            "x.sta: line 5: :61: value date: '201341' is not a valid date",
        ),
        (":61:2001021302D5,00NTRFNONREF", "x.sta: line 5: :61: entry date: '1302' is not a valid"),
        (":61:2001X2D5,00NTRF", "x.sta: line 5: :61: value date: '2001X2' is not a date"),
        (":61:2001020102X5,00NTRF", "x.sta: line 5: :61: debit/credit mark: no C, D, RC or RD"),
        (":61:2001020102D1234567890123456,00NTRF", "x.sta: line 5: :61: amount: "),
        (":61:2001020102D1,005NTRF", "x.sta: line 5: :61: amount: 1.005 has more decimals"),
        # values mt-940 (used here until #9) changed silently (#14): 30 February became 28
        # February, a day February does not have in a common year likewise, 1e400,00 became 1.00
        (":61:2102300230D5,00NTRFNONREF", "x.sta: line 5: :61: value date: '210230' is not a"),
        (":61:2102280230D5,00NTRFNONREF", "x.sta: line 5: :61: entry date: '0230' is not a"),
        (":61:2102280229D5,00NTRFNONREF", "x.sta: line 5: :61: entry date: '0229' is not a"),
        (":61:2102290229D5,00NTRFNONREF", "x.sta: line 5: :61: value date: '210229' is not a"),
        (":61:2001020102C1e400,00NTRFNONREF", "x.sta: line 5: :61: amount: '1e400,00NTRF"),
        (":61:2001020102C100NTRFNONREF", "x.sta: line 5: :61: amount: '100NTRFNONREF' is not"),
    ],
)
def test_bad_statement_line_names_file_line_and_field(line, expected):
    message = error_of(statement_text(line))
    assert message.startswith(expected), message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (":60F:C200101EUR100,00", ":60F:C200101EUR1O0,00", "x.sta: line 4: :60F: amount: '1O0,00'"),
        (
            ":60F:C200101EUR100,00",
            ":60F:X200101EUR100,00",
            "x.sta: line 4: :60F: debit/credit mark",
        ),
        (":62F:C200131EUR100,00", ":62F:C200231EUR100,00", "x.sta: line 5: :62F: date: '200231'"),
        (":62F:C200131EUR100,00", ":62F:C200131E1R100,00", "x.sta: line 5: :62F: currency: 'E1R'"),
        (":62F:C200131EUR100,00", ":62F:C210229EUR100,00", "x.sta: line 5: :62F: date: '210229'"),
    ],
)
def test_bad_balance_names_file_line_and_field(old, new, expected):
    message = error_of(statement_text().replace(old, new))
    assert message.startswith(expected), message


def test_balance_amounts_of_17_characters_are_read_whole():
    # mt-940's balance pattern took 16 characters and dropped the rest without a word (#9):
    # 12345678901234,56 was read as 12345678901234.50
    text = statement_text().replace("EUR100,00", "EUR12345678901234,56")
    statement = one(text)
    assert statement.opening_balance == statement.closing_balance == Decimal("12345678901234.56")
    message = error_of(text.replace("EUR12345678901234,56", "EUR123456789012345,67"))
    assert message.startswith("x.sta: line 4: :60F: amount: '123456789012345,67' is longer")


def test_the_reader_needs_no_mt940_library():
    # The grammar is payctl's own (#9): mt-940 is only a test oracle (see
    # test_amounts_agree_with_mt940_parse_where_it_copes), never imported when reading.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from payctl.importers import mt940\n"
        f"for path in sorted(Path({str(MT940_DIR)!r}).iterdir()):\n"
        "    mt940.read(path.read_bytes(), path.name)\n"
        "assert 'mt940' not in sys.modules, 'the mt940 package was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_truncated_file():
    data = sample("bunq_fruitl00p.sta")
    cut = data[: data.index(b":61:1902210221C211")]  # ends after a complete :86: line
    message = error_of(cut, "bunq.sta")
    assert message.startswith("bunq.sta: line ")
    assert "truncated" in message
    half = data[: len(data) // 2]
    assert error_of(half, "bunq.sta").startswith("bunq.sta: line ")


@pytest.mark.parametrize("data", [b"", b"hello\nworld\n", b"\xff\xfe\x00", b":25:NL00\n"])
def test_no_statement(data):
    message = error_of(data)
    assert message.startswith("x.sta: ")


def test_lines_without_any_currency():
    text = ":20:X\n:25:123\n:61:200102D1,50NTRFNONREF\n-\n"
    assert (
        error_of(text) == "x.sta: line 3: :61: without a currency: the statement has no "
        ":60F:/:62F: balance"
    )


# --- fuzzing: only BankFileError ever comes out ----------------------------------------------

FUZZ_SOURCES = [sample(name) for name in sorted(PROVENANCE)] if MT940_DIR.is_dir() else [b""]


def _read_or_bank_error(data: bytes) -> None:
    try:
        statements = mt940.read(data, "fuzz.sta")
    except BankFileError as exc:
        assert str(exc).startswith("fuzz.sta")
        return
    for statement in statements:
        for line in statement.lines:
            assert isinstance(line.amount, Decimal)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from(FUZZ_SOURCES),
    edits=st.lists(
        st.tuples(
            st.floats(0, 1),
            st.integers(0, 12),
            st.sampled_from(
                [
                    b"",
                    b":61:",
                    b":86:",
                    b":20:",
                    b"?2",
                    b"/NAME/",
                    b">2",
                    b"\n",
                    b"-",
                    b"{4:",
                    b"\x00\xff",
                    b",",
                    b"RC",
                    b"0229",
                    b"\r\n-}",
                ]
            ),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_fuzz_mutated_samples(source, edits):
    data = bytearray(source)
    for where, length, insert in edits:
        at = int(where * len(data))
        data[at : at + length] = insert
    _read_or_bank_error(bytes(data))


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=400)
    | st.text(
        alphabet=st.sampled_from(list(":20:25:60F:61:62F:86:CDR,0123456789EUR?/>-{}\n ")),
        max_size=400,
    ).map(str.encode)
)
def test_fuzz_random_input(data):
    _read_or_bank_error(data)


# --- performance -----------------------------------------------------------------------------


def synthetic(lines: int) -> tuple[bytes, int, Decimal]:
    out = [":20:PERF", ":25:NL91ABNA0417164300", ":28C:1/1", ":60F:C200101EUR1000000,00"]
    total = Decimal(0)
    count = 0
    while len(out) < lines - 2:
        count += 1
        cents = count % 99_991 + 1
        mark = "D" if count % 3 else "C"
        total += Decimal(cents).scaleb(-2) * (-1 if mark == "D" else 1)
        out.append(
            f":61:2001{count % 28 + 1:02d}01{count % 28 + 1:02d}{mark}{cents // 100},"
            f"{cents % 100:02d}NTRFNONREF//B{count:010d}"
        )
        out.append(
            f":86:/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/BIC/ABNANL2A/NAME/"
            f"Customer {count}/REMI/Invoice INV-{count:06d}/EREF/E2E{count}"
        )
    closing = Decimal("1000000.00") + total
    out.append(f":62F:{'C' if closing >= 0 else 'D'}200131EUR{abs(closing):.2f}".replace(".", ","))
    out.append("-")
    return "\n".join(out).encode(), count, total


@pytest.mark.slow
def test_a_100000_line_statement_parses_in_a_few_seconds(capsys):
    data, count, total = synthetic(100_000)
    assert data.count(b"\n") + 1 == 100_000
    started = time.process_time()
    (statement,) = mt940.read(data, "big.sta")
    seconds = time.process_time() - started
    assert len(statement.lines) == count
    assert statement.total == total
    assert statement.opening_balance + statement.total == statement.closing_balance
    assert statement.lines[-1].remittance == f"Invoice INV-{count:06d}"
    with capsys.disabled():
        print(f"\nMT940: 100,000 lines ({count} transactions) read in {seconds:.2f} s CPU")
    assert seconds < 15, f"{seconds:.1f} s CPU for 100,000 lines"

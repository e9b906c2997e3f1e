"""Bank CSV reader: every sample, the GENERIC profile in 4 languages, encodings, bad files, fuzz."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as strat

from payctl.importers import csvfile
from payctl.importers.bank import BankFileError
from payctl.importers.files import BANK_CODE_PAGES, detect_encoding
from tests.samples import BANK_SAMPLES

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = BANK_SAMPLES

D = Decimal

# Per sample: the built-in profile auto-selection must pick, and per statement
# (account, currency, lines, sum, opening, closing). Data rows per PROVENANCE.md; no sample row
# is ignored by its profile. Sums were added up by hand from the files:
EXPECTED = {
    # 3 rows: -337,49 + 50,00 - 750,00. The "Saldo na trn" column does not chain
    # (5257,28 + 50,00 != 13084,53: the test file lacks the rows in between), so no balances.
    "rabobank-nl_2018.csv": (
        "rabobank",
        [("NL77RABO0311467415", "EUR", 3, D("-1037.49"), None, None)],
    ),
    # 1 row: signed Bedrag -3,40; Saldo 219,95 after it, so 223,35 before.
    "kbc-be_checking.csv": (
        "kbc",
        [("BE11123456789012", "EUR", 1, D("-3.40"), D("223.35"), D("219.95"))],
    ),
    # 7 rows: -8,78 -7,08 +8,78 -8,76 +7,08 -7,07 -7,99 (refunds cancel two charges).
    "bunq-nl_2019.csv": ("bunq", [("NL26BUNQ2025126409", "EUR", 7, D("-23.82"), None, None)]),
    "commerzbank-de.csv": (
        "commerzbank",
        [("DE44200400000538917600", "EUR", 1, D("-17.22"), None, None)],
    ),
    "monzo-uk.csv": ("monzo", [(None, "GBP", 1, D("-10.00"), None, None)]),
    # 3 rows: Débit 10.00, Crédit 240.00, Débit 200.00; Solde chains in file order:
    # 11'373.94 + 240 = 11'613.94 - 200 = 11'413.94, so opening 11'383.94.
    "ubs-ch_fr.csv": (
        "ubs-ch-fr",
        [("0123 45678901.23A", "CHF", 3, D("30.00"), D("11383.94"), D("11413.94"))],
    ),
    # 4 rows, newest first: +20.00 -103.00 -75.00 -57.27; RunningBalance chains read backwards:
    # opening 1,036.47 + 57.27 = 1,093.74, closing 878.47.
    "schwab-us_checking.csv": (
        "schwab",
        [(None, "USD", 4, D("-215.27"), D("1093.74"), D("878.47"))],
    ),
    # 1 row: -98,76; Kontostand 1.234,56 after it.
    "gls-de.csv": ("gls", [("1234567890", "EUR", 1, D("-98.76"), D("1333.32"), D("1234.56"))]),
    # 76 rows in 3 currencies (45 USD, 29 EUR, 2 AUD). The amount is the Gross and each of the
    # 26 USD rows with a non-zero Fee adds a fee line: 45 + 26 = 71 USD lines, 102 in all.
    # USD gross 2927.78 + fees -2925.88 = 1.90 = the last USD Balance; every currency starts
    # at 0 (first Balance = first Net).
    "paypal_activity_en.csv": (
        "paypal",
        [
            (None, "USD", 71, D("1.90"), D("0.00"), D("1.90")),
            (None, "EUR", 29, D("43.34"), D("0.00"), D("43.34")),
            (None, "AUD", 2, D("0.00"), D("0.00"), D("0.00")),
        ],
    ),
    # 4 rows: -50,00 -100,00 -80,68 +1300,00 (debits written negative in the Debit column).
    # Balances from the preamble ("at end" 31070,11) and the trailer row ("at start" 30000,77),
    # neither of which is a line. The file itself is off by 0.02: see UNBALANCED.
    "fr-bank_metadata-header.csv": (
        "fr-bank-metadata",
        [("08088804068", "EUR", 4, D("1069.32"), D("30000.77"), D("31070.11"))],
    ),
}
# opening + sum != closing in the file itself: 30000,77 + 1069,32 = 31070,09, not 31070,11.
UNBALANCED = {"fr-bank_metadata-header.csv": D("0.02")}
PROVENANCE_ROWS = {
    "rabobank-nl_2018.csv": 3,
    "kbc-be_checking.csv": 1,
    "bunq-nl_2019.csv": 7,
    "commerzbank-de.csv": 1,
    "monzo-uk.csv": 1,
    "ubs-ch_fr.csv": 3,
    "schwab-us_checking.csv": 4,
    "gls-de.csv": 1,
    "paypal_activity_en.csv": 76,
    "fr-bank_metadata-header.csv": 4,
}
FEE_LINES = {"paypal_activity_en.csv": 26}


def read_sample(name: str, **options):
    return csvfile.read((SAMPLES / "csv" / name).read_bytes(), name, **options)


def test_every_csv_sample_is_covered():
    assert sorted(p.name for p in (SAMPLES / "csv").iterdir()) == sorted(EXPECTED)
    assert sum(PROVENANCE_ROWS.values()) == 101  # PROVENANCE.md: csv/ holds 101 transactions


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_imports_with_counts_sums_and_balances(name):
    profile, expected = EXPECTED[name]
    assert csvfile.detect_profile((SAMPLES / "csv" / name).read_bytes(), name).name == profile
    statements = read_sample(name)
    got = [
        (s.account, s.currency, len(s.lines), s.total, s.opening_balance, s.closing_balance)
        for s in statements
    ]
    assert got == expected
    assert sum(len(s.lines) for s in statements) == PROVENANCE_ROWS[name] + FEE_LINES.get(name, 0)
    for s in statements:
        assert all(isinstance(ln.amount, Decimal) for ln in s.lines)
        assert all(ln.currency == s.currency for ln in s.lines)
        if s.opening_balance is not None and s.closing_balance is not None:
            gap = s.closing_balance - (s.opening_balance + s.total)
            assert gap == UNBALANCED.get(name, D("0")), f"{name}: opening + sum != closing"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_reads_the_same_with_its_profile_named(name):
    profile, _ = EXPECTED[name]
    assert read_sample(name, profile=profile) == read_sample(name)


def _line(name: str, statement: int = 0, index: int = 0):
    return read_sample(name)[statement].lines[index]


def test_rabobank_fields_latin1_and_the_row_that_lost_its_opening_quote():
    lines = read_sample("rabobank-nl_2018.csv")[0].lines
    first, second, third = lines
    assert (first.booking_date, first.amount, first.remittance) == (
        dt.date(2018, 3, 1),
        D("-337.49"),
        "RENTE LENING",
    )
    assert first.transaction_id == "000000000000009565"
    # row 3 starts `NL77RABO0311467415",...`: still the same account, so one statement
    assert second.line_no == 3 and second.amount == D("50.00")
    assert second.counterparty_name == "Nederlandse Loterij Organisatie B.V."
    assert second.counterparty_account == "NL62INGB0663707048"
    assert second.structured_reference == "18753493.6094"
    assert second.remittance.startswith("Gefeliciteerd, Gewonnen met Staatsloterij")
    assert third.counterparty_name == "W. Koelewijn" and third.remittance == "Naar Bunq"
    assert third.line_no == 4  # "\r\r\n" line ends do not double the line numbers


def test_kbc_padded_fields_and_value_date():
    line = _line("kbc-be_checking.csv")
    assert line.booking_date == dt.date(2018, 2, 28) and line.value_date == dt.date(2018, 2, 28)
    assert line.remittance == "BIJDRAGE 01-02-2018 - 28-02-2018 28-02 KBC-PLUSREKENING"
    assert line.counterparty_name is None and line.counterparty_account is None
    assert read_sample("kbc-be_checking.csv")[0].statement_id == "02018038"


def test_bunq_decimal_comma_in_a_comma_separated_file():
    lines = read_sample("bunq-nl_2019.csv")[0].lines
    assert [ln.amount for ln in lines][:3] == [D("-8.78"), D("-7.08"), D("8.78")]
    assert lines[6].counterparty_name == "NETFLIX.COM"
    assert lines[6].remittance == "NETFLIX.COM 14087249160, NL"
    assert lines[6].booking_date == dt.date(2018, 12, 17)


def test_commerzbank_and_monzo_fields():
    cb = _line("commerzbank-de.csv")
    assert (cb.booking_date, cb.value_date) == (dt.date(2018, 3, 2), dt.date(2018, 3, 2))
    assert cb.remittance.startswith("Kartenzahlung REWE SAGT DANKE.")
    mz = _line("monzo-uk.csv")
    assert (mz.booking_date, mz.amount, mz.currency) == (dt.date(2018, 2, 25), D("-10.00"), "GBP")
    assert mz.counterparty_name == "Tesco" and mz.transaction_id == "tx_00009TziTeST1NG1ZWIPGS"


def test_ubs_apostrophe_thousands_and_debit_credit_columns():
    lines = read_sample("ubs-ch_fr.csv")[0].lines
    assert [ln.amount for ln in lines] == [D("-10.00"), D("240.00"), D("-200.00")]
    assert lines[1].counterparty_name == "ASSOCIATION FOO-BAR"
    assert lines[1].remittance == "Virement postal BVD DE QUELQUE-PART 1, 1201 GENEVE, CH"
    assert lines[2].remittance == (
        "Ordre e-banking Quuz-baz SàrL, CH - 1203 GENEVE, E-Banking CHF intérieur"
    )
    assert lines[0].transaction_id == "A01234BC01234567"


def test_schwab_currency_formatted_amounts_us_dates():
    lines = read_sample("schwab-us_checking.csv")[0].lines
    assert [ln.booking_date for ln in lines] == [
        dt.date(2022, 8, 17),
        dt.date(2022, 8, 14),
        dt.date(2022, 8, 9),
        dt.date(2022, 8, 4),
    ]
    assert lines[0].amount == D("20.00") and lines[1].amount == D("-103.00")
    assert lines[2].remittance == "Check Paid #558 558"


def test_gls_vwz_columns_joined():
    line = _line("gls-de.csv")
    assert line.counterparty_name == "Drillisch Online AG"
    assert line.remittance == "B4658645 U123456789 B123456 987 SIMply Rechnung"
    assert line.booking_date == dt.date(2017, 10, 10)


def test_paypal_gross_and_fee_lines_add_up_to_net():
    """Recount the PayPal file with plain csv + Decimal, independently of the reader."""
    raw = (SAMPLES / "csv" / "paypal_activity_en.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(raw)))
    net = {}
    for row in rows:
        net[row["Currency"]] = net.get(row["Currency"], D(0)) + D(row["Net"].replace(",", ""))
    statements = read_sample("paypal_activity_en.csv")
    assert {s.currency: s.total for s in statements} == net
    usd = statements[0].lines
    assert (usd[0].amount, usd[0].counterparty_name, usd[0].transaction_id) == (
        D("84.00"),
        "PARTNER1",
        "TID1",
    )
    assert (usd[1].amount, usd[1].transaction_id, usd[1].counterparty_name) == (
        D("-4.25"),
        "TID1/fee",
        None,
    )
    invoice_31 = next(ln for ln in usd if ln.transaction_id == "TID4")
    assert invoice_31.amount == D("1653.75") and invoice_31.structured_reference == "31"
    assert invoice_31.remittance == "Website Payment Payment to My Company for invoice 31"
    assert invoice_31.booking_date == dt.date(2016, 6, 9)


def test_fr_bank_preamble_and_trailer():
    [st] = read_sample("fr-bank_metadata-header.csv")
    assert (st.opening_date, st.closing_date) == (dt.date(2020, 4, 1), dt.date(2020, 4, 2))
    assert [ln.line_no for ln in st.lines] == [6, 7, 8, 9]  # preamble 1-4, header 5, trailer 10
    assert st.lines[1].remittance == "LABEL 2 CLIENTS X"
    assert st.lines[3].amount == D("1300.00") and st.lines[3].transaction_id == "UNIQUE OP 4"


# -- the GENERIC profile alone, one plain export per language --------------------------------

GENERIC_FILES = {
    "en": (
        "Date,Description,Payee,IBAN,Reference,Amount,Currency,Transaction ID\n"
        "2024-01-03,Invoice payment,ACME Ltd,GB33BUKB20201555555555,INV-2024-001,"
        '"1,234.56",GBP,T-1\n'
        "2024-01-04,Card payment,Corner Shop,,,-12.30,GBP,T-2\n"
        '2024-01-05,Refund,ACME Ltd,GB33BUKB20201555555555,,"-1,000.00",GBP,T-3\n',
        "utf-8",
        [D("1234.56"), D("-12.30"), D("-1000.00")],
        "ACME Ltd",
        "Invoice payment INV-2024-001",
        "GBP",
    ),
    "de": (
        "Buchungstag;Wertstellung;Auftraggeber/Empfänger;Kontonummer/IBAN;"
        "Verwendungszweck;Soll;Haben;Währung\n"
        "03.01.2024;04.01.2024;Müller GmbH;DE89370400440532013000;RE-2024-001;;1.234,56;EUR\n"
        "05.01.2024;05.01.2024;Stadtwerke Köln;DE02120300000000202051;Abschlag Jan;"
        "45,10;;EUR\n"
        "13.01.2024;13.01.2024;Bäckerei Groß;;Kartenzahlung;3,20;;EUR\n",
        "cp1252",
        [D("1234.56"), D("-45.10"), D("-3.20")],
        "Müller GmbH",
        "RE-2024-001",
        "EUR",
    ),
    "fr": (
        "Date opération;Date valeur;Libellé;Bénéficiaire;Débit;Crédit;Devise\n"
        "03/01/2024;04/01/2024;VIR SEPA FACTURE F-2024-001;Société Générale Équipement;;"
        "1 234,56;EUR\n"
        "15/01/2024;15/01/2024;PRLV EDF;Électricité de France;45,10;;EUR\n"
        "20/01/2024;20/01/2024;CB CAFÉ DE LA GARE;;3,20;;EUR\n",
        "utf-8-sig",
        [D("1234.56"), D("-45.10"), D("-3.20")],
        "Société Générale Équipement",
        "VIR SEPA FACTURE F-2024-001",
        "EUR",
    ),
    "nl": (
        "Datum,Naam / Omschrijving,Rekening,Tegenrekening,Code,Af Bij,Bedrag (EUR),"
        "Mutatiesoort,Mededelingen\n"
        "20240103,Bakkerij de Vries BV,NL20INGB0001234567,NL91ABNA0417164300,GT,Bij,"
        '"1234,56",Online bankieren,Factuur 2024-001\n'
        '20240104,Shell Utrecht,NL20INGB0001234567,,BA,Af,"45,10",Betaalautomaat,'
        "Pasvolgnr 001\n",
        "utf-8",
        [D("1234.56"), D("-45.10")],
        "Bakkerij de Vries BV",
        "Factuur 2024-001",
        "EUR",
    ),
}


@pytest.mark.parametrize("lang", sorted(GENERIC_FILES))
def test_generic_profile_reads_an_unknown_banks_export(lang):
    text, encoding, amounts, name, remittance, currency = GENERIC_FILES[lang]
    data = text.encode(encoding)
    assert csvfile.detect_profile(data, f"{lang}.csv").name == "generic"
    [st] = csvfile.read(data, f"{lang}.csv")
    assert [ln.amount for ln in st.lines] == amounts
    assert st.total == sum(amounts)
    first = st.lines[0]
    assert first.counterparty_name == name
    assert first.remittance == remittance
    assert first.currency == currency == st.currency
    assert first.booking_date == dt.date(2024, 1, 3)


def test_generic_fields_in_detail():
    [en] = csvfile.read(GENERIC_FILES["en"][0].encode(), "en.csv")
    assert en.lines[0].counterparty_account == "GB33BUKB20201555555555"
    assert [ln.transaction_id for ln in en.lines] == ["T-1", "T-2", "T-3"]
    [de] = csvfile.read(GENERIC_FILES["de"][0].encode("cp1252"), "de.csv")
    assert de.lines[0].value_date == dt.date(2024, 1, 4)
    assert de.lines[2].counterparty_name == "Bäckerei Groß"
    [nl] = csvfile.read(GENERIC_FILES["nl"][0].encode(), "nl.csv")
    assert nl.account == "NL20INGB0001234567"  # "Rekening" is the own account
    assert nl.lines[0].counterparty_account == "NL91ABNA0417164300"
    assert nl.lines[0].booking_date == dt.date(2024, 1, 3)  # 20240103


def test_generic_dates_us_order_told_by_a_day_above_12():
    data = b"Date,Amount,Description\n01/02/2024,1.00,a\n01/13/2024,2.00,b\n"
    [st] = csvfile.read(data, "us.csv")
    assert [ln.booking_date for ln in st.lines] == [dt.date(2024, 1, 2), dt.date(2024, 1, 13)]
    data = b"Date,Amount,Description\n01/02/2024,1.00,a\n13/01/2024,2.00,b\n"
    [st] = csvfile.read(data, "eu.csv")
    assert [ln.booking_date for ln in st.lines] == [dt.date(2024, 2, 1), dt.date(2024, 1, 13)]


def test_generic_valuta_column_of_dates_is_the_value_date():
    data = b"Datum;Valuta;Bedrag;Omschrijving\n03-01-2024;05-01-2024;12,50;x\n"
    [st] = csvfile.read(data, "v.csv")
    assert st.lines[0].value_date == dt.date(2024, 1, 5) and st.lines[0].currency == ""
    data = b"Datum;Valuta;Bedrag;Omschrijving\n03-01-2024;EUR;12,50;x\n"
    assert csvfile.read(data, "v.csv")[0].currency == "EUR"


def test_file_without_currency_leaves_it_to_the_journal_or_the_option():
    data = b"Date,Amount\n2024-01-03,12.5\n"
    assert csvfile.read(data, "n.csv")[0].lines[0].currency == ""
    line = csvfile.read(data, "n.csv", currency="chf")[0].lines[0]
    assert (line.currency, line.amount) == ("CHF", D("12.50"))


def test_header_only_gives_an_empty_statement():
    [st] = csvfile.read(b"Date,Amount,Description\n", "h.csv")
    assert st.lines == [] and st.total == 0


# -- encodings ------------------------------------------------------------------------------


def test_utf8_bom_is_not_part_of_the_first_header():
    data = "Datum;Betrag;Empfänger\n03.01.2024;-5,00;Jürgen Groß\n".encode("utf-8-sig")
    assert detect_encoding(data, BANK_CODE_PAGES) == "utf-8-sig"
    [st] = csvfile.read(data, "bom.csv")
    assert st.lines[0].counterparty_name == "Jürgen Groß"


def test_utf16_with_bom():
    data = "Datum\tBetrag\tEmpfänger\n03.01.2024\t-5,00\tJürgen\n".encode("utf-16")
    [st] = csvfile.read(data, "u16.csv")
    assert (st.lines[0].amount, st.lines[0].counterparty_name) == (D("-5.00"), "Jürgen")


@pytest.mark.parametrize(
    ("names", "encoding"),
    [
        (["Müller & Söhne", "Crédit à la Société Générale", "Bäckerei Groß £"], "cp1252"),
        (["Zażółć gęślą jaźń", "Łódź Śródmieście", "Przedsiębiorstwo Żywność"], "cp1250"),
        (["Příliš žluťoučký kůň", "Účet č. 1234 Řeháček", "Dvořák a syn"], "cp1250"),
    ],
)
def test_eight_bit_code_pages_are_told_apart(names, encoding):
    text = "Datum;Betrag;Name\n" + "".join(
        f"0{i + 1}.02.2024;-1,00;{n}\n" for i, n in enumerate(names)
    )
    data = text.encode(encoding)
    assert detect_encoding(data, BANK_CODE_PAGES) == encoding
    [st] = csvfile.read(data, "cp.csv")
    assert [ln.counterparty_name for ln in st.lines] == names


def test_named_encoding_that_cannot_decode_names_line_and_byte(tmp_path):
    prof = tmp_path / "p.toml"
    prof.write_text(
        '[format]\nencoding = "utf-8"\n[columns]\nbooking_date = "Datum"\namount = "Betrag"\n',
        encoding="utf-8",
    )
    data = "Datum;Betrag\n01.02.2024;1,00\n02.02.2024;2,00 Gebühr\n".encode("cp1252")
    with pytest.raises(
        BankFileError,
        match=r"^w\.csv: line 3: encoding: byte 0xfc is not UTF-8 text; "
        r"check the profile's encoding$",
    ):
        csvfile.read(data, "w.csv", profile=str(prof))


def test_mixed_utf8_and_cp1252_is_refused():
    data = (
        "Datum;Betrag;Name\n01.02.2024;1,00;Müller\n".encode()
        + "02.02.2024;2,00;Müller\n".encode("cp1252")
    )
    with pytest.raises(BankFileError, match=r"^m\.csv: line 3: encoding: byte 0xfc is not UTF-8"):
        csvfile.read(data, "m.csv")


def test_nul_bytes_are_not_text():
    with pytest.raises(BankFileError, match=r"^b\.csv: line 2: NUL character: binary data"):
        csvfile.read(b"Date,Amount\n2024-01-01,\x001.00\n", "b.csv")


# -- bad files: one line naming file, line and field ------------------------------------------

BAD = [
    (
        b"Date,Amount,Description\n2024-01-03,1.00,a\n2024-02-30,2.00,b\n",
        r"^bad\.csv: line 3: booking_date \(column 'Date'\): '2024-02-30' is not a date "
        r"\(expected %Y-%m-%d\)$",
    ),
    (
        b"Date,Amount,Description\n2024-01-03,1.00,a\n2024-01-04,12x,b\n",
        r"^bad\.csv: line 3: amount \(column 'Amount'\): '12x' is not an amount$",
    ),
    (
        b"Datum;Bedrag\n03-01-2024;1,00\n03-01-2024;-2,50\n04-01-2024;12.34\n",  # "." in a "," file
        r"^bad\.csv: line 4: amount \(column 'Bedrag'\): '12.34' is not an amount "
        r"\(decimal ',', thousands '\.' or \"'\" or '’'\)$",
    ),
    (
        b"Date,Amount,Currency\n2024-01-03,1.005,EUR\n",
        r"^bad\.csv: line 2: amount \(column 'Amount'\): 1\.005 has more decimals than EUR allows$",
    ),
    (
        b"Date,Amount,Currency\n2024-01-03,1.00,EURO\n",
        r"^bad\.csv: line 2: currency \(column 'Currency'\): 'EURO' is not a 3-letter currency",
    ),
    (
        b"Date,Amount,Description\n2024-01-03,,x\n",
        r"^bad\.csv: line 2: amount \(column 'Amount'\): missing \(empty: Amount\)$",
    ),
    (
        b"Date,Amount,Description\n,5.00,x\n",
        r"^bad\.csv: line 2: booking_date \(column 'Date'\): missing$",
    ),
    (
        b"Datum;Bedrag;Af Bij\n03-01-2024;1,00;Bij\n04-01-2024;2,00;Maybe\n",
        r"^bad\.csv: line 3: direction \(column 'Af Bij'\): 'maybe' is neither a debit marker",
    ),
    (
        b"When,How much\n2024-01-03,1.00\n",
        r"^bad\.csv: no header row found: no column for booking_date, amount "
        r"\(found: When, How much\); name a profile with --profile "
        r"\(draft one with: payctl profile draft bad\.csv\)$",
    ),
    (
        b"Date,Comment\n2024-01-03,1.00\n",
        r"^bad\.csv: no header row found: no column for amount \(found: Date, Comment; "
        r"understood: booking_date='Date'\)",
    ),
    (b"   \n\n", r"^bad\.csv: the file is empty$"),
    (
        b'Date,Amount\n2024-01-03,"1.00\n',
        r"^bad\.csv: line 2: a quoted field opened here is "
        r"not closed within 1 line\(s\)",
    ),
    (
        b'Date,Amount,Text\n2024-01-03,1.00,"Rent\n2024-01-04,2.00,"Food"\n',
        r"^bad\.csv: line 2: a quoted field opened here is not closed within 2 line\(s\) "
        r"\(truncated file or stray quote\?\)$",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_file_is_one_line_naming_file_line_and_field(data, message):
    with pytest.raises(BankFileError, match=message) as info:
        csvfile.read(data, "bad.csv")
    assert "\n" not in info.value.message.replace("\\n", "")


def test_profile_that_does_not_fit_names_the_missing_columns():
    data = (SAMPLES / "csv" / "bunq-nl_2019.csv").read_bytes()
    with pytest.raises(
        BankFileError,
        match=r"^bunq\.csv: profile kbc: no column for "
        r"booking_date \('Datum'\)",
    ) as info:
        csvfile.read(data, "bunq.csv", profile="kbc")
    # kbc says ";": the comma-separated header is one column, and the message says so
    assert info.value.message.endswith("; one column only: is the delimiter right?)")


# -- sniff ----------------------------------------------------------------------------------


def test_sniff_claims_the_csv_samples_and_nothing_else():
    for path in sorted(SAMPLES.rglob("*")):
        if path.is_file() and path.name != "PROVENANCE.md":
            claimed = csvfile.sniff(path.read_bytes()[:8192])
            assert claimed == (path.parent.name == "csv"), path.name


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"hello world\n",
        b"<?xml version='1.0'?><Document/>",
        b'{"booking_date": 1}\n',
        b":20:STARTUMS\n:25:12345678/0\n:28C:00001/001\n:60F:C240101EUR1,00\n",
        b"OFXHEADER:100\nDATA:OFXSGML\n",
        b"PK\x03\x04\x14\x00xl/workbook.xml",
        b"a,b\x00c\n",
    ],
)
def test_sniff_refuses_what_is_not_a_table(head):
    assert not csvfile.sniff(head)


def test_sniff_accepts_a_table_cut_mid_line():
    assert csvfile.sniff(b"Datum;Bedrag;Naam\n01-01-2024;1,00;a\n02-01-2024;2,00;b\n03-01-20")


# -- fuzz: random input raises only BankFileError ----------------------------------------------


def _read_or_refuse(data: bytes) -> None:
    try:
        statements = csvfile.read(data, "fuzz.csv")
    except BankFileError as exc:
        assert exc.message.startswith("fuzz.csv") and "\n" not in exc.message.strip()
        return
    for st in statements:
        assert all(isinstance(ln.amount, Decimal) for ln in st.lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strat.text(max_size=400))
def test_fuzz_random_text(text):
    _read_or_refuse(text.encode("utf-8", errors="surrogatepass"))


@settings(max_examples=200, deadline=None)
@given(strat.binary(max_size=400))
def test_fuzz_random_bytes(data):
    _read_or_refuse(data)


CELL = strat.one_of(
    strat.text(alphabet="0123456789.,-+'$€ ()/:DRCabcEURT\"\n;", max_size=14),
    strat.sampled_from(
        [
            "2024-01-03",
            "03.01.2024",
            "1.234,56",
            "-12.50",
            "",
            "EUR",
            "Balance",
            "(5.00)",
            "12,50-",
            "Af",
            "Bij",
            "31/12/99",
        ]
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=strat.sampled_from(
        [
            "Date,Amount,Currency,Description",
            "Buchungstag;Betrag;Währung;Verwendungszweck",
            "Datum;Bedrag;Af Bij;Omschrijving",
            "Date;Débit;Crédit;Libellé",
        ]
    ),
    rows=strat.lists(strat.lists(CELL, min_size=0, max_size=6), max_size=8),
)
def test_fuzz_rows_under_a_real_header(header, rows):
    delimiter = ";" if ";" in header else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header.split(delimiter))
    writer.writerows(rows)
    _read_or_refuse(out.getvalue().encode("utf-8"))


# -- speed: a generated 100,000-line CSV (not committed) ------------------------------------


def _generated_csv(n: int) -> tuple[bytes, Decimal]:
    rng = random.Random(5)
    out = ["Buchungstag;Wertstellung;Empfänger;IBAN;Verwendungszweck;Betrag;Währung"]
    total = D(0)
    for i in range(n):
        day = f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2025"
        cents = rng.randint(-500_000, 500_000)
        total += D(cents).scaleb(-2)
        euros = f"{abs(cents) // 100:,}".replace(",", ".")
        amount = f"{'-' if cents < 0 else ''}{euros},{abs(cents) % 100:02d}"
        out.append(
            f'{day};{day};"Kunde {i % 3000} GmbH";DE8937040044053201{i % 10000:04d};'
            f'"Rechnung RE-2025-{i:06d} Danke";{amount};EUR'
        )
    return ("\n".join(out) + "\n").encode("cp1252"), total


@pytest.mark.slow
def test_100k_lines_parse_fast(capsys):
    data, total = _generated_csv(100_000)
    start, cpu = time.perf_counter(), time.process_time()
    [st] = csvfile.read(data, "big.csv")
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert len(st.lines) == 100_000 and st.total == total
    assert st.lines[-1].remittance == "Rechnung RE-2025-099999 Danke"
    with capsys.disabled():
        print(
            f"\n100,000-line CSV: {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"{100_000 / cpu:,.0f} lines/s (CPU)"
        )
    assert cpu < 10, "parsing 100,000 lines should take ~1-2 s of CPU"

"""The generic reading of bank tables nobody wrote a profile for (issue 10, point 8): header
names in many languages, preambles, continuation rows, amounts written as text, direction
flags, money-in/money-out columns, rows that are not transactions, encodings, and the refusals
naming what was found. One small file written for each case."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal

import pytest

from payctl.importers import csvfile, draft, mt940
from payctl.importers.bank import BankFileError
from payctl.importers.profiles import ProfileError, profile_from_mapping
from tests.samples import GENERIC_SAMPLES

D = Decimal


def read(text: str, encoding: str = "utf-8", name: str = "x.csv"):
    [st] = csvfile.read(text.encode(encoding), name)
    return st


# -- header names in many languages ----------------------------------------------------------

# language: (file, encoding, amounts, counterparty of line 1, remittance of line 1)
LANGUAGES = {
    "pl": (
        "Data księgowania;Data waluty;Nadawca / Odbiorca;Rachunek kontrahenta;Tytuł;Kwota;"
        "Waluta;Saldo po operacji\n"
        "03.01.2024;03.01.2024;Łukasz Żółć;PL61109010140000071219812874;Faktura 1/2024;"
        "1 230,00;PLN;5 230,00\n"
        "04.01.2024;04.01.2024;Orlen;;Paliwo;-210,55;PLN;5 019,45\n",
        "cp1250",
        [D("1230.00"), D("-210.55")],
        "Łukasz Żółć",
        "Faktura 1/2024",
    ),
    "cs": (
        "Datum zaúčtování;Částka;Měna;Protiúčet;Název protiúčtu;VS;Zpráva pro příjemce\n"
        "03.01.2024;1500,00;CZK;123456789/0800;Jiří Dvořák;2024001;Záloha\n"
        "04.01.2024;-99,90;CZK;;Albert;;Nákup\n",
        "cp1250",
        [D("1500.00"), D("-99.90")],
        "Jiří Dvořák",
        "Záloha",
    ),
    "sk": (
        "Dátum zaúčtovania;Suma;Mena;Názov protiúčtu;Popis transakcie\n"
        "03.01.2024;250,00;EUR;Ľubomír Šťastný;Platba faktúry\n"
        "04.01.2024;-12,00;EUR;Slovnaft;Palivo\n",
        "cp1250",
        [D("250.00"), D("-12.00")],
        "Ľubomír Šťastný",
        "Platba faktúry",
    ),
    "hu": (
        "Könyvelés dátuma;Összeg;Pénznem;Partner neve;Közlemény\n"
        "2024.01.03.;150 000;HUF;Kovács Ödön;Számla 2024/1\n"
        "2024.01.04.;-4 990;HUF;Tesco;Vásárlás\n",
        "cp1250",
        [D("150000"), D("-4990")],
        "Kovács Ödön",
        "Számla 2024/1",
    ),
    "ro": (
        "Data tranzactiei;Descriere;Beneficiar;Suma;Moneda\n"
        "03.01.2024;Plata factura;Ștefan Ionescu;1.000,00;RON\n"
        "04.01.2024;Cumparaturi;Kaufland;-150,25;RON\n",
        "utf-8",
        [D("1000.00"), D("-150.25")],
        "Ștefan Ionescu",
        "Plata factura",
    ),
    "hr": (
        "Datum knjiženja;Datum valute;Primatelj/Platitelj;Opis plaćanja;Iznos;Valuta\n"
        "03.01.2024;03.01.2024;Đuro Čačić;Račun 1-2024;500,00;EUR\n"
        "04.01.2024;04.01.2024;Konzum;Kupnja;-23,40;EUR\n",
        "cp1250",
        [D("500.00"), D("-23.40")],
        "Đuro Čačić",
        "Račun 1-2024",
    ),
    "sl": (
        "Datum knjižbe;Prejemnik/Plačnik;Namen;Znesek;Valuta\n"
        "03.01.2024;Janez Novak;Plačilo računa;320,00;EUR\n"
        "04.01.2024;Mercator;Nakup;-18,20;EUR\n",
        "cp1250",
        [D("320.00"), D("-18.20")],
        "Janez Novak",
        "Plačilo računa",
    ),
    "sv": (
        "Bokföringsdatum;Valutadag;Text;Belopp;Saldo\n"
        "2024-01-03;2024-01-03;Lön januari;25 000,00;30 000,00\n"
        "2024-01-04;2024-01-04;ICA Kvantum;-452,50;29 547,50\n",
        "cp1252",
        [D("25000.00"), D("-452.50")],
        None,
        "Lön januari",
    ),
    "da": (
        "Dato;Tekst;Beløb;Saldo\n"
        "03.01.2024;Overførsel fra Søren;1.250,00;3.250,00\n"
        "04.01.2024;Netto Østerbro;-89,95;3.160,05\n",
        "cp1252",
        [D("1250.00"), D("-89.95")],
        None,
        "Overførsel fra Søren",
    ),
    "no": (
        "Bokført dato;Beskrivelse;Ut fra konto;Inn på konto\n"
        "03.01.2024;Lønn;;32 000,00\n"
        "04.01.2024;Rema 1000;245,30;\n",
        "cp1252",
        [D("32000.00"), D("-245.30")],
        None,
        "Lønn",
    ),
    "fi": (
        "Kirjauspäivä;Arvopäivä;Määrä;Saaja/Maksaja;Selitys;Viite\n"
        "03.01.2024;03.01.2024;+1 200,00;Äänekosken Oy;TILISIIRTO;12345\n"
        "04.01.2024;04.01.2024;-35,00;K-Market;KORTTIOSTO;\n",
        "cp1252",
        [D("1200.00"), D("-35.00")],
        "Äänekosken Oy",
        "TILISIIRTO",
    ),
    "es": (
        "Fecha operación;Fecha valor;Concepto;Importe;Divisa\n"
        "03/01/2024;03/01/2024;Transferencia de José Muñoz;1.500,00;EUR\n"
        "04/01/2024;04/01/2024;Compra Mercadona;-45,60;EUR\n",
        "cp1252",
        [D("1500.00"), D("-45.60")],
        None,
        "Transferencia de José Muñoz",
    ),
    "pt": (
        "Data movimento;Data valor;Descrição;Montante;Moeda\n"
        "03-01-2024;03-01-2024;Transferência João;800,00;EUR\n"
        "04-01-2024;04-01-2024;Pingo Doce;-32,10;EUR\n",
        "cp1252",
        [D("800.00"), D("-32.10")],
        None,
        "Transferência João",
    ),
    "ca": (
        "Data operació;Concepte;Import;Moneda\n"
        "03/01/2024;Transferència Jordi;600,00;EUR\n"
        "04/01/2024;Bon Preu;-27,80;EUR\n",
        "utf-8",
        [D("600.00"), D("-27.80")],
        None,
        "Transferència Jordi",
    ),
    "it": (
        "Data contabile;Data valuta;Descrizione;Importo;Divisa\n"
        "03/01/2024;03/01/2024;Bonifico da Niccolò;2.000,00;EUR\n"
        "04/01/2024;04/01/2024;Pagamento POS Esselunga;-56,70;EUR\n",
        "cp1252",
        [D("2000.00"), D("-56.70")],
        None,
        "Bonifico da Niccolò",
    ),
}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_header_names_in_many_languages(lang):
    text, encoding, amounts, name, remittance = LANGUAGES[lang]
    data = text.encode(encoding)
    assert csvfile.detect_profile(data, f"{lang}.csv").name == "generic"
    [st] = csvfile.read(data, f"{lang}.csv")
    assert [ln.amount for ln in st.lines] == amounts
    assert st.lines[0].booking_date == dt.date(2024, 1, 3)
    assert st.lines[0].counterparty_name == name
    assert st.lines[0].remittance == remittance


def test_the_english_names_of_a_booking_date():
    # posting date is the booking, transaction date is not (a card's purchase day)
    st = read("Transaction Date,Posting Date,Description,Amount\n2024-01-02,2024-01-03,x,-5.00\n")
    assert st.lines[0].booking_date == dt.date(2024, 1, 3)
    st = read("Date Posted,Value Date,Details,Amount\n2024-01-03,2024-01-05,x,-5.00\n")
    assert (st.lines[0].booking_date, st.lines[0].value_date) == (
        dt.date(2024, 1, 3),
        dt.date(2024, 1, 5),
    )
    st = read("Value Date;Booking Date;Amount\n05.01.2024;03.01.2024;1,00\n")
    assert (st.lines[0].booking_date, st.lines[0].value_date) == (
        dt.date(2024, 1, 3),
        dt.date(2024, 1, 5),
    )


# -- layout ----------------------------------------------------------------------------------


def test_preamble_of_account_balances_and_a_title_before_the_header():
    st = read(
        "Wyciąg z rachunku\n"
        "Numer rachunku;PL61109010140000071219812874\n"
        "Saldo początkowe;1 000,00 PLN\n"
        "Okres;01.01.2024 - 31.01.2024\n"
        "\n"
        "Data operacji;Opis operacji;Kwota\n"
        "03.01.2024;Przelew;-100,00\n",
        "cp1250",
    )
    assert [(ln.line_no, ln.amount) for ln in st.lines] == [(7, D("-100.00"))]


def test_continuation_rows_carry_more_description_of_the_line_above():
    st = read(
        "Date;Description;Amount;Balance\n"
        "03.01.2024;SEPA transfer ACME GmbH;100,00;1.100,00\n"
        ";Invoice 2024-001;;\n"
        ";EREF: 4711;;\n"
        "04.01.2024;Card payment;-5,00;1.095,00\n"
    )
    assert [ln.remittance for ln in st.lines] == [
        "SEPA transfer ACME GmbH Invoice 2024-001 EREF: 4711",
        "Card payment",
    ]
    assert (st.opening_balance, st.closing_balance) == (D("1000.00"), D("1095.00"))


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ('"1.234,56"', "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1.234,56-", "-1234.56"),
        ("+1.234,56", "1234.56"),
        ("-1.234,56 EUR", "-1234.56"),
        ("EUR -1.234,56", "-1234.56"),
        ("€ 1.234,56", "1234.56"),
        ("1 234,56 zł", "1234.56"),
        ("-1 234,56 Kč", "-1234.56"),
        ("1.234,56 kr", "1234.56"),
        ("(1.234,56)", "-1234.56"),
        ("1.234,56 DR", "-1234.56"),
    ],
)
def test_amounts_written_as_text_decimal_comma(written, value):
    st = read(f"Datum;Betrag\n03.01.2024;{written}\n04.01.2024;-0,50\n")
    assert st.lines[0].amount == D(value)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ('"1,234.56"', "1234.56"),
        ("1'234.56", "1234.56"),
        ("1’234.56", "1234.56"),
        ("$1,234.56", "1234.56"),
        ("-£1,234.56", "-1234.56"),
        ("1,234.56 CR", "1234.56"),
        ("USD 1,234.56-", "-1234.56"),
    ],
)
def test_amounts_written_as_text_decimal_point(written, value):
    st = read(f"Date\tAmount\n2024-01-03\t{written}\n2024-01-04\t-0.50\n")
    assert st.lines[0].amount == D(value)


@pytest.mark.parametrize(
    ("header", "out", "into"),
    [
        ("CR/DR", "DR", "CR"),
        ("D/C", "D", "C"),
        ("S/H", "S", "H"),
        ("Soll/Haben", "Soll", "Haben"),
        ("Debet/Kredit", "Debet", "Kredit"),
        ("Cargo/Abono", "Cargo", "Abono"),
        ("Entrada/Salida", "Salida", "Entrada"),
        ("Dare/Avere", "Dare", "Avere"),
        ("T/J", "T", "J"),
        ("Wn/Ma", "Wn", "Ma"),
    ],
)
def test_direction_flag_column(header, out, into):
    st = read(f"Date;Amount;{header}\n03.01.2024;12,50;{out}\n04.01.2024;7,00;{into}\n")
    assert [ln.amount for ln in st.lines] == [D("-12.50"), D("7.00")]


def test_unknown_direction_flag_names_the_markers():
    with pytest.raises(BankFileError, match=r"line 2: direction .*'x' is neither"):
        read("Date;Amount;D/C\n03.01.2024;12,50;X\n")


@pytest.mark.parametrize(
    ("header", "rows"),
    [
        ("Date;Details;Paid out;Paid in", ["03.01.2024;a;12,50;", "04.01.2024;b;;7,00"]),
        ("Data;Opis;Wydatki;Wpływy", ["03.01.2024;a;12,50;", "04.01.2024;b;;7,00"]),
        ("Bokföringsdatum;Text;Uttag;Insättning", ["2024-01-03;a;-12,50;", "2024-01-04;b;;7,00"]),
        ("Fecha;Concepto;Cargo;Abono", ["03/01/2024;a;12,50;", "04/01/2024;b;;7,00"]),
    ],
)
def test_money_in_and_money_out_columns(header, rows):
    st = read("\n".join([header, *rows]) + "\n")
    assert [ln.amount for ln in st.lines] == [D("-12.50"), D("7.00")]


def test_rows_that_are_not_transactions_are_left_out():
    st = read(
        "Completed Date,Description,Amount,Currency,State,Balance\n"
        "2024-01-03,Salary,1000.00,EUR,COMPLETED,1000.00\n"
        ",Coffee,-3.20,EUR,PENDING,\n"
        "2024-01-04,Refund,5.00,EUR,DECLINED,\n"
        "Pending,Groceries,-20.00,EUR,,\n"
        "2024-01-05,Rent,-500.00,EUR,COMPLETED,500.00\n"
        ",Closing balance,,,,500.00\n"
        "Total,,505.00,,,\n"
    )
    assert [ln.remittance for ln in st.lines] == ["Salary", "Rent"]
    st = read(
        "Data operacji;Opis;Kwota;Status\n"
        "03.01.2024;Przelew;100,00;Zaksięgowana\n"
        "04.01.2024;Karta;-9,99;Oczekująca\n"
        "31.01.2024;Saldo końcowe;;\n",
        "cp1250",
    )
    assert [ln.amount for ln in st.lines] == [D("100.00")]


def test_a_date_that_is_no_date_still_fails_when_nothing_says_why():
    with pytest.raises(BankFileError, match=r"line 3: booking_date .*'soon'"):
        read("Date,Amount\n2024-01-03,1.00\nsoon,2.00\n")


# -- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "Łukasz Żółć"),
        ("utf-8-sig", "Łukasz Żółć"),
        ("cp1250", "Łukasz Żółć"),
        ("cp1252", "François Müller"),
        ("latin-1", "François Müller"),
        ("utf-8-sig", "François Müller"),
    ],
)
def test_encodings_are_detected(encoding, name):
    st = read(f"Date;Name;Amount\n03.01.2024;{name};1,00\n", encoding)
    assert st.lines[0].counterparty_name == name


def test_cp1257_is_told_by_the_header_words_it_reads():
    data = "Data;Gavėjas;Paaiškinimai;Suma\n2024-01-03;Žilvinas Šimkus;Už sąskaitą;1,00\n"
    [st] = csvfile.read(data.encode("cp1257"), "lt.csv")
    assert st.lines[0].counterparty_name == "Žilvinas Šimkus"
    assert st.lines[0].remittance == "Už sąskaitą"


def test_an_encoding_the_detection_cannot_tell_is_named_in_a_profile():
    # an English header reads the same in every code page: the profile names cp1257
    data = "Date;Name;Amount\n2024-01-03;Žilvinas Šimkus;1,00\n".encode("cp1257")
    [st] = csvfile.read(data, "lt.csv")
    assert st.lines[0].counterparty_name != "Žilvinas Šimkus"  # read as cp1252 letters
    prof = profile_from_mapping(
        {
            "format": {"encoding": "cp1257"},
            "columns": {"booking_date": "Date", "amount": "Amount", "counterparty_name": "Name"},
        },
        "lt",
    )
    [st] = csvfile.read(data, "lt.csv", profile=prof)
    assert st.lines[0].counterparty_name == "Žilvinas Šimkus"


# -- refusals that name what was found, and the draft ----------------------------------------

CARD = (
    "Kartenumsätze\n"
    "Datum;Karte;Beschreibung;Betrag\n"
    "03.01.2024;**** 1234;Amazon;12,50\n"
    "04.01.2024;**** 1234;Tankstelle;45,10\n"
)


def test_card_export_of_positive_amounts_is_refused_naming_what_was_found():
    with pytest.raises(ProfileError) as info:
        read(CARD, name="card.csv")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("card.csv: cannot tell the sign of the amounts")
    assert "found: Datum, Karte, Beschreibung, Betrag" in message
    assert "understood: booking_date='Datum', amount='Betrag', remittance='Beschreibung'" in message
    assert "payctl profile draft card.csv" in message
    # with a sign on some amount, or a direction column, it is no longer a guess
    assert read(CARD.replace("45,10", "-45,10")).total == D("-32.60")


def test_no_date_column_is_refused_naming_what_was_found():
    with pytest.raises(ProfileError) as info:
        read("Tag;Opis;Kwota\n03.01.2024;x;1,00\n", name="nodate.csv")
    assert str(info.value) == (
        "nodate.csv: no header row found: no column for booking_date (found: Tag, Opis, Kwota; "
        "understood: amount='Kwota', remittance='Opis'); name a profile with --profile "
        "(draft one with: payctl profile draft nodate.csv)"
    )


def _filled(text: str, **values: str) -> dict:
    for key, value in values.items():
        text = "\n".join(
            f'{key} = "{value}"' + line[line.index("   #") :]
            if line.startswith(f"{key} = ")
            else line
            for line in text.splitlines()
        )
    return tomllib.loads(text)


def test_draft_of_a_card_export_imports_once_the_sign_is_chosen():
    text = draft.draft(CARD.encode(), "card.csv")
    assert 'booking_date = "Datum"' in text and 'amount = "Betrag"' in text
    assert "header_row = 2" in text and 'decimal = ","' in text
    assert 'sign = "as-is"   # CHECK (the sample amounts are all positive)' in text
    prof = profile_from_mapping(_filled(text, sign="negate"), "mybank.toml")
    [st] = csvfile.read(CARD.encode(), "card.csv", profile=prof)
    assert [ln.amount for ln in st.lines] == [D("-12.50"), D("-45.10")]


def test_draft_without_a_date_column_marks_it_to_fill_in():
    data = b"Tag;Opis;Kwota;Kod\n03.01.2024;x;-1,00;A\n04.01.2024;y;2,00;B\n"
    text = draft.draft(data, "nodate.csv")
    assert 'booking_date = "?"   # FILL IN' in text
    assert '#   "Tag" (sample: "03.01.2024"): looks like a date' in text
    assert 'date_formats = ["%d.%m.%Y"]' in text
    with pytest.raises(ProfileError, match=r"no column for booking_date \('\?'\)"):
        csvfile.read(data, "nodate.csv", profile=profile_from_mapping(tomllib.loads(text), "d"))
    prof = profile_from_mapping(_filled(text, booking_date="Tag"), "mybank.toml")
    [st] = csvfile.read(data, "nodate.csv", profile=prof)
    assert [ln.amount for ln in st.lines] == [D("-1.00"), D("2.00")]


def test_draft_of_a_direction_column_lists_markers_it_cannot_place():
    data = b"Date;Amount;D/C;Text\n03.01.2024;1,00;Out;a\n04.01.2024;2,00;Zz;b\n"
    text = draft.draft(data, "dc.csv")
    assert 'debit_markers = ["Out"]' in text
    assert '# FILL IN: put each of "Zz" in debit_markers or credit_markers' in text


# -- MT940 -----------------------------------------------------------------------------------

MT940 = (
    ":20:STMT-2024-01\n:25:PL61109010140000071219812874\n:28C:1/1\n"
    ":60F:C2401011000,\n00\n"
    ":61:2401020102D12,50NTRFNONREF//BANKREF1\n/OCMT/PLN12,50/\n"
    ":86:Oplata za karte debetowa styczen 2024 bardzo dlugi opis ktory\n"
    " przechodzi do nastepnej linii\n"
    ":61:2401030103C250,00NTRFINV-2024-001\n"
    ":86:Wplata od klienta ACME za\nfakture INV-2024-001\n"
    ":62F:C2401031237,\n50\n-\n"
)


def test_mt940_with_wrapped_fields_and_balances_without_a_currency():
    [st] = mt940.read(MT940.encode(), "w.sta")
    assert st.currency == "" and st.currency_from_journal
    assert (st.opening_balance, st.closing_balance) == (D("1000.00"), D("1237.50"))
    assert [ln.amount for ln in st.lines] == [D("-12.50"), D("250.00")]
    assert st.lines[0].remittance == (
        "Oplata za karte debetowa styczen 2024 bardzo dlugi opis ktory przechodzi do "
        "nastepnej linii"
    )
    assert st.lines[1].remittance == "Wplata od klienta ACME za fakture INV-2024-001"
    named = MT940.replace("C2401011000,", "C240101EUR1000,").replace(
        "C2401031237,", "C240103EUR1237,"
    )
    [st] = mt940.read(named.encode(), "w.sta")
    assert st.currency == "EUR" and not st.currency_from_journal


# -- real exports of banks without a profile (tests/data/banks-generic) ----------------------


def sample(name: str) -> bytes:
    return (GENERIC_SAMPLES / name).read_bytes()


def test_every_generic_sample_is_covered():
    names = sorted(p.name for p in GENERIC_SAMPLES.iterdir() if p.name != "PROVENANCE.md")
    assert names == sorted(
        [
            "revolut-eu_2022-01_pending.csv",
            "swedbank-lt_dk-balance-rows.csv",
            "danske-lt_cp1257.csv",
        ]
    )


def test_real_revolut_export_leaves_out_pending_rows():
    data = sample("revolut-eu_2022-01_pending.csv")
    assert csvfile.detect_profile(data, "r.csv").name == "generic"
    [st] = csvfile.read(data, "r.csv")
    assert st.currency == "EUR" and len(st.lines) == 7  # 9 rows, 2 PENDING
    assert "www.pending.com" not in {ln.remittance for ln in st.lines}
    assert st.lines[2].booking_date == dt.date(2022, 1, 7)  # Completed, not Started
    assert st.total == D("86.56")


def test_real_lithuanian_export_with_a_dk_flag_and_balance_rows():
    [st] = csvfile.read(sample("swedbank-lt_dk-balance-rows.csv"), "s.csv")
    assert (st.account, st.currency) == ("LT797300010XXXXXXXXX", "LTL")
    assert [ln.amount for ln in st.lines] == [
        D("-14.34"),
        D("-215.00"),
        D("-12.20"),
        D("1600.00"),
        D("-300.00"),
    ]
    assert st.lines[3].counterparty_name == "Company"
    assert st.lines[3].transaction_id == "2012011000673562"


def test_real_cp1257_export_is_refused_then_read_with_a_finished_draft():
    data = sample("danske-lt_cp1257.csv")
    with pytest.raises(BankFileError, match=r"^d\.csv: line 2: booking_date .*'2012:03:01'"):
        csvfile.read(data, "d.csv")
    text = draft.draft(data, "d.csv")
    assert 'date_formats = ["?"]   # FILL IN' in text
    assert '#   "MemoConv" (sample: "-7.8")' in text  # the amounts, shifted under MemoConv
    data_toml = tomllib.loads(text)
    data_toml["format"] |= {"encoding": "cp1257", "date_formats": ["%Y:%m:%d"]}
    data_toml["columns"] |= {"amount": "MemoConv", "counterparty_name": "City"}
    data_toml["columns"]["remittance"] = ["Country", "Memo"]
    data_toml["defaults"] = {"currency": "LTL"}
    prof = profile_from_mapping(data_toml, "danske.toml")
    [st] = csvfile.read(data, "d.csv", profile=prof)
    assert st.currency == "LTL" and len(st.lines) == 4
    assert st.lines[0].amount == D("-7.80") and st.lines[2].amount == D("-0.46")
    assert st.lines[0].counterparty_name.startswith("Paslaugų ir komisinių pajamos")


def test_dated_balance_rows_with_amounts_are_not_lines_but_shop_names_are():
    rows = ["Date;Description;Amount"]
    rows.append("01.01.2024;Opening balance;1000,00")
    rows += [f"02.01.2024;Total Station {i};-1,00" for i in range(250)]
    rows.append("31.01.2024;Closing balance;750,00")
    st = read("\n".join(rows) + "\n")
    assert len(st.lines) == 250 and st.total == D("-250.00")
    # past the sampled rows, without one in the sample: the trailing one is still dropped
    st = read("\n".join(rows[:1] + rows[2:]) + "\n")
    assert len(st.lines) == 250 and st.lines[-1].remittance == "Total Station 249"


def test_draft_of_an_excel_export_names_the_sheet_the_header_row_and_rows_to_leave_out():
    from tests.samples import BANK_SAMPLES

    data = (BANK_SAMPLES / "xlsx" / "fr-bank_metadata-header.xlsx").read_bytes()
    text = draft.draft(data, "fr.xlsx")
    assert "header_row = 5   # the row of the header" in text
    assert 'date_formats = ["%d/%m/%y"]' in text
    assert '# CHECK: "Balance at start of period" in the date column is no date' in text
    parsed = tomllib.loads(text)
    assert parsed["columns"]["debit"] == "Debit" and parsed["format"]["sheet"]


def test_hash_prefixed_headers_below_a_summary_preamble():
    # mBank (PL) style: "#" before every header name, a currency/totals block above the header,
    # amounts with the currency, a description over two lines inside quotes
    st = read(
        "mBank S.A. Bankowość Detaliczna;\r\n\r\n"
        "#Waluta;#Wpływy;#Wydatki;\r\n"
        "PLN;50,00;-132,72;\r\n\r\n"
        "#Data operacji;#Opis operacji;#Rachunek;#Kategoria;#Kwota;\r\n"
        '2026-09-18;"LIDL ZAKUP PRZY UŻYCIU KARTY";"Moje konto";"Żywność";-118,72 PLN;;\r\n'
        '2026-09-19;"Skycash WWW.SKYCASH.COM\r\n     BLIK ZAKUP";"Moje konto";"Przejazdy";'
        "-14,00 PLN;;\r\n"
        '2026-09-20;"PRZELEW PRZYCHODZĄCY";"Moje konto";"Wpływy";50,00 PLN;;\r\n'
    )
    assert [ln.amount for ln in st.lines] == [D("-118.72"), D("-14.00"), D("50.00")]
    assert [ln.line_no for ln in st.lines] == [7, 8, 10]
    assert st.lines[1].remittance == "Skycash WWW.SKYCASH.COM BLIK ZAKUP"


def test_excel_export_in_swedish_with_a_preamble_and_text_amounts():
    from payctl.importers import xlsx
    from tests.unit.importers.test_xlsx import workbook

    data = workbook(
        (
            "Transaktioner",
            {
                "A1": "Kontoutdrag",
                "A2": "Konto",
                "B2": "SE45 5000 0000 0583 9825 7466",
                "A4": "Bokföringsdatum",
                "B4": "Text",
                "C4": "Belopp",
                "D4": "Saldo",
                "A5": dt.date(2024, 1, 3),
                "B5": "Lön",
                "C5": "25 000,00 kr",
                "D5": 30000,
                "A6": dt.date(2024, 1, 4),
                "B6": "ICA",
                "C6": -452.5,
                "D6": 29547.5,
                "A7": "Utgående saldo",
                "D7": 29547.5,
            },
        )
    )
    [st] = xlsx.read(data, "se.xlsx")
    assert [ln.amount for ln in st.lines] == [D("25000.00"), D("-452.5")]
    assert st.closing_balance == D("29547.5")

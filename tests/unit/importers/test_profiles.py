"""Mapping profiles: built-ins, auto-selection, user TOML files, sign and number conventions."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from payctl.importers import csvfile, profiles
from payctl.importers.bank import BankFileError
from payctl.importers.profiles import (
    ProfileError,
    builtin_profiles,
    generic_profile,
    get_profile,
    load_profile_file,
)
from payctl.importers.values import (
    AmountParser,
    infer_date_formats,
    infer_decimal,
    normalise_header,
)
from tests.samples import BANK_SAMPLES

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = BANK_SAMPLES
PROFILE_DIR = ROOT / "payctl" / "importers" / "bank_profiles"
EXAMPLE = PROFILE_DIR / "example.toml"

D = Decimal
BUILTINS = {
    "adyen",
    "bunq",
    "commerzbank",
    "fr-bank-metadata",
    "gls",
    "kbc",
    "monzo",
    "paypal",
    "rabobank",
    "schwab",
    "ubs-ch-fr",
    "generic",
}


def test_builtin_profiles_load_and_have_signatures():
    found = builtin_profiles()
    assert set(found) == BUILTINS
    for name, prof in found.items():
        assert prof.name == name
        assert prof.generic == (name == "generic")
        assert bool(prof.signature) == (name != "generic")
        assert "booking_date" in prof.columns


def test_no_builtin_signature_is_contained_in_another():
    # otherwise one layout could be taken for another; the longest signature wins ties
    sigs = {n: set(p.signature) for n, p in builtin_profiles().items() if p.signature}
    for a, sa in sigs.items():
        for b, sb in sigs.items():
            assert a == b or not sa <= sb, f"{a}'s signature is inside {b}'s"


def test_profile_files_are_package_data():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = pyproject["tool"]["setuptools"]["package-data"]["payctl.importers"]
    assert "bank_profiles/*.toml" in data
    assert sorted(p.stem for p in PROFILE_DIR.glob("*.toml")) == sorted(BUILTINS | {"example"})


def test_get_profile_by_name_path_or_none():
    assert get_profile(None) is None
    assert get_profile("KBC") is builtin_profiles()["kbc"]
    assert get_profile("generic") is generic_profile()
    assert get_profile(generic_profile()) is generic_profile()
    assert get_profile(str(EXAMPLE)).name == "example-bank"
    with pytest.raises(ProfileError, match=r"^unknown profile 'hsbc': use one of adyen, bunq, "):
        get_profile("hsbc")


def test_normalise_header():
    assert normalise_header(" Débit_Amount ") == "debit amount"
    assert normalise_header("\ufeffAuftraggeber/Empfänger") == "auftraggeber/empfanger"
    assert normalise_header("Omschrijving-1") == "omschrijving 1"
    assert normalise_header(None) == ""


# -- the example file and user profiles ----------------------------------------------------------

ING_STYLE = (
    "Datum;Naam / Omschrijving;Rekening;Tegenrekening;Code;Af Bij;Bedrag (EUR);Mutatiesoort;"
    "Mededelingen\n"
    "20240103;Bakkerij de Vries BV;NL20INGB0001234567;NL91ABNA0417164300;GT;Bij;1.234,56;"
    "Online bankieren;Factuur 2024-001\n"
    "20240104;Shell Utrecht;NL20INGB0001234567;;BA;Af;45,10;Betaalautomaat;Pasvolgnr 001\n"
    "20240131;;NL20INGB0001234567;;;Bij;0,00;Saldo januari;\n"
    "05-02-2024;ACME;NL20INGB0001234567;;GT;Af;10,00;Online bankieren;Huur\n"
)


def test_example_profile_reads_its_layout():
    [st] = csvfile.read(ING_STYLE.encode(), "ing.csv", profile=str(EXAMPLE))
    assert st.account == "NL20INGB0001234567" and st.currency == "EUR"
    # the "Saldo januari" row is left out by [ignore] Mutatiesoort = ["Saldo.*"]
    assert [ln.amount for ln in st.lines] == [D("1234.56"), D("-45.10"), D("-10.00")]
    first = st.lines[0]
    assert first.counterparty_name == "Bakkerij de Vries BV"
    assert first.counterparty_account == "NL91ABNA0417164300"
    assert first.remittance == "Factuur 2024-001 Online bankieren"
    assert st.lines[2].booking_date == dt.date(2024, 2, 5)  # second date format


def test_example_toml_documents_every_key():
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    text = EXAMPLE.read_text(encoding="utf-8")
    assert set(data["format"]) <= set(profiles._FORMAT_CONVERT)
    for key in profiles.FIELDS:  # every mapped field is shown, set or commented out
        assert f"{key} = " in text, key
    for key in profiles._FORMAT_CONVERT:
        assert f"{key} = " in text, key
    for key in (*profiles._FORMAT_CONVERT, *profiles.FIELDS, *profiles.STATEMENT_KEYS[:-1]):
        assert f"{key} = " in profiles.__doc__, key  # and in the module docstring


def write(tmp_path: Path, text: str, name: str = "mine.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


PREAMBLE_FILE = (
    "My Bank plc statement\n"
    "Account: GB29NWBK60161331926819\n"
    "Opening balance: 1,000.00\n"
    "\n"
    "Posted;Details;Paid in;Paid out;Status\n"
    "02/01/2024;Salary;2,500.00;;BOOKED\n"
    "03/01/2024;Rent;;(900.00);BOOKED\n"
    "04/01/2024;Coffee;;3.50;PENDING\n"
    "Closing balance: 2,600.00\n"
)
PREAMBLE_PROFILE = r"""
name = "mybank"
[format]
delimiter = ";"
header_row = 5
decimal = "."
thousands = ","
date_formats = ["%d/%m/%Y"]
debit_sign = "auto"
[columns]
booking_date = "Posted"
credit = "Paid in"
debit = "Paid out"
remittance = "Details"
[defaults]
currency = "gbp"
[ignore]
Status = ["pending"]
[statement]
account = '^Account:\s*(\S+)'
opening_balance = '^Opening balance:\s*(\S+)'
closing_balance = '^Closing balance:\s*(\S+)'
"""


def test_user_profile_with_preamble_trailer_ignore_and_defaults(tmp_path):
    path = write(tmp_path, PREAMBLE_PROFILE)
    [st] = csvfile.read(PREAMBLE_FILE.encode(), "my.csv", profile=path)
    assert [ln.amount for ln in st.lines] == [D("2500.00"), D("-900.00")]  # PENDING left out
    assert (st.account, st.currency) == ("GB29NWBK60161331926819", "GBP")
    assert (st.opening_balance, st.closing_balance) == (D("1000.00"), D("2600.00"))
    assert st.opening_balance + st.total == st.closing_balance
    assert [ln.line_no for ln in st.lines] == [6, 7]


def test_ignore_rule_on_a_column_that_is_not_there(tmp_path):
    path = write(tmp_path, PREAMBLE_PROFILE.replace("Status = ", "Statsu = "))
    with pytest.raises(
        ProfileError,
        match=r"^my\.csv: profile mybank: \[ignore\] names no "
        r"column of the header: 'statsu' \(found: Posted, ",
    ):
        csvfile.read(PREAMBLE_FILE.encode(), "my.csv", profile=path)


def test_skip_rows_is_header_row_plus_one(tmp_path):
    path = write(tmp_path, PREAMBLE_PROFILE.replace("header_row = 5", "skip_rows = 4"))
    assert len(csvfile.read(PREAMBLE_FILE.encode(), "my.csv", profile=path)[0].lines) == 2
    wrong = write(tmp_path, PREAMBLE_PROFILE.replace("header_row = 5", "header_row = 2"), "w.toml")
    with pytest.raises(
        ProfileError,
        match=r"^my\.csv: profile mybank: no column for "
        r"booking_date \('Posted'\), .*\(found: Account: ",
    ):
        csvfile.read(PREAMBLE_FILE.encode(), "my.csv", profile=wrong)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[columns]\namount = "A"\n', r"\[columns\] needs booking_date"),
        ('[columns]\nbooking_date = "D"\n', r"\[columns\] needs amount, or debit and credit"),
        (
            '[columns]\nbooking_date = "D"\namount = "A"\ncolour = "C"\n',
            r"unknown key 'colour' in \[columns\] \(known: ",
        ),
        ('[colums]\nbooking_date = "D"\n', r"unknown key 'colums' \(known: columns, "),
        (
            '[format]\ndecimal = ";"\n[columns]\nbooking_date = "D"\namount = "A"\n',
            r"\[format\] decimal must be one of auto, \., ,",
        ),
        (
            '[format]\nheader_row = "two"\n[columns]\nbooking_date = "D"\namount = "A"\n',
            r"\[format\] header_row must be a whole number >= 0",
        ),
        (
            '[format]\ndelimiter = ";;"\n[columns]\nbooking_date = "D"\namount = "A"\n',
            r"\[format\] delimiter must be one character",
        ),
        (
            '[columns]\nbooking_date = "D"\namount = 5\n',
            r"\[columns\] amount must be a header name",
        ),
        (
            '[columns]\nbooking_date = "D"\namount = "A"\n[statement]\naccount = "no group"\n',
            r"\[statement\] account: the expression needs exactly one \(group\)",
        ),
        (
            '[columns]\nbooking_date = "D"\namount = "A"\n[ignore]\nStatus = ["(unclosed"]\n',
            r"\[ignore\] Status: invalid regular expression",
        ),
        (
            '[columns]\nbooking_date = "D"\namount = "A"\n[defaults]\ncurrency = "euro"\n',
            r"\[defaults\] currency 'euro' is not a 3-letter currency code",
        ),
        ('[columns\nbooking_date = "D"\n', r"not valid TOML"),
    ],
)
def test_bad_profile_files_are_refused_with_the_reason(tmp_path, toml, message):
    path = write(tmp_path, toml)
    with pytest.raises(ProfileError, match=rf"^profile {path}: {message}"):
        load_profile_file(path)


def test_missing_profile_file(tmp_path):
    with pytest.raises(ProfileError, match=r"^cannot read profile .*nope\.toml: no such file$"):
        csvfile.read(b"Date,Amount\n2024-01-01,1\n", "x.csv", profile=str(tmp_path / "nope.toml"))


def test_profile_error_is_a_bank_file_error():
    assert issubclass(ProfileError, BankFileError)  # readers raise only BankFileError


def test_profile_names_an_unknown_encoding(tmp_path):
    path = write(
        tmp_path, '[format]\nencoding = "klingon"\n[columns]\nbooking_date = "D"\namount = "A"\n'
    )
    with pytest.raises(BankFileError, match=r"^x\.csv: unknown encoding 'klingon'$"):
        csvfile.read(b"D,A\n2024-01-01,1\n", "x.csv", profile=path)


# -- sign conventions ------------------------------------------------------------------------


def _read_with(tmp_path, columns: str, body: str, fmt: str = "") -> list[Decimal]:
    path = write(
        tmp_path, f'[format]\ndecimal = "."\n{fmt}\n[columns]\nbooking_date = "Date"\n{columns}\n'
    )
    [st] = csvfile.read(body.encode(), "s.csv", profile=path)
    return [ln.amount for ln in st.lines]


def test_signed_amount_column_as_is_and_negated(tmp_path):
    body = "Date,Amount\n2024-01-01,+5.00\n2024-01-02,-7.25\n"
    assert _read_with(tmp_path, 'amount = "Amount"', body) == [D("5.00"), D("-7.25")]
    assert _read_with(tmp_path, 'amount = "Amount"', body, 'sign = "negate"') == [
        D("-5.00"),
        D("7.25"),
    ]


@pytest.mark.parametrize(
    ("mode", "debits", "expected"),
    [
        ("auto", ["12.50", "-12.50"], [D("-12.50"), D("-12.50")]),  # always money out
        ("positive", ["12.50", "-12.50"], [D("-12.50"), D("12.50")]),  # negative = a reversal
        ("negative", ["-12.50", "12.50"], [D("-12.50"), D("12.50")]),  # written negative
    ],
)
def test_debit_column_conventions(tmp_path, mode, debits, expected):
    body = "Date,Debit,Credit\n" + "".join(f"2024-01-0{i + 1},{d},\n" for i, d in enumerate(debits))
    body += "2024-01-09,,3.00\n"
    got = _read_with(tmp_path, 'debit = "Debit"\ncredit = "Credit"', body, f'debit_sign = "{mode}"')
    assert got == [*expected, D("3.00")]


def test_signed_amount_beside_debit_credit_columns(tmp_path):
    # KBC style: the signed amount wins; the debit/credit columns fill in where it is empty
    body = "Date,Amount,Debit,Credit\n2024-01-01,-3.40,3.40,\n2024-01-02,,,8.00\n"
    got = _read_with(tmp_path, 'amount = "Amount"\ndebit = "Debit"\ncredit = "Credit"', body)
    assert got == [D("-3.40"), D("8.00")]


def test_direction_column_with_default_and_own_markers(tmp_path):
    body = "Date,Amount,CD\n2024-01-01,5.00,D\n2024-01-02,5.00,C\n2024-01-03,-5.00,Bij\n"
    assert _read_with(tmp_path, 'amount = "Amount"\ndirection = "CD"', body) == [
        D("-5.00"),
        D("5.00"),
        D("5.00"),
    ]
    body = "Date,Amount,Sens\n2024-01-01,5.00,SORTIE\n2024-01-02,5.00,ENTRÉE\n"
    got = _read_with(
        tmp_path,
        'amount = "Amount"\ndirection = "Sens"',
        body,
        'debit_markers = ["Sortie"]\ncredit_markers = ["Entree"]',
    )
    assert got == [D("-5.00"), D("5.00")]


def test_fee_column_makes_a_line_of_its_own(tmp_path):
    body = "Date,Gross,Fee,Id\n2024-01-01,100.00,-2.90,A1\n2024-01-02,50.00,0.00,A2\n"
    path = write(
        tmp_path,
        '[format]\ndecimal = "."\n[columns]\nbooking_date = "Date"\n'
        'amount = "Gross"\nfee = "Fee"\ntransaction_id = "Id"\n',
    )
    [st] = csvfile.read(body.encode(), "f.csv", profile=path)
    assert [(ln.amount, ln.transaction_id) for ln in st.lines] == [
        (D("100.00"), "A1"),
        (D("-2.90"), "A1/fee"),
        (D("50.00"), "A2"),
    ]


def test_running_balance_gives_balances_only_when_it_adds_up(tmp_path):
    cols = 'amount = "Amount"\nbalance = "Balance"'
    path = write(tmp_path, f'[format]\ndecimal = "."\n[columns]\nbooking_date = "Date"\n{cols}\n')
    good = "Date,Amount,Balance\n2024-01-01,10.00,110.00\n2024-01-02,-5.00,105.00\n"
    [st] = csvfile.read(good.encode(), "b.csv", profile=path)
    assert (st.opening_balance, st.closing_balance) == (D("100.00"), D("105.00"))
    broken = "Date,Amount,Balance\n2024-01-01,10.00,110.00\n2024-01-02,-5.00,99.00\n"
    [st] = csvfile.read(broken.encode(), "b.csv", profile=path)
    assert (st.opening_balance, st.closing_balance) == (None, None)


# -- numbers and dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decimal", "thousands", "text", "expected"),
    [
        (".", ",", "1,036.47", "1036.47"),
        (".", ",", "$1,036.47", "1036.47"),
        (".", ",", "-$1,036.47", "-1036.47"),
        (".", ",", "$-5.00", "-5.00"),
        (".", ",", "(900.00)", "-900.00"),
        (".", ",", "12.50 DR", "-12.50"),
        (".", ",", "12.50 CR", "12.50"),
        (".", ",", "USD 1,000", "1000"),
        (".", ",", "\u221212.00", "-12.00"),  # a real minus sign
        (".", "'’", "11'373.94", "11373.94"),
        (".", "'’", "CHF 11’373.94", "11373.94"),
        (",", ".", "1.234,56", "1234.56"),
        (",", ".", "1.234,56-", "-1234.56"),
        (",", ".", "+50,00", "50.00"),
        (",", ".", "12,50 €", "12.50"),
        (",", ".", "€ -12,50", "-12.50"),
        (",", " ", "1 234,56", "1234.56"),
        (",", ".", "1\u00a0234,56", "1234.56"),
        (".", ",", "-10", "-10"),
        (".", ",", ".50", "0.50"),
    ],
)
def test_amount_parser_reads(decimal, thousands, text, expected):
    assert AmountParser(decimal, thousands)(text) == D(expected)


@pytest.mark.parametrize(
    ("decimal", "thousands", "text"),
    [
        (",", ".", "12.34"),  # a decimal point in a decimal-comma file
        (".", ",", "12,34"),  # groups of 3 only
        (".", ",", "1,2345.00"),
        (",", ".", "1,2,3"),
        (".", "", "1,000.00"),  # no thousands separator allowed
        (".", ",", "--5"),
        (".", ",", "(5.00"),
        (".", ",", "-(5.00)"),
        (".", ",", "five"),
        (".", ",", "1e5"),
        (".", ",", "NaN"),
        (".", ",", ""),
    ],
)
def test_amount_parser_refuses(decimal, thousands, text):
    with pytest.raises(ValueError, match="is not an amount"):
        AmountParser(decimal, thousands)(text)


def test_infer_decimal():
    assert infer_decimal(["-8,78", "7,08"]) == ","
    assert infer_decimal(["1,036.47", "$20.00"]) == "."
    assert infer_decimal(["1.234,56"]) == ","
    assert infer_decimal(["1,000", "-10"]) == "."  # no evidence: a point
    assert infer_decimal(["12,50 EUR", "3,20 EUR"]) == ","


@pytest.mark.parametrize(
    ("values", "day_first", "expected"),
    [
        (["2024-01-03", "2024-12-31"], True, "%Y-%m-%d"),
        (["03.01.2024", "31.12.2024"], True, "%d.%m.%Y"),
        (["01/02/2024", "01/13/2024"], True, "%m/%d/%Y"),
        (["01/02/2024", "03/04/2024"], True, "%d/%m/%Y"),
        (["01/02/2024", "03/04/2024"], False, "%m/%d/%Y"),
        (["01/04/20", "02/04/20"], True, "%d/%m/%y"),
        (["20240103"], True, "%Y%m%d"),
        (["2018-02-25 12:34:56 +0000", "2024-01-03T10:00:00Z"], True, "%Y-%m-%d"),
        (["3 Jan 2024", "14 Feb 2024"], True, "%d %b %Y"),
    ],
)
def test_infer_date_formats(values, day_first, expected):
    assert infer_date_formats(values, day_first) == (expected,)


# -- auto-selection ---------------------------------------------------------------------------


def test_auto_selection_falls_back_to_generic_when_a_signature_is_incomplete():
    # bunq's signature without "Counterparty": not bunq, but GENERIC still reads it
    data = b'Date,Amount,Account,Name,Description\n2024-01-01,"-8,78",NL1,X,y\n'
    assert csvfile.detect_profile(data, "x.csv").name == "generic"
    assert csvfile.read(data, "x.csv")[0].lines[0].amount == D("-8.78")


def test_header_is_found_below_a_preamble_without_a_profile():
    data = (
        b"Kontoauszug\nKonto: DE89370400440532013000\n\n"
        b"Buchungstag;Betrag;Verwendungszweck\n03.01.2024;-5,00;Miete\n"
    )
    [st] = csvfile.read(data, "pre.csv")
    assert st.lines[0].line_no == 5 and st.lines[0].amount == D("-5.00")


def test_generic_header_names_are_the_data_of_generic_toml():
    # adding a language is a data change: every name of a [words.LANG] table is a synonym of
    # its field, one table per language
    data = tomllib.loads((PROFILE_DIR / "generic.toml").read_text(encoding="utf-8"))
    generic = generic_profile()
    assert generic.generic and generic.name == "generic"
    assert {
        "en",
        "de",
        "fr",
        "nl",
        "pl",
        "cs",
        "sk",
        "hu",
        "ro",
        "hr",
        "sl",
        "sv",
        "da",
        "no",
        "fi",
        "es",
        "pt",
        "ca",
        "it",
    } <= set(data["words"])
    for lang, table in data["words"].items():
        for fld, names in table.items():
            if fld in profiles.FIELDS:
                assert {normalise_header(n) for n in names} <= set(generic.columns[fld]), lang
    assert "buchungstag" in generic.columns["booking_date"]
    assert "kwota" in generic.columns["amount"] and "belopp" in generic.columns["amount"]
    assert {"haben", "jovairas", "abono", "entrada"} <= set(generic.credit_markers)
    assert {"soll", "terheles", "cargo", "salida"} <= set(generic.debit_markers)


def test_generic_vocabulary_refuses_a_name_meaning_two_fields():
    data = {
        "name": "g",
        "words": {
            "en": {"booking_date": ["date"], "amount": ["x"]},
            "xx": {"remittance": ["Date"]},
        },
    }
    with pytest.raises(ProfileError, match="'Date' is in both booking_date and remittance"):
        profiles.generic_from_mapping(data, "t")
    data = {
        "name": "g",
        "words": {
            "en": {
                "booking_date": ["date"],
                "amount": ["x"],
                "debit_markers": ["d"],
                "credit_markers": ["D"],
            }
        },
    }
    with pytest.raises(ProfileError, match="marker 'd' is in both debit and credit"):
        profiles.generic_from_mapping(data, "t")

"""Excel reader: both samples, exact numbers from float cells, header anywhere, bad workbooks."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from payctl.importers import csvfile, xlsx
from payctl.importers.bank import BankFileError
from payctl.importers.profiles import ProfileError
from tests.samples import BANK_SAMPLES

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = BANK_SAMPLES

D = Decimal


def read_sample(name: str, **options):
    return xlsx.read((SAMPLES / "xlsx" / name).read_bytes(), name, **options)


def test_every_xlsx_sample_is_covered():
    assert sorted(p.name for p in (SAMPLES / "xlsx").iterdir()) == [
        "adyen_settlement_detail.xlsx",
        "fr-bank_metadata-header.xlsx",
    ]


def test_adyen_settlement_detail():
    # 21 data rows (PROVENANCE.md: 19 Settled + 1 Fee + 1 MerchantPayout), all kept: the fee
    # and the payout move money on the merchant account too. Net Credit of the 19 Settled rows
    # adds up to 23,012.17 by hand; Fee 5.90 and MerchantPayout 23,006.27 are Net Debits:
    # 23,012.17 - 5.90 - 23,006.27 = 0.00. No balances in this report.
    [st] = read_sample("adyen_settlement_detail.xlsx")
    assert (st.account, st.currency, st.statement_id) == ("YOURCOMPANY_ACCOUNT", "USD", "48")
    assert len(st.lines) == 21
    assert sum(ln.amount for ln in st.lines if ln.amount > 0) == D("23012.17")
    assert st.total == D("0.00")
    assert (st.opening_balance, st.closing_balance) == (None, None)
    first = st.lines[0]
    assert first.line_no == 5  # header on row 4, table from column B
    assert (first.booking_date, first.amount, first.currency) == (
        dt.date(2016, 10, 20),
        D("882.71"),
        "USD",
    )
    assert first.structured_reference == "19000000001"
    # PSP references repeat in the file (4814769000000000 four times): the id joins more fields
    assert first.transaction_id == "4814769000000000/19000000001/Settled/5314769930000000"
    assert len({ln.transaction_id for ln in st.lines}) == 21
    gbp = st.lines[13]  # gross in GBP 557, settled in USD: the net currency is the line's
    assert (gbp.amount, gbp.currency) == (D("607.97"), "USD")
    fee, payout = st.lines[-2:]
    assert (fee.amount, fee.remittance) == (D("-5.90"), "Fee Transaction Fees October 2016")
    assert (payout.amount, payout.booking_date) == (D("-23006.27"), dt.date(2016, 10, 24))
    assert all(ln.amount == ln.amount.quantize(D("0.01")) for ln in st.lines)


def test_fr_bank_xlsx_reads_like_its_csv_twin():
    # all cells are text ("-50,00"); 4 preamble rows, header on row 5, trailer on row 10
    [x] = read_sample("fr-bank_metadata-header.xlsx")
    [c] = csvfile.read((SAMPLES / "csv" / "fr-bank_metadata-header.csv").read_bytes(), "c.csv")
    assert x == c  # same profile, same lines, same rows numbers, same balances
    assert (x.account, x.currency, len(x.lines), x.total) == ("08088804068", "EUR", 4, D("1069.32"))
    assert (x.opening_balance, x.closing_balance) == (D("30000.77"), D("31070.11"))
    # the file's own balances are 0.02 apart from its lines: 30000,77 + 1069,32 = 31070,09
    assert x.closing_balance - (x.opening_balance + x.total) == D("0.02")
    assert x.lines[2].booking_date == dt.date(2020, 4, 2) and x.lines[2].amount == D("-80.68")


def workbook(*sheets: tuple[str, dict[str, object]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, cells in sheets:
        ws = book.create_sheet(title)
        for ref, value in cells.items():
            ws[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TABLE = {
    "C5": "Booking date",
    "D5": "Amount",
    "E5": "Description",
    "F5": "Currency",
    "C6": dt.datetime(2024, 1, 3),
    "D6": 0.1 + 0.2,
    "E6": "float noise",
    "F6": "EUR",
    "C8": dt.date(2024, 1, 4),
    "D8": -1234.5,
    "E8": 12345,
    "F8": "EUR",
    "C9": "2024-01-05",
    "D9": "1,234.56",
    "E9": "text cells",
    "F9": "EUR",
    "C10": dt.datetime(2024, 1, 6, 13, 45),
    "D10": 7,
    "E10": "int",
    "F10": "JPY",
}


def test_generated_sheet_header_anywhere_and_exact_numbers():
    data = workbook(("Notes", {"A1": "nothing to see"}), ("Tx", TABLE))
    sts = xlsx.read(data, "gen.xlsx")
    eur, jpy = sts
    # 0.1 + 0.2 is stored as 0.30000000000000004: the binary noise is dropped, not rounded in
    assert [ln.amount for ln in eur.lines] == [D("0.30"), D("-1234.50"), D("1234.56")]
    assert [ln.line_no for ln in eur.lines] == [6, 8, 9]  # the blank row 7 is skipped
    assert [ln.booking_date for ln in eur.lines] == [
        dt.date(2024, 1, 3),
        dt.date(2024, 1, 4),
        dt.date(2024, 1, 5),
    ]
    assert eur.lines[1].remittance == "12345"  # a number cell as text, no ".0"
    assert (jpy.lines[0].amount, jpy.lines[0].booking_date) == (D("7"), dt.date(2024, 1, 6))


def test_sheet_chosen_by_option_or_profile(tmp_path):
    data = workbook(
        ("First", {"A1": "Date", "B1": "Amount", "A2": dt.date(2024, 1, 1), "B2": 1}),
        ("Second", {"A1": "Date", "B1": "Amount", "A2": dt.date(2024, 2, 1), "B2": 2}),
    )
    assert xlsx.read(data, "s.xlsx")[0].total == D("1")
    assert xlsx.read(data, "s.xlsx", sheet="second")[0].total == D("2")
    assert xlsx.read(data, "s.xlsx", sheet=2)[0].total == D("2")
    prof = tmp_path / "p.toml"
    prof.write_text(
        '[format]\nsheet = "Second"\n[columns]\nbooking_date = "Date"\namount = "Amount"\n',
        encoding="utf-8",
    )
    assert xlsx.read(data, "s.xlsx", profile=str(prof))[0].total == D("2")
    with pytest.raises(
        ProfileError,
        match=r"^s\.xlsx: no sheet 'Third' \(sheets: 'First', "
        r"'Second'\)$",
    ):
        xlsx.read(data, "s.xlsx", sheet="Third")


def test_sheet_without_the_mapped_columns():
    data = workbook(
        ("Sheet", {"B2": "Date", "C2": "Comment", "B3": dt.date(2024, 1, 1), "C3": "x"})
    )
    with pytest.raises(
        ProfileError,
        match=r"^n\.xlsx: no header row found: no column for amount "
        r"\(found: Date, Comment; understood: booking_date='Date'\)",
    ):
        xlsx.read(data, "n.xlsx")
    with pytest.raises(
        ProfileError,
        match=r"^n\.xlsx: profile adyen: no column for "
        r"booking_date \('Creation Date'\)",
    ):
        xlsx.read(data, "n.xlsx", profile="adyen")


def test_every_sheet_failing_is_reported():
    data = workbook(("A", {"A1": "x"}), ("B", {"A1": "Date", "B1": "Note"}))
    with pytest.raises(
        ProfileError,
        match=r"^m\.xlsx: no sheet holds a bank table \(m\.xlsx: "
        r"sheet 'A': no header row found",
    ):
        xlsx.read(data, "m.xlsx")


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            {"A3": "2024-02-30", "B3": 1},
            r"^b\.xlsx: row 3: booking_date \(column A 'Date'\): '2024-02-30' is not a date",
        ),
        (
            {"A3": dt.date(2024, 1, 2), "B3": "12x"},
            r"^b\.xlsx: row 3: amount \(column B 'Amount'\): '12x' is not an amount$",
        ),
        (
            {"A3": dt.date(2024, 1, 2), "B3": 1.005, "C3": "EUR"},
            r"^b\.xlsx: row 3: amount \(column B 'Amount'\): 1\.005 has more decimals "
            r"than EUR allows$",
        ),
        (
            {"A3": dt.date(2024, 1, 2), "B3": None, "C3": "EUR"},
            r"^b\.xlsx: row 3: amount \(column B 'Amount'\): missing \(empty: Amount\)$",
        ),
    ],
)
def test_bad_rows_name_the_row_column_and_field(cells, message):
    table = {
        "A1": "Date",
        "B1": "Amount",
        "C1": "Currency",
        "A2": dt.date(2024, 1, 1),
        "B2": 1,
        "C2": "EUR",
        **cells,
    }
    if "C3" not in cells:
        table["C3"] = "EUR"
    with pytest.raises(BankFileError, match=message):
        xlsx.read(workbook(("Sheet", table)), "b.xlsx")


def test_damaged_workbooks():
    good = (SAMPLES / "xlsx" / "adyen_settlement_detail.xlsx").read_bytes()
    for data in (b"PK\x03\x04garbage", good[: len(good) // 2]):
        with pytest.raises(BankFileError, match=r"^d\.xlsx: not a readable Excel workbook \("):
            xlsx.read(data, "d.xlsx")
    with pytest.raises(
        BankFileError,
        match=r"^d\.xlsx: not a readable Excel workbook \(no \.xlsx/\.xls signature\)$",
    ):
        xlsx.read(b"Date,Amount\n", "d.xlsx")


def test_xls_without_an_engine_says_what_to_install(monkeypatch):
    monkeypatch.setattr(xlsx, "_xls_engine", lambda: None)
    with pytest.raises(
        BankFileError,
        match=r"^old\.xls: \.xls \(Excel 97-2003\) needs the "
        r"python-calamine or xlrd package",
    ):
        xlsx.read(xlsx.OLE_MAGIC + b"\x00" * 504, "old.xls")


def test_sniff():
    for path in sorted(SAMPLES.rglob("*")):
        if path.is_file() and path.name != "PROVENANCE.md":
            assert xlsx.sniff(path.read_bytes()[:8192]) == (path.parent.name == "xlsx"), path
    assert xlsx.sniff(xlsx.OLE_MAGIC + b"\x00" * 100)
    assert not xlsx.sniff(b"PK\x03\x04\x14\x00\x00\x00word/document.xml")
    assert not xlsx.sniff(b"")

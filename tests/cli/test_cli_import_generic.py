"""`payctl import` of exports nobody wrote a profile for, and `payctl profile draft`, on every
backend (cli_env): the generic reading end to end, its refusal (exit 2, one line naming what it
found, nothing written), a draft finished by hand that imports, and an MT940 whose balances
name no currency."""

from __future__ import annotations

from pathlib import Path

from payctl.db import models as m
from tests import factories
from tests.conftest import in_session, payctl, refused
from tests.conftest import payctl_json as js
from tests.samples import GENERIC_SAMPLES
from tests.unit.importers.test_generic_reader import CARD, MT940

POLISH = (
    "Wyciąg z rachunku\n"
    "Numer rachunku;PL61109010140000071219812874\n"
    "\n"
    "Data operacji;Opis operacji;Nadawca / Odbiorca;Kwota;Saldo po operacji;Status\n"
    "03.01.2026;Przelew przychodzący;Łukasz Żółć;1 230,00 zł;1 230,00;Zaksięgowana\n"
    ";Faktura FV/1/2026;;;;\n"
    "04.01.2026;Płatność kartą;Orlen;-210,55 zł;1 019,45;Zaksięgowana\n"
    "05.01.2026;Płatność kartą;Żabka;-9,99 zł;;Oczekująca\n"
    ";Saldo końcowe;;;1 019,45;\n"
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def lines(url: str) -> int:
    return in_session(url, factories.row_counts, (m.BankLine,))[m.BankLine.__tablename__]


def test_generic_export_imports_with_preamble_continuation_and_pending_rows(cli_env, tmp_path):
    f = write(tmp_path, "pko.csv", POLISH.encode("cp1250"))
    out = js("import", f, "--journal", "BNK1")
    (file,) = out["files"]
    assert (file["status"], file["format"], file["lines_read"]) == ("imported", "csv", 2)
    listed = js("review", "list")
    texts = sorted(r["text"] for r in listed["items"])
    assert any("Faktura FV/1/2026" in t for t in texts), texts


def test_card_export_is_refused_naming_what_was_found(cli_env, tmp_path):
    f = write(tmp_path, "card.csv", CARD.encode())
    line = refused(
        "import",
        f,
        code=2,
        says=(
            "cannot tell the sign of the amounts",
            "found: Datum, Karte, Beschreibung, Betrag",
            "understood: booking_date='Datum', amount='Betrag'",
            f"payctl profile draft {f}",
        ),
    )
    assert line.startswith(f"payctl: error: {f}: ")
    assert lines(cli_env["PAYCTL_DATABASE_URL"]) == 0


def test_profile_draft_finished_by_hand_imports_the_file(cli_env, tmp_path):
    f = write(tmp_path, "card.csv", CARD.encode())
    result = payctl("profile", "draft", f, "--name", "mycard")
    text = result.stdout
    assert result.stderr == ""
    assert 'name = "mycard"' in text and "CHECK" in text
    profile = tmp_path / "mycard.toml"
    profile.write_text(text.replace('sign = "as-is"', 'sign = "negate"'), encoding="utf-8")
    out = js("import", f, "--journal", "BNK1", "--profile", profile)
    assert out["files"][0]["lines_read"] == 2
    amounts = sorted(r["amount"] for r in js("review", "list")["items"])
    assert amounts == ["-12.50", "-45.10"]


def test_profile_draft_refuses_what_it_cannot_draft(cli_env, tmp_path):
    refused("profile", "draft", tmp_path / "missing.csv", code=2, says="no such file")
    sta = write(tmp_path, "s.sta", MT940.encode())
    refused("profile", "draft", sta, code=2, says="a mt940 file needs no profile")


def test_mt940_without_currency_takes_the_journals_and_says_so(cli_env, tmp_path):
    f = write(tmp_path, "nocur.sta", MT940.replace("2401", "2601").encode())
    out = js("import", f, "--journal", "BNK1")
    (file,) = out["files"]
    assert file["lines_read"] == 2
    assert any(
        "its balances name no currency: read in journal BNK1's currency EUR" in w
        for w in file["warnings"]
    ), file["warnings"]


def test_real_export_without_a_profile_imports_and_again_adds_nothing(cli_env):
    path = GENERIC_SAMPLES / "swedbank-lt_dk-balance-rows.csv"
    first = js("import", path, "--journal", "BNK1")["files"][0]
    assert (first["status"], first["lines_read"], first["new_lines"]) == ("imported", 5, 5)
    again = js("import", path, "--journal", "BNK1")["files"][0]
    assert again["duplicates"] == again["lines_read"] == 5
    assert lines(cli_env["PAYCTL_DATABASE_URL"]) == 5

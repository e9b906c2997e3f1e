#!/usr/bin/env python3
"""Generate deterministic sample data for the payctl README tour.

Writes partners.csv, invoices.csv and payments.csv next to this script, and
November's bank extracts of journal BNK1 (a bank CSV, a camt.053.001.02 and an
MT940 file) under bank/, written to match those invoices and payments.
Standard library only; every random choice comes from random.Random(2026)
(random.Random(2037) for the bank files), so the output is byte-for-byte
identical on every run.

All money is handled as integer cents and only formatted to "1234.56" at the
very end -- no floats ever touch an amount.

Usage:
    python sample_data/make_sample_data.py
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

SEED = 2026
OUT_DIR = Path(__file__).resolve().parent

YEAR_START = dt.date(2026, 1, 5)
YEAR_END = dt.date(2026, 10, 31)
LAST_PAYMENT_DATE = dt.date(2026, 11, 30)

# name, country, kind  -- every name unique; ACME must stay first.
PARTNERS: list[tuple[str, str, str]] = [
    ("ACME GmbH", "DE", "customer"),
    # customers
    ("Müller Maschinenbau GmbH", "DE", "customer"),
    ("Schneider & Koch KG", "DE", "customer"),
    ("Bergmann Elektrotechnik GmbH", "DE", "customer"),
    ("Hofmann Bürobedarf e.K.", "DE", "customer"),
    ("Weber Logistik AG", "DE", "customer"),
    ("Krüger Feinkost GmbH", "DE", "customer"),
    ("Van Dijk Logistiek B.V.", "NL", "customer"),
    ("De Vries Installatietechniek B.V.", "NL", "customer"),
    ("Bakker Bouw B.V.", "NL", "customer"),
    ("Jansen & Visser V.O.F.", "NL", "customer"),
    ("Smit Tuinen B.V.", "NL", "customer"),
    ("Boulangerie Martin SARL", "FR", "customer"),
    ("Dubois Architectes SAS", "FR", "customer"),
    ("Laurent Transports SA", "FR", "customer"),
    ("Lefèvre Conseil SARL", "FR", "customer"),
    ("Moreau Imprimerie SAS", "FR", "customer"),
    ("Garnier Vins SARL", "FR", "customer"),
    ("Peeters Bouwwerken NV", "BE", "customer"),
    ("Janssens Catering BV", "BE", "customer"),
    ("Maes Consulting SRL", "BE", "customer"),
    ("Dupont Menuiserie SRL", "BE", "customer"),
    ("Claes Interieur BV", "BE", "customer"),
    ("Wouters Elektro BV", "BE", "customer"),
    # vendors
    ("Nordlicht Software GmbH", "DE", "vendor"),
    ("Fischer Büromöbel GmbH", "DE", "vendor"),
    ("Stadtwerke Hohenfeld GmbH", "DE", "vendor"),
    ("Wagner Fuhrpark GmbH", "DE", "vendor"),
    ("Hollandse Kantoorhuur B.V.", "NL", "vendor"),
    ("Mulder IT Services B.V.", "NL", "vendor"),
    ("Bernard Fournitures SAS", "FR", "vendor"),
    ("Petit Nettoyage SARL", "FR", "vendor"),
    ("Roux Assurances SA", "FR", "vendor"),
    ("Vermeulen Drukkerij NV", "BE", "vendor"),
    ("Lambert Expertise Comptable SRL", "BE", "vendor"),
    ("Goossens Verhuur BV", "BE", "vendor"),
    # both customer and vendor
    ("Keller Handelsgesellschaft mbH", "DE", "both"),
    ("Van den Berg Groothandel B.V.", "NL", "both"),
    ("Rousseau Distribution SAS", "FR", "both"),
    ("Desmet Trading NV", "BE", "both"),
]

ACME_IBAN_BBAN = ("37040044", "0532013000")  # Commerzbank Köln BLZ + account
ACME_VAT = "DE811907980"

VAT_RATE_PERMILLE = {"DE": 190, "NL": 210, "FR": 200, "BE": 210}
LEGAL_FORMS = {
    "gmbh",
    "ag",
    "kg",
    "e.k.",
    "mbh",
    "b.v.",
    "v.o.f.",
    "sarl",
    "sas",
    "sa",
    "nv",
    "bv",
    "srl",
    "&",
}
EMAIL_PREFIXES = {
    "DE": ["buchhaltung", "rechnungen", "accounts", "finanzen"],
    "NL": ["administratie", "facturen", "accounts", "crediteuren"],
    "FR": ["comptabilite", "factures", "compta", "accounts"],
    "BE": ["boekhouding", "facturatie", "accounts", "comptabilite"],
}

# Bank identifiers (real-looking bank/sort codes; account numbers are random).
DE_BANK_CODES = [
    "10070000",
    "37040044",
    "50010517",
    "70150000",
    "20050550",
    "12030000",
    "60050101",
    "43060967",
]
NL_BANK_CODES = ["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB"]
FR_BANK_CODES = ["30004", "30003", "10278", "20041", "30002", "11315"]
BE_BANK_CODES = ["001", "068", "310", "363", "735", "737"]


# --------------------------------------------------------------------------
# money helpers (integer cents only)
# --------------------------------------------------------------------------


def fmt(cents: int) -> str:
    assert cents >= 0
    return f"{cents // 100}.{cents % 100:02d}"


def add_vat(net_cents: int, rate_permille: int) -> int:
    """net * (1 + rate), rounded half-up to the cent, in integer math."""
    return (net_cents * (1000 + rate_permille) + 500) // 1000


# --------------------------------------------------------------------------
# IBAN / VAT number helpers
# --------------------------------------------------------------------------


def _iban_digits(s: str) -> str:
    return "".join(str(int(c, 36)) for c in s)


def make_iban(country: str, bban: str) -> str:
    check = 98 - int(_iban_digits(bban + country + "00")) % 97
    return f"{country}{check:02d}{bban}"


def iban_is_valid(iban: str) -> bool:
    return int(_iban_digits(iban[4:] + iban[:4])) % 97 == 1


def digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def random_iban(rng: random.Random, country: str) -> str:
    if country == "DE":
        bban = rng.choice(DE_BANK_CODES) + digits(rng, 10)
    elif country == "NL":
        bank = rng.choice(NL_BANK_CODES)
        while True:  # Dutch account numbers pass the "elfproef"
            acct = str(rng.randrange(1, 10)) + digits(rng, 9)
            if sum(int(d) * w for d, w in zip(acct, range(10, 0, -1), strict=True)) % 11 == 0:
                break
        bban = bank + acct
    elif country == "FR":
        bank = rng.choice(FR_BANK_CODES)
        branch = digits(rng, 5)
        acct = digits(rng, 11)
        rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(acct)) % 97
        bban = f"{bank}{branch}{acct}{rib_key:02d}"
    elif country == "BE":
        first10 = rng.choice(BE_BANK_CODES) + digits(rng, 7)
        nat = int(first10) % 97 or 97
        bban = f"{first10}{nat:02d}"
    else:
        raise ValueError(country)
    iban = make_iban(country, bban)
    assert iban_is_valid(iban)
    return iban


def random_vat(rng: random.Random, country: str) -> str:  # noqa: C901 - one branch per country
    if country == "DE":  # ISO 7064 MOD 11,10 check digit
        body = str(rng.randrange(1, 10)) + digits(rng, 7)
        product = 10
        for d in body:
            s = (int(d) + product) % 10 or 10
            product = (2 * s) % 11
        check = (11 - product) % 10
        return f"DE{body}{check}"
    if country == "NL":  # RSIN elfproef, B01 suffix
        while True:
            n = str(rng.randrange(1, 10)) + digits(rng, 8)
            total = sum(int(d) * w for d, w in zip(n[:8], range(9, 1, -1), strict=True))
            if (total - int(n[8])) % 11 == 0:
                return f"NL{n}B01"
    if country == "FR":  # Luhn-valid SIREN + numeric key
        while True:
            siren = str(rng.randrange(1, 10)) + digits(rng, 8)
            luhn = 0
            for i, d in enumerate(reversed(siren)):
                v = int(d) * (2 if i % 2 else 1)
                luhn += v - 9 if v > 9 else v
            if luhn % 10 == 0:
                break
        key = (12 + 3 * (int(siren) % 97)) % 97
        return f"FR{key:02d}{siren}"
    if country == "BE":  # 0 + 7 digits + (97 - n % 97)
        first8 = "0" + str(rng.randrange(2, 10)) + digits(rng, 6)
        return f"BE{first8}{97 - int(first8) % 97:02d}"
    raise ValueError(country)


def domain_for(name: str) -> str:
    folded = name.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae").replace("ß", "ss")
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    words = [w for w in folded.lower().split() if w not in LEGAL_FORMS]
    return "-".join(w.strip(".") for w in words) + ".example"


# --------------------------------------------------------------------------
# date helpers
# --------------------------------------------------------------------------


def weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    out, d = [], start
    while d <= end:
        if d.weekday() < 5:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def next_weekday(d: dt.date) -> dt.date:
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d


BUSINESS_DAYS = weekdays(YEAR_START, YEAR_END)


def sorted_dates(
    rng: random.Random, n: int, first: dt.date | None = None, last: dt.date = YEAR_END
) -> list[dt.date]:
    pool = [d for d in BUSINESS_DAYS if d <= last]
    ds = sorted(rng.choice(pool) for _ in range(n - (first is not None)))
    return ([first] if first else []) + ds


# --------------------------------------------------------------------------
# generators
# --------------------------------------------------------------------------


def build_partners(rng: random.Random) -> list[dict]:
    partners = []
    for name, country, kind in PARTNERS:
        partners.append(
            {
                "name": name,
                "kind": kind,
                "country": country,
                "iban": random_iban(rng, country),
                "email": f"{rng.choice(EMAIL_PREFIXES[country])}@{domain_for(name)}",
                "vat": random_vat(rng, country),
                "term": rng.choice([14, 30, 30, 45]),
                "weight": rng.choice([1, 2, 3, 5, 8]),
            }
        )
    acme = partners[0]
    acme.update(
        iban=make_iban("DE", "".join(ACME_IBAN_BBAN)),
        email="accounts@acme.example",
        vat=ACME_VAT,
        term=30,
        weight=8,
    )

    rest = partners[1:]
    customers = [p for p in rest if p["kind"] == "customer"]
    for p in rng.sample(customers, 5):  # customers we never pay out to
        p["iban"] = ""
    for p in rng.sample(rest, 5):
        p["email"] = ""
    for p in rng.sample(rest, 4):  # e.g. small firms, VAT unknown
        p["vat"] = ""
    rng.shuffle(rest)
    return [acme] + rest


def random_amount(rng: random.Random, country: str) -> int:
    lo, hi = rng.choices(
        [(5000, 50000), (50000, 250000), (250000, 1000000), (1000000, 2000000)],
        weights=[30, 40, 22, 8],
    )[0]
    net = rng.randrange(lo, hi + 1)
    shape = rng.random()
    if shape < 0.25:
        net = max(5000, net // 5000 * 5000)  # round 50-euro amounts
    elif shape < 0.60:
        net = max(5000, net // 100 * 100)  # whole euros
    if rng.random() < 0.75:  # gross incl. VAT
        return add_vat(net, VAT_RATE_PERMILLE[country])
    return net


def build_invoices(rng: random.Random, partners: list[dict]) -> list[dict]:
    by_name = {p["name"]: p for p in partners}
    cust = [p for p in partners if p["kind"] in ("customer", "both")]
    vend = [p for p in partners if p["kind"] in ("vendor", "both")]
    invoices: list[dict] = []

    def add(prefix, type_, seq, partner, cents, date):
        invoices.append(
            {
                "number": f"{prefix}/2026/{seq:04d}",
                "partner": partner["name"],
                "amount": cents,
                "type": type_,
                "date": date,
                "due_date": date + dt.timedelta(days=partner["term"]),
            }
        )

    # customer invoices ---------------------------------------------------
    dates = sorted_dates(rng, 220, first=YEAR_START)
    for i, d in enumerate(dates, 1):
        if i == 1:
            add("INV", "customer_invoice", 1, by_name["ACME GmbH"], 119000, d)
            continue
        p = rng.choices(cust, weights=[c["weight"] for c in cust])[0]
        add("INV", "customer_invoice", i, p, random_amount(rng, p["country"]), d)

    # vendor bills: monthly rent + software subscription + ad-hoc bills -----
    bills = []
    rent = by_name["Hollandse Kantoorhuur B.V."]
    saas = by_name["Nordlicht Software GmbH"]
    for month in range(1, 11):
        first = next_weekday(max(dt.date(2026, month, 1), YEAR_START))
        bills.append((first, rent, add_vat(240000, 210)))
        bills.append(
            (
                next_weekday(dt.date(2026, month, 3)) if month > 1 else first,
                saas,
                add_vat(34900, 190),
            )
        )
    adhoc_vendors = [p for p in vend if p is not rent and p is not saas]
    for d in sorted_dates(rng, 50):
        p = rng.choices(adhoc_vendors, weights=[v["weight"] for v in adhoc_vendors])[0]
        bills.append((d, p, random_amount(rng, p["country"])))
    bills.sort(key=lambda b: b[0])  # stable: equal dates keep generation order
    for i, (d, p, cents) in enumerate(bills, 1):
        add("BILL", "vendor_bill", i, p, cents, d)

    # credit notes: each refers (implicitly) to an earlier document -------
    def credit_notes(n, prefix, type_, source_type):
        sources = [x for x in invoices if x["type"] == source_type]
        for i, d in enumerate(sorted_dates(rng, n, last=dt.date(2026, 10, 30)), 1):
            earlier = [
                x
                for x in sources
                if x["date"] <= d
                and not (
                    source_type == "vendor_bill" and x["partner"] in (rent["name"], saas["name"])
                )
            ]
            src = rng.choice(earlier)
            pct = rng.choice([10, 15, 20, 25, 50, 100])
            cents = max(5000, src["amount"] * pct // 100)
            cents = min(cents, src["amount"])
            add(prefix, type_, i, by_name[src["partner"]], cents, d)

    credit_notes(10, "RINV", "customer_credit_note", "customer_invoice")
    credit_notes(4, "RBILL", "vendor_credit_note", "vendor_bill")

    rank = {
        "customer_invoice": 0,
        "vendor_bill": 1,
        "customer_credit_note": 2,
        "vendor_credit_note": 3,
    }
    invoices.sort(key=lambda x: (x["date"], rank[x["type"]], x["number"]))
    return invoices


def build_payments(rng: random.Random, partners: list[dict], invoices: list[dict]) -> list[dict]:  # noqa: C901 - one recipe
    by_name = {p["name"]: p for p in partners}
    cutoff = dt.date(2026, 10, 16)
    remaining = {x["number"]: x["amount"] for x in invoices}
    last_paid: dict[str, dt.date] = {}
    payments: list[dict] = []

    def open_docs(type_):
        return [
            x
            for x in invoices
            if x["type"] == type_ and x["date"] <= cutoff and remaining[x["number"]] > 0
        ]

    def make(ptype, doc_type, n):
        for _ in range(n):
            docs = open_docs(doc_type)
            partner_names = list(dict.fromkeys(x["partner"] for x in docs))
            pname = rng.choice(partner_names)
            mine = [x for x in docs if x["partner"] == pname]
            k = 2 if len(mine) >= 2 and rng.random() < 0.3 else 1
            chosen = (
                mine[:k]
                if rng.random() < 0.7
                else sorted(rng.sample(mine, k), key=lambda x: x["number"])
            )
            allocs, partial = [], False
            for doc in chosen:
                rem = remaining[doc["number"]]
                pay = rem
                if rem == doc["amount"] and rem > 20000 and rng.random() < 0.25:
                    pct = rng.choice([20, 25, 30, 40, 50, 60, 75])
                    pay = max(5000, rem * pct // 100 // 100 * 100)
                    partial = True
                remaining[doc["number"]] -= pay
                allocs.append((doc, pay))
            total = sum(c for _, c in allocs)
            if rng.random() < 0.08:  # small overpayment
                total += rng.choice([1000, 2500, 5000, 10000])
            latest = max(doc["date"] for doc, _ in allocs)
            earliest_ok = max(
                [latest]
                + [
                    last_paid[d["number"]] + dt.timedelta(days=7)
                    for d, _ in allocs
                    if d["number"] in last_paid
                ]
            )
            term = by_name[pname]["term"]
            date = latest + dt.timedelta(days=max(0, term + rng.randint(-12, 12)))
            date = next_weekday(max(date, earliest_ok))
            date = min(date, LAST_PAYMENT_DATE)
            for doc, _ in allocs:
                last_paid[doc["number"]] = date
            nums = [doc["number"] for doc, _ in allocs]
            memo = rng.choice(
                [
                    "",
                    "",
                    f"Payment {nums[0]}",
                    f"Invoice {' + '.join(nums)}",
                    "Bank transfer",
                    "Thank you",
                ]
                if ptype == "customer_payment"
                else ["", f"Bill {' + '.join(nums)}", "Supplier payment", "SEPA transfer"]
            )
            if partial:
                memo = "Partial payment"
            payments.append(
                {
                    "type": ptype,
                    "partner": pname,
                    "journal": "BNK1",
                    "amount": total,
                    "date": date,
                    "memo": memo,
                    "allocations": ";".join(f"{d['number']}={fmt(c)}" for d, c in allocs),
                }
            )

    make("customer_payment", "customer_invoice", 43)
    make("vendor_payment", "vendor_bill", 14)

    # on-account payments (no allocations)
    cust = [p for p in partners if p["kind"] in ("customer", "both")]
    vend = [p for p in partners if p["kind"] in ("vendor", "both") and p["iban"]]
    on_account = [
        ("customer_payment", rng.choice(cust), 50000, "Deposit"),
        ("customer_payment", rng.choice(cust), 150000, "Advance payment"),
        ("vendor_payment", rng.choice(vend), 100000, "Prepayment"),
    ]
    for ptype, p, cents, memo in on_account:
        payments.append(
            {
                "type": ptype,
                "partner": p["name"],
                "journal": "BNK1",
                "amount": cents,
                "date": rng.choice(BUSINESS_DAYS),
                "memo": memo,
                "allocations": "",
            }
        )

    # three small customer payments were paid in cash
    small = sorted(
        (p for p in payments if p["type"] == "customer_payment" and p["allocations"]),
        key=lambda p: (p["amount"], p["partner"]),
    )[:3]
    for p in small:
        p["journal"] = "CSH1"
        p["memo"] = "Cash at counter"

    payments.sort(key=lambda p: (p["date"], p["type"], p["partner"]))
    for i, p in enumerate(payments, 1):
        p["reference"] = f"PAY-REF-{i:04d}"
    return payments


# --------------------------------------------------------------------------
# November 2026 bank extracts of journal BNK1 (bank/2026-11_bnk1.*)
# --------------------------------------------------------------------------

BANK_DIR = OUT_DIR / "bank"
BANK_SEED = SEED + 11  # a stream of its own: the files above stay byte-identical
OWN_NAME = "Lindenhof Systems GmbH"  # the company whose books payctl keeps
OWN_IBAN = make_iban("DE", "37050198" + "1002873341")
OWN_BIC = "COLSDE33XXX"
OPENING_BALANCE = 8431257  # cents on the account before the first line (2026-11-02)

# What payctl's matcher does (payctl/domain/matching.py, services/bank/matching_data.py); the
# generator checks every line against these rules so that it matches as its `rule` says.
WRITEOFF_TOLERANCE = 100  # default write-off tolerance, 1.00
PAYMENT_WINDOW = dt.timedelta(days=10)  # a posted payment within 10 days of the line
SUBSET_LIMIT = 10  # sums are looked for among a partner's 10 oldest open items
INBOUND = ("customer_invoice", "vendor_credit_note")  # money in settles these
OUTBOUND = ("vendor_bill", "customer_credit_note")  # money out settles these

# The three files: which booking days each holds. The CSV and the camt.053 overlap on 10 and
# 11 November, as when someone downloads a CSV mid-month and the bank's statement follows.
BANK_FILES = {"csv": (2, 11), "camt": (10, 20), "mt940": (23, 30)}

# Payments entered in payctl before the money shows on the account (a customer's remittance
# advice, our own payment run): payments.csv gets them, and their bank lines reconcile them.
ANNOUNCED = [
    ("INV/2026/0152", dt.date(2026, 11, 4), "Remittance advice"),
    ("INV/2026/0154", dt.date(2026, 11, 12), "Remittance advice"),
    ("BILL/2026/0067", dt.date(2026, 11, 16), "Payment run 2026-11-16"),
    ("BILL/2026/0069", dt.date(2026, 11, 16), "Payment run 2026-11-16"),
]


def spec(
    day: int,
    rule: str,
    who: str,
    docs: list[str],
    text: str,
    *,
    amount: int | None = None,
    short: int = 0,
    name: str | None = None,
    iban: str | None = None,
    e2e: str = "",
    kind: str = "transfer",
) -> dict:
    """One bank line as written down: the rest (amount, sign, IBAN) is worked out and checked.

    rule: what payctl should decide -- reference, partial, overpayment, writeoff,
    partner_amount, partner_subset, payment (reconciles the posted payment allocated to the
    doc), review (a person decides: candidates, none good enough) or "" (nothing fits).
    amount: signed cents (+ in, - out) where the rule does not fix it; short: cents below the
    residual (write-off). name/iban: what the bank shows when it is not the partner's own
    ("unknown" = an account payctl does not know). kind: transfer, card, fee, salary,
    standing (order), direct_debit, tax.
    """
    return {
        "day": day,
        "rule": rule,
        "who": who,
        "docs": docs,
        "text": text,
        "amount": amount,
        "short": short,
        "name": name,
        "iban": iban,
        "e2e": e2e,
        "kind": kind,
    }


BANK_LINES = [
    # ---- CSV export, 2-11 November ------------------------------------------------------
    spec(
        2,
        "payment",
        "Stadtwerke Hohenfeld GmbH",
        ["BILL/2026/0063"],
        "Abschlag Strom/Gas Oktober BILL/2026/0063",
        e2e="PMTRUN-20261030-01",
    ),
    spec(2, "reference", "ACME GmbH", ["INV/2026/0001"], "INV/2026/0001 Restzahlung"),
    spec(2, "reference", "Schneider & Koch KG", ["INV/2026/0002"], "RE INV-2026-0002 Kd-Nr 10233"),
    spec(2, "", "", [], "Kontoführungsentgelt Oktober 2026", amount=-1290, kind="fee"),
    spec(3, "reference", "Maes Consulting SRL", ["INV/2026/0043"], "Facture INV/2026/0043"),
    spec(
        3,
        "partial",
        "Müller Maschinenbau GmbH",
        ["INV/2026/0146"],
        "Teilzahlung 1 zu INV/2026/0146",
        amount=500000,
    ),
    spec(
        3,
        "reference",
        "Roux Assurances SA",
        ["BILL/2026/0062"],
        "Cotisation prévoyance T3",
        e2e="BILL-2026-0062",
    ),
    spec(
        3,
        "",
        "SHELL 1234 KOELN",
        [],
        "Kartenzahlung 2026-11-02 Tankstelle",
        amount=-6437,
        kind="card",
    ),
    spec(4, "reference", "Smit Tuinen B.V.", ["INV/2026/0037"], "Factuur inv 2026 0037"),
    spec(
        4,
        "partner_amount",
        "Van Dijk Logistiek B.V.",
        ["INV/2026/0165"],
        "Betaling factuur augustus",
    ),
    spec(
        4,
        "reference",
        "Goossens Verhuur BV",
        ["BILL/2026/0050"],
        "Factuur 2026-3318 verhuur hoogwerker",
        e2e="BILL-2026-0050",
    ),
    spec(
        5,
        "writeoff",
        "Garnier Vins SARL",
        ["INV/2026/0189"],
        "Facture INV/2026/0189 frais déduits",
        short=50,
    ),
    spec(5, "partner_subset", "Dubois Architectes SAS", [], "Règlement factures janvier février"),
    spec(
        5,
        "reference",
        "Bergmann Elektrotechnik GmbH",
        ["INV/2026/0052", "INV/2026/0083"],
        "RE INV/2026/0052 u. INV/2026/0083",
    ),
    spec(
        5,
        "",
        "DB Vertrieb GmbH",
        [],
        "Kartenzahlung Fahrkarte Köln-Berlin",
        amount=-12390,
        kind="card",
    ),
    spec(6, "payment", "Krüger Feinkost GmbH", ["INV/2026/0152"], "Rechnung INV/2026/0152"),
    spec(
        6, "reference", "Van den Berg Groothandel B.V.", ["INV/2026/0050"], "Factuur INV/2026/0050"
    ),
    spec(
        6,
        "reference",
        "Mulder IT Services B.V.",
        ["BILL/2026/0051"],
        "Factuur MIT-2026-0712",
        e2e="BILL-2026-0051",
    ),
    spec(
        6,
        "partner_amount",
        "Dupont Menuiserie SRL",
        ["INV/2026/0066"],
        "Paiement facture avril",
        name="Dupond Menuiserie SRL",
        iban="unknown",
    ),
    spec(9, "reference", "Wouters Elektro BV", ["INV/2026/0082"], "Factuur INV/2026/0082 saldo"),
    spec(
        9,
        "overpayment",
        "Peeters Bouwwerken NV",
        ["INV/2026/0134"],
        "Factuur INV/2026/0134",
        amount=125000,
    ),
    spec(
        9,
        "",
        "Finanzamt Köln-Mitte",
        [],
        "USt-VA 10/2026 StNr 214/5678/0912",
        amount=-487000,
        iban="unknown",
        kind="tax",
    ),
    # ---- 10 and 11 November: in the CSV and in the camt.053 (the second copy is skipped) ----
    spec(
        10,
        "reference",
        "Petit Nettoyage SARL",
        ["BILL/2026/0070"],
        "Facture PN-10-2026 nettoyage octobre",
        e2e="BILL-2026-0070",
    ),
    spec(
        10,
        "partial",
        "Janssens Catering BV",
        ["INV/2026/0141"],
        "Factuur INV/2026/0141 deelbetaling",
        amount=500000,
        iban="unknown",
    ),
    spec(10, "reference", "Laurent Transports SA", ["INV/2026/0045"], "Facture INV/2026/0045"),
    spec(
        11,
        "reference",
        "Keller Handelsgesellschaft mbH",
        ["INV/2026/0027"],
        "Rechnung INV/2026/0027",
    ),
    spec(
        11,
        "writeoff",
        "Schneider & Koch KG",
        ["INV/2026/0155"],
        "INV/2026/0155 abzgl. Rundung",
        short=50,
    ),
    spec(
        11,
        "review",
        "Nordlicht Software GmbH",
        [],
        "Abo Nordlicht Cloud November 2026",
        amount=-41531,
        e2e="NLS-ABO-2026-11",
        kind="direct_debit",
    ),
    # ---- camt.053, 10-20 November -------------------------------------------------------
    spec(12, "reference", "Van Dijk Logistiek B.V.", ["INV/2026/0182"], "Betaling INV/2026/0182"),
    spec(
        12,
        "partner_amount",
        "Bergmann Elektrotechnik GmbH",
        ["INV/2026/0128"],
        "Zahlung Ihre Rechnung vom 25.06.",
    ),
    spec(12, "reference", "Moreau Imprimerie SAS", ["INV/2026/0217"], "FACTURE INV2026/0217"),
    spec(
        12,
        "",
        "Deutsche Lufthansa AG",
        [],
        "Kartenzahlung LH Ticket FRA-AMS",
        amount=-18900,
        kind="card",
    ),
    spec(13, "payment", "Laurent Transports SA", ["INV/2026/0154"], "Facture INV/2026/0154"),
    spec(
        13,
        "overpayment",
        "Smit Tuinen B.V.",
        ["INV/2026/0215"],
        "Factuur INV/2026/0215",
        amount=43250,
    ),
    spec(
        13,
        "reference",
        "Vermeulen Drukkerij NV",
        ["BILL/2026/0052"],
        "Factuur 26/0457 drukwerk",
        e2e="BILL-2026-0052",
    ),
    spec(16, "partner_subset", "Maes Consulting SRL", [], "Paiement factures mars"),
    spec(
        16,
        "reference",
        "Van den Berg Groothandel B.V.",
        ["INV/2026/0125"],
        "Restant factuur INV/2026/0125",
    ),
    spec(
        16,
        "",
        "Telekom Deutschland GmbH",
        [],
        "Mobilfunk Kundenkonto 4711 0815 November",
        amount=-4995,
        iban="unknown",
        e2e="TDG-2026-11-4711",
        kind="direct_debit",
    ),
    spec(
        17,
        "payment",
        "Petit Nettoyage SARL",
        ["BILL/2026/0067"],
        "Facture PN-09-2026",
        e2e="BILL-2026-0067",
    ),
    spec(
        17,
        "payment",
        "Mulder IT Services B.V.",
        ["BILL/2026/0069"],
        "Factuur MIT-2026-0981",
        e2e="BILL-2026-0069",
    ),
    spec(
        17,
        "reference",
        "Rousseau Distribution SAS",
        ["BILL/2026/0049"],
        "Facture RD-2026-0715",
        e2e="BILL-2026-0049",
    ),
    spec(
        18,
        "partial",
        "Schneider & Koch KG",
        ["INV/2026/0145"],
        "INV 2026 0145 1. Rate",
        amount=500000,
    ),
    spec(
        18,
        "reference",
        "Boulangerie Martin SARL",
        ["RINV/2026/0002"],
        "Remboursement avoir RINV/2026/0002",
    ),
    spec(
        18,
        "partner_amount",
        "Claes Interieur BV",
        ["INV/2026/0170"],
        "Betaling factuur",
        name="Claes Interiuer BV",
        iban="unknown",
    ),
    spec(
        19,
        "review",
        "Bakker Bouw B.V.",
        ["INV/2026/0132", "INV/2026/0172"],
        "Factuur INV/2026/0132 en INV/2026/0172",
        amount=300000,
    ),
    spec(
        19, "reference", "Wagner Fuhrpark GmbH", ["RBILL/2026/0004"], "Gutschrift RBILL/2026/0004"
    ),
    spec(
        19,
        "",
        "Hotel Adlon Kempinski",
        [],
        "Kartenzahlung Hotel Berlin",
        amount=-31240,
        kind="card",
    ),
    spec(20, "reference", "Krüger Feinkost GmbH", ["INV/2026/0055"], "Rechnung INV/2026/0055"),
    spec(
        20,
        "partner_amount",
        "Lambert Expertise Comptable SRL",
        ["BILL/2026/0037"],
        "Honoraires comptables juin",
    ),
    spec(20, "", "", [], "Entgelt SEPA-Überweisungen November", amount=-850, kind="fee"),
    # ---- MT940, 23-30 November, one statement per booking day ---------------------------
    spec(
        23,
        "reference",
        "Van Dijk Logistiek B.V.",
        ["INV/2026/0205"],
        "Betaling",
        e2e="INV-2026-0205",
    ),
    spec(23, "reference", "Garnier Vins SARL", ["INV/2026/0078"], "FACTURE INV/2026/0078"),
    spec(
        23,
        "review",
        "Hollandse Kantoorhuur B.V.",
        [],
        "Huur november 2026 Keizersgracht 112",
        amount=-290400,
        kind="standing",
    ),
    spec(23, "partner_amount", "Smit Tuinen B.V.", ["INV/2026/0137"], "Betaling juli"),
    spec(
        24,
        "reference",
        "ACME GmbH",
        ["INV/2026/0021", "INV/2026/0038"],
        "Rechnungen INV/2026/0021, INV/2026/0038",
    ),
    spec(
        24,
        "reference",
        "Keller Handelsgesellschaft mbH",
        ["BILL/2026/0003"],
        "Rechnung KH-2026-0113",
        e2e="BILL-2026-0003",
    ),
    spec(
        24,
        "writeoff",
        "Van den Berg Groothandel B.V.",
        ["INV/2026/0131"],
        "Factuur INV/2026/0131",
        short=75,
    ),
    spec(25, "partner_subset", "Schneider & Koch KG", [], "Sammelzahlung offene Posten"),
    spec(25, "reference", "Maes Consulting SRL", ["INV/2026/0106"], "Facture INV/2026/0106"),
    spec(25, "", "REWE Markt GmbH", [], "Kartenzahlung REWE Köln", amount=-4120, kind="card"),
    spec(
        26,
        "partial",
        "Laurent Transports SA",
        ["INV/2026/0085"],
        "Acompte facture INV/2026/0085",
        amount=400000,
    ),
    spec(
        26,
        "reference",
        "Roux Assurances SA",
        ["BILL/2026/0043"],
        "Prime RC pro 2026",
        e2e="BILL-2026-0043",
    ),
    spec(
        26, "partner_amount", "Peeters Bouwwerken NV", ["INV/2026/0210"], "Betaling factuur oktober"
    ),
    spec(
        27,
        "",
        "Anna Becker",
        [],
        "Gehalt November 2026",
        amount=-385000,
        iban="unknown",
        kind="salary",
    ),
    spec(
        27,
        "",
        "Jonas Weber",
        [],
        "Gehalt November 2026",
        amount=-412000,
        iban="unknown",
        kind="salary",
    ),
    spec(27, "reference", "Müller Maschinenbau GmbH", ["INV/2026/0118"], "Rechnung INV/2026/0118"),
    spec(
        27,
        "reference",
        "Nordlicht Software GmbH",
        ["BILL/2026/0007"],
        "Restbetrag Rechnung NL-2026-02",
        e2e="BILL-2026-0007",
    ),
    spec(30, "", "", [], "Abschluss Kontoführung November 2026", amount=-1540, kind="fee"),
    spec(30, "reference", "Dubois Architectes SAS", ["INV/2026/0074"], "Facture INV/2026/0074"),
    spec(30, "reference", "Smit Tuinen B.V.", ["INV/2026/0199"], "Factuur INV.2026.0199"),
    spec(30, "reference", "Wouters Elektro BV", ["INV/2026/0173"], "Factuur INV/2026/0173"),
]


def signed(cents: int) -> str:
    return ("-" if cents < 0 else "") + fmt(abs(cents))


def normalised(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def numbers_in(text: str, keys: dict[str, str]) -> list[str]:
    """Document numbers written in the text, as payctl finds them (case, spaces, separators
    ignored; a number is a run of up to 6 consecutive letter/digit tokens)."""
    tokens = re.findall(r"[0-9A-Z]+", text.upper())
    found: list[str] = []
    for i in range(len(tokens)):
        key = ""
        for token in tokens[i : i + 6]:
            key += token
            if key in keys and keys[key] not in found:
                found.append(keys[key])
    return found


def build_announced(invoices: list[dict], payments: list[dict]) -> list[dict]:
    """The ANNOUNCED payments, each for the whole residual of its document."""
    by_number = {x["number"]: x for x in invoices}
    remaining = {x["number"]: x["amount"] for x in invoices}
    for p in payments:
        for alloc in filter(None, p["allocations"].split(";")):
            number, amount = alloc.split("=")
            remaining[number] -= int(amount.replace(".", ""))
    out = []
    for number, date, memo in ANNOUNCED:
        doc = by_number[number]
        assert remaining[number] > 0 and doc["date"] <= date, number
        ptype = "customer_payment" if doc["type"] == "customer_invoice" else "vendor_payment"
        out.append(
            {
                "type": ptype,
                "partner": doc["partner"],
                "journal": "BNK1",
                "amount": remaining[number],
                "date": date,
                "memo": memo,
                "allocations": f"{number}={fmt(remaining[number])}",
            }
        )
    out.sort(key=lambda p: (p["date"], p["type"], p["partner"]))
    for i, p in enumerate(out, len(payments) + 1):
        p["reference"] = f"PAY-REF-{i:04d}"
    return out


class BankBook:
    """Open items and posted payments as payctl sees them while it imports the lines in order.

    Every line is checked against the matcher's rules before it is written, so a change to the
    data that would make a line match differently fails here, loudly."""

    def __init__(self, partners: list[dict], invoices: list[dict], payments: list[dict]):
        self.partners = {p["name"]: p for p in partners}
        self.ibans = {p["iban"]: p["name"] for p in partners if p["iban"]}
        self.docs = {x["number"]: x for x in invoices}
        self.order = {x["number"]: i for i, x in enumerate(invoices)}  # import order = ids
        self.residual = {x["number"]: x["amount"] for x in invoices}
        for p in payments:
            for alloc in filter(None, p["allocations"].split(";")):
                number, amount = alloc.split("=")
                self.residual[number] -= int(amount.replace(".", ""))
        assert all(v >= 0 for v in self.residual.values())
        self.keys = {normalised(n): n for n in self.docs}
        self.posted = payments
        self.used: set[int] = set()  # indexes of payments a line has reconciled

    def open_items(self, partner: str, kinds: tuple[str, ...]) -> list[dict]:
        items = [
            x
            for x in self.docs.values()
            if x["partner"] == partner and x["type"] in kinds and self.residual[x["number"]] > 0
        ]
        return sorted(items, key=lambda x: (x["date"], self.order[x["number"]]))

    def sums(self, partner: str, kinds: tuple[str, ...]) -> dict[int, list[list[str]]]:
        """Sums of 2+ open items of one kind among the partner's oldest ones -> the items."""
        items = self.open_items(partner, kinds)[:SUBSET_LIMIT]
        out: dict[int, list[list[str]]] = {}
        for kind in kinds:
            group = [x for x in items if x["type"] == kind]
            for size in range(2, len(group) + 1):
                for combo in itertools.combinations(group, size):
                    total = sum(self.residual[x["number"]] for x in combo)
                    out.setdefault(total, []).append([x["number"] for x in combo])
        return out

    def payments_of(self, partner: str, amount: int, date: dt.date, inbound: bool) -> list[int]:
        return [
            i
            for i, p in enumerate(self.posted)
            if i not in self.used
            and p["partner"] == partner
            and p["amount"] == amount
            and abs(p["date"] - date) <= PAYMENT_WINDOW
            and (p["type"] in ("customer_payment", "vendor_refund")) == inbound
        ]

    def settle(self, s: dict, date: dt.date) -> int:
        """Check the line against the rule it should match by; book it; return signed cents."""
        docs = s["docs"]
        inbound = (
            self.docs[docs[0]]["type"] in INBOUND
            if docs
            else s["amount"] is None or s["amount"] > 0
        )  # a sum: customer invoices
        kinds = INBOUND if inbound else OUTBOUND
        text = " ".join(filter(None, [s["e2e"], s["text"]]))
        seen = {
            "where": f"{date} {s['who']}",
            "date": date,
            "inbound": inbound,
            "kinds": kinds,
            "mentioned": [
                n
                for n in numbers_in(text, self.keys)
                if self.residual[n] > 0 and self.docs[n]["type"] in kinds
            ],
        }
        check = {
            "reference": self.by_reference,
            "partial": self.by_reference,
            "overpayment": self.by_reference,
            "writeoff": self.by_reference,
            "partner_amount": self.by_partner,
            "partner_subset": self.by_partner,
            "payment": self.by_payment,
            "review": self.for_review,
        }.get(s["rule"], self.unmatched)
        amount = check(s, **seen)
        return amount if inbound else -amount

    def by_reference(
        self,
        s: dict,
        where: str,
        date: dt.date,
        inbound: bool,
        kinds: tuple[str, ...],
        mentioned: list[str],
    ) -> int:
        rule, who, docs = s["rule"], s["who"], s["docs"]
        assert mentioned == docs, (where, mentioned, docs)
        assert all(self.docs[n]["partner"] == who for n in docs), where
        residual = sum(self.residual[n] for n in docs)
        amount = {"reference": residual, "writeoff": residual - s["short"]}.get(
            rule, s["amount"] and abs(s["amount"])
        )
        if rule == "writeoff":
            assert len(docs) == 1 and 0 < s["short"] <= WRITEOFF_TOLERANCE, where
        if rule == "partial":
            assert len(docs) == 1 and 0 < amount < residual - WRITEOFF_TOLERANCE, where
        if rule == "overpayment":
            assert len(docs) == 1 and amount > residual, where
        if rule != "reference":  # nothing the partner owes may score as well or better
            singles = [self.residual[x["number"]] for x in self.open_items(who, kinds)]
            assert amount not in singles, (where, "equals an open item")
            assert amount not in self.sums(who, kinds), (where, "equals a sum of items")
            assert not self.payments_of(who, amount, date, inbound), where
        for n in docs:
            self.residual[n] = self.residual[n] - amount if rule == "partial" else 0
        return amount

    def by_partner(
        self,
        s: dict,
        where: str,
        date: dt.date,
        inbound: bool,
        kinds: tuple[str, ...],
        mentioned: list[str],
    ) -> int:
        who, docs = s["who"], s["docs"]
        assert not mentioned, (where, mentioned)
        items = self.open_items(who, kinds)
        if s["rule"] == "partner_amount":
            amount = sum(self.residual[n] for n in docs)
            same = [x["number"] for x in items if self.residual[x["number"]] == amount]
            assert len(docs) == 1 and same == docs, where
        else:  # the two oldest items, and no single one, add up to the amount
            assert len({x["type"] for x in items}) == 1, where
            docs = s["docs"] = [x["number"] for x in items[:2]]
            amount = sum(self.residual[n] for n in docs)
            assert amount not in [self.residual[x["number"]] for x in items], where
            assert self.sums(who, kinds)[amount][0] == docs, where
        assert not self.payments_of(who, amount, date, inbound), where
        for n in docs:
            self.residual[n] = 0
        return amount

    def by_payment(
        self,
        s: dict,
        where: str,
        date: dt.date,
        inbound: bool,
        kinds: tuple[str, ...],
        mentioned: list[str],
    ) -> int:
        (doc,) = s["docs"]
        assert not mentioned and self.residual[doc] == 0, where
        paying = [
            i
            for i, p in enumerate(self.posted)
            if i not in self.used and doc in [a.split("=")[0] for a in p["allocations"].split(";")]
        ]
        amount = self.posted[paying[-1]]["amount"]
        fits = self.payments_of(s["who"], amount, date, inbound)
        assert fits == paying[-1:], (where, fits, paying)
        self.used.add(paying[-1])
        return amount

    def for_review(
        self,
        s: dict,
        where: str,
        date: dt.date,
        inbound: bool,
        kinds: tuple[str, ...],
        mentioned: list[str],
    ) -> int:
        who, docs, amount = s["who"], s["docs"], abs(s["amount"])
        assert mentioned == docs, where
        if not docs:  # the same amount is open several times: payctl will not guess
            same = [x for x in self.open_items(who, kinds) if self.residual[x["number"]] == amount]
            assert len(same) > 1, where
        else:  # several numbers, and the amount fits none of them nor their sum
            assert amount != sum(self.residual[n] for n in docs), where
            assert all(self.residual[n] != amount for n in docs), where
            assert amount not in self.sums(who, kinds), where
        return amount

    def unmatched(
        self,
        s: dict,
        where: str,
        date: dt.date,
        inbound: bool,
        kinds: tuple[str, ...],
        mentioned: list[str],
    ) -> int:
        assert s["rule"] == "" and not mentioned and s["amount"], where
        assert s["who"] not in self.partners, where
        return abs(s["amount"])


# What each kind of line looks like: camt bank transaction code (domain, family, sub-family),
# MT940 transaction type and German business transaction code (GVC) with its posting text.
LINE_KINDS = {
    # kind, inbound: (camt codes, MT940 type, GVC, posting text)
    ("transfer", True): (("PMNT", "RCDT", "ESCT"), "NTRF", "166", "GUTSCHR. UEBERWEISUNG"),
    ("transfer", False): (("PMNT", "ICDT", "ESCT"), "NTRF", "116", "SEPA-UEBERWEISUNG"),
    ("tax", False): (("PMNT", "ICDT", "ESCT"), "NTRF", "116", "SEPA-UEBERWEISUNG"),
    ("standing", False): (("PMNT", "ICDT", "STDO"), "NSTO", "117", "DAUERAUFTRAG"),
    ("salary", False): (("PMNT", "ICDT", "SALA"), "NTRF", "153", "LOHN/GEHALT"),
    ("direct_debit", False): (("PMNT", "IDDT", "ESDD"), "NDDT", "105", "SEPA-BASISLASTSCHRIFT"),
    ("card", False): (("PMNT", "CCRD", "POSD"), "NMSC", "106", "KARTENZAHLUNG"),
    ("fee", False): (("ACMT", "MDOP", "CHRG"), "NCHG", "805", "ENTGELT"),
}


def build_bank_lines(
    rng: random.Random, partners: list[dict], invoices: list[dict], payments: list[dict]
) -> list[dict]:
    """The lines of November in booking order, each checked, with balances and bank ids."""
    book = BankBook(partners, invoices, payments)
    by_name = {p["name"]: p for p in partners}
    balance = OPENING_BALANCE
    lines = []
    ids: set[str] = set()
    for s in sorted(BANK_LINES, key=lambda s: s["day"]):  # stable: a day keeps its order
        date = dt.date(2026, 11, s["day"])
        assert date.weekday() < 5, date
        amount = book.settle(s, date)
        partner = by_name.get(s["who"])
        if s["iban"] == "unknown":
            country = partner["country"] if partner else "DE"
            iban = random_iban(rng, country)
            assert iban not in book.ibans
        else:
            iban = partner["iban"] if partner else ""
            assert s["kind"] in ("card", "fee") or iban, (date, s["who"], "has no IBAN")
        while True:
            txid = f"{date:%Y%m%d}{rng.randrange(10**8):08d}"
            if txid not in ids:
                ids.add(txid)
                break
        balance += amount
        assert balance > 0, date
        lines.append(
            {
                **s,
                "date": date,
                "cents": amount,
                "balance": balance,
                "name": s["name"] or s["who"],
                "iban": iban,
                "txid": txid,
                "codes": LINE_KINDS[(s["kind"], amount > 0)],
            }
        )
    return lines


def in_days(lines: list[dict], fmt_name: str) -> list[dict]:
    first, last = BANK_FILES[fmt_name]
    return [ln for ln in lines if first <= ln["day"] <= last]


def balance_before(lines: list[dict], first: dict) -> int:
    return first["balance"] - first["cents"]


def write_bank_csv(path: Path, lines: list[dict]) -> None:
    """A plain bank CSV whose header names payctl's generic profile recognises."""
    kinds = {
        "transfer": "SEPA credit transfer",
        "tax": "SEPA credit transfer",
        "standing": "Standing order",
        "salary": "Salary payment",
        "direct_debit": "SEPA direct debit",
        "card": "Card payment",
        "fee": "Bank charges",
    }
    write_csv(
        path,
        [
            "Date",
            "Value date",
            "Account IBAN",
            "Type",
            "Counterparty",
            "Counterparty IBAN",
            "Description",
            "End to end reference",
            "Amount",
            "Currency",
            "Balance",
            "Transaction ID",
        ],
        [
            [
                ln["date"].isoformat(),
                ln["date"].isoformat(),
                OWN_IBAN,
                kinds[ln["kind"]],
                ln["name"],
                ln["iban"],
                ln["text"],
                ln["e2e"],
                signed(ln["cents"]),
                "EUR",
                signed(ln["balance"]),
                ln["txid"],
            ]
            for ln in lines
        ],
    )


def write_camt053(path: Path, lines: list[dict]) -> None:
    """camt.053.001.02: one statement, opening and closing booked balances, one entry a line."""
    first_day, last_day = (dt.date(2026, 11, d) for d in BANK_FILES["camt"])
    opening = balance_before(lines, lines[0])
    closing = lines[-1]["balance"]
    created = f"{last_day.isoformat()}T19:42:10"

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, tag, attrs)
        if text is not None:
            el.text = text
        return el

    def balance(parent: ET.Element, code: str, cents: int, day: dt.date) -> None:
        bal = sub(parent, "Bal")
        sub(sub(sub(bal, "Tp"), "CdOrPrtry"), "Cd", code)
        sub(bal, "Amt", fmt(abs(cents)), Ccy="EUR")
        sub(bal, "CdtDbtInd", "CRDT" if cents >= 0 else "DBIT")
        sub(sub(bal, "Dt"), "Dt", day.isoformat())

    doc = ET.Element(
        "Document",
        {
            "xmlns": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        },
    )
    root = sub(doc, "BkToCstmrStmt")
    header = sub(root, "GrpHdr")
    sub(header, "MsgId", f"LHS053{last_day:%Y%m%d}001")
    sub(header, "CreDtTm", created)
    pages = sub(header, "MsgPgntn")
    sub(pages, "PgNb", "1")
    sub(pages, "LastPgInd", "true")
    stmt = sub(root, "Stmt")
    sub(stmt, "Id", f"053-{first_day:%Y%m%d}-{last_day:%Y%m%d}")
    sub(stmt, "ElctrncSeqNb", "221")
    sub(stmt, "CreDtTm", created)
    period = sub(stmt, "FrToDt")
    sub(period, "FrDtTm", f"{first_day.isoformat()}T00:00:00")
    sub(period, "ToDtTm", f"{last_day.isoformat()}T23:59:59")
    acct = sub(stmt, "Acct")
    sub(sub(acct, "Id"), "IBAN", OWN_IBAN)
    sub(acct, "Ccy", "EUR")
    sub(sub(acct, "Ownr"), "Nm", OWN_NAME)
    sub(sub(sub(acct, "Svcr"), "FinInstnId"), "BIC", OWN_BIC)
    balance(stmt, "OPBD", opening, first_day)
    balance(stmt, "CLBD", closing, last_day)
    summary = sub(stmt, "TxsSummry")
    total = sub(summary, "TtlNtries")
    net = sum(ln["cents"] for ln in lines)
    sub(total, "NbOfNtries", str(len(lines)))
    sub(total, "Sum", fmt(sum(abs(ln["cents"]) for ln in lines)))
    sub(total, "TtlNetNtryAmt", fmt(abs(net)))
    sub(total, "CdtDbtInd", "CRDT" if net >= 0 else "DBIT")
    for tag, chosen in (
        ("TtlCdtNtries", [ln for ln in lines if ln["cents"] > 0]),
        ("TtlDbtNtries", [ln for ln in lines if ln["cents"] < 0]),
    ):
        part = sub(summary, tag)
        sub(part, "NbOfNtries", str(len(chosen)))
        sub(part, "Sum", fmt(sum(abs(ln["cents"]) for ln in chosen)))
    for ln in lines:
        inbound = ln["cents"] > 0
        (domain, family, subfamily), _, _, posting = ln["codes"]
        entry = sub(stmt, "Ntry")
        sub(entry, "Amt", fmt(abs(ln["cents"])), Ccy="EUR")
        sub(entry, "CdtDbtInd", "CRDT" if inbound else "DBIT")
        sub(entry, "Sts", "BOOK")
        sub(sub(entry, "BookgDt"), "Dt", ln["date"].isoformat())
        sub(sub(entry, "ValDt"), "Dt", ln["date"].isoformat())
        sub(entry, "AcctSvcrRef", ln["txid"])
        code = sub(sub(entry, "BkTxCd"), "Domn")
        sub(code, "Cd", domain)
        fam = sub(code, "Fmly")
        sub(fam, "Cd", family)
        sub(fam, "SubFmlyCd", subfamily)
        if ln["kind"] != "fee":
            tx = sub(sub(entry, "NtryDtls"), "TxDtls")
            refs = sub(tx, "Refs")
            sub(refs, "EndToEndId", ln["e2e"] or "NOTPROVIDED")
            if ln["kind"] == "direct_debit":
                sub(refs, "MndtId", f"MNDT-{ln['e2e'][:3]}-0042")
            sub(sub(sub(tx, "AmtDtls"), "TxAmt"), "Amt", fmt(abs(ln["cents"])), Ccy="EUR")
            parties = sub(tx, "RltdPties")
            party = "Dbtr" if inbound else "Cdtr"
            sub(sub(parties, party), "Nm", ln["name"])
            if ln["iban"]:
                sub(sub(sub(parties, party + "Acct"), "Id"), "IBAN", ln["iban"])
            if ln["kind"] == "salary":
                sub(sub(tx, "Purp"), "Cd", "SALA")
            sub(sub(tx, "RmtInf"), "Ustrd", ln["text"])
            sub(entry, "AddtlNtryInf", posting)
        else:
            sub(entry, "AddtlNtryInf", ln["text"])
    ET.indent(doc, space="  ")
    body = ET.tostring(doc, encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n", encoding="utf-8")


def swift_text(text: str) -> str:
    """MT940 is plain ASCII: umlauts spelled out, other accents dropped."""
    for a, b in (
        ("ä", "ae"),
        ("ö", "oe"),
        ("ü", "ue"),
        ("Ä", "Ae"),
        ("Ö", "Oe"),
        ("Ü", "Ue"),
        ("ß", "ss"),
    ):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    assert "?" not in text, text  # ? starts a sub-field
    return text


def mt940_details(ln: dict) -> list[str]:
    """German :86: with ?-sub-fields: GVC, ?00 posting text, ?20-?29/?60-?63 purpose (SEPA
    keywords EREF+, MREF+, CRED+, SVWZ+), ?31 IBAN, ?32/?33 name; 65 characters a line."""
    _, _, gvc, posting = ln["codes"]
    keywords = []
    if ln["e2e"]:
        keywords.append(f"EREF+{ln['e2e']}")
    if ln["kind"] == "direct_debit":
        keywords += [f"MREF+MNDT-{ln['e2e'][:3]}-0042", "CRED+DE98ZZZ09999999999"]
    keywords.append(f"SVWZ+{swift_text(ln['text'])}")
    chunks = []
    for keyword in keywords:
        pieces = [keyword[i : i + 27] for i in range(0, len(keyword), 27)]
        # a full sub-field runs on into the next one: only the last keyword may end full
        assert len(pieces[-1]) < 26 or keyword is keywords[-1], keyword
        chunks += pieces
    codes = [f"2{i}" for i in range(10)] + ["60", "61", "62", "63"]
    assert len(chunks) <= len(codes)
    flat = f"{gvc}?00{posting}?109310"
    flat += "".join(f"?{code}{chunk}" for code, chunk in zip(codes, chunks, strict=False))
    if ln["iban"]:
        flat += f"?31{ln['iban']}"
    name = swift_text(ln["name"])
    if name:
        flat += f"?32{name[:27]}" + (f"?33{name[27:54]}" if len(name) > 27 else "")
    flat += "?34000" if ln["cents"] > 0 else "?34997"
    lines = []
    while flat:  # 65 characters a line, never ending in a space (editors strip those)
        cut = 65 if len(flat) > 65 else len(flat)
        while flat[cut - 1] == " ":
            cut -= 1
        lines.append(flat[:cut])
        flat = flat[cut:]
    assert len(lines) <= 6, lines
    return lines


def write_mt940(path: Path, lines: list[dict], first_number: int = 221) -> None:
    """MT940 as a German bank sends it: one statement per booking day, balances adding up."""
    days = sorted({ln["date"] for ln in lines})
    out = []
    previous = dt.date(2026, 11, BANK_FILES["camt"][1])  # the camt.053 closes on the 20th
    balance = balance_before(lines, lines[0])

    def mt_balance(tag: str, day: dt.date, cents: int) -> str:
        mark = "C" if cents >= 0 else "D"
        return f":{tag}:{mark}{day:%y%m%d}EUR{fmt(abs(cents)).replace('.', ',')}"

    for number, day in enumerate(days, first_number):
        out += [
            ":20:STARTUMSE",
            f":25:{OWN_IBAN}",
            f":28C:{number:05d}/001",
            mt_balance("60F", previous, balance),
        ]
        for ln in (x for x in lines if x["date"] == day):
            _, mt_type, _, _ = ln["codes"]
            mark = "C" if ln["cents"] > 0 else "D"
            amount = fmt(abs(ln["cents"])).replace(".", ",")
            out.append(f":61:{day:%y%m%d}{day:%m%d}{mark}{amount}{mt_type}NONREF//{ln['txid']}")
            details = mt940_details(ln)
            out += [":86:" + details[0], *details[1:]]
            balance += ln["cents"]
            assert balance == ln["balance"]
        out += [mt_balance("62F", day, balance), "-"]
        previous = day
    path.write_bytes(("\r\n".join(out) + "\r\n").encode("ascii"))


# --------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main() -> None:
    rng = random.Random(SEED)
    partners = build_partners(rng)
    invoices = build_invoices(rng, partners)
    payments = build_payments(rng, partners, invoices)
    payments += build_announced(invoices, payments)
    lines = build_bank_lines(random.Random(BANK_SEED), partners, invoices, payments)

    write_csv(
        OUT_DIR / "partners.csv",
        ["name", "kind", "iban", "email", "vat"],
        [[p["name"], p["kind"], p["iban"], p["email"], p["vat"]] for p in partners],
    )
    write_csv(
        OUT_DIR / "invoices.csv",
        ["number", "partner", "amount", "type", "date", "due_date", "currency"],
        [
            [
                x["number"],
                x["partner"],
                fmt(x["amount"]),
                x["type"],
                x["date"].isoformat(),
                x["due_date"].isoformat(),
                "EUR",
            ]
            for x in invoices
        ],
    )
    write_csv(
        OUT_DIR / "payments.csv",
        ["type", "partner", "journal", "amount", "date", "reference", "memo", "allocations"],
        [
            [
                p["type"],
                p["partner"],
                p["journal"],
                fmt(p["amount"]),
                p["date"].isoformat(),
                p["reference"],
                p["memo"],
                p["allocations"],
            ]
            for p in payments
        ],
    )
    BANK_DIR.mkdir(exist_ok=True)
    write_bank_csv(BANK_DIR / "2026-11_bnk1.csv", in_days(lines, "csv"))
    write_camt053(BANK_DIR / "2026-11_bnk1_camt053.xml", in_days(lines, "camt"))
    write_mt940(BANK_DIR / "2026-11_bnk1.sta", in_days(lines, "mt940"))
    print(
        f"wrote {len(partners)} partners, {len(invoices)} invoices, "
        f"{len(payments)} payments to {OUT_DIR}"
    )
    print(
        f"wrote {len(lines)} bank lines of November 2026 to {BANK_DIR}: "
        + ", ".join(f"{name} {len(in_days(lines, name))}" for name in BANK_FILES)
    )


if __name__ == "__main__":
    main()

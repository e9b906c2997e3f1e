#!/usr/bin/env python3
"""Generate deterministic sample data for the payctl README tour.

Writes partners.csv, invoices.csv and payments.csv next to this script.
Standard library only; every random choice comes from random.Random(2026),
so the output is byte-for-byte identical on every run.

All money is handled as integer cents and only formatted to "1234.56" at the
very end -- no floats ever touch an amount.

Usage:
    python sample_data/make_sample_data.py
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import unicodedata
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
LEGAL_FORMS = {"gmbh", "ag", "kg", "e.k.", "mbh", "b.v.", "v.o.f.", "sarl",
               "sas", "sa", "nv", "bv", "srl", "&"}
EMAIL_PREFIXES = {
    "DE": ["buchhaltung", "rechnungen", "accounts", "finanzen"],
    "NL": ["administratie", "facturen", "accounts", "crediteuren"],
    "FR": ["comptabilite", "factures", "compta", "accounts"],
    "BE": ["boekhouding", "facturatie", "accounts", "comptabilite"],
}

# Bank identifiers (real-looking bank/sort codes; account numbers are random).
DE_BANK_CODES = ["10070000", "37040044", "50010517", "70150000", "20050550",
                 "12030000", "60050101", "43060967"]
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
            if sum(int(d) * w for d, w in zip(acct, range(10, 0, -1))) % 11 == 0:
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


def random_vat(rng: random.Random, country: str) -> str:
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
            total = sum(int(d) * w for d, w in zip(n[:8], range(9, 1, -1)))
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
    folded = (name.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
              .replace("ß", "ss"))
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


def sorted_dates(rng: random.Random, n: int, first: dt.date | None = None,
                 last: dt.date = YEAR_END) -> list[dt.date]:
    pool = [d for d in BUSINESS_DAYS if d <= last]
    ds = sorted(rng.choice(pool) for _ in range(n - (first is not None)))
    return ([first] if first else []) + ds


# --------------------------------------------------------------------------
# generators
# --------------------------------------------------------------------------

def build_partners(rng: random.Random) -> list[dict]:
    partners = []
    for name, country, kind in PARTNERS:
        partners.append({
            "name": name, "kind": kind, "country": country,
            "iban": random_iban(rng, country),
            "email": f"{rng.choice(EMAIL_PREFIXES[country])}@{domain_for(name)}",
            "vat": random_vat(rng, country),
            "term": rng.choice([14, 30, 30, 45]),
            "weight": rng.choice([1, 2, 3, 5, 8]),
        })
    acme = partners[0]
    acme.update(iban=make_iban("DE", "".join(ACME_IBAN_BBAN)),
                email="accounts@acme.example", vat=ACME_VAT, term=30, weight=8)

    rest = partners[1:]
    customers = [p for p in rest if p["kind"] == "customer"]
    for p in rng.sample(customers, 5):       # customers we never pay out to
        p["iban"] = ""
    for p in rng.sample(rest, 5):
        p["email"] = ""
    for p in rng.sample(rest, 4):             # e.g. small firms, VAT unknown
        p["vat"] = ""
    rng.shuffle(rest)
    return [acme] + rest


def random_amount(rng: random.Random, country: str) -> int:
    lo, hi = rng.choices(
        [(5000, 50000), (50000, 250000), (250000, 1000000), (1000000, 2000000)],
        weights=[30, 40, 22, 8])[0]
    net = rng.randrange(lo, hi + 1)
    shape = rng.random()
    if shape < 0.25:
        net = max(5000, net // 5000 * 5000)       # round 50-euro amounts
    elif shape < 0.60:
        net = max(5000, net // 100 * 100)         # whole euros
    if rng.random() < 0.75:                       # gross incl. VAT
        return add_vat(net, VAT_RATE_PERMILLE[country])
    return net


def build_invoices(rng: random.Random, partners: list[dict]) -> list[dict]:
    by_name = {p["name"]: p for p in partners}
    cust = [p for p in partners if p["kind"] in ("customer", "both")]
    vend = [p for p in partners if p["kind"] in ("vendor", "both")]
    invoices: list[dict] = []

    def add(prefix, type_, seq, partner, cents, date):
        invoices.append({
            "number": f"{prefix}/2026/{seq:04d}", "partner": partner["name"],
            "amount": cents, "type": type_, "date": date,
            "due_date": date + dt.timedelta(days=partner["term"]),
        })

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
        bills.append((next_weekday(dt.date(2026, month, 3)) if month > 1 else first,
                      saas, add_vat(34900, 190)))
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
            earlier = [x for x in sources if x["date"] <= d
                       and not (source_type == "vendor_bill"
                                and x["partner"] in (rent["name"], saas["name"]))]
            src = rng.choice(earlier)
            pct = rng.choice([10, 15, 20, 25, 50, 100])
            cents = max(5000, src["amount"] * pct // 100)
            cents = min(cents, src["amount"])
            add(prefix, type_, i, by_name[src["partner"]], cents, d)

    credit_notes(10, "RINV", "customer_credit_note", "customer_invoice")
    credit_notes(4, "RBILL", "vendor_credit_note", "vendor_bill")

    rank = {"customer_invoice": 0, "vendor_bill": 1,
            "customer_credit_note": 2, "vendor_credit_note": 3}
    invoices.sort(key=lambda x: (x["date"], rank[x["type"]], x["number"]))
    return invoices


def build_payments(rng: random.Random, partners: list[dict],
                   invoices: list[dict]) -> list[dict]:
    by_name = {p["name"]: p for p in partners}
    cutoff = dt.date(2026, 10, 16)
    remaining = {x["number"]: x["amount"] for x in invoices}
    last_paid: dict[str, dt.date] = {}
    payments: list[dict] = []

    def open_docs(type_):
        return [x for x in invoices if x["type"] == type_ and x["date"] <= cutoff
                and remaining[x["number"]] > 0]

    def make(ptype, doc_type, n):
        for _ in range(n):
            docs = open_docs(doc_type)
            partner_names = list(dict.fromkeys(x["partner"] for x in docs))
            pname = rng.choice(partner_names)
            mine = [x for x in docs if x["partner"] == pname]
            k = 2 if len(mine) >= 2 and rng.random() < 0.3 else 1
            chosen = mine[:k] if rng.random() < 0.7 else sorted(
                rng.sample(mine, k), key=lambda x: x["number"])
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
            if rng.random() < 0.08:                 # small overpayment
                total += rng.choice([1000, 2500, 5000, 10000])
            latest = max(doc["date"] for doc, _ in allocs)
            earliest_ok = max([latest] + [last_paid[d["number"]] + dt.timedelta(days=7)
                                          for d, _ in allocs if d["number"] in last_paid])
            term = by_name[pname]["term"]
            date = latest + dt.timedelta(days=max(0, term + rng.randint(-12, 12)))
            date = next_weekday(max(date, earliest_ok))
            date = min(date, LAST_PAYMENT_DATE)
            for doc, _ in allocs:
                last_paid[doc["number"]] = date
            nums = [doc["number"] for doc, _ in allocs]
            memo = rng.choice(
                ["", "", f"Payment {nums[0]}", f"Invoice {' + '.join(nums)}",
                 "Bank transfer", "Thank you"] if ptype == "customer_payment" else
                ["", f"Bill {' + '.join(nums)}", "Supplier payment", "SEPA transfer"])
            if partial:
                memo = "Partial payment"
            payments.append({
                "type": ptype, "partner": pname, "journal": "BNK1",
                "amount": total, "date": date, "memo": memo,
                "allocations": ";".join(f"{d['number']}={fmt(c)}" for d, c in allocs),
            })

    make("customer_payment", "customer_invoice", 43)
    make("vendor_payment", "vendor_bill", 14)

    # on-account payments (no allocations)
    cust = [p for p in partners if p["kind"] in ("customer", "both")]
    vend = [p for p in partners if p["kind"] in ("vendor", "both") and p["iban"]]
    on_account = [("customer_payment", rng.choice(cust), 50000, "Deposit"),
                  ("customer_payment", rng.choice(cust), 150000, "Advance payment"),
                  ("vendor_payment", rng.choice(vend), 100000, "Prepayment")]
    for ptype, p, cents, memo in on_account:
        payments.append({
            "type": ptype, "partner": p["name"], "journal": "BNK1", "amount": cents,
            "date": rng.choice(BUSINESS_DAYS), "memo": memo, "allocations": "",
        })

    # three small customer payments were paid in cash
    small = sorted((p for p in payments
                    if p["type"] == "customer_payment" and p["allocations"]),
                   key=lambda p: (p["amount"], p["partner"]))[:3]
    for p in small:
        p["journal"] = "CSH1"
        p["memo"] = "Cash at counter"

    payments.sort(key=lambda p: (p["date"], p["type"], p["partner"]))
    for i, p in enumerate(payments, 1):
        p["reference"] = f"PAY-REF-{i:04d}"
    return payments


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

    write_csv(OUT_DIR / "partners.csv", ["name", "kind", "iban", "email", "vat"],
              [[p["name"], p["kind"], p["iban"], p["email"], p["vat"]]
               for p in partners])
    write_csv(OUT_DIR / "invoices.csv",
              ["number", "partner", "amount", "type", "date", "due_date", "currency"],
              [[x["number"], x["partner"], fmt(x["amount"]), x["type"],
                x["date"].isoformat(), x["due_date"].isoformat(), "EUR"]
               for x in invoices])
    write_csv(OUT_DIR / "payments.csv",
              ["type", "partner", "journal", "amount", "date", "reference", "memo",
               "allocations"],
              [[p["type"], p["partner"], p["journal"], fmt(p["amount"]),
                p["date"].isoformat(), p["reference"], p["memo"], p["allocations"]]
               for p in payments])
    print(f"wrote {len(partners)} partners, {len(invoices)} invoices, "
          f"{len(payments)} payments to {OUT_DIR}")


if __name__ == "__main__":
    main()

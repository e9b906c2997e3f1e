"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification) reader.

Versions .001.02 to .001.08 (and camt.052 reports, which share the layout); namespace-agnostic.
One pass with a pull parser: each ``<Ntry>`` is turned into bank lines when it ends and then
cleared, each ``<Stmt>``/``<Ntfctn>`` into a statement when it ends, so memory stays flat and
nothing is searched twice.

Rules (see issue 5):

- amounts are unsigned in camt: the sign is ``CdtDbtInd`` (CRDT +, DBIT -). ISO 20022 defines
  ``RvslInd=true`` as "this entry reverses an earlier one" with ``CdtDbtInd`` already giving the
  reversal's own direction, so the sign is NOT flipped by default (read option
  ``reversal_flips_sign=True`` flips it for banks that get this wrong);
- entries whose status is pending or information only (``PDNG``/``INFO``/``FUTR``) are not
  booked and are skipped;
- a batch entry with several ``TxDtls`` becomes one line per ``TxDtls`` when the details'
  amounts (signed by their own ``CdtDbtInd``, else the entry's) add up to the entry's amount in
  the entry's currency; otherwise it stays one line with the entry's amount;
- booking date ``BookgDt`` (``Dt`` or ``DtTm``), else the value date, else the statement's date
  (closing balance date, period end, creation date, group header creation date);
- counterparty: the debtor for a credit, the creditor for a debit (by ``CdtDbtInd``);
- balances: ``OPBD`` (else ``PRCD``) opening, ``CLBD`` closing, signed by their
  ``CdtDbtInd`` (missing: positive).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from payctl.importers import xmlsafe
from payctl.importers.bank import BankFileError, ParsedLine, ParsedStatement
from payctl.importers.values import exact_amount

FORMAT = "camt"

_CONTAINERS = ("Stmt", "Ntfctn", "Rpt")
_TAILS = ("Ntry", "GrpHdr") + _CONTAINERS
_NOT_BOOKED = {"PDNG", "INFO", "FUTR"}
_NOT_PROVIDED = {"NOTPROVIDED", "NONREF"}
_AMOUNT = re.compile(r"\d{1,18}(?:\.\d{1,10})?")
_STARTS = {  # start tags, to tell the line of the n-th entry or statement in an error
    "Ntry": re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Ntry[\s/>]"),
    "Stmt": re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:Stmt|Ntfctn|Rpt)[\s/>]"),
}
_UNDATED = dt.date.min  # placeholder until the statement's own date is known


def sniff(head: bytes) -> bool:
    text = _ascii_head(head)
    return "<" in text and ("BkToCstmr" in text or "xsd:camt.05" in text)


def _ascii_head(head: bytes) -> str:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", errors="ignore")
    return head.decode("latin-1")


def read(data: bytes, source: str, **options: Any) -> list[ParsedStatement]:
    return _Reader(data, source, bool(options.get("reversal_flips_sign", False))).run()


@lru_cache(maxsize=1024)
def _tags(ns: str, path: str) -> tuple[str, ...]:
    return tuple(ns + part for part in path.split("/"))


def _find(elem: ET.Element | None, ns: str, path: str) -> ET.Element | None:
    """``elem.find(path)`` one child step at a time: each step is the C fast path, several
    times quicker than ElementPath's general matcher."""
    for tag in _tags(ns, path):
        if elem is None:
            return None
        elem = elem.find(tag)
    return elem


def _all(elem: ET.Element, ns: str, path: str) -> list[ET.Element]:
    """``elem.findall(path)`` one child step at a time."""
    found = [elem]
    for tag in _tags(ns, path):
        found = [child for parent in found for child in parent.findall(tag)]
    return found


def _text(elem: ET.Element | None, ns: str, path: str) -> str | None:
    found = _find(elem, ns, path)
    value = found.text if found is not None else None
    if value is None:
        return None
    value = value.strip()
    return value or None


def _first(elem: ET.Element | None, ns: str, *paths: str) -> str | None:
    for path in paths:
        value = _text(elem, ns, path)
        if value:
            return value
    return None


def _ns(tag: str) -> str:
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


class _Reader:
    def __init__(self, data: bytes, source: str, reversal_flips_sign: bool) -> None:
        self.data = data
        self.source = source
        self.flip_reversals = reversal_flips_sign
        self.statements: list[ParsedStatement] = []
        self.pending: list[ParsedLine] = []
        self.header_date: dt.date | None = None
        self.entry_no = 0
        self.statement_no = 0  # while a statement is being finished, else 0
        self._starts: dict[str, list[int]] = {}

    # --- driving ------------------------------------------------------------------------

    def run(self) -> list[ParsedStatement]:
        for _event, elem in xmlsafe.iterparse(self.data, self.source):
            tag = elem.tag
            if not tag.endswith(_TAILS):
                continue
            local = tag[tag.rfind("}") + 1 :]
            if local == "Ntry":
                self.entry_no += 1
                self.pending.extend(self._entry(elem, _ns(tag)))
                elem.clear()
            elif local in _CONTAINERS:
                self.statement_no = len(self.statements) + 1
                self.statements.append(self._statement(elem, _ns(tag)))
                self.statement_no = 0
                elem.clear()
            elif local == "GrpHdr":
                self.header_date = self._date(elem, _ns(tag), "CreDtTm", None)
        if self.pending or not self.statements:
            raise BankFileError(
                f"{self.source}: no camt statement or notification (<Stmt>/<Ntfctn>) found"
            )
        return self.statements

    def line_of(self, kind: str, number: int) -> int | None:
        """The line where the ``number``-th entry (``kind`` "Ntry") or statement ("Stmt")
        starts; one scan of the bytes per kind, on first use."""
        lines = self._starts.get(kind)
        if lines is None:
            lines, line, last = [], 1, 0
            for match in _STARTS[kind].finditer(self.data):
                line += self.data.count(b"\n", last, match.start())
                last = match.start()
                lines.append(line)
            self._starts[kind] = lines
        return lines[number - 1] if 0 < number <= len(lines) else None

    def fail(self, field: str, problem: str, entry: int | None = None) -> BankFileError:
        where: int | str | None = None
        if entry:
            where = self.line_of("Ntry", entry) or f"entry {entry}"
            if not field.startswith(("Ntry", "TxDtls")):
                field = f"Ntry/{field}"
        elif self.statement_no:
            where = self.line_of("Stmt", self.statement_no) or f"statement {self.statement_no}"
            field = f"Stmt/{field}"
        return BankFileError.at(self.source, where, field, problem)

    # --- values -------------------------------------------------------------------------

    def _amount(
        self,
        text: str | None,
        field: str,
        entry: int | None,
        currency: str | None,
        signed: bool = False,
    ) -> Decimal:
        """The amount of ``text``; with its currency's decimals (:func:`exact_amount`) when the
        element names the currency (else the account's, see :meth:`_finish_lines`)."""
        if text is None:
            raise self.fail(field, "missing", entry)
        body = text[1:] if signed and text[:1] in "+-" else text
        if not _AMOUNT.fullmatch(body):
            raise self.fail(field, f"{text!r} is not an amount", entry)
        try:
            value = Decimal(body)
        except InvalidOperation:  # pragma: no cover - the pattern already refuses it
            raise self.fail(field, f"{text!r} is not an amount", entry) from None
        if currency:
            try:
                value = exact_amount(value, currency)
            except ValueError as exc:
                raise self.fail(field, str(exc), entry) from None
        return -value if text.startswith("-") and signed else value

    def _date(
        self, elem: ET.Element | None, ns: str, path: str, entry: int | None
    ) -> dt.date | None:
        text = _text(elem, ns, path)
        if text is None:
            return None
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise self.fail(path, f"{text!r} is not a date", entry) from None

    def _either_date(
        self, elem: ET.Element | None, ns: str, path: str, entry: int | None
    ) -> dt.date | None:
        return self._date(elem, ns, f"{path}/Dt", entry) or self._date(
            elem, ns, f"{path}/DtTm", entry
        )

    def _sign(self, indicator: str | None, field: str, entry: int | None) -> int:
        if indicator == "CRDT":
            return 1
        if indicator == "DBIT":
            return -1
        if indicator is None:
            raise self.fail(field, "missing (expected CRDT or DBIT)", entry)
        raise self.fail(field, f"{indicator!r} is neither CRDT nor DBIT", entry)

    # --- entries ------------------------------------------------------------------------

    def _entry(self, ntry: ET.Element, ns: str) -> list[ParsedLine]:
        no = self.entry_no
        status = _first(ntry, ns, "Sts/Cd", "Sts")
        if status and status.upper() in _NOT_BOOKED:
            return []
        amt = _find(ntry, ns, "Amt")
        currency = (amt.get("Ccy") or "").strip().upper() if amt is not None else ""
        amount = self._amount(
            amt.text.strip() if amt is not None and amt.text else None, "Ntry/Amt", no, currency
        )
        sign = self._sign(_text(ntry, ns, "CdtDbtInd"), "Ntry/CdtDbtInd", no)
        reversal = (_text(ntry, ns, "RvslInd") or "").lower() in ("true", "1")
        flip = -1 if reversal and self.flip_reversals else 1
        booking = self._either_date(ntry, ns, "BookgDt", no)
        value = self._either_date(ntry, ns, "ValDt", no)
        base = {
            "booking_date": booking or value or _UNDATED,
            "value_date": value,
            "currency": currency,
            "line_no": self.line_of("Ntry", no),
        }
        details = _all(ntry, ns, "NtryDtls/TxDtls")
        entry_ref = _text(ntry, ns, "AcctSvcrRef")
        entry_id = entry_ref or _text(ntry, ns, "NtryRef")
        fallback_text = _text(ntry, ns, "AddtlNtryInf")
        parts = self._split(details, ns, amount * sign, currency, no) if len(details) > 1 else None
        if parts is not None:
            own_ids = [_detail_id(d, ns) for d in details]
            unique = None not in own_ids and len(set(own_ids)) == len(own_ids)
            lines = []
            for n, (detail, part) in enumerate(zip(details, parts, strict=True), start=1):
                txid = f"{entry_id}/{n}" if entry_id else (own_ids[n - 1] if unique else None)
                lines.append(
                    self._line(base, part * flip, detail, ns, fallback_text, txid, credit=part > 0)
                )
            return lines
        if len(details) == 1:
            txid = entry_ref or _detail_id(details[0], ns) or _text(ntry, ns, "NtryRef")
            return [
                self._line(
                    base, amount * sign * flip, details[0], ns, fallback_text, txid, credit=sign > 0
                )
            ]
        return [
            self._merged_line(
                base, amount * sign * flip, details, ns, fallback_text, entry_id, credit=sign > 0
            )
        ]

    def _split(
        self, details: list[ET.Element], ns: str, entry_amount: Decimal, currency: str, no: int
    ) -> list[Decimal] | None:
        """The details' signed amounts when they add up to the entry's amount, else None."""
        parts = []
        for detail in details:
            amt = _find(detail, ns, "Amt")
            if amt is None:
                amt = _find(detail, ns, "AmtDtls/TxAmt/Amt")
            if amt is None or (amt.get("Ccy") or "").strip().upper() != currency:
                return None
            value = self._amount((amt.text or "").strip() or None, "TxDtls/Amt", no, currency)
            indicator = _text(detail, ns, "CdtDbtInd")
            sign = (
                self._sign(indicator, "TxDtls/CdtDbtInd", no)
                if indicator
                else (1 if entry_amount > 0 else -1)
            )
            parts.append(value * sign)
        return parts if sum(parts, Decimal(0)) == entry_amount else None

    def _line(
        self,
        base: dict[str, Any],
        amount: Decimal,
        detail: ET.Element,
        ns: str,
        fallback_text: str | None,
        txid: str | None,
        credit: bool,
    ) -> ParsedLine:
        party = "Dbtr" if credit else "Cdtr"
        return self._make(
            base,
            amount,
            counterparty_name=_first(
                detail, ns, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm"
            ),
            counterparty_account=_first(
                detail, ns, f"RltdPties/{party}Acct/Id/IBAN", f"RltdPties/{party}Acct/Id/Othr/Id"
            ),
            remittance=_remittance(detail, ns) or fallback_text,
            structured_reference=_structured(detail, ns),
            transaction_id=txid,
        )

    def _merged_line(
        self,
        base: dict[str, Any],
        amount: Decimal,
        details: list[ET.Element],
        ns: str,
        fallback_text: str | None,
        txid: str | None,
        credit: bool,
    ) -> ParsedLine:
        """One line for an entry whose details are missing or do not add up to it: keep what
        all details agree on."""
        if not details:
            return self._make(base, amount, remittance=fallback_text, transaction_id=txid)
        lines = [self._line(base, amount, d, ns, None, None, credit) for d in details]

        def agreed(field: str) -> str | None:
            values = {getattr(ln, field) for ln in lines}
            return values.pop() if len(values) == 1 else None

        texts = _unique(ln.remittance for ln in lines)
        return dataclasses.replace(
            lines[0],
            counterparty_name=agreed("counterparty_name"),
            counterparty_account=agreed("counterparty_account"),
            remittance=" ".join(texts) if texts else fallback_text,
            structured_reference=agreed("structured_reference"),
            transaction_id=txid,
        )

    @staticmethod
    def _make(base: dict[str, Any], amount: Decimal, **fields: Any) -> ParsedLine:
        return ParsedLine(amount=amount, **base, **fields)

    # --- statements ---------------------------------------------------------------------

    def _statement(self, stmt: ET.Element, ns: str) -> ParsedStatement:
        acct = _find(stmt, ns, "Acct")
        opening, opening_date, opening_ccy = self._balance(stmt, ns, ("OPBD", "PRCD"))
        closing, closing_date, closing_ccy = self._balance(stmt, ns, ("CLBD",))
        period_start = self._date(stmt, ns, "FrToDt/FrDtTm", None)
        period_end = self._date(stmt, ns, "FrToDt/ToDtTm", None)
        created = self._date(stmt, ns, "CreDtTm", None)
        currency = (
            _text(acct, ns, "Ccy")
            or opening_ccy
            or closing_ccy
            or next((ln.currency for ln in self.pending if ln.currency), None)
        )
        lines = self._finish_lines(
            closing_date or period_end or created or self.header_date, currency
        )
        return ParsedStatement(
            account=_first(acct, ns, "Id/IBAN", "Id/Othr/Id"),
            currency=currency,
            statement_id=_text(stmt, ns, "Id"),
            opening_balance=opening,
            closing_balance=closing,
            opening_date=opening_date or period_start,
            closing_date=closing_date or period_end,
            lines=lines,
        )

    def _finish_lines(
        self, statement_date: dt.date | None, currency: str | None
    ) -> list[ParsedLine]:
        lines, self.pending = self.pending, []
        for index, line in enumerate(lines):
            if line.booking_date is not _UNDATED and line.currency:
                continue
            if line.booking_date is _UNDATED:
                if statement_date is None:
                    raise BankFileError.at(
                        self.source,
                        line.line_no,
                        "Ntry/BookgDt",
                        "missing, and no value date or statement date",
                    )
                line = dataclasses.replace(line, booking_date=statement_date)
            if not line.currency:
                if not currency:
                    raise BankFileError.at(
                        self.source,
                        line.line_no,
                        "Ntry/Amt",
                        "no currency (Ccy) and none for the account",
                    )
                try:
                    amount = exact_amount(line.amount, currency)
                except ValueError as exc:
                    raise BankFileError.at(
                        self.source, line.line_no, "Ntry/Amt", str(exc)
                    ) from None
                line = dataclasses.replace(line, currency=currency, amount=amount)
            lines[index] = line
        return lines

    def _balance(
        self, stmt: ET.Element, ns: str, codes: tuple[str, ...]
    ) -> tuple[Decimal | None, dt.date | None, str | None]:
        found: dict[str, ET.Element] = {}
        for candidate in _all(stmt, ns, "Bal"):
            code = _first(candidate, ns, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
            if code in codes and code not in found:
                found[code] = candidate
        bal = next((found[c] for c in codes if c in found), None)
        if bal is None:
            return None, None, None
        amt = _find(bal, ns, "Amt")
        currency = (amt.get("Ccy") or "").strip().upper() or None if amt is not None else None
        amount = self._amount(
            (amt.text or "").strip() or None if amt is not None else None,
            "Bal/Amt",
            None,
            currency,
            signed=True,
        )
        indicator = _text(bal, ns, "CdtDbtInd")
        if indicator is not None:
            amount *= self._sign(indicator, "Bal/CdtDbtInd", None)
        return amount, self._either_date(bal, ns, "Dt", None), currency


def _detail_id(detail: ET.Element, ns: str) -> str | None:
    end_to_end = _text(detail, ns, "Refs/EndToEndId")
    if end_to_end and end_to_end.upper() in _NOT_PROVIDED:
        end_to_end = None
    return _first(detail, ns, "Refs/AcctSvcrRef", "Refs/TxId") or end_to_end


def _remittance(detail: ET.Element, ns: str) -> str | None:
    texts = _unique(e.text for e in _all(detail, ns, "RmtInf/Ustrd"))
    if texts:
        return " ".join(texts)
    extra = _unique(e.text for e in _all(detail, ns, "RmtInf/Strd/AddtlRmtInf"))
    return " ".join(extra) if extra else _text(detail, ns, "AddtlTxInf")


def _structured(detail: ET.Element, ns: str) -> str | None:
    refs = _unique(e.text for e in _all(detail, ns, "RmtInf/Strd/CdtrRefInf/Ref"))
    if refs:
        return " ".join(refs)
    end_to_end = _text(detail, ns, "Refs/EndToEndId")
    return None if not end_to_end or end_to_end.upper() in _NOT_PROVIDED else end_to_end


def _unique(texts: Any) -> list[str]:
    seen: list[str] = []
    for text in texts:
        text = (text or "").strip()
        if text and text not in seen:
            seen.append(text)
    return seen

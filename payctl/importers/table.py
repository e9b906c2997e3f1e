r"""The table reader: applies a profile to the rows of one bank table (CSV or a sheet).

``csvfile`` and ``xlsx`` turn bytes into ``(line or row number, cells)`` rows; :func:`read_table`
finds the header (``headers``), reads every row's cells with the value parsers (``values``) into
:class:`~payctl.importers.bank.ParsedLine`\ s and groups them into statements by (account,
currency, statement id) in order of appearance. Opening and closing balances come from the
profile's ``[statement]`` patterns, else from the ``balance`` column when the running balance is
consistent row after row (in file order or reversed, for newest-first exports); otherwise they
stay unknown. A file without a currency gives lines with ``currency = ""``: the importer applies
the journal's currency (and the decimals rule, :func:`~payctl.importers.values.exact_amount`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from itertools import chain, islice
from operator import itemgetter
from typing import Any, cast

from payctl.domain.money import MAX_AMOUNT_MINOR, AmountTooLarge, check_limit, exponent
from payctl.importers.bank import BankFileError, ParsedLine, ParsedStatement
from payctl.importers.headers import ColumnMap, select
from payctl.importers.profiles import AMOUNT_FIELDS, FIELDS, Profile, ProfileError
from payctl.importers.values import (
    AmountParser,
    DateParser,
    cell_str,
    cell_text,
    clean_text,
    decimal_from_cell,
    exact_amount,
    first_text,
    infer_date_formats,
    infer_decimal,
    joined_text,
    normalise_header,
    untidy,
)

HEADER_SCAN_ROWS = 50  # the header must be among the first 50 non-empty rows
SAMPLE_ROWS = 200  # rows looked at to infer decimal separator and date format
Row = tuple[int, Sequence[object]]
Rows = Iterable[Row]


_LABEL_TAIL = " :.,-/0123456789"  # "Closing balance: 31.01.2024"
# Digits an amount in minor units can have within the limit (``money.check_limit``).
_LIMIT_DIGITS = len(str(MAX_AMOUNT_MINOR))


class _Skip(Exception):
    """A row found not to be a transaction (a summary row) after its date was read."""


@dataclass
class _Group:
    account: str | None
    currency: str
    statement_id: str | None
    lines: list[ParsedLine] = field(default_factory=list)
    chain: list[tuple[Decimal, Decimal | None]] = field(default_factory=list)  # (row total, bal)
    seq: int = 0  # its statement's position in the file
    # A streamed read (:class:`TableStream`) hands its lines out as it goes: how many were,
    # and their first and last booking dates; ``closed`` once a line of another group came.
    drained: int = 0
    low: dt.date | None = None
    high: dt.date | None = None
    closed: bool = False


class TableReader:
    """Turns the rows of one table into statements with one profile."""

    def __init__(
        self,
        source: str,
        profile: Profile,
        cmap: ColumnMap,
        unit: str,
        sample: Sequence[Sequence[object]],
        currency: str | None,
    ) -> None:
        self.source, self.profile, self.cmap, self.unit = source, profile, cmap, unit
        self.idx = cmap.index
        self.width = len(cmap.header)
        decimal = profile.decimal
        if decimal == "auto":
            decimal = infer_decimal(
                cell_text(r[i])
                for r in sample
                for f in (*AMOUNT_FIELDS, "fee", "balance")
                for i in self.idx.get(f, ())
                if i < len(r) and isinstance(r[i], str)
            )
        thousands = profile.thousands
        if thousands == "auto":
            thousands = ("," if decimal == "." else ".") + "'’"
        self.amount = AmountParser(decimal, thousands)
        formats = profile.date_formats or infer_date_formats(
            [
                t
                for r in sample
                for i in self.idx["booking_date"][:1]
                if i < len(r) and isinstance(r[i], str) and (t := cell_text(r[i]))
            ],
            profile.day_first,
        )
        self.date = DateParser(formats)
        self.default_currency = (profile.currency or cmap.currency_hint or currency or "").upper()
        self.debit_markers = set(profile.debit_markers)
        self.credit_markers = set(profile.credit_markers)
        names = [normalise_header(h) for h in cmap.header]
        unknown = sorted({col for col, _ in profile.ignore} - set(names))
        if unknown:  # a misspelt column would let the rows meant to be left out in
            raise ProfileError(
                f"{source}: profile {profile.name}: [ignore] names no column of "
                f"the header: {unknown[0]!r} (found: {', '.join(cmap.header)})"
            )
        self.ignore = [
            (i, pat) for col, pat in profile.ignore for i, name in enumerate(names) if name == col
        ]
        self.meta: dict[str, tuple[str, int]] = {}
        self.groups: dict[tuple[str | None, str, str | None], _Group] = {}
        self._currencies: dict[str, str] = {}
        self.cols = {f: self.idx.get(f, ()) for f in FIELDS}
        self.text_cols = tuple(
            self.cols[f]
            for f in (
                "counterparty_name",
                "counterparty_account",
                "remittance",
                "structured_reference",
                "transaction_id",
            )
        )
        # The fast path of the texts (``_texts``): every text field read from at most one
        # column, so a row's texts are its cells trimmed, checked for tidying all at once.
        # ``place`` puts them in their slots: the k-th text in its field's, None (after the
        # last text) in the others'.
        present = [(slot, cols[0]) for slot, cols in enumerate(self.text_cols) if cols]
        slots = [slot for slot, _ in present]
        self.text_fast = (
            (
                itemgetter(*(i for _, i in present)),
                itemgetter(*(slots.index(k) if k in slots else len(slots) for k in range(5))),
            )
            if len(present) >= 2 and all(len(cols) <= 1 for cols in self.text_cols)
            else None
        )
        self.booking_col = self.idx["booking_date"][0]
        self.date_cache: dict[str, dt.date] = {}
        self.negate = profile.sign == "negate"
        self.separator = profile.remittance_separator
        # GENERIC: a status column whose value says the row is not booked (pending...)
        self.status_col = next(
            (i for i, name in enumerate(names) if name in profile.status_columns), None
        )
        self._status_seen: dict[str, bool] = {}
        self.summary = (
            re.compile(rf"(?:{'|'.join(map(re.escape, profile.summary))})\b")
            if profile.summary
            else None
        )
        # The same labels as written (casefolded, accents kept): a row with a date and an
        # amount but no counterparty whose whole description is a summary label (a trailing
        # date or number aside) is a balance row, not a transaction. "Total Station" is not.
        # Checked on every line only when the sample holds such a row (``watch_summary``: once
        # per file, so other files keep the per-line path as it was); trailing ones are
        # dropped at the end (``statements``).
        self.summary_labels = frozenset(profile.summary_as_written)
        self.summary_text: frozenset[str] | None = None
        self.last_group: _Group | None = None
        # A line of a group came after a line of another group that came after the group's
        # earlier lines: the file's statements are interleaved (a streamed read cannot take
        # their lines in statement order).
        self.interleaved = False
        self.continuation_cols = frozenset(
            i
            for f in ("remittance", "counterparty_name", "counterparty_account")
            for i in self.cols[f]
        )

    # -- locations --------------------------------------------------------------------------

    def where(self, number: int) -> str | int:
        return number if self.unit == "line" else f"{self.unit} {number}"

    def label(self, fld: str, i: int | None = None) -> str:
        if i is None:
            i = self.idx[fld][0] if fld in self.idx else None
        if i is None:
            return fld
        col = self.cmap.header[i]
        if self.unit == "row":
            return f"{fld} (column {_column_letter(i)} {col!r})"
        return f"{fld} (column {col!r})"

    def error(
        self, number: int, fld: str | None, problem: str, i: int | None = None
    ) -> BankFileError:
        return BankFileError.at(
            self.source, self.where(number), self.label(fld, i) if fld else None, problem
        )

    # -- rows -------------------------------------------------------------------------------

    def start(self) -> None:
        """After the preamble: a currency it names is the default of the rows."""
        if not self.default_currency and "currency" in self.meta:
            code = self.meta["currency"][0].upper()
            if len(code) == 3 and code.isalpha():
                self.default_currency = code

    def feed_preamble(self, number: int, cells: Sequence[object]) -> None:
        if self.profile.statement:
            self._match_meta(number, cells)

    def feed(self, number: int, cells: Sequence[object]) -> None:
        if len(cells) < self.width:
            cells = [*cells, *([""] * (self.width - len(cells)))]
        if self.ignore and self._ignored(cells):
            return
        if self.status_col is not None and self._not_booked(cells[self.status_col]):
            return
        booking = self._booking_date(number, cells)
        if booking is None:
            return
        try:
            amount, fee = self._amounts(number, cells)
        except _Skip:
            return
        cols = self.cols
        currency = self._currency(cells, number) if cols["currency"] else self.default_currency
        name, acct, remit, ref, txn = self._texts(cells)
        line = ParsedLine(
            booking,
            self._exact(number, amount, currency, "amount"),
            currency,
            self._date(number, cells, "value_date") if cols["value_date"] else None,
            name,
            acct,
            remit,
            ref,
            txn,
            number,
        )
        if (
            self.summary_text is not None
            and line.counterparty_name is None
            and line.counterparty_account is None
            and line.remittance
            and line.remittance.casefold().rstrip(_LABEL_TAIL) in self.summary_text
        ):
            return  # a dated balance or turnover row ("Opening balance", "Likutis pradžiai")
        group = self._group(cells, currency)
        if group is not self.last_group:
            self.switch(group)
        group.lines.append(line)
        if fee or cols["balance"]:
            self._fee_and_balance(number, cells, group, line, fee)

    def feeder(self) -> Callable[[int, Sequence[object]], None]:
        """The function reading each row: :meth:`feed`, or for the usual table (one amount
        column, no fee, balance, direction, account or statement columns, nothing to ignore)
        :class:`_PlainRows`, which reads the plain rows itself and gives any other to
        :meth:`feed`."""
        return _PlainRows(self) if self._plain_table() else self.feed

    def _plain_table(self) -> bool:
        """Columns :class:`_PlainRows` reads: one amount column, at most one currency and one
        value date column, no other column that changes a row's line."""
        cols = self.cols
        return not (
            self.ignore
            or self.status_col is not None
            or self.negate
            or self.summary_text is not None
            or self.text_fast is None
            or len(cols["amount"]) != 1
            or len(cols["currency"]) > 1
            or len(cols["value_date"]) > 1
            or any(cols[f] for f in ("direction", "fee", "balance", "account", "statement_id"))
        )

    def _texts(self, cells: Sequence[object]) -> Sequence[str | None]:
        """counterparty name and account, remittance, structured reference and transaction id
        of a row (None where empty or without a column): the text cells trimmed, tidied by
        ``first_text`` only when one needs it (a quote, a tab, a newline, two spaces)."""
        if self.text_fast is not None:
            get, place = self.text_fast
            try:
                texts = [cell.strip() for cell in get(cells)]
            except AttributeError:  # a cell that is no text (a workbook's number or date)
                pass
            else:
                if not untidy("\x1f".join(texts)):
                    out: list[str | None] = [text or None for text in texts]
                    out.append(None)
                    return place(out)
        # A field without a column is None without a call: most profiles map few of them.
        first, join = first_text, joined_text
        name, acct, remit, ref, txn = self.text_cols
        return [
            first(cells, name) if name else None,
            first(cells, acct) if acct else None,
            (join(cells, remit, self.separator) or None) if remit else None,
            first(cells, ref) if ref else None,
            (join(cells, txn, "/") or None) if txn else None,
        ]

    def is_summary_line(self, line: ParsedLine) -> bool:
        text = line.remittance
        return (
            bool(text)
            and line.counterparty_name is None
            and line.counterparty_account is None
            and text is not None
            and text.casefold().rstrip(_LABEL_TAIL) in self.summary_labels
        )

    def watch_summary(self, sample: Sequence[Sequence[object]]) -> None:
        """Turn on the per-line check of dated balance rows when the sample holds one."""
        remit = self.cols["remittance"]
        if not self.summary_labels or not remit:
            return
        for cells in sample:
            text = joined_text(cells, tuple(i for i in remit if i < len(cells)), self.separator)
            if text and text.casefold().rstrip(_LABEL_TAIL) in self.summary_labels:
                self.summary_text = self.summary_labels
                return

    def _not_booked(self, cell: object) -> bool:
        text = cell_str(cell)
        seen = self._status_seen.get(text)
        if seen is None:
            seen = self._status_seen[text] = normalise_header(text) in self.profile.not_booked
        return seen

    def _summary_row(self, cells: Sequence[object]) -> bool:
        """A balance or total row ("Closing balance", "Saldo końcowe", "Total"), or a row
        whose date cell says it is not booked ("Pending"): not a transaction."""
        if self.summary is None:
            return False
        if self._not_booked(cells[self.booking_col]):
            return True
        return any(self.summary.match(normalise_header(t)) for c in cells if (t := cell_text(c)))

    def _continuation(self, cells: Sequence[object]) -> bool:
        """A row without a date or an amount whose only text is in the description columns:
        more description of the line above (exports that wrap a long text over rows)."""
        group = self.last_group
        if group is None or not self.continuation_cols:
            return False
        texts = [(i, t) for i, c in enumerate(cells) if (t := clean_text(c))]
        if not texts or any(i not in self.continuation_cols for i, _ in texts):
            return False
        lines = group.lines
        at = -2 if len(lines) > 1 and lines[-1].line_no == lines[-2].line_no else -1  # a fee
        line = lines[at]
        more = self.separator.join(t for _, t in texts)
        lines[at] = replace(
            line, remittance=f"{line.remittance}{self.separator}{more}" if line.remittance else more
        )
        return True

    def _ignored(self, cells: Sequence[object]) -> bool:
        return any(pattern.fullmatch(cell_str(cells[i])) for i, pattern in self.ignore)

    def _fee_and_balance(
        self,
        number: int,
        cells: Sequence[object],
        group: _Group,
        line: ParsedLine,
        fee: Decimal | None,
    ) -> None:
        total = line.amount
        if fee:
            fee = self._exact(number, fee, line.currency, "fee")
            total += fee
            text = f"Fee: {line.remittance or line.transaction_id or ''}".strip()
            group.lines.append(
                replace(
                    line,
                    amount=fee,
                    counterparty_name=None,
                    counterparty_account=None,
                    structured_reference=None,
                    remittance=text,
                    transaction_id=f"{line.transaction_id}/fee" if line.transaction_id else None,
                )
            )
        if self.cols["balance"]:
            group.chain.append((total, self._number(number, cells, "balance")))

    def _booking_date(self, number: int, cells: Sequence[object]) -> dt.date | None:
        i = self.booking_col
        cell = cells[i]
        if type(cell) is str:  # the fast path: a date already seen
            hit = self.date_cache.get(cell)
            if hit is not None:
                return hit
        try:
            value = self.date.cell(cell)
        except ValueError as exc:
            if self._match_meta(number, cells) or self._summary_row(cells):
                return None
            raise self.error(number, "booking_date", str(exc), i) from None
        if value is None:
            if self._match_meta(number, cells):
                return None
            if not self._has_amount(cells):
                self._continuation(cells)
                return None  # a blank separator, a meta row or more text of the line above
            if self._summary_row(cells):
                return None
            raise self.error(number, "booking_date", "missing", i)
        if type(cell) is str and len(self.date_cache) < 50_000:
            self.date_cache[cell] = value
        return value

    def _has_amount(self, cells: Sequence[object]) -> bool:
        return any(cell_str(cells[i]) for f in (*AMOUNT_FIELDS, "fee") for i in self.cols[f])

    def _match_meta(self, number: int, cells: Sequence[object]) -> bool:
        if not self.profile.statement:
            return False
        text = " | ".join(t for c in cells if (t := cell_text(c)))
        hit = False
        for key, pattern in self.profile.statement:
            m = pattern.search(text)
            if m and m.group(1).strip():
                self.meta.setdefault(key, (m.group(1).strip(), number))
                hit = True
        return hit

    def _date(self, number: int, cells: Sequence[object], fld: str) -> dt.date | None:
        i = self.cols[fld][0]
        cell = cells[i]
        if type(cell) is str and (hit := self.date_cache.get(cell)) is not None:
            return hit
        try:
            value = self.date.cell(cell)
        except ValueError as exc:
            raise self.error(number, fld, str(exc), i) from None
        if value is not None and type(cell) is str and len(self.date_cache) < 50_000:
            self.date_cache[cell] = value
        return value

    def _number(self, number: int, cells: Sequence[object], fld: str) -> Decimal | None:
        for i in self.cols[fld]:
            cell = cells[i]
            try:
                if type(cell) is str:
                    cell = cell.strip()
                    if cell:
                        return self.amount(cell)
                else:
                    value = decimal_from_cell(cell, self.amount)
                    if value is not None:
                        return value
            except (ValueError, InvalidOperation) as exc:
                raise self.error(number, fld, str(exc), i) from None
        return None

    def _amounts(self, number: int, cells: Sequence[object]) -> tuple[Decimal, Decimal | None]:
        amount = self._number(number, cells, "amount") if self.cols["amount"] else None
        if amount is not None:
            if self.negate or self.cols["direction"]:
                amount = self._direction(number, cells, amount)
        else:
            amount = self._debit_credit(number, cells)
        if amount is None:
            if self._summary_row(cells):
                raise _Skip
            names = [self.cmap.header[i] for f in AMOUNT_FIELDS for i in self.cols[f]]
            raise self.error(number, "amount", f"missing (empty: {', '.join(names)})")
        return amount, self._number(number, cells, "fee") if self.cols["fee"] else None

    def _direction(self, number: int, cells: Sequence[object], amount: Decimal) -> Decimal:
        if self.negate:
            amount = -amount
        idx = self.cols["direction"]
        if not idx:
            return amount
        marker = normalise_header(cell_str(cells[idx[0]]))
        if marker in self.debit_markers:
            return -abs(amount)
        if marker in self.credit_markers:
            return abs(amount)
        raise self.error(
            number,
            "direction",
            f"{marker!r} is neither a debit marker "
            f"({', '.join(sorted(self.debit_markers))}) nor a credit marker "
            f"({', '.join(sorted(self.credit_markers))})",
            idx[0],
        )

    def _debit_credit(self, number: int, cells: Sequence[object]) -> Decimal | None:
        debit = self._number(number, cells, "debit")
        credit = self._number(number, cells, "credit")
        if debit is None and credit is None:
            return None
        mode = self.profile.debit_sign
        out = Decimal(0)
        if debit is not None:
            out -= abs(debit) if mode == "auto" else (debit if mode == "positive" else -debit)
        if credit is not None:
            out += abs(credit) if mode == "auto" else credit
        return out

    def _currency(self, cells: Sequence[object], number: int) -> str:
        raw = first_text(cells, self.cols["currency"])
        if not raw:
            return self.default_currency
        code = self._currencies.get(raw)
        if code is None:
            code = raw.upper()
            if len(code) != 3 or not code.isalpha():
                raise self.error(number, "currency", f"{raw!r} is not a 3-letter currency code")
            self._currencies[raw] = code
        return code

    def _exact(self, number: int, value: Decimal, currency: str, fld: str) -> Decimal:
        """Within the limit of every amount and with the currency's decimals (the rule of every
        bank reader, :func:`exact_amount`). A file that names no currency keeps what it wrote:
        the importer applies both with the journal's currency."""
        if not value.is_finite():
            raise self.error(number, fld, f"{value} is not an amount")
        if not currency:
            return value
        try:
            check_limit(value, currency, fld)
            return exact_amount(value, currency)
        except AmountTooLarge as exc:
            raise self.error(number, fld, exc.problem) from None
        except ValueError as exc:
            raise self.error(number, fld, str(exc)) from None

    def _group(self, cells: Sequence[object], currency: str) -> _Group:
        cols = self.cols
        account = (first_text(cells, cols["account"]) if cols["account"] else None) or (
            self.profile.account
        )
        sid = first_text(cells, cols["statement_id"]) if cols["statement_id"] else None
        key = (account, currency, sid)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group(account, currency, sid, seq=len(self.groups))
        return group

    def switch(self, group: _Group) -> None:
        """Lines now go to ``group``: the group before it is closed; a closed one taking lines
        again means the statements are interleaved."""
        if self.last_group is not None:
            self.last_group.closed = True
        if group.closed:
            self.interleaved = True
        self.last_group = group

    def drain(self, final: bool = False) -> list[tuple[int, ParsedLine]]:
        """Hand out the lines read so far that nothing later can change, as (statement
        position, line) in statement order: all but a group's trailing summary lines (the end
        may drop them, :meth:`statements`) and, in the group taking lines, the last three (a
        continuation row may still extend one, a fee line with it). ``final``: after
        :meth:`statements`, every line left."""
        out: list[tuple[int, ParsedLine]] = []
        for g in self.groups.values():
            lines = g.lines
            if not lines:
                continue
            keep = 0
            if not final:
                if self.summary_labels:
                    while keep < len(lines) and self.is_summary_line(lines[-1 - keep]):
                        keep += 1
                if g is self.last_group:
                    keep = max(keep, 3)
            n = len(lines) - keep
            if n <= 0:
                continue
            taken = lines[:n]
            del lines[:n]
            dates = [ln.booking_date for ln in taken]
            low, high = min(dates), max(dates)
            g.low = low if g.low is None else min(g.low, low)
            g.high = high if g.high is None else max(g.high, high)
            g.drained += n
            seq = g.seq
            out += [(seq, ln) for ln in taken]
        return out

    # -- statements -------------------------------------------------------------------------

    def statements(self) -> list[ParsedStatement]:
        meta = self._meta_values()
        groups = list(self.groups.values()) or [_Group(None, self.default_currency, None)]
        out = []
        for g in groups:
            while self.summary_labels and g.lines and self.is_summary_line(g.lines[-1]):
                if len(g.chain) == g.drained + len(g.lines):
                    g.chain.pop()
                g.lines.pop()  # a closing balance or total row after the last line
            opening, closing = _chain_balances(g.chain)
            dates = [ln.booking_date for ln in g.lines]
            if g.drained:
                dates += [d for d in (g.low, g.high) if d is not None]
            st = ParsedStatement(
                account=g.account or meta.get("account"),
                currency=g.currency or meta.get("currency") or None,
                statement_id=g.statement_id or meta.get("statement_id"),
                opening_balance=meta.get("opening_balance", opening),
                closing_balance=meta.get("closing_balance", closing),
                opening_date=meta.get("opening_date", min(dates, default=None)),
                closing_date=meta.get("closing_date", max(dates, default=None)),
                lines=g.lines,
            )
            out.append(st)
        return out

    def _meta_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, (raw, number) in self.meta.items():
            try:
                if key.endswith("balance"):
                    out[key] = self.amount(raw)
                elif key.endswith("date"):
                    out[key] = self.date(raw)
                elif key == "currency":
                    out[key] = raw.upper()
                else:
                    out[key] = raw
            except ValueError as exc:
                raise self.error(number, key, str(exc)) from None
        return out


class _PlainRows:
    """The rows of a plain table (:meth:`TableReader.feeder`) whose every cell is already
    known to read plainly: a booking (and value) date seen before, a currency cell seen
    before, an amount written with exactly its currency's decimals and within the limit.
    Such a row makes the line :meth:`TableReader.feed` makes, without its checks; any other
    row is given to ``feed``, which reads, checks (and refuses) it as always."""

    def __init__(self, reader: TableReader) -> None:
        self.reader = reader
        self.feed = reader.feed
        # looked up by any cell: a cell that is no text (a workbook's date) is never in it
        self.dates = cast("dict[object, dt.date]", reader.date_cache)
        self.texts = reader._texts
        self.width = reader.width
        self.booking_col = reader.booking_col
        cols = reader.cols
        self.amount_col = cols["amount"][0]
        self.currency_col = cols["currency"][0] if cols["currency"] else None
        self.value_col = cols["value_date"][0] if cols["value_date"] else None
        self.decimal = reader.amount.decimal
        # a currency cell as written -> its code and the fullmatch of its plain amounts
        self.known: dict[object, tuple[str, Callable[[str], object]]] = {}
        self.groups: dict[str, _Group] = {}  # currency -> its lines' group

    def _currency(self, number: int, cells: Sequence[object]) -> tuple[str, Any] | None:
        reader, col = self.reader, self.currency_col
        try:
            code = reader.default_currency if col is None else reader._currency(cells, number)
        except BankFileError:  # feed reports it, after what it checks first
            return None
        if not code:  # the journal's currency applies later: no decimals to hold to
            return None
        entry = self.known[None if col is None else cells[col]] = (
            code,
            _plain_amounts(code, self.decimal),
        )
        return entry

    def __call__(self, number: int, cells: Sequence[object]) -> None:
        dates = self.dates
        booking = dates.get(cells[self.booking_col]) if len(cells) == self.width else None
        if booking is None:
            return self.feed(number, cells)
        col = self.currency_col
        entry = self.known.get(None if col is None else cells[col]) or self._currency(number, cells)
        text = cells[self.amount_col]
        if entry is None or type(text) is not str or not entry[1](text):
            return self.feed(number, cells)
        value_date = None
        if self.value_col is not None and (cell := cells[self.value_col]):
            value_date = dates.get(cell)
            if value_date is None:
                return self.feed(number, cells)
        code = entry[0]
        group = self.groups.get(code)
        if group is None:
            group = self.groups[code] = self.reader._group(cells, code)
        if group is not self.reader.last_group:
            self.reader.switch(group)
        decimal = self.decimal
        name, acct, remit, ref, txn = self.texts(cells)
        group.lines.append(
            ParsedLine(
                booking,
                Decimal(text if decimal == "." else text.replace(decimal, ".")),
                code,
                value_date,
                name,
                acct,
                remit,
                ref,
                txn,
                number,
            )
        )
        return None


def _plain_amounts(currency: str, decimal: str) -> Callable[[str], object]:
    """The fullmatch of the amounts of ``currency`` that :class:`AmountParser` reads as
    written and the decimals rule (:func:`exact_amount`) and the limit keep as read: a sign,
    at most as many digits as the limit has, exactly the currency's decimals."""
    places = exponent(currency)
    tail = rf"{re.escape(decimal)}\d{{{places}}}" if places else ""
    return re.compile(rf"[+-]?\d{{1,{_LIMIT_DIGITS - places}}}{tail}").fullmatch


def _chain_balances(
    chain: list[tuple[Decimal, Decimal | None]],
) -> tuple[Decimal | None, Decimal | None]:
    """Opening and closing balance from a running-balance column, when it adds up."""
    if not chain or any(bal is None for _, bal in chain):
        return None, None
    totals = [t for t, _ in chain]
    bals = [b for _, b in chain if b is not None]
    if all(bals[i - 1] + totals[i] == bals[i] for i in range(1, len(bals))):
        return bals[0] - totals[0], bals[-1]  # oldest first
    if all(bals[i] + totals[i - 1] == bals[i - 1] for i in range(1, len(bals))):
        return bals[-1] - totals[-1], bals[0]  # newest first
    return None, None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _refine_generic(cmap: ColumnMap, sample: Sequence[Sequence[object]]) -> None:
    """GENERIC: a "Valuta" column holding dates is the value date, not the currency."""
    idx = cmap.index.get("currency")
    if not idx:
        return
    values = [cell_text(r[idx[0]]) for r in sample if idx[0] < len(r) and cell_text(r[idx[0]])]
    if values and all(re.search(r"\d", v) for v in values):
        del cmap.index["currency"]
        if "value_date" not in cmap.index:
            cmap.index["value_date"] = idx


def understood(cmap: ColumnMap) -> str:
    """``booking_date='Datum', amount='Kwota'``: which column each field was read from."""
    return ", ".join(f"{f}={cmap.header[i[0]]!r}" for f, i in cmap.index.items())


def _refuse_unknown_sign(reader: TableReader, sample: Sequence[Sequence[object]]) -> None:
    """GENERIC on a card export (a header name says "card"): one unsigned amount column whose
    sampled amounts are all positive may be purchases written positive or money in; the
    header alone does not tell, so the file is refused rather than read with a guessed sign."""
    cmap, profile = reader.cmap, reader.profile
    if any(f in cmap.index for f in ("debit", "credit", "direction")) or "amount" not in cmap.index:
        return
    names = [normalise_header(h) for h in cmap.header]
    card = next(
        (
            h
            for h, n in zip(cmap.header, names, strict=True)
            if any(w in n for w in profile.card_words)
        ),
        None,
    )
    if card is None:
        return
    col = cmap.index["amount"][0]
    values = []
    for cells in sample:
        if col < len(cells):
            try:
                value = decimal_from_cell(cells[col], reader.amount)
            except (ValueError, InvalidOperation):
                continue
            if value is not None:
                values.append(value)
    if values and all(v >= 0 for v in values):
        raise ProfileError(
            f"{reader.source}: cannot tell the sign of the amounts: a card export (column "
            f"{card!r}) whose {cmap.header[col]!r} amounts are all positive (found: "
            f"{', '.join(h for h in cmap.header if h)}; understood: {understood(cmap)}); "
            'name a profile with --profile saying sign = "negate" or "as-is" '
            f"(draft one with: payctl profile draft {reader.source})"
        )


def _take_head(rows: Rows, source: str) -> tuple[list[Row], Iterator[Row]]:
    """The first non-empty rows (where the header is searched) and an iterator on the rest."""
    it: Iterator[Row] = iter(rows)
    head: list[Row] = []
    for number, cells in it:
        if any(cell_text(c) for c in cells):
            head.append((number, cells))
            if len(head) >= HEADER_SCAN_ROWS:
                break
    if not head:
        raise ProfileError(f"{source}: the file holds no rows")
    return head, it


def choose_profile(rows: Rows, source: str, profile: Profile | None = None) -> Profile:
    """The profile :func:`read_table` would use for these rows (auto-selection when None)."""
    head, _ = _take_head(rows, source)
    found = select(head, profile, source)
    if isinstance(found, str):
        raise ProfileError(f"{source}: {found}")
    return found[0]


def read_table(
    rows: Rows,
    source: str,
    profile: Profile | None = None,
    *,
    unit: str = "line",
    currency: str | None = None,
) -> list[ParsedStatement]:
    """Apply ``profile`` (None: auto-select) to ``(number, cells)`` rows of one table."""
    reader, body = _open_table(rows, source, profile, unit, currency)
    feed = reader.feeder()
    for number, cells in body:
        feed(number, cells)
    return reader.statements()


class TableStream:
    """The lines of one table a chunk at a time (``chunks``), then its statements (their
    ``lines`` empty): what :func:`read_table` reads, without holding every line."""

    def __init__(
        self,
        rows: Rows,
        source: str,
        profile: Profile | None = None,
        *,
        unit: str = "line",
        currency: str | None = None,
    ) -> None:
        self.reader, self.body = _open_table(rows, source, profile, unit, currency)
        self._statements: list[ParsedStatement] | None = None

    @property
    def interleaved(self) -> bool:
        return self.reader.interleaved

    def chunks(self, rows: int) -> Iterator[list[tuple[int, ParsedLine]]]:
        """(statement position, line) of about ``rows`` rows at a time, in statement order
        while the statements are not interleaved (``interleaved`` says when they are)."""
        reader, body = self.reader, self.body
        feed = reader.feeder()
        while True:
            read = 0
            for number, cells in islice(body, rows):
                feed(number, cells)
                read += 1
            if read < rows:
                break
            lines = reader.drain()
            if lines:
                yield lines
        self._statements = reader.statements()
        lines = reader.drain(final=True)
        if lines:
            yield lines

    def statements(self) -> list[ParsedStatement]:
        """The statements, once ``chunks`` has given every line."""
        if self._statements is None:
            raise RuntimeError("TableStream.statements() before the last chunk")
        return self._statements


def _open_table(
    rows: Rows, source: str, profile: Profile | None, unit: str, currency: str | None
) -> tuple[TableReader, Iterator[Row]]:
    """The reader of a table (header found, profile chosen, preamble read) and its body rows."""
    head, it = _take_head(rows, source)
    found = select(head, profile, source)
    if isinstance(found, str):
        raise ProfileError(f"{source}: {found}")
    chosen, pos, cmap = found
    body = chain(head[pos + 1 :], it)
    sample_rows = list(islice(body, SAMPLE_ROWS))
    sample = [cells for _, cells in sample_rows]
    if chosen.generic:
        _refine_generic(cmap, sample)
    reader = TableReader(source, chosen, cmap, unit, sample, currency)
    if chosen.generic:
        _refuse_unknown_sign(reader, sample)
        reader.watch_summary(sample)
    for number, cells in head[:pos]:
        reader.feed_preamble(number, cells)
    reader.start()
    return reader, chain(sample_rows, body)

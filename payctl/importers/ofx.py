"""OFX / QFX reader: OFX 1.x (SGML) and 2.x (XML), one tolerant tokenizer for both.

Why not a library: ofxparse (the parser that copes with all the samples) converts every
date to UTC using the ``[-5:EST]`` offset, which moves late-evening bookings to the next day,
parses through BeautifulSoup (slow on large files) and raises assorted exception types;
ofxtools refuses the broken ANZ file. The format is simple enough to read here:

- the header (``KEY:VALUE`` lines for 1.x, ``<?xml?>``/``<?OFX?>`` for 2.x) gives the charset;
  the body is decoded as UTF-8 when it is valid UTF-8, else with the declared charset
  (cp1252, ISO-8859-1, ...);
- the body is tokenized into tags, text and CDATA; an element is an aggregate when its name
  is closed somewhere in the file (``</STMTTRN>``) and it has no text of its own, else a leaf
  whose value runs to the next tag (SGML leaves have no end tag; XML ones and the broken
  "XML" of some banks are handled alike);
- values are HTML-unescaped (a second time when a bank escaped twice, ``&amp;lt;``);
- a DTD is refused as in every bank file: what comes before ``<OFX>``, when it holds markup
  (the prologue of OFX 2.x: ``<?OFX?>``, comments, a ``<!DOCTYPE>``), goes through
  ``xmlsafe.guard_prologue`` once what was read only for the charset (the XML declaration)
  and the lines without markup (SGML ``KEY:VALUE`` header lines, stray text) are blanked
  out, newlines kept: so a ``<!DOCTYPE>`` or ``<!ENTITY>`` there is refused with its line,
  whatever encoding or header the file declares, and nothing else in a header is.

Mapping: every ``STMTRS``/``CCSTMTRS`` is a statement (account ``ACCTID``, currency
``CURDEF``); its ``STMTTRN``s from every ``BANKTRANLIST`` (some banks repeat the list) are the
lines: ``TRNAMT`` signed as given, ``DTPOSTED`` (the date as written, time zone ignored),
``DTAVAIL`` as value date, ``FITID`` as transaction id, ``NAME`` (or ``PAYEE/NAME``) as
counterparty, ``MEMO`` as remittance. ``LEDGERBAL`` is the closing balance at ``DTASOF``. OFX
gives no opening balance, and deriving one (closing minus the lines) would only be true if the
list held every booking up to DTASOF, which the file does not promise: it stays ``None``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

from payctl.importers import xmlsafe
from payctl.importers.bank import BankFileError, ParsedLine, ParsedStatement
from payctl.importers.files import decode_text
from payctl.importers.values import exact_amount

FORMAT = "ofx"

_TOKENS = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9_.]*)[^<>]*>"  # start or end tag
    r"|<!\[CDATA\[(.*?)\]\]>"  # CDATA
    r"|<!--.*?-->|<[?!][^<>]*>"  # comment, processing instruction, declaration
    r"|([^<]+)"  # text
    r"|<",  # a stray '<'
    re.S,
)
_OFX_START = re.compile(rb"<OFX\s*>", re.I)
_OFX_START_TEXT = re.compile(r"<OFX\s*>", re.I)
_XML_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_SGML_HEADER = re.compile(rb"^\s*([A-Z]+)\s*:\s*(\S*)\s*$", re.M)
# blanked before the prologue's DTD check: the XML declaration, lines without markup
_NOT_MARKUP = re.compile(r"<\?xml\s[^<>]*\?>|^[^<>\n]+$", re.M)
_AMOUNT = re.compile(r"[+-]?(?:\d{1,18}(?:[.,]\d{0,10})?|[.,]\d{1,10})")
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ENTITY = re.compile(r"&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")
_STATEMENTS = {"STMTRS", "CCSTMTRS"}
_CHARSETS = {"8859-1": "iso-8859-1", "1252": "cp1252", "NONE": "cp1252", "UTF-8": "utf-8"}


def sniff(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]
    return start.startswith(b"OFXHEADER") or b"<?OFX" in start or bool(_OFX_START.search(head))


def read(data: bytes, source: str, **_options: Any) -> list[ParsedStatement]:
    match = _OFX_START.search(data)
    if match is None:
        raise BankFileError(f"{source}: no <OFX> element: this is not an OFX file")
    header = data[: match.start()]
    _refuse_dtd(header, source)
    text = _decode(data, _charset(header), source)  # whole: its messages give file lines
    start = _OFX_START_TEXT.search(text)
    if start is None:  # pragma: no cover - <OFX> is ASCII, found in the bytes above
        raise BankFileError(f"{source}: no <OFX> element: this is not an OFX file")
    tree = _Tree(text[start.start() :], source, text.count("\n", 0, start.start()))
    root = tree.build()
    statements = [_Statement(node, tree).build() for node in root.walk(_STATEMENTS)]
    if not statements:
        raise BankFileError(f"{source}: no bank or credit card statement (<STMTRS>/<CCSTMTRS>)")
    return statements


def _refuse_dtd(header: bytes, source: str) -> None:
    """Refuse a DTD, entity or external reference before ``<OFX>`` (see the module doc)."""
    if b"<" not in header:  # SGML header lines only: no markup, so no DTD
        return
    header_text = _decode(header, _charset(header), source)
    text = _NOT_MARKUP.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), header_text)
    xmlsafe.guard_prologue((text + "<OFX>").encode("utf-8"), source)


# --- decoding -------------------------------------------------------------------------------


def _charset(header: bytes) -> str:
    declared = _XML_ENCODING.search(header)
    if declared:
        return _codec(declared.group(1).decode("ascii"))
    fields = {
        k.decode(): v.decode("ascii", "replace").upper() for k, v in _SGML_HEADER.findall(header)
    }
    if fields.get("ENCODING", "").upper() in ("UTF-8", "UNICODE"):
        return "utf-8"
    charset = fields.get("CHARSET", "NONE")
    if charset in _CHARSETS:
        return _CHARSETS[charset]
    if charset.isdigit():  # 1250, 1252, 850 ...
        return _codec("cp" + charset)
    return _codec("iso" + charset if charset.startswith("8859") else charset)


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return "cp1252"


def _decode(body: bytes, charset: str, source: str) -> str:
    """Valid UTF-8 is UTF-8 whatever the header says (a frequent bank mistake); else the
    declared charset, else cp1252, else ISO-8859-1 (which decodes anything): the one decoder
    with those code pages, a file mixing UTF-8 and them read as the header says."""
    return decode_text(body, source, fallback=(charset, "cp1252", "iso-8859-1"), mixed=True)


def _value(text: str) -> str:
    value = html.unescape(text)
    if _ENTITY.search(value):  # escaped twice by the bank: "&amp;lt;"
        value = html.unescape(value)
    return value.strip()


# --- tree -----------------------------------------------------------------------------------


class _Node:
    __slots__ = ("name", "value", "children", "pos")

    def __init__(self, name: str, pos: int, value: str | None = None) -> None:
        self.name = name
        self.value = value
        self.children: list[_Node] = []
        self.pos = pos

    def child(self, name: str) -> _Node | None:
        for node in self.children:
            if node.name == name:
                return node
        return None

    def text(self, path: str) -> str | None:
        node: _Node | None = self
        for name in path.split("/"):
            node = node.child(name) if node is not None else None
        return node.value or None if node is not None else None

    def walk(self, names: set[str]) -> list[_Node]:
        """Nodes named ``names`` anywhere below, in document order (not inside each other)."""
        found, stack = [], list(reversed(self.children))
        while stack:
            node = stack.pop()
            if node.name in names:
                found.append(node)
            else:
                stack.extend(reversed(node.children))
        return found


class _Tree:
    def __init__(self, text: str, source: str, line_base: int) -> None:
        self.text = text
        self.source = source
        self.line_base = line_base
        self._cursor = (0, line_base + 1)  # (position, its line): lines are asked in order

    def build(self) -> _Node:
        tokens = _tokens(self.text)
        closed = {name for kind, name, _ in tokens if kind == "/"}
        root = _Node("", 0)
        stack = [root]
        i, count = 0, len(tokens)
        while i < count:
            kind, name, pos = tokens[i]
            i += 1
            if kind == "<":
                nxt = tokens[i] if i < count else None
                if nxt is not None and nxt[0] == "t":  # a leaf with its value
                    stack[-1].children.append(_Node(name, pos, _value(nxt[1])))
                    i += 1
                    if i < count and tokens[i][0] == "/" and tokens[i][1] == name:
                        i += 1
                elif nxt is not None and nxt[0] == "/" and nxt[1] == name:  # <X></X>
                    stack[-1].children.append(_Node(name, pos, ""))
                    i += 1
                elif name in closed:  # an aggregate
                    node = _Node(name, pos)
                    stack[-1].children.append(node)
                    stack.append(node)
                else:  # an empty SGML leaf
                    stack[-1].children.append(_Node(name, pos, ""))
            elif kind == "/" and any(n.name == name for n in stack[1:]):
                while stack.pop().name != name:
                    pass
        return root

    def line(self, pos: int) -> int:
        last_pos, last_line = self._cursor if pos >= self._cursor[0] else (0, self.line_base + 1)
        line = last_line + self.text.count("\n", last_pos, pos)
        self._cursor = (pos, line)
        return line


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """("<", name, pos) start tag, ("/", name, pos) end tag, ("t", text, pos) non-blank text."""
    out: list[tuple[str, str, int]] = []
    for match in _TOKENS.finditer(text):
        slash, name, cdata, chars = match.groups()
        if name is not None:
            out.append(("/" if slash else "<", name.upper(), match.start()))
        elif cdata is not None:
            out.append(("t", html.escape(cdata, quote=False), match.start()))
        elif chars is not None and not chars.isspace():
            out.append(("t", chars, match.start()))
    return out


# --- statements -----------------------------------------------------------------------------


class _Statement:
    def __init__(self, node: _Node, tree: _Tree) -> None:
        self.node = node
        self.tree = tree
        self.source = tree.source

    def build(self) -> ParsedStatement:
        node = self.node
        currency = (node.text("CURDEF") or "").upper() or None
        account = node.text("BANKACCTFROM/ACCTID") or node.text("CCACCTFROM/ACCTID")
        # every STMTTRN of every BANKTRANLIST (even one whose end tag is missing)
        lines = [self._line(trn, currency) for trn in node.walk({"STMTTRN"})]
        starts = [d for d in (self._leaf_date(n) for n in node.walk({"DTSTART"})) if d]
        ends = [d for d in (self._leaf_date(n) for n in node.walk({"DTEND"})) if d]
        ledger = node.child("LEDGERBAL")
        closing = closing_date = None
        if ledger is not None and ledger.text("BALAMT"):
            closing = self._amount(ledger, "BALAMT", currency)
            closing_date = self._date(ledger, "DTASOF")
        return ParsedStatement(
            account=account,
            currency=currency,
            statement_id=None,
            opening_balance=None,
            closing_balance=closing,
            opening_date=min(starts) if starts else None,
            closing_date=closing_date or (max(ends) if ends else None),
            lines=lines,
        )

    def _line(self, trn: _Node, currency: str | None) -> ParsedLine:
        own_currency = trn.text("CURRENCY/CURSYM")
        line_currency = (own_currency or currency or "").upper()
        if not line_currency:
            raise self._fail(trn, "CURDEF", "no currency for the statement")
        booking = self._date(trn, "DTPOSTED") or self._date(trn, "DTUSER")
        if booking is None:
            raise self._fail(trn, "DTPOSTED", "missing")
        name = trn.text("NAME") or trn.text("PAYEE/NAME")
        return ParsedLine(
            booking_date=booking,
            amount=self._amount(trn, "TRNAMT", line_currency),
            currency=line_currency,
            value_date=self._date(trn, "DTAVAIL"),
            counterparty_name=name,
            counterparty_account=trn.text("BANKACCTTO/ACCTID") or trn.text("CCACCTTO/ACCTID"),
            remittance=trn.text("MEMO"),
            transaction_id=trn.text("FITID"),
            line_no=self._line_no(trn),
        )

    def _line_no(self, node: _Node) -> int:
        return self.tree.line(node.pos)

    def _fail(self, node: _Node, field: str, problem: str) -> BankFileError:
        return BankFileError.at(self.source, self._line_no(node), field, problem)

    def _amount(self, node: _Node, field: str, currency: str | None) -> Decimal:
        """The amount of ``field``, with its currency's decimals (:func:`exact_amount`)."""
        text = node.text(field)
        if text is None:
            raise self._fail(node, field, "missing")
        compact = text.replace(" ", "")
        if not _AMOUNT.fullmatch(compact):
            raise self._fail(node, field, f"{text!r} is not an amount")
        value = Decimal(compact.replace(",", "."))
        if not currency:  # a balance of a statement without CURDEF: the importer's rule
            return value
        try:
            return exact_amount(value, currency)
        except ValueError as exc:
            raise self._fail(node, field, str(exc)) from None

    def _leaf_date(self, leaf: _Node) -> dt.date | None:
        return self._to_date(leaf.value or None, leaf, leaf.name)

    def _date(self, node: _Node, field: str) -> dt.date | None:
        return self._to_date(node.text(field), node, field)

    def _to_date(self, text: str | None, node: _Node, field: str) -> dt.date | None:
        if text is None:
            return None
        match = _DATE.match(text)
        try:
            if match is None:
                raise ValueError
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            raise self._fail(node, field, f"{text!r} is not a date (YYYYMMDD...)") from None

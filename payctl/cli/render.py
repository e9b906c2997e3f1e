"""One way to print rows for every command: a Rich table, JSON or CSV. Data on stdout.

Every value shown comes from a user, a file or the database, so none is ever parsed as Rich
markup (no console here parses markup or emoji codes) and every cell, title and message goes
through ``as_text``: control characters are written visibly (``payctl.textsafe``), never sent
to the terminal raw. JSON escapes them the JSON way; CSV keeps the exact value when piped (it
is data for a program) and is escaped like a table on a terminal.

Showing a result never fails because of the data (a write command has committed by then): a
character the output's encoding lacks (``ü`` on an ASCII terminal) is written as a backslash
escape (``\\xfc``) and JSON falls back to ``\\u`` escapes (:func:`prepare_streams`).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import IO, Any

from payctl.cli.state import state
from payctl.textsafe import BEYOND_C0, escape_controls

Column = tuple[str, str]  # (key in the row dict, header shown in a table)


def _console(stderr: bool = False) -> Any:
    import os

    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """A closed pipe is the root command's to report (``runtime``), not Rich's own
            ``SystemExit(1)``: the error goes on to the door."""
            self.quiet = True
            raise  # the BrokenPipeError being handled

    stream = sys.stderr if stderr else sys.stdout
    # Piped output (cron, scripts): never wrap table cells at 80 columns.
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 400
    return _Console(
        file=stream, markup=False, emoji=False, highlight=False, soft_wrap=False, width=width
    )


def prepare_streams() -> None:
    """stdout and stderr write what their encoding lacks as backslash escapes, never raise.

    Called once by the root command before any command runs, so no writer (Rich, JSON, CSV,
    typer.echo) can fail on a name the terminal cannot encode after its command committed."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def fmt() -> str:
    return state().format


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def as_text(value: Any, style: str = "") -> Any:
    """A value as a Rich ``Text``: shown as it is, never markup, controls escaped."""
    from rich.text import Text

    return Text(escape_controls(_cell(value)), style=style)


def _on_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def on_terminal() -> bool:
    """stdout is a terminal: what only a person reads (a chart) may be shown."""
    return _on_terminal(sys.stdout)


def show(renderable: Any) -> None:
    """A Rich renderable built by a command (a chart) on stdout; its text cells must be
    ``as_text`` values."""
    _console().print(renderable)


def csv_cell(value: Any) -> str:
    """A CSV cell: the exact text when piped, escaped like a table on a terminal."""
    text = _cell(value)
    return escape_controls(text) if _on_terminal(sys.stdout) else text


# json.dumps escapes C0 controls itself; DEL, C1 and the bidi/line-separator characters it
# leaves raw (textsafe.BEYOND_C0), and they can only occur inside strings: escaped there the
# JSON way (lossless).
_JSON_RAW = re.compile(f"[{BEYOND_C0}]")


def _json_text(data: Any, indent: int | None) -> str:
    separators = None if indent else (",", ":")
    text = _dumps(data, indent, ensure_ascii=False, separators=separators)
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except UnicodeEncodeError:  # an ASCII/Latin-1 stdout: JSON's own \u escapes, still valid
        text = _dumps(data, indent, ensure_ascii=True, separators=separators)
    # DEL is the only ASCII one of them: an ASCII text without it has none (tested at C
    # speed; the search itself takes ~35 ms on a 50,000-item report)
    if text.isascii() and "\x7f" not in text:
        return text
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def _dumps(
    data: Any, indent: int | None, ensure_ascii: bool, separators: tuple[str, str] | None
) -> str:
    """``json.dumps(data, indent=indent, ...)``. With an indent, json.dumps writes through its
    pure-Python encoder (its C encoder only writes compact text); data made only of dicts with
    text keys, lists and exact str / int / bool / None values (what commands emit) is written
    here instead, to the same text, about twice as fast (a 50,000-payment bulk run's report is
    450,000 values). Anything else goes to json.dumps."""
    if indent:
        if indent == 2 and not ensure_ascii:
            text = _orjson_indented(data)
            if text is not None:
                return text
        try:
            return _indented(data, " " * indent, ensure_ascii)
        except _NotPlain:
            pass
    return json.dumps(data, indent=indent, ensure_ascii=ensure_ascii, separators=separators)


def _orjson_indented(data: Any) -> str | None:
    """``json.dumps(data, indent=2, ensure_ascii=False)`` written by orjson (C: a fifth of
    :func:`_indented`'s time on a 50,000-payment bulk report, the check included), for plain
    data only (``jsontext.is_plain_data``: exact str / int / bool / None, lists, tuples, dicts
    with text keys), whose ``OPT_INDENT_2`` text is json.dumps's: the same separators, newlines and
    indentation, keys in insertion order, the same escapes (the two-character ones for the
    quote, the backslash and five C0 controls, a six-character one for the other C0 controls,
    every other character as it is: tests/unit/test_render_json.py). None for
    anything else and for what orjson refuses (integers beyond 64 bits, lone surrogates,
    nesting deeper than 255): those go to the writers below."""
    from payctl.jsontext import is_plain_data

    if not is_plain_data(data):
        return None
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency
        return None
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return None


class _NotPlain(Exception):
    """A value _indented leaves to json.dumps (floats, subclasses, other types)."""


def _indented(data: Any, step: str, ensure_ascii: bool) -> str:
    """``json.dumps(data, indent=len(step), ensure_ascii=...)`` for plain data (see _dumps)."""
    writer = _Indented(step, ensure_ascii)
    writer.value("", data, "\n")
    return "".join(writer.out)


class _Indented:
    """The pieces of json.dumps's indented text of plain data, in ``out``."""

    def __init__(self, step: str, ensure_ascii: bool) -> None:
        from json.encoder import encode_basestring, encode_basestring_ascii  # C if available

        self.step = step
        self.encode = encode_basestring_ascii if ensure_ascii else encode_basestring
        self.out: list[str] = []
        self.keys: dict[str, str] = {}  # a key's text, encoded once (rows repeat their keys)

    def value(self, prefix: str, value: Any, margin: str) -> None:
        """``prefix`` and ``value``'s text, its lines (if a container) indented from
        ``margin`` (a newline and the indentation of the line the value starts on)."""
        kind = type(value)
        if kind is str:
            self.out.append(prefix + self.encode(value))
        elif kind is int:
            self.out.append(prefix + int.__repr__(value))
        elif value is None:
            self.out.append(prefix + "null")
        elif kind is bool:
            self.out.append(prefix + ("true" if value else "false"))
        elif kind is dict or kind is list:
            self.container(prefix, value, margin)
        else:
            raise _NotPlain

    def key(self, key: Any) -> str:
        name = self.keys.get(key)
        if name is None:
            if type(key) is not str:
                raise _NotPlain
            name = self.keys[key] = self.encode(key) + ": "
        return name

    def container(self, prefix: str, value: Any, margin: str) -> None:
        is_dict = type(value) is dict
        if not value:
            self.out.append(prefix + ("{}" if is_dict else "[]"))
            return
        inner = margin + self.step
        lead = prefix + ("{" if is_dict else "[") + inner
        if is_dict:
            for key, item in value.items():
                self.value(lead + self.key(key), item, inner)
                lead = "," + inner
        else:
            for item in value:
                self.value(lead, item, inner)
                lead = "," + inner
        self.out.append(margin + ("}" if is_dict else "]"))


def emit_json(data: Any) -> None:
    sys.stdout.write(_json_text(data, indent=2) + "\n")


def json_line(data: Any) -> str:
    """``data`` as one compact line of JSON (JSON lines), escaped as :func:`emit_json`."""
    return _json_text(data, indent=None)


def _csv(data: Sequence[dict[str, Any]], columns: Sequence[Column]) -> None:
    """A header of the column keys, then a row per dict."""
    from payctl.csvout import Writer

    writer = Writer(sys.stdout)
    writer.writerow([key for key, _ in columns])
    for row in data:
        writer.writerow([csv_cell(row.get(key)) for key, _ in columns])


def rows(
    data: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    title: str | None = None,
    total: int | None = None,
    right: Sequence[str] = (),
    footer: Sequence[dict[str, Any]] = (),
    *,
    empty: str | None = None,
    money: bool = False,
) -> None:
    """Print a list of plain dicts in the chosen format; a table shows the ``footer`` rows
    (totals) below a rule, JSON and CSV leave them to the caller.

    A table follows :mod:`payctl.cli.columns` (what each column may do at the console's
    width); ``money``: a list of money, with outbound amounts negative and a total per
    currency. No rows: the one line ``empty`` (else "TITLE: none") instead of a table."""
    mode = fmt()
    if mode == "json":
        emit_json({"items": list(data), "total": len(data) if total is None else total})
        return
    if mode == "csv":
        _csv(data, columns)
        return
    if not data:
        line(empty or (f"{title}: none" if title else "none"))
        _shown_of(total, 0)
        return
    if money:
        data, footer = _money(data, columns, total, right, footer)
    plain = _plain_table(data, columns, title, right, footer)
    if not plain:
        _rich_table(data, columns, title, right, footer)
    _shown_of(total, len(data), plain=plain)


def _money(
    data: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    total: int | None,
    right: Sequence[str],
    footer: Sequence[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows with outbound amounts negative, and the footer with a total per currency."""
    from payctl.cli import columns as kinds

    amounts = [key for key, _ in columns if kinds.kind(key, right) == kinds.AMOUNT]
    signed = kinds.signed(data, amounts)
    if len(signed) < 2:
        return signed, list(footer)
    label = "Total" if total is None or total <= len(signed) else "Page total"
    sums = kinds.totals(signed, amounts, kinds.label_column([k for k, _ in columns], right), label)
    return signed, [*footer, *sums]


def _rich_table(
    data: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    title: str | None,
    right: Sequence[str],
    footer: Sequence[dict[str, Any]],
) -> None:
    """The table at the console's width: columns of each kind as :mod:`columns` says."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from payctl.cli import columns as kinds

    def texts(row: dict[str, Any]) -> list[str]:
        return [escape_controls(_cell(row.get(key))) for key, _ in columns]

    keys = [key for key, _ in columns]
    body, foot = [texts(row) for row in data], [texts(row) for row in footer]
    headers = [escape_controls(header) for _, header in columns]
    kind = [kinds.kind(key, right) for key in keys]
    console = _console()
    natural, floors, values = kinds.widths(headers, [*body, *foot])
    layout = kinds.plan(keys, natural, floors, values, kind, console.width)
    if layout is None:
        _records(console, title, headers, body, foot)
        return
    table = Table(
        title=None if title is None else as_text(title),
        show_lines=False,
        header_style="bold",
        box=box.HEAVY_HEAD if layout.style == 0 else box.SIMPLE_HEAVY,
        show_edge=layout.style == 0,
        pad_edge=layout.style == 0,
        collapse_padding=layout.style > 0,
        padding=(0, 1) if layout.style < 2 else 0,
    )
    for index, width in zip(layout.shown, layout.widths, strict=True):
        fixed = kind[index] in kinds.FIXED
        table.add_column(
            Text(headers[index], no_wrap=not fixed, overflow="ellipsis"),
            justify="right" if kinds.is_right(keys[index], right) else "left",
            width=width,
            no_wrap=kind[index] != kinds.WRAP,
            overflow="fold" if kind[index] == kinds.WRAP else "ellipsis",
        )
    for number, cells in enumerate(body):
        table.add_row(
            *[Text(cells[i]) for i in layout.shown],
            end_section=bool(foot) and number == len(body) - 1,
        )
    for cells in foot:
        table.add_row(*[Text(cells[i], style="bold") for i in layout.shown])
    console.print(table)
    left_out = [headers[i] for i in range(len(keys)) if i not in layout.shown]
    if left_out:
        message(f"not shown at {console.width} columns: {', '.join(left_out)} (see --format csv)")


def _records(
    console: Any,
    title: str | None,
    headers: Sequence[str],
    body: Sequence[Sequence[str]],
    foot: Sequence[Sequence[str]],
) -> None:
    """A table too wide for the console as one record per row (header, value), every value
    whole (long ones folded), a blank line between records."""
    from rich.table import Table
    from rich.text import Text

    if title is not None:
        console.print(as_text(title, style="bold"))
    for number, cells in enumerate([*body, *foot]):
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(no_wrap=True, style="bold")
        table.add_column(overflow="fold")
        for header, cell in zip(headers, cells, strict=True):
            table.add_row(Text(header), Text(cell, style="bold" if number >= len(body) else ""))
        if number:
            console.print()
        console.print(table)


def _shown_of(total: int | None, shown: int, plain: bool = False) -> None:
    """The "N of M shown" line; ``plain`` (piped, the table written without Rich): the line
    Rich would write, written directly so a piped listing never imports Rich's console."""
    if total is not None and total > shown:
        text = f"{shown} of {total} shown (use --limit/--offset for more)"
        if plain:
            sys.stdout.write(text + "\n")
        else:
            _console().print(as_text(text))


def _plain_output() -> bool:
    """stdout is piped as UTF-8 with no COLUMNS: Rich would write plain text 400 wide."""
    import os

    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return not (_on_terminal(sys.stdout) or os.environ.get("COLUMNS") or encoding != "utf8")


def _plain_table(
    data: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    title: str | None,
    right: Sequence[str],
    footer: Sequence[dict[str, Any]],
) -> bool:
    """Piped, the table Rich would write, written directly (:mod:`payctl.cli.plain_table`);
    False when Rich is to write it (a terminal, COLUMNS set, a table too wide)."""
    if not _plain_output():
        return False  # Rich's to write: styles, another width, or ASCII boxes
    from payctl.cli import columns as kinds
    from payctl.cli import plain_table

    def texts(row: dict[str, Any]) -> list[str]:
        return [escape_controls(_cell(row.get(key))) for key, _ in columns]

    lines = plain_table.draw(
        None if title is None else escape_controls(title),
        [escape_controls(header) for _, header in columns],
        [kinds.is_right(key, right) for key, _ in columns],
        [texts(row) for row in data],
        [texts(row) for row in footer],
    )
    if lines is None:
        return False
    sys.stdout.write("\n".join(lines) + "\n")
    return True


def _plain_record(data: dict[str, Any], fields: Sequence[Column], title: str | None) -> bool:
    """Piped, :func:`record`'s table written as Rich writes it, without Rich (like
    :func:`_plain_table`); False when Rich is to write it."""
    if not _plain_output():
        return False
    from payctl.cli import plain_table

    lines = plain_table.draw_record(
        None if title is None else escape_controls(title),
        [(escape_controls(label), escape_controls(_cell(data.get(key)))) for key, label in fields],
    )
    if lines is None:
        return False
    sys.stdout.write("\n".join(lines) + "\n")
    return True


def record(data: dict[str, Any], fields: Sequence[Column], title: str | None = None) -> None:
    """Print one object: key/value table, or JSON object, or a one-row CSV."""
    mode = fmt()
    if mode == "json":
        emit_json(data)
        return
    if mode == "csv":
        _csv([data], fields)
        return
    if _plain_record(data, fields, title):
        return
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, label in fields:
        table.add_row(as_text(label), as_text(data.get(key)))
    console = _console()
    if title:
        console.print(as_text(title, style="bold"))
    console.print(table)


def section(
    rows_data: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    title: str,
    right: Sequence[str] = (),
) -> None:
    """A sub-table inside a table-format detail view (skipped for json/csv)."""
    if fmt() != "table" or not rows_data:
        return
    rows(rows_data, columns, title=title, right=right)


def message(text: str) -> None:
    """A human message (never data): stderr, suppressed by --quiet; controls escaped."""
    if not state().quiet:
        _console(stderr=True).print(as_text(text))


def line(text: str) -> None:
    """One line of output on stdout (a command's result in words); controls escaped."""
    sys.stdout.write(escape_controls(text) + "\n")

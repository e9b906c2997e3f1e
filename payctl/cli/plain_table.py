"""A large table written without Rich, exactly as Rich writes it when piped.

Rich measures and renders every cell through its layout engine: about a millisecond per row of
ten columns, seconds for a report of thousands of partners. Piped (no terminal, no styles, no
COLUMNS: Rich's width is then 400 and nothing wraps), a table is only text, which this module
writes directly in Rich's own layout and box (``HEAVY_HEAD``): the same bytes, checked against
Rich by tests/cli/test_plain_table.py. A table that does not fit that width is Rich's to fold.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

WIDTH = 400  # render._console's width for piped output


def _cell(text: str, width: int, right: bool) -> str:
    pad = " " * (width - cell_len(text))
    return f" {pad}{text} " if right else f" {text}{pad} "


def _line(cells: Sequence[str], widths: Sequence[int], right: Sequence[bool], edge: str) -> str:
    body = edge.join(_cell(c, w, r) for c, w, r in zip(cells, widths, right, strict=True))
    return f"{edge}{body}{edge}"


def _rule(widths: Sequence[int], left: str, mid: str, right: str, fill: str) -> str:
    return left + mid.join(fill * (w + 2) for w in widths) + right


def draw(
    title: str | None,
    headers: Sequence[str],
    right: Sequence[bool],
    body: Sequence[Sequence[str]],
    footer: Sequence[Sequence[str]] = (),
) -> list[str] | None:
    """The table's lines, or None when it is not for this module (wider than WIDTH, a title
    wider than the table, no rows)."""
    if not body:
        return None
    widths = [cell_len(h) for h in headers]
    for row in (*body, *footer):
        widths = [max(w, cell_len(c)) for w, c in zip(widths, row, strict=True)]
    total = sum(widths) + 3 * len(widths) + 1
    if total > WIDTH or (title is not None and cell_len(title) > total):
        return None
    lines = []
    if title is not None:
        left = (total - cell_len(title)) // 2
        lines.append(" " * left + title + " " * (total - cell_len(title) - left))
    lines.append(_rule(widths, "┏", "┳", "┓", "━"))
    lines.append(_line(headers, widths, right, "┃"))
    lines.append(_rule(widths, "┡", "╇", "┩", "━"))
    lines.extend(_line(row, widths, right, "│") for row in body)
    if footer:
        lines.append(_rule(widths, "├", "┼", "┤", "─"))
        lines.extend(_line(row, widths, right, "│") for row in footer)
    lines.append(_rule(widths, "└", "┴", "┘", "─"))
    return lines


def draw_record(title: str | None, pairs: Sequence[tuple[str, str]]) -> list[str] | None:
    """One object's lines as ``render.record``'s Rich table writes them piped (no box, no
    header, padding 1 between the two columns, none at the edges), the title above; None when
    it is not for this module (no rows, wider than WIDTH)."""
    if not pairs:
        return None
    label_width = max(cell_len(label) for label, _ in pairs)
    value_width = max(cell_len(value) for _, value in pairs)
    if label_width + 2 + value_width > WIDTH or (title is not None and cell_len(title) > WIDTH):
        return None
    lines = [title] if title else []
    for label, value in pairs:
        label_pad = " " * (label_width - cell_len(label))
        value_pad = " " * (value_width - cell_len(value))
        lines.append(f"{label}{label_pad}  {value}{value_pad}")
    return lines

"""Helpers for all-or-nothing imports of tabular rows (partners, invoices, bulk payments)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from payctl.errors import InputError, PayctlError

if TYPE_CHECKING:  # payctl.importers only in the commands that read files (issue 12)
    from payctl.importers.records import SourceRow

T = TypeVar("T")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def require_columns(source: str, header: list[str], required: list[str]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"{source}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(header) or 'none'})"
        )


@contextmanager
def row_context(source: str, row: SourceRow, field: str | None = None) -> Iterator[None]:
    """Prefix any payctl error raised inside with the file, row and field it concerns."""
    try:
        yield
    except PayctlError as exc:
        where = f"{source}: row {row.line}"
        if exc.message.startswith(f"{where}:"):  # already says where
            raise
        if field and not exc.message.startswith(field):
            where += f": {field}"
        raise InputError(f"{where}: {exc.message}") from None


@overload
def parse_field(
    source: str,
    row: SourceRow,
    field: str,
    parse: Callable[[str], T],
    required: Literal[True] = True,
) -> T: ...
@overload
def parse_field(
    source: str, row: SourceRow, field: str, parse: Callable[[str], T], required: bool
) -> T | None: ...
def parse_field(
    source: str, row: SourceRow, field: str, parse: Callable[[str], T], required: bool = True
) -> T | None:
    raw = row.get(field)
    if not raw:
        if required:
            raise InputError(f"{source}: row {row.line}: {field}: value is missing")
        return None
    with row_context(source, row, field):
        return parse(raw)


def enum_value(enum: Any, field: str) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        try:
            return enum(raw.strip().lower())
        except ValueError:
            choices = ", ".join(m.value for m in enum)
            raise InputError(f"{field}: {raw!r} is not one of {choices}") from None

    return parse

"""Safe XML for bank files.

Bank files come from outside, so their XML is parsed with DTDs, entity declarations (and so
entity expansion, "billion laughs"), external entities and network access all refused. The
refusal is done by ``defusedxml``: its parser reads the prologue, the only place where XML allows
a ``<!DOCTYPE>`` (and with it any entity), up to the root element's start tag. The document
itself is then parsed by the standard library's C-accelerated pull parser, which without a DTD
knows only the five predefined entities: anything else is an "undefined entity" error, and an
external reference cannot even be declared. (defusedxml's own ElementTree parser is the slower
pure-Python one; parsing the whole file with it would cost 2-3 times as long.)

Errors come out as one-line ``BankFileError``s naming the file and the line.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Any

from payctl.importers.bank import BankFileError
from payctl.importers.files import unreadable

_CHUNK = 1 << 16


# --- parsing --------------------------------------------------------------------------------


class _RootReached(Exception):
    """Raised by the prologue guard's target at the first start tag: the prologue is over."""


class _StopAtRoot:
    def start(self, tag: str, attrib: dict[str, str]) -> None:
        raise _RootReached

    def end(self, tag: str) -> None:  # pragma: no cover - never reached before start()
        return None

    def data(self, data: str) -> None:
        return None

    def close(self) -> None:
        return None


def guard_prologue(data: bytes, source: str) -> None:
    """Refuse a document whose prologue holds a DTD, an entity or an external reference.

    Runs defusedxml's parser up to the root element's start tag (a DTD can be nowhere else:
    after the root element XML allows only comments and processing instructions).
    """
    from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(
        target=_StopAtRoot(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        for start in range(0, len(data), _CHUNK):
            parser.feed(data[start : start + _CHUNK])
        parser.close()
    except _RootReached:
        return
    except DTDForbidden:
        raise _refused(source, parser, "a DTD (<!DOCTYPE>)") from None
    except EntitiesForbidden:
        raise _refused(source, parser, "an entity declaration") from None
    except ExternalReferenceForbidden:
        raise _refused(source, parser, "an external reference") from None
    except ET.ParseError as exc:
        raise malformed(source, exc) from None
    except (ValueError, LookupError) as exc:  # "unknown encoding", "multi-byte encodings..."
        raise unreadable(source, "XML document", exc) from None
    # close() without a start tag would have raised "no element found"; stay safe regardless
    raise BankFileError(f"{source}: the XML has no root element")


def _refused(source: str, parser: Any, what: str) -> BankFileError:
    line = getattr(getattr(parser, "parser", None), "CurrentLineNumber", None)
    return BankFileError.at(
        source,
        line if isinstance(line, int) else None,
        None,
        f"XML with {what} is refused: DTDs, entities and external references are not allowed "
        "in bank files",
    )


def malformed(source: str, exc: ET.ParseError, at_end: bool = False) -> BankFileError:
    """One line for an expat error: file, line, what is wrong. ``at_end``: the error came
    when the input ran out (a truncated file)."""
    from xml.parsers.expat import errors

    line = exc.position[0] if getattr(exc, "position", None) else None
    code = getattr(exc, "code", None)
    reason = errors.messages.get(code, "") if isinstance(code, int) else ""
    reason = reason or str(exc).split(": line")[0]
    if at_end or reason == "no element found":
        problem = f"the XML ends before the document does (truncated file?): {reason}"
    elif reason in ("undefined entity", "reference to external entity in attribute"):
        problem = f"malformed XML: {reason} (DTD entities are not allowed in bank files)"
    else:
        problem = f"malformed XML: {reason}"
    return BankFileError.at(source, line, None, problem)


def iterparse(
    data: bytes, source: str, events: Iterable[str] = ("end",)
) -> Iterator[tuple[str, ET.Element]]:
    """Yield ``(event, element)`` pairs like ``ElementTree.iterparse``, safely.

    The prologue is checked by :func:`guard_prologue` first. Callers should ``clear()`` the
    elements they are done with to keep memory flat on large files.
    """
    guard_prologue(data, source)
    pull: Any = ET.XMLPullParser(events=tuple(events))  # type: ignore[arg-type]
    at_end = False
    try:
        for start in range(0, len(data), _CHUNK):
            pull.feed(data[start : start + _CHUNK])
            yield from pull.read_events()
        at_end = True
        pull.close()
    except ET.ParseError as exc:
        raise malformed(source, exc, at_end) from None
    except (ValueError, LookupError) as exc:
        raise unreadable(source, "XML document", exc) from None
    yield from pull.read_events()

"""Text from users, files and the database, made safe to show on a terminal or in a text file.

Control characters are never passed on raw: an ESC could recolour, retitle or rewrite the
terminal, a CR overwrite what was shown, a bidi override reorder it (the "trojan source"
trick). ``escape_controls`` writes each of them visibly instead (ESC -> ``\\x1b``, NUL ->
``\\x00``, U+202E -> ``\\u202e``) and leaves everything else alone, ordinary non-ASCII
letters (ß, é, 中) included. Pure, no imports beyond ``re``: the CLI and the exporters use it.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (0x9b is an 8-bit CSI), line/paragraph separators, and every
# bidi control (Unicode's Bidi_Control set): the embeddings, overrides and isolates
# U+202A-U+202E, U+2066-U+2069 and the marks ALM U+061C, LRM U+200E, RLM U+200F.
BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
CONTROLS = "\x00-\x1f" + BEYOND_C0
_CONTROL = re.compile(f"[{CONTROLS}]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` with every control character written visibly, except those in ``keep``."""
    if keep:
        return _CONTROL.sub(lambda m: m[0] if m[0] in keep else _visible(m), text)
    return _CONTROL.sub(_visible, text)

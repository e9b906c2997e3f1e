"""escape_controls: every control character written visibly, nothing else touched."""

from __future__ import annotations

import csv
import io

import pytest

from payctl.csvout import Writer
from payctl.textsafe import escape_controls


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("a\x00b", "a\\x00b"),
        ("shown\rhidden", "shown\\x0dhidden"),
        ("two\nlines\tx", "two\\x0alines\\x09x"),
        ("del\x7f c1\x9b", "del\\x7f c1\\x9b"),
        ("abc\u202edef", "abc\\u202edef"),
        (
            "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069",
            "\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069",
        ),
        ("line\u2028sep", "line\\u2028sep"),
        ("RLM\u200f LRM\u200e ALM\u061c", "RLM\\u200f LRM\\u200e ALM\\u061c"),  # bidi marks
        ("[bold]x[/bold] :smile:", "[bold]x[/bold] :smile:"),  # markup is not a control
        ("Straße café 中文 ÄÖÜ € \\x1b", "Straße café 中文 ÄÖÜ € \\x1b"),
        ("zwj 👩\u200d💻 nbsp\u00a0", "zwj 👩\u200d💻 nbsp\u00a0"),
    ],
)
def test_escape_controls(raw, shown):
    assert escape_controls(raw) == shown


def test_keep_leaves_the_named_controls():
    assert escape_controls("a\tb\nc\x1bd\re", keep="\t\n") == "a\tb\nc\\x1bd\\x0de"


def test_csv_writer_quotes_a_lone_carriage_return():
    buffer = io.StringIO()
    writer = Writer(buffer)
    writer.writerow(["a\rb", 1, "c"])
    writer.writerow(["plain", 2, "d,e"])
    assert list(csv.reader(io.StringIO(buffer.getvalue(), newline=""))) == [
        ["a\rb", "1", "c"],
        ["plain", "2", "d,e"],
    ]
    assert buffer.getvalue().splitlines()[-1] == 'plain,2,"d,e"'

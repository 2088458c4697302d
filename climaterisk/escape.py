"""Register text: what it may contain, and its escaping for the formats climaterisk writes
(part of the io layer).

Register strings are free text typed by people. :func:`text_problem` is the one policy for what
such text may hold, applied by the field check every register and scenario string passes
(:class:`climaterisk.register.fields.Str`): no control characters (tab and line feed only in
multi-line fields), no lone surrogates, no bidirectional controls. Whatever reaches an output then
passes through one of the escaping helpers: :func:`neutralise` for cells a spreadsheet would run
as a formula (CSV and Excel), :func:`md_escape` for Markdown, :func:`latex_escape` for LaTeX.
HTML uses the standard library's ``html.escape``. Pure functions over strings; no IO.
"""

from __future__ import annotations

import html
import re
import unicodedata

# --------------------------------------------------------------------------- what text may hold

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional formatting characters (embeddings, overrides, isolates and the marks): they make
text display in another order than it is stored ("Trojan Source"), so a reviewer would not see
what the register says."""

_C0_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 9: "TAB", 10: "LF", 11: "VT", 12: "FF", 13: "CR", 27: "ESC",
             127: "DEL"}


def _char(ch: str) -> str:
    code = ord(ch)
    name = _C0_NAMES.get(code) or unicodedata.name(ch, "")
    return f"U+{code:04X} {name}".rstrip()


def text_problem(text: str, multiline: bool = True) -> str | None:
    r"""What register text must be instead, or ``None`` when it is acceptable.

    Refused: C0 and C1 control characters and DEL (tab, line feed and CR LF are allowed in a
    ``multiline`` field), lone surrogates (not Unicode text; no output encoding can write them)
    and :data:`BIDI_CONTROLS`. The answer names the first offending character and its position
    (counted from 1), to be used as the "expected" part of a problem.

    >>> text_problem("Flood at the Ulanqab park") is None
    True
    >>> text_problem("a\x1b[31mred")
    'text without control characters (found U+001B ESC at character 2)'
    >>> text_problem("two\r\nlines") is None
    True
    >>> text_problem("two\nlines", multiline=False)
    'one line of text, without line breaks or tabs (found U+000A LF at character 4)'
    >>> text_problem("abc\u202edcba")[:80]
    'text without bidirectional control characters (found U+202E RIGHT-TO-LEFT OVERRI'
    """
    for i, ch in enumerate(text, 1):
        code = ord(ch)
        if ch in "\t\n" or (ch == "\r" and text[i:i + 1] == "\n"):  # CR LF: a Windows line break
            if not multiline:
                return f"one line of text, without line breaks or tabs (found {_char(ch)} at character {i})"
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            return f"text without control characters (found {_char(ch)} at character {i})"
        elif 0xD800 <= code <= 0xDFFF:
            return f"valid Unicode text (found a lone surrogate U+{code:04X} at character {i})"
        elif ch in BIDI_CONTROLS:
            return (f"text without bidirectional control characters (found {_char(ch)} at character {i}; "
                    "they make text display in another order than it is stored)")
    return None


# --------------------------------------------------------------------------- spreadsheets

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_LEAD = " \t\r\n\u00a0\"'"


def formula_like(value: object) -> bool:
    r"""Whether a spreadsheet could read ``value`` as a formula: text starting with ``= + - @``, a
    tab or a carriage return, also after leading whitespace or quotes (the OWASP CSV-injection rule).

    >>> [formula_like(t) for t in ("=1+2", "  =1+2", '"@SUM(A1)', "\tx", "a=b", "", 3)]
    [True, True, True, True, False, False, False]
    """
    if not isinstance(value, str) or not value:
        return False
    return value.startswith(FORMULA_START) or value.lstrip(_FORMULA_LEAD).startswith(FORMULA_START)


def neutralise(value: object) -> object:
    """Text a spreadsheet would treat as a formula (:func:`formula_like`) gets a leading apostrophe;
    anything else is returned as it is.

    >>> [neutralise(v) for v in ("=HYPERLINK(x)", " -2+3", "plain", 5)]
    ["'=HYPERLINK(x)", "' -2+3", 'plain', 5]
    """
    if formula_like(value):
        return "'" + value  # type: ignore[operator]
    return value


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def md_escape(text: object) -> str:
    r"""Register text for Markdown, also inside a table cell: whitespace (line breaks included)
    collapsed to single spaces, ``& < >`` as HTML entities (no tag or link a viewer would render)
    and Markdown specials and the table pipe behind a backslash.

    >>> md_escape("<img src=x onerror=alert(1)> R&D | *b*")
    '&lt;img src=x onerror=alert(1)&gt; R&amp;D \\| \\*b\\*'
    """
    return _MD_SPECIAL.sub(r"\\\1", html.escape(" ".join(str(text).split()), quote=False))


_LATEX = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
          "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def latex_escape(text: str) -> str:
    r"""Escape ``& % $ # _ { } ~ ^ \`` for LaTeX.

    >>> latex_escape("R&D 5% $x_1$ {a} ~b^ c\\d")
    'R\\&D 5\\% \\$x\\_1\\$ \\{a\\} \\textasciitilde{}b\\textasciicircum{} c\\textbackslash{}d'
    """
    return "".join(_LATEX.get(ch, ch) for ch in " ".join(str(text).split()))


# --------------------------------------------------------------------------- graph formats

_MERMAID_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.:;/'!?+=*%@$^~_-")


def mermaid_escape(text: object) -> str:
    """Register text for a quoted Mermaid label (``id["..."]``): whitespace collapsed to single
    spaces; every ASCII character but letters, digits, spaces and ``,.:;/'!?+=*%@$^~_-`` (so
    ``" < > & # [ ] ( ) { } | ` \\``) and every unprintable character as a Mermaid entity code
    ``#<decimal>;``, which Mermaid shows as the character and never reads as a tag, a quote or
    syntax. Printable non-ASCII text (Chinese) is kept.

    >>> mermaid_escape('<b>"x"</b> --> [y] | #1')
    '#60;b#62;#34;x#34;#60;/b#62; --#62; #91;y#93; #124; #35;1'
    """
    return "".join(ch if ch in _MERMAID_SAFE or (not ch.isascii() and ch.isprintable()) else f"#{ord(ch)};"
                   for ch in " ".join(str(text).split()))


def dot_escape(text: object) -> str:
    r"""Register text for a double-quoted Graphviz DOT string: whitespace (line breaks included)
    collapsed to single spaces, unprintable characters dropped, ``\`` doubled (no ``\n``, ``\N``
    or ``\G`` escape of Graphviz's own) and ``"`` behind a backslash. Quoted DOT strings are not
    HTML labels, so ``<`` and ``>`` are plain text.

    >>> dot_escape('a "b" \\N\n<i>')
    'a \\"b\\" \\\\N <i>'
    """
    text = " ".join(str(text).split())
    text = "".join(ch for ch in text if ch.isprintable())
    return text.replace("\\", "\\\\").replace('"', '\\"')

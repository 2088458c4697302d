"""Escaping of register text for the formats climaterisk writes (part of the io layer).

Register strings are free text typed by people; whatever reaches an output passes through one
of these helpers: :func:`neutralise` for cells a spreadsheet would run as a formula (CSV and
Excel), :func:`md_escape` for Markdown, :func:`latex_escape` for LaTeX. HTML uses the standard
library's ``html.escape``. Pure functions over strings; no IO.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text a spreadsheet would treat as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def md_escape(text: str) -> str:
    """Escape Markdown specials (and table pipes) in register text."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


_LATEX = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
          "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def latex_escape(text: str) -> str:
    r"""Escape ``& % $ # _ { } ~ ^ \`` for LaTeX.

    >>> latex_escape("R&D 5% $x_1$ {a} ~b^ c\\d")
    'R\\&D 5\\% \\$x\\_1\\$ \\{a\\} \\textasciitilde{}b\\textasciicircum{} c\\textbackslash{}d'
    """
    return "".join(_LATEX.get(ch, ch) for ch in " ".join(str(text).split()))

"""The document model of the report and the appendix: a :class:`Report` made of
sections (:class:`Section`), each a list of blocks: paragraphs, tables (:class:`Table`) and
figures (:class:`FigureRef`). :mod:`climaterisk.outputs.publish` writes it as Markdown, HTML,
LaTeX, CSV or Excel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Cell = str | float | int | None


@dataclass
class Table:
    """A table: ``kinds`` says how to format each column (text, money, pct, num, int, date)."""

    name: str
    title: str
    columns: list[str]
    kinds: list[str]
    rows: list[list[Cell]]
    note: str = ""


@dataclass
class FigureRef:
    name: str
    caption: str


Block = str | Table | FigureRef


@dataclass
class Section:
    title: str
    paragraphs: str  # IFRS S2 paragraphs answered, e.g. "6-7"
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    title: str
    intro: list[str]
    sections: list[Section]

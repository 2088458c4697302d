"""Write the report and appendix model as Markdown, HTML, LaTeX, CSV and Excel.

No computation here: only formatting, escaping and writing. Register text is escaped for every
format (HTML entities, Markdown specials, LaTeX specials), and text cells that a spreadsheet
would run as a formula (starting with ``= + - @``, tab or carriage return) are neutralised with
a leading apostrophe in CSV and Excel. All the files of a report or appendix are written as one
:class:`climaterisk.io.OutputSet`: moved in together, or not at all.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from climaterisk.errors import InputError, Problem
from climaterisk.escape import latex_escape, md_escape, neutralise
from climaterisk.io import OutputSet, folder_target_problem, output_set
from climaterisk.outputs.report.document import Block, FigureRef, Report, Table

if TYPE_CHECKING:  # pandas is imported when a table is written, not with the CLI
    import pandas as pd

# --------------------------------------------------------------------------- cells


def format_cell(value: object, kind: str) -> str:
    """A cell as display text: money with thousands separators, shares as percentages."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind == "money":
            return f"{value:,.0f}"
        if kind == "pct":
            return f"{value:.1%}"
        if kind == "int":
            return f"{int(value)}"
        if kind == "sig3":  # 3 significant figures, trailing zeros kept: 68.0 -> "68.0"
            if value == 0 or not math.isfinite(value):
                return f"{value:g}"
            keep = 2 - math.floor(math.log10(abs(value)))
            value = round(value, keep)
            keep = 2 - math.floor(math.log10(abs(value)))  # 99.95 rounds to 100: one decimal fewer
            return f"{value:,.{max(keep, 0)}f}"
        if float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


# --------------------------------------------------------------------------- tables


NUMERIC = ("money", "pct", "num", "int", "sig3")
"""Column kinds written as numbers: right-aligned, and so are their headers."""


def table_markdown(t: Table) -> str:
    lines = [f"**{md_escape(t.title)}**", ""]
    lines.append("| " + " | ".join(md_escape(c) for c in t.columns) + " |")
    aligns = ["---:" if k in NUMERIC else "---" for k in t.kinds]
    lines.append("| " + " | ".join(aligns) + " |")
    for row in t.rows:
        lines.append("| " + " | ".join(md_escape(format_cell(v, k)) for v, k in zip(row, t.kinds,
                                                                                      strict=True)) + " |")
    if t.note:
        lines += ["", md_escape(t.note)]
    return "\n".join(lines) + "\n"


def _html_text(text: str) -> str:
    """Cell text escaped for HTML, with <wbr> after the punctuation of long words (URLs, paths),
    so that a column is never wider than its longest piece; a SHA-256 digest stays whole."""
    return " ".join("<wbr>".join(html.escape(p) for p in _pieces(w, 30)) for w in text.split())


def table_html(t: Table) -> str:
    """A table with its caption; numeric columns (cells and header) right-aligned."""
    head = "".join(f'<th class="{"num" if k in NUMERIC else "text"}">{html.escape(c)}</th>'
                   for c, k in zip(t.columns, t.kinds, strict=True))
    body = []
    for row in t.rows:
        cells = "".join(
            f'<td class="num">{html.escape(format_cell(v, k))}</td>' if k in NUMERIC else
            f'<td class="text">{_html_text(format_cell(v, k))}</td>'
            for v, k in zip(row, t.kinds, strict=True))
        body.append(f"<tr>{cells}</tr>")
    note = f'<p class="note">{html.escape(t.note)}</p>' if t.note else ""
    return (f'<div class="scroll"><table id="{html.escape(t.name)}"><caption>{html.escape(t.title)}'
            f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            f"{note}\n")


# Widths are estimated in characters of the table's font; a column of p{} type gets a share of
# \linewidth (minus its padding, \tabcolsep on each side), so the columns never add up to more
# than the line and a cell's text wraps instead of running into the next column.
_LINE_PT = 483.0  # A4 portrait text width at 2 cm margins; the shares hold for other widths
_LANDSCAPE_PT = 730.0
_PAD_PT = 12.0  # 2 x \tabcolsep at the LaTeX default of 6pt
_SIZES = ((r"\small", 5.0), (r"\footnotesize", 4.45), (r"\scriptsize", 3.9))  # pt per character
_BREAK_AFTER = re.compile(r"(?<=[/.,;:=&?_\-)\]])(?=.)")
_DIGIT = re.compile(r"\d")
_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60]")


def _chars(text: str) -> float:
    """Width of ``text`` in average Latin characters (a CJK character is two)."""
    return len(text) + len(_WIDE.findall(text))


def _pieces(word: str, longer_than: int = 8) -> list[str]:
    """A long word (a URL, a path, a dotted name) cut after its punctuation, where a line may
    break; a word without punctuation (a SHA-256 digest) stays whole."""
    return _BREAK_AFTER.split(word) if len(word) > longer_than else [word]


def _latex_cell(text: str) -> str:
    """Cell text escaped for LaTeX, with \\allowbreak after the punctuation of long words."""
    return " ".join(r"\allowbreak{}".join(latex_escape(p) for p in _pieces(w)) for w in text.split())


def _column_chars(t: Table) -> list[tuple[float, float, float]]:
    """Per column, (narrowest, wanted, weight) in characters: the longest unbreakable piece of a
    cell or a header word; the longest cell (within limits) or header; the typical cell length,
    by which the room left is shared (long text gets the room, short codes do not)."""
    out = []
    for j, kind in enumerate(t.kinds):
        cells = [format_cell(row[j], kind) for row in t.rows]
        header = [_chars(w) for w in str(t.columns[j]).split()] or [1.0]
        if kind in NUMERIC:
            widest = max([_chars(c) for c in cells] + [max(header)])
            out.append((widest, widest, 0.0))
            continue
        # a word may be hyphenated by TeX down to about 10 characters; a piece holding digits
        # (an amount, a date, a SHA-256 digest) may not, so its column is at least that wide
        pieces = [_chars(p) if _DIGIT.search(p) else min(_chars(p), 10.0)
                  for c in cells for w in c.split() for p in _pieces(w)]
        narrow = max([*pieces, *(min(h, 10.0) for h in header), 3.0]) + 0.5
        lengths = [_chars(c) for c in cells] or [0.0]
        typical = sum(lengths) / len(lengths)
        wanted = min(max(lengths), max(2.5 * typical, 24.0), 120.0)
        out.append((narrow, max(narrow, wanted, _chars(str(t.columns[j])) * 0.6), max(typical, 1.0)))
    return out


def latex_layout(t: Table, line_pt: float = _LINE_PT) -> tuple[str, list[float]] | None:
    """The font size and the column shares of ``\\linewidth`` at which ``t`` fits a line of
    ``line_pt``: the largest size that leaves a quarter of the line to share beyond the columns'
    narrowest widths (else the largest at which they fit); ``None`` when none fits."""
    cols = _column_chars(t)
    room = line_pt - _PAD_PT * len(cols)
    fits = [(size, char_pt) for size, char_pt in _SIZES
            if sum(n * char_pt for n, _, _ in cols) <= room]
    roomy = [(size, char_pt) for size, char_pt in fits
             if sum(n for n, _, _ in cols) * char_pt <= 0.75 * room
             or sum(w for _, w, _ in cols) * char_pt <= room]
    for size, char_pt in (roomy or fits)[:1]:
        narrow = [n * char_pt for n, _, _ in cols]
        wanted = [w * char_pt for _, w, _ in cols]
        if sum(wanted) <= room:
            return size, [(w + _PAD_PT) / line_pt for w in wanted]
        # every column gets its narrowest width; the room left goes to the columns that want
        # more, in proportion to their typical length, none beyond what it wants
        widths = list(narrow)
        open_ = {j for j in range(len(cols)) if wanted[j] > widths[j]}
        while open_ and (extra := room - sum(widths)) > 0.5:
            weight = sum(cols[j][2] for j in open_)
            for j in list(open_):
                widths[j] = min(wanted[j], widths[j] + extra * cols[j][2] / weight)
                if widths[j] >= wanted[j] - 1e-9:
                    open_.discard(j)
        return size, [(w + _PAD_PT) / line_pt for w in widths]
    return None


def table_latex(t: Table, line_pt: float = _LINE_PT) -> str:
    r"""A booktabs longtable, ready to ``\input`` in a pdfLaTeX or XeLaTeX document (needs only
    booktabs, longtable and array; CJK text in the register needs a CJK setup, e.g. xeCJK).

    Every column is a paragraph column with a share of ``\linewidth`` (numbers and their headers
    right-aligned, text ragged-right), so the table never runs off the line and breaks across
    pages with its header repeated. The font size is the largest at which the widest unbreakable
    words fit a line of ``line_pt`` (A4 portrait by default)."""
    layout = latex_layout(t, line_pt) or (_SIZES[-1][0], [1.0 / len(t.columns)] * len(t.columns))
    size, shares = layout
    spec = "".join(
        (r">{\raggedleft\arraybackslash}" if kind in NUMERIC else r">{\raggedright\arraybackslash}")
        + rf"p{{\dimexpr{share:.4f}\linewidth-2\tabcolsep\relax}}"
        for kind, share in zip(t.kinds, shares, strict=True))
    header = " & ".join(_latex_cell(c) for c in t.columns) + r" \\"
    lines = [r"\begingroup" + size, r"\setlength{\LTleft}{0pt}\setlength{\LTright}{0pt}",
             rf"\begin{{longtable}}{{@{{}}{spec}@{{}}}}",
             rf"\caption{{{latex_escape(t.title)}}}\label{{tab:{t.name}}} \\",
             r"\toprule", header, r"\midrule", r"\endfirsthead", r"\toprule", header, r"\midrule",
             r"\endhead", r"\bottomrule", r"\endlastfoot"]
    for row in t.rows:
        lines.append(" & ".join(_latex_cell(format_cell(v, k)) for v, k in zip(row, t.kinds,
                                                                                strict=True)) + r" \\")
    lines.append(r"\end{longtable}")
    if t.note:
        lines.append(r"\par\noindent " + _latex_cell(t.note) + r"\par")
    lines.append(r"\endgroup")
    return "\n".join(lines) + "\n"


def table_frame(t: Table) -> pd.DataFrame:
    """Raw values (numbers stay numbers), formula-like text neutralised."""
    import pandas as pd

    return pd.DataFrame([[neutralise(v) for v in row] for row in t.rows], columns=t.columns)


_XLSX_FORMATS = {"money": "#,##0", "pct": "0.0%", "num": "#,##0.####", "int": "0", "auto": "#,##0.####",
                 "sig3": "#,##0.####"}


def tables_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table: bold frozen header, number formats, readable widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    for t in tables:
        ws = wb.create_sheet(t.name[:31])
        ws.append(t.columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in t.rows:
            ws.append([neutralise(v) for v in row])
        for j, kind in enumerate(t.kinds, start=1):
            letter = ws.cell(row=1, column=j).column_letter
            longest = max([len(str(t.columns[j - 1]))] + [len(format_cell(r[j - 1], kind)) for r in t.rows])
            ws.column_dimensions[letter].width = min(max(10, longest + 2), 60)
            for cell in ws[letter][1:]:
                if kind in _XLSX_FORMATS and isinstance(cell.value, (int, float)):
                    cell.number_format = _XLSX_FORMATS[kind]
                elif kind == "text":
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- documents

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; width: 100%; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.5em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; } td.num { text-align: right; white-space: nowrap; }
th.num { text-align: right; }
.scroll { overflow-x: auto; } td.text { overflow-wrap: break-word; }
figure { margin: 1em 0; } figure img { max-width: 100%; } .note { font-size: 0.85em; color: #555; }
figcaption { font-size: 0.9em; color: #444; }
@media print {
  @page { size: A4 portrait; margin: 14mm 12mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 9pt; line-height: 1.3; }
  h1, h2, h3, caption { break-after: avoid; page-break-after: avoid; }
  h2 { margin-top: 1.2em; }
  .scroll { overflow: visible; }
  table { font-size: 7pt; width: 100%; table-layout: auto; }
  thead { display: table-header-group; } tfoot { display: table-footer-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  th, td { padding: 0.15em 0.3em; }
  th, td.text { overflow-wrap: break-word; word-break: normal; }
  td.num { white-space: nowrap; }
  figure { break-inside: avoid; page-break-inside: avoid; }
  figure img { max-width: 100%; max-height: 230mm; }
}
"""


def _section_title(title: str, paragraphs: str) -> str:
    return f"{title} (IFRS S2 {paragraphs})" if paragraphs else title


def report_markdown(report: Report, figures: dict[str, dict[str, Path]], base: Path) -> str:
    out = [f"# {md_escape(report.title)}", ""]
    out += [md_escape(p) + "\n" for p in report.intro]
    for section in report.sections:
        out += [f"## {md_escape(_section_title(section.title, section.paragraphs))}", ""]
        out += [_block(b, figures, base, "markdown") for b in section.blocks]
    return "\n".join(out)


def report_html(report: Report, figures: dict[str, dict[str, Path]]) -> str:
    body = [f"<h1>{html.escape(report.title)}</h1>"]
    body += [f"<p>{html.escape(p)}</p>" for p in report.intro]
    for section in report.sections:
        body.append(f"<h2>{html.escape(_section_title(section.title, section.paragraphs))}</h2>")
        body += [_block(b, figures, Path("."), "html") for b in section.blocks]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(report.title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


LATEX_ENGINE = "xelatex"
"""The TeX engine of the LaTeX report: the register's own language may be Chinese, so XeLaTeX
with xeCJK and the Noto CJK fonts (vector OpenType fonts throughout). The appendix's table files
need no engine of their own: see :func:`table_latex`."""

LATEX_PREAMBLE = r"""% Compile with XeLaTeX, twice (longtable settles its column widths on the second run):
%   xelatex report.tex && xelatex report.tex
% Needs fontspec, xeCJK (TeX Live: texlive-xetex, texlive-lang-chinese) and the Noto CJK fonts.
\documentclass[10pt,a4paper]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{fontspec}
\usepackage{xeCJK}
\setCJKmainfont{Noto Serif CJK SC}
\setCJKsansfont{Noto Sans CJK SC}
\setCJKmonofont{Noto Sans Mono CJK SC}
\usepackage{booktabs,longtable,array,graphicx,float,placeins,pdflscape}
\setlength{\LTcapwidth}{\linewidth}
\setlength{\emergencystretch}{3em}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5\baselineskip}
\renewcommand{\floatpagefraction}{0.8}
"""


def report_latex(report: Report, figures: dict[str, dict[str, Path]], base: Path) -> str:
    """The report for XeLaTeX (:data:`LATEX_PREAMBLE`): A4 portrait; a table too wide for the page
    even in small type is set on landscape pages; figures stay where they are cited."""
    out = [LATEX_PREAMBLE.rstrip("\n"),
           rf"\title{{{latex_escape(report.title)}}}", r"\date{}", r"\begin{document}", r"\maketitle"]
    out += [latex_escape(p) + "\n" for p in report.intro]
    for section in report.sections:
        out.append(rf"\section{{{latex_escape(_section_title(section.title, section.paragraphs))}}}")
        out += [_block(b, figures, base, "latex") for b in section.blocks]
        out.append(r"\FloatBarrier")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


_PAGE_PT = {_LINE_PT: 600.0, _LANDSCAPE_PT: 380.0}  # room for one row below caption and header
_LEADING = {r"\small": 11.0, r"\footnotesize": 9.5, r"\scriptsize": 8.0}


def _tallest_row_pt(t: Table, layout: tuple[str, list[float]], line_pt: float) -> float:
    """Estimated height of the table's tallest row (a longtable row never breaks across pages)."""
    size, shares = layout
    char_pt = dict(_SIZES)[size]
    tallest = 1
    for row in t.rows:
        for v, k, share in zip(row, t.kinds, shares, strict=True):
            per_line = max((share * line_pt - _PAD_PT) / char_pt, 1.0)
            tallest = max(tallest, int(_chars(format_cell(v, k)) / per_line * 1.15) + 1)
    return tallest * _LEADING[size]


def _latex_records(t: Table) -> str:
    """A table whose rows are too long for any page, as one record per row: each cell under its
    column's name, so that nothing is cut and every header is still printed."""
    out = [rf"\subsubsection*{{{latex_escape(t.title)}}}\label{{tab:{t.name}}}", r"\begingroup\small"]
    for row in t.rows:
        items = [rf"\item[{{{_latex_cell(c)}}}] {_latex_cell(format_cell(v, k))}"
                 for c, v, k in zip(t.columns, row, t.kinds, strict=True)]
        out += [r"\begin{description}\itemsep0pt", *items, r"\end{description}", r"\medskip\hrule\medskip"]
    if t.note:
        out.append(r"\par\noindent " + _latex_cell(t.note) + r"\par")
    out.append(r"\endgroup")
    return "\n".join(out) + "\n"


def _latex_table_block(t: Table) -> str:
    """A table on the portrait page; on landscape pages when it does not fit one or a row would be
    taller than the page; as records when a row is taller than even a landscape page."""
    for line_pt in (_LINE_PT, _LANDSCAPE_PT):
        layout = latex_layout(t, line_pt)
        if layout is not None and _tallest_row_pt(t, layout, line_pt) <= _PAGE_PT[line_pt]:
            if line_pt == _LINE_PT:
                return table_latex(t)
            return "\\begin{landscape}\n" + table_latex(t, _LANDSCAPE_PT) + "\\end{landscape}\n"
    return _latex_records(t)


def _block(block: Block, figures: dict[str, dict[str, Path]], base: Path, fmt: str) -> str:
    if isinstance(block, Table):
        return {"markdown": table_markdown, "html": table_html, "latex": _latex_table_block}[fmt](block)
    if isinstance(block, FigureRef):
        files = figures.get(block.name)
        if not files:
            return ""
        if fmt == "markdown":
            return f"![{md_escape(block.caption)}]({files['png'].relative_to(base).as_posix()})\n"
        if fmt == "latex":  # vector PDF where drawn; here, never cut at the page bottom
            rel = files.get("pdf", files["png"]).relative_to(base).as_posix()
            return (r"\begin{figure}[H]\centering" + "\n"
                    + rf"\includegraphics[width=\linewidth,height=0.42\textheight,keepaspectratio]{{{rel}}}"
                    + "\n" + rf"\caption{{{latex_escape(block.caption)}}}" + "\n" + r"\end{figure}" + "\n")
        # vector SVG where drawn (prints sharp); as an image, so nothing in it can run as script
        kind = "svg" if "svg" in files else "png"
        data = base64.b64encode(files[kind].read_bytes()).decode("ascii")
        mime = "image/svg+xml" if kind == "svg" else "image/png"
        return (f'<figure><img alt="{html.escape(block.caption)}" src="data:{mime};base64,{data}">'
                f"<figcaption>{html.escape(block.caption)}</figcaption></figure>")
    text = str(block)
    if fmt == "markdown":
        return md_escape(text) + "\n"
    if fmt == "latex":
        return latex_escape(text) + "\n"
    return f"<p>{html.escape(text)}</p>"


def ensure_folder(folder: Path) -> Path:
    """Check that files can be written into ``folder`` (created when they are written); return it.

    Raises :class:`InputError` for a file in the way or a folder that cannot be written."""
    problem = folder_target_problem(folder, creating=True)
    if problem:
        raise InputError(Problem(str(folder), "", "", str(folder), problem))
    return folder


def write_report(report: Report, out: Path | OutputSet, figures: dict[str, dict[str, Path]],
                 formats: list[str]) -> list[Path]:
    """Write ``report.md`` / ``report.html`` / ``report.tex`` into folder ``out`` (or stage them
    in the set ``out``, beside figures staged there); return their final paths.

    ``figures`` gives the figures' files as staged in the same set (or already in the folder);
    they are linked relative to the report and embedded in the HTML."""
    written = []
    with output_set(out) as files:
        staged = [f for fig in figures.values() for f in fig.values()]
        base = files.staging if all(files.staging in f.parents for f in staged) else files.root
        writers: dict[str, tuple[str, Callable[[], str]]] = {
            "markdown": ("report.md", lambda: report_markdown(report, figures, base)),
            "html": ("report.html", lambda: report_html(report, figures)),
            "latex": ("report.tex", lambda: report_latex(report, figures, base)),
        }
        for fmt in formats:
            name, make = writers[fmt]
            files.add(name, make())
            written.append(files.target(name))
    return written


def write_appendix(tables: list[Table], out: Path | OutputSet, fmt: str) -> list[Path]:
    """Appendix tables in one format: one Markdown/HTML file, one LaTeX file per table (plus
    ``appendix.tex`` that inputs them), one CSV file per table, or one workbook; all moved into
    folder ``out`` together (or staged in the set ``out``). Returns their final paths."""
    staged: dict[str, Callable[[], str | bytes]] = {}
    if fmt == "markdown":
        staged["appendix.md"] = lambda: "# Appendix\n\n" + "\n".join(table_markdown(t) for t in tables)
    elif fmt == "html":
        staged["appendix.html"] = lambda: (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Appendix"
            f"</title><style>{CSS}</style></head><body><h1>Appendix</h1>\n"
            + "\n".join(table_html(t) for t in tables) + "</body></html>\n")
    elif fmt == "latex":
        for t in tables:
            staged[f"{t.name}.tex"] = functools.partial(table_latex, t)
        staged["appendix.tex"] = lambda: (
            "% \\usepackage{booktabs,longtable,array} in the preamble\n"
            + "".join(f"\\input{{{t.name}}}\n" for t in tables))
    elif fmt == "csv":
        for t in tables:
            staged[f"{t.name}.csv"] = functools.partial(lambda t: table_frame(t).to_csv(index=False), t)
    elif fmt == "xlsx":
        staged["appendix.xlsx"] = lambda: tables_xlsx(tables)
    written: list[Path] = []
    with output_set(out) as files:
        for name, make in staged.items():
            files.add(name, make())
            written.append(files.target(name))
    return written

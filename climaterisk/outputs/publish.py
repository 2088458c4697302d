"""Write the report and appendix model as Markdown, HTML, LaTeX, CSV and Excel.

No computation here: only formatting, escaping and writing. Register text is escaped for every
format (HTML entities, Markdown specials, LaTeX specials), and text cells that a spreadsheet
would run as a formula (starting with ``= + - @``, tab or carriage return) are neutralised with
a leading apostrophe in CSV and Excel. Every file is written atomically.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from climaterisk.errors import OutputError
from climaterisk.escape import latex_escape, md_escape, neutralise
from climaterisk.io import atomic_write
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
        if float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


# --------------------------------------------------------------------------- tables


def table_markdown(t: Table) -> str:
    lines = [f"**{md_escape(t.title)}**", ""]
    lines.append("| " + " | ".join(md_escape(c) for c in t.columns) + " |")
    aligns = ["---:" if k in ("money", "pct", "num", "int") else "---" for k in t.kinds]
    lines.append("| " + " | ".join(aligns) + " |")
    for row in t.rows:
        lines.append("| " + " | ".join(md_escape(format_cell(v, k)) for v, k in zip(row, t.kinds,
                                                                                      strict=True)) + " |")
    if t.note:
        lines += ["", md_escape(t.note)]
    return "\n".join(lines) + "\n"


def table_html(t: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.columns)
    body = []
    for row in t.rows:
        cells = "".join(
            f'<td class="{"num" if k in ("money", "pct", "num", "int") else "text"}">'
            f"{html.escape(format_cell(v, k))}</td>" for v, k in zip(row, t.kinds, strict=True))
        body.append(f"<tr>{cells}</tr>")
    note = f'<p class="note">{html.escape(t.note)}</p>' if t.note else ""
    return (f'<div class="scroll"><table id="{html.escape(t.name)}"><caption>{html.escape(t.title)}'
            f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            f"{note}\n")


def _latex_spec(t: Table) -> str:
    """Column types: numbers right-aligned at their natural width; text ragged-right in
    paragraph columns sharing the rest of the line in proportion to their typical length."""
    cells = [[format_cell(v, k) for v, k in zip(row, t.kinds, strict=True)] for row in t.rows]
    numeric_width = 0.0
    weights = {}
    for j, kind in enumerate(t.kinds):
        lengths = [len(str(t.columns[j]))] + [len(row[j]) for row in cells]
        if kind == "text":
            typical = sum(lengths) / len(lengths)
            weights[j] = min(max(typical, max(lengths) * 0.5, 4.0), 60.0)
        else:
            numeric_width += (max(lengths) + 2) * 0.0085
    room = max(0.95 - numeric_width, 0.3)
    total = sum(weights.values()) or 1.0
    spec = []
    for j, kind in enumerate(t.kinds):
        if kind == "text":
            spec.append(f">{{\\raggedright\\arraybackslash}}p{{{room * weights[j] / total:.3f}\\linewidth}}")
        else:
            spec.append("r")
    return "".join(spec)


def table_latex(t: Table) -> str:
    """A booktabs longtable, ready to ``\\input`` (needs booktabs, longtable and array)."""
    spec = _latex_spec(t)
    header = " & ".join(latex_escape(c) for c in t.columns) + r" \\"
    lines = [r"\begin{small}", rf"\begin{{longtable}}{{{spec}}}",
             rf"\caption{{{latex_escape(t.title)}}}\label{{tab:{t.name}}} \\",
             r"\toprule", header, r"\midrule", r"\endfirsthead", r"\toprule", header, r"\midrule",
             r"\endhead", r"\bottomrule", r"\endlastfoot"]
    for row in t.rows:
        lines.append(" & ".join(latex_escape(format_cell(v, k)) for v, k in zip(row, t.kinds,
                                                                                 strict=True)) + r" \\")
    lines.append(r"\end{longtable}")
    if t.note:
        lines.append(r"\par\noindent " + latex_escape(t.note))
    lines.append(r"\end{small}")
    return "\n".join(lines) + "\n"


def table_frame(t: Table) -> pd.DataFrame:
    """Raw values (numbers stay numbers), formula-like text neutralised."""
    import pandas as pd

    return pd.DataFrame([[neutralise(v) for v in row] for row in t.rows], columns=t.columns)


_XLSX_FORMATS = {"money": "#,##0", "pct": "0.0%", "num": "#,##0.####", "int": "0", "auto": "#,##0.####"}


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
.scroll { overflow-x: auto; } td.text { overflow-wrap: break-word; }
figure { margin: 1em 0; } figure img { max-width: 100%; } .note { font-size: 0.85em; color: #555; }
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


def report_latex(report: Report, figures: dict[str, dict[str, Path]], base: Path) -> str:
    out = [r"\documentclass[10pt,a4paper]{article}", r"\usepackage[margin=2cm,landscape]{geometry}",
           r"\usepackage{booktabs,longtable,array,graphicx}", r"\usepackage[T1]{fontenc}",
           r"\setlength{\tabcolsep}{3pt}",
           r"\usepackage[utf8]{inputenc}",
           rf"\title{{{latex_escape(report.title)}}}", r"\date{}", r"\begin{document}", r"\maketitle"]
    out += [latex_escape(p) + "\n" for p in report.intro]
    for section in report.sections:
        out.append(rf"\section{{{latex_escape(_section_title(section.title, section.paragraphs))}}}")
        out += [_block(b, figures, base, "latex") for b in section.blocks]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def _block(block: Block, figures: dict[str, dict[str, Path]], base: Path, fmt: str) -> str:
    if isinstance(block, Table):
        return {"markdown": table_markdown, "html": table_html, "latex": table_latex}[fmt](block)
    if isinstance(block, FigureRef):
        files = figures.get(block.name)
        if not files:
            return ""
        if fmt == "markdown":
            return f"![{md_escape(block.caption)}]({files['png'].relative_to(base).as_posix()})\n"
        if fmt == "latex":
            rel = files["png"].relative_to(base).as_posix()
            return (r"\begin{figure}[h]\centering" + "\n" + rf"\includegraphics[width=0.9\linewidth]{{{rel}}}"
                    + "\n" + rf"\caption{{{latex_escape(block.caption)}}}" + "\n" + r"\end{figure}" + "\n")
        data = base64.b64encode(files["png"].read_bytes()).decode("ascii")
        return (f'<figure><img alt="{html.escape(block.caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(block.caption)}</figcaption></figure>")
    text = str(block)
    if fmt == "markdown":
        return md_escape(text) + "\n"
    if fmt == "latex":
        return latex_escape(text) + "\n"
    return f"<p>{html.escape(text)}</p>"


def ensure_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {folder}: {exc.strerror}") from None
    if not folder.is_dir():
        raise OutputError(f"cannot write into {folder}: it is not a folder")
    return folder


def write_report(report: Report, folder: Path, figures: dict[str, dict[str, Path]],
                 formats: list[str]) -> list[Path]:
    """Write ``report.md`` / ``report.html`` / ``report.tex`` into ``folder``."""
    written = []
    writers: dict[str, tuple[str, Callable[[], str]]] = {
        "markdown": ("report.md", lambda: report_markdown(report, figures, folder)),
        "html": ("report.html", lambda: report_html(report, figures)),
        "latex": ("report.tex", lambda: report_latex(report, figures, folder)),
    }
    for fmt in formats:
        name, make = writers[fmt]
        atomic_write(folder / name, make())
        written.append(folder / name)
    return written


def write_appendix(tables: list[Table], folder: Path, fmt: str) -> list[Path]:
    """Appendix tables in one format: one Markdown/HTML file, one LaTeX file per table (plus
    ``appendix.tex`` that inputs them), one CSV file per table, or one workbook."""
    written: list[Path] = []
    if fmt == "markdown":
        text = "# Appendix\n\n" + "\n".join(table_markdown(t) for t in tables)
        atomic_write(folder / "appendix.md", text)
        written.append(folder / "appendix.md")
    elif fmt == "html":
        body = "\n".join(table_html(t) for t in tables)
        atomic_write(folder / "appendix.html",
                     "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Appendix"
                     f"</title><style>{CSS}</style></head><body><h1>Appendix</h1>\n{body}</body></html>\n")
        written.append(folder / "appendix.html")
    elif fmt == "latex":
        for t in tables:
            atomic_write(folder / f"{t.name}.tex", table_latex(t))
            written.append(folder / f"{t.name}.tex")
        index = "% \\usepackage{booktabs,longtable,array} in the preamble\n" + "".join(
            f"\\input{{{t.name}}}\n" for t in tables)
        atomic_write(folder / "appendix.tex", index)
        written.append(folder / "appendix.tex")
    elif fmt == "csv":
        for t in tables:
            atomic_write(folder / f"{t.name}.csv", table_frame(t).to_csv(index=False))
            written.append(folder / f"{t.name}.csv")
    elif fmt == "xlsx":
        atomic_write(folder / "appendix.xlsx", tables_xlsx(tables))
        written.append(folder / "appendix.xlsx")
    return written

"""The IFRS S2 report and appendix: golden output, consistency with the assessment, escaping,
files that open, no formula injection."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from climaterisk.cli import app
from tests.conftest import write_register

GOLDEN = Path(__file__).parent / "golden" / "report-rcp45.md"
FAST = ["--trials", "2000", "--seed", "1"]
runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def shipped_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    run("report", "--scenario", "rcp45", "--out", str(out), *FAST)
    return out


def _stable(text: str) -> str:
    """Mask the lines that legitimately change between runs and machines."""
    text = re.sub(r"\| run at \(UTC\) \| .* \|", "| run at (UTC) | (masked) |", text)
    return re.sub(r"\| tool \| climaterisk .* \|", "| tool | (masked) |", text)


def test_golden_markdown_report(shipped_report):
    """The whole Markdown report for the shipped register, seed 1, 2,000 trials.

    Regenerate after an intended change with CLIMATERISK_UPDATE_GOLDEN=1 python -m pytest
    tests/test_report.py, then read the diff before committing it.
    """
    text = _stable((shipped_report / "report.md").read_text(encoding="utf-8"))
    if os.environ.get("CLIMATERISK_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_pillars_figures_and_self_contained_html(shipped_report):
    md = (shipped_report / "report.md").read_text(encoding="utf-8")
    for heading in ("## Governance (IFRS S2 6-7)", "## Strategy (IFRS S2 10-22)",
                    "## Risk management (IFRS S2 24-26)", "## Metrics and targets (IFRS S2 27-37)",
                    "## Traceability"):
        assert heading in md
    for name in ("exceedance", "scenarios", "heatmap", "controls", "pathways"):
        assert f"(figures/{name}.png)" in md
        assert (shipped_report / "figures" / f"{name}.png").stat().st_size > 1000
        assert (shipped_report / "figures" / f"{name}.svg").read_text().startswith("<?xml")
    page = (shipped_report / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/svg+xml;base64,') == 5  # vector figures, as images
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_metrics_reproduce_the_source_report(shipped_report):
    md = (shipped_report / "report.md").read_text(encoding="utf-8")
    assert "| Scope 1 and 2 | 1,055,300 | t CO2e |" in md            # 105.53 x 10,000 t
    assert "| Scope 1 and 2 per employee | 36.03 | t CO2e/person |" in md
    assert md.count("| yes |") == 2                                   # both reconciliations agree
    # company BCMS 0, lessor 5, not certified 2, unknown 0: 5 certified of 7, the report's 71.4%
    assert "| as of 2023-12-31 | leased dc | 0 | 5 | 2 | 0 | 5 | 7 | 71.4% |" in md


def test_report_figures_equal_the_assessment_json(shipped_report):
    data = json.loads(run("assess", "--scenario", "rcp45", "--format", "json", *FAST).output)
    md = (shipped_report / "report.md").read_text(encoding="utf-8")
    for h in data["horizons"]:
        for risk in h["by_risk"]:
            row = (f"| {h['year']} | {risk['id']} | {risk['title']} | {risk['inherent']['mean']:,.0f} | "
                   f"{risk['residual']['mean']:,.0f} | {risk['inherent']['var99']:,.0f} | "
                   f"{risk['residual']['var99']:,.0f} |")
            assert row in md, row


HOSTILE = "<script>alert(1)</script> R&D 100% $x_1$ {a} ~b^ \\c #d |e"


@pytest.fixture
def hostile_register(tmp_path, mini_files) -> Path:
    mini_files["risks.yaml"]["risks"][0]["title"] = HOSTILE
    mini_files["risks.yaml"]["risks"][1]["title"] = "=HYPERLINK(\"http://x\",\"click\")"
    return write_register(tmp_path / "hostile", mini_files)


def test_register_text_is_escaped(tmp_path, hostile_register, mini_scenario_path):
    out = tmp_path / "rep"
    run("report", "--register", str(hostile_register), "--scenario", str(mini_scenario_path),
        "--compare", "none", "--out", str(out), "--format", "html", "--format", "latex",
        "--format", "markdown", *FAST)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; R&amp;D" in page
    tex = (out / "report.tex").read_text(encoding="utf-8")
    assert (r"R\&D 100\% \$x\_1\$ \{a\} \textasciitilde{}b\textasciicircum{} \textbackslash{}c \#d |e"
            in tex)
    md = (out / "report.md").read_text(encoding="utf-8")
    assert r"&lt;script&gt;alert(1)&lt;/script&gt; R&amp;D 100% $x\_1$ {a} \~b^ \\c \#d \|e" in md


def test_appendix_formats_open_and_hold_the_rows(tmp_path, hostile_register, mini_scenario_path):
    common = ["--register", str(hostile_register), "--scenario", str(mini_scenario_path),
              "--compare", "none", *FAST]
    run("appendix", "--format", "xlsx", "--out", str(tmp_path / "x"), *common)
    sheets = pd.read_excel(tmp_path / "x" / "appendix.xlsx", sheet_name=None)
    assert set(sheets) == {"risk_register", "controls", "site_exposure", "scenario_by_category",
                           "iso22301_certification", "metrics", "targets", "inputs"}
    assert len(sheets["controls"]) == 5 and len(sheets["risk_register"]) == 3
    wb = load_workbook(tmp_path / "x" / "appendix.xlsx")
    ws = wb["risk_register"]
    assert ws.freeze_panes == "A2"
    assert any("<script>" in (ws.cell(row=r, column=2).value or "") for r in range(2, ws.max_row + 1))
    exposure = wb["site_exposure"]
    assert exposure.cell(row=2, column=7).number_format == "#,##0"  # EAL inherent

    run("appendix", "--format", "csv", "--out", str(tmp_path / "c"), *common)
    frame = pd.read_csv(tmp_path / "c" / "controls.csv")
    assert list(frame["id"]) == ["C1", "C2", "C3", "C4", "C5"]
    inputs = pd.read_csv(tmp_path / "c" / "inputs.csv")
    assert len(inputs) > 20 and set(inputs.columns) == {"file", "entry", "field", "value", "unit",
                                                        "source"}

    run("appendix", "--format", "latex", "--out", str(tmp_path / "t"), *common)
    tex = (tmp_path / "t" / "risk_register.tex").read_text(encoding="utf-8")
    assert r"\toprule" in tex and r"\begin{longtable}" in tex and "<script>" in tex  # LaTeX-safe
    assert (tmp_path / "t" / "appendix.tex").read_text().count(r"\input{") == 8


def test_formula_cells_are_neutralised_in_csv(tmp_path, mini_files, mini_scenario_path):
    mini_files["controls.yaml"]["controls"][0]["title"] = "=1+2"
    mini_files["controls.yaml"]["controls"][1]["title"] = "@SUM(A1)"
    mini_files["controls.yaml"]["controls"][2]["title"] = "-2+3"
    mini_files["controls.yaml"]["controls"][3]["title"] = " =Tab"
    folder = write_register(tmp_path / "f", mini_files)
    for fmt in ("csv", "xlsx"):
        run("appendix", "--register", str(folder), "--scenario", str(mini_scenario_path), "--compare",
            "none", "--format", fmt, "--out", str(tmp_path / fmt), *FAST)
    titles = list(pd.read_csv(tmp_path / "csv" / "controls.csv")["control"])
    assert titles[:4] == ["'=1+2", "'@SUM(A1)", "'-2+3", "' =Tab"]
    ws = load_workbook(tmp_path / "xlsx" / "appendix.xlsx")["controls"]
    cells = [ws.cell(row=r, column=2) for r in range(2, 6)]
    assert [c.value for c in cells] == ["'=1+2", "'@SUM(A1)", "'-2+3", "' =Tab"]
    assert all(c.data_type == "s" for c in cells)  # stored as text, never as a formula


@pytest.mark.skipif(__import__("shutil").which("xelatex") is None, reason="xelatex not installed")
def test_latex_report_and_appendix_compile(tmp_path, hostile_register, mini_files, mini_scenario_path):
    """Where a TeX installation exists, the LaTeX report (with hostile register text and Chinese
    names) compiles with the chosen engine, XeLaTeX, and the appendix tables compile both inside
    a XeLaTeX document and, without CJK text, inside a plain pdfLaTeX one."""
    import shutil
    import subprocess

    mini_files["risks.yaml"]["risks"][0]["title"] = HOSTILE + " 台风 乌兰察布数据中心"
    folder = write_register(tmp_path / "cjk", mini_files)
    common = ["--register", str(folder), "--scenario", str(mini_scenario_path), "--compare",
              "none", *FAST]
    run("report", "--format", "latex", "--out", str(tmp_path / "r"), *common)
    run("appendix", "--format", "latex", "--out", str(tmp_path / "a"), *common)
    run("appendix", "--register", str(hostile_register), "--scenario", str(mini_scenario_path),
        "--compare", "none", *FAST, "--format", "latex", "--out", str(tmp_path / "p"))
    (tmp_path / "a" / "doc.tex").write_text(
        "\\documentclass{article}\\usepackage{fontspec,xeCJK}\\setCJKmainfont{Noto Serif CJK SC}"
        "\\usepackage{booktabs,longtable,array}\\begin{document}\\input{appendix}\\end{document}\n",
        encoding="utf-8")
    (tmp_path / "p" / "doc.tex").write_text(
        "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{booktabs,longtable,array}"
        "\\begin{document}\\input{appendix}\\end{document}\n")
    jobs = [("xelatex", tmp_path / "r", "report.tex"), ("xelatex", tmp_path / "a", "doc.tex")]
    if shutil.which("pdflatex"):
        jobs.append(("pdflatex", tmp_path / "p", "doc.tex"))
    for engine, where, name in jobs:
        proc = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", name],
                              cwd=where, capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stdout[-2000:]
        assert "Missing character" not in (where / name).with_suffix(".log").read_text(errors="replace")


@pytest.mark.parametrize(("value", "shown"), [
    (68.0, "68.0"), (0.0123, "0.0123"), (1234.5, "1,230"), (12.34, "12.3"), (99.95, "100"),
    (-5.0, "-5.00"), (0.0, "0"), (519.0, "519")])
def test_three_significant_figures_keep_their_zeros(value, shown):
    """An amount shown to 3 significant figures keeps its trailing zeros (68.0, not 68)."""
    from climaterisk.outputs.publish import format_cell

    assert format_cell(value, "sig3") == shown

"""The report survives printing: the HTML printed to PDF by headless Chromium and the LaTeX report
compiled by XeLaTeX keep every column header of every table, every SHA-256 of the manifest in full,
the register's Chinese text, and vector fonts only (no Type 3 bitmap font).

Each check is skipped, with the missing tool named, where Chromium, XeLaTeX or poppler-utils
(pdftotext, pdffonts) are not installed; ``.ci/run`` installs them where apt-get exists.
"""

from __future__ import annotations

import html
import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from climaterisk.cli import app

FAST = ["--trials", "1000", "--seed", "1", "--compare", "none"]  # every kind of table, quickly
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)
CHINESE = "缺水"  # in the shipped register's sources (sites.yaml), printed with the assumptions


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install poppler-utils "
                    "texlive-xetex texlive-lang-chinese fonts-noto-cjk chromium)")


@pytest.fixture(scope="module")
def printed_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("print")
    result = CliRunner().invoke(app, ["report", "--scenario", "rcp45", "--out", str(out), "-f", "markdown",
                                      "-f", "html", "-f", "latex", *FAST], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def _headers(markdown: str) -> list[str]:
    """Every column header of every table of the Markdown report (the same tables as the others)."""
    lines = markdown.splitlines()
    found = []
    for line, below in itertools.pairwise(lines):
        if line.startswith("| ") and below.startswith("| ---"):
            for cell in re.split(r"(?<!\\)\|", line.strip().strip("|")):
                found.append(html.unescape(re.sub(r"\\(.)", r"\1", cell.strip())))
    return found


def _words(text: str) -> set[str]:
    return set(text.split())


def _check_pdf(pdf: Path, markdown: str) -> None:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = _words(text)
    headers = _headers(markdown)
    assert len(headers) > 100
    lost = [h for h in headers if not _words(h) <= words]
    assert not lost, f"column headers missing from {pdf.name}: {lost}"
    digests = set(re.findall(r"\b[0-9a-f]{64}\b", markdown))
    assert digests, "the manifest lists the inputs' SHA-256"
    cut = [d for d in digests if d not in text]
    assert not cut, f"SHA-256 not printed in full in {pdf.name}: {cut}"
    assert CHINESE in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Type 3" not in fonts, fonts


def test_html_report_prints_to_pdf(printed_report, tmp_path):
    """Headless Chromium prints the HTML (A4 portrait, the print stylesheet) with nothing lost."""
    _need("pdftotext", "pdffonts")
    if CHROMIUM is None:
        pytest.skip("chromium not installed (apt-get install chromium)")
    pdf = tmp_path / "report-html.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", (printed_report / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    _check_pdf(pdf, (printed_report / "report.md").read_text(encoding="utf-8"))


def test_latex_report_compiles_with_xelatex(printed_report):
    """XeLaTeX compiles the LaTeX report (twice, for the longtables): no missing glyph, no table
    or figure running off the page by more than a hair, nothing lost."""
    _need("xelatex", "pdftotext", "pdffonts")
    for _ in range(2):
        proc = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
                              cwd=printed_report, capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stdout[-3000:]
    log = (printed_report / "report.log").read_text(encoding="utf-8", errors="replace")
    assert "Missing character" not in log
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert max(overfull, default=0.0) < 15.0, overfull
    assert "Overfull \\vbox" not in log
    _check_pdf(printed_report / "report.pdf", (printed_report / "report.md").read_text(encoding="utf-8"))
    figures = sorted(p.name for p in (printed_report / "figures").glob("*.pdf"))
    assert figures and all(f"figures/{f}" in (printed_report / "report.tex").read_text() for f in figures)

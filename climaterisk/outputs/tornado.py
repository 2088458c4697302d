"""The one-at-a-time sensitivity sweep as text: tornado tables per horizon (terminal or
Markdown, through :func:`climaterisk.outputs.render.blocks_text`), CSV and JSON. No computation
here: the numbers come from :func:`climaterisk.analysis.sensitivity.sensitivity`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from climaterisk.analysis.sensitivity import SensitivityResult
from climaterisk.escape import neutralise
from climaterisk.outputs import render
from climaterisk.outputs.report.document import Table

TABLE_TOP = 20
"""Inputs shown per horizon in the table, Markdown and figure when no ``top`` is given."""

CSV_COLUMNS = ["scenario", "year", "rank", "input", "file", "entry", "field", "unit", "source_kind",
               "swing", "value", "low", "high", "eal_low", "eal_high", "eal_swing", "eal_swing_se",
               "var99_low", "var99_high", "var99_swing", "var99_swing_se", "used"]


def value_text(value: Any) -> str:
    """A number, or a ``(low end, high end)`` pair as ``[low, high]``, with 4 significant figures."""
    if isinstance(value, tuple):
        return "[" + ", ".join(f"{v:.4g}" for v in value) + "]"
    return f"{value:.4g}"


def source_kind(source: str) -> str:
    """``assumption``, ``sourced`` or ``none`` (a bare number)."""
    text = source.strip().lower()
    return "assumption" if text.startswith("assumption") else "sourced" if text else "none"


def tables(result: SensitivityResult, top: int | None = TABLE_TOP) -> list[str | Table]:
    """A heading paragraph and one tornado table per horizon, inputs ranked by |EAL swing|."""
    cur = result.register.currency
    out: list[str | Table] = [
        f"One-at-a-time sensitivity: register {result.register.id}, scenario {result.scenario.id}, "
        f"{result.trials:,} trials per run, seed {result.seed}; point values and intervals swung "
        f"+-{result.swing:.0%}, ranges over their own ends. Total residual loss [{cur} m/yr, 3 "
        "significant figures; the CSV and JSON give it in full]; "
        f"swing = at high - at low, 2 s.e. from paired trials. {len(result.inputs)} inputs swept, "
        f"{len(result.skipped)} provenance rows not model inputs; {result.runs} runs in "
        f"{result.seconds:.1f} s."]
    for year in result.years:
        eal, var99 = result.base[year]
        rows = []
        for k, item in enumerate(result.ranked(year, top), 1):
            s, inp = item.at(year), item.input
            m = render.mill
            rows.append([k, inp.name, source_kind(inp.source), inp.swing, value_text(inp.low),
                         value_text(inp.high), m(s.eal_low), m(s.eal_high), m(s.eal_swing),
                         m(2 * s.eal_se, 2), m(s.var99_swing),
                         None if s.var99_se is None else m(2 * s.var99_se, 2)])
        out.append(Table(
            f"tornado_{year}", f"{year}: base EAL {render.sig(eal)}, VaR 99% {render.sig(var99)} {cur} m/yr",
            ["#", "input", "source", "swing", "low", "high", "EAL at low", "EAL at high", "EAL swing",
             "EAL 2 s.e.", "VaR99 swing", "VaR99 2 s.e."],
            ["int", "text", "text", "text", "text", "text", "money", "money", "money", "money",
             "money", "money"], rows))
    for sob in result.sobol:
        out.append(Table(
            f"sobol_{sob.year}",
            f"{sob.year}: Sobol indices of the total residual EAL, the top {len(sob.indices)} inputs varied "
            f"together (Saltelli N = {sob.samples}, {sob.evaluations:,} points x {sob.trials:,} years; "
            f"EAL mean {sob.eal_mean:,.0f}, s.d. {sob.eal_sd:,.0f} {cur}/yr)",
            ["input", "first-order", "+- 95%", "total", "+- 95%"],
            ["text", "num", "num", "num", "num"],
            [[i.input, round(i.s1, 3), round(i.s1_conf, 3), round(i.st, 3), round(i.st_conf, 3)]
             for i in sob.indices]))
    return out


def sensitivity_text(result: SensitivityResult, top: int | None = TABLE_TOP, markdown: bool = False) -> str:
    """The tornado tables as terminal text or Markdown."""
    blocks = tables(result, top)
    if markdown:
        blocks = [f"# Sensitivity (one at a time): {result.register.organisation}", *blocks]
    return render.terminal_blocks(blocks, markdown=markdown)


def sensitivity_csv(result: SensitivityResult, top: int | None = None) -> str:
    """One row per (year, input), ranked within the year; amounts in currency/yr; text that a
    spreadsheet could run as a formula neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for year in result.years:
        for k, item in enumerate(result.ranked(year, top), 1):
            s, inp = item.at(year), item.input
            writer.writerow([
                result.scenario.id, year, k,
                *map(neutralise, (inp.name, inp.file, inp.entry, inp.field, inp.unit)),
                source_kind(inp.source), inp.swing, value_text(inp.value), value_text(inp.low),
                value_text(inp.high), *(f"{x:.2f}" for x in (s.eal_low, s.eal_high, s.eal_swing, s.eal_se,
                                                             s.var99_low, s.var99_high, s.var99_swing)),
                "" if s.var99_se is None else f"{s.var99_se:.2f}", s.used])
    return buffer.getvalue()


def sensitivity_json(result: SensitivityResult, top: int | None = None) -> str:
    return render.to_json(result.to_dict(top))

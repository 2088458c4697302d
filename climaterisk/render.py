"""Turn results into text: terminal tables, Markdown, CSV and JSON. No computation here."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

import pandas as pd
from tabulate import tabulate

from climaterisk.assess import Assessment, HorizonResult, Line
from climaterisk.errors import Problem
from climaterisk.scenarios import Scenario

MEASURES = ("mean", "se", "std", "var95", "var99", "tvar95", "tvar99")


def money(x: float) -> str:
    """Whole currency units with thousands separators: ``1234567.8 -> '1,234,568'``."""
    return f"{x:,.0f}" if math.isfinite(x) else str(x)


def _label(h: HorizonResult) -> str:
    return f"{h.year} ({h.label} term)" if h.label else str(h.year)


def short(text: str, width: int = 44) -> str:
    """``text`` cut to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _rows(lines: Iterable[Line], with_category: bool = True, width: int = 44) -> list[list[str]]:
    rows = []
    for line in lines:
        row = [line.id, short(line.title, width)]
        if with_category:
            row.append(line.category)
        row += [money(line.inherent.mean), money(line.residual.mean),
                money(line.inherent.var99), money(line.residual.var99)]
        rows.append(row)
    return rows


def assessment_text(result: Assessment, markdown: bool = False) -> str:
    """The assessment as terminal tables (or Markdown): a row per risk, per horizon."""
    fmt = "github" if markdown else "simple"
    reg, sc, cur = result.register, result.scenario, result.register.currency
    head = "## " if markdown else ""
    out = [
        f"{'# ' if markdown else ''}Climate risk assessment: {reg.organisation} "
        f"(register {reg.id}, as of {reg.as_of.isoformat()})",
        "",
        f"Scenario {sc.id}: {sc.name}; transition narrative: {', '.join(sc.ngfs)}.",
        f"{result.trials:,} trials, seed {result.seed}. Money columns: annual loss in {cur} per year. "
        "EAL = expected annual loss; VaR 99% = annual loss exceeded once in 100 years; "
        "inherent = without controls, residual = with the controls in force that year.",
    ]
    money_cols = ["EAL inherent", "EAL residual", "VaR 99% inherent", "VaR 99% residual"]
    for h in result.horizons:
        out += ["", f"{head}Horizon {_label(h)}", ""]
        width = 200 if markdown else 44
        rows = _rows(h.by_risk, width=width)
        rows.append(["", "Total", "", *_rows([h.total], with_category=False)[0][2:]])
        out.append(tabulate(rows, headers=["risk", "title", "category", *money_cols],
                            tablefmt=fmt, colalign=("left", "left", "left", *["right"] * 4)))
        rse = h.total.residual.se / h.total.residual.mean if h.total.residual.mean else 0.0
        out += ["", f"Standard error of total residual EAL: {money(h.total.residual.se)} "
                    f"({rse:.2%} of the mean)."]
        if h.opportunities:
            out += ["", f"Opportunities in {h.year}: expected annual benefit ({cur}/yr)", ""]
            opp = [[o.id, short(o.title, width), o.category, money(o.inherent.mean)]
                   for o in h.opportunities]
            out.append(tabulate(opp, headers=["opportunity", "title", "category",
                                              f"expected benefit ({cur})"],
                                tablefmt=fmt, colalign=("left", "left", "left", "right")))
    return "\n".join(out) + "\n"


def assessment_frame(result: Assessment) -> pd.DataFrame:
    """Long table: one row per (year, level, id, basis) with every measure [currency/yr]."""
    records = []
    for h in result.horizons:
        groups = [("total", [h.total]), ("risk", h.by_risk), ("category", h.by_category),
                  ("site", h.by_site), ("opportunity", h.opportunities)]
        for level, lines in groups:
            for line in lines:
                for basis in ("inherent", "residual"):
                    stats = getattr(line, basis)
                    records.append({
                        "scenario": result.scenario.id, "year": h.year, "level": level,
                        "id": line.id, "title": line.title, "category": line.category,
                        "basis": basis, **{m: getattr(stats, m) for m in MEASURES},
                    })
    return pd.DataFrame.from_records(records)


def assessment_csv(result: Assessment) -> str:
    return assessment_frame(result).to_csv(index=False, float_format="%.2f")


def to_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def problems_text(problems: Iterable[Problem]) -> str:
    """One line per problem."""
    return "\n".join(f"error: {p}" for p in problems)


def scenarios_text(scenarios: list[Scenario], years: list[int]) -> str:
    """Each scenario with its drivers and hazard multipliers at ``years``."""
    out = []
    for sc in scenarios:
        out += [f"{sc.id}: {sc.name}", f"  CMIP6 {sc.cmip6}; transition: {', '.join(sc.ngfs)}",
                f"  aliases: {', '.join(sc.aliases) or '-'}; years {sc.years[0]}-{sc.years[1]}; "
                f"file {sc.path}", ""]
        rows = []
        for name, series in sc.drivers.items():
            rows.append([name, series.unit, *_values(series, years)])
        for hazard, aspects in sc.hazards.items():
            for aspect, series in aspects.items():
                rows.append([f"{hazard} {aspect}", series.unit, *_values(series, years)])
        out.append(tabulate(rows, headers=["driver", "unit", *map(str, years)], tablefmt="simple"))
        out.append("")
    return "\n".join(out)


def _values(series, years: list[int]) -> list[str]:
    cells = []
    for y in years:
        if series.years[0] <= y <= series.years[-1]:
            cells.append(f"{series.at(y):.3g}")
        else:
            cells.append("-")
    return cells

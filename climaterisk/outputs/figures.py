"""Report figures with matplotlib (PNG, SVG and, for LaTeX, PDF). Only drawing here: the numbers come from
assessments already computed and, for the emission pathways, from
:func:`climaterisk.analysis.pathways.pathways`.

Figures are built with matplotlib's object API (:class:`matplotlib.figure.Figure`), not
pyplot: nothing here selects or changes matplotlib's backend, so a notebook that imports this
module keeps its own, and no figure is left open in pyplot's registry.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from climaterisk.analysis.pathways import Pathways, pathways
from climaterisk.analysis.results import Assessment
from climaterisk.analysis.sensitivity import SensitivityResult
from climaterisk.io import OutputSet, output_set
from climaterisk.register import Register

STYLE = {"svg.hashsalt": "climaterisk", "font.size": 9, "axes.spines.top": False,
         "axes.spines.right": False}
INHERENT, RESIDUAL = "#b2182b", "#2166ac"


def _millions(x: float) -> float:
    return x / 1e6


SAVE_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "path"}
"""Settings of the saving call: fonts embedded as TrueType in PDF (vector, text that copies out;
never Type 3 bitmaps), text drawn as paths in SVG (vector, no font needed to view it)."""
_METADATA = {"svg": {"Date": None}, "png": {"Software": None},
             "pdf": {"CreationDate": None, "ModDate": None, "Producer": None}}


def save(fig: Figure, out: Path | OutputSet, name: str,
         formats: tuple[str, ...] = ("png", "svg")) -> dict[str, Path]:
    """Write ``name.png`` and ``name.svg`` (and ``name.pdf`` when ``formats`` says so) into folder
    ``out`` (all moved in together), or stage them in the set ``out``; return their paths (in a
    set: the staged paths, readable until it is committed). ``name`` may hold a subfolder
    (``figures/heatmap``). PDF and SVG are vector with the fonts of :data:`SAVE_RC`."""
    paths = {}
    with output_set(out) as files:
        for ext in formats:
            buffer = io.BytesIO()
            with matplotlib.rc_context(SAVE_RC):
                fig.savefig(buffer, format=ext, dpi=150, bbox_inches="tight", metadata=_METADATA[ext])
            paths[ext] = files.add(f"{name}.{ext}", buffer.getvalue())
    if not isinstance(out, OutputSet):
        return {ext: files.target(f"{name}.{ext}") for ext in paths}
    return paths


def exceedance(result: Assessment) -> Figure:
    """Loss exceedance curves of the total, inherent and residual, one panel per horizon."""
    cur = result.register.currency
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(4.2 * len(result.horizons), 3.2))
        axes = fig.subplots(1, len(result.horizons), squeeze=False, sharey=True)
        for ax, h in zip(axes[0], result.horizons, strict=True):
            for basis, colour in (("inherent", INHERENT), ("residual", RESIDUAL)):
                rows = [r for r in h.exceedance[basis] if r["return_period"]]
                ax.plot([r["return_period"] for r in rows], [_millions(r["loss"]) for r in rows],
                        marker="o", ms=3, color=colour, label=basis)
            ax.set_xscale("log")
            ax.set_title(f"{h.year} ({result.scenario.id})")
            ax.set_xlabel("return period [years]")
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel(f"annual loss [million {cur}]")
        axes[0][0].legend(frameon=False)
        fig.suptitle("Loss exceedance: the annual loss exceeded once in T years", y=1.04)
    return fig


def scenario_comparison(results: list[Assessment]) -> Figure:
    """Residual EAL and VaR 99% by category for each scenario and horizon."""
    cur = results[0].register.currency
    cats = sorted({c.id for r in results for h in r.horizons for c in h.by_category})
    ordered = sorted(results, key=lambda r: r.scenario.id)
    columns = [(r.scenario.id, h) for r in ordered for h in r.horizons]
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(10, 3.6))
        axes = fig.subplots(1, 2)
        width = 0.8 / max(len(columns), 1)
        x = np.arange(len(cats))
        cmap = matplotlib.colormaps["viridis"].resampled(max(len(columns), 2))
        for k, (sid, h) in enumerate(columns):
            lines = {c.id: c for c in h.by_category}
            for ax, measure in zip(axes, ("mean", "var99"), strict=True):
                values = [_millions(getattr(lines[c].residual, measure)) if c in lines else 0.0
                          for c in cats]
                ax.bar(x + (k - (len(columns) - 1) / 2) * width, values, width, color=cmap(k),
                       label=f"{sid} {h.year}")
        for ax, title in zip(axes, ("residual EAL", "residual VaR 99%"), strict=True):
            ax.set_xticks(x, [c.replace("_", "\n") for c in cats], fontsize=7)
            ax.set_title(title)
            ax.set_ylabel(f"million {cur} per year")
            ax.grid(axis="y", alpha=0.3)
        axes[1].legend(frameon=False, fontsize=7)
        fig.suptitle("Scenario analysis by risk category", y=1.03)
    return fig


def heatmap(register: Register) -> Figure:
    """The 5 x 5 likelihood x impact matrix of the register's inherent ratings."""
    grid = np.zeros((5, 5), dtype=int)
    labels: dict[tuple[int, int], list[str]] = {}
    for r in register.risks:
        if r.likelihood and r.impact:
            grid[r.impact - 1, r.likelihood - 1] += 1
            labels.setdefault((r.impact - 1, r.likelihood - 1), []).append(r.id)
    score = np.outer(np.arange(1, 6), np.arange(1, 6)) * 1.0  # likelihood x impact
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(4.4, 4))
        ax = fig.subplots()
        ax.imshow(score, origin="lower", cmap="RdYlGn_r", alpha=0.55, extent=(0.5, 5.5, 0.5, 5.5))
        for (i, j), ids in labels.items():
            ax.text(j + 1, i + 1, "\n".join(ids), ha="center", va="center", fontsize=8)
        ax.set_xticks(range(1, 6))
        ax.set_yticks(range(1, 6))
        ax.set_xlabel("likelihood (1-5)")
        ax.set_ylabel("impact (1-5)")
        ax.set_title("Inherent risk ratings")
    return fig


def control_ranking(result: Assessment) -> Figure:
    """Controls ranked by EAL benefit in the last horizon, with 2 standard errors; each bar named by
    the control's id and title (long titles shortened), marked as derived from a simulation."""
    h = result.horizons[-1].year
    rows = sorted(((_control_label(c.id, c.title), next(b for b in c.benefits if b.year == h))
                   for c in result.controls or []), key=lambda x: x[1].eal)
    cur = result.register.currency
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(7, 0.3 * max(len(rows), 3) + 1.2))
        ax = fig.subplots()
        ax.barh([r[0] for r in rows], [_millions(b.eal) for _, b in rows],
                xerr=[_millions(2 * b.eal_se) for _, b in rows], color=RESIDUAL)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel(f"reduction of residual EAL [million {cur} per year]; bars: 2 standard errors")
        ax.set_title(f"Control benefit in {h} ({result.scenario.id}; derived: simulated, "
                     f"{result.trials:,} trials)")
        ax.grid(axis="x", alpha=0.3)
    return fig


def _control_label(cid: str, title: str, width: int = 48) -> str:
    """``C3 Title`` cut to ``width`` characters (with an ellipsis) so that the axis keeps its room."""
    label = f"{cid} {' '.join(title.split())}".strip()
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def tornado(result: SensitivityResult, top: int = 20) -> Figure:
    """One-at-a-time sensitivity: per horizon (columns), the change of the total residual EAL and
    VaR 99% (rows) from the base run at each input's low and high value, the ``top`` inputs by
    |EAL swing|, largest on top."""
    cur, years = result.register.currency, result.years
    most = max((len(result.ranked(y, top)) for y in years), default=1)
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(5.0 * len(years), 2 * (0.22 * max(most, 3) + 1.0)))
        axes = fig.subplots(2, len(years), squeeze=False)
        for col, year in enumerate(years):
            items = result.ranked(year, top)[::-1]
            names = [i.input.name.replace(".yaml", "") for i in items]
            for row, (measure, base) in enumerate((("eal", result.base[year][0]),
                                                   ("var99", result.base[year][1]))):
                ax = axes[row][col]
                low = [_millions(getattr(i.at(year), f"{measure}_low") - base) for i in items]
                high = [_millions(getattr(i.at(year), f"{measure}_high") - base) for i in items]
                ax.barh(names, low, color=RESIDUAL, label="input at low")
                ax.barh(names, high, color=INHERENT, alpha=0.8, label="input at high")
                ax.axvline(0.0, color="black", lw=0.6)
                ax.tick_params(axis="y", labelsize=6)
                ax.grid(axis="x", alpha=0.3)
                label = "EAL" if measure == "eal" else "VaR 99%"
                ax.set_title(f"{year} ({result.scenario.id}): {label}")
                ax.set_xlabel(f"change of residual {label} [million {cur}/yr]")
        axes[0][0].legend(frameon=False, fontsize=7)
        fig.tight_layout()
    return fig


def write_tornado(out: Path | OutputSet, result: SensitivityResult, top: int = 20) -> dict[str, Path]:
    """Draw the tornado figure into folder ``out`` (or the set ``out``) as ``tornado.png`` and
    ``tornado.svg``."""
    return save(tornado(result, top), out, "tornado")


def pathway_chart(p: Pathways) -> Figure:
    """Scope 1 + 2 [kt CO2e/yr] by year, one line per scenario: market-based (solid) and
    location-based (dashed); levers marked at their start year."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(6.0, 3.4))
        ax = fig.subplots()
        for sid in sorted({r.scenario for r in p.rows}):
            rows = sorted((r for r in p.rows if r.scenario == sid), key=lambda r: r.year)
            years = [r.year for r in rows]
            line = ax.plot(years, [r.scope12_market / 1e3 for r in rows], marker="o", ms=2,
                           label=f"{sid} market-based")[0]
            ax.plot(years, [r.scope12_location / 1e3 for r in rows], ls="--", lw=0.8,
                    color=line.get_color(), label=f"{sid} location-based")
        for lv in p.levers:
            ax.axvline(lv["start"], color="grey", lw=0.6, ls=":")
            ax.annotate(lv["id"], (lv["start"], ax.get_ylim()[1]), rotation=90, fontsize=6,
                        va="top", ha="right", color="grey")
        ax.set_xlabel("year")
        ax.set_ylabel("scope 1 + 2 [kt CO2e/yr]")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=7, ncol=2)
        fig.tight_layout()
    return fig


def write_all(out: Path | OutputSet, main: Assessment, compared: list[Assessment],
              subfolder: str = "") -> dict[str, dict[str, Path]]:
    """Draw every report figure into folder ``out`` (all moved in together), or stage them in
    the set ``out`` under ``subfolder``; return {name: {png, svg, pdf}} (staged paths in a set).
    The PDF is the one the LaTeX report includes (vector, TrueType fonts)."""
    figures = {
        "exceedance": exceedance(main),
        "scenarios": scenario_comparison([main, *compared]),
        "heatmap": heatmap(main.register),
    }
    if main.controls:
        figures["controls"] = control_ranking(main)
    reg = main.register
    if reg.ghg is not None:
        last = max(h.year for h in main.horizons)
        path = pathways(reg, [main.scenario, *(c.scenario for c in compared)],
                        range(reg.ghg.reporting_year, max(last, reg.ghg.reporting_year) + 1))
        if path is not None:
            figures["pathways"] = pathway_chart(path)
    prefix = f"{subfolder.strip('/')}/" if subfolder else ""
    with output_set(out) as files:
        drawn = {name: save(fig, files, prefix + name, ("png", "svg", "pdf"))
                 for name, fig in figures.items()}
    if not isinstance(out, OutputSet):
        return {name: {ext: files.target(f"{prefix}{name}.{ext}") for ext in paths}
                for name, paths in drawn.items()}
    return drawn

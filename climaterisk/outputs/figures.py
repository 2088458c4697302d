"""Report figures with matplotlib (PNG and SVG). Only drawing here: the numbers come from
assessments already computed.

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

from climaterisk.analysis.results import Assessment
from climaterisk.io import atomic_write
from climaterisk.register import Register

STYLE = {"svg.hashsalt": "climaterisk", "font.size": 9, "axes.spines.top": False,
         "axes.spines.right": False}
INHERENT, RESIDUAL = "#b2182b", "#2166ac"


def _millions(x: float) -> float:
    return x / 1e6


def save(fig: Figure, folder: Path, name: str) -> dict[str, Path]:
    """Write ``name.png`` and ``name.svg`` atomically; return their paths."""
    out = {}
    for ext in ("png", "svg"):
        buffer = io.BytesIO()
        metadata = {"Date": None} if ext == "svg" else {"Software": None}
        fig.savefig(buffer, format=ext, dpi=150, bbox_inches="tight", metadata=metadata)
        path = folder / f"{name}.{ext}"
        atomic_write(path, buffer.getvalue())
        out[ext] = path
    return out


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
    """Controls ranked by EAL benefit in the last horizon, with 2 standard errors."""
    h = result.horizons[-1].year
    rows = sorted(((c.id, next(b for b in c.benefits if b.year == h)) for c in result.controls or []),
                  key=lambda x: x[1].eal)
    cur = result.register.currency
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(6, 0.28 * max(len(rows), 3) + 1))
        ax = fig.subplots()
        ax.barh([r[0] for r in rows], [_millions(b.eal) for _, b in rows],
                xerr=[_millions(2 * b.eal_se) for _, b in rows], color=RESIDUAL)
        ax.set_xlabel(f"reduction of residual EAL [million {cur} per year]")
        ax.set_title(f"Control benefit in {h} ({result.scenario.id})")
        ax.grid(axis="x", alpha=0.3)
    return fig


def write_all(folder: Path, main: Assessment, compared: list[Assessment]) -> dict[str, dict[str, Path]]:
    """Draw every report figure into ``folder``; return {name: {png, svg}}."""
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "exceedance": exceedance(main),
        "scenarios": scenario_comparison([main, *compared]),
        "heatmap": heatmap(main.register),
    }
    if main.controls:
        figures["controls"] = control_ranking(main)
    return {name: save(fig, folder, name) for name, fig in figures.items()}

"""Tidy pandas DataFrames of an assessment, for notebooks.

:func:`summary` gives one row per (year, line, basis) with every measure; :func:`trials` gives
the simulated annual losses of each risk, trial by trial, when the assessment kept them
(``assess(..., keep_samples=True)``). Money is in the register's currency per year; the
frames carry it in ``DataFrame.attrs["currency"]``.

>>> import climaterisk
>>> result = climaterisk.assess(climaterisk.load_register(), "rcp45", trials=2_000, seed=1)
>>> table = summary(result, level="total")
>>> table[["year", "basis"]].values.tolist()
[[2030, 'inherent'], [2030, 'residual'], [2050, 'inherent'], [2050, 'residual']]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from climaterisk.analysis.results import Assessment, HorizonResult
from climaterisk.errors import InputError, Problem

if TYPE_CHECKING:  # pandas is imported when a frame is made, not with climaterisk
    import pandas as pd

MEASURES = ("mean", "se", "std", "var95", "var99", "tvar95", "tvar99")
"""Measures of annual loss in :func:`summary`: EAL, its standard error, standard deviation,
VaR and TVaR at 95% and 99% (see ``docs/methodology.md``)."""
COLUMNS = ("scenario", "year", "id", "title", "category", "basis", *MEASURES)
LEVELS = ("risk", "category", "site", "total", "opportunity")
BASES = ("inherent", "residual")


def _lines(horizon: HorizonResult, level: str) -> list:
    return {
        "risk": horizon.by_risk, "category": horizon.by_category, "site": horizon.by_site,
        "total": [horizon.total], "opportunity": horizon.opportunities,
    }[level]


def summary(result: Assessment, level: str = "risk") -> pd.DataFrame:
    """The results as a tidy table: a row per horizon year, line and basis.

    ``level`` chooses the lines: ``risk`` (each risk), ``category`` (risks summed by category),
    ``site`` (losses at each site, plus ``company`` for company-level components), ``total``
    (all risks), or ``opportunity`` (each opportunity's annual benefit). ``basis`` is
    ``inherent`` (no control) or ``residual`` (the controls in force that year). Columns:
    scenario, year, id, title, category (empty for sites and the total), basis, mean, se, std,
    var95, var99, tvar95, tvar99.
    """
    import pandas as pd

    if level not in LEVELS:
        raise InputError(Problem("", "", "level", level, f"one of {', '.join(LEVELS)}"))
    rows = []
    for horizon in result.horizons:
        for line in _lines(horizon, level):
            for basis in BASES:
                stats = getattr(line, basis)
                rows.append({
                    "scenario": result.scenario.id, "year": horizon.year, "id": line.id,
                    "title": line.title, "category": line.category or None, "basis": basis,
                    **{m: getattr(stats, m) for m in MEASURES},
                })
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.attrs["currency"] = result.register.currency
    frame.attrs["unit"] = f"{result.register.currency}/yr"
    return frame


def trials(result: Assessment, year: int, basis: str = "residual") -> pd.DataFrame:
    """Simulated annual losses in ``year``: a row per trial, a column per risk and ``total``.

    Needs an assessment run with ``keep_samples=True``. ``basis`` is ``inherent`` or
    ``residual``. Opportunities (benefits, not losses) are left out; ``total`` is the sum of the
    risks' columns.
    """
    import pandas as pd

    if basis not in BASES:
        raise InputError(Problem("", "", "basis", basis, f"one of {', '.join(BASES)}"))
    horizon = next((h for h in result.horizons if h.year == year), None)
    if horizon is None:
        years = ", ".join(str(h.year) for h in result.horizons)
        raise InputError(Problem("", "", "year", year, f"one of the assessed years ({years})"))
    samples = (horizon.samples or {}).get(basis)
    if samples is None or samples.by_risk is None:
        raise InputError(Problem(
            "", "", "keep_samples", False,
            "an assessment run with keep_samples=True: per-trial losses are not kept otherwise "
            "(climaterisk.assess(register, ..., keep_samples=True); the exact method keeps none)",
        ))
    ids = [line.id for line in horizon.by_risk]
    frame = pd.DataFrame(samples.by_risk[: len(ids)].T, columns=ids)
    frame["total"] = samples.total
    frame.index.name = "trial"
    frame.columns.name = "risk"
    frame.attrs["currency"] = result.register.currency
    frame.attrs["unit"] = f"{result.register.currency}/yr"
    frame.attrs["year"], frame.attrs["basis"] = year, basis
    return frame

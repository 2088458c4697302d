"""The assessment pipeline: register + scenario + horizons -> simulated exposure.

>>> from climaterisk import load_register, assess
>>> result = assess(load_register(), "rcp45", trials=2_000, seed=7)
>>> [h.year for h in result.horizons]
[2030, 2050]
>>> h = result.horizons[0]
>>> h.total.residual.mean <= h.total.inherent.mean
True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from climaterisk import __version__, control_value, coverage
from climaterisk.draws import BLOCK_TRIALS, block_trials
from climaterisk.errors import Problem, ScenarioError
from climaterisk.metrics import Stats, exceedance, summarise
from climaterisk.portfolio import (
    Portfolio,
    check_drivers,
    compile_portfolio,
    controls_config,
    inherent_config,
)
from climaterisk.register import Register
from climaterisk.scenarios import Scenario, load_scenario
from climaterisk.simulate import Samples, loss_categories, simulate

DEFAULT_TRIALS = 100_000
DEFAULT_SEED = 20231231
DEFAULT_CHUNK = 100_000


@dataclass(frozen=True)
class Line:
    """One row of results: a risk, an opportunity, a category, a site or the total.

    ``inherent`` and ``residual`` summarise annual loss [currency/yr]; for an opportunity they
    summarise annual benefit (controls do not act on opportunities, so both are equal).
    """

    id: str
    title: str
    category: str
    inherent: Stats
    residual: Stats

    def to_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "category": self.category,
            "inherent": self.inherent.to_dict(), "residual": self.residual.to_dict(),
        }


@dataclass
class HorizonResult:
    """Results for one year: totals and breakdowns by risk, category and site."""

    year: int
    label: str  # short / medium / long, or "" for a year the register does not name
    total: Line
    by_risk: list[Line]
    by_category: list[Line]
    by_site: list[Line]
    opportunities: list[Line]
    exceedance: dict[str, list[dict]]
    exposure_coverage: dict | None = None
    samples: dict[str, Samples] | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {
            "year": self.year, "label": self.label,
            "total": {"inherent": self.total.inherent.to_dict(),
                      "residual": self.total.residual.to_dict()},
            "by_risk": [x.to_dict() for x in self.by_risk],
            "by_category": [x.to_dict() for x in self.by_category],
            "by_site": [x.to_dict() for x in self.by_site],
            "opportunities": [x.to_dict() for x in self.opportunities],
            "exceedance": self.exceedance,
        }


@dataclass
class Assessment:
    """An assessment run and its results; ``to_dict()`` is the JSON output."""

    register: Register
    scenario: Scenario
    trials: int
    seed: int
    chunk_trials: int
    horizons: list[HorizonResult]
    manifest: dict
    controls: list[control_value.ControlValue] | None = None

    def iso22301(self) -> dict:
        """Certification and clause coverage per horizon, and simulated exposure coverage."""
        reg = self.register
        return {
            "renewal": reg.renewal,
            "renewal_assumption": reg.renewal_assumption,
            "certification_cycle_years": reg.certification_cycle_years,
            "certification": {
                "as_of": {"date": reg.as_of.isoformat(),
                          "by_site_kind": coverage.certification_coverage(reg)},
                "by_year": [{"year": h.year, "by_site_kind": coverage.certification_coverage(reg, h.year)}
                            for h in self.horizons],
            },
            "clauses": [coverage.clause_coverage(reg, h.year) for h in self.horizons],
            "exposure": [{"year": h.year, **h.exposure_coverage}
                         for h in self.horizons if h.exposure_coverage is not None],
        }

    def controls_dict(self) -> dict | None:
        if self.controls is None:
            return None
        return {
            "method": "residual loss without the control minus residual loss with all controls, "
                      "on common random numbers (paired per trial)",
            "by_control": [c.to_dict() for c in self.controls],
            "by_year": [control_value.rank(self.controls, h.year) for h in self.horizons],
        }

    def to_dict(self) -> dict:
        return {
            "scenario": {
                "id": self.scenario.id, "name": self.scenario.name, "cmip6": self.scenario.cmip6,
                "ngfs": list(self.scenario.ngfs),
            },
            "register": {
                "id": self.register.id, "organisation": self.register.organisation,
                "as_of": self.register.as_of.isoformat(),
            },
            "currency": self.register.currency,
            "units": f"{self.register.currency} per year",
            "trials": self.trials,
            "seed": self.seed,
            "horizons": [h.to_dict() for h in self.horizons],
            "controls": self.controls_dict(),
            "iso22301": self.iso22301(),
            "assumptions": [
                {"file": Path(p.file).name, "entry": p.entry, "field": p.field,
                 "value": list(p.value) if isinstance(p.value, tuple) else p.value,
                 "unit": p.unit, "basis": p.source.split(":", 1)[1].strip()}
                for p in self.register.assumptions
            ],
            "manifest": self.manifest,
        }


def default_horizons(register: Register) -> list[int]:
    """The register's medium and long term."""
    return sorted({register.horizons["medium"], register.horizons["long"]})


def assess(
    register: Register,
    scenario: Scenario | str = "rcp45",
    horizons: Sequence[int] | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    chunk_trials: int = DEFAULT_CHUNK,
    keep_samples: bool = False,
    progress: Callable[[int, int], None] | None = None,
    with_controls: bool = True,
    with_coverage: bool = True,
    workers: int = 1,
    method: str = "mc",
    engine: str = "local",
    scheduler: str | None = None,
) -> Assessment:
    """Simulate inherent and residual annual losses of ``register`` under ``scenario``.

    ``horizons`` are years (default: the register's medium and long term). ``progress`` is
    called with (trials done, trials in all) across all horizons. With ``keep_samples`` the
    per-trial losses stay on each :class:`HorizonResult` as ``samples``. ``with_controls``
    adds each control's benefit (one more configuration per control, on the same draws);
    ``with_coverage`` adds the simulated ISO 22301 exposure coverage. ``workers`` threads
    simulate chunks in parallel (0: one per core); the numbers do not depend on it.

    ``method="fft"`` computes the loss distributions exactly (discretisation and FFT, see
    :mod:`climaterisk.exact`) instead of sampling: no standard error, no per-trial samples, no
    control values or simulated coverage. ``"auto"`` uses it when none of those is asked for.

    ``engine="dask"`` computes the chunks on a Dask cluster (``scheduler`` address, or a
    ``LocalCluster`` of ``workers`` processes) with the same numbers as the local engine; the
    simulated ISO 22301 exposure coverage is then not computed.
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    years = list(horizons) if horizons else default_horizons(register)
    problems = []
    for year in years:
        try:
            scenario.check_year(year)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    if trials < 1:
        raise ScenarioError(Problem("", "", "trials", trials, "a number of trials >= 1"))
    if seed < 0:
        raise ScenarioError(Problem("", "", "seed", seed, "a seed >= 0"))
    check_drivers(register, scenario)
    if engine not in ("local", "dask"):
        raise ScenarioError(Problem("", "", "engine", engine, "local or dask"))
    if engine == "dask":
        with_coverage = False
    if method not in ("mc", "fft", "auto"):
        raise ScenarioError(Problem("", "", "method", method, "mc, fft or auto"))
    if method == "auto":
        method = "mc" if (with_controls or with_coverage or keep_samples) else "fft"
    labels = {v: k for k, v in register.horizons.items()}
    n_workers = workers if workers > 0 else (os.cpu_count() or 1)
    if method == "fft":
        unresolved: list[str] = []
        results = _exact_years(register, [compile_portfolio(register, scenario, y) for y in years],
                               labels, n_workers, unresolved)
        manifest = build_manifest(register, scenario, trials, seed, chunk_trials, method)
        manifest["exact_unresolved"] = unresolved
        return Assessment(register, scenario, trials, seed, chunk_trials, results, manifest, None)
    results = []
    values = (
        [control_value.ControlValue(c.id, c.title, c.type, c.status, c.annual_cost, n)
         for c, n in zip(sorted(register.controls, key=lambda c: c.id),
                         [control_value.links_covered(register)[c.id]
                          for c in sorted(register.controls, key=lambda c: c.id)], strict=True)]
        if with_controls else None
    )
    from climaterisk import cluster

    context = cluster.client(scheduler, workers) if engine == "dask" else contextlib.nullcontext()
    blocks: dict[int, int] = {}
    with context as dask_client:
        for i, year in enumerate(years):
            portfolio = compile_portfolio(register, scenario, year)
            blocks[year] = block_trials(portfolio)
            base = [inherent_config(portfolio), controls_config(register, portfolio)]
            extra = control_value.without_configs(register, portfolio) if with_controls else []
            observer = (coverage.ExposureObserver(register, portfolio, base, trials, year)
                        if with_coverage else None)
            done_before = i * trials
            report = ((lambda k, d=done_before: progress(d + k, trials * len(years))) if progress
                      else None)
            totals = {c.name for c in extra}
            if dask_client is not None:
                samples = cluster.simulate_on(dask_client, portfolio, [*base, *extra], trials, seed,
                                              chunk_trials, report, totals, keep_samples)
            else:
                samples = simulate(portfolio, [*base, *extra], trials, seed, chunk_trials, report,
                                   totals_only=totals, observers=[observer] if observer else [],
                                   workers=n_workers, keep=keep_samples)
            result = _summarise_year(register, portfolio, samples, labels.get(year, ""), keep_samples)
            result.exposure_coverage = observer.results() if observer else None
            results.append(result)
            for value in values or []:
                value.benefits.append(control_value.benefit(
                    year, samples["residual"], samples[control_value.WITHOUT + value.id],
                    value.annual_cost))
    manifest = build_manifest(register, scenario, trials, seed, chunk_trials, method, engine, blocks)
    return Assessment(register, scenario, trials, seed, chunk_trials, results, manifest, values)


def _summarise_year(
    register: Register, portfolio: Portfolio, samples: dict[str, Samples], label: str,
    keep: bool,
) -> HorizonResult:
    inh, res = samples["inherent"], samples["residual"]
    titles = {r.id: r.title for r in (*register.risks, *register.opportunities)}
    site_names = {s.id: s.name for s in register.sites}
    rows_inh, rows_res = inh.summary.stats(), res.summary.stats()
    n_risks = len(portfolio.risk_ids)
    cats = loss_categories(portfolio)
    by_risk, opportunities = [], []
    for i, rid in enumerate(portfolio.risk_ids):
        line = Line(rid, titles[rid], portfolio.categories[i], rows_inh[i], rows_res[i])
        (opportunities if portfolio.is_opportunity[i] else by_risk).append(line)
    by_category = [Line(cat, cat.replace("_", " "), cat, rows_inh[n_risks + k], rows_res[n_risks + k])
                   for k, cat in enumerate(cats)]
    # site breakdowns count losses only (opportunity benefits are reported apart)
    first_site = n_risks + len(cats)
    by_site = []
    for j, sid in enumerate([*portfolio.site_ids, "company"]):
        title = site_names.get(sid, "company-level (no site)")
        by_site.append(Line(sid, title, "", rows_inh[first_site + j], rows_res[first_site + j]))
    total_inh, total_res = inh.total, res.total
    total = Line("total", "All risks", "", summarise(total_inh), summarise(total_res))
    return HorizonResult(
        year=portfolio.year, label=label, total=total, by_risk=by_risk, by_category=by_category,
        by_site=by_site, opportunities=opportunities,
        exceedance={"inherent": exceedance(total_inh), "residual": exceedance(total_res)},
        samples={k: v for k, v in samples.items() if k in ("inherent", "residual")} if keep else None,
    )


def _exact_years(register: Register, portfolios: list[Portfolio], labels: dict[int, str],
                 workers: int = 1, unresolved: list[str] | None = None) -> list[HorizonResult]:
    """Each horizon's results from exact distributions (no sampling), all computed on one pool
    of ``workers`` threads. The lines whose grid stayed coarse next to their body are appended
    to ``unresolved`` as ``"year basis level id"``."""
    from climaterisk.exact import exact_many

    cases = [(p, c) for p in portfolios for c in (inherent_config(p), controls_config(register, p))]
    lines = exact_many(cases, workers)
    out = []
    for i, p in enumerate(portfolios):
        dists = {"inherent": lines[2 * i], "residual": lines[2 * i + 1]}
        if unresolved is not None:
            unresolved += [f"{p.year} {basis} {level} {key}" for basis, by_level in dists.items()
                           for level, by_key in by_level.items() for key, d in by_key.items()
                           if not d.resolved]
        out.append(_exact_year(register, p, labels.get(p.year, ""), dists))
    return out


def _exact_year(register: Register, portfolio: Portfolio, label: str,
                dists: dict[str, dict[str, dict]]) -> HorizonResult:
    """A horizon's results from its exact distributions (inherent and residual)."""
    inh, res = dists["inherent"], dists["residual"]
    titles = {r.id: r.title for r in (*register.risks, *register.opportunities)}
    sites = {s.id: s.name for s in register.sites}

    def line(level: str, key: str, title: str, category: str) -> Line:
        return Line(key, title, category, inh[level][key].stats(), res[level][key].stats())

    by_risk, opportunities = [], []
    for i, rid in enumerate(portfolio.risk_ids):
        item = line("risk", rid, titles[rid], portfolio.categories[i])
        (opportunities if portfolio.is_opportunity[i] else by_risk).append(item)
    return HorizonResult(
        year=portfolio.year, label=label, total=line("total", "total", "All risks", ""),
        by_risk=by_risk,
        by_category=[line("category", c, c.replace("_", " "), c) for c in inh["category"]],
        by_site=[line("site", s, sites.get(s, "company-level (no site)"), "") for s in inh["site"]],
        opportunities=opportunities,
        exceedance={"inherent": inh["total"]["total"].exceedance(),
                    "residual": res["total"]["total"].exceedance()},
    )


def build_manifest(
    register: Register, scenario: Scenario, trials: int, seed: int, chunk_trials: int,
    method: str = "mc", engine: str = "local", blocks: dict[int, int] | None = None,
) -> dict:
    """What an auditor needs to reproduce a run: versions, input hashes, seed, trials, and the
    trials per random-stream block (one number, or one per horizon year where they differ)."""
    sizes = sorted(set((blocks or {}).values()))
    block = (sizes[0] if len(sizes) == 1 else {str(y): b for y, b in sorted((blocks or {}).items())}
             if sizes else BLOCK_TRIALS)
    inputs = {f"{register.path.name}/{name}": digest for name, digest in register.file_hashes.items()}
    inputs[f"scenarios/{Path(scenario.path).name if scenario.path else scenario.id}"] = scenario.sha256
    return {
        "tool": "climaterisk",
        "version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "inputs_sha256": inputs,
        "register_path": str(register.path),
        "scenario_path": str(scenario.path) if scenario.path else None,
        "method": method,
        "engine": engine,
        "seed": seed,
        "trials": trials,
        "chunk_trials": chunk_trials,
        "block_trials": block,
        "rng": "numpy PCG64, SeedSequence(seed, spawn_key=(year, block, stream))",
        "severity_exp": "float32 (climaterisk.draws.exp_single)",
        "time_utc": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
    }

"""Two levels of uncertainty: an outer loop over what we don't know, an inner loop over years.

The outer loop draws *worlds*: one value of every epistemic input of the register
(:mod:`climaterisk.register.uncertainty`: a carbon price's exposed share, a cooling
sensitivity, an unknown true rate) and one percentile of each uncertainty group of the scenario
(:class:`~climaterisk.scenarios.loading.SeriesRange`: the warming level within its very likely
range, a model spread). Each world is then simulated over ``trials`` years with the same seed:
common random numbers, so two worlds differ only by what they set, never by which years they
drew (the per-link random streams of :mod:`climaterisk.model.draws` make the pairing exact).

Per measure (total residual and inherent EAL, VaR 99%, TVaR 99%; each risk's residual EAL) the
result gives the mean over worlds, the 5th, 50th and 95th percentiles over worlds (the range
of the measure over what we don't know), and the *predictive* value: the measure of all worlds'
years pooled, the loss distribution that accounts for both kinds of uncertainty. The default
run (:func:`~climaterisk.analysis.assess.assess`) is the world that holds every epistemic
register input at its mean and every scenario series at its central value.

Worlds are a Latin hypercube over the unknowns' quantiles (:class:`scipy.stats.qmc.LatinHypercube`,
seeded from the run's seed): each unknown's quantiles are spread evenly over (0, 1), so 200
worlds already give stable 5-95% ranges. The percentiles over worlds include the inner
Monte Carlo noise of ``trials`` years per world; ``noise_se`` gives its size.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from climaterisk.analysis.assess import build_manifest, check_scenario, default_horizons
from climaterisk.analysis.bounds import check_run
from climaterisk.analysis.options import AssessOptions, horizons_of
from climaterisk.errors import OptionError, Problem
from climaterisk.model.compile import Portfolio, compile_portfolio
from climaterisk.model.controls import controls_config, inherent_config
from climaterisk.model.metrics import tvar, var
from climaterisk.model.simulate import simulate
from climaterisk.register import Register
from climaterisk.register.uncertainty import epistemic_inputs
from climaterisk.scenarios import Scenario, load_scenario

__all__ = [
    "UNCERTAINTY_TRIALS",
    "UNCERTAINTY_WORLDS",
    "Range",
    "UncertaintyResult",
    "Unknown",
    "assess_uncertainty",
    "unknowns",
]

UNCERTAINTY_WORLDS = 200
"""Worlds (outer draws of what we don't know) when none is given."""
UNCERTAINTY_TRIALS = 10_000
"""Simulated years per world and horizon when none is given."""
MAX_WORLDS = 100_000
"""Most worlds one run accepts."""

Progress = Callable[[int, int], None]
"""Called with (worlds done, worlds in all)."""


@dataclass(frozen=True)
class Unknown:
    """One dimension of what we don't know: a register input declared epistemic
    (``kind`` register; ``name`` is the input's ``file:entry:field``) or an uncertainty group of
    the scenario (``kind`` scenario; ``name`` is ``scenario:<id>:<group>``, ``series`` the series
    it moves)."""

    name: str
    kind: str
    unit: str
    distribution: str
    source: str
    series: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def unknowns(register: Register, scenario: Scenario) -> list[Unknown]:
    """The register's epistemic inputs, then the scenario's uncertainty groups."""
    out = [Unknown(e.name, "register", e.unit, e.describe(), e.source) for e in epistemic_inputs(register)]
    for group, names in scenario.range_groups.items():
        ranges = [s.range for s in (*scenario.drivers.values(),
                                    *(a for h in scenario.hazards.values() for a in h.values()))
                  if s.range is not None and s.range.group == group]
        lo, hi = ranges[0].percentiles
        out.append(Unknown(
            f"scenario:{scenario.id}:{group}", "scenario", "percentile",
            f"two-piece normal through each series' {lo:g}th percentile, central value and {hi:g}th "
            "percentile, all series of the group at one percentile",
            "; ".join(dict.fromkeys(r.source for r in ranges)), tuple(names)))
    return out


@dataclass(frozen=True)
class Range:
    """A measure over what we don't know [currency/yr]: its mean, 5th, 50th and 95th percentiles
    over the worlds, and its standard deviation over them."""

    mean: float
    p5: float
    p50: float
    p95: float
    sd: float

    @classmethod
    def of(cls, values: np.ndarray) -> Range:
        p5, p50, p95 = (float(v) for v in np.percentile(values, [5, 50, 95]))
        sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        return cls(float(values.mean()), p5, p50, p95, sd)

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclass
class YearUncertainty:
    """One horizon year: per configuration (``residual``, ``inherent``) the ranges of the total's
    EAL, VaR 99% and TVaR 99% over worlds, their predictive values (all worlds' years pooled) and
    each risk's EAL range; ``central`` the same measures in the default world."""

    year: int
    ranges: dict[str, dict[str, Range]]  # config -> measure -> range over worlds
    predictive: dict[str, dict[str, float]]  # config -> measure -> value over all years pooled
    central: dict[str, dict[str, float]]  # config -> measure -> value in the default world
    by_risk: dict[str, dict[str, Range]]  # config -> risk id -> EAL range over worlds
    noise_se: dict[str, float]  # config -> inner Monte Carlo s.e. of one world's total EAL

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "ranges": {c: {m: r.to_dict() for m, r in ms.items()} for c, ms in self.ranges.items()},
            "predictive": self.predictive, "central": self.central,
            "by_risk": {c: {r: x.to_dict() for r, x in rs.items()} for c, rs in self.by_risk.items()},
            "noise_se": self.noise_se,
        }


@dataclass
class UncertaintyResult:
    """The two-level run: the unknowns, the worlds' quantiles (worlds x unknowns), and per year
    the ranges of every measure."""

    register: Register
    scenario: Scenario
    worlds: int
    trials: int
    seed: int
    unknowns: list[Unknown]
    quantiles: np.ndarray  # [0-1], worlds x unknowns
    years: list[YearUncertainty]
    seconds: float
    manifest: dict[str, Any] = field(default_factory=dict)

    def year(self, year: int) -> YearUncertainty:
        return next(y for y in self.years if y.year == year)

    def to_dict(self) -> dict[str, Any]:
        return {
            "register": self.register.id, "scenario": self.scenario.id, "currency": self.register.currency,
            "worlds": self.worlds, "trials_per_world": self.trials, "seed": self.seed,
            "design": "Latin hypercube over the unknowns' quantiles; common random numbers across worlds",
            "unknowns": [u.to_dict() for u in self.unknowns],
            "horizons": [y.to_dict() for y in self.years],
            "seconds": round(self.seconds, 3), "manifest": self.manifest,
        }


def _measures(total: np.ndarray) -> dict[str, float]:
    v = var(total, 0.99)
    return {"eal": float(total.mean()), "var99": v, "tvar99": tvar(total, 0.99, v)}


def world_quantiles(n_unknowns: int, worlds: int, seed: int) -> np.ndarray:
    """A Latin hypercube of ``worlds`` points over ``n_unknowns`` quantiles in (0, 1), seeded
    from ``seed`` (its own stream: the years' draws are not touched)."""
    from scipy.stats import qmc

    if n_unknowns == 0:
        return np.empty((worlds, 0))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x77_6F_72_6C_64,)))  # "world"
    return qmc.LatinHypercube(d=n_unknowns, seed=rng).random(worlds)


def _check(worlds: object, opts: AssessOptions) -> list[Problem]:
    problems = opts.paired_problems("the worlds")
    if isinstance(worlds, bool) or not isinstance(worlds, int) or not 2 <= worlds <= MAX_WORLDS:
        problems.append(Problem("", "", "uncertainty", worlds,
                                f"a whole number of worlds from 2 to {MAX_WORLDS:,} (e.g. 200)"))
    return problems


def assess_uncertainty(
    register: Register,
    scenario: Scenario | str = "rcp45",
    options: AssessOptions | None = None,
    *,
    worlds: int = UNCERTAINTY_WORLDS,
    progress: Progress | None = None,
    **changes: object,
) -> UncertaintyResult:
    """Run ``worlds`` draws of what we don't know, each over ``trials`` simulated years (default
    :data:`UNCERTAINTY_TRIALS`), and give each measure's range over the worlds (module doc).

    ``options`` (or its fields by name: ``trials``, ``seed``, ``horizons``, ``chunk_trials``,
    ``workers``) as for :func:`~climaterisk.analysis.assess.assess`; Monte Carlo on the local
    engine only. Raises :class:`~climaterisk.errors.OptionError` for invalid options and
    :class:`~climaterisk.errors.ScenarioError` for years or drivers the scenario lacks.
    """
    started = time.perf_counter()
    requested = AssessOptions.of(options, **changes)
    problems = _check(worlds, requested)
    if problems:
        raise OptionError(problems)
    if requested.trials is None:
        requested = dataclasses.replace(requested, trials=UNCERTAINTY_TRIALS)
    opts = dataclasses.replace(requested.resolved(), with_controls=False, with_coverage=False)
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    years = horizons_of(opts, default_horizons(register))
    check_scenario(register, scenario, years)
    trials, seed, chunk = int(opts.trials), int(opts.seed), int(opts.chunk_trials)
    threads = opts.workers if opts.workers > 0 else (os.cpu_count() or 1)
    found = unknowns(register, scenario)
    central_portfolios = [compile_portfolio(register, scenario, year) for year in years]
    # sizes refused before any allocation (the worlds move rates within their declared ranges):
    # per trial and world, each year's residual and inherent totals and by risk are kept
    risks = len(central_portfolios[0].risk_ids)
    check_run(register, scenario, central_portfolios, opts, runs=worlds + 1,
              per_trial=8.0 * (2 + 2 * risks) * len(years) * (worlds + 1))
    quantiles = world_quantiles(len(found), worlds, seed)

    def run(world: int | None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Per year: residual total, inherent total, residual and inherent by risk (trials)."""
        q = {} if world is None else {u.name: float(quantiles[world, i]) for i, u in enumerate(found)}
        groups = {u.name.rsplit(":", 1)[1]: q[u.name] for u in found if u.kind == "scenario" and q}
        world_scenario = scenario.at_quantiles(groups) if groups else scenario
        register_q = {k: v for k, v in q.items() if not k.startswith("scenario:")}
        out = []
        for year in years:
            p: Portfolio = compile_portfolio(register, world_scenario, year, register_q)
            configs = [controls_config(register, p), inherent_config(p)]
            samples = simulate(p, configs, trials, seed, chunk, keep=True, items=False)
            res, inh = samples[configs[0].name], samples[configs[1].name]
            out.append((res.total, inh.total, res.by_risk, inh.by_risk))
        return out

    central = run(None)
    done = [0]

    def one(world: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        result = run(world)
        done[0] += 1
        if progress is not None:
            progress(done[0], worlds)
        return result

    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            per_world = list(pool.map(one, range(worlds)))
    else:
        per_world = [one(w) for w in range(worlds)]
    portfolio = central_portfolios[0]
    risk_ids = [r for r, opp in zip(portfolio.risk_ids, portfolio.is_opportunity, strict=True) if not opp]
    risk_rows = [i for i, opp in enumerate(portfolio.is_opportunity) if not opp]
    results = []
    for y_index, year in enumerate(years):
        ranges, predictive, central_m, by_risk, noise = {}, {}, {}, {}, {}
        for c_index, config in enumerate(("residual", "inherent")):
            totals = [w[y_index][c_index] for w in per_world]
            per = [_measures(t) for t in totals]
            ranges[config] = {m: Range.of(np.array([p[m] for p in per])) for m in ("eal", "var99", "tvar99")}
            predictive[config] = _measures(np.concatenate(totals))
            central_m[config] = _measures(central[y_index][c_index])
            eals = np.array([w[y_index][2 + c_index][risk_rows].mean(axis=1) for w in per_world])
            by_risk[config] = {rid: Range.of(eals[:, i]) for i, rid in enumerate(risk_ids)}
            noise[config] = float(central[y_index][c_index].std(ddof=1)) / math.sqrt(trials)
        results.append(YearUncertainty(year, ranges, predictive, central_m, by_risk, noise))
    manifest = build_manifest(register, scenario, opts)
    manifest.pop("not_computed", None)
    manifest["worlds"] = worlds
    return UncertaintyResult(register, scenario, worlds, trials, seed, found, quantiles, results,
                             time.perf_counter() - started, manifest)

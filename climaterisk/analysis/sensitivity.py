"""One-at-a-time sensitivity: how far each numeric register input moves the total residual
EAL and VaR 99% [currency/yr] when it is swung between a low and a high value.

The inputs are the register's provenance rows (:attr:`Register.provenance`: file, entry, field,
value, unit, source), not a hand-written list: every number the register records with (or
without) a source is a candidate. Each is applied to a copy of the loaded register
(:func:`dataclasses.replace` on its entities, :func:`apply_input`); rows that name no model
input (dates, metrics that no carbon cost uses, targets, the GHG inventory, disclosure
thresholds) are listed in ``skipped`` with the reason.

Low and high values (:func:`swing_values`):

- an interval of a lognormal (``p5``/``p95``: a severity, damage or downtime, a cooling
  sensitivity, an annual cost) is scaled as a whole by ``1 -+ swing``: both ends move together,
  so the median and mean move by the same factor and the spread (sigma) is kept; ``interval
  x(1-+20%)``;
- a range of a uniform (``low``/``high``: a carbon price's exposed share) is the field's own
  range: the value is held at its low end, then at its high end (``range``);
- a point value is swung by ``-+ swing`` (``+-20%``); a fraction 0-1 (control effects,
  footprints, probabilities, shares) is clipped to [0, 1] (``+-20% (clipped)``).

Every run is on the same seed and trials as the base run, and the model's random streams are
keyed by each link's identity (:mod:`climaterisk.model.draws`), so a change moves only the
draws of the links it touches: the swing is a paired per-trial difference, and its standard
error is that of the difference. An input whose change leaves the compiled portfolio and the
residual control configuration of a year identical (bit for bit) is not simulated again there:
its swing is exactly 0 with standard error 0 (``used`` false). Control effects reuse the base
year's compiled portfolio and both their values are evaluated on one set of draws.

The standard error of a VaR 99% swing comes from sectioning: the trials are cut into
:data:`SECTIONS` consecutive sections, the swing is computed in each, and the error is their
standard deviation over ``sqrt(SECTIONS)`` (a slight overestimate: a quantile from fewer trials
is noisier; ``None`` below :data:`MIN_SECTION_TRIALS` trials a section).

>>> from climaterisk import load_register
>>> result = sensitivity(load_register(), "rcp45", trials=2_000, horizons=[2030])
>>> top = result.ranked(2030)[0]
>>> abs(top.at(2030).eal_swing) >= abs(result.ranked(2030)[-1].at(2030).eal_swing)
True
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from climaterisk.analysis.assess import build_manifest, check_scenario, default_horizons
from climaterisk.analysis.bounds import check_run
from climaterisk.analysis.inputs import (
    DEFAULT_SWING,
    Input,
    Lever,
    World,
    apply_input,
    levers,
    swept_inputs,
    swing_values,
)
from climaterisk.analysis.options import AssessOptions, horizons_of
from climaterisk.analysis.sobol import SOBOL_SAMPLES, SOBOL_TRIALS, SobolResult, check_samples, sobol_indices
from climaterisk.errors import OptionError, Problem
from climaterisk.model.compile import Portfolio, compile_portfolio
from climaterisk.model.controls import Config, controls_config
from climaterisk.model.metrics import var
from climaterisk.model.simulate import simulate
from climaterisk.register import Register
from climaterisk.register.schema import Provenance
from climaterisk.scenarios import Scenario, load_scenario

__all__ = ["DEFAULT_SWING", "SENSITIVITY_TRIALS", "Input", "InputSensitivity", "SensitivityResult",
           "Swing", "apply_input", "sensitivity", "swept_inputs", "swing_values"]

SENSITIVITY_TRIALS = 20_000
"""Simulated years per horizon and run when none is given (each input costs two runs)."""
SECTIONS = 20
"""Consecutive sections of the trials for the standard error of a VaR swing."""
MIN_SECTION_TRIALS = 200
"""Trials a section needs at least for a VaR 99% standard error (2 tail trials a section)."""

Progress = Callable[[int, int], None]
"""Called with (input-years done, input-years in all, base runs included)."""

@dataclass(frozen=True)
class Swing:
    """What one input does in one year [currency/yr]: the total residual EAL and VaR 99% at its
    low and high value, ``*_swing = at high - at low`` and the standard error of each swing."""

    year: int
    eal_low: float
    eal_high: float
    eal_swing: float
    eal_se: float
    var99_low: float
    var99_high: float
    var99_swing: float
    var99_se: float | None  # None: too few trials for the sectioning estimate
    used: bool  # whether the input reaches the year's compiled model at all

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class InputSensitivity:
    """An input and its swing in every year assessed."""

    input: Input
    swings: list[Swing] = field(default_factory=list)

    def at(self, year: int) -> Swing:
        return next(s for s in self.swings if s.year == year)

    def to_dict(self) -> dict[str, Any]:
        return {**self.input.to_dict(), "by_year": [s.to_dict() for s in self.swings]}


@dataclass
class SensitivityResult:
    """A one-at-a-time sweep: the base total residual EAL and VaR 99% per year [currency/yr],
    every input swept, and the provenance rows not swept (with the reason)."""

    register: Register
    scenario: Scenario
    trials: int
    seed: int
    swing: float  # [fraction] of point values and intervals
    years: list[int]
    base: dict[int, tuple[float, float]]  # year -> (EAL, VaR 99%) of the total residual loss
    inputs: list[InputSensitivity]
    skipped: list[tuple[Provenance, str]]
    seconds: float  # [s] wall-clock time of the sweep
    runs: int  # simulations run (a year, one or two configurations)
    manifest: dict[str, Any] = field(default_factory=dict)
    sobol: list[SobolResult] = field(default_factory=list)  # per year, when asked for

    def ranked(self, year: int, top: int | None = None) -> list[InputSensitivity]:
        """The inputs by decreasing absolute EAL swing in ``year`` (ties: by name); the first
        ``top`` of them."""
        order = sorted(self.inputs, key=lambda s: (-abs(s.at(year).eal_swing), s.input.name))
        return order if top is None else order[:top]

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """JSON-ready: options, base values, and per year the ranked inputs (``top`` of them)."""
        return {
            "register": self.register.id, "scenario": self.scenario.id, "trials": self.trials,
            "seed": self.seed, "swing": self.swing, "currency": self.register.currency,
            "measure": "total residual loss (opportunities excluded) [currency/yr]",
            "seconds": round(self.seconds, 3), "runs": self.runs,
            "horizons": [
                {"year": y, "eal": self.base[y][0], "var99": self.base[y][1],
                 "inputs": [{**s.input.to_dict(), **{k: v for k, v in s.at(y).to_dict().items()
                                                     if k != "year"}}
                            for s in self.ranked(y, top)]}
                for y in self.years],
            "skipped": [{"file": Path(p.file).name, "entry": p.entry, "field": p.field,
                         "reason": why} for p, why in self.skipped],
            "sobol": [r.to_dict() for r in self.sobol],
            "manifest": self.manifest,
        }


# --------------------------------------------------------------------------- the sweep


def _same(a: Any, b: Any) -> bool:
    """Whether two compiled structures (dataclasses, arrays, tuples, dicts, numbers) are equal,
    bit for bit."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and a.tobytes() == b.tobytes())
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(_same(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a))
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(
            _same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _swing(year: int, low: np.ndarray, high: np.ndarray) -> Swing:
    """EAL and VaR 99% at low and high and the paired standard errors of their swings."""
    n = len(low)
    diff = high - low
    eal_se = float(diff.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    var_low, var_high = var(low, 0.99), var(high, 0.99)
    var_se: float | None = None
    size = n // SECTIONS
    if not diff.any():
        var_se = 0.0
    elif size >= MIN_SECTION_TRIALS:
        cut = SECTIONS * size
        q = np.quantile(np.stack([low[:cut].reshape(SECTIONS, size), high[:cut].reshape(SECTIONS, size)]),
                        0.99, axis=2, method="inverted_cdf")
        var_se = float(np.std(q[1] - q[0], ddof=1)) / math.sqrt(SECTIONS)
    return Swing(year, float(low.mean()), float(high.mean()), float(diff.mean()), eal_se,
                 var_low, var_high, var_high - var_low, var_se, True)


def _unused(year: int, base: np.ndarray) -> Swing:
    eal, v = float(base.mean()), var(base, 0.99)
    return Swing(year, eal, eal, 0.0, 0.0, v, v, 0.0, 0.0, False)


def sensitivity(
    register: Register,
    scenario: Scenario | str = "rcp45",
    options: AssessOptions | None = None,
    *,
    swing: float = DEFAULT_SWING,
    progress: Progress | None = None,
    sobol: int = 0,
    sobol_samples: int = SOBOL_SAMPLES,
    sobol_trials: int = SOBOL_TRIALS,
    **changes: object,
) -> SensitivityResult:
    """Swing every numeric register input one at a time (see the module doc) and record the
    change of the total residual EAL and VaR 99% [currency/yr] per horizon.

    ``options`` (or its fields by name: ``trials``, ``seed``, ``horizons``, ``chunk_trials``,
    ``workers``) as for :func:`~climaterisk.analysis.assess.assess`; ``trials`` defaults to
    :data:`SENSITIVITY_TRIALS`. ``swing`` [fraction, 0 < swing < 1] is the relative swing of
    point values and intervals. Monte Carlo on the local engine only. With ``sobol`` > 1, also
    the first-order and total Sobol indices of the ``sobol`` inputs with the largest |EAL swing|
    in each year (:func:`~climaterisk.analysis.sobol.sobol_indices`, ``sobol_samples`` a power of
    two, ``sobol_trials`` years per design point).

    Raises :class:`~climaterisk.errors.OptionError` for invalid options and
    :class:`~climaterisk.errors.ScenarioError` for years or drivers the scenario lacks.
    """
    started = time.perf_counter()
    requested = AssessOptions.of(options, **changes)
    problems = requested.paired_problems("the sweep")
    if isinstance(swing, bool) or not isinstance(swing, (int, float)) or not 0 < swing < 1:
        problems.append(Problem("", "", "swing", swing, "a fraction > 0 and < 1 (0.2: +-20%)"))
    if sobol:
        problems += check_samples(sobol_samples)
        if isinstance(sobol, bool) or not isinstance(sobol, int) or sobol < 2:
            problems.append(Problem("", "", "sobol", sobol, "a number of inputs >= 2 (e.g. 10), or 0"))
        if isinstance(sobol_trials, bool) or not isinstance(sobol_trials, int) or sobol_trials < 2:
            problems.append(Problem("", "", "sobol-trials", sobol_trials, "a number of trials >= 2"))
    if problems:
        raise OptionError(problems)
    if requested.trials is None:
        requested = dataclasses.replace(requested, trials=SENSITIVITY_TRIALS)
    opts = dataclasses.replace(requested.resolved(), with_controls=False, with_coverage=False)
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    years = horizons_of(opts, default_horizons(register))
    check_scenario(register, scenario, years)
    threads = opts.workers if opts.workers > 0 else (os.cpu_count() or 1)
    trials, seed, chunk = int(opts.trials), int(opts.seed), int(opts.chunk_trials)
    swept, skipped = levers(register, scenario, float(swing))
    portfolios = {year: compile_portfolio(register, scenario, year) for year in years}
    # sizes refused before any allocation: the base run and a low and a high run per input;
    # per trial the base total and each thread's two runs
    check_run(register, scenario, list(portfolios.values()), opts,
              per_trial=8.0 * (1 + 4 * threads), runs=1 + 2 * len(swept))
    if sobol:  # N x (inputs + 2) design points a year, one run of sobol_trials each per thread
        check_run(register, scenario, list(portfolios.values()),
                  dataclasses.replace(opts, trials=sobol_trials), per_trial=8.0 * 2 * threads,
                  runs=sobol_samples * (min(int(sobol), len(swept)) + 2), trials_name="sobol-trials")
    base_world = World(register, scenario)

    def run(portfolio: Portfolio, configs: list[Config], workers: int) -> list[np.ndarray]:
        out = simulate(portfolio, configs, trials, seed, chunk, totals_only={c.name for c in configs},
                       workers=workers)
        return [out[c.name].total for c in configs]

    total_runs = len(years) * (1 + len(swept))
    lock = threading.Lock()
    counts = {"done": 0, "runs": 0}

    def one(year: int, portfolio: Portfolio, config: Config, base: np.ndarray, lever: Lever) -> Swing:
        """One input in one year: its low and high run (one thread each, inputs in parallel)."""
        controls_only = lever.input.file == "controls.yaml"  # the compiled portfolio is reused
        cases = []
        for name, u in (("low", 0.0), ("high", 1.0)):
            world = lever.at(base_world, u)
            assert world is not None  # levers() keeps only inputs of the model
            p = portfolio if controls_only else world.compile(year)
            cases.append((p, controls_config(world.register, p, name=name)))
        n = 0
        if all(_same(p, portfolio) and _same(dataclasses.replace(c, name=config.name), config)
               for p, c in cases):
            out = _unused(year, base)
        elif controls_only:  # both values on one set of draws
            low, high = run(portfolio, [c for _, c in cases], 1)
            out, n = _swing(year, low, high), 1
        else:
            (low,), (high,) = (run(p, [c], 1) for p, c in cases)
            out, n = _swing(year, low, high), 2
        with lock:
            counts["done"] += 1
            counts["runs"] += n
            if progress is not None:
                progress(counts["done"], total_runs)
        return out

    results = [InputSensitivity(lever.input) for lever in swept]
    base_values = {}
    for year in years:
        portfolio = portfolios[year]
        config = controls_config(register, portfolio)
        (base,) = run(portfolio, [config], threads)
        counts["runs"] += 1
        counts["done"] += 1
        base_values[year] = (float(base.mean()), var(base, 0.99))
        tasks = [(year, portfolio, config, base, lever) for lever in swept]
        if threads > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                swings = list(pool.map(lambda t: one(*t), tasks))
        else:
            swings = [one(*t) for t in tasks]
        for result, swing_ in zip(results, swings, strict=True):
            result.swings.append(swing_)
    runs = counts["runs"]
    by_name = {lever.input.name: lever for lever in swept}
    indices = []
    for year in years if sobol else []:
        top = [r.input.name for r in sorted(results, key=lambda r: (-abs(r.at(year).eal_swing), r.input.name))
               if r.at(year).eal_swing != 0][:sobol]
        if len(top) >= 2:
            indices.append(sobol_indices(base_world, [by_name[n] for n in top], year, samples=sobol_samples,
                                         trials=sobol_trials, seed=seed, workers=threads))
    manifest = build_manifest(register, scenario, opts)
    manifest.pop("not_computed", None)
    manifest["swing"] = swing
    return SensitivityResult(register, scenario, trials, seed, float(swing), years, base_values, results,
                             skipped, time.perf_counter() - started, runs, manifest, indices)

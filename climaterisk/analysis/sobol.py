"""Global sensitivity: first-order and total Sobol indices of the total residual EAL.

The one-at-a-time sweep (:mod:`climaterisk.analysis.sensitivity`) moves one input while the
others stay central; Sobol indices share the EAL's variance out among inputs that all vary at
once, so they also show interactions (total minus first-order index). For ``D`` inputs
(:class:`~climaterisk.analysis.inputs.Lever`: an epistemic unknown over its whole distribution,
a register assumption uniform between its sweep's low and high value) SALib's Saltelli design
(:func:`SALib.sample.sobol.sample`, without second-order terms) gives ``N (D + 2)`` points; each
is compiled and simulated over ``trials`` years with the run's seed (common random numbers, so
the EAL is a smooth function of the inputs up to a small shared error), and
:func:`SALib.analyze.sobol.analyze` estimates the indices with bootstrap 95% confidence
intervals. ``N`` must be a power of two (the Sobol sequence's balance needs it).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from climaterisk.analysis.inputs import Lever, World
from climaterisk.errors import OptionError, Problem
from climaterisk.model.controls import controls_config
from climaterisk.model.simulate import simulate

__all__ = ["SOBOL_SAMPLES", "SOBOL_TRIALS", "SobolIndex", "SobolResult", "sobol_indices"]

SOBOL_SAMPLES = 256
"""Base sample size ``N`` of the Saltelli design when none is given (a power of two)."""
SOBOL_TRIALS = 2_000
"""Simulated years per design point when none is given."""


@dataclass(frozen=True)
class SobolIndex:
    """One input's first-order (``s1``) and total (``st``) index [fraction of the EAL's variance]
    with the half-widths of their 95% confidence intervals."""

    input: str
    s1: float
    s1_conf: float
    st: float
    st_conf: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SobolResult:
    """Sobol indices in one year: the inputs' indices, the design's size and the EAL's mean and
    standard deviation over the design [currency/yr]."""

    year: int
    samples: int  # N
    trials: int
    evaluations: int  # N (D + 2)
    eal_mean: float
    eal_sd: float
    indices: list[SobolIndex]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "samples": self.samples, "trials_per_point": self.trials,
                "evaluations": self.evaluations, "eal_mean": self.eal_mean, "eal_sd": self.eal_sd,
                "design": "Saltelli (SALib sobol.sample, no second order); bootstrap 95% intervals",
                "indices": [i.to_dict() for i in self.indices], "seconds": round(self.seconds, 3)}


def check_samples(samples: object) -> list[Problem]:
    """A Saltelli base sample size: a power of two from 4 to 2^16."""
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 4 or samples > 2**16 \
            or samples & (samples - 1):
        return [Problem("", "", "sobol-samples", samples, "a power of two from 4 to 65,536 (e.g. 256)")]
    return []


def sobol_indices(base: World, levers: list[Lever], year: int, *, samples: int = SOBOL_SAMPLES,
                  trials: int = SOBOL_TRIALS, seed: int = 0, workers: int = 0) -> SobolResult:
    """First-order and total Sobol indices of the total residual EAL [currency/yr] in ``year``
    for ``levers`` varied together (module doc). Raises
    :class:`~climaterisk.errors.OptionError` for a bad sample size or fewer than two levers."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    problems = check_samples(samples)
    if len(levers) < 2:
        problems.append(Problem("", "", "sobol", len(levers), "at least two inputs"))
    if problems:
        raise OptionError(problems)
    started = time.perf_counter()
    problem = {"num_vars": len(levers), "names": [lv.input.name for lv in levers],
               "bounds": [[0.0, 1.0]] * len(levers)}
    design = sample.sample(problem, samples, calc_second_order=False, seed=seed)

    def eal(point: np.ndarray) -> float:
        world: World | None = base
        for lever, u in zip(levers, point, strict=True):
            world = lever.at(world, float(u), full=True)  # type: ignore[arg-type]
        assert world is not None
        p = world.compile(year)
        config = controls_config(world.register, p)
        return float(simulate(p, [config], trials, seed, totals_only={config.name})[config.name].total.mean())

    threads = workers if workers > 0 else (os.cpu_count() or 1)
    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            y = np.array(list(pool.map(eal, design)))
    else:
        y = np.array([eal(x) for x in design])
    if np.ptp(y) == 0:
        indices = [SobolIndex(n, 0.0, 0.0, 0.0, 0.0) for n in problem["names"]]
    else:
        si = analyze.analyze(problem, y, calc_second_order=False, seed=seed, conf_level=0.95)
        indices = [SobolIndex(n, float(si["S1"][i]), float(si["S1_conf"][i]), float(si["ST"][i]),
                              float(si["ST_conf"][i])) for i, n in enumerate(problem["names"])]
    indices.sort(key=lambda i: (-i.st, i.input))
    sd = float(y.std(ddof=1)) if len(y) > 1 else 0.0
    return SobolResult(year, samples, trials, len(design), float(y.mean()), sd if math.isfinite(sd) else 0.0,
                       indices, time.perf_counter() - started)

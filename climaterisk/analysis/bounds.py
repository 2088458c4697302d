"""Resource bounds of a run, computed from the compiled register before anything is sampled.

A rate of a billion events a year, a scenario multiplier of a billion or ``--trials
1000000000000`` are valid numbers that no machine can simulate: left alone they end in a
``MemoryError`` after minutes, or run for hours. :func:`check_run` computes from the compiled
portfolios (:class:`~climaterisk.model.compile.Portfolio`, read, never changed) what a run
implies and refuses it with an :class:`~climaterisk.errors.InputError` naming the input and the
limit when it is beyond one of:

- :data:`MAX_EVENTS_PER_YEAR` expected sampled events in one simulated year (Monte Carlo);
- :data:`MAX_RUN_EVENTS` expected sampled events in the whole run (Monte Carlo: a time bound);
- :data:`MAX_RUN_BYTES` memory the run's per-trial arrays and draws imply (Monte Carlo);
- for the exact method, a loss whose second moment exceeds the range of a float
  (:data:`MAX_LOG_MOMENT`).

The estimate (:func:`run_bytes`) counts the arrays the engine keeps per trial (the per-trial
totals, the streaming summaries' top 5%, the exposure observer's counters, the samples kept
with ``keep_samples``) and the draws of a chunk on each thread; it is an estimate, within a
factor of about two of the peak measured in ``docs/performance.md``.

>>> MAX_EVENTS_PER_YEAR
1048576
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from climaterisk.analysis.options import AssessOptions
from climaterisk.errors import InputError, OptionError, Problem
from climaterisk.model.compile import Portfolio
from climaterisk.model.draws import MAX_BLOCK_EVENTS, block_trials, expected_events
from climaterisk.model.simulate import EVENTS_PER_CHUNK, loss_categories
from climaterisk.register import Register
from climaterisk.register.distributions import Z95
from climaterisk.register.entities import EntityEvent
from climaterisk.scenarios import Scenario

MAX_EVENTS_PER_YEAR = MAX_BLOCK_EVENTS
"""Expected sampled events in one simulated year at most [events/yr]. Basis: the draws of a
block of trials are held at once and a block is at least one trial, so one year's events must
fit the per-block bound of :data:`climaterisk.model.draws.MAX_BLOCK_EVENTS` (2**20, about
100 MB of draws a thread). The largest benchmark register (40,000 links) samples 13,600 a year."""

MAX_RUN_EVENTS = 10**10
"""Expected sampled events in a whole run at most (all horizons, all runs of a sweep). Basis:
about 80 ns an event on one core (``docs/performance.md``), so about 15 minutes; the largest
benchmark run (40,000 links x 100,000 trials) samples 1.4e9."""

MAX_RUN_BYTES = 8 * 2**30
"""Memory a run may imply at most [bytes]: 8 GiB, a laptop's or a small CI runner's memory.
Basis: the largest benchmark run peaks at 808 MB (``docs/performance.md``); the default run of
the shipped register at about 130 MB."""

BYTES_PER_EVENT = 100
"""Memory of one sampled event's draws and evaluation [bytes] (``climaterisk.model.draws``)."""

TOP_SHARE = 0.0625
"""Share of the trials each streaming summary row holds: its top 5% (for VaR and TVaR 95%) and a
quarter as much room for new candidates (``climaterisk.model.streaming``)."""

OBSERVER_ARRAYS = 15
"""Per-trial arrays of the ISO 22301 exposure observer per configuration."""

MAX_LOG_MOMENT = 700.0
"""Natural log of the largest second moment the exact method may form [log currency**2]:
``math.exp`` overflows above 709.78 (the largest float is about 1.8e308)."""


@dataclass(frozen=True)
class RunSize:
    """What a Monte Carlo run implies: events [events/yr] of its busiest year, events in all,
    and memory [bytes]."""

    events_per_year: float
    events: float
    bytes: float


def _threads(workers: int) -> int:
    return workers if workers > 0 else (os.cpu_count() or 1)


def trial_bytes(portfolio: Portfolio, opts: AssessOptions, n_controls: int, horizons: int) -> float:
    """Memory per trial of an :func:`~climaterisk.analysis.assess.assess` run [bytes/trial]:
    the inherent and residual totals, their summaries' top share, the sort behind the
    exceedance curve, the observer's arrays, each control's paired summary and the kept samples."""
    risks, sites = len(portfolio.risk_ids), len(portfolio.site_ids)
    rows = risks + len(loss_categories(portfolio)) + sites + 1
    per_config = 1 + TOP_SHARE * rows + (OBSERVER_ARRAYS if opts.with_coverage else 0)
    words = 2 * per_config + 2 + (TOP_SHARE * n_controls if opts.with_controls else 0)
    if opts.keep_samples:
        words += 2 * (risks + sites + 1) * horizons
    return 8.0 * words


def run_size(portfolios: Sequence[Portfolio], trials: int, per_trial: float, workers: int = 1,
             runs: int = 1) -> RunSize:
    """Events and memory of ``runs`` simulations of ``trials`` trials of each portfolio, keeping
    ``per_trial`` bytes a trial, on ``workers`` threads (0: one per core)."""
    per_year = max((expected_events(p) for p in portfolios), default=0.0)
    events = runs * float(trials) * sum(expected_events(p) for p in portfolios)
    block = min((block_trials(p) for p in portfolios), default=1)
    draws = _threads(workers) * max(EVENTS_PER_CHUNK, block * per_year) * BYTES_PER_EVENT
    return RunSize(per_year, events, per_trial * float(trials) + draws)


def _gib(n: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 2**10:,.1f} KiB"


def _busiest(register: Register, scenario: Scenario, portfolio: Portfolio) -> Problem:
    """The input that adds most expected events to ``portfolio``'s year, as a problem: the
    scenario's multiplier when the register's own rate would stay within the bound, else the
    register's rate."""
    lk = portfolio.links
    # events a year, file, entry, field, the register's rate, its rate in the year, what scales it
    parts: list[tuple[float, str, str, str, float, float, str]] = []
    sites = {s.id: s for s in register.sites}
    risks = {r.id: r for r in (*register.risks, *register.opportunities)}
    for i, rate in enumerate(lk.local_rate):
        rid = portfolio.risk_ids[int(lk.risk[i])]
        if lk.kind[i] == "site_event":
            sid = portfolio.site_ids[int(lk.site[i])]
            parts.append((float(rate), "sites.yaml", sid, f"hazards.{lk.hazard[i]}",
                          sites[sid].hazards.get(lk.hazard[i], 0.0), float(rate),
                          f"hazards.{lk.hazard[i]}.frequency"))
        else:
            model = next((m for m in risks[rid].models if isinstance(m, EntityEvent)), None)
            parts.append((float(rate), "risks.yaml", rid, "rate", model.rate if model else float(rate),
                          float(rate), f"drivers.{model.rate_driver}" if model and model.rate_driver else ""))
    regions = {(r.id, e.hazard): e.rate for r in register.regions for e in r.common_events}
    for g in portfolio.groups:
        parts.append((g.rate * float(np.dot(g.footprint, g.links_per_site)), "sites.yaml", g.region,
                      f"common_events.{g.hazard}.rate", regions.get((g.region, g.hazard), g.rate), g.rate,
                      f"hazards.{g.hazard}.frequency"))
    events, file, entry, field, base, rate, scaled_by = max(parts)
    total = expected_events(portfolio)
    ratio = rate / base if base > 0 else 1.0
    limit = (f"at most {MAX_EVENTS_PER_YEAR:,} expected events per simulated year "
             f"(climaterisk.analysis.bounds.MAX_EVENTS_PER_YEAR)")
    if scaled_by and ratio > 1 and total / ratio <= MAX_EVENTS_PER_YEAR:
        return Problem(
            str(scenario.path or scenario.id), str(portfolio.year), scaled_by, float(f"{ratio:.6g}"),
            f"a multiplier keeping the register {limit}: with it the register's {entry} rate of "
            f"{base:g} a year gives {events:.3g} events a year, the register {total:.3g} in all")
    return Problem(
        str(register.path / file), entry, field, base,
        f"rates giving {limit}: in {portfolio.year} this input gives {events:.3g} events a year "
        f"(x {ratio:.3g}, the scenario's multiplier), the register {total:.3g} in all")


def check_run(register: Register, scenario: Scenario, portfolios: Sequence[Portfolio],
              opts: AssessOptions, *, per_trial: float | None = None, runs: int = 1,
              trials_name: str = "trials") -> None:
    """Refuse a run of ``opts`` (resolved) on ``portfolios`` beyond the bounds of this module.

    ``per_trial`` is the memory the caller keeps per trial [bytes/trial] (default: that of an
    assessment, :func:`trial_bytes`); ``runs`` the simulations of every portfolio (a sweep's
    low and high runs); ``trials_name`` the option that sets the trials. Raises
    :class:`~climaterisk.errors.InputError` naming the register
    input that adds most events, or :class:`~climaterisk.errors.OptionError` naming
    ``trials``, with the size computed and the limit.
    """
    if not portfolios:
        return
    if opts.method == "fft":
        _check_moments(register, portfolios)
        return
    busy = [p for p in portfolios if expected_events(p) > MAX_EVENTS_PER_YEAR]
    if busy:
        raise InputError(_busiest(register, scenario, max(busy, key=expected_events)))
    trials = int(opts.trials or 0)
    if per_trial is None:
        per_trial = trial_bytes(portfolios[0], opts, len(register.controls), len(portfolios))
    size = run_size(portfolios, trials, per_trial, opts.workers, runs)
    if size.bytes > MAX_RUN_BYTES:
        raise OptionError(Problem(
            "", "", trials_name, trials,
            f"a run within {_gib(MAX_RUN_BYTES)} of memory (climaterisk.analysis.bounds."
            f"MAX_RUN_BYTES): this one needs about {_gib(size.bytes)} ({per_trial:,.0f} bytes a "
            f"trial and the draws); use fewer trials"))
    if size.events > MAX_RUN_EVENTS:
        raise OptionError(Problem(
            "", "", trials_name, trials,
            f"a run of at most {MAX_RUN_EVENTS:.0e} expected sampled events (climaterisk.analysis."
            f"bounds.MAX_RUN_EVENTS, about 15 minutes on one core): this one samples "
            f"{size.events:.3g} ({size.events_per_year:.3g} a year in its busiest horizon); use "
            f"fewer trials"))


def _log_moment(scale: float, mu: float, sigma: float) -> float:
    """log of ``scale**2 * E[X**2]`` for a lognormal X(mu, sigma), -inf for a zero scale."""
    return -math.inf if scale <= 0 else 2 * math.log(scale) + 2 * mu + 2 * sigma**2


def _check_moments(register: Register, portfolios: Sequence[Portfolio]) -> None:
    """The exact method forms each loss's second moment: refuse one beyond a float's range."""
    problems: dict[str, Problem] = {}
    for p in portfolios:
        lk = p.links
        for i in range(len(lk.risk)):
            rid = p.risk_ids[int(lk.risk[i])]
            mult = float(lk.sev_mult[i])
            parts = ((float(lk.a_scale[i]) * mult, float(lk.mu_a[i]), float(lk.s_a[i])),
                     (float(lk.b_scale[i] * lk.has_down[i]) * mult, float(lk.mu_b[i]), float(lk.s_b[i])))
            worst = max(parts, key=lambda x: _log_moment(*x))
            if _log_moment(*worst) > MAX_LOG_MOMENT and rid not in problems:
                problems[rid] = _too_wide(register, rid, lk.kind[i], worst[2])
        for comp in p.costs:
            rid = p.risk_ids[comp.risk]
            d = comp.dist
            if hasattr(d, "sigma") and rid not in problems:
                scale = float(np.max(np.abs(comp.scale), initial=0.0))
                if _log_moment(scale, d.mu, d.sigma) > MAX_LOG_MOMENT:
                    problems[rid] = _too_wide(register, rid, comp.kind, d.sigma)
    if problems:
        raise InputError([problems[k] for k in sorted(problems)])


def _too_wide(register: Register, rid: str, model: str, sigma: float) -> Problem:
    """A severity (or cost) range too wide for the exact method's moments, as a problem."""
    return Problem(
        str(register.path / "risks.yaml"), rid, f"{model}: p95 / p5",
        float(f"{math.exp(2 * Z95 * sigma):.3g}"),
        f"a narrower range for method fft: its losses' second moment exceeds a float (log above "
        f"{MAX_LOG_MOMENT:.0f}, climaterisk.analysis.bounds.MAX_LOG_MOMENT); use method mc")

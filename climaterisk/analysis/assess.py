"""The assessment pipeline: register + scenario + horizons -> simulated exposure.

One function, :func:`assess`, in short steps: check the options and the scenario's years and
drivers; then per horizon compile the portfolio (:mod:`climaterisk.model.compile`), build the
inherent and residual control configurations (:mod:`climaterisk.model.controls`) and one per
control for its value, simulate them on the same draws (or compute them exactly), and
summarise each into :class:`~climaterisk.analysis.results.HorizonResult` rows.

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
from collections.abc import Callable
from pathlib import Path

import numpy as np

from climaterisk._version import __version__
from climaterisk.analysis import control_value
from climaterisk.analysis.bounds import check_run
from climaterisk.analysis.options import (
    DEFAULT_CHUNK,
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    AssessOptions,
    horizons_of,
)
from climaterisk.analysis.results import Assessment, HorizonResult, Line, item_lines
from climaterisk.errors import OptionError, Problem, ScenarioError
from climaterisk.model.compile import Portfolio, check_drivers, compile_portfolio
from climaterisk.model.controls import controls_config, inherent_config
from climaterisk.model.draws import BLOCK_TRIALS, block_trials
from climaterisk.model.line_items import ITEMS, budgeted_lines, low_quantile
from climaterisk.model.metrics import exceedance, summarise
from climaterisk.model.observer import ExposureObserver
from climaterisk.model.simulate import Samples, loss_categories, simulate
from climaterisk.register import Register
from climaterisk.scenarios import Scenario, load_scenario

__all__ = ["DEFAULT_CHUNK", "DEFAULT_SEED", "DEFAULT_TRIALS", "AssessOptions", "Assessment",
           "HorizonResult", "Line", "assess", "build_manifest", "default_horizons", "report_horizons"]

Progress = Callable[[int, int], None]
"""Called with (trials done, trials in all) across all horizons."""


def default_horizons(register: Register) -> list[int]:
    """The register's medium and long term [year]."""
    return sorted({register.horizons["medium"], register.horizons["long"]})


def report_horizons(register: Register) -> list[int]:
    """The report's years: the register's short, medium and long term [year] (the financial
    effects need the short term, IFRS S2 16(d))."""
    return sorted(set(register.horizons.values()))


def assess(
    register: Register,
    scenario: Scenario | str = "rcp45",
    options: AssessOptions | None = None,
    *,
    progress: Progress | None = None,
    **changes: object,
) -> Assessment:
    """Simulate inherent and residual annual losses [currency/yr] of ``register`` under ``scenario``.

    ``options`` (an :class:`AssessOptions`) says how to run and what to compute; any of its
    fields may also be given by name (``assess(register, "rcp45", trials=2_000, seed=7)``).
    ``horizons`` are years (default: the register's medium and long term). With
    ``keep_samples`` the per-trial losses stay on each :class:`HorizonResult` as ``samples``.
    ``with_controls`` adds each control's benefit (one more configuration per control, on the
    same draws); ``with_coverage`` the simulated ISO 22301 exposure coverage; ``with_line_items``
    the losses by statement line item and the damage by site (the financial-effects bridge). ``workers``
    threads simulate chunks in parallel (0: one per core); the numbers do not depend on it.

    ``method="fft"`` computes the loss distributions exactly (discretisation and FFT, see
    :mod:`climaterisk.model.exact`) instead of sampling: no standard error, no per-trial
    samples, no control values or simulated coverage. ``"auto"`` uses it when none of those is
    asked for. ``engine="dask"`` computes the chunks on a Dask cluster (``scheduler`` address,
    or a ``LocalCluster`` of ``workers`` processes) with the same numbers as the local engine.
    What a run does not compute is named in its manifest under ``not_computed``.

    Raises :class:`~climaterisk.errors.OptionError` for invalid options and
    :class:`~climaterisk.errors.ScenarioError` for years or drivers the scenario lacks.
    """
    requested = AssessOptions.of(options, **changes)
    requested.resolved()  # every option problem before any work
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    years = horizons_of(requested, default_horizons(register))
    check_scenario(register, scenario, years)
    labels = {v: k for k, v in register.horizons.items()}
    portfolios = [compile_portfolio(register, scenario, y) for y in years]
    dependence = sorted({cause for p in portfolios for cause in p.dependence()})
    if dependence and requested.method == "fft":
        raise OptionError(Problem(
            "", "", "method", "fft", "mc or auto: the exact method takes the links as independent "
            "given a regional event's occurrence, and this register makes them dependent (" +
            "; ".join(dependence) + ")"))
    opts = requested.resolved(exact_possible=not dependence)
    check_run(register, scenario, portfolios, opts)  # sizes refused before any allocation
    if opts.method == "fft":
        unresolved: list[str] = []
        results = _exact_years(register, portfolios, labels, _threads(opts), unresolved)
        manifest = build_manifest(register, scenario, opts)
        manifest["exact_unresolved"] = unresolved
        return Assessment(register, scenario, opts.trials, opts.seed, opts.chunk_trials, results,
                          manifest, None)
    result = _simulate_years(register, scenario, portfolios, labels, opts, progress)
    if dependence:
        result.manifest["dependence"] = dependence
    return result


def check_scenario(register: Register, scenario: Scenario, years: list[int]) -> None:
    """Every year in the scenario's range, every driver and hazard the register uses in it."""
    problems = []
    for year in years:
        try:
            scenario.check_year(year)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    check_drivers(register, scenario)


def _threads(opts: AssessOptions) -> int:
    return opts.workers if opts.workers > 0 else (os.cpu_count() or 1)


def _control_values(register: Register) -> list[control_value.ControlValue]:
    """An empty value record per control, in id order."""
    covered = control_value.links_covered(register)
    return [control_value.ControlValue(c.id, c.title, c.type, c.status, c.annual_cost, covered[c.id])
            for c in sorted(register.controls, key=lambda c: c.id)]


def _simulate_years(register: Register, scenario: Scenario, portfolios: list[Portfolio],
                    labels: dict[int, str], opts: AssessOptions, progress: Progress | None) -> Assessment:
    """The Monte Carlo run: every horizon on its own draws, every configuration on the same."""
    values = _control_values(register) if opts.with_controls else None
    trials = opts.trials
    if opts.engine == "dask":
        from climaterisk.model import dask_engine

        context = dask_engine.client(opts.scheduler, opts.workers)
    else:
        context = contextlib.nullcontext()
    results, blocks = [], {}
    with context as dask_client:
        for i, portfolio in enumerate(portfolios):
            blocks[portfolio.year] = block_trials(portfolio)
            base = [inherent_config(portfolio), controls_config(register, portfolio)]
            extra = control_value.without_configs(register, portfolio) if opts.with_controls else []
            observer = (ExposureObserver(register, portfolio, base, trials, portfolio.year)
                        if opts.with_coverage else None)
            report = ((lambda k, d=i * trials: progress(d + k, trials * len(portfolios))) if progress
                      else None)
            totals = {c.name for c in extra}
            if dask_client is not None:
                samples = dask_engine.simulate_on(dask_client, portfolio, [*base, *extra], trials, opts.seed,
                                                  opts.chunk_trials, report, totals, opts.keep_samples,
                                                  bool(opts.with_line_items))
            else:
                samples = simulate(portfolio, [*base, *extra], trials, opts.seed, opts.chunk_trials, report,
                                   paired=totals, observers=[observer] if observer else [],
                                   workers=_threads(opts), keep=opts.keep_samples,
                                   items=bool(opts.with_line_items))
            result = _summarise_year(register, portfolio, samples, labels.get(portfolio.year, ""),
                                     opts.keep_samples)
            result.exposure_coverage = observer.results() if observer else None
            results.append(result)
            for value in values or []:
                value.benefits.append(control_value.benefit(
                    portfolio.year, samples["residual"], samples[control_value.WITHOUT + value.id],
                    value.annual_cost))
    manifest = build_manifest(register, scenario, opts, blocks)
    return Assessment(register, scenario, trials, opts.seed, opts.chunk_trials, results, manifest, values)


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
    at = first_site + len(by_site) + 2 * len(ITEMS)  # the damage rows, after the line items
    items = len(rows_res) > first_site + len(by_site)  # line items computed (with_line_items)
    total = Line("total", "All risks", "", summarise(total_inh), summarise(total_res))
    return HorizonResult(
        year=portfolio.year, label=label, total=total, by_risk=by_risk, by_category=by_category,
        by_site=by_site, opportunities=opportunities,
        exceedance={"inherent": exceedance(total_inh), "residual": exceedance(total_res)},
        samples={k: v for k, v in samples.items() if k in ("inherent", "residual")} if keep else None,
        by_line_item=item_lines(rows_inh, rows_res, first_site + len(by_site)) if items else [],
        site_damage=[Line(sid, site_names.get(sid, sid), "", rows_inh[at + j], rows_res[at + j])
                     for j, sid in enumerate(portfolio.site_ids)] if items else [],
        total_p5={"inherent": low_quantile(total_inh), "residual": low_quantile(total_res)},
        budgeted=budgeted_lines(register, portfolio),
    )


def _exact_years(register: Register, portfolios: list[Portfolio], labels: dict[int, str],
                 workers: int = 1, unresolved: list[str] | None = None) -> list[HorizonResult]:
    """Each horizon's results from exact distributions (no sampling), all computed on one pool
    of ``workers`` threads. The lines whose grid stayed coarse next to their body are appended
    to ``unresolved`` as ``"year basis level id"``."""
    from climaterisk.model.exact import exact_many  # scipy, loaded only for the exact method

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
        budgeted=budgeted_lines(register, portfolio),
    )


def build_manifest(register: Register, scenario: Scenario, opts: AssessOptions,
                   blocks: dict[int, int] | None = None) -> dict:
    """What an auditor needs to reproduce a run: versions, input hashes, seed, trials, the
    trials per random-stream block (one number, or one per horizon year where they differ), and
    what the run did not compute (``not_computed``), with the reason."""
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
        "method": opts.method,
        "engine": opts.engine,
        "seed": opts.seed,
        "trials": opts.trials,
        "chunk_trials": opts.chunk_trials,
        "block_trials": block,
        "rng": "numpy PCG64 per stream: SeedSequence(seed, spawn_key=(year, kind, key)), "
               "block b at b * 2**64 steps (docs/methodology.md section 6)",
        "severity_exp": "float32 (climaterisk.model.draws.exp_single)",
        "not_computed": opts.not_computed(),
        "time_utc": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
    }

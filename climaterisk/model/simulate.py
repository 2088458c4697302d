"""The vectorised Monte Carlo engine: evaluate control configurations on the sampled events,
chunk by chunk, on one or more threads.

The random draws (which events occur, when, and their severities before controls) come from
:mod:`climaterisk.model.draws`. A control configuration is then *evaluated* on these draws
(:func:`evaluate`); inherent and residual (and residual without one control) share every draw:
common random numbers. A configuration that only needs its total per trial (the residual
without one control, for the control's value) is evaluated by difference from the closest
configuration evaluated in full: only the events of the links where the two differ are
evaluated again (:func:`total_by_difference`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from climaterisk.model.compile import Portfolio
from climaterisk.model.controls import Config, net_of_layers
from climaterisk.model.draws import (
    Draws,
    Workspace,
    block_trials,
    draw_chunk,
    expected_events,
    gather,
    scratch,
)
from climaterisk.model.line_items import item_row_count, line_item_rows
from climaterisk.model.paired import PairedPlan, PairedStats, PairedSummary, paired_cells, paired_plan
from climaterisk.model.streaming import RowSummary


def loss_factors(portfolio: Portfolio, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Per link, what turns an event's damage [currency] and downtime [days] (both already
    under the scenario, see :class:`~climaterisk.model.draws.Draws`) into loss under
    ``config``: ``(damage factor [-], cost per downtime day [currency/day])``."""
    return config.sev_a, config.sev_b * portfolio.links.b_scale


def event_loss(portfolio: Portfolio, draws: Draws, config: Config, ws: Workspace | None = None,
               subset: np.ndarray | None = None, buffer: str = "loss") -> np.ndarray:
    """Loss [currency] of every sampled event (or of the events ``subset``) under ``config``,
    in the workspace's array ``buffer`` (a fresh array without a workspace).

    Loss = damage x damage factor + downtime days x cost per day: the scenario's severity
    multiplier and the caps are in the damage and days already, the controls act here.
    Transfer layers, disjoint bands of loss, recover ``clip(loss - deductible, 0, limit)``
    each; thinned-out events (removed by frequency-reducing controls) lose 0.
    """
    pick = (lambda a: a) if subset is None else (lambda a: a[subset])
    k = pick(draws.link)
    m = len(k)
    by_damage, per_day = loss_factors(portfolio, config)
    loss = scratch(ws, buffer, m)
    gather(by_damage, k, loss)
    loss *= pick(draws.damage)
    gathered = scratch(ws, "gathered", m)
    gather(per_day, k, gathered)
    gathered *= pick(draws.days)
    loss += gathered
    if config.deductible.shape[1]:
        insured = np.flatnonzero((config.limit > 0).any(axis=1)[k])  # events of insured links only
        if len(insured):
            ki = k[insured]
            loss[insured] = net_of_layers(loss[insured], config.deductible[ki], config.limit[ki])
    if np.any(config.keep < 1.0):
        gather(config.keep, k, gathered)
        loss *= pick(draws.u) < gathered
    return loss


def event_outcomes(portfolio: Portfolio, draws: Draws, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Loss [currency] and downtime [days] of every sampled event under ``config``.

    Downtime is full-outage-equivalent days after the scenario severity multiplier, the cap
    and the controls; it is 0 for links without a downtime model and for thinned-out events.
    The loss is the one :func:`evaluate` recorded for ``config`` in this chunk, if any.
    """
    loss = draws.losses.get(config.name)
    if loss is None:
        loss = event_loss(portfolio, draws, config)
    k = draws.link
    days = gather(config.sev_b, k, np.empty(len(k)))
    days *= draws.days
    if np.any(config.keep < 1.0):
        days *= draws.u < gather(config.keep, k, np.empty(len(k)))
    return loss, days


def episode_losses(portfolio: Portfolio, draws: Draws,
                   config: Config) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Per outage-episode model: ``(risk index, trial of each episode, cost of each episode
    [currency])`` under ``config``. An event on a source link whose downtime under ``config``
    (:func:`event_outcomes`) exceeds the model's trigger sets an episode off when its uniform is
    below the probability times the frequency its controls keep."""
    if not portfolio.followups:
        return []
    k = draws.link
    days = gather(config.sev_b, k, np.empty(len(k)))
    days *= draws.days
    if np.any(config.keep < 1.0):
        days *= draws.u < gather(config.keep, k, np.empty(len(k)))
    out = []
    for i, (f, (v, z)) in enumerate(zip(portfolio.followups, draws.episode, strict=True)):
        hit = np.flatnonzero((days > f.trigger_days) & (v < f.probability * config.followup_keep[i]))
        cost = np.exp(f.mu + f.sigma * z[hit])
        cost *= config.followup_sev[i]
        out.append((f.risk, draws.trial[hit], cost))
    return out


def event_cells(portfolio: Portfolio, draws: Draws,
                ws: Workspace | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per event, its cell in the (risk x trial) and the (site row x trial) tables: computed once
    per chunk, shared by every configuration. Site rows: the sites, then company-level losses,
    then a spare row for opportunities' benefits (sites carry losses only)."""
    if draws.cells is None:
        n, n_sites = draws.n, len(portfolio.site_ids)
        links = portfolio.links
        site_row = np.where(links.site < 0, n_sites, links.site)
        site_row = np.where(portfolio.is_opportunity[links.risk], n_sites + 1, site_row)
        m = len(draws.link)
        risk_cell = gather(links.risk, draws.link, scratch(ws, "risk_cell", m, np.int64))
        risk_cell *= n
        risk_cell += draws.trial
        site_cell = gather(site_row, draws.link, scratch(ws, "site_cell", m, np.int64))
        site_cell *= n
        site_cell += draws.trial
        draws.cells = (risk_cell, site_cell)
    return draws.cells


def evaluate(portfolio: Portfolio, draws: Draws, config: Config, sites: bool = True,
             ws: Workspace | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-trial losses under ``config``: ``(by_risk[R, n], by_site[S + 1, n])`` [currency/yr].

    Row ``S`` of ``by_site`` holds company-level losses (no site); ``by_site`` counts risks
    only, while ``by_risk`` also has the opportunities' benefits on their rows. The events'
    losses stay in ``draws.losses[config.name]`` for the rest of the chunk.
    """
    n = draws.n
    n_risks, n_sites = len(portfolio.risk_ids), len(portfolio.site_ids)
    loss = event_loss(portfolio, draws, config, ws, buffer=f"loss:{config.name}")
    draws.losses[config.name] = loss
    risk_cell, site_cell = event_cells(portfolio, draws, ws)
    # an empty event list makes bincount return integers, whatever the weights: force floats
    by_risk = np.bincount(risk_cell, weights=loss, minlength=n_risks * n).astype(float, copy=False)
    by_risk = by_risk.reshape(n_risks, n)
    by_site = None
    if sites:
        by_site = np.bincount(site_cell, weights=loss, minlength=(n_sites + 2) * n).astype(float, copy=False)
        by_site = by_site.reshape(n_sites + 2, n)[: n_sites + 1]
    for risk, trial, cost in episode_losses(portfolio, draws, config):
        per_trial = np.bincount(trial, weights=cost, minlength=n).astype(float, copy=False)
        by_risk[risk] += per_trial
        if by_site is not None and not portfolio.is_opportunity[risk]:
            by_site[n_sites] += per_trial  # company-level: an episode is not a site's loss
    for comp, sample, factor in zip(portfolio.costs, draws.cost, config.cost_factor, strict=True):
        opportunity = portfolio.is_opportunity[comp.risk]
        for s, scale, f in zip(comp.sites, comp.scale, factor, strict=True):
            if scale == 0.0 or f == 0.0:
                continue
            value = sample * (scale * f)
            by_risk[comp.risk] += value
            if not opportunity and by_site is not None:
                by_site[n_sites if s < 0 else s] += value
    return by_risk, by_site


def evaluate_total(portfolio: Portfolio, draws: Draws, config: Config) -> np.ndarray:
    """Per-trial loss of all risks under ``config`` (opportunities excluded) [currency/yr]: the
    same numbers as the sum of :func:`evaluate`'s risk rows, without the breakdowns."""
    by_risk, _ = evaluate(portfolio, draws, config, sites=False)
    return by_risk[~portfolio.is_opportunity].sum(axis=0)


def differing_links(portfolio: Portfolio, config: Config, base: Config) -> np.ndarray:
    """[bool] per link: whether an event's loss can differ between ``config`` and ``base``
    (opportunities excluded: they are not in the total)."""
    fa, fb = loss_factors(portfolio, config)
    fa0, fb0 = loss_factors(portfolio, base)
    out = (fa != fa0) | (fb != fb0) | (config.keep != base.keep)
    for c in (config, base):  # links with transfer layers in either: compare them outright
        if c.deductible.shape[1]:
            out |= (c.limit > 0).any(axis=1)
    return out & ~portfolio.is_opportunity[portfolio.links.risk]


def total_by_difference(portfolio: Portfolio, draws: Draws, config: Config, base: Config,
                        base_total: np.ndarray, ws: Workspace | None = None) -> np.ndarray:
    """Per-trial total loss under ``config`` [currency/yr] from ``base``'s (``base_total``, its
    event losses in ``draws.losses``): only the events of links where they differ, and the
    recurring costs, are evaluated again."""
    total = base_total.copy()
    differ = differing_links(portfolio, config, base)
    if differ.any():
        subset = np.flatnonzero(differ[draws.link])
        if len(subset):
            delta = event_loss(portfolio, draws, config, ws, subset, buffer="subset_loss")
            delta -= draws.losses[base.name][subset]
            total += np.bincount(draws.trial[subset], weights=delta, minlength=draws.n)
    for sign, c in ((1.0, config), (-1.0, base)):  # episodes depend on every source link's outages
        for risk, trial, cost in episode_losses(portfolio, draws, c):
            if not portfolio.is_opportunity[risk]:
                total += sign * np.bincount(trial, weights=cost, minlength=draws.n)
    for comp, sample, factor, factor0 in zip(portfolio.costs, draws.cost, config.cost_factor,
                                             base.cost_factor, strict=True):
        if portfolio.is_opportunity[comp.risk] or np.array_equal(factor, factor0):
            continue
        total += sample * float(np.sum(comp.scale * factor) - np.sum(comp.scale * factor0))
    return total


@dataclass
class Samples:
    """Per-trial results of one configuration in one year [currency/yr].

    ``total`` is the loss of all risks (opportunities excluded), every trial. ``summary``
    holds the risk measures of every row (risks and opportunities, then loss categories, then
    sites and the company-level row) without keeping their trials. ``by_risk`` (R rows) and
    ``by_site`` (S + 1 rows) keep every trial only when asked for (``keep=True``). A *paired*
    configuration (``simulate(paired=...)``) keeps no trial at all: ``total`` is None and
    ``paired`` holds its difference from the residual (:class:`~climaterisk.model.paired.PairedStats`).
    """

    total: np.ndarray | None
    summary: RowSummary | None = None
    by_risk: np.ndarray | None = None
    by_site: np.ndarray | None = None
    paired: PairedStats | None = None


def loss_categories(portfolio: Portfolio) -> list[str]:
    """The categories of the portfolio's risks (opportunities excluded), sorted."""
    return sorted({c for c, o in zip(portfolio.categories, portfolio.is_opportunity, strict=True) if not o})


def summary_rows(portfolio: Portfolio, by_risk: np.ndarray, by_site: np.ndarray,
                 items: np.ndarray | None = None) -> np.ndarray:
    """Rows summarised for the report: risks, loss categories (sums of their risks), sites, then
    the line-item rows ``items`` (:func:`~climaterisk.model.line_items.line_item_rows`) if given."""
    cats = []
    for cat in loss_categories(portfolio):
        members = [i for i, (c, o) in enumerate(zip(portfolio.categories, portfolio.is_opportunity,
                                                    strict=True)) if c == cat and not o]
        row = by_risk[members[0]].copy()
        for i in members[1:]:
            row += by_risk[i]
        cats.append(row)
    extra = [] if items is None else [items]
    return np.concatenate([by_risk, np.array(cats).reshape(len(cats), by_risk.shape[1]), by_site, *extra])


def chunk_bounds(trials: int, chunk_trials: int, block: int) -> list[tuple[int, int]]:
    """``(first block, end block)`` of each chunk: whole blocks of ``block`` trials, at least
    one per chunk."""
    if trials < 1:
        raise ValueError("trials must be >= 1")
    per_chunk = max(1, chunk_trials // block)
    n_blocks = -(-trials // block)
    return [(first, min(first + per_chunk, n_blocks)) for first in range(0, n_blocks, per_chunk)]


ChunkResult = dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]]
"""Per configuration: total, by risk, by site, line-item rows (the last three None: totals only)."""

MEMORY_BUDGET = 16 * 2**20
"""Bytes of per-chunk result rows (by risk and site, per full configuration) aimed at; chunks
shrink (whole blocks) to stay near it. The rows are copied a few times on their way into the
streaming summaries, so this also spreads a small register's trials over several chunks (and
threads): the shipped register's 100,000 trials run as five chunks in 130 MB, not one in 250."""


def compute_chunk(
    portfolio: Portfolio, configs: Sequence[Config], seed: int, trials: int, first: int, end: int,
    totals_only: Collection[str] = (), ws: Workspace | None = None, items: bool = True,
) -> tuple[ChunkResult, Draws]:
    """Draw one chunk and evaluate every configuration on it: a pure function of its arguments
    (so it can run on a thread, or on a Dask worker). Per configuration: the total per trial,
    and (unless totals only) the losses by risk and by site, and with ``items`` the line-item
    rows (:func:`~climaterisk.model.line_items.line_item_rows`). Totals-only configurations are
    evaluated by difference from the full configuration that differs from them on the fewest
    links (see :func:`total_by_difference`)."""
    draws = draw_chunk(portfolio, seed, trials, first, end, ws)
    loss_rows = ~portfolio.is_opportunity
    out: ChunkResult = {}
    full = [c for c in configs if c.name not in totals_only]
    for config in full:
        by_risk, by_site = evaluate(portfolio, draws, config, ws=ws)
        rows = (line_item_rows(portfolio, draws, config, episode_losses(portfolio, draws, config))
                if items else None)
        out[config.name] = (by_risk[loss_rows].sum(axis=0), by_risk, by_site, rows)
    for config in configs:
        if config.name not in totals_only:
            continue
        if not full:
            out[config.name] = (evaluate_total(portfolio, draws, config), None, None, None)
            continue
        base = min(full, key=lambda b: int(differing_links(portfolio, config, b).sum()))
        out[config.name] = (total_by_difference(portfolio, draws, config, base, out[base.name][0], ws),
                            None, None, None)
    return out, draws


def new_summary(portfolio: Portfolio, trials: int, items: bool = True) -> RowSummary:
    """An empty streaming summary of the rows of :func:`summary_rows` over ``trials`` trials
    (with ``items``, the line-item rows too)."""
    n_rows = (len(portfolio.risk_ids) + len(loss_categories(portfolio)) + len(portfolio.site_ids) + 1
              + (item_row_count(portfolio) if items else 0))
    return RowSummary(n_rows, trials, block_trials(portfolio))


def empty_samples(portfolio: Portfolio, configs: Sequence[Config], trials: int,
                  totals_only: Collection[str] = (), keep: bool = False,
                  items: bool = True) -> dict[str, Samples]:
    n_risks, n_sites = len(portfolio.risk_ids), len(portfolio.site_ids)
    out = {}
    for c in configs:
        full = c.name not in totals_only
        out[c.name] = Samples(
            np.zeros(trials),
            new_summary(portfolio, trials, items) if full else None,
            np.zeros((n_risks, trials)) if full and keep else None,
            np.zeros((n_sites + 1, trials)) if full and keep else None,
        )
    return out


def store_chunk(portfolio: Portfolio, out: dict[str, Samples], first_block: int, result: ChunkResult) -> int:
    """Record one chunk's results; return the end trial."""
    start = stop = first_block * block_trials(portfolio)
    for name, (total, by_risk, by_site, items) in result.items():
        stop = start + len(total)
        target = out[name]
        target.total[start:stop] = total
        if by_risk is not None:
            target.summary.add(first_block, summary_rows(portfolio, by_risk, by_site, items))
            if target.by_risk is not None:
                target.by_risk[:, start:stop] = by_risk
                target.by_site[:, start:stop] = by_site
    return stop


EVENTS_PER_CHUNK = 2**19
"""Events aimed at per chunk: enough to amortise numpy's per-call cost, small enough for the
caches and for memory (about 60 bytes per event)."""


def auto_chunk(portfolio: Portfolio, configs: Sequence[Config], chunk_trials: int,
               totals_only: Collection[str], items: bool = True) -> int:
    """The chunk size actually used: at most ``chunk_trials``, smaller for wide portfolios (per-
    chunk result rows near :data:`MEMORY_BUDGET`) and for many events (near
    :data:`EVENTS_PER_CHUNK`), always whole blocks. Results do not depend on it."""
    rows = (2 * (len(portfolio.risk_ids) + len(portfolio.site_ids) + 1) + len(loss_categories(portfolio))
            + (item_row_count(portfolio) if items else 0))
    full = max(1, sum(c.name not in totals_only for c in configs))
    fits = int(MEMORY_BUDGET / (8 * rows * full))
    by_events = int(EVENTS_PER_CHUNK / max(expected_events(portfolio), 1e-9))
    size = min(chunk_trials, fits, by_events)
    block = block_trials(portfolio)
    return max(block, size - size % block)


def simulate(
    portfolio: Portfolio,
    configs: Sequence[Config],
    trials: int,
    seed: int,
    chunk_trials: int = 100_000,
    progress: Callable[[int], None] | None = None,
    totals_only: Collection[str] = (),
    observers: Sequence[Callable[[int, Draws], None]] = (),
    workers: int = 1,
    keep: bool = False,
    paired: Collection[str] = (),
    items: bool = True,
) -> dict[str, Samples]:
    """Simulate ``trials`` years of ``portfolio`` and evaluate every configuration on them.

    Memory for random draws is bounded by the chunk (``chunk_trials``, rounded down to whole
    blocks (:func:`~climaterisk.model.draws.block_trials`), at least one block, and smaller for
    wide portfolios, see
    :func:`auto_chunk`) times the number of ``workers`` (threads; numpy releases the GIL in its
    kernels). Results do not depend on either. Every configuration keeps its per-trial total
    and, unless named in ``totals_only``, a streaming summary of every risk, category and site
    (:class:`~climaterisk.model.streaming.RowSummary`), with ``items`` also of every statement line
    item and each site's damage; with ``keep`` also every trial by risk and site. Each observer
    is called with ``(first trial, draws)`` for every chunk (for statistics beyond losses; it
    must only write to the trials of that chunk, and not keep the draws: their arrays are reused
    by the next chunk). ``progress`` is called with the number of trials done
    after each chunk.

    Configurations named in ``paired`` (each differing from the one named ``residual`` on a few
    links: a control's "all controls but this one") keep no per-trial array: they are evaluated
    together, only on the events of the links where they differ, and their
    :attr:`Samples.paired` holds the mean and standard error of their per-trial difference from
    the residual and the VaR 99% of their total (:mod:`climaterisk.model.paired`).
    """
    paired_configs = [c for c in configs if c.name in paired]
    configs = [c for c in configs if c.name not in paired]
    out = empty_samples(portfolio, configs, trials, totals_only, keep, items)
    block = block_trials(portfolio)
    bounds = chunk_bounds(trials, auto_chunk(portfolio, configs, chunk_trials, totals_only, items), block)
    plan = summary = base = None
    if paired_configs:
        base = next(c for c in configs if c.name == "residual" and c.name not in totals_only)
        plan = paired_plan(portfolio, paired_configs, base)
        summary = PairedSummary(plan.names, trials, block)
    lock = threading.Lock()
    done = [0]
    spaces: dict[int, Workspace] = {}  # one per thread, for this run only

    def work(bound: tuple[int, int]) -> None:
        ws = spaces.setdefault(threading.get_ident(), Workspace())
        result, draws = compute_chunk(portfolio, configs, seed, trials, *bound, totals_only, ws, items)
        start = bound[0] * block
        if plan is not None:
            _add_paired(portfolio, draws, plan, summary, paired_configs, base, result, bound, start, ws)
        stop = store_chunk(portfolio, out, bound[0], result)
        for observer in observers:
            observer(start, draws)
        if progress is not None:
            with lock:
                done[0] += stop - start
                progress(done[0])

    if workers <= 1 or len(bounds) == 1:
        for bound in bounds:
            work(bound)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, bounds))
    if summary is not None:
        for name, stats in summary.finish(out[plan.base].total).items():
            out[name] = Samples(None, paired=stats)
    return out


def _add_paired(portfolio: Portfolio, draws: Draws, plan: PairedPlan, summary: PairedSummary,
                configs: Sequence[Config], base: Config, result: ChunkResult, bound: tuple[int, int],
                start: int, ws: Workspace | None) -> None:
    """One chunk of the paired configurations: the sparse ones' cells, and the trials where a
    dense one (recurring costs or episodes differ) differs from the base."""
    base_total = result[plan.base][0]
    slot, trial, total = paired_cells(plan, draws, base_total)
    if plan.dense:
        parts = [(slot, trial, total)]
        for j in plan.dense:
            full = total_by_difference(portfolio, draws, configs[j], base, base_total, ws)
            t = np.flatnonzero(full != base_total)
            parts.append((np.full(len(t), j), t, full[t]))
        slot, trial, total = (np.concatenate(a) for a in zip(*parts, strict=True))
        order = np.lexsort((trial, slot))
        slot, trial, total = slot[order], trial[order], total[order]
    summary.add(bound[0], bound[1], start, base_total, slot, trial, total)

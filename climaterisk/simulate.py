"""The vectorised Monte Carlo engine: sample the events that occur, then evaluate losses.

Trials are simulated in *blocks* of :data:`BLOCK_TRIALS` trials. Each block has its own
random streams, ``PCG64(SeedSequence(seed, spawn_key=(year, block, stream, ...)))``, so the
numbers drawn for a trial depend only on the seed, the year and the block, never on how blocks
are grouped into chunks: results are bit-for-bit the same for any chunk size.

A block has separate streams for site events, company-level events, and each recurring cost
component (keyed by its risk and position), so that a change to one part of the register or
scenario (a flood multiplier, say) leaves the draws of the other parts untouched: runs that
differ only there are paired trial by trial (common random numbers across runs).

In each event stream the engine draws, in this fixed order:

1. for every link, its number of independent events in the block, ``Poisson(rate * n)``;
2. (site events) for every common-shock group, its number of regional events
   ``Poisson(rate * n)``, their trials, and a uniform per (event, site) for the sites struck;
3. a trial index for every independent event (events of a Poisson process fall uniformly
   into the block's trials);
4. per event a uniform ``u`` (thinning by frequency-reducing controls) and two standard
   normals (damage and downtime severities).

Each recurring cost component draws ``n`` values of its uncertain factor from its own stream.

A control configuration is then *evaluated* on these draws (:func:`evaluate`); inherent and
residual (and residual without one control) share every draw: common random numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from climaterisk.portfolio import Config, Portfolio
from climaterisk.streaming import RowSummary

BLOCK_TRIALS = 1000
"""Trials per random-stream block. Changing it changes the draws (it is in the manifest)."""

MAX_DOWNTIME_DAYS = 365.0
"""Cap on the downtime of one event [days]: an outage cannot outlast the simulated year."""


@dataclass
class Draws:
    """The random draws of one block (or the concatenated blocks of one chunk).

    ``damage`` and ``days`` are the events' losses before controls and scenario severity:
    damage (or money severity) capped at the replacement value [currency], and downtime capped
    at :data:`MAX_DOWNTIME_DAYS` [days] (0 for links without downtime). They depend only on the
    draws, so every configuration reuses them.
    """

    n: int  # trials
    link: np.ndarray  # [int] link of each event
    trial: np.ndarray  # [int] trial of each event, 0..n-1
    u: np.ndarray  # uniform per event (thinning)
    damage: np.ndarray  # [currency] per event, before controls
    days: np.ndarray  # [days] per event, before controls
    cost: list[np.ndarray]  # per cost component, n draws


SITE_EVENTS, COMPANY_EVENTS, RECURRING = 0, 1, 2
"""Stream numbers: site events (with common shocks), company-level events, recurring costs."""


def stream(seed: int, year: int, block: int, *key: int) -> np.random.Generator:
    """The random stream ``key`` of one block of one horizon year."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(year, block, *key))))


def _events(rng: np.random.Generator, ids: np.ndarray, rates: np.ndarray, groups, n: int):  # type: ignore[no-untyped-def]
    """Events of the links ``ids``: local Poisson counts, then regional common shocks."""
    counts = rng.poisson(rates * n)
    common_links, common_trials = [], []
    for group in groups:
        n_events = int(rng.poisson(group.rate * n))
        trials = rng.integers(0, n, size=n_events)
        struck = rng.random((n_events, len(group.sites))) < group.footprint
        event_idx, site_pos = np.nonzero(struck)
        for pos, site_links in enumerate(group.site_links):
            hit_trials = trials[event_idx[site_pos == pos]]
            for link in site_links:
                common_links.append(np.full(len(hit_trials), link, dtype=np.int64))
                common_trials.append(hit_trials)
    local_link = np.repeat(ids, counts)
    local_trial = rng.integers(0, n, size=len(local_link))
    link = np.concatenate([local_link, *common_links]) if common_links else local_link
    trial = np.concatenate([local_trial, *common_trials]) if common_trials else local_trial
    return link, trial, rng.random(len(link)), rng.standard_normal(len(link)), rng.standard_normal(len(link))


def draw_block(portfolio: Portfolio, seed: int, block: int, n: int) -> Draws:
    """All random draws for ``n`` trials of block ``block`` (see the module docstring)."""
    links, year = portfolio.links, portfolio.year
    at_site = links.site >= 0
    site_ids = np.flatnonzero(at_site).astype(np.int64)
    company_ids = np.flatnonzero(~at_site).astype(np.int64)
    parts = [
        _events(stream(seed, year, block, SITE_EVENTS), site_ids, links.local_rate[site_ids],
                portfolio.groups, n),
        _events(stream(seed, year, block, COMPANY_EVENTS), company_ids, links.local_rate[company_ids],
                (), n),
    ]
    link, trial, u, z1, z2 = (np.concatenate(cols) for cols in zip(*parts, strict=True))
    damage = links.mu_a[link] + links.s_a[link] * z1
    np.exp(damage, out=damage)
    damage *= links.a_scale[link]
    np.minimum(damage, links.a_cap[link], out=damage)  # damage cannot exceed the replacement value
    days = links.mu_b[link] + links.s_b[link] * z2
    np.exp(days, out=days)
    np.minimum(days, MAX_DOWNTIME_DAYS, out=days)
    days *= links.has_down[link]
    cost = [comp.dist.draw(n, stream(seed, year, block, RECURRING, comp.key)) for comp in portfolio.costs]
    return Draws(n, link, trial, u, damage, days, cost)


def concat(draws: Sequence[Draws]) -> Draws:
    """Join consecutive blocks into one chunk, shifting trial indices."""
    if len(draws) == 1:
        return draws[0]
    offsets = np.cumsum([0, *(d.n for d in draws[:-1])])
    return Draws(
        n=sum(d.n for d in draws),
        link=np.concatenate([d.link for d in draws]),
        trial=np.concatenate([d.trial + off for d, off in zip(draws, offsets, strict=True)]),
        u=np.concatenate([d.u for d in draws]),
        damage=np.concatenate([d.damage for d in draws]),
        days=np.concatenate([d.days for d in draws]),
        cost=[np.concatenate(parts) for parts in zip(*(d.cost for d in draws), strict=True)]
        if draws[0].cost else [],
    )


def event_outcomes(portfolio: Portfolio, draws: Draws, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Loss [currency] and downtime [days] of every sampled event under ``config``.

    Thinned-out events (removed by frequency-reducing controls) have loss and downtime 0.
    Downtime is full-outage-equivalent days after controls and the scenario severity
    multiplier; it is 0 for links without a downtime model. Damage is capped at the site's
    replacement value and downtime at :data:`MAX_DOWNTIME_DAYS` before controls. Transfer
    layers, disjoint bands of loss, recover ``clip(loss - deductible, 0, limit)`` each.
    """
    links = portfolio.links
    k = draws.link
    day_factor = config.sev_b * links.sev_mult
    days = draws.days * day_factor[k]
    loss = draws.damage * (config.sev_a * links.sev_mult)[k]
    loss += days * links.b_scale[k]
    if config.deductible.shape[1]:
        recovered = np.zeros_like(loss)
        for j in range(config.deductible.shape[1]):
            recovered += np.clip(loss - config.deductible[k, j], 0.0, config.limit[k, j])
        loss -= np.minimum(recovered, loss)
    keep = config.keep[k]
    if np.any(keep < 1.0):
        kept = draws.u < keep
        loss *= kept
        days *= kept
    return loss, days


def evaluate(portfolio: Portfolio, draws: Draws, config: Config,
             sites: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-trial losses under ``config``: ``(by_risk[R, n], by_site[S + 1, n])`` [currency/yr].

    Row ``S`` of ``by_site`` holds company-level losses (no site); ``by_site`` counts risks
    only, while ``by_risk`` also has the opportunities' benefits on their rows.
    """
    n = draws.n
    n_risks, n_sites = len(portfolio.risk_ids), len(portfolio.site_ids)
    loss, _ = event_outcomes(portfolio, draws, config)
    risk = portfolio.links.risk[draws.link]
    site = portfolio.links.site[draws.link]
    site = np.where(site < 0, n_sites, site)
    # opportunity benefits go to a spare row that is dropped: sites carry losses only
    site = np.where(portfolio.is_opportunity[risk], n_sites + 1, site)
    # an empty event list makes bincount return integers, whatever the weights: force floats
    by_risk = np.bincount(risk * n + draws.trial, weights=loss, minlength=n_risks * n).astype(float)
    by_risk = by_risk.reshape(n_risks, n)
    by_site = None
    if sites:
        by_site = np.bincount(site * n + draws.trial, weights=loss,
                              minlength=(n_sites + 2) * n).astype(float)
        by_site = by_site.reshape(n_sites + 2, n)[: n_sites + 1]
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


@dataclass
class Samples:
    """Per-trial results of one configuration in one year [currency/yr].

    ``total`` is the loss of all risks (opportunities excluded), every trial. ``summary``
    holds the risk measures of every row (risks and opportunities, then loss categories, then
    sites and the company-level row) without keeping their trials. ``by_risk`` (R rows) and
    ``by_site`` (S + 1 rows) keep every trial only when asked for (``keep=True``).
    """

    total: np.ndarray
    summary: RowSummary | None = None
    by_risk: np.ndarray | None = None
    by_site: np.ndarray | None = None


def loss_categories(portfolio: Portfolio) -> list[str]:
    """The categories of the portfolio's risks (opportunities excluded), sorted."""
    return sorted({c for c, o in zip(portfolio.categories, portfolio.is_opportunity, strict=True) if not o})


def summary_rows(portfolio: Portfolio, by_risk: np.ndarray, by_site: np.ndarray) -> np.ndarray:
    """Rows summarised for the report: risks, loss categories (sums of their risks), sites."""
    cats = []
    for cat in loss_categories(portfolio):
        members = [i for i, (c, o) in enumerate(zip(portfolio.categories, portfolio.is_opportunity,
                                                    strict=True)) if c == cat and not o]
        row = by_risk[members[0]].copy()
        for i in members[1:]:
            row += by_risk[i]
        cats.append(row)
    return np.concatenate([by_risk, np.array(cats).reshape(len(cats), by_risk.shape[1]), by_site])


def chunk_bounds(trials: int, chunk_trials: int) -> list[tuple[int, int]]:
    """``(first block, end block)`` of each chunk: whole blocks, at least one per chunk."""
    if trials < 1:
        raise ValueError("trials must be >= 1")
    per_chunk = max(1, chunk_trials // BLOCK_TRIALS)
    n_blocks = -(-trials // BLOCK_TRIALS)
    return [(first, min(first + per_chunk, n_blocks)) for first in range(0, n_blocks, per_chunk)]


def draw_chunk(portfolio: Portfolio, seed: int, trials: int, first: int, end: int) -> Draws:
    """The draws of blocks ``first`` to ``end - 1``, joined."""
    parts = [draw_block(portfolio, seed, b, min(BLOCK_TRIALS, trials - b * BLOCK_TRIALS))
             for b in range(first, end)]
    return concat(parts)


def iter_chunks(
    portfolio: Portfolio, trials: int, seed: int, chunk_trials: int
) -> Iterator[tuple[int, Draws]]:
    """Yield ``(first trial, draws)`` for consecutive chunks of whole blocks."""
    for first, end in chunk_bounds(trials, chunk_trials):
        yield first * BLOCK_TRIALS, draw_chunk(portfolio, seed, trials, first, end)


ChunkResult = dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]

MEMORY_BUDGET = 256 * 2**20
"""Bytes of per-chunk result rows aimed at; chunks shrink (whole blocks) to stay near it."""


def compute_chunk(
    portfolio: Portfolio, configs: Sequence[Config], seed: int, trials: int, first: int, end: int,
    totals_only: Collection[str] = (),
) -> tuple[ChunkResult, Draws]:
    """Draw one chunk and evaluate every configuration on it: a pure function of its arguments
    (so it can run on a thread, or on a Dask worker). Per configuration: the total per trial,
    and (unless totals only) the losses by risk and by site."""
    draws = draw_chunk(portfolio, seed, trials, first, end)
    loss_rows = ~portfolio.is_opportunity
    out: ChunkResult = {}
    for config in configs:
        if config.name in totals_only:
            out[config.name] = (evaluate_total(portfolio, draws, config), None, None)
            continue
        by_risk, by_site = evaluate(portfolio, draws, config)
        out[config.name] = (by_risk[loss_rows].sum(axis=0), by_risk, by_site)
    return out, draws


def empty_samples(portfolio: Portfolio, configs: Sequence[Config], trials: int,
                  totals_only: Collection[str] = (), keep: bool = False) -> dict[str, Samples]:
    n_risks, n_sites = len(portfolio.risk_ids), len(portfolio.site_ids)
    n_rows = n_risks + len(loss_categories(portfolio)) + n_sites + 1
    out = {}
    for c in configs:
        full = c.name not in totals_only
        out[c.name] = Samples(
            np.zeros(trials),
            RowSummary(n_rows, trials, BLOCK_TRIALS) if full else None,
            np.zeros((n_risks, trials)) if full and keep else None,
            np.zeros((n_sites + 1, trials)) if full and keep else None,
        )
    return out


def store_chunk(portfolio: Portfolio, out: dict[str, Samples], first_block: int, result: ChunkResult) -> int:
    """Record one chunk's results; return the end trial."""
    start = stop = first_block * BLOCK_TRIALS
    for name, (total, by_risk, by_site) in result.items():
        stop = start + len(total)
        target = out[name]
        target.total[start:stop] = total
        if by_risk is not None:
            target.summary.add(first_block, summary_rows(portfolio, by_risk, by_site))
            if target.by_risk is not None:
                target.by_risk[:, start:stop] = by_risk
                target.by_site[:, start:stop] = by_site
    return stop


EVENTS_PER_CHUNK = 2**20
"""Events aimed at per chunk: enough to amortise numpy's per-call cost, small enough for the
caches and for memory (about 60 bytes per event)."""


def expected_events(portfolio: Portfolio) -> float:
    """Expected events per trial, common shocks included."""
    rate = float(portfolio.links.local_rate.sum())
    for g in portfolio.groups:
        rate += g.rate * float(sum(p * len(links) for p, links in zip(g.footprint, g.site_links,
                                                                        strict=True)))
    return rate


def auto_chunk(portfolio: Portfolio, configs: Sequence[Config], chunk_trials: int,
               totals_only: Collection[str]) -> int:
    """The chunk size actually used: at most ``chunk_trials``, smaller for wide portfolios (per-
    chunk result rows near :data:`MEMORY_BUDGET`) and for many events (near
    :data:`EVENTS_PER_CHUNK`), always whole blocks. Results do not depend on it."""
    rows = 2 * (len(portfolio.risk_ids) + len(portfolio.site_ids) + 1) + len(loss_categories(portfolio))
    full = max(1, sum(c.name not in totals_only for c in configs))
    fits = int(MEMORY_BUDGET / (8 * rows * full))
    by_events = int(EVENTS_PER_CHUNK / max(expected_events(portfolio), 1e-9))
    size = min(chunk_trials, fits, by_events)
    return max(BLOCK_TRIALS, size - size % BLOCK_TRIALS)


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
) -> dict[str, Samples]:
    """Simulate ``trials`` years of ``portfolio`` and evaluate every configuration on them.

    Memory for random draws is bounded by the chunk (``chunk_trials``, rounded down to whole
    blocks of :data:`BLOCK_TRIALS`, at least one block, and smaller for wide portfolios, see
    :func:`auto_chunk`) times the number of ``workers`` (threads; numpy releases the GIL in its
    kernels). Results do not depend on either. Every configuration keeps its per-trial total
    and, unless named in ``totals_only``, a streaming summary of every risk, category and site
    (:class:`~climaterisk.streaming.RowSummary`); with ``keep`` also every trial by risk and
    site. Each observer is
    called with ``(first trial, draws)`` for every chunk (for statistics beyond losses; it must
    only write to the trials of that chunk). ``progress`` is called with the number of trials
    done after each chunk.
    """
    out = empty_samples(portfolio, configs, trials, totals_only, keep)
    bounds = chunk_bounds(trials, auto_chunk(portfolio, configs, chunk_trials, totals_only))
    lock = threading.Lock()
    done = [0]

    def work(bound: tuple[int, int]) -> None:
        result, draws = compute_chunk(portfolio, configs, seed, trials, *bound, totals_only)
        start = bound[0] * BLOCK_TRIALS
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
    return out

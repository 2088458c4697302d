"""The random draws of the Monte Carlo engine: events that occur, and their severities.

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
2. (site events) for all common-shock groups together: each group's number of regional events
   ``Poisson(rate * n)``, then a trial per regional event, then a uniform per (regional event,
   member site) for the sites struck;
3. a trial index for every independent event (events of a Poisson process fall uniformly
   into the block's trials);
4. per event a uniform ``u`` (thinning by frequency-reducing controls), then the standard
   normals of the damage severities, then those of the downtime severities;
5. (site events, only if some group correlates severities) per regional event a standard
   normal common to the damage of the sites it strikes, then one common to their downtime; a
   struck link's normals become ``sqrt(rho) F + sqrt(1 - rho) e`` (a register without a
   correlation draws nothing here, so its numbers do not change).

The events of a stream are ordered: independent events link by link, then the strikes, group by
group, regional event by regional event, site by site, link by link. Each recurring cost
component draws ``n`` values of its uncertain factor from its own stream.

Only the events that occur are sampled (about 14 ns of random numbers per event, see
``docs/performance.md``), and the chunk's arrays are written in place into buffers that a
thread reuses from chunk to chunk (:class:`Workspace`), so that the memory of a chunk is
allocated once, not faulted in again for every chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from climaterisk.model.compile import Portfolio, ShockTable

BLOCK_TRIALS = 1000
"""Trials per random-stream block (fewer for very large registers, see :func:`block_trials`).
Changing it changes the draws (the block size used is in the manifest)."""

BLOCK_SIZES = (1000, 500, 250, 125, 50, 25, 10, 5, 2, 1)
"""The block sizes allowed, largest first."""

MAX_BLOCK_EVENTS = 2**20
"""Expected events in one block at most: a block is drawn whole, so this bounds the memory of
one thread's draws (about 100 bytes an event)."""

MAX_DOWNTIME_DAYS = 365.0
"""Cap on the downtime of one event [days]: an outage cannot outlast the simulated year."""

SITE_EVENTS, COMPANY_EVENTS, RECURRING = 0, 1, 2
"""Stream numbers: site events (with common shocks), company-level events, recurring costs."""


class Workspace:
    """Named scratch arrays that one thread reuses from chunk to chunk.

    Arrays handed out stay valid until the same name is asked for again, so a chunk's draws
    must be used up before the thread draws the next chunk (which :func:`~climaterisk.model.simulate.
    simulate` does). Without a workspace every function allocates fresh arrays.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, size: int, dtype: type = np.float64) -> np.ndarray:
        """An uninitialised array of ``size`` elements, reusing the last one of that name."""
        held = self._arrays.get(name)
        if held is None or held.dtype != dtype or len(held) < size:
            grown = int(1.25 * len(held)) if held is not None and held.dtype == dtype else 0
            held = np.empty(max(size, grown), dtype=dtype)
            self._arrays[name] = held
        return held[:size]


def scratch(ws: Workspace | None, name: str, size: int, dtype: type = np.float64) -> np.ndarray:
    """``ws.get(...)``, or a fresh array without a workspace."""
    return np.empty(size, dtype=dtype) if ws is None else ws.get(name, size, dtype)


def gather(values: np.ndarray, index: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[:] = values[index]``. The indices are valid by construction; ``mode="clip"`` lets
    numpy write straight into ``out`` (the default mode buffers it: twice the time)."""
    return np.take(values, index, out=out, mode="clip")


@dataclass
class Draws:
    """The random draws of one chunk of consecutive blocks.

    ``damage`` and ``days`` are the events' outcomes under the scenario, before controls:
    damage (or money severity) after the scenario's severity multiplier, capped at the
    replacement value [currency], and downtime after the multiplier, capped at
    :data:`MAX_DOWNTIME_DAYS` [days] (0 for links without downtime). They depend only on the
    draws and the portfolio, so every configuration reuses them. ``losses`` holds, while the chunk is being
    evaluated, the event losses of the configurations evaluated so far (by name).
    """

    n: int  # trials
    link: np.ndarray  # [int] link of each event
    trial: np.ndarray  # [int] trial of each event, 0..n-1
    u: np.ndarray  # uniform per event (thinning)
    damage: np.ndarray  # [currency] per event, before controls
    days: np.ndarray  # [days] per event, before controls
    cost: list[np.ndarray]  # per cost component, n draws
    losses: dict[str, np.ndarray] = field(default_factory=dict)  # [currency] per event, by config
    cells: tuple[np.ndarray, np.ndarray] | None = None  # see climaterisk.model.simulate.event_cells


SINGLE_EXP_MAX = 88.0
"""Largest exponent taken in single precision (exp(88) = 1.7e38; float32 overflows at 88.7)."""


def exp_single(x: np.ndarray, work: np.ndarray) -> None:
    """``x[:] = exp(min(x, SINGLE_EXP_MAX))``, the exponential taken in single precision.

    numpy computes float32 ``exp`` with SIMD instructions on every x86-64 CPU, but float64
    ``exp`` only with AVX-512: on AVX2 machines it is about 9 ns per value against 1 ns. The
    severity's log is computed in double precision and rounded to single (relative error of the
    result at most 2e-6 for logs up to 32, unbiased); the result goes back into double, where
    every sum is taken. That is far below any sampling error; values above ``exp(88)``
    [currency or days] are capped there (a single event's loss never comes near).
    """
    np.minimum(x, SINGLE_EXP_MAX, out=x)
    np.copyto(work, x, casting="same_kind")
    np.exp(work, out=work)
    np.copyto(x, work)


def expected_events(portfolio: Portfolio) -> float:
    """Expected sampled events per trial, common shocks included."""
    rate = float(portfolio.links.local_rate.sum())
    for g in portfolio.groups:
        rate += g.rate * float(np.dot(g.footprint, g.links_per_site))
    return rate


def block_trials(portfolio: Portfolio) -> int:
    """Trials per block for ``portfolio``: 1,000, or the largest of :data:`BLOCK_SIZES` whose
    expected events stay within :data:`MAX_BLOCK_EVENTS` (registers of more than about 1,000
    events a year: tens of thousands of links). A function of the register and scenario only,
    so results do not depend on how a run is chunked or threaded."""
    per_trial = expected_events(portfolio)
    for size in BLOCK_SIZES:
        if size * per_trial <= MAX_BLOCK_EVENTS:
            return size
    return 1


def stream(seed: int, year: int, block: int, *key: int) -> np.random.Generator:
    """The random stream ``key`` of one block of one horizon year."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(year, block, *key))))


def _expand(ids: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.repeat(ids, counts)`` by a cumulative sum, which, unlike ``np.repeat``, releases the
    GIL (so that threads drawing other chunks run meanwhile)."""
    total = int(counts.sum())
    if total == 0 or len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.cumsum(counts)[:-1]
    index = np.cumsum(np.bincount(starts[starts < total], minlength=total))
    return ids[index]


@dataclass
class Strikes:
    """The links struck by the regional events of one block, and which event struck each."""

    link: np.ndarray  # [int]
    trial: np.ndarray  # [int] 0..n-1
    event: np.ndarray  # [int] regional event of each strike, 0..events-1
    group: np.ndarray  # [int] common-shock group of each strike
    events: int  # regional events in the block


def _strikes(rng: np.random.Generator, shocks: ShockTable, n: int) -> Strikes:
    """Links and trials of every group's regional events in a block (step 2 of the module doc):
    group by group, regional event by regional event, member site by member site, link by link.
    Three calls draw them all: the groups' event counts, a trial per regional event, a uniform
    per (regional event, member site)."""
    empty = np.zeros(0, dtype=np.int64)
    if len(shocks.rates) == 0:
        return Strikes(empty, empty, empty, empty, 0)
    counts = rng.poisson(shocks.rates * n)
    events = int(counts.sum())
    trials = rng.integers(0, n, size=events)
    group_of_event = np.repeat(np.arange(len(counts)), counts)
    sites = shocks.sizes[group_of_event]  # member sites of each regional event
    uniform = rng.random(int(sites.sum()))
    event_of_pair = np.repeat(np.arange(events), sites)
    member = (np.repeat(shocks.member_offset[group_of_event], sites) + np.arange(len(uniform))
              - np.repeat(np.cumsum(sites) - sites, sites))
    hit = np.flatnonzero(uniform < shocks.footprint[member])
    member, event = member[hit], event_of_pair[hit]
    if shocks.one_link_each:
        return Strikes(shocks.flat_links[shocks.link_offset[member]], trials[event], event,
                       group_of_event[event], events)
    reps = shocks.links_per_member[member]  # links struck by each strike
    first = np.repeat(shocks.link_offset[member], reps)
    within = np.arange(len(first)) - np.repeat(np.cumsum(reps) - reps, reps)
    event = np.repeat(event, reps)
    return Strikes(shocks.flat_links[first + within], trials[event], event, group_of_event[event], events)


def _events(rng: np.random.Generator, ids: np.ndarray, rates: np.ndarray,
            shocks: ShockTable | None, n: int) -> tuple[np.ndarray, np.ndarray, Strikes | None]:
    """Links and trials of the events of one stream in a block (steps 1-3 of the module doc),
    local events first, then the strikes of regional events (also returned, or None)."""
    counts = rng.poisson(rates * n)
    common = _strikes(rng, shocks, n) if shocks is not None else None
    local_link = _expand(ids, counts)
    local_trial = rng.integers(0, n, size=len(local_link))
    if common is None or len(common.link) == 0:
        return local_link, local_trial, common
    return (np.concatenate([local_link, common.link]), np.concatenate([local_trial, common.trial]),
            common)


def _correlate(rng: np.random.Generator, shocks: ShockTable, common: Strikes,
               z: tuple[np.ndarray, np.ndarray]) -> None:
    """Step 5 of the module doc: the normals ``z`` (damage, downtime) of the strikes, the last
    events of the stream's slice, mixed in place with a factor per regional event."""
    factors = [rng.standard_normal(common.events) for _ in z]
    rho = shocks.correlation[common.group]
    strikes = len(common.link)
    for values, factor in zip(z, factors, strict=True):
        tail = values[len(values) - strikes:]
        tail *= np.sqrt(1.0 - rho)
        tail += np.sqrt(rho) * factor[common.event]


def draw_chunk(portfolio: Portfolio, seed: int, trials: int, first: int, end: int,
               ws: Workspace | None = None) -> Draws:
    """All random draws of blocks ``first`` to ``end - 1`` (of ``trials`` in all), joined.

    Events are in block order, then stream order, then the order of the module doc."""
    links, year = portfolio.links, portfolio.year
    at_site = links.site >= 0
    site_ids = np.flatnonzero(at_site).astype(np.int64)
    company_ids = np.flatnonzero(~at_site).astype(np.int64)
    site_rates, company_rates = links.local_rate[site_ids], links.local_rate[company_ids]
    parts: list[tuple[np.random.Generator, int, Strikes | None]] = []
    link_parts, trial_parts = [], []
    offset = 0
    size = block_trials(portfolio)
    sizes = [min(size, trials - b * size) for b in range(first, end)]
    for block, n in zip(range(first, end), sizes, strict=True):
        for key, ids, rates, groups in ((SITE_EVENTS, site_ids, site_rates, portfolio.shocks),
                                        (COMPANY_EVENTS, company_ids, company_rates, None)):
            rng = stream(seed, year, block, key)
            link, trial, common = _events(rng, ids, rates, groups, n)
            if offset:
                trial += offset
            parts.append((rng, len(link), common))
            link_parts.append(link)
            trial_parts.append(trial)
        offset += n
    m = sum(len(x) for x in link_parts)
    link = np.concatenate(link_parts, out=scratch(ws, "link", m, np.int64))
    trial = np.concatenate(trial_parts, out=scratch(ws, "trial", m, np.int64))
    u, z1, z2 = (scratch(ws, name, m) for name in ("u", "damage", "days"))
    start = 0
    correlated = portfolio.shocks.correlated
    for rng, k, common in parts:  # steps 4 and 5, stream by stream, into the chunk's arrays
        stop = start + k
        rng.random(out=u[start:stop])
        rng.standard_normal(out=z1[start:stop])
        rng.standard_normal(out=z2[start:stop])
        if correlated and common is not None and common.events:
            _correlate(rng, portfolio.shocks, common, (z1[start:stop], z2[start:stop]))
        start = stop
    # severities under the scenario, before controls, in place: damage = min(a_scale * sev_mult
    # * exp(mu_a + s_a z1), a_cap) (scale and multiplier folded into the log), days =
    # min(sev_mult * exp(mu_b + s_b z2), cap) (0 without downtime): the caps act after the scenario
    gathered = scratch(ws, "gathered", m)
    for z, scale, loc in ((z1, links.s_a, links.log_damage_loc), (z2, links.s_b, links.log_days_loc)):
        gather(scale, link, gathered)
        z *= gathered
        gather(loc, link, gathered)
        z += gathered
        exp_single(z, scratch(ws, "single", m, np.float32))
    gather(links.a_cap, link, gathered)
    np.minimum(z1, gathered, out=z1)  # damage cannot exceed the replacement value
    np.minimum(z2, MAX_DOWNTIME_DAYS, out=z2)
    cost = [
        np.concatenate([comp.dist.draw(n, stream(seed, year, block, RECURRING, comp.key))
                        for block, n in zip(range(first, end), sizes, strict=True)])
        for comp in portfolio.costs
    ]
    return Draws(offset, link, trial, u, z1, z2, cost)


def draw_block(portfolio: Portfolio, seed: int, block: int, n: int) -> Draws:
    """The draws of block ``block`` holding ``n`` trials (fresh arrays)."""
    return draw_chunk(portfolio, seed, block * block_trials(portfolio) + n, block, block + 1)

"""The random draws of the Monte Carlo engine: events that occur, and their severities.

Trials are simulated in *blocks* of :data:`BLOCK_TRIALS` trials (fewer for large registers,
:func:`block_trials`). Every random stream is keyed by what it draws for, and block ``b`` of a
stream starts ``b * BLOCK_STRIDE`` steps after the stream's base state
``PCG64(SeedSequence(seed, spawn_key=(year, kind, key)))`` (:class:`Streams`), so the numbers
drawn for a trial depend only on the seed, the year, the block and the stream, never on how
blocks are grouped into chunks or threads: results are bit-for-bit the same for any chunk size.

The streams (:data:`LOCAL_EVENTS` ... :data:`EPISODES`): each link's local events (or, in a
register of more than :data:`MAX_STREAMS` links, each group of consecutive links'), keyed by the
link's identity (:attr:`~climaterisk.model.compile.EventLinks.key`); the regional events of all
common-shock groups; each recurring cost component; each outage-episode model. So a change to
one link (its rate, say) leaves every other link's draws untouched: runs that differ only there
are paired trial by trial (common random numbers across runs).

In a block of ``n`` trials, each stream draws in this fixed order:

1. (a local stream) each of its links' number of events, ``Poisson(rate * n)``, link by link;
   then a trial index per event (events of a Poisson process fall uniformly into the block's
   trials);
2. (the regional stream) for all common-shock groups together: each group's number of regional
   events ``Poisson(rate * n)``, then a trial per regional event, then a uniform per (regional
   event, member site) for the sites struck;
3. per event a uniform ``u`` (thinning by frequency-reducing controls), then the standard
   normals of the damage severities, then those of the downtime severities;
4. (the regional stream, only if some group correlates severities) per regional event a
   standard normal common to the damage of the sites it strikes, then one common to their
   downtime; a struck link's normals become ``sqrt(rho) F + sqrt(1 - rho) e`` (a register
   without a correlation draws nothing here).

A block's events are ordered stream by stream: local streams in link order (a group's events
link by link), then the strikes, group by group, regional event by regional event, site by
site, link by link. Each recurring cost component draws ``n`` values of its uncertain factor
from its stream. Each outage-episode model (:class:`~climaterisk.model.compile.Followup`)
draws, from its stream, a uniform and a standard normal per event of the block on its source
links, in event order.

Only the events that occur are sampled (about 14 ns of random numbers per event, see
``docs/performance.md``, plus about 75 microseconds of Python per stream a block), and the
chunk's arrays are written in place into buffers that a thread reuses from chunk to chunk
(:class:`Workspace`), so that the memory of a chunk is allocated once, not faulted in again for
every chunk.
"""

from __future__ import annotations

import functools
import itertools
import zlib
from dataclasses import dataclass, field

import numpy as np

from climaterisk.model.compile import Followup, Portfolio
from climaterisk.model.shocks import ShockTable

BLOCK_TRIALS = 10_000
"""Trials per random-stream block (fewer for large registers, see :func:`block_trials`).
Changing it changes the draws (the block size used is in the manifest)."""

BLOCK_SIZES = (10_000, 5_000, 2_000, 1_000, 500, 250, 125, 50, 25, 10, 5, 2, 1)
"""The block sizes allowed, largest first."""

MAX_BLOCK_EVENTS = 2**20
"""Expected events in one block at most: a block is drawn whole, so this bounds the memory of
one thread's draws (about 100 bytes an event)."""

MAX_DOWNTIME_DAYS = 365.0
"""Cap on the downtime of one event [days]: an outage cannot outlast the simulated year."""

LOCAL_EVENTS, SHOCK_EVENTS, RECURRING, EPISODES = 0, 1, 2, 3
"""Kinds of stream: local events (a link's own, or a group of links', see
:func:`stream_groups`), a common-shock group's regional events, a recurring cost component,
the episodes that follow outages."""


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
    # per outage-episode model: (uniform, standard normal) per event; uniform 2 off its source links
    episode: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
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
    """Trials per block for ``portfolio``: the largest of :data:`BLOCK_SIZES` whose expected
    events stay within :data:`MAX_BLOCK_EVENTS` (10,000 up to about 100 events a year, e.g. 300
    links at 0.34 events a year each; 50 for 40,000 such links). Large blocks spread the Python
    cost of positioning streams over many trials. A function of the register and scenario only,
    so results do not depend on how a run is chunked or threaded."""
    per_trial = expected_events(portfolio)
    for size in BLOCK_SIZES:
        if size * per_trial <= MAX_BLOCK_EVENTS:
            return size
    return 1


MAX_STREAMS = 64
"""Local event streams per block at most: a register with up to this many links gives every
link its own stream; a larger one groups consecutive links (in link order) into this many
streams, so that the cost of positioning streams stays bounded (about 15 microseconds a stream
a block: 1 ms a block at most, against 20 ms for the draws of a 400-link block)."""

BLOCK_STRIDE = 1 << 64
"""Steps of a stream's generator between the starts of two consecutive blocks (far more than a
block ever draws)."""


@functools.lru_cache(maxsize=8192)
def _base_state(seed: int, year: int, kind: int, key: int) -> dict:
    """The PCG64 state at the start of block 0 of stream ``(kind, key)``: from numpy's
    ``SeedSequence(seed, spawn_key=(year, kind, key))``, computed once and cached."""
    return np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(year, kind, key))).state


class Streams:
    """Positions one reusable generator at the start of any block of any keyed stream.

    Stream ``(kind, key)`` of block ``b`` starts ``b * BLOCK_STRIDE`` steps after the stream's
    base state, so a block's numbers depend only on the seed, the year, the stream and the
    block, and a stream is positioned in a few microseconds (a new ``SeedSequence`` takes
    about 50). One instance per thread: the generator is shared by the streams it positions.
    """

    def __init__(self, seed: int, year: int) -> None:
        self.seed, self.year = seed, year
        self.bits = np.random.PCG64(0)
        self.rng = np.random.Generator(self.bits)

    def at(self, block: int, kind: int, key: int) -> np.random.Generator:
        """The generator at the start of ``block`` in stream ``(kind, key)``."""
        self.bits.state = _base_state(self.seed, self.year, kind, key)
        if block:
            self.bits.advance(block * BLOCK_STRIDE)
        return self.rng


@dataclass(frozen=True)
class StreamGroup:
    """Links that share one event stream (one link each, up to :data:`MAX_STREAMS` links)."""

    key: int
    links: np.ndarray  # [int] link indices, in link order
    rates: np.ndarray  # [events/yr] their local rates


def stream_groups(portfolio: Portfolio) -> list[StreamGroup]:
    """The event streams of ``portfolio``'s local (not common-shock) events: one per link with a
    positive rate, keyed by the link's own key, when the register has at most
    :data:`MAX_STREAMS` links; else :data:`MAX_STREAMS` groups of consecutive links (by count,
    whatever their rates), keyed by their members' keys. Rates enter only the draws, never the
    grouping, so changing one link's rate leaves every other stream as it was."""
    lk = portfolio.links
    n = len(lk)
    if n <= MAX_STREAMS:
        return [StreamGroup(int(lk.key[i]), np.array([i], dtype=np.int64), lk.local_rate[i:i + 1])
                for i in range(n) if lk.local_rate[i] > 0]
    bounds = np.linspace(0, n, MAX_STREAMS + 1).astype(np.int64)
    out = []
    for lo, hi in itertools.pairwise(bounds):
        ids = np.arange(lo, hi, dtype=np.int64)
        out.append(StreamGroup(zlib.crc32(lk.key[lo:hi].astype(np.uint32).tobytes()), ids,
                               lk.local_rate[lo:hi]))
    return out


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


def _correlate(rng: np.random.Generator, rho: np.ndarray, common: Strikes,
               z: tuple[np.ndarray, np.ndarray]) -> None:
    """Step 5 of the module doc: the normals ``z`` (damage, downtime) of the strikes mixed in
    place with a factor per regional event, drawn after them; ``rho`` per group."""
    factors = [rng.standard_normal(common.events) for _ in z]
    r = rho[common.group]
    for values, factor in zip(z, factors, strict=True):
        values *= np.sqrt(1.0 - r)
        values += np.sqrt(r) * factor[common.event]


def _trials(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``k`` trials uniform on ``0 .. n - 1``, as ``floor(n u)`` of uniform doubles: for the few
    hundred events of one stream in a block this is several times faster than
    ``rng.integers`` (whose setup dominates small draws); the bias is below 2^-40."""
    trial = rng.random(k)
    trial *= n
    return trial.astype(np.int64)


@dataclass
class _Part:
    """One stream's events in one block, after pass 1 (steps 1-3 of the module doc): their links
    and trials, and the stream's state, from which pass 2 draws their values (step 4-5)."""

    link: np.ndarray
    trial: np.ndarray  # counted from the chunk's first trial
    state: dict
    strikes: Strikes | None = None


def _block_parts(streams: Streams, portfolio: Portfolio, groups: list[StreamGroup], block: int,
                 n: int, offset: int) -> list[_Part]:
    """Pass 1 for one block: every local stream's events (counts link by link, then a trial
    each), then the strikes of all common-shock groups (one stream: drawn together, three calls
    for all groups, see :func:`_strikes`)."""
    out = []
    for group in groups:
        rng = streams.at(block, LOCAL_EVENTS, group.key)
        if len(group.links) == 1:
            link = np.full(rng.poisson(group.rates[0] * n), group.links[0], dtype=np.int64)
        else:
            link = _expand(group.links, rng.poisson(group.rates * n))
        trial = _trials(rng, n, len(link))
        trial += offset
        out.append(_Part(link, trial, streams.bits.state))
    if portfolio.groups:
        rng = streams.at(block, SHOCK_EVENTS, 0)
        common = _strikes(rng, portfolio.shocks, n)
        out.append(_Part(common.link, common.trial + offset, streams.bits.state, common))
    return out


def draw_chunk(portfolio: Portfolio, seed: int, trials: int, first: int, end: int,
               ws: Workspace | None = None) -> Draws:
    """All random draws of blocks ``first`` to ``end - 1`` (of ``trials`` in all), joined.

    Events are in block order, then stream order (local streams, then common-shock groups),
    then the order of the module doc."""
    links, year = portfolio.links, portfolio.year
    streams = Streams(seed, year)
    size = block_trials(portfolio)
    if not 0 <= first < end <= -(-trials // size):
        raise ValueError(f"blocks {first} to {end - 1} of {trials} trials in blocks of {size}")
    sizes = [min(size, trials - b * size) for b in range(first, end)]
    offsets = [int(x) for x in np.cumsum([0, *sizes])]
    groups = stream_groups(portfolio)
    per_block = [_block_parts(streams, portfolio, groups, block, n, offset)
                 for block, n, offset in zip(range(first, end), sizes, offsets, strict=False)]
    parts = [part for block in per_block for part in block]
    m = sum(len(part.link) for part in parts)
    empty = [np.zeros(0, dtype=np.int64)]
    link = np.concatenate([p.link for p in parts] or empty, out=scratch(ws, "link", m, np.int64))
    trial = np.concatenate([p.trial for p in parts] or empty, out=scratch(ws, "trial", m, np.int64))
    u, z1, z2 = (scratch(ws, name, m) for name in ("u", "damage", "days"))
    start = 0
    correlated = portfolio.shocks.correlated
    for p in parts:  # pass 2 (steps 4-5), stream by stream, into the chunk's arrays
        stop = start + len(p.link)
        if stop > start:
            streams.bits.state = p.state
            rng = streams.rng
            rng.random(out=u[start:stop])
            rng.standard_normal(out=z1[start:stop])
            rng.standard_normal(out=z2[start:stop])
            if correlated and p.strikes is not None:
                _correlate(rng, portfolio.shocks.correlation, p.strikes, (z1[start:stop], z2[start:stop]))
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
        np.concatenate([comp.dist.draw(n, streams.at(block, RECURRING, comp.key))
                        for block, n in zip(range(first, end), sizes, strict=True)])
        for comp in portfolio.costs
    ]
    events_per_block = [sum(len(part.link) for part in block) for block in per_block]
    episode = [_episode_draws(f, streams, range(first, end), events_per_block, link)
               for f in portfolio.followups]
    return Draws(offsets[-1], link, trial, u, z1, z2, cost, episode)


def _episode_draws(followup: Followup, streams: Streams, blocks: range, per_block: list[int],
                   link: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An outage-episode model's uniform and normal per event of the chunk (``per_block``: the
    events of each block, in order), drawn block by block for the events on its source links."""
    v, z = np.full(len(link), 2.0), np.zeros(len(link))
    start = 0
    for block, k in zip(blocks, per_block, strict=True):
        at = start + np.flatnonzero(followup.sources[link[start:start + k]])
        rng = streams.at(block, EPISODES, followup.key)
        v[at] = rng.random(len(at))
        z[at] = rng.standard_normal(len(at))
        start += k
    return v, z


def draw_block(portfolio: Portfolio, seed: int, block: int, n: int) -> Draws:
    """The draws of block ``block`` holding ``n`` trials (fresh arrays)."""
    return draw_chunk(portfolio, seed, block * block_trials(portfolio) + n, block, block + 1)

"""Exact aggregation: the annual-loss distribution by discretisation and FFT, without sampling.

The annual loss of a set of links is a sum of independent parts: compound Poisson sums of the
links' own events, compound Poisson sums of regional events (each striking site ``j`` of the
region with probability ``p_j``, its footprint), and the recurring cost components. On a grid of
step ``h``, with ``phi`` the discrete Fourier transform of a distribution, the annual loss has
transform

    prod_l exp(lambda_l (phi_l - 1))
  x prod_g exp(Lambda_g (prod_j (1 - p_j + p_j prod_{l at j} phi_l) - 1))
  x prod_c phi_c

where ``phi_l`` is the transform of one event's loss on link ``l`` after controls (damage plus
downtime, capped, less insurance recoveries, thinned by frequency reductions) and ``phi_c`` that
of a recurring component. One inverse FFT gives the probabilities on the grid.

Discretisation. Lognormal parts (an event's damage and downtime, a lognormal recurring
component) get moment-keeping masses: a value between two grid points is shared between them in
proportion to its distance, so the masses keep the part's mean
(:func:`~climaterisk.model.discretise.lognormal_masses`). Caps are rounded to the nearest grid
point, and a lognormal's mass beyond its cap, beyond ``exp(mu + TAIL_Z sigma)`` or beyond the
grid goes to the last point it reaches. A uniform component puts the probability of each cell
``((k - 1/2) h, (k + 1/2) h]`` at ``k``. Damage and downtime of one event convolve; the
insurance bands (disjoint after :func:`climaterisk.model.controls.merge_layers`) map each grid
value to its net value, whose mass is shared between the two grid points around it in
proportion to its distance (:func:`~climaterisk.model.discretise.respread`), so that the mean
net of insurance is kept too; thinning mixes the event with a point mass at 0.

Grids. Every distribution (the total on :data:`GRID_POINTS` points; each risk, category and
site on :data:`BREAKDOWN_POINTS`) has its own step, fitted to its own size
(:meth:`Aggregator._step`, :data:`TAIL_SDS`): half the grid covers the support, half is padding,
so that wrap-around aliasing stays negligible. A selection whose body scale spans fewer than
:data:`MIN_CELLS` steps is computed again on a finer grid, up to :data:`MAX_POINTS` points, and
marked ``resolved=False`` if still too coarse (:func:`refined`). Quantiles and tail means spread
the mass at each grid point ``k > 0`` evenly over its cell
(:class:`~climaterisk.model.discretise.Distribution`).

The distributions on a grid and the masses they are built from are in
:mod:`climaterisk.model.discretise`; this module fits the grids and convolves the parts.

Threads. :func:`exact_many` computes the distributions of several (portfolio, configuration)
pairs on one pool of ``workers`` threads when ``workers > 1`` and they hold at least
:data:`THREADED_LINKS` links, on one thread otherwise; the results do not depend on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from climaterisk.model.compile import Portfolio
from climaterisk.model.controls import Config, net_of_layers
from climaterisk.model.discretise import Distribution, component_masses, lognormal_masses, respread
from climaterisk.model.draws import MAX_DOWNTIME_DAYS
from climaterisk.register.distributions import LogNormal

GRID_POINTS = 2**15
"""Points of the FFT grid of the total (half of it covers the support, half is padding)."""

BREAKDOWN_POINTS = 2**13
"""Points of the grids of the breakdowns (by risk, category and site), each fitted to its size."""

MAX_POINTS = 2**17
"""Most points of a grid refined for a selection whose body is narrow (see :func:`refined`)."""

MIN_CELLS = 16
"""Grid steps wanted below a selection's VaR 95% (or VaR 99% when VaR 95% is 0)."""

THREADED_LINKS = 1000
"""Links (summed over the cases) from which :func:`exact_many` uses threads: below, its many
small transforms hold the GIL longer than they compute, and one thread is faster."""

TAIL_SDS = 12.0
"""Sets the support that half of a grid covers (:meth:`Aggregator._step`): the larger of the
mean plus ``2 * TAIL_SDS`` (24) standard deviations of the annual loss (doubled because shared
components and common shocks correlate the parts) and 4 times the 99.99th percentile of the
largest single event or recurring component. The mean and standard deviation are generous
estimates: of losses before caps, insurance and frequency reductions, with a recurring
component's second moment (a uniform one's largest value squared) in place of its variance."""


class Aggregator:
    """Exact distributions of sums of a portfolio's parts under one control configuration.

    Each sum gets its own grid, fitted to its own size, so that a small site is resolved as
    finely as the whole company.
    """

    def __init__(self, portfolio: Portfolio, config: Config):
        self.p, self.c = portfolio, config
        lk = portfolio.links
        self.rate = lk.local_rate.copy()  # marginal event rate per link, common shocks included
        for g in portfolio.groups:
            for j, links in enumerate(g.site_links):
                self.rate[links] += g.rate * g.footprint[j]

    # ----------------------------------------------------------------- grid
    def _event_moments(self, link: int) -> tuple[float, float, float]:
        """Mean, second moment and a high quantile of one event's loss (before insurance)."""
        lk, c = self.p.links, self.c
        mult = lk.sev_mult[link]
        a = lk.a_scale[link] * c.sev_a[link] * mult
        b = lk.b_scale[link] * lk.has_down[link] * c.sev_b[link] * mult
        ma, sa, mb, sb = lk.mu_a[link], lk.s_a[link], lk.mu_b[link], lk.s_b[link]
        m1 = a * math.exp(ma + sa**2 / 2) + b * math.exp(mb + sb**2 / 2)
        m2 = (a * a * math.exp(2 * ma + 2 * sa**2) + b * b * math.exp(2 * mb + 2 * sb**2)
              + 2 * a * b * math.exp(ma + mb + (sa**2 + sb**2) / 2))
        # the caps act after the scenario's multiplier, before the controls' factors
        cap_a = lk.a_cap[link] * c.sev_a[link]
        cap_b = MAX_DOWNTIME_DAYS * lk.b_scale[link] * lk.has_down[link] * c.sev_b[link]
        top = min(a * math.exp(ma + 3.72 * sa), cap_a) + min(b * math.exp(mb + 3.72 * sb), cap_b)
        return m1, m2, top

    def _step(self, links: np.ndarray, cost_members: dict[int, list[int]], n: int) -> float:
        """Grid step for a sum: half the grid covers mean + TAIL_SDS x 2 sd, and 4 x the
        99.99th percentile of its largest single event or component."""
        mean, var, top = 0.0, 0.0, 0.0
        for link in links:
            m1, m2, q = self._event_moments(int(link))
            mean += self.rate[link] * m1
            var += self.rate[link] * m2
            top = max(top, q)
        for index, members in cost_members.items():
            comp, factor = self.p.costs[index], self.c.cost_factor[index]
            s = float(sum(comp.scale[j] * factor[j] for j in members))
            d = comp.dist
            if isinstance(d, LogNormal):
                mean += s * d.mean()
                var += s * s * math.exp(2 * d.mu + 2 * d.sigma**2)
                top = max(top, s * math.exp(d.mu + 3.72 * d.sigma))
            else:
                mean += s * d.mean()
                var += s * s * d.high**2
                top = max(top, s * d.high)
        # shared components and common shocks correlate the parts: widen generously
        support = max(mean + TAIL_SDS * math.sqrt(max(var, 0.0)) * 2.0, top * 4.0, 1e-6)
        return support / (n // 2)

    # ----------------------------------------------------------------- transforms
    def phi_link(self, link: int, h: float, n: int) -> np.ndarray:
        """Transform of one event's loss on ``link`` after controls, on ``n`` points of step ``h``."""
        lk, c = self.p.links, self.c
        mult = lk.sev_mult[link]
        a = lk.a_scale[link] * c.sev_a[link] * mult
        cap = lk.a_cap[link] * c.sev_a[link]  # the replacement value caps the damage under the scenario
        pmf = lognormal_masses(lk.mu_a[link], lk.s_a[link], a, cap, h, n)
        phi = None
        if lk.has_down[link] and lk.b_scale[link] > 0:
            b = lk.b_scale[link] * c.sev_b[link] * mult
            cap_b = MAX_DOWNTIME_DAYS * lk.b_scale[link] * c.sev_b[link]
            down = lognormal_masses(lk.mu_b[link], lk.s_b[link], b, cap_b, h, n)
            phi = np.fft.rfft(pmf) * np.fft.rfft(down)  # damage + downtime: independent
            if c.deductible.shape[1]:  # insurance needs the event's loss distribution itself
                pmf = np.clip(np.fft.irfft(phi, n), 0.0, None)
                pmf /= pmf.sum()
                phi = None
        if c.deductible.shape[1]:
            x = np.arange(n) * h
            net = net_of_layers(x, c.deductible[link], c.limit[link])
            pmf = respread(pmf, net / h, n)
        if phi is None:
            phi = np.fft.rfft(pmf)
        keep = c.keep[link]
        if keep < 1.0:  # a thinned-out event is a loss of 0, whose transform is 1
            phi *= keep
            phi += 1.0 - keep
        return phi

    def phi_cost(self, index: int, members: Sequence[int], h: float, n: int) -> np.ndarray:
        """Transform of a recurring component restricted to ``members`` (one shared draw)."""
        comp, factor = self.p.costs[index], self.c.cost_factor[index]
        scale = float(sum(comp.scale[j] * factor[j] for j in members))
        return np.fft.rfft(component_masses(comp.dist, scale, h, n))

    def distribution(self, link_mask: np.ndarray, cost_members: dict[int, list[int]],
                     n: int = GRID_POINTS) -> Distribution:
        """The annual loss of the links in ``link_mask`` and of the cost components' members
        ``{component index: [positions in its scale]}``, on a grid of ``n`` points."""
        links = np.flatnonzero(link_mask) if len(link_mask) else np.zeros(0, dtype=np.int64)
        links = np.array([x for x in links if self.rate[x] > 0], dtype=np.int64)
        members = {k: v for k, v in cost_members.items() if v}
        h = self._step(links, members, n)
        phi = {int(x): self.phi_link(int(x), h, n) for x in links}
        log_phi = np.zeros(n // 2 + 1, dtype=complex)
        lk = self.p.links
        for link, f in phi.items():
            if lk.local_rate[link] > 0:
                log_phi += lk.local_rate[link] * (f - 1.0)
        for g in self.p.groups:
            per_event = np.ones(n // 2 + 1, dtype=complex)
            touched = False
            for j, site_links in enumerate(g.site_links):
                chosen = [int(x) for x in site_links if int(x) in phi]
                if not chosen:
                    continue
                touched = True
                chi = np.ones(n // 2 + 1, dtype=complex)
                for link in chosen:
                    chi *= phi[link]
                per_event *= 1.0 - g.footprint[j] + g.footprint[j] * chi
            if touched:
                log_phi += g.rate * (per_event - 1.0)
        total = np.exp(log_phi)
        for index, m in members.items():
            total *= self.phi_cost(index, m, h, n)
        pmf = np.clip(np.fft.irfft(total, n), 0.0, None)
        return Distribution(h, pmf / pmf.sum())


def body_scale(agg: Aggregator, dist: Distribution, members: dict[int, list[int]]) -> float:
    """The scale a selection's results depend on [currency/yr]: its VaR 95%; where that is 0 on
    the grid, the median of its largest recurring cost (a narrow cost that rounds to 0 on a
    coarse grid leaves VaR 95% at 0; its median still shows the scale), else its VaR 99%."""
    st = dist.stats()
    if st.var95 > 0:
        return st.var95
    medians = []
    for index, m in members.items():
        comp, factor = agg.p.costs[index], agg.c.cost_factor[index]
        s = float(sum(comp.scale[j] * factor[j] for j in m))
        d = comp.dist
        medians.append(s * (math.exp(d.mu) if isinstance(d, LogNormal) else 0.5 * (d.low + d.high)))
    return max(medians) if medians and max(medians) > 0 else st.var99


def refined(agg: Aggregator, link_mask: np.ndarray, members: dict[int, list[int]], n: int) -> Distribution:
    """``agg.distribution`` on ``n`` points, on more (up to :data:`MAX_POINTS`) where the
    selection's :func:`body_scale` spans fewer than :data:`MIN_CELLS` grid steps: a narrow body
    next to a rare, much larger event (a site's cooling cost beside a rare flood) needs it. A
    distribution still coarser than that at :data:`MAX_POINTS` is marked ``resolved=False``."""
    used = {k: v for k, v in members.items() if v}
    dist = agg.distribution(link_mask, used, n)
    while True:
        body = body_scale(agg, dist, used)
        if body <= 0 or body >= MIN_CELLS * dist.h:
            return dist
        if n >= MAX_POINTS:
            return Distribution(dist.h, dist.pmf, resolved=False)
        n = min(MAX_POINTS, n * 2 ** math.ceil(math.log2(MIN_CELLS * dist.h / body)))
        dist = agg.distribution(link_mask, used, n)


Job = tuple[str, str, Callable[[], Distribution]]


def exact_lines(portfolio: Portfolio, config: Config,
                workers: int = 1) -> dict[str, dict[str, Distribution]]:
    """Distributions of the total, each risk, each category and each site (risks only).

    ``workers`` threads compute the distributions in parallel (numpy's FFT and scipy's ``ndtr``
    release the GIL); the results do not depend on it."""
    return exact_many([(portfolio, config)], workers)[0]


def exact_many(cases: Sequence[tuple[Portfolio, Config]],
               workers: int = 1) -> list[dict[str, dict[str, Distribution]]]:
    """:func:`exact_lines` of several (portfolio, configuration) pairs, all their
    distributions on one pool of ``workers`` threads (the totals, the largest, first) when the
    cases hold at least :data:`THREADED_LINKS` links.

    Raises ``ValueError`` for a portfolio whose links are dependent beyond sharing a regional
    event's occurrence (:meth:`~climaterisk.model.compile.Portfolio.dependence`): the transforms
    multiply as if they were not (the assessment refuses such a register before it gets here).
    """
    for portfolio, _ in cases:
        if portfolio.dependence():
            raise ValueError("the exact method cannot represent: " + "; ".join(portfolio.dependence()))
    jobs = [_jobs(portfolio, config) for portfolio, config in cases]
    flat = [job for case in jobs for job in case]
    order = sorted(range(len(flat)), key=lambda i: flat[i][0] != "total")
    if workers > 1 and sum(len(p.links) for p, _ in cases) >= THREADED_LINKS:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = dict(zip(order, pool.map(lambda i: flat[i][2](), order), strict=True))
    else:
        done = {i: flat[i][2]() for i in order}
    out, i = [], 0
    for case in jobs:
        lines: dict[str, dict[str, Distribution]] = {"total": {}, "risk": {}, "category": {}, "site": {}}
        for level, key, _ in case:
            lines[level][key] = done[i]
            i += 1
        out.append(lines)
    return out


def _jobs(portfolio: Portfolio, config: Config) -> list[Job]:
    """One job per distribution of :func:`exact_lines`: ``(level, key, compute)``."""
    agg = Aggregator(portfolio, config)
    lk = portfolio.links
    n_sites = len(portfolio.site_ids)
    loss_risk = ~portfolio.is_opportunity

    def select(risk_ok: np.ndarray, site: int | None = None, n: int = BREAKDOWN_POINTS) -> Distribution:
        link_mask = risk_ok[lk.risk] if len(lk) else np.zeros(0, dtype=bool)
        if site is not None:
            link_mask = link_mask & (np.where(lk.site < 0, n_sites, lk.site) == site)
        members = {
            index: [j for j, s in enumerate(comp.sites) if site is None or (s if s >= 0 else n_sites) == site]
            for index, comp in enumerate(portfolio.costs) if risk_ok[comp.risk]
        }
        return refined(agg, link_mask, members, n)

    n_risks = len(portfolio.risk_ids)
    cats = np.array(portfolio.categories)
    jobs: list[Job] = [("total", "total", lambda: select(loss_risk, n=GRID_POINTS))]
    jobs += [("risk", portfolio.risk_ids[r], lambda r=r: select(np.arange(n_risks) == r))
             for r in range(n_risks)]
    jobs += [("category", cat, lambda cat=cat: select((cats == cat) & loss_risk))
             for cat in sorted({c for c, o in zip(portfolio.categories, portfolio.is_opportunity,
                                                  strict=True) if not o})]
    jobs += [("site", sid, lambda j=j: select(loss_risk, site=j))
             for j, sid in enumerate([*portfolio.site_ids, "company"])]
    return jobs


def closed_form_mean(portfolio: Portfolio, config: Config) -> float:
    """Expected annual loss of all risks without caps or insurance (a check on the grid)."""
    lk = portfolio.links
    rate = lk.local_rate.copy()
    for g in portfolio.groups:
        for j, links in enumerate(g.site_links):
            rate[links] += g.rate * g.footprint[j]
    loss = ~portfolio.is_opportunity[lk.risk]
    mean_a = lk.a_scale * config.sev_a * np.exp(lk.mu_a + lk.s_a**2 / 2)
    mean_b = lk.b_scale * lk.has_down * config.sev_b * np.exp(lk.mu_b + lk.s_b**2 / 2)
    events = float(np.sum((rate * config.keep * lk.sev_mult * (mean_a + mean_b))[loss]))
    costs = sum(float(np.sum(comp.scale * factor)) * comp.dist.mean()
                for comp, factor in zip(portfolio.costs, config.cost_factor, strict=True)
                if not portfolio.is_opportunity[comp.risk])
    return events + costs

"""Configurations that differ from a base configuration on a few links, evaluated sparsely.

A control's value compares the residual configuration with "every control but this one": on
most trials the two totals are equal, because the control's links had no event. Here all such
configurations of a run are evaluated together, per chunk, only on the events of the links
where each differs from the base (:class:`PairedPlan`, :func:`paired_cells`): the result is a
sparse list of (configuration, trial, total) cells where its total differs from the base's.
:class:`PairedSummary` streams those cells into what a control's value needs (the mean and
standard error of the paired difference, and the VaR 99% of the configuration's total) without
keeping a per-trial array per configuration: per-configuration moments (a few numbers) and the
cells that can still reach the 99% tail (a share of the trials the configuration touches).

Exactness: a cell's total is ``base total + sum of its events' loss differences`` summed in
event order, as :func:`climaterisk.model.simulate.total_by_difference` computes it, so the
totals and the VaR are bit for bit those of the dense computation; the mean and standard error
come from per-chunk sums over the cells (pairwise-merged in chunk order), equal to the dense
``mean``/``std`` within floating-point rounding (relative 1e-12). The VaR uses this: a trial
whose total is not in the cells equals the base's; a dropped cell has ``base <= total < floor``
where the floor is a 99% order statistic of a subset of the base's trials, hence at or below
the base's VaR 99% (checked at the end).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from climaterisk.model.compile import Portfolio
from climaterisk.model.controls import Config, net_of_layers
from climaterisk.model.draws import Draws
from climaterisk.model.streaming import var_index

LEVEL = 0.99
"""The VaR level of a paired configuration's total (a control's VaR 99% benefit)."""

TABLE_CELLS = 1 << 21
"""A chunk's (configuration x trial) cells summed through a dense scratch table up to this many
(a zero-filled array, 16 MB); beyond, and whenever the table would be over 8 times sparser
than the events, through a sort of the cells instead."""


def _layers(config: Config, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Deductibles and limits padded with empty layers to ``width`` (an empty layer recovers
    exactly 0.0, so padding changes no loss)."""
    n, k = config.deductible.shape
    ded, lim = np.zeros((n, width)), np.zeros((n, width))
    ded[:, :k], lim[:, :k] = config.deductible, config.limit
    return ded, lim


def episodes_differ(portfolio: Portfolio, config: Config, base: Config) -> bool:
    """Whether ``config``'s outage episodes can differ from ``base``'s (their chance or cost, or
    the downtime or survival of an event on a source link)."""
    if not portfolio.followups:
        return False
    if config.followup_keep != base.followup_keep or config.followup_sev != base.followup_sev:
        return True
    changed = (config.sev_b != base.sev_b) | (config.keep != base.keep)
    return any(bool((changed & f.sources).any()) for f in portfolio.followups)


def costs_differ(portfolio: Portfolio, config: Config, base: Config) -> bool:
    """Whether a recurring cost component of a risk (not an opportunity) differs."""
    return any(not portfolio.is_opportunity[comp.risk] and not np.array_equal(f, f0)
               for comp, f, f0 in zip(portfolio.costs, config.cost_factor, base.cost_factor, strict=True))


@dataclass
class PairedPlan:
    """The (link, configuration) pairs where paired configurations differ from ``base``, by link
    (CSR: the pairs of link ``l`` are ``indptr[l]:indptr[l + 1]``), with the configuration's
    loss factors there. ``dense`` lists the slots whose recurring costs or episodes differ: they
    are evaluated in full, by difference (every trial can change)."""

    names: list[str]
    base: str
    indptr: np.ndarray
    slot: np.ndarray
    by_damage: np.ndarray
    per_day: np.ndarray
    keep: np.ndarray
    deductible: np.ndarray
    limit: np.ndarray
    insured: np.ndarray
    dense: list[int]


def paired_plan(portfolio: Portfolio, configs: Sequence[Config], base: Config) -> PairedPlan:
    """The plan of ``configs`` against ``base`` (see :class:`PairedPlan`)."""
    links = portfolio.links
    n_links = len(links)
    width = max([base.deductible.shape[1], *(c.deductible.shape[1] for c in configs)])
    b_scale = links.b_scale
    ded0, lim0 = _layers(base, width)
    fb0 = base.sev_b * b_scale
    loss_link = ~portfolio.is_opportunity[links.risk] if n_links else np.zeros(0, dtype=bool)
    parts: list[tuple[np.ndarray, int, Config, np.ndarray, np.ndarray]] = []
    dense = []
    for j, c in enumerate(configs):
        ded, lim = _layers(c, width)
        fb = c.sev_b * b_scale
        differ = ((c.sev_a != base.sev_a) | (fb != fb0) | (c.keep != base.keep)
                  | (ded != ded0).any(axis=1) | (lim != lim0).any(axis=1)) & loss_link
        if episodes_differ(portfolio, c, base) or costs_differ(portfolio, c, base):
            dense.append(j)
            continue
        idx = np.flatnonzero(differ)
        if len(idx):
            parts.append((idx, j, c, ded[idx], lim[idx]))
    link = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    slot = np.concatenate([np.full(len(p[0]), p[1]) for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    order = np.lexsort((slot, link))
    pick = lambda arrays: (np.concatenate(arrays)[order] if arrays else np.zeros(0))  # noqa: E731
    deductible = (np.concatenate([p[3] for p in parts])[order] if parts else np.zeros((0, width)))
    limit = (np.concatenate([p[4] for p in parts])[order] if parts else np.zeros((0, width)))
    return PairedPlan(
        names=[c.name for c in configs], base=base.name,
        indptr=np.concatenate([[0], np.cumsum(np.bincount(link, minlength=n_links))]).astype(np.int64),
        slot=slot[order].astype(np.int64),
        by_damage=pick([p[2].sev_a[p[0]] for p in parts]),
        per_day=pick([(p[2].sev_b * b_scale)[p[0]] for p in parts]),
        keep=pick([p[2].keep[p[0]] for p in parts]),
        deductible=deductible, limit=limit, insured=(limit > 0).any(axis=1),
        dense=dense,
    )


def paired_cells(plan: PairedPlan, draws: Draws, base_total: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(slot, trial, total)`` of the cells of this chunk where a (sparse) paired configuration's
    total differs from the base's, ordered by slot then trial. Only the events of the links where
    a configuration differs are evaluated (once per configuration differing there)."""
    n = draws.n
    k = draws.link
    degree = np.diff(plan.indptr)
    per_event = degree[k] if len(k) else np.zeros(0, dtype=np.int64)
    events = np.flatnonzero(per_event)
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    if len(events) == 0:
        return empty
    count = per_event[events]
    pairs = int(count.sum())
    if pairs == len(events):  # one configuration per event's link (the many-rows layout)
        ev, q = events, np.take(plan.indptr, np.take(k, events, mode="clip"), mode="clip")
    else:
        ev = np.repeat(events, count)
        q = np.repeat(plan.indptr[k[events]] - (np.cumsum(count) - count), count)
        q += np.arange(pairs)

    def at(values: np.ndarray, index: np.ndarray) -> np.ndarray:
        return np.take(values, index, mode="clip")

    # the loss of each (event, configuration), computed as simulate.event_loss does
    loss = at(plan.by_damage, q)
    loss *= at(draws.damage, ev)
    gathered = at(plan.per_day, q)
    gathered *= at(draws.days, ev)
    loss += gathered
    insured = np.flatnonzero(plan.insured[q])
    if len(insured):
        qi = q[insured]
        loss[insured] = net_of_layers(loss[insured], plan.deductible[qi], plan.limit[qi])
    loss *= at(draws.u, ev) < at(plan.keep, q)
    loss -= at(draws.losses[plan.base], ev)
    cell = at(plan.slot, q)
    cell *= n
    cell += at(draws.trial, ev)
    size = len(plan.names) * n
    if size <= TABLE_CELLS and size <= 8 * pairs:  # summed in event order per cell either way
        sums = np.bincount(cell, weights=loss, minlength=size)
        nz = np.flatnonzero(sums)
        value = sums[nz]
    else:
        unique, inverse = np.unique(cell, return_inverse=True)
        sums = np.bincount(inverse.reshape(-1), weights=loss, minlength=len(unique))
        keep = np.flatnonzero(sums)
        nz, value = unique[keep], sums[keep]
    slot, trial = np.divmod(nz, n)
    return slot, trial, base_total[trial] + value


class _Floor:
    """The K-th largest of the base totals seen so far (``-inf`` before K): a lower bound of the
    base's final VaR."""

    def __init__(self, k: int):
        self.k = k
        self.top = np.zeros(0)

    def update(self, values: np.ndarray) -> float:
        merged = np.concatenate([self.top, values])
        if len(merged) > self.k:
            merged = np.partition(merged, len(merged) - self.k)[len(merged) - self.k:]
        self.top = merged
        return float(merged.min()) if len(merged) >= self.k else -np.inf


@dataclass(frozen=True)
class PairedStats:
    """A paired configuration's results against the base [currency/yr]: the mean and standard
    error of the per-trial difference (configuration minus base), and the VaR of its total."""

    mean: float
    se: float
    var99: float


class PairedSummary:
    """Streams the cells of paired configurations (:func:`paired_cells`) chunk by chunk; memory:
    a few numbers per configuration plus the cells at or above the 99% floor."""

    def __init__(self, names: Sequence[str], trials: int, block: int):
        self.names, self.trials, self.block = list(names), trials, block
        c = len(self.names)
        self.n_merged, self.next_block = 0.0, 0
        self.mean, self.m2 = np.zeros(c), np.zeros(c)
        self.early: dict[int, tuple[int, float, np.ndarray, np.ndarray]] = {}
        self.k = trials - var_index(trials, LEVEL)
        self.floor = _Floor(self.k)
        self.floor_used = -np.inf
        self.kept: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.kept_size, self.prune_at = 0, 1 << 16
        self.lock = threading.Lock()

    def add(self, first_block: int, end_block: int, start: int, base_total: np.ndarray,
            slot: np.ndarray, trial: np.ndarray, total: np.ndarray) -> None:
        """One chunk: its first and end block, first trial, the base's totals of its trials and
        its cells (``trial`` counted from ``start``)."""
        n = len(base_total)
        c = len(self.names)
        base = base_total[trial]
        diff = total - base
        mean = np.bincount(slot, weights=diff, minlength=c) / n
        dev = diff - mean[slot]
        dev *= dev
        untouched = n - np.bincount(slot, minlength=c)
        m2 = np.bincount(slot, weights=dev, minlength=c) + untouched * mean * mean
        with self.lock:
            floor = self.floor.update(base_total)
            keep = (total >= floor) | (total < base)
            if not keep.all():
                self.floor_used = max(self.floor_used, floor)
            self.kept.append((slot[keep], trial[keep] + start, total[keep], total[keep] < base[keep]))
            self.kept_size += int(keep.sum())
            if self.kept_size > self.prune_at:
                self._prune(floor)
            self.early[first_block] = (end_block, float(n), mean, m2)
            while self.next_block in self.early:
                end, nb, mean_b, m2_b = self.early.pop(self.next_block)
                delta = mean_b - self.mean
                n_new = self.n_merged + nb
                self.mean = self.mean + delta * (nb / n_new)
                self.m2 = self.m2 + m2_b + delta * delta * (self.n_merged * nb / n_new)
                self.n_merged, self.next_block = n_new, end

    def _prune(self, floor: float) -> None:
        slot, trial, total, neg = (np.concatenate(a) for a in zip(*self.kept, strict=True))
        keep = (total >= floor) | neg
        if not keep.all():
            self.floor_used = max(self.floor_used, floor)
        self.kept = [(slot[keep], trial[keep], total[keep], neg[keep])]
        self.kept_size = int(keep.sum())
        self.prune_at = max(1 << 16, 2 * self.kept_size)

    def finish(self, base_total: np.ndarray) -> dict[str, PairedStats]:
        """Each configuration's stats, given the base's total of every trial; frees the cells."""
        n = self.trials
        if self.early or self.n_merged != n or len(base_total) != n:
            raise RuntimeError("a chunk of trials is missing")
        if self.kept:
            slot, trial, total, _ = (np.concatenate(a) for a in zip(*self.kept, strict=True))
        else:
            slot, trial, total = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        self.kept = []
        order = np.argsort(slot, kind="stable")
        slot, trial, total = slot[order], trial[order], total[order]
        bounds = np.searchsorted(slot, np.arange(len(self.names) + 1))
        widest = int(np.diff(bounds).max()) if len(self.names) else 0
        m = min(n, self.k + widest)
        top = np.argpartition(base_total, n - m)[n - m:]
        top = top[np.argsort(-base_total[top], kind="stable")]
        out = {}
        for j, name in enumerate(self.names):
            t, w = trial[bounds[j]:bounds[j + 1]], total[bounds[j]:bounds[j + 1]]
            candidates = top[: self.k + len(t)]
            values = np.concatenate([base_total[candidates[~np.isin(candidates, t)]], w])
            cut = len(values) - self.k
            var99 = float(np.partition(values, cut)[cut])
            if var99 < self.floor_used:
                raise RuntimeError(f"{name}: VaR below the tail floor; cells were dropped wrongly")
            std = float(np.sqrt(max(self.m2[j], 0.0) / (n - 1))) if n > 1 else 0.0
            out[name] = PairedStats(float(self.mean[j]), std / float(np.sqrt(n)), var99)
        return out

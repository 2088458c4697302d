"""ISO 22301 exposure by Monte Carlo: what falls on certified and uncertified sites, per trial.

An observer of :func:`climaterisk.model.simulate.simulate`: for the inherent and residual
configurations it collects the shares of disruptive events, downtime days and losses that fall
on certified sites; the chance per year of at least one disruptive event at an uncertified
site; and, for sites with an RTO or MTPD, the chance per year that an outage lasts longer than
it. A *disruptive event* is an acute site event that survives the frequency-reducing controls
of the configuration. Certification per site is read from the register
(:func:`climaterisk.register.certification.certified_in`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

import numpy as np

from climaterisk.model.compile import Portfolio
from climaterisk.model.controls import Config
from climaterisk.model.draws import Draws, gather
from climaterisk.model.simulate import event_cells, event_outcomes
from climaterisk.register import Register
from climaterisk.register.certification import certified_in


class ExposureObserver:
    """Collects, per trial, what falls on certified and uncertified sites (an observer for
    :func:`climaterisk.model.simulate.simulate`)."""

    def __init__(self, register: Register, portfolio: Portfolio, configs: Sequence[Config],
                 trials: int, year: int):
        self.portfolio = portfolio
        self.configs = list(configs)
        sites = {s.id: s for s in register.sites}
        self.site_list = [sites[sid] for sid in portfolio.site_ids]
        self.certified = np.array([certified_in(register, s, year) for s in self.site_list])
        nan = float("nan")
        self.rto = np.array([s.rto_days if s.rto_days is not None else nan for s in self.site_list])
        self.mtpd = np.array([s.mtpd_days if s.mtpd_days is not None else nan for s in self.site_list])
        links = portfolio.links
        self.disruptive_link = (
            (links.site >= 0) & np.array([h is not None for h in links.hazard], dtype=bool)
            & ~portfolio.is_opportunity[links.risk]
        ) if len(links) else np.zeros(0, dtype=bool)
        n_sites = len(self.site_list)
        # per link: 0 an uncertified site, 1 a certified site, 2 not a disruptive site event;
        # and the site's RTO and MTPD [days] (inf where none, or not disruptive: never exceeded)
        site = np.where(links.site >= 0, links.site, 0)
        certified_link = self.certified[site] if n_sites else np.zeros(len(links), dtype=bool)
        self.link_class = np.where(self.disruptive_link, certified_link.astype(np.int64), 2)
        self.limit_link = {
            name: np.where(self.disruptive_link & ~np.isnan(limit[site]), limit[site], np.inf)
            if n_sites else np.full(len(links), np.inf)
            for name, limit in (("rto", self.rto), ("mtpd", self.mtpd))
        }
        self.data = {
            c.name: {
                **{k: np.zeros(trials) for k in (
                    "events", "events_cert", "days", "days_cert", "loss", "loss_cert")},
                # trials (counts) with an event at an uncertified site; with downtime beyond a
                # site's RTO / MTPD, by site and at any site: each trial is in one chunk only,
                # so integer counts add up exactly whatever the chunking
                "uncert_event": np.zeros(1, dtype=np.int64),
                "rto": np.zeros(n_sites + 1, dtype=np.int64),
                "mtpd": np.zeros(n_sites + 1, dtype=np.int64),
            }
            for c in self.configs
        }
        self.trials = trials
        self.lock = threading.Lock()

    def __call__(self, start: int, draws: Draws) -> None:
        n, n_sites = draws.n, len(self.site_list)
        k = draws.link
        if len(k) == 0:
            return
        class_cell = gather(self.link_class, k, np.empty(len(k), dtype=np.int64))
        class_cell *= n
        class_cell += draws.trial
        _, site_cell = event_cells(self.portfolio, draws)
        window = slice(start, start + n)
        for config in self.configs:
            loss, days = event_outcomes(self.portfolio, draws, config)
            counted = (draws.u < config.keep[k]).astype(float) if np.any(config.keep < 1.0) else None
            d = self.data[config.name]
            counts = {}
            for name, weights in (("events", counted), ("days", days), ("loss", loss)):
                table = np.bincount(class_cell, weights=weights, minlength=3 * n).reshape(3, n)
                d[name][window] += table[0] + table[1]
                d[name + "_cert"][window] += table[1]
                if name == "events":
                    counts["uncert_event"] = np.array([np.count_nonzero(table[0] > 0)])
            for name, limit in self.limit_link.items():
                over = np.flatnonzero(days > gather(limit, k, np.empty(len(k))))
                hit = np.zeros(n_sites + 1, dtype=np.int64)
                if len(over):
                    flat = np.bincount(site_cell[over], minlength=(n_sites + 2) * n)
                    exceeded = flat.reshape(n_sites + 2, n)[:n_sites] > 0
                    hit[:n_sites] = exceeded.sum(axis=1)
                    hit[n_sites] = np.count_nonzero(exceeded.any(axis=0))
                counts[name] = hit
            with self.lock:
                for name, value in counts.items():
                    d[name] += value

    def results(self) -> dict:
        out = {}
        for config in self.configs:
            d = self.data[config.name]
            has_rto = ~np.isnan(self.rto)
            has_mtpd = ~np.isnan(self.mtpd)
            out[config.name] = {
                "events_on_certified_share": _ratio(d["events_cert"], d["events"]),
                "downtime_on_certified_share": _ratio(d["days_cert"], d["days"]),
                "loss_on_certified_share": _ratio(d["loss_cert"], d["loss"]),
                "disruptive_events_per_year": _mean(d["events"]),
                "p_event_at_uncertified_site": _prob(int(d["uncert_event"][0]), self.trials),
                "p_downtime_exceeds_rto": _prob(int(d["rto"][-1]), self.trials)
                if has_rto.any() else None,
                "p_downtime_exceeds_mtpd": _prob(int(d["mtpd"][-1]), self.trials)
                if has_mtpd.any() else None,
                "by_site": [
                    {"site": s.id, "kind": s.kind, "certified": bool(self.certified[j]),
                     "rto_days": s.rto_days, "mtpd_days": s.mtpd_days,
                     "p_downtime_exceeds_rto": _prob(int(d["rto"][j]), self.trials)
                     if has_rto[j] else None,
                     "p_downtime_exceeds_mtpd": _prob(int(d["mtpd"][j]), self.trials)
                     if has_mtpd[j] else None}
                    for j, s in enumerate(self.site_list)
                ],
            }
        return out


def _mean(x: np.ndarray) -> dict:
    n = len(x)
    return {"value": float(x.mean()), "se": float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0}


def _prob(hits: int, trials: int) -> dict:
    """A probability from the number of trials where something happened, with its binomial
    standard error."""
    p = hits / trials
    return {"value": p, "se": math.sqrt(p * (1 - p) / trials)}


def _ratio(part: np.ndarray, whole: np.ndarray) -> dict | None:
    """Share sum(part) / sum(whole) with its delta-method standard error."""
    total = whole.sum()
    if total == 0:
        return None
    r = float(part.sum() / total)
    n = len(whole)
    resid = part - r * whole
    se = float(resid.std(ddof=1) / math.sqrt(n) / whole.mean()) if n > 1 else 0.0
    return {"value": r, "se": se}

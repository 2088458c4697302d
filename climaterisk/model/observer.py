"""ISO 22301 exposure by Monte Carlo: what falls on certified and uncertified sites, per trial.

An observer of :func:`climaterisk.model.simulate.simulate`: for the inherent and residual
configurations it collects the shares of disruptive events, downtime days and losses that fall
on certified sites (all, under the company's BCMS, under a lessor's certificate) and on sites of
unknown status; the chance per year of at least one disruptive event at a site known to be
uncertified, and at a site of unknown status; and, for sites with an RTO or MTPD, the chance
per year that an outage lasts longer than it. A *disruptive event* is an acute site event that
survives the frequency-reducing controls of the configuration. The status per site is read from the register
(:func:`climaterisk.register.certification.status_in`).
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
from climaterisk.register.certification import CERTIFIED_STATUSES, status_in

_CLASSES = ("not_certified", "company", "lessor", "unknown")
"""The ISO 22301 statuses in the order of their class numbers."""
_NOT_DISRUPTIVE = len(_CLASSES)
_N_CLASSES = _NOT_DISRUPTIVE + 1


class ExposureObserver:
    """Collects, per trial, what falls on certified and uncertified sites (an observer for
    :func:`climaterisk.model.simulate.simulate`)."""

    def __init__(self, register: Register, portfolio: Portfolio, configs: Sequence[Config],
                 trials: int, year: int):
        self.portfolio = portfolio
        self.configs = list(configs)
        sites = {s.id: s for s in register.sites}
        self.site_list = [sites[sid] for sid in portfolio.site_ids]
        self.status = [status_in(register, s, year) for s in self.site_list]
        self.certified = np.array([st in CERTIFIED_STATUSES for st in self.status], dtype=bool)
        status_class = np.array([_CLASSES.index(st) for st in self.status], dtype=np.int64)
        nan = float("nan")
        self.rto = np.array([s.rto_days if s.rto_days is not None else nan for s in self.site_list])
        self.mtpd = np.array([s.mtpd_days if s.mtpd_days is not None else nan for s in self.site_list])
        links = portfolio.links
        self.disruptive_link = (
            (links.site >= 0) & np.array([h is not None for h in links.hazard], dtype=bool)
            & ~portfolio.is_opportunity[links.risk]
        ) if len(links) else np.zeros(0, dtype=bool)
        n_sites = len(self.site_list)
        # per link: the class of its site's status (0 not certified, 1 company, 2 lessor,
        # 3 unknown), 4 not a disruptive site event; and the site's RTO and MTPD [days] (inf
        # where none, or not disruptive: never exceeded)
        site = np.where(links.site >= 0, links.site, 0)
        class_link = status_class[site] if n_sites else np.zeros(len(links), dtype=np.int64)
        self.link_class = np.where(self.disruptive_link, class_link, _NOT_DISRUPTIVE)
        self.limit_link = {
            name: np.where(self.disruptive_link & ~np.isnan(limit[site]), limit[site], np.inf)
            if n_sites else np.full(len(links), np.inf)
            for name, limit in (("rto", self.rto), ("mtpd", self.mtpd))
        }
        self.data = {
            c.name: {
                **{f"{m}{suffix}": np.zeros(trials) for m in ("events", "days", "loss")
                   for suffix in ("", "_cert", "_company", "_lessor", "_unknown")},
                # trials (counts) with an event at a site known to be uncertified, at a site of
                # unknown status; with downtime beyond a site's RTO / MTPD, by site and at any
                # site: each trial is in one chunk only, so integer counts add up exactly
                # whatever the chunking
                "uncert_event": np.zeros(1, dtype=np.int64),
                "unknown_event": np.zeros(1, dtype=np.int64),
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
                table = np.bincount(class_cell, weights=weights, minlength=_N_CLASSES * n).reshape(
                    _N_CLASSES, n)
                d[name][window] += table[0] + table[1] + table[2] + table[3]
                d[name + "_cert"][window] += table[1] + table[2]
                d[name + "_company"][window] += table[1]
                d[name + "_lessor"][window] += table[2]
                d[name + "_unknown"][window] += table[3]
                if name == "events":
                    counts["uncert_event"] = np.array([np.count_nonzero(table[0] > 0)])
                    counts["unknown_event"] = np.array([np.count_nonzero(table[3] > 0)])
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
                **{f"{measure}_on_{group}_share": _ratio(d[f"{name}_{suffix}"], d[name])
                   for measure, name in (("events", "events"), ("downtime", "days"), ("loss", "loss"))
                   for group, suffix in (("certified", "cert"), ("company_certified", "company"),
                                         ("lessor_certified", "lessor"), ("unknown_status", "unknown"))},
                "disruptive_events_per_year": _mean(d["events"]),
                "p_event_at_uncertified_site": _prob(int(d["uncert_event"][0]), self.trials),
                "p_event_at_unknown_status_site": _prob(int(d["unknown_event"][0]), self.trials),
                "p_downtime_exceeds_rto": _prob(int(d["rto"][-1]), self.trials)
                if has_rto.any() else None,
                "p_downtime_exceeds_mtpd": _prob(int(d["mtpd"][-1]), self.trials)
                if has_mtpd.any() else None,
                "by_site": [
                    {"site": s.id, "kind": s.kind, "certified": bool(self.certified[j]),
                     "iso22301": self.status[j],
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

"""ISO 22301 coverage: certification, clause-8 evidence, and exposure by Monte Carlo.

Three views of how much of the exposure business-continuity management covers:

1. **Certification** by site kind, by count and by replacement value, as of the register's
   date and at each horizon under the register's renewal assumption (``renew``: a certificate
   valid on the as-of date is renewed every cycle; ``lapse``: it counts only until it expires).
2. **Clause coverage**: for each clause-8 element (8.2.2 BIA, 8.2.3 risk assessment, 8.3
   strategies, 8.4 plans, 8.5 exercises, 8.6 evaluation) and each risk, the site kinds where a
   control in force evidences it (a control citing 8.2 evidences 8.2.2 and 8.2.3).
3. **Exposure** (simulated): the shares of disruptive events, downtime days and losses that
   fall on certified sites; the chance per year of at least one disruptive event at an
   uncertified site; and, for sites with an RTO or MTPD, the chance per year that an outage
   lasts longer than it. A *disruptive event* is an acute site event that survives the
   frequency-reducing controls of the configuration.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Sequence

import numpy as np

from climaterisk.draws import Draws, gather
from climaterisk.portfolio import Config, Portfolio
from climaterisk.refdata import iso22301
from climaterisk.register import Register, Site
from climaterisk.simulate import event_cells, event_outcomes


def certified_in(register: Register, site: Site, year: int | None = None) -> bool:
    """Whether ``site`` holds a valid certificate on the as-of date (``year`` None) or in
    ``year`` under the register's renewal assumption."""
    if not site.iso_certified or site.iso_valid_until is None:
        return False
    if site.iso_valid_until < register.as_of:
        return False
    if year is None or register.renewal == "renew":
        return True
    return site.iso_valid_until >= dt.date(year, 12, 31)


def certification_coverage(register: Register, year: int | None = None) -> list[dict]:
    """Certified share of sites by kind (and ``all``), by count and by replacement value."""
    rows = []
    kinds = sorted({s.kind for s in register.sites})
    ordered = sorted(register.sites, key=lambda s: s.id)  # the file's order must not matter
    for kind in [*kinds, "all"]:
        sites = [s for s in ordered if kind in ("all", s.kind)]
        cert = [s for s in sites if certified_in(register, s, year)]
        value = sum(s.replacement_value for s in sites)
        cert_value = sum(s.replacement_value for s in cert)
        rows.append({
            "site_kind": kind, "sites": len(sites), "certified": len(cert),
            "share_by_count": len(cert) / len(sites) if sites else 0.0,
            "value": value, "certified_value": cert_value,
            "share_by_value": cert_value / value if value else 0.0,
            "certified_sites": [s.id for s in cert],
        })
    return rows


def coverage_clauses() -> list[dict]:
    """The clause-8 elements coverage is measured against (package data, with source)."""
    return [c for c in iso22301()["clauses"] if c["coverage"]]


def _evidences(cited: str, clause: str) -> bool:
    return clause == cited or clause.startswith(cited + ".")


def clause_coverage(register: Register, year: int) -> dict:
    """Risk x clause matrix: the site kinds where some control in force in ``year`` and linked
    to the risk evidences the clause; and the gaps (kinds without such a control)."""
    clauses = coverage_clauses()
    matrix, gaps = [], []
    for risk in sorted(register.risks, key=lambda r: r.id):
        controls = [register.control(c) for c in risk.control_ids]
        controls = [c for c in controls if c.in_force(year)]
        kinds = sorted({register.site(s).kind for s in risk.site_ids}) or ["company"]
        cells = {}
        for clause in clauses:
            covered = []
            for kind in kinds:
                sites = [s for s in risk.site_ids if register.site(s).kind == kind] or [None]
                if any(
                    any(_evidences(cited, clause["id"]) for cited in c.clauses)
                    and all(c.applies_to(s) for s in sites)
                    for c in controls
                ):
                    covered.append(kind)
            missing = [k for k in kinds if k not in covered]
            cells[clause["id"]] = {"covered_kinds": covered, "missing_kinds": missing}
            if missing:
                gaps.append({"risk": risk.id, "clause": clause["id"], "site_kinds": missing})
        share = sum(bool(c["covered_kinds"]) and not c["missing_kinds"] for c in cells.values())
        matrix.append({"risk": risk.id, "title": risk.title, "category": risk.category,
                       "site_kinds": kinds, "clauses": cells,
                       "fully_covered_share": share / len(clauses)})
    return {"year": year, "clauses": [{"id": c["id"], "title": c["title"]} for c in clauses],
            "matrix": matrix, "gaps": gaps, "source": iso22301()["source"]}


class ExposureObserver:
    """Collects, per trial, what falls on certified and uncertified sites (an observer for
    :func:`climaterisk.simulate.simulate`)."""

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

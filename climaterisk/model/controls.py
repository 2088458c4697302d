"""Where controls and insurance act: control configurations over a compiled portfolio.

A *control configuration* says how a set of controls transforms the portfolio's inherent
parameters, link by link: the probability an event survives (frequency reductions), the
damage and downtime factors (severity reductions), the insurance layers (transfer controls) and
the factors on recurring cost components. Inherent and residual losses are two configurations
of the same portfolio, evaluated on the same random draws; the inherent one has no control at
all. Nothing here is random.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from climaterisk.model.compile import Portfolio
from climaterisk.register import Control, Register


@dataclass(frozen=True)
class Config:
    """How a set of controls transforms the portfolio (all ones and no layers: inherent)."""

    name: str
    keep: np.ndarray  # [fraction] probability an event survives (1 - frequency reduction)
    sev_a: np.ndarray  # [fraction] damage / money-severity factor
    sev_b: np.ndarray  # [fraction] downtime factor
    deductible: np.ndarray  # [currency] (L, K) per event, K transfer layers
    limit: np.ndarray  # [currency] (L, K)
    cost_factor: tuple[np.ndarray, ...]  # per cost component, per link
    followup_keep: tuple[float, ...] = ()  # [fraction] per outage-episode model: chance kept
    followup_sev: tuple[float, ...] = ()  # [fraction] per outage-episode model: cost factor


def inherent_config(portfolio: Portfolio) -> Config:
    """No controls at all."""
    n = len(portfolio.links)
    ones = np.ones(n)
    return Config(
        "inherent", ones, ones, ones, np.zeros((n, 0)), np.zeros((n, 0)),
        tuple(np.ones(len(c.scale)) for c in portfolio.costs),
        tuple(1.0 for _ in portfolio.followups), tuple(1.0 for _ in portfolio.followups),
    )


def controls_config(
    register: Register, portfolio: Portfolio, exclude: Iterable[str] = (), name: str = "residual"
) -> Config:
    """Controls in force in the portfolio's year, except those in ``exclude``.

    Reductions of several controls on one link multiply: ``keep = prod(1 - frequency)``,
    ``sev_a = prod(1 - severity)``, ``sev_b = prod(1 - downtime)``. Transfer controls add one
    insurance layer each (deductible, limit per event), each recovering from the loss after
    reductions, like the layers of an insurance tower; overlapping layers recover their
    overlap once (:func:`merge_layers`). A control acts only on the components
    it names (``components``) and at the sites it is limited to. Opportunities are not mitigated.
    """
    skip = set(exclude)
    year = portfolio.year
    risks = {r.id: r for r in (*register.risks, *register.opportunities)}
    controls = {c.id: c for c in register.controls}

    def active(risk_id: str) -> list[Control]:
        risk = risks[risk_id]
        if risk.is_opportunity:
            return []
        chosen = [controls[c] for c in sorted(risk.control_ids) if c not in skip]
        return [c for c in chosen if c.in_force(year)]

    by_risk = {rid: active(rid) for rid in portfolio.risk_ids}
    links = portfolio.links
    n = len(links)
    keep, sev_a, sev_b = np.ones(n), np.ones(n), np.ones(n)
    layers: list[list[tuple[float, float]]] = [[] for _ in range(n)]
    for i in range(n):
        rid = portfolio.risk_ids[links.risk[i]]
        site = portfolio.site_ids[links.site[i]] if links.site[i] >= 0 else None
        for ctrl in by_risk[rid]:
            if not ctrl.applies_to(site, links.kind[i]):
                continue
            keep[i] *= 1.0 - ctrl.frequency
            sev_a[i] *= 1.0 - ctrl.severity
            sev_b[i] *= 1.0 - ctrl.downtime
            if ctrl.type == "transfer":
                layers[i].append((ctrl.deductible, ctrl.limit))
    layers = [merge_layers(row) for row in layers]
    k = max((len(x) for x in layers), default=0)
    deductible, limit = np.zeros((n, k)), np.zeros((n, k))
    for i, row in enumerate(layers):
        for j, (d, lim) in enumerate(row):
            deductible[i, j], limit[i, j] = d, lim
    factors = []
    for comp in portfolio.costs:
        rid = portfolio.risk_ids[comp.risk]
        per_link = np.ones(len(comp.scale))
        for j, s in enumerate(comp.sites):
            site = portfolio.site_ids[s] if s >= 0 else None
            for ctrl in by_risk[rid]:
                if ctrl.applies_to(site, comp.kind):
                    per_link[j] *= 1.0 - ctrl.severity
        factors.append(per_link)
    followup_keep, followup_sev = [], []
    for f in portfolio.followups:  # company-level: controls limited to sites do not act
        acting = [c for c in by_risk[portfolio.risk_ids[f.risk]] if c.applies_to(None, "outage_episode")]
        followup_keep.append(float(np.prod([1.0 - c.frequency for c in acting])))
        followup_sev.append(float(np.prod([1.0 - c.severity for c in acting])))
    return Config(name, keep, sev_a, sev_b, deductible, limit, tuple(factors), tuple(followup_keep),
                  tuple(followup_sev))


def merge_layers(layers: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Transfer layers as disjoint bands of loss: each band ``(deductible, deductible + limit]``
    recovered once, however many policies cover it.

    >>> merge_layers([(10.0, 100.0), (20.0, 100.0)])
    [(10.0, 110.0)]
    >>> merge_layers([(50.0, 10.0), (0.0, 30.0)])
    [(0.0, 30.0), (50.0, 10.0)]
    """
    bands: list[list[float]] = []
    for d, lim in sorted(layers):
        if lim <= 0:
            continue
        if bands and d <= bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], d + lim)
        else:
            bands.append([d, d + lim])
    return [(lo, hi - lo) for lo, hi in bands]

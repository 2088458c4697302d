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
from climaterisk.register import Register


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


def recovery(loss: np.ndarray, deductible: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """What transfer layers recover of each loss [currency]: layer ``j`` recovers
    ``clip(loss - deductible[..., j], 0, limit[..., j])``, all layers together at most the loss
    itself. ``deductible`` and ``limit`` [currency] are per loss, shape (n, K), or the same for
    every loss, shape (K,)."""
    recovered = np.zeros(len(loss))
    for j in range(deductible.shape[-1]):
        recovered += np.clip(loss - deductible[..., j], 0.0, limit[..., j])
    return np.minimum(recovered, loss)


def net_of_layers(loss: np.ndarray, deductible: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Losses [currency] net of what their transfer layers recover (:func:`recovery`)."""
    return loss - recovery(loss, deductible, limit)


def inherent_config(portfolio: Portfolio) -> Config:
    """No controls at all."""
    n = len(portfolio.links)
    ones = np.ones(n)
    return Config(
        "inherent", ones, ones, ones, np.zeros((n, 0)), np.zeros((n, 0)),
        tuple(np.ones(len(c.scale)) for c in portfolio.costs),
        tuple(1.0 for _ in portfolio.followups), tuple(1.0 for _ in portfolio.followups),
    )


@dataclass(frozen=True)
class Incidence:
    """Where the controls in force in the portfolio's year act, as flat arrays: one *pair* per
    link and control of the link's risk (in force, sorted by control id, opportunities have
    none), with ``depth`` its position in that risk's list and ``applies`` whether the control
    acts on the link (its sites and components). Computed once per portfolio and shared by every
    configuration that excludes some controls (:func:`controls_config`)."""

    ids: tuple[str, ...]  # the controls, in index order
    by_risk: tuple[tuple[int, ...], ...]  # per risk of the portfolio: its controls in force, sorted
    link: np.ndarray  # [int] per pair
    control: np.ndarray  # [int] per pair, index into ids
    depth: np.ndarray  # [int] per pair
    applies: np.ndarray  # [bool] per pair
    site_ok: np.ndarray  # [bool] (controls, sites + 1): acts at a site; last column company level
    frequency: np.ndarray  # [fraction] per control
    severity: np.ndarray  # [fraction] per control
    downtime: np.ndarray  # [fraction] per control
    deductible: np.ndarray  # [currency] per control (transfer only)
    limit: np.ndarray  # [currency] per control (transfer only)
    transfer: np.ndarray  # [bool] per control
    components: tuple[tuple[str, ...] | None, ...]  # per control: the model types it acts on


def control_incidence(register: Register, portfolio: Portfolio) -> Incidence:
    """The :class:`Incidence` of ``register``'s controls on ``portfolio``."""
    controls = sorted(register.controls, key=lambda c: c.id)
    index = {c.id: i for i, c in enumerate(controls)}
    risks = {r.id: r for r in (*register.risks, *register.opportunities)}
    by_risk = tuple(
        () if risks[rid].is_opportunity else
        tuple(index[c] for c in sorted(risks[rid].control_ids) if controls[index[c]].in_force(portfolio.year))
        for rid in portfolio.risk_ids)
    links = portfolio.links
    n = len(links)
    n_sites = len(portfolio.site_ids)
    site_ok = np.array([[c.site_ids is None or sid in c.site_ids for sid in portfolio.site_ids]
                        + [c.site_ids is None] for c in controls], dtype=bool)
    site_ok = site_ok.reshape(len(controls), n_sites + 1)
    kinds = sorted(set(links.kind))
    kind_ok = np.array([[c.components is None or k in c.components for k in kinds] for c in controls],
                       dtype=bool).reshape(len(controls), len(kinds))
    kind_code = np.array([kinds.index(k) for k in links.kind], dtype=np.int64) if n else np.zeros(0, np.int64)
    count = np.array([len(x) for x in by_risk], dtype=np.int64)
    flat = np.array([c for x in by_risk for c in x], dtype=np.int64)
    first = np.cumsum(count) - count
    risk = np.asarray(links.risk, dtype=np.int64)
    per_link = count[risk] if n else np.zeros(0, np.int64)
    link = np.repeat(np.arange(n), per_link)
    depth = np.arange(len(link)) - np.repeat(np.cumsum(per_link) - per_link, per_link)
    control = flat[first[risk[link]] + depth] if len(link) else np.zeros(0, np.int64)
    site_col = np.where(np.asarray(links.site) < 0, n_sites, links.site)
    applies = site_ok[control, site_col[link]] & kind_ok[control, kind_code[link]]

    def attr(name: str) -> np.ndarray:
        return np.array([float(getattr(c, name)) for c in controls])

    return Incidence(
        ids=tuple(c.id for c in controls), by_risk=by_risk, link=link, control=control, depth=depth,
        applies=applies, site_ok=site_ok, frequency=attr("frequency"), severity=attr("severity"),
        downtime=attr("downtime"), deductible=attr("deductible"), limit=attr("limit"),
        transfer=np.array([c.type == "transfer" for c in controls], dtype=bool),
        components=tuple(c.components for c in controls),
    )


def controls_config(
    register: Register, portfolio: Portfolio, exclude: Iterable[str] = (), name: str = "residual",
    incidence: Incidence | None = None,
) -> Config:
    """Controls in force in the portfolio's year, except those in ``exclude``.

    Reductions of several controls on one link multiply: ``keep = prod(1 - frequency)``,
    ``sev_a = prod(1 - severity)``, ``sev_b = prod(1 - downtime)``, in the order of the control
    ids. Transfer controls add one insurance layer each (deductible, limit per event), each
    recovering from the loss after reductions, like the layers of an insurance tower;
    overlapping layers recover their overlap once (:func:`merge_layers`). A control acts only on
    the components it names (``components``) and at the sites it is limited to. Opportunities
    are not mitigated. ``incidence`` (:func:`control_incidence` of the same register and
    portfolio) saves recomputing where the controls act when many configurations are built.

    Vectorised over links: at each position of a risk's list of controls, every link multiplies
    in its control's factor (1.0, exactly neutral, where the control does not act or is
    excluded), so each link sees the same products in the same order as a loop over its controls.
    """
    inc = control_incidence(register, portfolio) if incidence is None else incidence
    skip = np.isin(np.array(inc.ids, dtype=object), list(set(exclude)))
    acts = inc.applies & ~skip[inc.control] if len(inc.ids) else inc.applies
    n = len(portfolio.links)
    keep, sev_a, sev_b = np.ones(n), np.ones(n), np.ones(n)
    depths = int(inc.depth.max()) + 1 if len(inc.depth) else 0
    for d in range(depths):
        at = np.flatnonzero(inc.depth == d)
        link, ctrl, on = inc.link[at], inc.control[at], acts[at]
        keep[link] *= np.where(on, 1.0 - inc.frequency[ctrl], 1.0)
        sev_a[link] *= np.where(on, 1.0 - inc.severity[ctrl], 1.0)
        sev_b[link] *= np.where(on, 1.0 - inc.downtime[ctrl], 1.0)
    deductible, limit = _layers(inc, acts, n)
    factors = []
    for comp in portfolio.costs:
        col = np.where(np.asarray(comp.sites) < 0, inc.site_ok.shape[1] - 1, comp.sites).astype(np.int64)
        per_link = np.ones(len(comp.scale))
        for c in inc.by_risk[comp.risk]:
            if skip[c] or not _component_ok(inc, c, comp.kind):
                continue
            per_link *= np.where(inc.site_ok[c, col], 1.0 - inc.severity[c], 1.0)
        factors.append(per_link)
    followup_keep, followup_sev = [], []
    for f in portfolio.followups:  # company-level: controls limited to sites do not act
        acting = [c for c in inc.by_risk[f.risk]
                  if not skip[c] and inc.site_ok[c, -1] and _component_ok(inc, c, "outage_episode")]
        followup_keep.append(float(np.prod([1.0 - inc.frequency[c] for c in acting])))
        followup_sev.append(float(np.prod([1.0 - inc.severity[c] for c in acting])))
    return Config(name, keep, sev_a, sev_b, deductible, limit, tuple(factors), tuple(followup_keep),
                  tuple(followup_sev))


def _component_ok(inc: Incidence, control: int, component: str) -> bool:
    components = inc.components[control]
    return components is None or component in components


def _layers(inc: Incidence, acts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Deductibles and limits [currency] ``(n links, K)`` of the transfer controls acting on
    each link, merged into disjoint bands (:func:`merge_layers`): a link with one layer
    vectorised (the band ``(d, (d + limit) - d)``, as :func:`merge_layers` computes it), several
    through :func:`merge_layers`."""
    pairs = np.flatnonzero(acts & inc.transfer[inc.control]) if len(inc.ids) else np.zeros(0, np.int64)
    link, ctrl = inc.link[pairs], inc.control[pairs]
    per_link = np.bincount(link, minlength=n)
    d, lim = inc.deductible[ctrl], inc.limit[ctrl]
    one = (per_link[link] == 1) & (lim > 0)
    many = np.flatnonzero(per_link > 1)
    merged = {int(i): merge_layers([(float(a), float(b)) for a, b in zip(d[link == i], lim[link == i],
                                                                         strict=True)])
              for i in many}
    k = max([int(one.any()), *(len(x) for x in merged.values())])
    deductible, limit = np.zeros((n, k)), np.zeros((n, k))
    if one.any():
        deductible[link[one], 0] = d[one]
        limit[link[one], 0] = (d[one] + lim[one]) - d[one]
    for i, row in merged.items():
        for j, (a, b) in enumerate(row):
            deductible[i, j], limit[i, j] = a, b
    return deductible, limit


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

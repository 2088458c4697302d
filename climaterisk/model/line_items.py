"""Losses by statement line item, per trial, and the budgeted (planned) spending beside them.

Every risk loss of a trial is booked to one line item (:mod:`climaterisk.register.booking`): a
site event's damage to its ``line_item`` (default capital expenditure) and its downtime to
revenue, a company-level event to its ``line_item`` (default operating cost), an outage
episode to its own (default revenue), a recurring cost component to its own (default operating
cost). Insurance recoveries are a line of their own, negative. So the line items of a trial
add up to the trial's total loss (opportunities excluded), exactly as
:func:`climaterisk.model.simulate.evaluate` adds them up, up to floating-point rounding.

:func:`line_item_rows` gives the rows the streaming summary appends for a configuration: the
line items, then the same negated (their top values are each line's lowest: the 5th
percentile). Budgeted components (``nature: budgeted``) are never simulated as losses; their
amounts follow from their distribution and the controls acting on them (:func:`budgeted_lines`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from climaterisk.model.compile import Portfolio
from climaterisk.model.controls import Config, controls_config, inherent_config, recovery
from climaterisk.model.draws import Draws
from climaterisk.register import Register
from climaterisk.register.booking import DOWNTIME_LINE_ITEM, INSURANCE, LINE_ITEMS

ITEMS = (*LINE_ITEMS, INSURANCE)
"""The line-item rows, in this order: the line items, then insurance recoveries (negative)."""



def item_row_count(portfolio: Portfolio) -> int:
    """Rows :func:`line_item_rows` appends to the summary: the items, the items negated, then the
    damage at each site."""
    return 2 * len(ITEMS) + len(portfolio.site_ids)

_INDEX = {name: i for i, name in enumerate(ITEMS)}


def _damage_index(portfolio: Portfolio) -> np.ndarray:
    """[int] per link: the row of its damage (capital expenditure when the links name none)."""
    items = portfolio.links.damage_item or ("capital_expenditure",) * len(portfolio.links)
    return np.array([_INDEX[i] for i in items], dtype=np.int64)


def _event_parts(portfolio: Portfolio, draws: Draws, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Per event, its damage x damage factor and its downtime days x cost per day under ``config``
    [currency]: 0 for thinned-out events and for opportunities' events."""
    k = draws.link
    links = portfolio.links
    counted = ~portfolio.is_opportunity[links.risk]
    damage = (config.sev_a * counted)[k] * draws.damage
    down = (config.sev_b * links.b_scale * counted)[k] * draws.days
    if np.any(config.keep < 1.0):
        alive = draws.u < config.keep[k]
        damage *= alive
        down *= alive
    return damage, down


def item_losses(portfolio: Portfolio, draws: Draws, config: Config,
                episodes: list[tuple[int, np.ndarray, np.ndarray]],
                parts: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Per-trial losses of all risks (opportunities excluded) by line item under ``config``:
    ``[len(ITEMS), n]`` [currency/yr], insurance recoveries negative. ``episodes`` are the
    outage episodes of ``config`` (:func:`climaterisk.model.simulate.episode_losses`), ``parts``
    the events' damage and downtime (:func:`_event_parts`, computed when not given).

    Per event: damage x damage factor, downtime days x cost per day, the recovery of the
    transfer layers from their sum (never more than the sum), all 0 for thinned-out events:
    the terms of :func:`climaterisk.model.simulate.event_loss`, kept apart.
    """
    n = draws.n
    k, trial = draws.link, draws.trial
    damage, down = parts if parts is not None else _event_parts(portfolio, draws, config)
    out = np.zeros((len(ITEMS), n))
    index = _damage_index(portfolio)
    if len(index) and np.all(index == index[0]):
        out[index[0]] += np.bincount(trial, weights=damage, minlength=n)
    elif len(index):
        cells = np.bincount(index[k] * n + trial, weights=damage, minlength=len(ITEMS) * n)
        out += cells.reshape(len(ITEMS), n)
    out[_INDEX[DOWNTIME_LINE_ITEM]] += np.bincount(trial, weights=down, minlength=n)
    if config.deductible.shape[1]:
        insured = np.flatnonzero((config.limit > 0).any(axis=1)[k])
        if len(insured):
            ki, loss = k[insured], damage[insured] + down[insured]
            got = recovery(loss, config.deductible[ki], config.limit[ki])
            out[_INDEX[INSURANCE]] -= np.bincount(trial[insured], weights=got, minlength=n)
    for followup, (risk, at, cost) in zip(portfolio.followups, episodes, strict=True):
        if not portfolio.is_opportunity[risk]:
            out[_INDEX[followup.line_item]] += np.bincount(at, weights=cost, minlength=n)
    for comp, sample, factor in zip(portfolio.costs, draws.cost, config.cost_factor, strict=True):
        if not portfolio.is_opportunity[comp.risk]:
            out[_INDEX[comp.line_item]] += sample * float(np.sum(comp.scale * factor))
    return out


def site_damage(portfolio: Portfolio, draws: Draws, config: Config,
                damage: np.ndarray | None = None) -> np.ndarray:
    """Per-trial damage at each site under ``config`` (``[S, n]`` [currency/yr]): the damage part of
    the risks' site events after controls, before insurance recoveries (what the site's assets
    lose, whoever pays for it). ``damage``: the events' damage (:func:`_event_parts`) if known."""
    n, n_sites = draws.n, len(portfolio.site_ids)
    if damage is None:
        damage = _event_parts(portfolio, draws, config)[0]
    site = portfolio.links.site[draws.link]
    at = np.flatnonzero(site >= 0)
    cell = site[at] * n + draws.trial[at]
    return np.bincount(cell, weights=damage[at], minlength=n_sites * n).reshape(n_sites, n)


def line_item_rows(portfolio: Portfolio, draws: Draws, config: Config,
                   episodes: list[tuple[int, np.ndarray, np.ndarray]]) -> np.ndarray:
    """The rows the streaming summary appends for ``config`` (:func:`item_row_count` of them):
    :func:`item_losses`, the same negated (a negated row's VaR 95% is minus the line's 5th
    percentile), then :func:`site_damage`."""
    parts = _event_parts(portfolio, draws, config)
    items = item_losses(portfolio, draws, config, episodes, parts)
    return np.concatenate([items, -items, site_damage(portfolio, draws, config, parts[0])])


@dataclass(frozen=True)
class BudgetLine:
    """One budgeted component in one year [currency/yr]: planned spending, not a risk loss.

    ``inherent`` before controls, ``residual`` after the controls acting on it; ``low`` and
    ``high`` the 5th and 95th percentiles of the residual amount (equal to it when the register
    holds the amount at one value, ``uncertainty: epistemic``)."""

    risk_id: str
    kind: str  # model type
    line_item: str
    inherent: float
    residual: float
    low: float
    high: float


def budgeted_lines(register: Register, portfolio: Portfolio) -> list[BudgetLine]:
    """The portfolio's budgeted components (:attr:`Portfolio.budgeted`) in its year: their
    expected amount before and after the controls in force on them (the same factors as
    :func:`~climaterisk.model.controls.controls_config` gives a recurring cost), and the 5th
    and 95th percentiles of the residual amount. Each is ``draw x sum(scale x factor)`` with one
    draw a year, so these follow from the component's distribution without sampling."""
    if not portfolio.budgeted:
        return []
    as_costs = dataclasses.replace(portfolio, costs=portfolio.budgeted)
    before = inherent_config(as_costs).cost_factor
    after = controls_config(register, as_costs).cost_factor
    out = []
    for comp, f0, f in zip(portfolio.budgeted, before, after, strict=True):
        scale0, scale = float(np.sum(comp.scale * f0)), float(np.sum(comp.scale * f))
        out.append(BudgetLine(portfolio.risk_ids[comp.risk], comp.kind, comp.line_item,
                              comp.dist.mean() * scale0, comp.dist.mean() * scale,
                              *sorted((comp.dist.ppf(0.05) * scale, comp.dist.ppf(0.95) * scale))))
    return out


def low_quantile(sample: np.ndarray, q: float = 0.05) -> float:
    """The ``q`` quantile of ``sample`` taken from above, as the negated rows give it: minus the
    ``1 - q`` quantile (inverted cdf) of ``-sample``; the value reached or exceeded in a share
    ``1 - q`` of the trials."""
    from climaterisk.model.streaming import var_index

    n = len(sample)
    k = n - 1 - var_index(n, 1.0 - q)
    return float(np.partition(sample, k)[k])

"""Compile a register under a scenario and year into the arrays the simulation reads.

This is where the scenario acts: hazard frequencies and severities are scaled by the
scenario's multipliers relative to the register's baseline year, company-level rates by its
drivers, cooling by its local warming and carbon cost by its carbon price. Nothing here is
random. The *portfolio* holds the inherent parameters of every event link (risk x site, or a
company-level event) and every cost component; how controls transform them is in
:mod:`climaterisk.model.controls`.

The recurring cost components (cooling, carbon, annual costs) are compiled in
:mod:`climaterisk.model.components` and the common-shock groups are the structures of
:mod:`climaterisk.model.shocks`; this module holds the event links, the portfolio and
:func:`compile_portfolio`, which puts them together.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from climaterisk.errors import Problem, ScenarioError
from climaterisk.model.components import (
    CompileContext,
    CostComponent,
    annual_cost,
    carbon_cost,
    cooling_energy_cost,
    cooling_water_cost,
)
from climaterisk.model.shocks import CommonGroup, ShockTable
from climaterisk.register import (
    AnnualCost,
    CarbonCost,
    CoolingEnergy,
    CoolingWater,
    EntityEvent,
    Model,
    OutageEpisode,
    Register,
    Risk,
    SiteEvent,
)
from climaterisk.register.booking import line_item_of
from climaterisk.register.uncertainty import epistemic_key
from climaterisk.scenarios import Scenario


@dataclass(frozen=True)
class EventLinks:
    """Parameters of the L event links, one array entry per link.

    Loss of one event on link ``l`` before controls, with standard normals ``z1, z2``::

        min(sev_mult[l] * a_scale[l] * exp(mu_a[l] + s_a[l] z1), a_cap[l])
          + b_scale[l] * min(sev_mult[l] * exp(mu_b[l] + s_b[l] z2), MAX_DOWNTIME_DAYS)

    where the second term (downtime days x cost per day) is present only where ``has_down``.
    The scenario's severity multiplier scales the physical damage and the downtime; the caps
    (replacement value, a year of downtime) apply after it, so no event costs more than the
    site is worth, in any scenario.

    For a site event ``a_scale`` is the site's replacement value [currency] (damage fraction
    lognormal) and ``b_scale`` its interruption cost [currency/day] (downtime lognormal, days);
    for a company-level event ``a_scale`` is 1 and the lognormal is in currency, ``b_scale`` 0.
    """

    risk: np.ndarray  # [int] index into Portfolio.risk_ids
    site: np.ndarray  # [int] index into Portfolio.site_ids, -1 for company-level
    hazard: tuple[str | None, ...]
    kind: tuple[str, ...]  # model type: site_event or entity_event
    local_rate: np.ndarray  # [events/yr] independent events (site-local or company-level)
    a_scale: np.ndarray
    mu_a: np.ndarray
    s_a: np.ndarray
    a_cap: np.ndarray  # [currency] largest damage per event (the replacement value), or inf
    b_scale: np.ndarray
    mu_b: np.ndarray
    s_b: np.ndarray
    has_down: np.ndarray  # [0 or 1] whether the link models downtime days
    sev_mult: np.ndarray  # [-] scenario severity multiplier
    key: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """[int] stable key of each link's random stream: crc32 of its risk id, site id (or ``-``),
    hazard (or ``entity_event``) and ordinal among the risk's links of that name, so that a link
    keeps its random numbers when other links are added, removed or changed."""
    damage_item: tuple[str, ...] = ()
    """The statement line item of each link's damage (:mod:`climaterisk.register.booking`; its
    downtime is revenue); empty: every link's damage is ``capital_expenditure``."""

    def __len__(self) -> int:
        return len(self.risk)

    @cached_property
    def log_damage_loc(self) -> np.ndarray:
        """``mu_a + log(a_scale * sev_mult)``: the log-location of the damage in currency under
        the scenario, before the cap (-inf where ``a_scale`` or ``sev_mult`` is 0: no damage)."""
        with np.errstate(divide="ignore"):
            return self.mu_a + np.log(self.a_scale * self.sev_mult)

    @cached_property
    def log_days_loc(self) -> np.ndarray:
        """``mu_b + log(sev_mult)`` where the link models downtime, else -inf (no downtime
        days): the log-location of the downtime [days] under the scenario, before the cap."""
        with np.errstate(divide="ignore"):
            return np.where(self.has_down > 0, self.mu_b + np.log(self.sev_mult), -np.inf)


@dataclass(frozen=True)
class Followup:
    """Episodes of risk ``risk`` set off by long outages (an ``outage_episode`` model).

    Each event on a ``sources`` link whose downtime under a configuration exceeds
    ``trigger_days`` sets off an episode with probability ``probability`` (times the frequency
    kept by the risk's controls), costing ``exp(mu + sigma z)`` (times their severity factor).
    """

    risk: int  # index into Portfolio.risk_ids
    key: int  # stable key of the episodes' random stream
    trigger_days: float  # [days]
    probability: float  # [fraction 0-1] per triggering outage
    mu: float  # log-location of the cost of an episode [log currency]
    sigma: float
    sources: np.ndarray  # [bool] per link: its outages can set an episode off
    line_item: str = "revenue"  # statement line item of the episodes' cost


@dataclass(frozen=True)
class Portfolio:
    year: int
    risk_ids: tuple[str, ...]  # risks first, then opportunities
    is_opportunity: np.ndarray  # [bool] per risk id
    categories: tuple[str, ...]
    site_ids: tuple[str, ...]
    links: EventLinks
    groups: tuple[CommonGroup, ...]
    costs: tuple[CostComponent, ...]
    followups: tuple[Followup, ...] = ()
    budgeted: tuple[CostComponent, ...] = ()
    """Recurring components the register declares ``nature: budgeted`` (planned spending): not
    simulated as risk losses by any engine, reported apart (:mod:`climaterisk.model.line_items`)."""

    @cached_property
    def shocks(self) -> ShockTable:
        """The common-shock groups as flat arrays (see :class:`ShockTable`)."""
        return ShockTable.of(self.groups)

    def dependence(self) -> list[str]:
        """What makes the losses of this portfolio's links dependent beyond sharing a regional
        event's occurrence (which the exact method handles): one line per cause, empty if none."""
        return [
            *(f"regions: {g.region}: common event {g.hazard}: severity correlation {g.correlation:g}"
              for g in self.groups if g.correlation > 0),
            *(f"risks: {self.risk_ids[f.risk]}: outage_episode: episodes follow the simulated outages"
              for f in self.followups),
        ]


def _ordered(items: Iterable[Risk]) -> list[Risk]:
    """Risks in id order."""
    return sorted(items, key=lambda r: r.id)


_LINK_COLUMNS = (
    "risk", "site", "hazard", "kind", "local_rate", "a_scale", "mu_a", "s_a", "a_cap", "b_scale",
    "mu_b", "s_b", "has_down", "sev_mult", "damage_item",
)
_FLOAT_COLUMNS = _LINK_COLUMNS[4:-1]


class _LinkTable:
    """The event links compiled so far, column by column (see :class:`EventLinks`), and the links
    of each (hazard, site index) pair, for the common-shock groups."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {k: [] for k in _LINK_COLUMNS}
        self.link_of: dict[tuple[str, int], list[int]] = {}  # (hazard, site) -> links
        self.keys: list[int] = []
        self.names: dict[str, int] = {}  # link name -> links of that name so far

    def add(self, name: str, **values: object) -> int:
        """Appends a link named ``name`` (``risk|site|hazard``) with a value for every column;
        returns its index."""
        for key, value in values.items():
            self.cols[key].append(value)
        ordinal = self.names.get(name, 0)
        self.names[name] = ordinal + 1
        self.keys.append(zlib.crc32(f"{name}|{ordinal}".encode()))
        return len(self.cols["risk"]) - 1

    def arrays(self) -> EventLinks:
        """The links as arrays."""
        cols = self.cols
        return EventLinks(
            risk=np.array(cols["risk"], dtype=np.int64), site=np.array(cols["site"], dtype=np.int64),
            hazard=tuple(cols["hazard"]), kind=tuple(cols["kind"]),
            **{k: np.array(cols[k], dtype=float) for k in _FLOAT_COLUMNS},
            key=np.array(self.keys, dtype=np.int64), damage_item=tuple(cols["damage_item"]),
        )


def compile_portfolio(register: Register, scenario: Scenario, year: int,
                      quantiles: Mapping[str, float] | None = None) -> Portfolio:
    """Inherent parameters of every link in ``year`` under ``scenario``.

    ``quantiles`` (epistemic input name -> quantile 0-1, see :mod:`climaterisk.register.uncertainty`)
    sets the register's unknown values in the world compiled; those it does not name are held
    at their mean.

    Entities are taken in id order so that results do not depend on the order of entries in
    the register files.
    """
    scenario.check_year(year)
    base = register.baseline_year
    scenario.check_year(base)
    risks = _ordered(register.risks) + _ordered(register.opportunities)
    sites = sorted(register.sites, key=lambda s: s.id)
    ctx = CompileContext(register, scenario, year, base, sites, {s.id: i for i, s in enumerate(sites)},
                         dict(quantiles or {}))
    links = _LinkTable()
    costs: list[CostComponent] = []
    budgeted: list[CostComponent] = []
    for r_index, risk in enumerate(risks):
        for model in sorted(risk.models, key=repr):  # components in a canonical order
            _compile_model(ctx, r_index, risk, model, links, costs, budgeted)
    groups = _common_groups(ctx, links.link_of)
    arrays = links.arrays()
    is_opportunity = np.array([r.is_opportunity for r in risks], dtype=bool)
    return Portfolio(
        year=year, risk_ids=tuple(r.id for r in risks), is_opportunity=is_opportunity,
        categories=tuple(r.category for r in risks), site_ids=tuple(s.id for s in sites),
        links=arrays, groups=groups, costs=tuple(costs),
        followups=_followups(ctx, risks, arrays, is_opportunity), budgeted=tuple(budgeted),
    )


def _followups(ctx: CompileContext, risks: list[Risk], links: EventLinks,
               is_opportunity: np.ndarray) -> tuple[Followup, ...]:
    """The ``outage_episode`` models, each with the links whose outages can set it off: links of
    the other risks (not opportunities) at the risk's sites that model downtime."""
    out = []
    for r_index, risk in enumerate(risks):
        episodes = [m for m in sorted(risk.models, key=repr) if isinstance(m, OutageEpisode)]
        at = np.isin(links.site, [ctx.site_index[s] for s in risk.site_ids])
        sources = at & (links.has_down > 0) & (links.risk != r_index) & ~is_opportunity[links.risk]
        for ordinal, model in enumerate(episodes):
            out.append(Followup(
                r_index, zlib.crc32(f"{risk.id}|outage_episode|{ordinal}".encode()),
                model.trigger_days, model.probability, model.severity.mu, model.severity.sigma,
                sources, line_item_of("outage_episode", model.line_item),
            ))
    return tuple(out)


def _compile_model(
    ctx: CompileContext, r_index: int, risk: Risk, model: Model, links: _LinkTable,
    costs: list[CostComponent], budgeted: list[CostComponent],
) -> None:
    """Adds the event links or the cost component of one model of risk ``r_index``: a
    component with its statement line item, to ``budgeted`` when the register declares it
    planned spending (risks only: an opportunity's benefit is never a budget)."""
    if isinstance(model, SiteEvent):
        _add_site_event_links(ctx, r_index, risk, model, links)
        return
    if isinstance(model, EntityEvent):
        _add_entity_event_link(ctx, r_index, risk, model, links)
        return
    earlier = [*costs, *budgeted]  # stream keys count both: a budget keeps the others' numbers
    build = {CoolingEnergy: cooling_energy_cost, CoolingWater: cooling_water_cost,
             CarbonCost: carbon_cost, AnnualCost: annual_cost}.get(type(model))
    if build is None:  # outage episodes: compiled by _followups
        return
    comp = build(ctx, r_index, risk, model, earlier)  # type: ignore[operator]
    comp = dataclasses.replace(comp, line_item=line_item_of(comp.kind, model.line_item))
    plan = model.nature == "budgeted" and not risk.is_opportunity
    (budgeted if plan else costs).append(comp)


def _add_site_event_links(
    ctx: CompileContext, r_index: int, risk: Risk, model: SiteEvent, links: _LinkTable
) -> None:
    """One link per site of the risk, in site id order: the site's local rate [events/yr] times
    the scenario's frequency multiplier, damage as a fraction of the replacement value [currency]
    and downtime days at the interruption cost [currency/day]."""
    f_mult = hazard_ratio(ctx.scenario, model.hazard, "frequency", ctx.year, ctx.base)
    s_mult = hazard_ratio(ctx.scenario, model.hazard, "severity", ctx.year, ctx.base)
    for sid in sorted(risk.site_ids):
        site = ctx.sites[ctx.site_index[sid]]
        down = model.downtime
        link = links.add(
            f"{risk.id}|{sid}|{model.hazard}",
            risk=r_index, site=ctx.site_index[sid], hazard=model.hazard, kind="site_event",
            local_rate=site.hazards.get(model.hazard, 0.0) * f_mult,
            a_scale=site.replacement_value, mu_a=model.damage.mu, s_a=model.damage.sigma,
            a_cap=site.replacement_value,
            b_scale=site.interruption_cost_per_day if down else 0.0,
            mu_b=down.mu if down else 0.0, s_b=down.sigma if down else 0.0,
            has_down=1.0 if down else 0.0, sev_mult=s_mult,
            damage_item=line_item_of("site_event", model.line_item),
        )
        links.link_of.setdefault((model.hazard, ctx.site_index[sid]), []).append(link)


def _add_entity_event_link(
    ctx: CompileContext, r_index: int, risk: Risk, model: EntityEvent, links: _LinkTable
) -> None:
    """One company-level link: the rate [events/yr] scaled by its driver's ratio to the baseline
    year, severity in currency, uncapped."""
    ratio = (ctx.scenario.driver_ratio(model.rate_driver, ctx.year, ctx.base)
             if model.rate_driver else 1.0)
    links.add(
        f"{risk.id}|-|entity_event",
        risk=r_index, site=-1, hazard=None, kind="entity_event",
        local_rate=_entity_rate(ctx, risk, model) * ratio,
        a_scale=1.0, mu_a=model.severity.mu, s_a=model.severity.sigma, a_cap=np.inf,
        b_scale=0.0, mu_b=0.0, s_b=0.0, has_down=0.0, sev_mult=1.0,
        damage_item=line_item_of("entity_event", model.line_item),
    )


def _entity_rate(ctx: CompileContext, risk: Risk, model: EntityEvent) -> float:
    """A company-level event's baseline rate [events/yr]: the known ``rate``, or for a
    ``rate_range`` the quantile the world gives it (its mean when none)."""
    if model.rate_range is None:
        return model.rate
    q = ctx.quantiles.get(epistemic_key(risk, model) or "")
    return model.rate_range.mean() if q is None else model.rate_range.ppf(q)


def _common_groups(ctx: CompileContext, link_of: dict[tuple[str, int], list[int]]) -> tuple[CommonGroup, ...]:
    """One common-shock group per region and common event (regions in id order) that has a
    non-zero rate and strikes at least one site with a link of its hazard; the rate [events/yr]
    is scaled by the scenario's frequency multiplier."""
    groups = []
    for region in sorted(ctx.register.regions, key=lambda r: r.id):
        for event in sorted(region.common_events,
                            key=lambda e: (e.hazard, e.rate, e.footprint, e.correlation)):
            members = sorted(
                j for (hz, j) in link_of if hz == event.hazard and ctx.sites[j].region == region.id
            )
            if not members or event.rate == 0:
                continue
            f_mult = hazard_ratio(ctx.scenario, event.hazard, "frequency", ctx.year, ctx.base)
            groups.append(CommonGroup(
                region=region.id, hazard=event.hazard, rate=event.rate * f_mult,
                sites=np.array(members, dtype=np.int64),
                footprint=np.array([event.footprints.get(ctx.sites[j].id, event.footprint) for j in members]),
                site_links=tuple(np.array(link_of[(event.hazard, j)], dtype=np.int64) for j in members),
                correlation=event.correlation,
            ))
    return tuple(groups)


def hazard_ratio(scenario: Scenario, hazard: str, aspect: str, year: int, base: int) -> float:
    """A hazard multiplier in ``year`` relative to the register's baseline year [-]."""
    at_base = scenario.hazard(hazard, aspect, base)
    if at_base <= 0:
        raise ScenarioError(Problem(
            str(scenario.path or scenario.id), f"hazards.{hazard}.{aspect}", f"values.{base}", at_base,
            "a multiplier > 0 in the register's baseline year (multipliers act relative to it)",
        ))
    return scenario.hazard(hazard, aspect, year) / at_base


def check_drivers(register: Register, scenario: Scenario) -> None:
    """Every driver and hazard the register's models use must be in the scenario."""
    problems = []
    where = str(scenario.path or scenario.id)
    for risk in (*register.risks, *register.opportunities):
        for i, model in enumerate(risk.models):
            needed: list[tuple[str, str]] = []
            if isinstance(model, SiteEvent):
                needed.append(("hazards", model.hazard))
            elif isinstance(model, EntityEvent) and model.rate_driver:
                needed.append(("drivers", model.rate_driver))
            elif isinstance(model, AnnualCost) and model.driver:
                needed.append(("drivers", model.driver))
            elif isinstance(model, CoolingEnergy | CoolingWater):
                needed.append(("drivers", "local_warming_c"))
            elif isinstance(model, CarbonCost):
                needed.append(("drivers", "carbon_price_usd_t"))
                needed += [("drivers", d) for d in model.share_drivers or ()]
                ghg = register.ghg
                if model.projected and ghg is not None and ghg.pathway is not None:
                    needed.append(("drivers", ghg.pathway.grid_driver))
            for section, name in needed:
                table = scenario.hazards if section == "hazards" else scenario.drivers
                if name not in table:
                    problems.append(Problem(
                        where, section, name, None,
                        f"a {section[:-1]} {name!r}, which {risk.id} models[{i}] needs "
                        f"(scenario {scenario.id} gives: {', '.join(sorted(table))})",
                    ))
    if problems:
        raise ScenarioError(problems)

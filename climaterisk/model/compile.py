"""Compile a register under a scenario and year into the arrays the simulation reads.

This is where the scenario acts: hazard frequencies and severities are scaled by the
scenario's multipliers relative to the register's baseline year, company-level rates by its
drivers, cooling by its local warming and carbon cost by its carbon price. Nothing here is
random. The *portfolio* holds the inherent parameters of every event link (risk x site, or a
company-level event) and every cost component; how controls transform them is in
:mod:`climaterisk.model.controls`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from climaterisk.errors import Problem, ScenarioError
from climaterisk.register import (
    AnnualCost,
    CarbonCost,
    CoolingEnergy,
    EntityEvent,
    Register,
    Risk,
    SiteEvent,
)
from climaterisk.register.distributions import LogNormal, Uniform
from climaterisk.scenarios import Scenario


@dataclass(frozen=True)
class EventLinks:
    """Parameters of the L event links, one array entry per link.

    Loss of one event on link ``l`` with standard normals ``z1, z2``::

        sev_mult[l] * (a_scale[l] * exp(mu_a[l] + s_a[l] z1) + b_scale[l] * exp(mu_b[l] + s_b[l] z2))

    where the second term (downtime days x cost per day) is present only where ``has_down``.

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

    def __len__(self) -> int:
        return len(self.risk)

    @cached_property
    def log_damage_loc(self) -> np.ndarray:
        """``mu_a + log(a_scale)``: the log-location of the damage in currency (-inf where
        ``a_scale`` is 0, so that the damage is 0)."""
        with np.errstate(divide="ignore"):
            return self.mu_a + np.log(self.a_scale)

    @cached_property
    def log_days_loc(self) -> np.ndarray:
        """``mu_b`` where the link models downtime, else -inf (no downtime days)."""
        return np.where(self.has_down > 0, self.mu_b, -np.inf)


@dataclass(frozen=True)
class CommonGroup:
    """Regional events of one hazard in one region (a common shock).

    Regional events arrive as a Poisson process of ``rate`` [events/yr]; each event strikes
    each of the ``sites`` independently with probability ``footprint``; a struck site suffers
    one event on every link in ``site_links[j]``.
    """

    region: str
    hazard: str
    rate: float  # [events/yr] scenario-adjusted
    sites: np.ndarray  # [int] site indices
    footprint: np.ndarray  # [fraction] per site
    site_links: tuple[np.ndarray, ...]  # link indices per site

    @cached_property
    def links_per_site(self) -> np.ndarray:
        """[int] number of links at each member site."""
        return np.array([len(x) for x in self.site_links], dtype=np.int64)

    @cached_property
    def flat_links(self) -> np.ndarray:
        """[int] the member sites' links, site after site."""
        return np.concatenate([*self.site_links, np.zeros(0, dtype=np.int64)]).astype(np.int64)


@dataclass(frozen=True)
class ShockTable:
    """All common-shock groups of a portfolio as flat arrays, for drawing them together: per
    group its rate and number of member sites; per member site (group by group) its footprint
    and its links (``flat_links[link_offset[m]:link_offset[m] + links_per_member[m]]``)."""

    rates: np.ndarray  # [events/yr] per group
    sizes: np.ndarray  # [int] member sites per group
    member_offset: np.ndarray  # [int] first member of each group
    footprint: np.ndarray  # [fraction] per member
    links_per_member: np.ndarray  # [int]
    link_offset: np.ndarray  # [int]
    flat_links: np.ndarray  # [int]
    one_link_each: bool

    @classmethod
    def of(cls, groups: tuple[CommonGroup, ...]) -> ShockTable:
        sizes = np.array([len(g.sites) for g in groups], dtype=np.int64)
        per_member = np.concatenate([*(g.links_per_site for g in groups), np.zeros(0, dtype=np.int64)])
        return cls(
            rates=np.array([g.rate for g in groups], dtype=float), sizes=sizes,
            member_offset=np.cumsum(sizes) - sizes,
            footprint=np.concatenate([*(g.footprint for g in groups), np.zeros(0)]),
            links_per_member=per_member, link_offset=np.cumsum(per_member) - per_member,
            flat_links=np.concatenate([*(g.flat_links for g in groups), np.zeros(0, dtype=np.int64)]),
            one_link_each=bool(np.all(per_member == 1)),
        )


@dataclass(frozen=True)
class CostComponent:
    """An annual cost drawn once per trial and spread over its links.

    Loss on link ``j`` in a trial = ``draw * scale[j]`` where ``draw`` comes from ``dist``.
    """

    risk: int
    kind: str  # model type
    key: int  # stable key of the component's random stream: crc32 of risk id, type and ordinal
    dist: LogNormal | Uniform
    sites: np.ndarray  # [int] site index or -1
    scale: np.ndarray  # [currency/yr per unit of draw]


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

    @cached_property
    def shocks(self) -> ShockTable:
        """The common-shock groups as flat arrays (see :class:`ShockTable`)."""
        return ShockTable.of(self.groups)


def _ordered(items: Iterable[Risk]) -> list[Risk]:
    return sorted(items, key=lambda r: r.id)


def compile_portfolio(register: Register, scenario: Scenario, year: int) -> Portfolio:
    """Inherent parameters of every link in ``year`` under ``scenario``.

    Entities are taken in id order so that results do not depend on the order of entries in
    the register files.
    """
    scenario.check_year(year)
    base = register.baseline_year
    scenario.check_year(base)
    risks = _ordered(register.risks) + _ordered(register.opportunities)
    sites = sorted(register.sites, key=lambda s: s.id)
    site_index = {s.id: i for i, s in enumerate(sites)}
    cols: dict[str, list] = {k: [] for k in (
        "risk", "site", "hazard", "kind", "local_rate", "a_scale", "mu_a", "s_a", "a_cap", "b_scale",
        "mu_b", "s_b", "has_down", "sev_mult",
    )}
    link_of: dict[tuple[str, int], list[int]] = {}  # (hazard, site) -> links
    costs: list[CostComponent] = []

    def add_link(**values: object) -> int:
        for key, value in values.items():
            cols[key].append(value)
        return len(cols["risk"]) - 1

    for r_index, risk in enumerate(risks):
        for model in sorted(risk.models, key=repr):  # components in a canonical order
            if isinstance(model, SiteEvent):
                f_mult = hazard_ratio(scenario, model.hazard, "frequency", year, base)
                s_mult = hazard_ratio(scenario, model.hazard, "severity", year, base)
                for sid in sorted(risk.site_ids):
                    site = sites[site_index[sid]]
                    down = model.downtime
                    link = add_link(
                        risk=r_index, site=site_index[sid], hazard=model.hazard, kind="site_event",
                        local_rate=site.hazards.get(model.hazard, 0.0) * f_mult,
                        a_scale=site.replacement_value, mu_a=model.damage.mu, s_a=model.damage.sigma,
                        a_cap=site.replacement_value,
                        b_scale=site.interruption_cost_per_day if down else 0.0,
                        mu_b=down.mu if down else 0.0, s_b=down.sigma if down else 0.0,
                        has_down=1.0 if down else 0.0, sev_mult=s_mult,
                    )
                    link_of.setdefault((model.hazard, site_index[sid]), []).append(link)
            elif isinstance(model, EntityEvent):
                ratio = (scenario.driver_ratio(model.rate_driver, year, base)
                         if model.rate_driver else 1.0)
                add_link(
                    risk=r_index, site=-1, hazard=None, kind="entity_event",
                    local_rate=model.rate * ratio,
                    a_scale=1.0, mu_a=model.severity.mu, s_a=model.severity.sigma, a_cap=np.inf,
                    b_scale=0.0, mu_b=0.0, s_b=0.0, has_down=0.0, sev_mult=1.0,
                )
            elif isinstance(model, CoolingEnergy):
                warming = scenario.driver("local_warming_c", year) - scenario.driver(
                    "local_warming_c", base)
                price = register.electricity_price or 0.0
                ids = sorted(risk.site_ids)
                scale = [sites[site_index[s]].electricity_mwh * price * max(warming, 0.0) for s in ids]
                costs.append(CostComponent(
                    r_index, "cooling_energy", cost_key(risk.id, r_index, "cooling_energy", costs),
                    model.sensitivity,
                    np.array([site_index[s] for s in ids], dtype=np.int64), np.array(scale, dtype=float),
                ))
            elif isinstance(model, CarbonCost):
                price = scenario.driver("carbon_price_usd_t", year) * (register.fx_usd or 0.0)
                costs.append(CostComponent(
                    r_index, "carbon_cost", cost_key(risk.id, r_index, "carbon_cost", costs),
                    model.exposed_share, np.array([-1], dtype=np.int64),
                    np.array([model.emissions_t * price]),
                ))
            elif isinstance(model, AnnualCost):
                ratio = scenario.driver_ratio(model.driver, year, base) if model.driver else 1.0
                costs.append(CostComponent(
                    r_index, "annual_cost", cost_key(risk.id, r_index, "annual_cost", costs), model.cost,
                    np.array([-1], dtype=np.int64), np.array([ratio]),
                ))

    groups = []
    for region in sorted(register.regions, key=lambda r: r.id):
        for event in sorted(region.common_events, key=lambda e: (e.hazard, e.rate, e.footprint)):
            members = sorted(
                j for (hz, j) in link_of if hz == event.hazard and sites[j].region == region.id
            )
            if not members or event.rate == 0:
                continue
            f_mult = hazard_ratio(scenario, event.hazard, "frequency", year, base)
            groups.append(CommonGroup(
                region=region.id, hazard=event.hazard, rate=event.rate * f_mult,
                sites=np.array(members, dtype=np.int64),
                footprint=np.full(len(members), event.footprint),
                site_links=tuple(np.array(link_of[(event.hazard, j)], dtype=np.int64) for j in members),
            ))

    links = EventLinks(
        risk=np.array(cols["risk"], dtype=np.int64), site=np.array(cols["site"], dtype=np.int64),
        hazard=tuple(cols["hazard"]), kind=tuple(cols["kind"]),
        **{k: np.array(cols[k], dtype=float) for k in (
            "local_rate", "a_scale", "mu_a", "s_a", "a_cap", "b_scale", "mu_b", "s_b", "has_down",
            "sev_mult")},
    )
    return Portfolio(
        year=year, risk_ids=tuple(r.id for r in risks),
        is_opportunity=np.array([r.is_opportunity for r in risks], dtype=bool),
        categories=tuple(r.category for r in risks), site_ids=tuple(s.id for s in sites),
        links=links, groups=tuple(groups), costs=tuple(costs),
    )


def cost_key(risk_id: str, r_index: int, kind: str, earlier: list[CostComponent]) -> int:
    """A stable stream key for a recurring component: the same risk, type and ordinal keep
    their random numbers when other components are added or changed."""
    ordinal = sum(1 for c in earlier if c.kind == kind and c.risk == r_index)
    return zlib.crc32(f"{risk_id}|{kind}|{ordinal}".encode())


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
            elif isinstance(model, CoolingEnergy):
                needed.append(("drivers", "local_warming_c"))
            elif isinstance(model, CarbonCost):
                needed.append(("drivers", "carbon_price_usd_t"))
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

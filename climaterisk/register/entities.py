"""The register's entities: the frozen dataclasses a validated register folder is built into.

Sites and regions, risks and opportunities with their quantitative components (models),
controls, metrics and targets, and :class:`Register`, which holds them all. Money is in the
register's currency, rates are per year and fractions are 0-1. :mod:`climaterisk.register`
builds these from a register folder and re-exports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from climaterisk.register import schema
from climaterisk.register.distributions import LogNormal, Uniform
from climaterisk.register.ghg import GhgInventory
from climaterisk.register.plan import TransitionPlan


@dataclass(frozen=True)
class CommonEvent:
    """Regional events of one hazard that can strike several sites of a region in one year."""

    hazard: str
    rate: float  # [events/yr] regional events in the baseline year
    footprint: float  # [fraction 0-1] chance one event strikes a given site of the region
    footprints: dict[str, float] = field(default_factory=dict)  # [fraction 0-1] by site id, overriding
    correlation: float = 0.0  # [0-1] of the struck sites' log-severities within one event


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    common_events: tuple[CommonEvent, ...] = ()


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    kind: str
    region: str
    replacement_value: float  # [currency]
    interruption_cost_per_day: float  # [currency/day]
    electricity_mwh: float = 0.0  # [MWh/yr]
    pue: float | None = None  # [-]
    renewable_share: float | None = None  # [fraction 0-1]; None: not given (not 0)
    iso_status: str = "unknown"  # one of schema.ISO_STATUSES: company, lessor, not_certified, unknown
    iso_valid_until: dt.date | None = None
    iso_holder: str | None = None  # who holds the certificate
    iso_scope: str | None = None  # the certificate's scope statement
    rto_days: float | None = None  # [days]
    mtpd_days: float | None = None  # [days]
    hazards: Mapping[str, float] = field(default_factory=dict)  # [events/yr] local rates
    lat: float | None = None
    lon: float | None = None
    wue: float | None = None  # [L/kWh of IT energy] water usage effectiveness
    water_stress: float = 1.0  # [x water tariff] scarcity factor
    hours_above_set_point: float | None = None  # [h/yr] above the economiser set point, baseline year
    temperature_sd_c: float | None = None  # [°C] SD of hourly outdoor temperature
    set_point_c: float | None = None  # [°C] economiser set point (reports only)

    @property
    def iso_certified(self) -> bool:
        """Whether a certificate is recorded (the company's or the lessor's), valid or expired."""
        return self.iso_status in ("company", "lessor")


@dataclass(frozen=True, kw_only=True)
class Booked:
    """Where a model's cost lands in the statements (:mod:`climaterisk.register.booking`): its
    ``line_item`` as the register declares it (``None``: the model type's default) and its
    ``nature``, ``risk_loss`` or ``budgeted`` (planned spending, never in the risk EAL)."""

    line_item: str | None = None
    nature: str = "risk_loss"


@dataclass(frozen=True)
class SiteEvent(Booked):
    """Acute hazard events at sites: loss = damage x value + downtime x cost per day."""

    hazard: str
    damage: LogNormal  # [fraction of replacement value] per event
    downtime: LogNormal | None  # [days] per event


@dataclass(frozen=True)
class EntityEvent(Booked):
    """Company-level events with a money severity."""

    rate: float  # [events/yr]; the mean of ``rate_range`` when that is given
    severity: LogNormal  # [currency] per event
    rate_driver: str | None = None
    rate_range: Uniform | None = None  # [events/yr] the unknown true rate (epistemic)


@dataclass(frozen=True)
class OutageEpisode(Booked):
    """Episodes (e.g. reputational) set off by long outages at the risk's sites: each outage
    longer than ``trigger_days`` sets one off with ``probability``."""

    trigger_days: float  # [days] full-outage-equivalent, after controls
    probability: float  # [fraction 0-1] per triggering outage
    severity: LogNormal  # [currency] per episode


@dataclass(frozen=True)
class CoolingEnergy(Booked):
    """Extra cooling electricity at the site's tariff. Flat rule (``sensitivity``): site MWh x
    sensitivity x local warming. Hours rule (``mechanical_cooling``): average IT load [MW] x
    extra hours above the economiser set point [h] x extra mechanical-cooling power [fraction]."""

    sensitivity: LogNormal | None  # [fraction of site electricity per °C]
    mechanical_cooling: LogNormal | None = None  # [fraction of IT load] during hours above set point
    epistemic: bool = False  # one unknown value for every year (True) or drawn every year


@dataclass(frozen=True)
class CoolingWater(Booked):
    """Extra cooling water: WUE x IT energy [m³] x sensitivity x local warming x water tariff x stress."""

    sensitivity: LogNormal  # [fraction of site water use per °C]
    epistemic: bool = False  # one unknown value for every year (True) or drawn every year


@dataclass(frozen=True)
class CarbonCost(Booked):
    """Carbon-price exposure: emissions x exposed share x carbon price x fx."""

    metrics: tuple[str, ...]
    emissions_t: float  # [t CO2e/yr] sum of the named metrics (0 with `projected`)
    exposed_share: Uniform  # [fraction 0-1]; unused when `share_drivers` gives the bounds
    projected: str | None = None  # location | market | avoided: ghg.yaml pathway in the horizon year
    share_drivers: tuple[str, str] | None = None  # scenario drivers of the share's low and high bounds
    epistemic: bool = False  # one unknown share for every year (True) or drawn every year


@dataclass(frozen=True)
class AnnualCost(Booked):
    """A recurring cost (or benefit) scaled by a scenario driver."""

    cost: LogNormal  # [currency/yr]
    driver: str | None = None
    epistemic: bool = False  # one unknown cost level for every year (True) or drawn every year


Model = SiteEvent | EntityEvent | OutageEpisode | CoolingEnergy | CoolingWater | CarbonCost | AnnualCost


@dataclass(frozen=True)
class Treatment:
    """The committee's treatment decision for a risk (``treatment`` in risks.yaml)."""

    decision: str  # mitigate, transfer, accept or avoid (schema.TREATMENT_DECISIONS)
    approver: str | None = None
    date: dt.date | None = None  # when the decision was taken
    rationale: str = ""
    review_date: dt.date | None = None  # when it is to be reviewed by
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The decision's fields, dates as ISO text (None where not given)."""
        return {"decision": self.decision, "approver": self.approver,
                "date": self.date.isoformat() if self.date else None, "rationale": self.rationale,
                "review_date": self.review_date.isoformat() if self.review_date else None,
                "source": self.source}


@dataclass(frozen=True)
class Risk:
    """A risk (a loss) or an opportunity (a benefit) with its quantitative components.

    ``likelihood`` and ``impact`` are the inherent rating, ``residual_likelihood`` and
    ``residual_impact`` the residual one (1-5 each, None when not given)."""

    id: str
    title: str
    category: str
    ifrs_s2_type: str
    narrative: str
    time_horizons: tuple[str, ...]
    owner: str | None
    site_ids: tuple[str, ...]
    control_ids: tuple[str, ...]
    models: tuple[Model, ...]
    likelihood: int | None = None
    impact: int | None = None
    is_opportunity: bool = False
    source: str = ""
    residual_likelihood: int | None = None
    residual_impact: int | None = None
    treatment: Treatment | None = None

    @property
    def is_disruption(self) -> bool:
        """Whether the risk can disrupt operations, so that ISO 22301 clause 8 applies to it: an
        acute physical risk, or any risk with a downtime model (a site event with downtime days)."""
        return self.category == "physical_acute" or any(
            isinstance(m, SiteEvent) and m.downtime is not None for m in self.models)


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    type: str
    status: str
    description: str = ""
    effective_year: int | None = None
    retired_year: int | None = None
    site_ids: tuple[str, ...] | None = None  # None: every site of the risks it mitigates
    components: tuple[str, ...] | None = None  # model types acted on; None: all
    frequency: float = 0.0  # [fraction] reduction of event frequency
    severity: float = 0.0  # [fraction] reduction of loss per event / cost
    downtime: float = 0.0  # [fraction] reduction of downtime days
    deductible: float = 0.0  # [currency per event] transfer only
    limit: float = 0.0  # [currency per event] transfer only
    clauses: tuple[str, ...] = ()
    owner: str | None = None
    last_tested: dt.date | None = None  # last test or exercise (ISO 22301 8.5)
    last_incident_review: dt.date | None = None  # last post-incident review (ISO 22301 8.6)
    annual_cost: float | None = None  # [currency/yr]
    source: str = ""
    planned_on: dt.date | None = None  # date the control was decided

    def in_force(self, year: int) -> bool:
        """Whether the control acts in ``year``: implemented or planned from its effective year,
        until its retirement year (a retired control with no year is not in force)."""
        if self.status == "retired" and self.retired_year is None:
            return False
        if self.effective_year is not None and year < self.effective_year:
            return False
        return not (self.retired_year is not None and year >= self.retired_year)

    def applies_to(self, site_id: str | None, component: str | None = None) -> bool:
        """Whether the control acts at ``site_id`` (``None``: a company-level component) on a
        component of type ``component`` (``None``: any). A control limited to some sites does
        not act on company-level components."""
        if component is not None and self.components is not None and component not in self.components:
            return False
        if self.site_ids is None:
            return True
        return site_id is not None and site_id in self.site_ids


@dataclass(frozen=True)
class BiaActivity:
    """A prioritised activity of the business impact analysis (ISO 22301 8.2.2)."""

    id: str
    name: str
    mtpd_days: float  # [days] maximum tolerable period of disruption
    rto_days: float  # [days] recovery time objective
    rpo_hours: float  # [hours] recovery point objective (data loss tolerated)
    mbco: str  # minimum business continuity objective
    site_ids: tuple[str, ...] = ()  # sites it depends on
    activity_ids: tuple[str, ...] = ()  # other activities it depends on
    priority: int | None = None  # 1 (most urgent) to 5
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    category: str
    unit: str
    year: int
    value: float
    scope: int | None = None
    period: str = "annual"  # annual, cumulative (to date), lowest, highest or point (see METRIC_PERIODS)


@dataclass(frozen=True)
class Target:
    id: str
    title: str
    unit: str
    baseline: tuple[int, float]
    target: tuple[int, float]
    latest: tuple[int, float] | None = None
    metric: str | None = None
    direction: str | None = None  # reduce_to, raise_to, at_most, at_least
    # IFRS S2 33-36 details (climaterisk.register.plan.TARGET_FIELDS); empty when not given
    objective: str | None = None  # mitigation, adaptation, resource_efficiency, other
    scopes: tuple[str, ...] = ()  # GHG scopes covered: scope1, scope2, scope3
    sites: tuple[str, ...] = ()  # site ids covered
    coverage: str = ""  # what the target covers, in words
    milestones: tuple[tuple[int, float], ...] = ()  # interim (year, value), sorted by year
    agreement_linked: bool | None = None  # tied to the Paris Agreement; None: not stated
    agreement_basis: str = ""
    review: str = ""
    tracked_by: str | None = None  # figure of the GHG account that tracks it
    tracked_activity: str | None = None


@dataclass(frozen=True)
class Register:
    """A validated register. Money is in ``currency``; rates per year; fractions 0-1."""

    path: Path
    id: str
    organisation: str
    currency: str
    as_of: dt.date
    baseline_year: int
    horizons: Mapping[str, int]
    reporting_period: tuple[dt.date, dt.date]
    governance: str
    risk_management: str
    regions: tuple[Region, ...]
    sites: tuple[Site, ...]
    risks: tuple[Risk, ...]
    opportunities: tuple[Risk, ...]
    controls: tuple[Control, ...]
    metrics: tuple[Metric, ...]
    targets: tuple[Target, ...]
    bia: tuple[BiaActivity, ...] = ()  # business impact analysis, if the register has one
    documents: tuple[Mapping[str, Any], ...] = ()
    electricity_price: float | None = None  # [currency/MWh]
    fx_usd: float | None = None  # [currency per USD]
    electricity_prices: Mapping[str, float] = field(default_factory=dict)  # [currency/MWh] by region id
    water_price: float | None = None  # [currency/m³]
    water_prices: Mapping[str, float] = field(default_factory=dict)  # [currency/m³] by region id
    certification_cycle_years: float = 3.0
    renewal: str = "renew"  # ISO 22301 certificates: "renew" each cycle or "lapse" at expiry
    disclosure: Mapping[str, Any] = field(default_factory=dict)  # IFRS S2 metrics inputs
    renewal_assumption: str = ""
    description: str = ""
    provenance: tuple[schema.Provenance, ...] = ()
    file_hashes: Mapping[str, str] = field(default_factory=dict)
    ghg: GhgInventory | None = None  # the GHG inventory (ghg.yaml), if the register has one
    plan: TransitionPlan | None = None  # the transition plan (plan.yaml), if the register has one

    def site(self, site_id: str) -> Site:
        return next(s for s in self.sites if s.id == site_id)

    def electricity_price_at(self, site: Site) -> float:
        """The electricity tariff at ``site`` [currency/MWh]: its region's, else the register's
        (0 if none)."""
        return self.electricity_prices.get(site.region, self.electricity_price or 0.0)

    def water_price_at(self, site: Site) -> float:
        """The water tariff at ``site`` [currency/m³]: its region's, else the register's (0 if none)."""
        return self.water_prices.get(site.region, self.water_price or 0.0)

    def region(self, region_id: str) -> Region:
        return next(r for r in self.regions if r.id == region_id)

    def control(self, control_id: str) -> Control:
        return next(c for c in self.controls if c.id == control_id)

    def metric(self, metric_id: str) -> Metric:
        return next(m for m in self.metrics if m.id == metric_id)

    @property
    def assumptions(self) -> list[schema.Provenance]:
        """Inputs whose source is ``assumption: <basis>``."""
        return [p for p in self.provenance if p.is_assumption]

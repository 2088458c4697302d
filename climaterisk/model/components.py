"""The recurring cost components of a portfolio: annual costs drawn once per trial.

:class:`CostComponent` and how each recurring model is compiled under a scenario and year:
extra cooling energy (flat rule, or the hours-above-set-point rule with :func:`hours_above` and
:func:`extra_hours_above`), extra cooling water, carbon cost and a driver-scaled annual cost,
each with its stable stream key (:func:`cost_key`). :class:`CompileContext` is what compiling a
model needs; :func:`climaterisk.model.compile.compile_portfolio` builds it and calls these.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from climaterisk.model.emissions import projected_emissions
from climaterisk.register import (
    AnnualCost,
    CarbonCost,
    CoolingEnergy,
    CoolingWater,
    Register,
    Risk,
    Site,
)
from climaterisk.register.distributions import LogNormal, Uniform
from climaterisk.register.uncertainty import epistemic_key
from climaterisk.scenarios import Scenario

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class CompileContext:
    """What compiling each model needs: the register, the scenario, the year compiled and the
    register's baseline year [calendar years], and the sites in id order."""

    register: Register
    scenario: Scenario
    year: int
    base: int
    sites: list[Site]
    site_index: dict[str, int]  # site id -> index into sites
    quantiles: Mapping[str, float] = field(default_factory=dict)  # epistemic input name -> 0-1


def held(ctx: CompileContext, risk: Risk, model: object, dist: LogNormal | Uniform) -> LogNormal | Uniform:
    """The distribution a model's drawn value takes in the compiled world: ``dist`` itself for an
    aleatory value (drawn every simulated year); for an epistemic one, a fixed value for every
    year: the quantile the world gives it (``ctx.quantiles`` by the input's name), or its mean
    when the world gives none (the default run: the mean keeps the EAL unbiased)."""
    key = epistemic_key(risk, model)  # type: ignore[arg-type]
    if key is None:
        return dist
    q = ctx.quantiles.get(key)
    value = dist.mean() if q is None else dist.ppf(q)
    return Uniform(value, value)


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
    line_item: str = "operating_cost"  # statement line item (climaterisk.register.booking)


def cost_key(risk_id: str, r_index: int, kind: str, earlier: list[CostComponent]) -> int:
    """A stable stream key for a recurring component: the same risk, type and ordinal keep
    their random numbers when other components are added or changed."""
    ordinal = sum(1 for c in earlier if c.kind == kind and c.risk == r_index)
    return zlib.crc32(f"{risk_id}|{kind}|{ordinal}".encode())


def _local_warming(ctx: CompileContext) -> float:
    """The scenario's local warming in the compiled year since the register's baseline year [degC]."""
    lw = ctx.scenario.driver
    return lw("local_warming_c", ctx.year) - lw("local_warming_c", ctx.base)


def hours_above(baseline_hours: float, sd_c: float, warming_c: float) -> float:
    """Hours a year above the economiser set point [h/yr] after ``warming_c`` [degC] of local
    warming, for a site with ``baseline_hours`` [h/yr] above it in the baseline year and an SD of
    hourly outdoor temperature of ``sd_c`` [degC].

    Hourly temperatures are taken as normal around the annual mean, so warming shifts them all by
    ``warming_c``: with ``z0 = Phi^-1(1 - baseline_hours / 8760)`` the hours become
    ``8760 (1 - Phi(z0 - warming_c / sd_c))``. A site never (always) above the set point stays so."""
    if baseline_hours <= 0.0 or baseline_hours >= HOURS_PER_YEAR:
        return baseline_hours
    std = NormalDist()
    z0 = std.inv_cdf(1.0 - baseline_hours / HOURS_PER_YEAR)
    return HOURS_PER_YEAR * (1.0 - std.cdf(z0 - warming_c / sd_c))


def extra_hours_above(site: Site, warming_c: float) -> float:
    """Extra hours above the site's economiser set point [h/yr] after ``warming_c`` [degC] of local
    warming since the baseline year; none for a cooler climate (no saving is counted)."""
    base = site.hours_above_set_point or 0.0
    sd = site.temperature_sd_c or 1.0
    return max(hours_above(base, sd, max(warming_c, 0.0)) - base, 0.0)


def cooling_energy_cost(
    ctx: CompileContext, r_index: int, risk: Risk, model: CoolingEnergy, earlier: list[CostComponent]
) -> CostComponent:
    """Extra cooling at each site of the risk, priced at the site's tariff [currency/MWh] (its
    region's, else the register's).

    Flat rule (``sensitivity``): the site's electricity [MWh/yr] x tariff x local warming since the
    baseline year [degC, none if negative], times the drawn sensitivity [fraction per degC].
    Hours rule (``mechanical_cooling``): the site's average IT load [MW] = electricity / PUE / 8760
    x the extra hours above its economiser set point [h/yr] (:func:`extra_hours_above`) x tariff,
    times the drawn extra mechanical-cooling power [fraction of IT load]."""
    warming = _local_warming(ctx)
    register = ctx.register
    ids = sorted(risk.site_ids)
    scale = []
    for sid in ids:
        site = ctx.sites[ctx.site_index[sid]]
        price = register.electricity_price_at(site)
        if model.mechanical_cooling is None:
            scale.append(site.electricity_mwh * price * max(warming, 0.0))
        else:
            it_mw = site.electricity_mwh / (site.pue or 1.0) / HOURS_PER_YEAR
            scale.append(it_mw * extra_hours_above(site, warming) * price)
    return CostComponent(
        r_index, "cooling_energy", cost_key(risk.id, r_index, "cooling_energy", earlier),
        held(ctx, risk, model,
             model.sensitivity if model.mechanical_cooling is None else model.mechanical_cooling),
        np.array([ctx.site_index[s] for s in ids], dtype=np.int64), np.array(scale, dtype=float),
    )


def cooling_water_cost(
    ctx: CompileContext, r_index: int, risk: Risk, model: CoolingWater, earlier: list[CostComponent]
) -> CostComponent:
    """Extra cooling water at each site of the risk: its water use WUE [L/kWh] x IT energy
    (electricity / PUE) [MWh/yr] = [m³/yr], x the site's water tariff [currency/m³] x its water-stress
    factor [-] x local warming since the baseline year [degC, none if negative], times the drawn
    sensitivity [fraction of water use per degC]."""
    warming = _local_warming(ctx)
    ids = sorted(risk.site_ids)
    scale = []
    for sid in ids:
        site = ctx.sites[ctx.site_index[sid]]
        water_m3 = (site.wue or 0.0) * site.electricity_mwh / (site.pue or 1.0)  # L/kWh x MWh = m³
        scale.append(water_m3 * ctx.register.water_price_at(site) * site.water_stress * max(warming, 0.0))
    return CostComponent(
        r_index, "cooling_water", cost_key(risk.id, r_index, "cooling_water", earlier),
        held(ctx, risk, model, model.sensitivity),
        np.array([ctx.site_index[s] for s in ids], dtype=np.int64), np.array(scale, dtype=float),
    )


def carbon_cost(
    ctx: CompileContext, r_index: int, risk: Risk, model: CarbonCost, earlier: list[CostComponent]
) -> CostComponent:
    """Company-level carbon cost: emissions [t CO2e] x carbon price [USD/t] x exchange rate
    [currency per USD], times the drawn exposed share [fraction]. Emissions are the named metrics
    (frozen) or, with ``projected``, the ghg.yaml pathway's in the compiled year under the scenario
    (:mod:`climaterisk.model.emissions`); the share is the model's range or, with
    ``share_drivers``, uniform between the two scenario drivers in that year: drawn every trial,
    or with ``uncertainty: epistemic`` one value for every year (:func:`held`)."""
    price = ctx.scenario.driver("carbon_price_usd_t", ctx.year) * (ctx.register.fx_usd or 0.0)
    emissions = model.emissions_t
    if model.projected is not None and ctx.register.ghg is not None:
        emissions = projected_emissions(ctx.register.ghg, ctx.scenario, ctx.year, model.projected)
    share = model.exposed_share
    if model.share_drivers is not None:
        low, high = (ctx.scenario.driver(d, ctx.year) for d in model.share_drivers)
        share = Uniform(low, high)
    return CostComponent(
        r_index, "carbon_cost", cost_key(risk.id, r_index, "carbon_cost", earlier),
        held(ctx, risk, model, share), np.array([-1], dtype=np.int64), np.array([emissions * price]),
    )


def annual_cost(
    ctx: CompileContext, r_index: int, risk: Risk, model: AnnualCost, earlier: list[CostComponent]
) -> CostComponent:
    """Company-level annual cost: the drawn cost [currency/yr] times its driver's ratio to the
    baseline year [-] (1 without a driver)."""
    ratio = ctx.scenario.driver_ratio(model.driver, ctx.year, ctx.base) if model.driver else 1.0
    return CostComponent(
        r_index, "annual_cost", cost_key(risk.id, r_index, "annual_cost", earlier),
        held(ctx, risk, model, model.cost),
        np.array([-1], dtype=np.int64), np.array([ratio]),
    )

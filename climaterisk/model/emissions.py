"""Projected scope 1 and 2 emissions of a register's GHG inventory under a scenario in a year.

Each activity of ``ghg.yaml`` is carried from its reporting year (the base year) to ``year``:

- quantity [unit/yr] = base quantity x (1 + growth)^(year - base) x the multipliers of the
  efficiency levers on it that have started (start <= year);
- electricity factor [t CO2/MWh] = base factor x grid(year) / grid(base), grid the scenario's grid
  emission-factor driver (``pathway.grid_driver``, default ``grid_factor_cn_t_per_mwh``); other
  factors stay at their base value;
- market-based electricity: the base year's annual instruments are carried forward as the same
  share of the activity's electricity at their own factor; a started renewable_share lever raises
  the zero-emission share to its value (if higher), a started green_power lever adds its MWh/yr of
  zero-emission electricity; covered electricity never exceeds the activity's; the rest carries
  the residual factor (default the location factor) x the grid ratio. Cumulative (to-date)
  instruments are not carried forward, as they are not deducted in the base year.

Without a pathway the inventory is frozen at the base year (growth 0, flat factors, no lever).
In the base year the projection equals the GHG account (:func:`climaterisk.analysis.ghg.account`)
by construction; :mod:`climaterisk.analysis.pathways` tabulates it per scenario and year and checks
that. This module is in the model layer so that the carbon cost (:mod:`climaterisk.model.components`)
can stand on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from climaterisk.register.ghg import GhgInventory
from climaterisk.scenarios import Scenario

METHODS = ("location", "market", "avoided")
"""Which projected emissions a carbon_cost model prices: scope 1 + scope 2 location-based, scope 1 +
scope 2 market-based, or the scope 2 emissions the contractual zero-emission electricity avoids
(location - market)."""


@dataclass(frozen=True)
class ProjectedActivity:
    """One activity in a projected year: quantity [unit/yr], factor [t CO2e/unit], emissions
    location- and market-based [t CO2e/yr], electricity covered by instruments or levers [MWh/yr]."""

    activity: str
    kind: str
    scope: int
    site: str | None
    quantity: float
    factor: float
    location: float
    market: float
    covered_mwh: float


def grid_ratio(inv: GhgInventory, scenario: Scenario | None, year: int) -> float:
    """Grid factor in ``year`` over the base year's [-]: 1 without a pathway or a scenario."""
    if inv.pathway is None or scenario is None or year == inv.reporting_year:
        return 1.0
    return scenario.driver_ratio(inv.pathway.grid_driver, year, inv.reporting_year)


def project(inv: GhgInventory, scenario: Scenario | None, year: int, *, levers: bool = True,
            without: frozenset[str] = frozenset()) -> list[ProjectedActivity]:
    """Every activity in ``year``; ``levers=False`` leaves all levers out, ``without`` the levers of
    those ids (for the effect of one lever)."""
    base = inv.reporting_year
    path = inv.pathway
    growth = (1.0 + path.growth) ** (year - base) if path is not None else 1.0
    ratio = grid_ratio(inv, scenario, year)
    active = [lv for lv in (path.levers if path is not None and levers else ())
              if lv.start <= year and lv.id not in without]
    residual = inv.factor(inv.residual_factor)["value"] if inv.residual_factor else None
    out = []
    for a in inv.activities:
        mine = [lv for lv in active if lv.activity == a.id]
        q = a.quantity * growth
        for lv in mine:
            if lv.kind == "efficiency":
                q *= lv.value
        f = inv.factor(a.factor_id)["value"]
        if a.kind != "electricity":
            out.append(ProjectedActivity(a.id, a.kind, a.scope, a.site_id, q, f, q * f, q * f, 0.0))
            continue
        annual = [i for i in inv.instruments if i.covers == a.id and i.period == "annual"]
        inst_mwh = sum(i.quantity for i in annual)
        share0 = min(inst_mwh, a.quantity) / a.quantity if a.quantity else 0.0
        inst_t = sum(i.quantity * inv.factor(i.factor_id)["value"] for i in annual)
        inst_rate = inst_t / inst_mwh if inst_mwh else 0.0  # [t CO2e/MWh] of the instruments
        share = max([share0, *(lv.value for lv in mine if lv.kind == "renewable_share")])
        extra = sum(lv.value for lv in mine if lv.kind == "green_power")
        covered = min(q, share * q + extra)
        carried = min(share0 * q, covered)  # base-year instruments, at their own factor
        rest = (residual if residual is not None else f) * ratio
        market = max(0.0, (q - covered) * rest + carried * inst_rate)
        out.append(ProjectedActivity(a.id, a.kind, a.scope, a.site_id, q, f * ratio, q * f * ratio,
                                     market, covered))
    return out


def totals(rows: list[ProjectedActivity]) -> dict[str, float]:
    """Scope 1, scope 2 location- and market-based, scope 1+2 both ways and avoided [t CO2e/yr]."""
    s1 = sum(r.location for r in rows if r.scope == 1)
    s2l = sum(r.location for r in rows if r.scope == 2)
    s2m = sum(r.market for r in rows if r.scope == 2)
    return {"scope1": s1, "scope2_location": s2l, "scope2_market": s2m, "scope12_location": s1 + s2l,
            "scope12_market": s1 + s2m, "avoided": s2l - s2m}


def projected_emissions(inv: GhgInventory, scenario: Scenario | None, year: int, method: str) -> float:
    """Projected emissions [t CO2e/yr] of ``method`` (see :data:`METHODS`) in ``year``."""
    t = totals(project(inv, scenario, year))
    return t["avoided"] if method == "avoided" else t[f"scope12_{method}"]


__all__ = ["METHODS", "ProjectedActivity", "grid_ratio", "project", "projected_emissions", "totals"]

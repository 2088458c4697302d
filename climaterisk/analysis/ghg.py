"""GHG accounting from activity data (GHG Protocol Corporate Standard; IFRS S2 29(a)).

:func:`account` turns a register's GHG inventory (``ghg.yaml``: activity data, contractual
instruments, scope 3 screening) and the emission-factor library into scope 1 and scope 2 emissions
[t CO2e], location-based and market-based, by activity, by site and in total; it sets them beside
the figures the source reports (metrics.yaml) with the difference explained, recomputes scope 2
with the MEE grid factors of each published year, derives the renewable share of electricity and
per-employee intensities, and lists the scope 3 screening, measured or explained by category.

Market-based scope 2 of an electricity activity = its electricity not covered by an annual
instrument x the residual factor (default: its location-based factor) + covered electricity x the
instruments' factor, never below zero. With the default this equals the location-based figure minus
the covered electricity x (location factor - instrument factor). Cumulative (to-date) instruments are
not deducted; the figure as if they all fell in the year is shown as a bound.

The computation is in two modules beside this one: the emissions of each activity, the grid-factor
alternatives and the conventions in :mod:`climaterisk.analysis.ghg_emissions`; the comparisons with
the reported figures and the intensities in :mod:`climaterisk.analysis.ghg_reported`. This module
holds the account (:class:`GhgAccount`), the renewable share and the scope 3 screening.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from climaterisk.analysis.ghg_emissions import (
    COMPANY,
    EmissionLine,
    emission_lines,
    factor_row,
    grid_alternatives,
    statements_of,
)
from climaterisk.analysis.ghg_reported import Comparison, comparison_ok, comparisons, intensities, rounding
from climaterisk.register import Register
from climaterisk.register.ghg import SCOPE3_CATEGORIES, GhgInventory

NO_REASON = "NO EXPLANATION GIVEN: the register lists the category without a reason"
NOT_ADDRESSED = "NOT ADDRESSED: the register's scope 3 screening does not list this category"


@dataclass
class GhgAccount:
    """Scope 1 and 2 [t CO2e] derived from activity data, with their basis and comparisons."""

    register: str
    year: int
    standard: str
    consolidation: str
    consolidation_basis: str
    measurement: str
    gases: list[str]
    lines: list[EmissionLine]
    scope1: float
    scope2_location: float
    scope2_market: float
    scope2_market_if_cumulative: float | None
    by_site: list[dict]
    instruments: list[dict]
    factors: list[dict]
    grid_alternatives: list[dict]
    comparisons: list[Comparison]
    renewable: dict
    intensities: list[dict]
    scope3: list[dict]
    not_measured: list[dict]
    statements: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON of ``climaterisk ghg --format json`` and the ``ghg`` block of an assessment."""
        return {
            "register": self.register, "year": self.year, "units": "t CO2e unless stated",
            "basis": {"standard": self.standard, "consolidation": self.consolidation,
                      "consolidation_basis": self.consolidation_basis, "measurement": self.measurement,
                      "gases": self.gases},
            "scope1": self.scope1, "scope2_location": self.scope2_location,
            "scope2_market": self.scope2_market,
            "scope2_market_if_cumulative_in_year": self.scope2_market_if_cumulative,
            "scope12_location": self.scope1 + self.scope2_location,
            "scope12_market": self.scope1 + self.scope2_market,
            "lines": [asdict(line) for line in self.lines], "by_site": self.by_site,
            "instruments": self.instruments, "factors": self.factors,
            "grid_alternatives": self.grid_alternatives,
            "derived_vs_reported": [c.to_dict() for c in self.comparisons],
            "renewable": self.renewable, "intensities": self.intensities, "scope3": self.scope3,
            "not_measured": self.not_measured, "statements": self.statements,
        }


def _renewable(inv: GhgInventory, lines: list[EmissionLine]) -> dict:
    elec = sum(x.quantity for x in lines if x.kind == "electricity")
    annual = sum(i.quantity for i in inv.instruments if i.period == "annual")
    cumulative = sum(i.quantity for i in inv.instruments if i.period != "annual")
    acts = {a.id: a for a in inv.activities}
    notes = [f"{i.covers}: {acts[i.covers].circularity}" for i in inv.instruments
             if i.period == "annual" and acts[i.covers].circularity]
    by_activity = []
    for a_id in sorted({i.covers for i in inv.instruments if i.period == "annual"}):
        mwh = sum(i.quantity for i in inv.instruments if i.covers == a_id and i.period == "annual")
        q = acts[a_id].quantity
        by_activity.append({"activity": a_id, "site": acts[a_id].site_id, "renewable_mwh": mwh,
                            "electricity_mwh": q, "share": mwh / q if q else None,
                            "circular": bool(acts[a_id].circularity)})
    counted = inv.instruments_are_renewable
    return {
        "electricity_mwh": elec, "annual_instruments_mwh": annual, "cumulative_instruments_mwh": cumulative,
        "share_low": annual / elec if elec and counted else None,
        "share_high": (annual + cumulative) / elec if elec and counted else None,
        "basis": ("annual contractual instruments / electricity (low); with every cumulative (to-date) "
                  "volume counted in the year (high)") if counted else
                 "not computed: the register does not say its instruments are all renewable",
        "by_activity": by_activity, "circularity": notes,
    }


def _scope3(inv: GhgInventory) -> list[dict]:
    given = {s.category: s for s in inv.scope3}
    out = []
    for number, name in SCOPE3_CATEGORIES.items():
        s = given.get(number)
        if s is None:
            out.append({"category": number, "name": name, "status": "not addressed", "emissions": None,
                        "explanation": NOT_ADDRESSED})
            continue
        emissions = None
        if s.status == "measured" and s.quantity is not None and s.factor_id:
            emissions = s.quantity * inv.factor(s.factor_id)["value"]
        text = s.reason.strip() or (NO_REASON if s.status != "measured" else "")
        if s.status == "measured":
            text = (f"{s.quantity:,.2f} {s.unit} x {s.factor_id}" + (f". {text}" if text else ""))
        out.append({"category": number, "name": name, "status": s.status.replace("_", " "),
                    "emissions": emissions, "factor": s.factor_id, "explanation": text})
    return out


def account(register: Register) -> GhgAccount | None:
    """Scope 1 and 2 from the register's GHG inventory, or None when it has no ``ghg.yaml``."""
    inv = register.ghg
    if inv is None:
        return None
    lines, market_high = emission_lines(inv)
    scope1 = sum(x.location for x in lines if x.scope == 1)
    scope2 = sum(x.location for x in lines if x.scope == 2)
    scope2_market = sum(x.market for x in lines if x.scope == 2)
    sites: dict[str, dict] = {}
    for x in lines:
        row = sites.setdefault(x.site, {"site": x.site, "scope1": 0.0, "scope2_location": 0.0,
                                        "scope2_market": 0.0})
        row["scope1" if x.scope == 1 else "scope2_location"] += x.location
        if x.scope == 2:
            row["scope2_market"] += x.market
    used = sorted({x.factor_id for x in lines} | {i.factor_id for i in inv.instruments}
                  | ({inv.residual_factor} if inv.residual_factor else set())
                  | {s.factor_id for s in inv.scope3 if s.factor_id})
    line_of = {x.activity: x for x in lines}
    instruments = [{"id": i.id, "kind": i.kind, "covers": i.covers, "site": line_of[i.covers].site,
                    "mwh": i.quantity, "period": i.period, "factor": i.factor_id,
                    "deducted_t": (i.quantity * (line_of[i.covers].factor - inv.factor(i.factor_id)["value"])
                                   if i.period == "annual" and not inv.residual_factor else None),
                    "description": i.description} for i in inv.instruments]
    has_cumulative = any(i.period != "annual" for i in inv.instruments)
    statements = statements_of(inv, lines)
    return GhgAccount(
        register=register.id, year=inv.reporting_year, standard=inv.standard,
        consolidation=inv.consolidation, consolidation_basis=inv.consolidation_basis,
        measurement=" ".join(inv.measurement.split()), gases=list(inv.gases), lines=lines,
        scope1=scope1, scope2_location=scope2, scope2_market=scope2_market,
        scope2_market_if_cumulative=market_high if has_cumulative else None,
        by_site=sorted(sites.values(), key=lambda r: (r["site"] == COMPANY, r["site"])),
        instruments=instruments, factors=[factor_row(inv, f) for f in used],
        grid_alternatives=grid_alternatives(inv, lines, scope2),
        comparisons=comparisons(register, inv, lines, scope1, scope2, scope2_market),
        renewable=_renewable(inv, lines), intensities=intensities(register, inv),
        scope3=_scope3(inv), not_measured=[dict(n) for n in inv.not_measured], statements=statements,
    )


def as_mapping(acc: GhgAccount | None) -> Mapping[str, Any] | None:
    """The account as JSON-ready data (None passes through)."""
    return None if acc is None else acc.to_dict()


__all__ = ["COMPANY", "Comparison", "EmissionLine", "GhgAccount", "account", "as_mapping",
           "comparison_ok", "rounding"]

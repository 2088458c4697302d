"""Emissions from activity data: each activity's quantity x its emission factor, location-based
and market-based (:class:`EmissionLine`, :func:`emission_lines`), scope 2 recomputed with the
MEE/NBS grid factors of each published year (:func:`grid_alternatives`), the factors used
(:func:`factor_row`) and the conventions of the figures in words (:func:`statements_of`).

:func:`climaterisk.analysis.ghg.account` puts them into the GHG account.
"""

from __future__ import annotations

from dataclasses import dataclass

from climaterisk.refdata import emission_factor_library
from climaterisk.register.ghg import GhgInventory

COMPANY = "(company level)"
"""Label of activities not attributed to a site."""


@dataclass(frozen=True)
class EmissionLine:
    """One activity: ``quantity`` [unit] x ``factor`` [t CO2e/unit] = ``location`` [t CO2e];
    ``market`` [t CO2e] for scope 2 (equal to ``location`` without instruments)."""

    activity: str
    scope: int
    kind: str
    site: str
    grid: str | None
    quantity: float
    unit: str
    factor_id: str
    factor: float
    factor_unit: str
    location: float
    market: float
    covered_mwh: float = 0.0
    quantity_basis: str = ""


def factor_row(inv: GhgInventory, fid: str) -> dict:
    f = inv.factor(fid)
    return {"id": fid, "value": f["value"], "unit": f["unit"], "year": f["year"],
            "applies_to": f["applies_to"], "basis": f.get("basis", ""), "checked": f.get("checked", False),
            "library": f.get("library", "register"), "source": f["source"],
            **({"components": f["components"]} if "components" in f else {})}


def _market(inv: GhgInventory, mwh: float, rest_factor: float, instruments: list) -> tuple[float, float]:
    """Market-based emissions [t CO2e] of ``mwh`` of electricity and the MWh the instruments cover:
    uncovered MWh x ``rest_factor`` + covered MWh x the instruments' factors, never below zero."""
    covered = min(sum(i.quantity for i in instruments), mwh)
    inst = sum(i.quantity * inv.factor(i.factor_id)["value"] for i in instruments)
    return max(0.0, (mwh - covered) * rest_factor + inst), covered


def emission_lines(inv: GhgInventory) -> tuple[list[EmissionLine], float]:
    """Emission lines of every activity, and scope 2 market-based as if cumulative instruments
    fell in the year [t CO2e]."""
    annual: dict[str, list] = {}
    cumulative: dict[str, list] = {}
    for i in inv.instruments:
        (annual if i.period == "annual" else cumulative).setdefault(i.covers, []).append(i)
    residual = inv.factor(inv.residual_factor)["value"] if inv.residual_factor else None
    lines, market_high = [], 0.0
    for a in inv.activities:
        f = inv.factor(a.factor_id)
        location = a.quantity * f["value"]
        market, covered, high = location, 0.0, location
        if a.kind == "electricity":
            rest_factor = residual if residual is not None else f["value"]
            market, covered = _market(inv, a.quantity, rest_factor, annual.get(a.id, []))
            high, _ = _market(inv, a.quantity, rest_factor, annual.get(a.id, []) + cumulative.get(a.id, []))
        if a.scope == 2:
            market_high += high
        basis = "site electricity_mwh (sites.yaml)" if a.from_site else "ghg.yaml quantity"
        lines.append(EmissionLine(a.id, a.scope, a.kind, a.site_id or COMPANY, a.grid, a.quantity, a.unit,
                                  a.factor_id, f["value"], f["unit"], location,
                                  market if a.scope == 2 else location, covered, basis))
    return lines, market_high


def grid_alternatives(inv: GhgInventory, lines: list[EmissionLine], main: float) -> list[dict]:
    """Scope 2 location-based recomputed with the MEE/NBS grid factors of each published year
    (regional where the library has the activity's region, else national)."""
    library = emission_factor_library()
    years = sorted({f["year"] for f in library.values()
                    if f["applies_to"] == "electricity" and f.get("basis") == "published"
                    and str(f["id"]).startswith("cn-grid-")})
    other = sum(x.location for x in lines if x.scope == 2 and x.kind != "electricity")
    elec = [x for x in lines if x.kind == "electricity"]
    out = []
    for year in years:
        national = library.get(f"cn-grid-national-{year}")
        variants = []
        regional = {x.activity: library.get(f"cn-grid-{x.grid}-{year}") for x in elec}
        if any(f is not None and x.grid != "national" for x, f in zip(elec, regional.values(), strict=True)):
            variants.append(("regional", regional))
        if national is not None:
            variants.append(("national", {x.activity: national for x in elec}))
        for label, chosen in variants:
            if any(f is None for f in chosen.values()) and national is None:
                continue
            total, used = other, set()
            for x in elec:
                f = chosen[x.activity] or national
                total += x.quantity * f["value"]
                used.add(f["id"])
            out.append({"basis": f"MEE/NBS {year} {label} grid factors", "year": year,
                        "scope2_location": total, "change": total - main,
                        "relative": (total - main) / main if main else None,
                        "factors": sorted(used)})
    return out


def statements_of(inv: GhgInventory, lines: list[EmissionLine]) -> list[str]:
    """The simplifications and conventions of the figures, in words (numbers from the data)."""
    out = [f"Gases covered: {', '.join(inv.gases)}; consolidation: {inv.consolidation.replace('_', ' ')}."]
    gwp = {tuple(sorted(inv.factor(x.factor_id).get("components", {}).get("gwp", {}).items()))
           for x in lines if "components" in inv.factor(x.factor_id)}
    for g in sorted(gwp):
        if g:
            out.append("Fuel factors weight CH4 and N2O by 100-year GWPs: "
                       + ", ".join(f"{k} {v:g}" for k, v in g) + ".")
    if inv.residual_factor is None:
        text = ("Market-based scope 2: electricity that no instrument covers keeps its location-based "
                "factor (no residual-mix factor is applied), so market-based = location-based minus the "
                "covered electricity x (location factor - instrument factor), never below zero.")
        proxy = emission_factor_library().get(f"cn-grid-national-excl-market-{inv.reporting_year}")
        if proxy is not None:
            text += (f" MEE/NBS publish a national factor that leaves out market-traded non-fossil "
                     f"electricity ({proxy['id']}: {proxy['value']:g} {proxy['unit']}); a register may "
                     "name it as residual_factor.")
        out.append(text)
    if any(x.kind == "heat" for x in lines):
        out.append("Purchased heat has no contractual instrument: its market-based figure equals its "
                    "location-based one.")
    implied = sorted({x.factor_id for x in lines if inv.factor(x.factor_id).get("basis") == "implied"})
    if implied:
        out.append("Factors marked implied are backed out of the company's reported figures, not published "
                   "by it: " + ", ".join(implied) + ".")
    unchecked = sorted({x.factor_id for x in lines if not inv.factor(x.factor_id).get("checked", False)})
    if unchecked:
        out.append("Factors not yet checked against their primary source here: " + ", ".join(unchecked) + ".")
    return out

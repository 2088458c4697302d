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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from climaterisk.refdata import emission_factor_library
from climaterisk.register import Register
from climaterisk.register.ghg import SCOPE3_CATEGORIES, GhgInventory

COMPANY = "(company level)"
"""Label of activities not attributed to a site."""
NO_REASON = "NO EXPLANATION GIVEN: the register lists the category without a reason"
NOT_ADDRESSED = "NOT ADDRESSED: the register's scope 3 screening does not list this category"
GJ_PER_MWH = 3.6


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


@dataclass(frozen=True)
class Comparison:
    """A derived figure beside the reported one: difference = derived - reported (in ``unit``)."""

    label: str
    derived: float
    reported: float | None
    unit: str
    metric: str | None
    explanation: str

    @property
    def difference(self) -> float | None:
        return None if self.reported is None else self.derived - self.reported

    @property
    def relative(self) -> float | None:
        if self.reported in (None, 0):
            return None
        return (self.derived - self.reported) / self.reported  # type: ignore[operator]

    def to_dict(self) -> dict:
        return {**asdict(self), "difference": self.difference, "relative": self.relative}


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


def _metric(register: Register, metric_id: str | None) -> float | None:
    if not metric_id:
        return None
    return next((m.value for m in register.metrics if m.id == metric_id), None)


def rounding(reported: float) -> float:
    """Half a unit of the last significant digit of a reported figure, e.g. 8,400 -> 50, 1.09 ->
    0.005: the largest difference a figure rounded that way can hide."""
    if reported == 0:
        return 0.0
    if float(reported).is_integer():
        n, zeros = int(abs(reported)), 0
        while n % 10 == 0:
            n //= 10
            zeros += 1
        return 0.5 * 10 ** zeros
    text = repr(float(reported))
    if "e" in text:  # very small or large: no rounding inferred
        return 0.0
    decimals = len(text.split(".")[1].rstrip("0"))
    return 0.5 * 10 ** -decimals


def _explain(derived: float, reported: float | None, why: str, carried: float = 0.0) -> str:
    """``why`` prefixed with whether the difference lies within the reported figure's rounding (plus
    ``carried``: rounding of the reported inputs the derived figure starts from, in its unit)."""
    if reported is None:
        return "no reported figure. " + why
    tol = rounding(reported) + carried
    diff = derived - reported
    head = (f"within the reported figure's rounding (+/-{tol:,.4g})" if abs(diff) <= tol + 1e-9
            else f"{diff:+,.1f} ({diff / reported:+.2%}) beyond its rounding (+/-{tol:,.4g})"
            if reported else f"{diff:+,.1f}")
    return f"{head}. {why}"


def _factor_row(inv: GhgInventory, fid: str) -> dict:
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


def _lines(inv: GhgInventory) -> tuple[list[EmissionLine], float]:
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


def _grid_alternatives(inv: GhgInventory, lines: list[EmissionLine], main: float) -> list[dict]:
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


def _comparisons(register: Register, inv: GhgInventory, lines: list[EmissionLine],
                 scope1: float, scope2: float, scope2_market: float) -> list[Comparison]:
    rep = inv.reported
    out = []
    s1_factors = sorted({x.factor_id for x in lines if x.scope == 1})
    missing = "; ".join(n["source"] for n in inv.not_measured if n["scope"] == 1)
    if rep.get("scope1") or scope1:
        reported = _metric(register, rep.get("scope1"))
        out.append(Comparison("Scope 1", scope1, reported, "t CO2e", rep.get("scope1"), _explain(
            scope1, reported, "Fuels x " + ", ".join(s1_factors) + "; the report names no factor or "
            "calorific value." + (f" Not measured: {missing}." if missing else ""))))
    method = rep.get("scope2_method", "location")
    derived2 = scope2 if method == "location" else scope2_market
    s2_factors = sorted({x.factor_id for x in lines if x.scope == 2})
    reported2 = _metric(register, rep.get("scope2"))
    out.append(Comparison(f"Scope 2 ({method}-based)", derived2, reported2, "t CO2e", rep.get("scope2"),
                          _explain(derived2, reported2, "Electricity and heat x " + ", ".join(s2_factors)
                                   + f"; the reported figure is compared with the {method}-based one.")))
    if rep.get("scope12"):
        reported = _metric(register, rep["scope12"])
        total = scope1 + derived2
        out.append(Comparison(f"Scope 1 and 2 ({method}-based)", total, reported, "t CO2e", rep["scope12"],
                              _explain(total, reported, "Sum of the two rows above.")))
    elec = sum(x.quantity for x in lines if x.kind == "electricity")
    if rep.get("electricity"):
        reported = _metric(register, rep["electricity"])
        by_site = all(x.site != COMPANY for x in lines if x.kind == "electricity")
        out.append(Comparison("Purchased electricity", elec, reported, "MWh", rep["electricity"], _explain(
            elec, reported, "Sum of the electricity activities" + (
                "; the split by site is the register's allocation of the reported total, so it "
                "agrees by construction and checks nothing" if by_site else "") + ".")))
    fuels = [x for x in lines if x.scope == 1 and "components" in inv.factor(x.factor_id)]
    if rep.get("energy_direct") and fuels:
        direct = sum(x.quantity * inv.factor(x.factor_id)["components"]["ncv_gj_per_unit"]
                     for x in fuels) / GJ_PER_MWH
        reported = _metric(register, rep["energy_direct"])
        ncvs = ", ".join(f"{x.kind} {inv.factor(x.factor_id)['components']['ncv_gj_per_unit']:g} GJ/{x.unit}"
                         for x in fuels)
        out.append(Comparison("Direct energy (fuels)", direct, reported, "MWh", rep["energy_direct"],
                              _explain(
            direct, reported, f"Fuel quantities x calorific values of the factor library ({ncvs}) / "
            f"{GJ_PER_MWH} GJ/MWh; the report does not state the calorific values it used.")))
    if rep.get("energy_indirect"):
        heat = sum(x.quantity for x in lines if x.kind == "heat")
        indirect = elec + heat / GJ_PER_MWH
        reported = _metric(register, rep["energy_indirect"])
        out.append(Comparison("Indirect energy (electricity + heat)", indirect, reported, "MWh",
                              rep["energy_indirect"], _explain(
                                  indirect, reported, f"Electricity + heat / {GJ_PER_MWH} GJ/MWh.")))
    return out


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


def _intensities(register: Register, inv: GhgInventory) -> list[dict]:
    head_id = register.disclosure.get("headcount_metric")
    head = _metric(register, head_id)
    units = {m.id: m.unit for m in register.metrics}
    out = []
    for item in inv.intensities:
        value = _metric(register, item["numerator"])
        if value is None or not head:
            continue
        scale = item.get("scale", 1.0)
        derived = value / head * scale
        rep = _metric(register, item.get("reported"))
        unit = units.get(item.get("reported"), "") or (
            f"{units[item['numerator']]}/person" + (f" x {scale:g}" if scale != 1 else ""))
        out.append({"numerator": item["numerator"], "headcount_metric": head_id, "scale": scale,
                    "derived": derived, "reported": rep, "reported_metric": item.get("reported"),
                    "unit": unit, "difference": None if rep is None else derived - rep,
                    "explanation": _explain(derived, rep, f"{item['numerator']} / {head_id}"
                                            + (f" x {scale:g}" if scale != 1 else "")
                                            + ("; the tolerance includes the rounding of the reported "
                                               "absolute figure" if rep is not None else ""),
                                            rounding(value) / head * scale)})
    return out


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
    lines, market_high = _lines(inv)
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
    statements = _statements(inv, lines)
    return GhgAccount(
        register=register.id, year=inv.reporting_year, standard=inv.standard,
        consolidation=inv.consolidation, consolidation_basis=inv.consolidation_basis,
        measurement=" ".join(inv.measurement.split()), gases=list(inv.gases), lines=lines,
        scope1=scope1, scope2_location=scope2, scope2_market=scope2_market,
        scope2_market_if_cumulative=market_high if has_cumulative else None,
        by_site=sorted(sites.values(), key=lambda r: (r["site"] == COMPANY, r["site"])),
        instruments=instruments, factors=[_factor_row(inv, f) for f in used],
        grid_alternatives=_grid_alternatives(inv, lines, scope2),
        comparisons=_comparisons(register, inv, lines, scope1, scope2, scope2_market),
        renewable=_renewable(inv, lines), intensities=_intensities(register, inv),
        scope3=_scope3(inv), not_measured=[dict(n) for n in inv.not_measured], statements=statements,
    )


def _statements(inv: GhgInventory, lines: list[EmissionLine]) -> list[str]:
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


def comparison_ok(c: Comparison) -> bool:
    """Whether a derived figure agrees with the reported one within the reported rounding."""
    return c.reported is not None and abs(c.derived - c.reported) <= rounding(c.reported) + 1e-9


def as_mapping(acc: GhgAccount | None) -> Mapping[str, Any] | None:
    """The account as JSON-ready data (None passes through)."""
    return None if acc is None else acc.to_dict()


__all__ = ["COMPANY", "Comparison", "EmissionLine", "GhgAccount", "account", "as_mapping",
           "comparison_ok", "rounding"]

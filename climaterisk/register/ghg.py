"""The optional GHG inventory of a register (``ghg.yaml``): its format, checks and entities.

A register without ``ghg.yaml`` loads as before (``Register.ghg`` is None). With it, the register
holds the activity data of a greenhouse-gas inventory (fuels burnt, electricity by grid region,
purchased heat, refrigerants where known), the contractual instruments for electricity (green-power
trades, certificates, PPAs), the inventory's basis (standard, consolidation approach, gases,
measurement approach) and a scope 3 screening over the 15 categories of the GHG Protocol Scope 3
Standard. Emission factors are named by id: the shipped library (:func:`climaterisk.refdata.
emission_factor_library`) or factors the file declares itself, each with a source.

:data:`GHG_FILE` is the field spec (``schema.REGISTER_FILES["ghg.yaml"]``); :func:`check_ghg` holds
the rules that span files (factor ids, units, sites, instruments against the electricity they
cover); :func:`build_ghg` builds the frozen :class:`GhgInventory`. Computation lives in
:mod:`climaterisk.analysis.ghg`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from climaterisk.errors import Problem
from climaterisk.refdata import emission_factor_library
from climaterisk.register.fields import (
    SOURCE_PATTERN,
    At,
    Bool,
    Enum,
    F,
    Id,
    ListOf,
    Num,
    Obj,
    Quantity,
    Str,
)
from climaterisk.register.ghg_pathway import PATHWAY, Pathway, build_pathway, check_pathway

ACTIVITY_UNITS: dict[str, str] = {
    "electricity": "MWh", "heat": "GJ", "natural_gas": "m3", "diesel": "t", "gasoline": "t",
    "refrigerant": "kg",
}
"""The unit activity data of each kind must be given in."""
SCOPE_OF_KIND = {"electricity": 2, "heat": 2, "natural_gas": 1, "diesel": 1, "gasoline": 1, "refrigerant": 1}
GASES = ("CO2", "CH4", "N2O", "HFCs", "PFCs", "SF6", "NF3")
GRIDS = ("national", "north_china", "northeast", "east_china", "central_china", "northwest",
         "south_china", "southwest")
CONSOLIDATION = ("operational_control", "financial_control", "equity_share")
INSTRUMENT_KINDS = ("green_power_trade", "certificate", "ppa", "onsite_generation")
SCOPE3_STATUSES = ("measured", "not_measured", "not_relevant")
SCOPE3_CATEGORIES: dict[int, str] = {
    1: "Purchased goods and services", 2: "Capital goods",
    3: "Fuel- and energy-related activities (not in scope 1 or 2)",
    4: "Upstream transportation and distribution", 5: "Waste generated in operations",
    6: "Business travel", 7: "Employee commuting", 8: "Upstream leased assets",
    9: "Downstream transportation and distribution", 10: "Processing of sold products",
    11: "Use of sold products", 12: "End-of-life treatment of sold products",
    13: "Downstream leased assets", 14: "Franchises", 15: "Investments",
}
"""The 15 categories of the GHG Protocol Scope 3 Standard (2011), by number."""

_SOURCE_TEXT = 'a source "<document-id>: <locator>" or "assumption: <basis>"'


@dataclass
class Sourced(Quantity):
    """A quantity that must carry its source: ``{value: x, source: "..."}``."""

    def check(self, value: Any, at: At) -> Any:
        if not isinstance(value, dict) or "source" not in value:
            return at.error(value, f"{{value: x, source: ...}} with {_SOURCE_TEXT}")
        return super().check(value, at)

    def type_name(self) -> str:
        return Num.type_name(self) + " as {value, source}"


def _source(doc: str = "") -> Str:
    return Str(doc=doc, pattern=SOURCE_PATTERN, pattern_text=_SOURCE_TEXT)


FACTOR = Obj([
    F("id", Id()),
    F("value", Num(lo=0.0), doc="emissions per unit of activity"),
    F("unit", Str(), doc='"t CO2/<unit>" or "t CO2e/<unit>", <unit> the activity unit, e.g. t CO2/MWh'),
    F("year", Num(lo=1900, hi=2200, integer=True), doc="year the factor describes"),
    F("applies_to", Enum((*ACTIVITY_UNITS, "instrument", "spend", "other")),
      doc="activity kind the factor is for (instrument: a contractual instrument's emission rate)"),
    F("source", _source(), doc="where the factor comes from"),
], doc="An emission factor declared by the register (beside the shipped library).")

ACTIVITY = Obj([
    F("id", Id()),
    F("kind", Enum(tuple(ACTIVITY_UNITS)),
      doc="scope 1: natural_gas, diesel, gasoline, refrigerant; scope 2: electricity, heat"),
    F("site", Id(), False, "site id (default: company level, not attributed to a site)"),
    F("grid", Enum(GRIDS), False, "electricity: grid region (for the MEE grid-factor comparison)"),
    F("quantity", Sourced(lo=0.0), False,
      "activity data in `unit`; electricity at a site may leave it out to take the site's "
      "electricity_mwh"),
    F("unit", Str(), doc="MWh (electricity), GJ (heat), m3 (natural gas), t (diesel, gasoline), "
      "kg (refrigerant)"),
    F("factor", Id(), doc="emission-factor id: the shipped library or `factors`"),
    F("circularity", Str(), False, "when the quantity was itself backed out of a reported share or "
      "intensity: how, so that the figure is not taken as a check of it"),
    F("description", Str(), False),
], doc="Activity data of one source of scope 1 or scope 2 emissions.")

INSTRUMENT = Obj([
    F("id", Id()),
    F("kind", Enum(INSTRUMENT_KINDS)),
    F("covers", Id(), doc="id of the electricity activity whose electricity it covers"),
    F("quantity", Sourced(lo=0.0), doc="electricity covered [MWh]"),
    F("unit", Str(), doc="MWh"),
    F("factor", Id(), doc="emission factor of the instrument's electricity, e.g. contract-renewable-zero"),
    F("period", Enum(("annual", "cumulative")), False,
      "annual (default): the reporting year's volume, deducted; cumulative: a to-date volume of "
      "which the reporting year's part is unknown, not deducted but shown as a bound"),
    F("description", Str(), False),
], doc="A contractual instrument for electricity (market-based scope 2).")

SCOPE3 = Obj([
    F("category", Num(lo=1, hi=15, integer=True), doc="GHG Protocol scope 3 category, 1-15"),
    F("status", Enum(SCOPE3_STATUSES)),
    F("quantity", Sourced(lo=0.0), False, "measured: activity or spend data in `unit`"),
    F("unit", Str(), False, "measured: unit of the quantity"),
    F("factor", Id(), False, "measured: emission-factor id"),
    F("reason", Str(allow_empty=True), False,
      "not measured / not relevant: why (comply-or-explain text); measured: the method"),
], doc="One category of the scope 3 screening.")

INTENSITY = Obj([
    F("numerator", Id(), doc="metric id of the absolute figure"),
    F("reported", Id(), False, "metric id of the intensity the source states"),
    F("scale", Num(lo=0.0, lo_open=True), False, "unit conversion of the result, e.g. 1000 for t -> kg"),
], doc="An intensity per employee: numerator / headcount metric (register.yaml disclosure).")

GHG_FILE = Obj([
    F("reporting_year", Num(lo=1900, hi=2200, integer=True), doc="year the activity data describe"),
    F("standard", Str(), doc="the accounting standard followed, e.g. GHG Protocol Corporate Standard"),
    F("consolidation", Obj([
        F("approach", Enum(CONSOLIDATION)),
        F("basis", Str(), doc="why, with its source or `assumption:`"),
    ]), doc="organisational boundary"),
    F("measurement", Str(), doc="measurement approach, inputs and assumptions (IFRS S2 29(a)(iii))"),
    F("gases", ListOf(Enum(GASES), min_items=1), doc="gases the inventory covers"),
    F("activities", ListOf(ACTIVITY, entities=True, min_items=1)),
    F("instruments", ListOf(INSTRUMENT, entities=True), False),
    F("residual_factor", Id(), False,
      "market-based: factor for electricity no instrument covers (default: its location-based factor)"),
    F("not_measured", ListOf(Obj([
        F("source", Str(), doc="emission source, e.g. refrigerants"),
        F("scope", Num(lo=1, hi=2, integer=True)),
        F("reason", Str()),
    ])), False, "scope 1 and 2 sources known to exist but not quantified"),
    F("scope3", ListOf(SCOPE3), False, "scope 3 screening; a category not listed is shown as not addressed"),
    F("reported", Obj([
        F("scope1", Id(), False, "metric id of the reported scope 1 [t CO2e]"),
        F("scope2", Id(), False, "metric id of the reported scope 2 [t CO2e]"),
        F("scope2_method", Enum(("location", "market")), False,
          "the method the reported scope 2 reproduces (default location)"),
        F("scope12", Id(), False, "metric id of the reported scope 1 + 2 [t CO2e]"),
        F("electricity", Id(), False, "metric id of the reported purchased electricity [MWh]"),
        F("energy_direct", Id(), False, "metric id of the reported direct energy [MWh]"),
        F("energy_indirect", Id(), False, "metric id of the reported indirect energy [MWh]"),
    ]), False, "reported figures (metrics.yaml) the derived ones are compared with"),
    F("intensities", ListOf(INTENSITY), False, "per-employee intensities, derived and compared"),
    F("factors", ListOf(FACTOR, entities=True), False, "emission factors of this register"),
    F("instruments_are_renewable", Bool(), False,
      "whether every instrument is for renewable electricity (default true): the renewable share "
      "of electricity is computed from them"),
    F("pathway", PATHWAY, False, "emission pathway: activity growth and the company's levers by year"),
])


# --------------------------------------------------------------------------- entities


@dataclass(frozen=True)
class Activity:
    """Activity data: ``quantity`` in ``unit`` (MWh, GJ, m3, t or kg, see ACTIVITY_UNITS)."""

    id: str
    kind: str
    scope: int
    site_id: str | None
    grid: str | None
    quantity: float
    unit: str
    factor_id: str
    from_site: bool = False  # quantity taken from the site's electricity_mwh
    circularity: str = ""
    description: str = ""


@dataclass(frozen=True)
class Instrument:
    """A contractual instrument: ``quantity`` [MWh] of electricity of activity ``covers``."""

    id: str
    kind: str
    covers: str
    quantity: float
    factor_id: str
    period: str = "annual"
    description: str = ""


@dataclass(frozen=True)
class Scope3Entry:
    """One scope 3 category: measured (quantity in ``unit`` x factor) or the reason it is not."""

    category: int
    status: str
    quantity: float | None = None
    unit: str | None = None
    factor_id: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class GhgInventory:
    """The GHG inventory inputs of a register (``ghg.yaml``)."""

    reporting_year: int
    standard: str
    consolidation: str
    consolidation_basis: str
    measurement: str
    gases: tuple[str, ...]
    activities: tuple[Activity, ...]
    instruments: tuple[Instrument, ...] = ()
    residual_factor: str | None = None
    not_measured: tuple[Mapping[str, Any], ...] = ()
    scope3: tuple[Scope3Entry, ...] = ()
    reported: Mapping[str, Any] = field(default_factory=dict)
    intensities: tuple[Mapping[str, Any], ...] = ()
    factors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # the register's own
    instruments_are_renewable: bool = True
    pathway: Pathway | None = None

    def factor(self, factor_id: str) -> Mapping[str, Any]:
        """An emission factor by id: the register's own first, then the shipped library."""
        own = self.factors.get(factor_id)
        return own if own is not None else emission_factor_library()[factor_id]


# --------------------------------------------------------------------------- checks


def _unit_of(factor: Mapping[str, Any]) -> str:
    """The activity unit a factor divides by: ``t CO2/MWh`` -> ``MWh``."""
    return str(factor["unit"]).split("/", 1)[-1].strip()


def check_ghg(folder: Path, data: dict[str, dict], problems: list[Problem]) -> None:
    """Cross-file rules of ``ghg.yaml``: factor ids resolve and fit the activity's kind and unit;
    activity data are in the kind's unit; sites exist; an instrument covers an electricity
    activity and, with the other annual instruments on it, no more than its electricity."""
    ghg = data.get("ghg.yaml")
    if ghg is None:
        return
    file = str(folder / "ghg.yaml")
    sites = {s["id"]: s for s in data["sites.yaml"].get("sites", [])}
    metrics = {m["id"] for m in data.get("metrics.yaml", {}).get("metrics", [])}
    check_pathway(file, ghg, {t["id"] for t in data.get("metrics.yaml", {}).get("targets", [])}, problems)
    own = {f["id"]: f for f in ghg.get("factors", [])}
    library = {**emission_factor_library(), **own}

    def factor_ok(entry: str, fid: str, kind: str, unit: str) -> None:
        if fid not in library:
            close = difflib.get_close_matches(fid, sorted(library), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem(file, entry, "factor", fid,
                                    f"an emission-factor id of the shipped library or of `factors`{hint}"))
            return
        f = library[fid]
        if f["applies_to"] != kind or _unit_of(f) != unit:
            problems.append(Problem(file, entry, "factor", fid, (
                f"a factor for {kind} per {unit} (it is {f['unit']} for {f['applies_to']})")))

    seen: set[str] = set()
    for f in ghg.get("factors", []):
        if f["id"] in seen or f["id"] in emission_factor_library():
            problems.append(Problem(file, f["id"], "id", f["id"],
                                    "a factor id used neither before in the file nor by the shipped library"))
        seen.add(f["id"])
    quantities: dict[str, float] = {}
    for a in ghg["activities"]:
        unit = ACTIVITY_UNITS[a["kind"]]
        if a["unit"] != unit:
            problems.append(Problem(file, a["id"], "unit", a["unit"],
                                    f"{unit} for {a['kind']} activity data"))
            continue
        if "site" in a and a["site"] not in sites:
            close = difflib.get_close_matches(a["site"], sorted(sites), n=1)
            problems.append(Problem(file, a["id"], "site", a["site"], "a site id of sites.yaml"
                                    + (f" (did you mean {close[0]!r}?)" if close else "")))
            continue
        if "quantity" in a:
            quantities[a["id"]] = a["quantity"]
        elif a["kind"] == "electricity" and "site" in a and "electricity_mwh" in sites[a["site"]]:
            quantities[a["id"]] = sites[a["site"]]["electricity_mwh"]
        else:
            problems.append(Problem(file, a["id"], "quantity", None,
                                    "a quantity (only electricity at a site with electricity_mwh may "
                                    "leave it out)"))
        factor_ok(a["id"], a["factor"], a["kind"], unit)
    kinds = {a["id"]: a["kind"] for a in ghg["activities"]}
    covered: dict[str, float] = {}
    for i in ghg.get("instruments", []):
        if i["unit"] != "MWh":
            problems.append(Problem(file, i["id"], "unit", i["unit"], "MWh for a contractual instrument"))
            continue
        if kinds.get(i["covers"]) != "electricity":
            problems.append(Problem(file, i["id"], "covers", i["covers"],
                                    "the id of an electricity activity of this file"))
            continue
        factor_ok(i["id"], i["factor"], "instrument", "MWh")
        if i.get("period", "annual") == "annual" and i["covers"] in quantities:
            covered[i["covers"]] = covered.get(i["covers"], 0.0) + i["quantity"]
            if covered[i["covers"]] > quantities[i["covers"]] * (1 + 1e-9):
                problems.append(Problem(file, i["id"], "quantity", i["quantity"], (
                    f"at most the {quantities[i['covers']]:,.2f} MWh of electricity activity "
                    f"{i['covers']} it covers (with the other annual instruments on it)")))
    if "residual_factor" in ghg:
        factor_ok("residual_factor", ghg["residual_factor"], "electricity", "MWh")
    categories: set[int] = set()
    for s in ghg.get("scope3", []):
        entry = f"scope 3 category {s['category']}"
        if s["category"] in categories:
            problems.append(Problem(file, entry, "category", s["category"], "a category listed once"))
        categories.add(s["category"])
        if s["status"] == "measured":
            missing = [k for k in ("quantity", "unit", "factor") if k not in s]
            if missing:
                problems.append(Problem(file, entry, ", ".join(missing), None,
                                        "quantity, unit and factor for a measured category"))
                continue
            f = library.get(s["factor"])
            if f is None:
                factor_ok(entry, s["factor"], "spend", s["unit"])
            elif _unit_of(f) != s["unit"]:
                problems.append(Problem(file, entry, "factor", s["factor"],
                                        f"a factor per {s['unit']} (it is {f['unit']})"))
    for key, mid in ghg.get("reported", {}).items():
        if key != "scope2_method" and mid not in metrics:
            problems.append(Problem(file, "reported", key, mid, "a metric id of metrics.yaml"))
    for item in ghg.get("intensities", []):
        for key in ("numerator", "reported"):
            if key in item and item[key] not in metrics:
                problems.append(Problem(file, "intensities", key, item[key], "a metric id of metrics.yaml"))


# --------------------------------------------------------------------------- building


def build_ghg(ghg: dict | None, sites: dict[str, dict]) -> GhgInventory | None:
    """The inventory of a checked ``ghg.yaml`` (None without the file); ``sites``: entries by id."""
    if ghg is None:
        return None
    activities = []
    for a in ghg["activities"]:
        site = a.get("site")
        from_site = "quantity" not in a
        quantity = sites[site]["electricity_mwh"] if from_site and site else a["quantity"]
        activities.append(Activity(
            id=a["id"], kind=a["kind"], scope=SCOPE_OF_KIND[a["kind"]], site_id=site, grid=a.get("grid"),
            quantity=quantity, unit=a["unit"], factor_id=a["factor"], from_site=from_site,
            circularity=a.get("circularity", ""), description=a.get("description", "")))
    return GhgInventory(
        reporting_year=ghg["reporting_year"], standard=ghg["standard"],
        consolidation=ghg["consolidation"]["approach"], consolidation_basis=ghg["consolidation"]["basis"],
        measurement=ghg["measurement"], gases=tuple(ghg["gases"]), activities=tuple(activities),
        instruments=tuple(Instrument(i["id"], i["kind"], i["covers"], i["quantity"], i["factor"],
                                     i.get("period", "annual"), i.get("description", ""))
                          for i in ghg.get("instruments", [])),
        residual_factor=ghg.get("residual_factor"),
        not_measured=tuple(dict(n) for n in ghg.get("not_measured", [])),
        scope3=tuple(Scope3Entry(s["category"], s["status"], s.get("quantity"), s.get("unit"),
                                 s.get("factor"), s.get("reason", "")) for s in ghg.get("scope3", [])),
        reported=dict(ghg.get("reported", {})),
        intensities=tuple(dict(i) for i in ghg.get("intensities", [])),
        factors={f["id"]: dict(f, basis="register", checked=False) for f in ghg.get("factors", [])},
        instruments_are_renewable=ghg.get("instruments_are_renewable", True),
        pathway=build_pathway(ghg.get("pathway")),
    )

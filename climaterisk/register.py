"""The register: validated, linked dataclasses built from a register folder.

A register folder holds ``register.yaml`` (metadata), ``sites.yaml``, ``risks.yaml`` and,
optionally, ``opportunities.yaml``, ``controls.yaml`` and ``metrics.yaml``. The format is
described field by field in ``docs/register-format.md`` (generated from :mod:`schema`).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from climaterisk import schema
from climaterisk.distributions import LogNormal, Uniform
from climaterisk.errors import Problem, RegisterError
from climaterisk.io import FileProblemError, read_yaml, sha256_file, shipped_dir

DEFAULT_REGISTER = "kuaishou-2023"
REGISTER_FILES_ORDER = tuple(schema.REGISTER_FILES)
"""The files a register folder may hold, in reading order."""


# --------------------------------------------------------------------------- entities


@dataclass(frozen=True)
class CommonEvent:
    """Regional events of one hazard that can strike several sites of a region in one year."""

    hazard: str
    rate: float  # [events/yr] regional events in the baseline year
    footprint: float  # [fraction 0-1] chance one event strikes a given site of the region


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
    renewable_share: float = 0.0  # [fraction 0-1]
    iso_certified: bool = False
    iso_valid_until: dt.date | None = None
    rto_days: float | None = None  # [days]
    mtpd_days: float | None = None  # [days]
    hazards: Mapping[str, float] = field(default_factory=dict)  # [events/yr] local rates
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class SiteEvent:
    """Acute hazard events at sites: loss = damage x value + downtime x cost per day."""

    hazard: str
    damage: LogNormal  # [fraction of replacement value] per event
    downtime: LogNormal | None  # [days] per event


@dataclass(frozen=True)
class EntityEvent:
    """Company-level events with a money severity."""

    rate: float  # [events/yr]
    severity: LogNormal  # [currency] per event
    rate_driver: str | None = None


@dataclass(frozen=True)
class CoolingEnergy:
    """Extra cooling electricity: site MWh x sensitivity x local warming x price."""

    sensitivity: LogNormal  # [fraction of site electricity per °C]


@dataclass(frozen=True)
class CarbonCost:
    """Carbon-price exposure: emissions x exposed share x carbon price x fx."""

    metrics: tuple[str, ...]
    emissions_t: float  # [t CO2e/yr] sum of the named metrics
    exposed_share: Uniform  # [fraction 0-1]


@dataclass(frozen=True)
class AnnualCost:
    """A recurring cost (or benefit) scaled by a scenario driver."""

    cost: LogNormal  # [currency/yr]
    driver: str | None = None


Model = SiteEvent | EntityEvent | CoolingEnergy | CarbonCost | AnnualCost


@dataclass(frozen=True)
class Risk:
    """A risk (a loss) or an opportunity (a benefit) with its quantitative components."""

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
    last_tested: dt.date | None = None
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
class Metric:
    id: str
    name: str
    category: str
    unit: str
    year: int
    value: float
    scope: int | None = None


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
    documents: tuple[Mapping[str, Any], ...] = ()
    electricity_price: float | None = None  # [currency/MWh]
    fx_usd: float | None = None  # [currency per USD]
    certification_cycle_years: float = 3.0
    renewal: str = "renew"  # ISO 22301 certificates: "renew" each cycle or "lapse" at expiry
    disclosure: Mapping[str, Any] = field(default_factory=dict)  # IFRS S2 metrics inputs
    renewal_assumption: str = ""
    description: str = ""
    provenance: tuple[schema.Provenance, ...] = ()
    file_hashes: Mapping[str, str] = field(default_factory=dict)

    def site(self, site_id: str) -> Site:
        return next(s for s in self.sites if s.id == site_id)

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


# --------------------------------------------------------------------------- loading


def resolve_register_path(path: str | Path | None) -> Path:
    """A register folder: a path, or the name of a shipped register (default: kuaishou-2023)."""
    if path is None:
        return shipped_dir("registers") / DEFAULT_REGISTER
    candidate = Path(path)
    if not candidate.exists() and len(candidate.parts) == 1:
        shipped = shipped_dir("registers") / candidate.name
        if shipped.is_dir():
            return shipped
    return candidate


def shipped_registers() -> list[str]:
    """Names of the registers shipped with the package."""
    folder = shipped_dir("registers")
    return sorted(p.name for p in folder.iterdir() if (p / "register.yaml").is_file())


def load_register(path: str | Path | None = None) -> Register:
    """Read, validate and link a register folder; raise :class:`RegisterError` listing every
    problem found (file, entry, field, value, expectation)."""
    folder = resolve_register_path(path)
    problems: list[Problem] = []
    if not folder.exists():
        shipped = shipped_registers() if len(folder.parts) == 1 else []
        close = difflib.get_close_matches(folder.name, shipped, n=1)
        hint = f" (did you mean the shipped register {close[0]!r}?)" if close else ""
        raise RegisterError(Problem(str(folder), "", "", str(path), f"an existing register folder{hint}"))
    if not folder.is_dir():
        raise RegisterError(
            Problem(str(folder), "", "", str(folder), "a register folder, but this is a file")
        )
    provenance: list[schema.Provenance] = []
    data: dict[str, dict] = {}
    hashes: dict[str, str] = {}
    known = list(schema.REGISTER_FILES)
    for child in sorted(folder.iterdir()):
        if child.suffix in (".yaml", ".yml") and child.name not in known:
            hint = difflib.get_close_matches(child.name, known, n=1)
            problems.append(Problem(
                str(child), "", "", child.name,
                "one of the register files " + ", ".join(known)
                + (f" (did you mean {hint[0]!r}?)" if hint else ""),
            ))
    for name, spec in schema.REGISTER_FILES.items():
        file = folder / name
        if not file.exists():
            if name in schema.REQUIRED_FILES:
                problems.append(Problem(str(file), "", "", None, "this file (it is required)"))
            continue
        try:
            raw = read_yaml(file)
        except FileProblemError as exc:
            problems.append(exc.problem)
            continue
        hashes[name] = sha256_file(file)
        if raw is None:
            raw = {}
        at = schema.At(str(file), problems=problems, provenance=provenance)
        checked = spec.check(raw, at)
        if checked is not schema.INVALID:
            data[name] = checked
    if problems:
        raise RegisterError(problems)
    _cross_check(folder, data, provenance, problems)
    if problems:
        raise RegisterError(problems)
    return _build(folder, data, provenance, hashes)


def _cross_check(
    folder: Path, data: dict[str, dict], provenance: list[schema.Provenance],
    problems: list[Problem],
) -> None:
    """Rules that span fields or files: unique ids, references, consistency."""
    meta = data["register.yaml"]
    sites = data["sites.yaml"].get("sites", [])
    regions = data["sites.yaml"].get("regions", [])
    risks = data["risks.yaml"].get("risks", [])
    opps = data.get("opportunities.yaml", {}).get("opportunities", [])
    controls = data.get("controls.yaml", {}).get("controls", [])
    metrics = data.get("metrics.yaml", {}).get("metrics", [])
    targets = data.get("metrics.yaml", {}).get("targets", [])
    f_reg, f_sites, f_risks = (str(folder / n) for n in ("register.yaml", "sites.yaml", "risks.yaml"))
    f_opps, f_ctrl, f_met = (
        str(folder / n) for n in ("opportunities.yaml", "controls.yaml", "metrics.yaml")
    )

    def add(file: str, entry: str, fld: str, value: object, expected: str) -> None:
        problems.append(Problem(file, entry, fld, value, expected))

    def unique(items: list[dict], file: str, what: str) -> set[str]:
        seen: set[str] = set()
        for item in items:
            if item["id"] in seen:
                add(file, item["id"], "id", item["id"], f"a {what} id not used before in the file")
            seen.add(item["id"])
        return seen

    doc_ids = unique(meta.get("documents", []), f_reg, "document")
    region_ids = unique(regions, f_sites, "region")
    site_ids = unique(sites, f_sites, "site")
    unique(risks, f_risks, "risk")
    unique(opps, f_opps, "opportunity")
    control_ids = unique(controls, f_ctrl, "control")
    metric_ids = unique(metrics, f_met, "metric")
    unique(targets, f_met, "target")

    def ref(ids: set[str], value: str, file: str, entry: str, fld: str, what: str) -> None:
        if value not in ids:
            close = difflib.get_close_matches(value, sorted(ids), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(ids)) if len(ids) <= 12 else f"{len(ids)} known ids"
            known = known or "none declared"
            add(file, entry, fld, value, f"the id of a {what} ({known}){hint}")

    # metadata
    h = meta["horizons"]
    if not (meta["baseline_year"] <= h["short"] <= h["medium"] <= h["long"]):
        add(f_reg, "", "horizons", h, f"baseline_year ({meta['baseline_year']}) <= short <= medium <= long")
    start, end = meta["reporting_period"]["start"], meta["reporting_period"]["end"]
    if start > end:
        add(f_reg, "", "reporting_period.end", str(end), f"a date on or after start ({start})")
    params = meta.get("parameters", {})

    # sites
    for site in sites:
        ref(region_ids, site["region"], f_sites, site["id"], "region", "region")
        rto, mtpd = site.get("rto_days"), site.get("mtpd_days")
        if rto is not None and mtpd is not None and rto > mtpd:
            add(f_sites, site["id"], "rto_days", rto, f"an RTO no longer than the MTPD ({mtpd:g} days)")
        iso = site.get("iso22301")
        if iso and iso["certified"] and iso.get("valid_until") is None:
            add(f_sites, site["id"], "iso22301.valid_until", None, "the certificate's expiry date")

    def select(selector: dict | None, file: str, entry: str, fld: str) -> list[str]:
        if selector is None:
            return []
        if selector.get("all"):
            return [s["id"] for s in sites]
        for sid in selector.get("ids", []):
            ref(site_ids, sid, file, entry, f"{fld}.ids" if len(selector) > 1 else fld, "site")
        for rid in selector.get("region", []):
            ref(region_ids, rid, file, entry, f"{fld}.region", "region")
        filtered = "kind" in selector or "region" in selector
        chosen = {
            s["id"] for s in sites
            if filtered
            and ("kind" not in selector or s["kind"] in selector["kind"])
            and ("region" not in selector or s["region"] in selector["region"])
        }
        chosen |= set(selector.get("ids", [])) & site_ids
        return sorted(chosen)

    hazards_known = {hz for s in sites for hz in s.get("hazards", {})} | {
        ev["hazard"] for r in regions for ev in r.get("common_events", [])
    }
    for items, file, is_opp in ((risks, f_risks, False), (opps, f_opps, True)):
        for item in items:
            rid = item["id"]
            before = len(problems)
            chosen = select(item.get("sites"), file, rid, "sites")
            dangling = len(problems) > before  # already reported: no second line for it
            item["_site_ids"] = chosen
            if not is_opp:
                physical = item["category"].startswith("physical")
                expected = "physical" if physical else "transition"
                if item["ifrs_s2_type"] != expected:
                    add(file, rid, "ifrs_s2_type", item["ifrs_s2_type"],
                        f"{expected} for category {item['category']}")
                for cid in item.get("controls", []):
                    ref(control_ids, cid, file, rid, "controls", "control")
            for i, model in enumerate(item["models"]):
                fld = f"models[{i}]"
                kind = model["type"]
                if kind in ("site_event", "cooling_energy") and not chosen and not dangling:
                    add(file, rid, "sites", item.get("sites"),
                        f"at least one site: a {kind} model needs the sites it applies to")
                if kind == "site_event" and model["hazard"] not in hazards_known:
                    close = difflib.get_close_matches(model["hazard"], sorted(hazards_known), n=1)
                    add(file, rid, f"{fld}.hazard", model["hazard"],
                        "a hazard given a rate by some site (`hazards`) or region (`common_events`): "
                        + (", ".join(sorted(hazards_known)) or "none given")
                        + (f" (did you mean {close[0]!r}?)" if close else ""))
                if kind == "cooling_energy" and "electricity_price" not in params:
                    add(f_reg, "", "parameters.electricity_price", None,
                        f"an electricity price (needed by {rid} {fld}: cooling_energy)")
                if kind == "carbon_cost":
                    if "fx_usd" not in params:
                        add(f_reg, "", "parameters.fx_usd", None,
                            f"an exchange rate (needed by {rid} {fld}: carbon_cost)")
                    for mid in model["emissions"]:
                        ref(metric_ids, mid, file, rid, f"{fld}.emissions", "metric")

    for ctrl in controls:
        cid = ctrl["id"]
        ctrl["_site_ids"] = select(ctrl.get("sites"), f_ctrl, cid, "sites") if "sites" in ctrl else None
        status, eff = ctrl["status"], ctrl.get("effective_year")
        if status == "planned" and eff is None:
            add(f_ctrl, cid, "effective_year", None, "the year a planned control takes effect")
        ret = ctrl.get("retired_year")
        planned_on = ctrl.get("planned_on")
        if planned_on is not None and eff is not None and eff < planned_on.year:
            add(f_ctrl, cid, "effective_year", eff,
                f"a year on or after the year it was planned (planned_on {planned_on.isoformat()})")
        if ret is not None and eff is not None and ret < eff:
            add(f_ctrl, cid, "retired_year", ret, f"a year on or after effective_year ({eff})")
        if ret is not None and status != "retired":
            add(f_ctrl, cid, "retired_year", ret, "no retired_year unless status is retired")
        effect = ctrl.get("effect", {})
        money = {"deductible", "limit"} & set(effect)
        if ctrl["type"] == "transfer":
            if "limit" not in effect:
                add(f_ctrl, cid, "effect.limit", None, "a limit per event for a transfer control")
        elif money:
            add(f_ctrl, cid, f"effect.{sorted(money)[0]}", effect[sorted(money)[0]],
                "deductible and limit only on controls of type transfer")

    for metric in metrics:
        if metric.get("scope") is not None and metric["category"] != "ghg":
            add(f_met, metric["id"], "scope", metric["scope"], "no scope unless category is ghg")
    for target in targets:
        if target.get("metric"):
            ref(metric_ids, target["metric"], f_met, target["id"], "metric", "metric")
    disclosure = meta.get("disclosure", {})
    for key in ("headcount_metric", "revenue_metric", "energy_metric", "electricity_metric"):
        if key in disclosure:
            ref(metric_ids, disclosure[key], f_reg, "", f"disclosure.{key}", "metric")
    for mid in disclosure.get("renewable_electricity_metrics", []):
        ref(metric_ids, mid, f_reg, "", "disclosure.renewable_electricity_metrics", "metric")
    for i, check in enumerate(disclosure.get("reported_checks", [])):
        ref(metric_ids, check["metric"], f_reg, "", f"disclosure.reported_checks[{i}].metric", "metric")

    # every source names a declared document, or is an assumption
    for row in provenance:
        if row.source:
            doc = schema.SOURCE_PATTERN.match(row.source).group(1)
            if doc.lower() != "assumption" and doc not in doc_ids:
                close = difflib.get_close_matches(doc, sorted(doc_ids), n=1)
                add(row.file, row.entry, f"{row.field}.source", row.source,
                    "'assumption: <basis>' or '<document id>: <locator>' with a document of "
                    f"register.yaml ({', '.join(sorted(doc_ids)) or 'none declared'})"
                    + (f" (did you mean {close[0]!r}?)" if close else ""))


def _interval(spec: dict) -> LogNormal:
    return LogNormal.from_interval(spec["p5"], spec["p95"])


def _build_model(spec: dict, metrics: dict[str, dict]) -> Model:
    kind = spec["type"]
    if kind == "site_event":
        down = spec.get("downtime_days")
        return SiteEvent(spec["hazard"], _interval(spec["damage"]), _interval(down) if down else None)
    if kind == "entity_event":
        return EntityEvent(spec["rate"], _interval(spec["severity"]), spec.get("rate_driver"))
    if kind == "cooling_energy":
        return CoolingEnergy(_interval(spec["sensitivity"]))
    if kind == "carbon_cost":
        ids = tuple(sorted(spec["emissions"]))  # sorted: the file's order must not matter
        share = spec["exposed_share"]
        return CarbonCost(ids, sum(metrics[i]["value"] for i in ids), Uniform(share["low"], share["high"]))
    return AnnualCost(_interval(spec["cost"]), spec.get("driver"))


def _point(spec: dict | None) -> tuple[int, float] | None:
    return None if spec is None else (spec["year"], spec["value"])


def _build(
    folder: Path, data: dict[str, dict], provenance: list[schema.Provenance], hashes: dict[str, str]
) -> Register:
    meta = data["register.yaml"]
    metrics_raw = data.get("metrics.yaml", {}).get("metrics", [])
    by_metric = {m["id"]: m for m in metrics_raw}
    regions = tuple(
        Region(r["id"], r["name"], tuple(
            CommonEvent(e["hazard"], e["rate"], e["footprint"]) for e in r.get("common_events", [])
        ))
        for r in data["sites.yaml"].get("regions", [])
    )
    sites = []
    for s in data["sites.yaml"]["sites"]:
        iso = s.get("iso22301") or {"certified": False, "valid_until": None}
        loc = s.get("location") or {}
        sites.append(Site(
            id=s["id"], name=s["name"], kind=s["kind"], region=s["region"],
            replacement_value=s["replacement_value"],
            interruption_cost_per_day=s["interruption_cost_per_day"],
            electricity_mwh=s.get("electricity_mwh", 0.0), pue=s.get("pue"),
            renewable_share=s.get("renewable_share", 0.0),
            iso_certified=iso["certified"], iso_valid_until=iso.get("valid_until"),
            rto_days=s.get("rto_days"), mtpd_days=s.get("mtpd_days"),
            hazards=dict(s.get("hazards", {})), lat=loc.get("lat"), lon=loc.get("lon"),
        ))

    def risk(item: dict, is_opp: bool) -> Risk:
        rating = item.get("rating") or {}
        return Risk(
            id=item["id"], title=item["title"], category=item["category"],
            ifrs_s2_type=item["ifrs_s2_type"],
            narrative=item.get("description" if is_opp else "impact", ""),
            time_horizons=tuple(item["time_horizons"]), owner=item.get("owner"),
            site_ids=tuple(item["_site_ids"]), control_ids=tuple(item.get("controls", [])),
            models=tuple(_build_model(m, by_metric) for m in item["models"]),
            likelihood=rating.get("likelihood"), impact=rating.get("impact"),
            is_opportunity=is_opp, source=item.get("source", ""),
        )

    controls = []
    for c in data.get("controls.yaml", {}).get("controls", []):
        eff = c.get("effect", {})
        ids = c["_site_ids"]
        controls.append(Control(
            id=c["id"], title=c["title"], type=c["type"], status=c["status"],
            description=c.get("description", ""), effective_year=c.get("effective_year"),
            retired_year=c.get("retired_year"), site_ids=None if ids is None else tuple(ids),
            components=tuple(c["components"]) if "components" in c else None,
            frequency=eff.get("frequency", 0.0), severity=eff.get("severity", 0.0),
            downtime=eff.get("downtime", 0.0), deductible=eff.get("deductible", 0.0),
            limit=eff.get("limit", 0.0), clauses=tuple(c.get("iso22301_clauses", [])),
            owner=c.get("owner"), last_tested=c.get("last_tested"),
            annual_cost=c.get("annual_cost"), source=c.get("source", ""),
            planned_on=c.get("planned_on"),
        ))
    params = meta.get("parameters", {})
    iso = meta.get("iso22301", {})
    return Register(
        path=folder, id=meta["id"], organisation=meta["organisation"], currency=meta["currency"],
        as_of=meta["as_of"], baseline_year=meta["baseline_year"], horizons=dict(meta["horizons"]),
        reporting_period=(meta["reporting_period"]["start"], meta["reporting_period"]["end"]),
        governance=meta["governance"], risk_management=meta["risk_management"],
        regions=regions, sites=tuple(sites),
        risks=tuple(risk(r, False) for r in data["risks.yaml"]["risks"]),
        opportunities=tuple(
            risk(o, True) for o in data.get("opportunities.yaml", {}).get("opportunities", [])
        ),
        controls=tuple(controls),
        metrics=tuple(
            Metric(m["id"], m["name"], m["category"], m["unit"], m["year"], m["value"], m.get("scope"))
            for m in metrics_raw
        ),
        targets=tuple(
            Target(t["id"], t["title"], t["unit"], _point(t["baseline"]), _point(t["target"]),
                   _point(t.get("latest")), t.get("metric"), t.get("direction"))
            for t in data.get("metrics.yaml", {}).get("targets", [])
        ),
        documents=tuple(meta.get("documents", [])),
        electricity_price=params.get("electricity_price"), fx_usd=params.get("fx_usd"),
        certification_cycle_years=iso.get("certification_cycle_years", 3.0),
        renewal=iso.get("renewal", "renew"), disclosure=dict(meta.get("disclosure", {})),
        renewal_assumption=iso.get("renewal_assumption", ""),
        description=meta.get("description", ""),
        provenance=tuple(provenance), file_hashes=hashes,
    )

"""The register: validated, linked dataclasses built from a register folder.

A register folder holds ``register.yaml`` (metadata), ``sites.yaml``, ``risks.yaml`` and,
optionally, ``opportunities.yaml``, ``controls.yaml``, ``metrics.yaml`` and ``bia.yaml`` (the
business impact analysis). The format is
described field by field in ``docs/register-format.md`` (generated from :mod:`schema`).

This module finds a register folder, reads and validates its files (:func:`load_register`) and
builds the entities. The entity dataclasses live in :mod:`climaterisk.register.entities` and the
cross-file checks in :mod:`climaterisk.register.crosscheck`; the entities are re-exported here, so
``from climaterisk.register import Register, Site, Control`` keeps working.
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path

from climaterisk.errors import Problem, RegisterError
from climaterisk.io import FileProblemError, read_yaml, recover, sha256_file, shipped_dir
from climaterisk.register import migration, schema
from climaterisk.register.crosscheck import cross_check
from climaterisk.register.distributions import LogNormal, Uniform
from climaterisk.register.entities import (
    AnnualCost,
    BiaActivity,
    CarbonCost,
    CommonEvent,
    Control,
    CoolingEnergy,
    CoolingWater,
    EntityEvent,
    Metric,
    Model,
    OutageEpisode,
    Region,
    Register,
    Risk,
    Site,
    SiteEvent,
    Target,
    Treatment,
)
from climaterisk.register.ghg import build_ghg, check_ghg
from climaterisk.register.plan import build_plan, check_plan

__all__ = [
    "DEFAULT_REGISTER", "REGISTER_FILES_ORDER", "AnnualCost", "BiaActivity", "CarbonCost", "CommonEvent",
    "Control", "CoolingEnergy", "CoolingWater", "EntityEvent", "Metric", "Model", "OutageEpisode", "Region",
    "Register", "Risk", "Site",
    "SiteEvent", "Target", "load_register", "resolve_register_path", "shipped_registers",
]

DEFAULT_REGISTER = "kuaishou-2023"
REGISTER_FILES_ORDER = tuple(schema.REGISTER_FILES)
"""The files a register folder may hold, in reading order."""


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
    raws: dict[str, object] = {}  # each file as read, for the references of an invalid register
    known = list(schema.REGISTER_FILES)
    try:
        recover(folder)  # finish the files an interrupted run had committed (see io.OutputSet)
        children = sorted(folder.iterdir())
    except OSError as exc:
        raise RegisterError(Problem(str(folder), "", "", str(folder),
                                    f"a register folder you can read ({exc.strerror})")) from None
    for child in children:
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
        if name == "register.yaml" and isinstance(raw, dict):
            raw = _read_version(folder, file, raw)
        at = schema.At(str(file), problems=problems, provenance=provenance)
        checked = spec.check(raw, at)
        raws[name] = raw
        if checked is not schema.INVALID:
            data[name] = checked
    if problems:
        raise RegisterError(problems + _references_too(folder, data, raws, problems))
    cross_check(folder, data, provenance, problems)
    check_ghg(folder, data, problems)
    check_plan(folder, data, problems)
    if problems:
        raise RegisterError(problems)
    return _build(folder, data, provenance, hashes)


def _declared_ids(value: object) -> set[str]:
    """Every ``id`` of an entry anywhere in a file's content as read."""
    if isinstance(value, dict):
        own = {str(value["id"])} if isinstance(value.get("id"), (str, int)) else set()
        return own.union(*(_declared_ids(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_declared_ids(v) for v in value))
    return set()


def _references_too(folder: Path, data: dict[str, dict], raws: dict[str, object],
                    problems: list[Problem]) -> list[Problem]:
    """References to ids declared nowhere (an unknown control, site, region, metric), found in a
    register whose fields have problems too, so that one pass reports both. The cross-file checks
    run on the entries that passed their specs (the others are left out of ``data``); kept are only
    their "the id of a ..." problems naming an id that no entry declares, even an invalid one, on
    a field with no problem of its own. Only when every problem is an entry's (a file missing,
    misnamed or unreadable as a whole leaves nothing to check against) and the checks can run on
    what passed; else none is added."""
    if set(data) != set(raws) or any(not p.entry for p in problems):
        return []
    found: list[Problem] = []
    try:
        cross_check(folder, {n: dict(d) for n, d in data.items()}, [], found)
    except Exception:
        return []
    declared = set().union(*(_declared_ids(r) for r in raws.values()))
    flagged = {(p.file, p.entry, p.field) for p in problems}
    return [p for p in found if p.expected.startswith("the id of a ") and str(p.value) not in declared
            and (p.file, p.entry, p.field) not in flagged]


def _read_version(folder: Path, file: Path, raw: dict) -> dict:
    """``register.yaml``'s content as the current format: a newer version is refused (one problem),
    an older one is migrated in memory with a notice (:mod:`climaterisk.register.migration`)."""
    version = migration.check_version(file, raw.get("format_version"))
    if version is None or version >= migration.FORMAT_VERSION:
        return raw
    migration.notice(folder, version)
    return {**raw, "format_version": migration.FORMAT_VERSION}


def _interval(spec: dict) -> LogNormal:
    """The lognormal with the given 5th and 95th percentiles (``p5``, ``p95``, in the model's unit)."""
    return LogNormal.from_interval(spec["p5"], spec["p95"])


def _build_model(spec: dict, metrics: dict[str, dict]) -> Model:
    """One model of a risk or opportunity; ``metrics`` by id gives carbon emissions [t CO2e]; with
    the statement line item and nature it declares (:class:`~climaterisk.register.entities.Booked`)."""
    return dataclasses.replace(_model_of(spec, metrics), line_item=spec.get("line_item"),
                               nature=spec.get("nature", "risk_loss"))


def _model_of(spec: dict, metrics: dict[str, dict]) -> Model:
    """One model of a risk or opportunity, by its type."""
    kind = spec["type"]
    epistemic = spec.get("uncertainty") == "epistemic"
    if kind == "site_event":
        down = spec.get("downtime_days")
        return SiteEvent(spec["hazard"], _interval(spec["damage"]), _interval(down) if down else None)
    if kind == "entity_event":
        known = spec.get("rate_range")
        rate_range = Uniform(known["low"], known["high"]) if known else None
        rate = rate_range.mean() if rate_range else spec.get("rate", 0.0)
        return EntityEvent(rate, _interval(spec["severity"]), spec.get("rate_driver"), rate_range)
    if kind == "outage_episode":
        return OutageEpisode(spec["trigger_days"], spec["probability"], _interval(spec["severity"]))
    if kind == "cooling_energy":
        sens, mech = spec.get("sensitivity"), spec.get("mechanical_cooling")
        return CoolingEnergy(_interval(sens) if sens else None, _interval(mech) if mech else None,
                             epistemic)
    if kind == "cooling_water":
        return CoolingWater(_interval(spec["sensitivity"]), epistemic)
    if kind == "carbon_cost":
        ids = tuple(sorted(spec.get("emissions", [])))  # sorted: the file's order must not matter
        share = spec.get("exposed_share", {"low": 0.0, "high": 0.0})
        drivers = spec.get("share_drivers")
        return CarbonCost(ids, sum(metrics[i]["value"] for i in ids), Uniform(share["low"], share["high"]),
                          spec.get("projected"), (drivers["low"], drivers["high"]) if drivers else None,
                          epistemic)
    return AnnualCost(_interval(spec["cost"]), spec.get("driver"), epistemic)


def _point(spec: dict | None) -> tuple[int, float] | None:
    """A (year, value) point of a target, or None."""
    return None if spec is None else (spec["year"], spec["value"])


def _build(
    folder: Path, data: dict[str, dict], provenance: list[schema.Provenance], hashes: dict[str, str]
) -> Register:
    """The register of ``folder`` from its checked files (``data``: file name -> content)."""
    meta = data["register.yaml"]
    metrics_raw = data.get("metrics.yaml", {}).get("metrics", [])
    by_metric = {m["id"]: m for m in metrics_raw}
    regions = tuple(_build_region(r) for r in data["sites.yaml"].get("regions", []))
    sites = tuple(_build_site(s) for s in data["sites.yaml"]["sites"])
    controls = tuple(_build_control(c) for c in data.get("controls.yaml", {}).get("controls", []))
    params = meta.get("parameters", {})
    iso = meta.get("iso22301", {})
    return Register(
        path=folder, id=meta["id"], organisation=meta["organisation"], currency=meta["currency"],
        as_of=meta["as_of"], baseline_year=meta["baseline_year"], horizons=dict(meta["horizons"]),
        reporting_period=(meta["reporting_period"]["start"], meta["reporting_period"]["end"]),
        governance=meta["governance"], risk_management=meta["risk_management"],
        regions=regions, sites=sites,
        risks=tuple(_build_risk(r, False, by_metric) for r in data["risks.yaml"]["risks"]),
        opportunities=tuple(
            _build_risk(o, True, by_metric)
            for o in data.get("opportunities.yaml", {}).get("opportunities", [])
        ),
        controls=controls,
        metrics=tuple(_build_metric(m) for m in metrics_raw),
        targets=tuple(_build_target(t) for t in data.get("metrics.yaml", {}).get("targets", [])),
        bia=tuple(_build_activity(a) for a in data.get("bia.yaml", {}).get("activities", [])),
        documents=tuple(meta.get("documents", [])),
        electricity_price=params.get("electricity_price"), fx_usd=params.get("fx_usd"),
        electricity_prices=dict(params.get("electricity_price_by_region", {})),
        water_price=params.get("water_price"), water_prices=dict(params.get("water_price_by_region", {})),
        certification_cycle_years=iso.get("certification_cycle_years", 3.0),
        renewal=iso.get("renewal", "renew"), disclosure=dict(meta.get("disclosure", {})),
        renewal_assumption=iso.get("renewal_assumption", ""),
        description=meta.get("description", ""),
        provenance=tuple(provenance), file_hashes=hashes,
        ghg=build_ghg(data.get("ghg.yaml"), {s["id"]: s for s in data["sites.yaml"]["sites"]}),
        plan=build_plan(data.get("plan.yaml")),
    )


def _build_region(r: dict) -> Region:
    """A region with its common events (rate in events/yr; footprint: the chance [fraction] that an
    event strikes each site of the region)."""
    return Region(r["id"], r["name"], tuple(
        CommonEvent(e["hazard"], e["rate"], e["footprint"], dict(e.get("footprints", {})),
                    e.get("severity_correlation", 0.0))
        for e in r.get("common_events", [])
    ))


def _build_site(s: dict) -> Site:
    """A site: values in currency (interruption cost per day), electricity in MWh/yr, RTO and
    MTPD in days, hazard rates in events/yr."""
    iso = s.get("iso22301") or {}
    loc = s.get("location") or {}
    return Site(
        id=s["id"], name=s["name"], kind=s["kind"], region=s["region"],
        replacement_value=s["replacement_value"],
        interruption_cost_per_day=s["interruption_cost_per_day"],
        electricity_mwh=s.get("electricity_mwh", 0.0), pue=s.get("pue"),
        renewable_share=s.get("renewable_share"),
        iso_status=iso_status(iso), iso_valid_until=iso.get("valid_until"),
        iso_holder=iso.get("holder"), iso_scope=iso.get("scope"),
        rto_days=s.get("rto_days"), mtpd_days=s.get("mtpd_days"),
        hazards=dict(s.get("hazards", {})), lat=loc.get("lat"), lon=loc.get("lon"),
        wue=s.get("wue"), water_stress=s.get("water_stress", 1.0),
        hours_above_set_point=(s.get("free_cooling") or {}).get("hours_above_set_point"),
        temperature_sd_c=(s.get("free_cooling") or {}).get("temperature_sd_c"),
        set_point_c=(s.get("free_cooling") or {}).get("set_point_c"),
    )


def iso_status(iso: dict) -> str:
    """A site's ISO 22301 status from its checked ``iso22301`` block: ``status`` if given, else
    ``certified`` (true: company, false: not_certified), else ``unknown`` (no information)."""
    if iso.get("status"):
        return iso["status"]
    if "certified" in iso:
        return "company" if iso["certified"] else "not_certified"
    return "unknown"


def _build_activity(a: dict) -> BiaActivity:
    """A BIA activity: MTPD and RTO in days, RPO in hours, its dependencies by id."""
    dep = a.get("depends_on") or {}
    return BiaActivity(
        id=a["id"], name=a["name"], mtpd_days=a["mtpd_days"], rto_days=a["rto_days"],
        rpo_hours=a["rpo_hours"], mbco=a["mbco"], site_ids=tuple(dep.get("sites", [])),
        activity_ids=tuple(dep.get("activities", [])), priority=a.get("priority"),
        description=a.get("description", ""), source=a.get("source", ""),
    )


def _build_risk(item: dict, is_opp: bool, by_metric: dict[str, dict]) -> Risk:
    """A risk or (``is_opp``) an opportunity with its models; ``by_metric``: metric entries by id."""
    rating = item.get("rating") or {}
    residual = item.get("residual_rating") or {}
    treat = item.get("treatment")
    treatment = None if treat is None else Treatment(
        decision=treat["decision"], approver=treat.get("approver"), date=treat.get("date"),
        rationale=" ".join(treat.get("rationale", "").split()), review_date=treat.get("review_date"),
        source=treat.get("source", ""))
    return Risk(
        id=item["id"], title=item["title"], category=item["category"],
        ifrs_s2_type=item["ifrs_s2_type"],
        narrative=item.get("description" if is_opp else "impact", ""),
        time_horizons=tuple(item["time_horizons"]), owner=item.get("owner"),
        site_ids=tuple(item["_site_ids"]), control_ids=tuple(item.get("controls", [])),
        models=tuple(_build_model(m, by_metric) for m in item["models"]),
        likelihood=rating.get("likelihood"), impact=rating.get("impact"),
        is_opportunity=is_opp, source=item.get("source", ""),
        residual_likelihood=residual.get("likelihood"), residual_impact=residual.get("impact"),
        treatment=treatment,
    )


def _build_control(c: dict) -> Control:
    """A control: effects as fractional reductions (frequency, severity, downtime), deductible and
    limit in currency per event, annual cost in currency/yr."""
    eff = c.get("effect", {})
    ids = c["_site_ids"]
    return Control(
        id=c["id"], title=c["title"], type=c["type"], status=c["status"],
        description=c.get("description", ""), effective_year=c.get("effective_year"),
        retired_year=c.get("retired_year"), site_ids=None if ids is None else tuple(ids),
        components=tuple(c["components"]) if "components" in c else None,
        frequency=eff.get("frequency", 0.0), severity=eff.get("severity", 0.0),
        downtime=eff.get("downtime", 0.0), deductible=eff.get("deductible", 0.0),
        limit=eff.get("limit", 0.0), clauses=tuple(c.get("iso22301_clauses", [])),
        owner=c.get("owner"), last_tested=c.get("last_tested"),
        last_incident_review=c.get("last_incident_review"),
        annual_cost=c.get("annual_cost"), source=c.get("source", ""),
        planned_on=c.get("planned_on"),
    )


def _build_metric(m: dict) -> Metric:
    """A metric: a value in its own unit for a year."""
    return Metric(m["id"], m["name"], m["category"], m["unit"], m["year"], m["value"], m.get("scope"),
                  m.get("period", "annual"))


def _build_target(t: dict) -> Target:
    """A target: baseline, target and latest (year, value) points in its own unit."""
    return Target(t["id"], t["title"], t["unit"], _point(t["baseline"]), _point(t["target"]),
                  _point(t.get("latest")), t.get("metric"), t.get("direction"),
                  t.get("objective"), tuple(t.get("applies_to", {}).get("scopes", ())),
                  tuple(t.get("applies_to", {}).get("sites", ())),
                  t.get("applies_to", {}).get("description", ""),
                  tuple(sorted(_point(m) for m in t.get("milestones", []))),
                  t.get("international_agreement", {}).get("linked"),
                  t.get("international_agreement", {}).get("basis", ""), t.get("review", ""),
                  t.get("tracked_by"), t.get("tracked_activity"))

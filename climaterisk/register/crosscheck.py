"""Cross-file consistency checks of a register: the rules no single field's spec can state.

:func:`cross_check` runs after every file of a register folder has passed its field specs
(:mod:`climaterisk.register.schema`): ids are unique, references name declared entries (regions, sites,
controls, metrics, documents cited by sources), dates and years are in order, models have the
sites, hazards and parameters they need, and controls and metrics are consistent with their
type. It also resolves the site selectors of risks, opportunities and controls into site ids.

Each family of checks is a helper of its own; :func:`cross_check` runs them in a fixed order, so
the problems of a register are always reported in the same order.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from climaterisk.errors import Problem
from climaterisk.register import schema

CERTIFIED = ("company", "lessor")
"""The ISO 22301 statuses of a site that hold a certificate."""


@dataclass(frozen=True)
class _Files:
    """The paths of a register folder's files, as problems name them."""

    reg: str
    sites: str
    risks: str
    opps: str
    controls: str
    metrics: str
    bia: str

    @classmethod
    def of(cls, folder: Path) -> _Files:
        """The files of ``folder`` (whether they exist or not)."""
        names = ("register.yaml", "sites.yaml", "risks.yaml", "opportunities.yaml", "controls.yaml",
                 "metrics.yaml", "bia.yaml")
        return cls(*(str(folder / n) for n in names))


@dataclass(frozen=True)
class _Entries:
    """The entries of a register's files (as checked by the field specs), kind by kind."""

    files: _Files
    meta: dict
    sites: list[dict]
    regions: list[dict]
    risks: list[dict]
    opps: list[dict]
    controls: list[dict]
    metrics: list[dict]
    targets: list[dict]
    activities: list[dict]

    @classmethod
    def of(cls, folder: Path, data: dict[str, dict]) -> _Entries:
        """The entries of the files read from ``folder`` (``data``: file name -> content)."""
        return cls(
            files=_Files.of(folder), meta=data["register.yaml"],
            sites=data["sites.yaml"].get("sites", []), regions=data["sites.yaml"].get("regions", []),
            risks=data["risks.yaml"].get("risks", []),
            opps=data.get("opportunities.yaml", {}).get("opportunities", []),
            controls=data.get("controls.yaml", {}).get("controls", []),
            metrics=data.get("metrics.yaml", {}).get("metrics", []),
            targets=data.get("metrics.yaml", {}).get("targets", []),
            activities=data.get("bia.yaml", {}).get("activities", []),
        )


@dataclass(frozen=True)
class _Ids:
    """The ids declared by each kind of entry that other entries may refer to."""

    documents: set[str]
    regions: set[str]
    sites: set[str]
    controls: set[str]
    metrics: set[str]


def cross_check(
    folder: Path, data: dict[str, dict], provenance: list[schema.Provenance],
    problems: list[Problem],
) -> None:
    """Rules that span fields or files: unique ids, references, consistency."""
    reg = _Entries.of(folder, data)
    ids = _unique_ids(reg, problems)
    _check_metadata(reg, problems)
    _check_sites(reg, ids, problems)
    _check_tariffs(reg, ids, problems)
    _check_footprints(reg, problems)
    _check_risks(reg, ids, problems)
    _check_controls(reg, ids, problems)
    _check_metrics_and_targets(reg, ids, problems)
    _check_disclosure(reg, ids, problems)
    _check_bia(reg, ids, problems)
    _check_sources(provenance, ids.documents, problems)


# --------------------------------------------------------------------------- ids and references


def _unique(items: list[dict], file: str, what: str, problems: list[Problem]) -> set[str]:
    """The ids of ``items``; reports each id used a second time in the file."""
    seen: set[str] = set()
    for item in items:
        if item["id"] in seen:
            problems.append(Problem(
                file, item["id"], "id", item["id"], f"a {what} id not used before in the file"
            ))
        seen.add(item["id"])
    return seen


def _unique_ids(reg: _Entries, problems: list[Problem]) -> _Ids:
    """Ids are unique within their kind; returns the ids of the kinds that are referred to."""
    f = reg.files
    doc_ids = _unique(reg.meta.get("documents", []), f.reg, "document", problems)
    region_ids = _unique(reg.regions, f.sites, "region", problems)
    site_ids = _unique(reg.sites, f.sites, "site", problems)
    _unique(reg.risks, f.risks, "risk", problems)
    _unique(reg.opps, f.opps, "opportunity", problems)
    control_ids = _unique(reg.controls, f.controls, "control", problems)
    metric_ids = _unique(reg.metrics, f.metrics, "metric", problems)
    _unique(reg.targets, f.metrics, "target", problems)
    return _Ids(doc_ids, region_ids, site_ids, control_ids, metric_ids)


def _ref(
    ids: set[str], value: str, file: str, entry: str, fld: str, what: str, problems: list[Problem]
) -> None:
    """Reports ``value`` unless it is one of ``ids`` (the declared ids of a ``what``)."""
    if value not in ids:
        close = difflib.get_close_matches(value, sorted(ids), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(sorted(ids)) if len(ids) <= 12 else f"{len(ids)} known ids"
        known = known or "none declared"
        problems.append(Problem(file, entry, fld, value, f"the id of a {what} ({known}){hint}"))


def _select_sites(
    selector: dict | None, file: str, entry: str, fld: str, reg: _Entries, ids: _Ids,
    problems: list[Problem],
) -> list[str]:
    """The sorted ids of the sites a site selector chooses; reports the ids and regions it names
    that are not declared."""
    if selector is None:
        return []
    if selector.get("all"):
        return [s["id"] for s in reg.sites]
    for sid in selector.get("ids", []):
        _ref(ids.sites, sid, file, entry, f"{fld}.ids" if len(selector) > 1 else fld, "site", problems)
    for rid in selector.get("region", []):
        _ref(ids.regions, rid, file, entry, f"{fld}.region", "region", problems)
    filtered = "kind" in selector or "region" in selector
    chosen = {
        s["id"] for s in reg.sites
        if filtered
        and ("kind" not in selector or s["kind"] in selector["kind"])
        and ("region" not in selector or s["region"] in selector["region"])
    }
    chosen |= set(selector.get("ids", [])) & ids.sites
    return sorted(chosen)


# --------------------------------------------------------------------------- metadata and sites


def _check_metadata(reg: _Entries, problems: list[Problem]) -> None:
    """Horizons [years] follow the baseline year in order; the reporting period ends after it starts."""
    meta, file = reg.meta, reg.files.reg
    h = meta["horizons"]
    if not (meta["baseline_year"] <= h["short"] <= h["medium"] <= h["long"]):
        problems.append(Problem(
            file, "", "horizons", h, f"baseline_year ({meta['baseline_year']}) <= short <= medium <= long"
        ))
    start, end = meta["reporting_period"]["start"], meta["reporting_period"]["end"]
    if start > end:
        problems.append(Problem(
            file, "", "reporting_period.end", str(end), f"a date on or after start ({start})"
        ))


def _check_sites(reg: _Entries, ids: _Ids, problems: list[Problem]) -> None:
    """Sites name a declared region, have an RTO no longer than their MTPD [days], and a
    certified site's ISO 22301 certificate has an expiry date."""
    file = reg.files.sites
    for site in reg.sites:
        _ref(ids.regions, site["region"], file, site["id"], "region", "region", problems)
        rto, mtpd = site.get("rto_days"), site.get("mtpd_days")
        if rto is not None and mtpd is not None and rto > mtpd:
            problems.append(Problem(
                file, site["id"], "rto_days", rto, f"an RTO no longer than the MTPD ({mtpd:g} days)"
            ))
        iso = site.get("iso22301") or {}
        status = iso.get("status")
        if status is not None and "certified" in iso and iso["certified"] != (status in CERTIFIED):
            problems.append(Problem(
                file, site["id"], "iso22301.certified", iso["certified"],
                f"{str(status in CERTIFIED).lower()} for status {status} (or leave certified out)",
            ))
        elif (status in CERTIFIED or (status is None and iso.get("certified"))) \
                and iso.get("valid_until") is None:
            problems.append(Problem(
                file, site["id"], "iso22301.valid_until", None, "the certificate's expiry date"
            ))


def _check_tariffs(reg: _Entries, ids: _Ids, problems: list[Problem]) -> None:
    """The regional tariff tables of ``parameters`` (electricity [currency/MWh], water
    [currency/m³]) name declared regions."""
    params = reg.meta.get("parameters", {})
    for table in ("electricity_price_by_region", "water_price_by_region"):
        for region in params.get(table, {}):
            _ref(ids.regions, region, reg.files.reg, "", f"parameters.{table}", "region", problems)


# --------------------------------------------------------------------------- risks and opportunities


def _check_footprints(reg: _Entries, problems: list[Problem]) -> None:
    """A common event's per-site footprints name sites of its own region."""
    in_region: dict[str, set[str]] = {}
    for site in reg.sites:
        in_region.setdefault(site["region"], set()).add(site["id"])
    for region in reg.regions:
        members = in_region.get(region["id"], set())
        for i, event in enumerate(region.get("common_events", [])):
            for site_id in event.get("footprints", {}):
                if site_id not in members:
                    problems.append(Problem(
                        reg.files.sites, region["id"], f"common_events[{i}].footprints", site_id,
                        f"a site of region {region['id']} ({', '.join(sorted(members)) or 'none'})"))


def _known_hazards(reg: _Entries) -> set[str]:
    """The hazards given a rate by some site (``hazards``) or region (``common_events``)."""
    return {hz for s in reg.sites for hz in s.get("hazards", {})} | {
        ev["hazard"] for r in reg.regions for ev in r.get("common_events", [])
    }


def _check_risks(reg: _Entries, ids: _Ids, problems: list[Problem]) -> None:
    """Risks, then opportunities: resolves their site selectors (into ``_site_ids``) and checks
    their models, and a risk's type and controls."""
    hazards = _known_hazards(reg)
    for items, file, is_opp in ((reg.risks, reg.files.risks, False), (reg.opps, reg.files.opps, True)):
        for item in items:
            rid = item["id"]
            before = len(problems)
            chosen = _select_sites(item.get("sites"), file, rid, "sites", reg, ids, problems)
            dangling = len(problems) > before  # already reported: no second line for it
            item["_site_ids"] = chosen
            if not is_opp:
                _check_risk_type_and_controls(item, file, ids, problems)
            no_sites = not chosen and not dangling
            for i, model in enumerate(item["models"]):
                _check_model(model, f"models[{i}]", item, file, no_sites, hazards, reg, ids, problems)


def _check_risk_type_and_controls(item: dict, file: str, ids: _Ids, problems: list[Problem]) -> None:
    """A risk's IFRS S2 type agrees with its category, and its controls are declared."""
    rid = item["id"]
    physical = item["category"].startswith("physical")
    expected = "physical" if physical else "transition"
    if item["ifrs_s2_type"] != expected:
        problems.append(Problem(
            file, rid, "ifrs_s2_type", item["ifrs_s2_type"], f"{expected} for category {item['category']}"
        ))
    for cid in item.get("controls", []):
        _ref(ids.controls, cid, file, rid, "controls", "control", problems)


def _check_model(
    model: dict, fld: str, item: dict, file: str, no_sites: bool, hazards: set[str], reg: _Entries,
    ids: _Ids, problems: list[Problem],
) -> None:
    """One model of a risk or opportunity has what its type needs: sites (``no_sites``: the item
    chooses none, and no dangling reference explains it), a known hazard, the register parameters
    it prices with, and declared emission metrics."""
    rid, kind = item["id"], model["type"]
    params = reg.meta.get("parameters", {})
    if kind in ("site_event", "cooling_energy", "cooling_water", "outage_episode") and no_sites:
        problems.append(Problem(
            file, rid, "sites", item.get("sites"),
            f"at least one site: a {kind} model needs the sites it applies to",
        ))
    if kind == "site_event" and model["hazard"] not in hazards:
        close = difflib.get_close_matches(model["hazard"], sorted(hazards), n=1)
        problems.append(Problem(
            file, rid, f"{fld}.hazard", model["hazard"],
            "a hazard given a rate by some site (`hazards`) or region (`common_events`): "
            + (", ".join(sorted(hazards)) or "none given")
            + (f" (did you mean {close[0]!r}?)" if close else ""),
        ))
    if kind == "cooling_energy" and "electricity_price" not in params:
        problems.append(Problem(
            reg.files.reg, "", "parameters.electricity_price", None,
            f"an electricity price (needed by {rid} {fld}: cooling_energy)",
        ))
    if kind in ("cooling_energy", "cooling_water"):
        _check_cooling_model(model, fld, item, file, reg, problems)
    if kind == "carbon_cost":
        if "fx_usd" not in params:
            problems.append(Problem(
                reg.files.reg, "", "parameters.fx_usd", None,
                f"an exchange rate (needed by {rid} {fld}: carbon_cost)",
            ))
        for mid in model["emissions"]:
            _ref(ids.metrics, mid, file, rid, f"{fld}.emissions", "metric", problems)


def _check_cooling_model(
    model: dict, fld: str, item: dict, file: str, reg: _Entries, problems: list[Problem]
) -> None:
    """A cooling_energy model has one rule (``sensitivity`` or ``mechanical_cooling``); the sites of
    an hours-rule cooling_energy have economiser data and a PUE, those of a cooling_water model a
    WUE [L/kWh], a PUE and a water tariff (the region's or the register's)."""
    rid, kind = item["id"], model["type"]
    if kind == "cooling_energy" and ("sensitivity" in model) == ("mechanical_cooling" in model):
        problems.append(Problem(
            file, rid, fld, None,
            "either `sensitivity` (per °C of local warming) or `mechanical_cooling` (per hour above "
            "the economiser set point), not both and not neither",
        ))
        return
    needs: tuple[str, ...] = ()
    if kind == "cooling_energy" and "mechanical_cooling" in model:
        needs = ("free_cooling", "pue")
    elif kind == "cooling_water":
        needs = ("wue", "pue")
    by_id = {s["id"]: s for s in reg.sites}
    params = reg.meta.get("parameters", {})
    for sid in item.get("_site_ids") or []:
        site = by_id.get(sid, {})
        for key in needs:
            if key not in site:
                problems.append(Problem(
                    reg.files.sites, sid, key, None, f"a value (needed by {rid} {fld}: {kind})"))
        if kind == "cooling_water" and "water_price" not in params \
                and site.get("region") not in params.get("water_price_by_region", {}):
            problems.append(Problem(
                reg.files.reg, "", "parameters.water_price", None,
                f"a water tariff for region {site.get('region')} (needed by {rid} {fld}: cooling_water "
                f"at {sid}): `water_price` or an entry of `water_price_by_region`",
            ))


# --------------------------------------------------------------------------- controls


def _check_controls(reg: _Entries, ids: _Ids, problems: list[Problem]) -> None:
    """Controls: resolves their site selectors (into ``_site_ids``, None without one) and checks
    their years and their effect."""
    file = reg.files.controls
    for ctrl in reg.controls:
        cid = ctrl["id"]
        ctrl["_site_ids"] = (
            _select_sites(ctrl.get("sites"), file, cid, "sites", reg, ids, problems)
            if "sites" in ctrl else None
        )
        _check_control_years(ctrl, file, problems)
        _check_control_effect(ctrl, file, problems)


def _check_control_years(ctrl: dict, file: str, problems: list[Problem]) -> None:
    """A control's years are in order: planned (date) <= effective <= retired; a planned control has
    an effective year and only a retired one a retired year."""
    cid = ctrl["id"]
    status, eff = ctrl["status"], ctrl.get("effective_year")
    if status == "planned" and eff is None:
        problems.append(Problem(file, cid, "effective_year", None, "the year a planned control takes effect"))
    ret = ctrl.get("retired_year")
    planned_on = ctrl.get("planned_on")
    if planned_on is not None and eff is not None and eff < planned_on.year:
        problems.append(Problem(
            file, cid, "effective_year", eff,
            f"a year on or after the year it was planned (planned_on {planned_on.isoformat()})",
        ))
    if ret is not None and eff is not None and ret < eff:
        problems.append(Problem(file, cid, "retired_year", ret, f"a year on or after effective_year ({eff})"))
    if ret is not None and status != "retired":
        problems.append(Problem(file, cid, "retired_year", ret, "no retired_year unless status is retired"))


def _check_control_effect(ctrl: dict, file: str, problems: list[Problem]) -> None:
    """A transfer control has a limit per event; only transfer controls have a deductible or limit."""
    cid = ctrl["id"]
    effect = ctrl.get("effect", {})
    money = {"deductible", "limit"} & set(effect)
    if ctrl["type"] == "transfer":
        if "limit" not in effect:
            problems.append(Problem(
                file, cid, "effect.limit", None, "a limit per event for a transfer control"
            ))
    elif money:
        problems.append(Problem(
            file, cid, f"effect.{sorted(money)[0]}", effect[sorted(money)[0]],
            "deductible and limit only on controls of type transfer",
        ))


# --------------------------------------------------------------------------- metrics, disclosure, sources


def _check_metrics_and_targets(reg: _Entries, ids: _Ids, problems: list[Problem]) -> None:
    """Only GHG metrics have a scope; a target's metric, if given, is declared."""
    file = reg.files.metrics
    for metric in reg.metrics:
        if metric.get("scope") is not None and metric["category"] != "ghg":
            problems.append(Problem(
                file, metric["id"], "scope", metric["scope"], "no scope unless category is ghg"
            ))
    for target in reg.targets:
        if target.get("metric"):
            _ref(ids.metrics, target["metric"], file, target["id"], "metric", "metric", problems)


def _check_disclosure(reg: _Entries, ids: _Ids, problems: list[Problem]) -> None:
    """Every metric the disclosure settings of ``register.yaml`` name is declared."""
    file = reg.files.reg
    disclosure = reg.meta.get("disclosure", {})
    for key in ("headcount_metric", "revenue_metric", "energy_metric", "electricity_metric"):
        if key in disclosure:
            _ref(ids.metrics, disclosure[key], file, "", f"disclosure.{key}", "metric", problems)
    for mid in disclosure.get("renewable_electricity_metrics", []):
        _ref(ids.metrics, mid, file, "", "disclosure.renewable_electricity_metrics", "metric", problems)
    for i, check in enumerate(disclosure.get("reported_checks", [])):
        fld = f"disclosure.reported_checks[{i}].metric"
        _ref(ids.metrics, check["metric"], file, "", fld, "metric", problems)


def _check_bia(reg: _Entries, ids: _Ids, problems: list[Problem]) -> None:
    """BIA activities (``bia.yaml``): ids unique; RTO [days] and RPO [hours] within the MTPD [days];
    every site and activity they depend on declared (and not the activity itself)."""
    file = reg.files.bia
    activity_ids = _unique(reg.activities, file, "BIA activity", problems)
    for act in reg.activities:
        aid, mtpd = act["id"], act["mtpd_days"]
        if act["rto_days"] > mtpd:
            problems.append(Problem(
                file, aid, "rto_days", act["rto_days"], f"an RTO no longer than the MTPD ({mtpd:g} days)"
            ))
        if act["rpo_hours"] > 24 * mtpd:
            problems.append(Problem(
                file, aid, "rpo_hours", act["rpo_hours"],
                f"an RPO no longer than the MTPD ({mtpd:g} days = {24 * mtpd:g} hours)",
            ))
        dep = act.get("depends_on") or {}
        for sid in dep.get("sites", []):
            _ref(ids.sites, sid, file, aid, "depends_on.sites", "site", problems)
        for other in dep.get("activities", []):
            if other == aid:
                problems.append(Problem(file, aid, "depends_on.activities", other,
                                        "the id of another activity (not the activity itself)"))
            else:
                _ref(activity_ids, other, file, aid, "depends_on.activities", "BIA activity", problems)


def _check_sources(provenance: list[schema.Provenance], doc_ids: set[str], problems: list[Problem]) -> None:
    """Every source names a declared document, or is an assumption."""
    for row in provenance:
        if row.source:
            doc = schema.SOURCE_PATTERN.match(row.source).group(1)
            if doc.lower() != "assumption" and doc not in doc_ids:
                close = difflib.get_close_matches(doc, sorted(doc_ids), n=1)
                problems.append(Problem(
                    row.file, row.entry, f"{row.field}.source", row.source,
                    "'assumption: <basis>' or '<document id>: <locator>' with a document of "
                    f"register.yaml ({', '.join(sorted(doc_ids)) or 'none declared'})"
                    + (f" (did you mean {close[0]!r}?)" if close else ""),
                ))

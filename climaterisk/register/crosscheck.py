"""Cross-file consistency checks of a register: the rules no single field's spec can state.

:func:`cross_check` runs after every file of a register folder has passed its field specs
(:mod:`climaterisk.register.schema`): ids are unique, references name declared entries (regions, sites,
controls, metrics, documents cited by sources), dates and years are in order, models have the
sites, hazards and parameters they need, and controls and metrics are consistent with their
type. It also resolves the site selectors of risks, opportunities and controls into site ids.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from climaterisk.errors import Problem
from climaterisk.register import schema


def cross_check(
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

"""The cross-file checks of ``metrics.yaml``, the disclosure settings of ``register.yaml`` and
``bia.yaml``: scopes only on GHG metrics, declared metrics wherever targets and disclosure settings
name one, and BIA activities with unique ids, objectives within their MTPD and declared dependencies.
"""

from __future__ import annotations

from climaterisk.errors import Problem
from climaterisk.register.crosscheck.common import Entries, Ids, ref, unique


def check_metrics_and_targets(reg: Entries, ids: Ids, problems: list[Problem]) -> None:
    """Only GHG metrics have a scope; a target's metric, if given, is declared."""
    file = reg.files.metrics
    for metric in reg.metrics:
        if metric.get("scope") is not None and metric["category"] != "ghg":
            problems.append(Problem(
                file, metric["id"], "scope", metric["scope"], "no scope unless category is ghg"
            ))
    for target in reg.targets:
        if target.get("metric"):
            ref(ids.metrics, target["metric"], file, target["id"], "metric", "metric", problems)


def check_disclosure(reg: Entries, ids: Ids, problems: list[Problem]) -> None:
    """Every metric the disclosure settings of ``register.yaml`` name is declared."""
    file = reg.files.reg
    disclosure = reg.meta.get("disclosure", {})
    for key in ("headcount_metric", "revenue_metric", "energy_metric", "electricity_metric",
                "water_withdrawn_metric", "water_discharged_metric", "water_consumed_metric"):
        if key in disclosure:
            ref(ids.metrics, disclosure[key], file, "", f"disclosure.{key}", "metric", problems)
    for rid in disclosure.get("water_stress_by_region") or {}:
        ref(ids.regions, rid, file, "", "disclosure.water_stress_by_region", "region", problems)
    for mid in disclosure.get("renewable_electricity_metrics", []):
        ref(ids.metrics, mid, file, "", "disclosure.renewable_electricity_metrics", "metric", problems)
    for i, check in enumerate(disclosure.get("reported_checks", [])):
        fld = f"disclosure.reported_checks[{i}].metric"
        ref(ids.metrics, check["metric"], file, "", fld, "metric", problems)


def check_bia(reg: Entries, ids: Ids, problems: list[Problem]) -> None:
    """BIA activities (``bia.yaml``): ids unique; RTO [days] and RPO [hours] within the MTPD [days];
    every site and activity they depend on declared (and not the activity itself)."""
    file = reg.files.bia
    activity_ids = unique(reg.activities, file, "BIA activity", problems)
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
            ref(ids.sites, sid, file, aid, "depends_on.sites", "site", problems)
        for other in dep.get("activities", []):
            if other == aid:
                problems.append(Problem(file, aid, "depends_on.activities", other,
                                        "the id of another activity (not the activity itself)"))
            else:
                ref(activity_ids, other, file, aid, "depends_on.activities", "BIA activity", problems)

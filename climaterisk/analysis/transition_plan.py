"""The transition plan and the targets as IFRS S2 14 and 33-36 ask them to be disclosed, computed
from the register (``plan.yaml``, the targets of ``metrics.yaml``) and its GHG account.

Every figure carries a mark: ``reported`` (a value with a source document), ``assumed`` (a value
whose source is an ``assumption:``) or ``derived`` (computed here from register inputs).
:func:`plan_tables` lists levers, milestones (by year), capex, dependencies and the items not
disclosed; :func:`target_details` gives each target's objective, scope, base year, milestones,
link to the Paris Agreement, review and tracking figure; :func:`no_ghg_target_statement` is the
IFRS S2 36 statement when no target is a GHG emissions target; :func:`progress_since` compares
each target's latest value with the one an earlier snapshot held.
"""

from __future__ import annotations

from collections.abc import Mapping

from climaterisk.analysis import ghg
from climaterisk.register import Register

NO_PLAN = "no transition plan in the register (plan.yaml is absent)"
NO_SNAPSHOT = "no earlier snapshot"
GHG_TRACKERS = ("scope1", "scope2_location", "scope2_market", "scope12_location", "scope12_market")


def mark_of(source: str) -> str:
    """``assumed`` for an ``assumption:`` source, else ``reported``."""
    return "assumed" if source.strip().lower().startswith("assumption") else "reported"


def _input_mark(register: Register, entry: str, field: str) -> str:
    """The mark of a numeric register input (``reported`` if it was typed without a source)."""
    prov = next((p for p in register.provenance if p.entry == entry and p.field == field), None)
    return mark_of(prov.source) if prov is not None else "reported"


def plan_tables(register: Register) -> dict | None:
    """The plan as rows: levers, milestones sorted by year, capex (amount [currency] or not
    disclosed), dependencies and items not disclosed; None without ``plan.yaml``."""
    plan = register.plan
    if plan is None:
        return None
    capex = plan.capex
    if capex is None:
        capex_row = {"status": "not disclosed", "amount": None, "currency": None, "years": "",
                     "what": "", "mark": "not disclosed",
                     "source": "assumption: plan.yaml gives no capex"}
    else:
        years = "-".join(str(y) for y in (capex.from_year, capex.to_year) if y is not None)
        capex_row = {"status": "disclosed" if capex.disclosed else "not disclosed",
                     "amount": capex.amount if capex.disclosed else None,
                     "currency": (capex.currency or register.currency) if capex.disclosed else None,
                     "years": years, "what": capex.what,
                     "mark": mark_of(capex.source) if capex.disclosed else "not disclosed",
                     "source": capex.source}
    return {
        "base_year": plan.base_year,
        "summary": plan.summary,
        "levers": [{"id": lv.id, "what": lv.what, "acts_on": lv.acts_on, "scopes": list(lv.scopes),
                    "start": lv.start, "pathway_lever": lv.pathway_lever, "target": lv.target,
                    "mark": mark_of(lv.source), "source": lv.source} for lv in plan.levers],
        "milestones": [{"year": m.year, "what": m.what, "target": m.target, "mark": mark_of(m.source),
                        "source": m.source} for m in plan.milestones],
        "capex": capex_row,
        "dependencies": [{"id": i, "what": w, "mark": mark_of(s), "source": s}
                         for i, w, s in plan.dependencies],
        "not_disclosed": [{"item": i, "source": s} for i, s in plan.not_disclosed],
    }


def _tracked(register: Register, tracked_by: str | None, activity: str | None,
             account: ghg.GhgAccount | None) -> tuple[float | None, str, str]:
    """The figure of the GHG account that tracks a target: (value, unit, how it is computed)."""
    if tracked_by is None or account is None:
        return None, "", ""
    if tracked_by == "renewable_share":
        row = next((r for r in account.renewable["by_activity"] if r["activity"] == activity), None)
        if row is None:
            return 0.0, "fraction", f"no contractual instrument covers {activity}"
        basis = f"renewable MWh / electricity MWh of {activity} in the GHG account ({account.year})"
        if row.get("circular"):
            basis += "; circular: the electricity was backed out of the reported share"
        return row["share"], "fraction", basis
    s2 = {"location": account.scope2_location, "market": account.scope2_market}
    value = {"scope1": account.scope1, "scope2_location": s2["location"], "scope2_market": s2["market"],
             "scope12_location": account.scope1 + s2["location"],
             "scope12_market": account.scope1 + s2["market"]}[tracked_by]
    return value, "t CO2e", f"{tracked_by.replace('_', ' ')} of the GHG account ({account.year})"


def is_ghg_target(register: Register, target_id: str) -> bool:
    """A GHG emissions target: its metric is a GHG metric, or it is tracked by a scope total."""
    t = next(t for t in register.targets if t.id == target_id)
    category = next((m.category for m in register.metrics if m.id == t.metric), None)
    return category == "ghg" or t.tracked_by in GHG_TRACKERS


def target_details(register: Register) -> list[dict]:
    """Per target, in register order: objective, what it covers, base year and value, interim
    milestones, target, link to the Paris Agreement and its basis, review, whether it is a GHG
    target, the latest metric value and the figure computed from the GHG account; with marks."""
    account = ghg.account(register) if register.ghg is not None else None
    metrics = {m.id: m for m in register.metrics}
    rows = []
    for t in register.targets:
        metric = metrics.get(t.metric) if t.metric else None
        value, unit, basis = _tracked(register, t.tracked_by, t.tracked_activity, account)
        scope = ", ".join(s.replace("scope", "scope ") for s in t.scopes)
        sites = ", ".join(t.sites)
        rows.append({
            "id": t.id, "title": t.title, "unit": t.unit,
            "objective": t.objective or "not stated",
            "covers": "; ".join(p for p in (scope, sites, t.coverage) if p) or "not stated",
            "base_year": t.baseline[0], "baseline": t.baseline[1],
            "baseline_mark": _input_mark(register, t.id, "baseline.value"),
            "milestones": [{"year": y, "value": v} for y, v in t.milestones],
            "target_year": t.target[0], "target": t.target[1],
            "target_mark": _input_mark(register, t.id, "target.value"),
            "paris": ("not stated" if t.agreement_linked is None
                      else "linked" if t.agreement_linked else "not linked"),
            "paris_basis": t.agreement_basis,
            "review": t.review or "not stated",
            "ghg_target": is_ghg_target(register, t.id),
            "metric": t.metric,
            "metric_value": metric.value if metric else None,
            "metric_year": metric.year if metric else None,
            "metric_mark": _input_mark(register, metric.id, "value") if metric else None,
            "tracked": value, "tracked_unit": unit, "tracked_basis": basis,
            "tracked_mark": "derived" if value is not None else None,
        })
    return rows


def no_ghg_target_statement(register: Register) -> str | None:
    """The IFRS S2 36 statement when no target is a GHG emissions target (None otherwise)."""
    if any(is_ghg_target(register, t.id) for t in register.targets):
        return None
    n = len(register.targets)
    return (f"The company has set no GHG emissions target: none of the register's {n} target"
            f"{'' if n == 1 else 's'} is measured by a GHG metric or a scope total of the GHG account "
            "(IFRS S2 36).")


def latest_value(target: Mapping) -> float | None:
    """A target's latest value from its YAML entry (``latest``, else ``baseline``), or None."""
    point = target.get("latest") or target.get("baseline")
    if not isinstance(point, Mapping):
        return None
    value = point.get("value")
    value = value.get("value") if isinstance(value, Mapping) else value
    return float(value) if isinstance(value, (int, float)) else None


def progress_since(register: Register, previous: tuple[str, Mapping[str, float | None]] | None) -> dict:
    """Each target's latest value against the one of an earlier snapshot (``previous`` is (label,
    {target id: value})): the movement in the target's unit; ``label`` says no earlier snapshot
    when there is none."""
    if previous is None:
        return {"against": NO_SNAPSHOT, "rows": []}
    label, earlier = previous
    rows = []
    for t in register.targets:
        now = t.latest[1] if t.latest else t.baseline[1]
        before = earlier.get(t.id)
        rows.append({"id": t.id, "unit": t.unit, "previous": before, "current": now,
                     "movement": None if before is None else now - before,
                     "note": "new target" if t.id not in earlier else
                     "no value in the earlier snapshot" if before is None else ""})
    return {"against": label, "rows": rows}


__all__ = ["NO_PLAN", "NO_SNAPSHOT", "is_ghg_target", "latest_value", "mark_of", "no_ghg_target_statement",
           "plan_tables", "progress_since", "target_details"]

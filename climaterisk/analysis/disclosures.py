"""IFRS S2 metrics computed from the register and an assessment: GHG, energy, cross-industry
metrics (IFRS S2 29(a)-(g)) and target progress. Every figure is a computation over register
inputs; nothing here is typed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from climaterisk.analysis.results import Assessment
from climaterisk.register import Register


@dataclass(frozen=True)
class Figure:
    """One disclosed figure with its unit and how it was obtained."""

    label: str
    value: float | None
    unit: str
    basis: str


def _metric(register: Register, metric_id: str | None) -> float | None:
    if not metric_id:
        return None
    return next((m.value for m in register.metrics if m.id == metric_id), None)


def ghg(register: Register) -> dict[str, Figure]:
    """Scope 1, 2, 3 [t CO2e], totals and intensities, from metrics with category ghg and a scope."""
    by_scope: dict[int, list] = {1: [], 2: [], 3: []}
    for m in register.metrics:
        if m.category == "ghg" and m.scope in by_scope:
            by_scope[m.scope].append(m)
    out: dict[str, Figure] = {}
    for scope, items in by_scope.items():
        if items:
            out[f"scope{scope}"] = Figure(
                f"Scope {scope}", sum(m.value for m in items), "t CO2e",
                "sum of metrics " + ", ".join(m.id for m in items))
    s12 = sum(out[k].value for k in ("scope1", "scope2") if k in out)
    out["scope12"] = Figure("Scope 1 and 2", s12, "t CO2e", "scope 1 + scope 2")
    if "scope3" in out:
        out["scope123"] = Figure("Scope 1, 2 and 3", s12 + out["scope3"].value, "t CO2e",
                                 "scope 1 + scope 2 + scope 3")
    head_id = register.disclosure.get("headcount_metric")
    head = _metric(register, head_id)
    if head:
        out["scope12_per_head"] = Figure("Scope 1 and 2 per employee", s12 / head, "t CO2e/person",
                                         f"scope 1 + scope 2 divided by metric {head_id}")
    revenue_id = register.disclosure.get("revenue_metric")
    revenue = _metric(register, revenue_id)
    if revenue:
        out["scope12_per_revenue"] = Figure(
            f"Scope 1 and 2 per million {register.currency} revenue", s12 / revenue * 1e6,
            f"t CO2e/million {register.currency}", f"scope 1 + scope 2 divided by metric {revenue_id}")
    return out


_CHECKS = {"ghg_scope12": "scope12", "ghg_scope123": "scope123", "ghg_scope12_per_head": "scope12_per_head"}


def reconciliation(register: Register) -> list[dict]:
    """Computed figures against the figures the source report states (rounding tolerance 0.5%)."""
    figures = ghg(register)
    rows = []
    for check in register.disclosure.get("reported_checks", []):
        reported = _metric(register, check["metric"])
        computed = figures.get(_CHECKS[check["computed"]])
        value = computed.value if computed else None
        agree = (value is not None and reported is not None
                 and abs(value - reported) <= 0.005 * max(abs(reported), 1e-12))
        rows.append({"figure": computed.label if computed else check["computed"],
                     "computed": value, "reported": reported, "metric": check["metric"],
                     "agrees": agree})
    return rows


def energy(register: Register) -> dict[str, Figure]:
    """Energy use and renewable share of electricity [MWh, fraction]."""
    d = register.disclosure
    out: dict[str, Figure] = {}
    total = _metric(register, d.get("energy_metric"))
    if total is not None:
        out["energy"] = Figure("Total energy", total, "MWh", f"metric {d['energy_metric']}")
    elec = _metric(register, d.get("electricity_metric"))
    if elec is not None:
        out["electricity"] = Figure("Electricity", elec, "MWh", f"metric {d['electricity_metric']}")
    ren_ids = d.get("renewable_electricity_metrics", [])
    if ren_ids:
        period = {m.id: m.period for m in register.metrics}
        annual = [i for i in ren_ids if period.get(i, "annual") == "annual"]
        other = [i for i in ren_ids if i not in annual]
        ren = sum(_metric(register, i) or 0.0 for i in annual)
        out["renewable"] = Figure("Renewable electricity", ren, "MWh",
                                  "sum of metrics " + (", ".join(annual) or "(none annual)"))
        if elec:
            out["renewable_share"] = Figure(
                "Renewable share of electricity" + (" (lower bound)" if other else ""), ren / elec,
                "fraction", "renewable electricity / electricity")
        if other:
            more = sum(_metric(register, i) or 0.0 for i in other)
            out["renewable_cumulative"] = Figure(
                "Renewable electricity reported to date (not the year's)", more, "MWh",
                "sum of cumulative metrics " + ", ".join(other) + ": the year's part is not given")
            if elec:
                out["renewable_share_high"] = Figure(
                    "Renewable share of electricity (upper bound)", (ren + more) / elec, "fraction",
                    "as if every cumulative volume fell in the year: (annual + cumulative) / electricity")
    return out


def cross_industry(register: Register, result: Assessment) -> dict[str, Figure]:
    """IFRS S2 29(b)-(g): assets vulnerable to transition and physical risks, assets aligned with
    opportunities, climate capex, internal carbon price and remuneration, with thresholds stated."""
    d = register.disclosure
    sites = {s.id: s for s in register.sites}
    total_value = sum(s.replacement_value for s in sites.values())
    out: dict[str, Figure] = {}
    long_term = result.horizons[-1]
    phys_threshold = d.get("physical_vulnerability_threshold")
    if phys_threshold is not None:
        by_site = {line.id: line.residual.mean for line in long_term.by_site}
        vulnerable = [s for s in sites.values()
                      if s.replacement_value > 0 and by_site.get(s.id, 0.0) / s.replacement_value
                      >= phys_threshold]
        amount = sum(s.replacement_value for s in vulnerable)
        basis = (f"sites whose residual physical EAL in {long_term.year} under {result.scenario.id} is "
                 f">= {phys_threshold:.2%} of replacement value per year: "
                 + (", ".join(sorted(s.id for s in vulnerable)) or "none"))
        out["physical_amount"] = Figure("Assets vulnerable to physical risks (29(c))", amount,
                                        register.currency, basis)
        out["physical_share"] = Figure("Share of assets vulnerable to physical risks", amount / total_value
                                       if total_value else 0.0, "fraction of asset value", basis)
    rating = d.get("transition_vulnerability_rating")
    if rating is not None:
        named = {sid for r in register.risks if r.ifrs_s2_type == "transition"
                 and (r.likelihood or 0) * (r.impact or 0) >= rating for sid in r.site_ids}
        amount = sum(sites[s].replacement_value for s in named)
        basis = (f"sites named by transition risks rated likelihood x impact >= {rating:g}: "
                 + (", ".join(sorted(named)) or "none"))
        out["transition_amount"] = Figure("Assets vulnerable to transition risks (29(b))", amount,
                                          register.currency, basis)
        out["transition_share"] = Figure("Share of assets vulnerable to transition risks",
                                         amount / total_value if total_value else 0.0,
                                         "fraction of asset value", basis)
    aligned = {sid for o in register.opportunities for sid in o.site_ids}
    amount = sum(sites[s].replacement_value for s in aligned)
    basis = "sites named by opportunities: " + (", ".join(sorted(aligned)) or "none")
    out["opportunity_amount"] = Figure("Assets aligned with opportunities (29(d))", amount,
                                       register.currency, basis)
    out["opportunity_share"] = Figure("Share of assets aligned with opportunities",
                                      amount / total_value if total_value else 0.0,
                                      "fraction of asset value", basis)
    out["capex"] = Figure("Capital deployed towards climate risks and opportunities (29(e))",
                          d.get("climate_capex"), register.currency,
                          "register disclosure.climate_capex" if d.get("climate_capex") is not None
                          else "not disclosed: not given in the register")
    price = d.get("internal_carbon_price")
    out["carbon_price"] = Figure(
        "Internal carbon price (29(f))", price, f"{register.currency}/t CO2e",
        "not disclosed: the register gives none (absent is not the same as none used; a register "
        "states 'none used' with internal_carbon_price 0 and its source)" if price is None
        else "none used (register disclosure.internal_carbon_price is 0)" if price == 0
        else "register disclosure.internal_carbon_price")
    out["remuneration"] = Figure("Climate in remuneration (29(g))", None, "",
                                 d.get("remuneration_link") or "not disclosed: not given in the register")
    return out


def target_progress(register: Register) -> list[dict]:
    """Per target: baseline, latest and target values; for a target to move towards, the share of
    the way covered; for a limit, whether the latest value meets it."""
    rows = []
    for t in register.targets:
        base, goal = t.baseline[1], t.target[1]
        direction = t.direction or ("reduce_to" if goal < base else "raise_to" if goal > base
                                    else "at_least")
        progress, status = None, "no latest value"
        if t.latest is not None:
            latest = t.latest[1]
            if direction in ("at_most", "at_least"):
                met = latest <= goal if direction == "at_most" else latest >= goal
                status = "met" if met else "not met"
            else:
                progress = (latest - base) / (goal - base)
                status = "met" if progress >= 1 else f"{progress:.0%} of the way"
        rows.append({"direction": direction, "status": status,
            "id": t.id, "title": t.title, "unit": t.unit, "metric": t.metric,
            "baseline_year": t.baseline[0], "baseline": t.baseline[1],
            "latest_year": t.latest[0] if t.latest else None,
            "latest": t.latest[1] if t.latest else None,
            "target_year": t.target[0], "target": t.target[1], "progress": progress,
        })
    return rows

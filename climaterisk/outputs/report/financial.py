"""The report's "Financial effects on the statements" section (IFRS S2 15-21): the bridge of
:mod:`climaterisk.analysis.financial_effects` as tables, each figure with its provenance mark.
"""

from __future__ import annotations

from climaterisk.analysis.financial_effects import (
    ASSET_VALUE_BASIS,
    LABELS,
    Figure,
    FinancialEffects,
    budget_inputs,
)
from climaterisk.analysis.results import Assessment
from climaterisk.outputs.report import marks
from climaterisk.outputs.report.document import Block, Section, Table
from climaterisk.register import Register
from climaterisk.register.booking import DEFAULT_LINE_ITEM, DOWNTIME_LINE_ITEM, INSURANCE


def _model_kind(model: object) -> str:
    return {"SiteEvent": "site_event", "EntityEvent": "entity_event", "OutageEpisode": "outage_episode",
            "CoolingEnergy": "cooling_energy", "CoolingWater": "cooling_water", "CarbonCost": "carbon_cost",
            "AnnualCost": "annual_cost"}[type(model).__name__]


def _entries(reg: Register, line_item: str) -> list[str]:
    """The register entries a line item's amount rests on: the risks with a model booked to it
    (risk losses), their sites and controls; everything for the total."""
    risks = []
    for r in reg.risks:
        for m in r.models:
            if m.nature == "budgeted":
                continue
            kind = _model_kind(m)
            items = {m.line_item or DEFAULT_LINE_ITEM[kind]}
            if kind == "site_event":
                items.add(DOWNTIME_LINE_ITEM)
            if line_item in items or line_item in ("total", INSURANCE):
                risks.append(r)
                break
    return [e for r in risks for e in (r.id, *r.site_ids, *r.control_ids)]


def _budget_inputs(reg: Register) -> tuple[tuple[str, str], ...]:
    """The register inputs all budgeted amounts rest on (:func:`budget_inputs` of each risk)."""
    return tuple(i for r in reg.risks if any(m.nature == "budgeted" for m in r.models)
                 for i in budget_inputs(reg, r.id))


def _derived_from(reg: Register, inputs: tuple[tuple[str, str], ...]) -> str:
    """``derived``, with the number of assumed register inputs among ``inputs`` (entry, field prefix)."""
    found = {(p.entry, p.field) for p in reg.provenance if p.is_assumption
             and any(p.entry == e and p.field.startswith(field) for e, field in inputs)}
    n = len(found)
    return f"{marks.DERIVED}, from {n} assumed input{'s' if n != 1 else ''}" if n else marks.DERIVED


def _figure_mark(reg: Register, f: Figure) -> str:
    """``derived`` (with its assumed inputs) for a computed figure, else its input's own mark."""
    if not f.computed:
        return marks.combine(marks.marks_of(reg, e, field) for e, field in f.inputs)
    return _derived_from(reg, f.inputs)


def _label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def effects_table(fe: FinancialEffects, reg: Register) -> Table:
    """Per horizon, each line item's central value and range, and the total."""
    rows = []
    for h in fe.horizons:
        term = f"{h.year} ({h.label} term)" if h.label else str(h.year)
        for e in (*h.items, h.total):
            rows.append([term, "total risk loss" if e.line_item == "total" else _label(e.line_item),
                         e.central, e.low, e.high, e.var99, marks.derived(reg, _entries(reg, e.line_item))])
    return Table("financial_effects_by_line_item",
                 f"Effects on the statements by line item under {fe.scenario} ({fe.currency} per year, "
                 "after controls)",
                 ["year", "line item", "central (EAL)", "5th percentile", "95th percentile", "VaR 99%",
                  "mark"],
                 ["text", "text", "money", "money", "money", "money", "text"], rows,
                 note="Risk losses only: budgeted spending is in its own table. A site event's damage is "
                 "booked to capital expenditure (or the line its model names), its downtime to revenue; "
                 "insurance recoveries are negative. The line items add up to the total in every "
                 "simulated year, so their means add up to the total EAL; percentiles do not add up. "
                 + " ".join(fe.notes[:1]))


def budget_table(fe: FinancialEffects, reg: Register) -> Table:
    rows = [[h.year, b.risk_id, _label(b.line_item), b.before_controls, b.central, b.low, b.high,
             _derived_from(reg, budget_inputs(reg, b.risk_id))]
            for h in fe.horizons for b in h.budgeted]
    return Table("budgeted_spending", f"Budgeted spending beside the risk losses ({fe.currency} per year)",
                 ["year", "risk", "line item", "before controls", "central", "5th percentile",
                  "95th percentile", "mark"],
                 ["int", "text", "text", "money", "money", "money", "money", "text"], rows,
                 note="Planned spending the register declares budgeted (field nature: a compliance "
                 "programme, a retrofit plan), scaled by its scenario driver; central value and range after "
                 "the controls acting on it, whose effect is the difference from the amount before "
                 "controls (the control values above count avoided risk losses only). Not a risk loss: "
                 "never in the EAL, VaR or the totals above. A range equal to the central value: the "
                 "register declares the amount epistemic (one unknown level for every year), held here at "
                 "the mean of its range; how far it could move is in the uncertainty analysis "
                 "(assess --uncertainty). "
                 + ("No budgeted spending in the register." if not rows else ""))


def current_table(fe: FinancialEffects, reg: Register) -> Table:
    rows = [[f.what, _label(f.line_item), f.amount, _figure_mark(reg, f), f.note or "-"] for f in fe.current]
    return Table("current_period_effects",
                 f"Current-period figures, {fe.base_year} (IFRS S2 16(a); {fe.currency})",
                 ["figure", "line item", "amount", "mark", "note"], ["text", "text", "money", "text", "text"],
                 rows, note="What the register holds or implies for its base year in money: the running "
                 "costs that climate risks act on and the budgeted programmes. The register records no "
                 "climate-related loss booked in the period. " + ("" if rows else "None found."))


def assets_table(fe: FinancialEffects, reg: Register) -> Table:
    rows = [[a.site_id, a.name, a.value, a.expected_damage, a.damage_var99,
             a.damage_var99 / a.value if a.value else None,
             marks.derived(reg, [a.site_id, *(r.id for r in reg.risks if a.site_id in r.site_ids)])]
            for a in fe.assets]
    return Table("assets_at_risk",
                 f"Assets whose carrying amounts are at risk next year (IFRS S2 16(b); {fe.currency}, "
                 f"damage simulated for {fe.assets_year})",
                 ["site", "name", "value (replacement)", "expected damage", "1-in-100 damage",
                  "1-in-100 damage / value", "mark"],
                 ["text", "text", "money", "money", "money", "pct", "text"], rows,
                 note=ASSET_VALUE_BASIS + " Damage after controls, before insurance recoveries. "
                 + " ".join(n for n in fe.notes if n.startswith("Next year")))


def plan_table(fe: FinancialEffects, reg: Register) -> Table:
    names = {"total": "total risk loss", "budgeted": "budgeted spending"}
    rows = [[names.get(p.line_item, _label(p.line_item)), p.cumulative, p.present_value,
             _derived_from(reg, _budget_inputs(reg)) if p.line_item == "budgeted"
             else marks.derived(reg, _entries(reg, p.line_item))]
            for p in fe.plan]
    span = f"{fe.plan_years[0]}-{fe.plan_years[1]}" if fe.plan_years else "-"
    return Table("plan_period_effects",
                 f"Effects over the plan period {span} ({fe.currency}, central values)",
                 ["line item", "cumulative", "present value", "mark"], ["text", "money", "money", "text"],
                 rows, note=" ".join(fe.notes[:1] + [n for n in fe.notes if n.startswith("Plan period")]))


def investment_blocks(fe: FinancialEffects, reg: Register) -> list[Block]:
    """16(c): the transition plan's capital expenditure, and the budgeted capital expenditure."""
    plan = reg.plan
    capex = plan.capex if plan is not None else None
    if capex is None:
        said = "The register records no investment or disposal plan (plan.yaml capex)."
    elif capex.disclosed:
        years = f" over {capex.from_year}-{capex.to_year}" if capex.from_year else ""
        said = (f"Planned capital expenditure{years}: {capex.currency or reg.currency} {capex.amount:,.0f}"
                f"{' for ' + capex.what if capex.what else ''} (plan.yaml; {capex.source}).")
    else:
        said = f"The transition plan's capital expenditure is not disclosed ({capex.source})."
    budget = [(h.year, b) for h in fe.horizons for b in h.budgeted if b.line_item == "capital_expenditure"]
    if budget:
        said += (" Budgeted capital expenditure in the register: " + "; ".join(
            f"{b.risk_id} {fe.currency} {b.central:,.0f} in {y}" for y, b in budget) + ".")
    return [f"Investment and disposal plans (IFRS S2 16(c)): {said} The register records no disposal "
            "plan and no funding sources."]


def financial_section(main: Assessment, fe: FinancialEffects) -> Section:
    """The section: line items per horizon, budgeted spending, current period, assets at risk next
    year, investment plans, and the plan period."""
    reg = main.register
    blocks: list[Block] = [
        "How the simulated climate-related losses reach the financial statements: each model of the "
        "register is booked to a line item (operating costs, revenue, capital expenditure, asset "
        "impairment; insurance recoveries apart) and is either a risk loss or budgeted spending. "
        + " ".join(fe.notes[:1]),
    ]
    if fe.computed:
        blocks.append(effects_table(fe, reg))
    else:
        blocks.append("Effects by line item: " + " ".join(n for n in fe.notes if n.startswith("Line items")))
    blocks += [budget_table(fe, reg), current_table(fe, reg)]
    if fe.computed:
        blocks.append(assets_table(fe, reg))
    blocks += investment_blocks(fe, reg)
    if fe.plan:
        blocks.append(plan_table(fe, reg))
    return Section("Financial effects on the statements", "15-21", blocks)

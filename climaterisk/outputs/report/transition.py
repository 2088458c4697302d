"""The transition plan and target blocks of the report's Metrics and targets section (IFRS S2 14,
33-36): the plan (levers, milestones by year, capex, dependencies, items not disclosed), the targets'
details with the figure that tracks each, the no-GHG-target statement when it applies, and the
progress since the previous snapshot. Every figure is marked reported, derived or assumed.
"""

from __future__ import annotations

from collections.abc import Mapping

from climaterisk.analysis import transition_plan as tp
from climaterisk.outputs.report.document import Block, Cell, Table
from climaterisk.register import Register


def _num(value: float | None, mark: str | None) -> str:
    return "-" if value is None else f"{value:,.4g} ({mark})" if mark else f"{value:,.4g}"


def plan_blocks(register: Register) -> list[Block]:
    """The plan's paragraphs and tables; one sentence when the register has no plan."""
    plan = tp.plan_tables(register)
    if plan is None:
        return [f"Transition plan (IFRS S2 14): {tp.NO_PLAN}."]
    blocks: list[Block] = [f"Transition plan (IFRS S2 14), base year {plan['base_year']}: {plan['summary']}"]
    blocks.append(Table(
        "plan_levers", "Transition plan: levers",
        ["id", "what", "acts on", "scopes", "from", "pathway lever", "target", "mark", "source"],
        ["text"] * 9,
        [[lv["id"], lv["what"], lv["acts_on"], ", ".join(lv["scopes"]) or "-",
          str(lv["start"]) if lv["start"] is not None else "not stated", lv["pathway_lever"] or "-",
          lv["target"] or "-", lv["mark"], lv["source"]] for lv in plan["levers"]]))
    blocks.append(Table(
        "plan_milestones", "Transition plan: milestones by year",
        ["year", "milestone", "target", "mark", "source"], ["int", "text", "text", "text", "text"],
        [[m["year"], m["what"], m["target"] or "-", m["mark"], m["source"]] for m in plan["milestones"]]))
    c = plan["capex"]
    rows: list[list[Cell]] = [
        ["Capital expenditure", c["status"] if c["amount"] is None
         else f"{c['currency']} {c['amount']:,.0f} {c['years']}".strip(), c["mark"], c["source"]]]
    rows += [[f"Dependency: {d['id']}", d["what"], d["mark"], d["source"]] for d in plan["dependencies"]]
    rows += [["Not disclosed", n["item"], "not disclosed", n["source"]] for n in plan["not_disclosed"]]
    blocks.append(Table("plan_resources", "Transition plan: capex, dependencies and items not disclosed",
                        ["item", "detail", "mark", "source"], ["text"] * 4, rows))
    return blocks


def target_blocks(register: Register,
                  previous: tuple[str, Mapping[str, float | None]] | None = None) -> list[Block]:
    """The targets' details (IFRS S2 33-35), the IFRS S2 36 statement when no target is a GHG
    target, and the progress since the previous snapshot (or that there is none)."""
    details = tp.target_details(register)
    blocks: list[Block] = []
    if details:
        blocks.append(Table(
            "target_details",
            "Targets: objective, coverage, milestones, Paris link and tracking (IFRS S2 33-35)",
            ["id", "objective", "covers", "base year (value)", "milestones", "target", "GHG target",
             "Paris Agreement", "review", "latest metric", "computed from data"],
            ["text"] * 11,
            [[d["id"], d["objective"], d["covers"],
              f"{d['base_year']} ({_num(d['baseline'], d['baseline_mark'])})",
              "; ".join(f"{m['year']}: {m['value']:g}" for m in d["milestones"]) or "none stated",
              f"{_num(d['target'], d['target_mark'])} by {d['target_year']}",
              "yes" if d["ghg_target"] else "no",
              f"{d['paris']}: {d['paris_basis']}" if d["paris_basis"] else d["paris"], d["review"],
              "-" if d["metric"] is None else
              f"{d['metric']} {d['metric_year']}: {_num(d['metric_value'], d['metric_mark'])}",
              "-" if d["tracked"] is None else
              f"{_num(d['tracked'], d['tracked_mark'])} {d['tracked_unit']}: {d['tracked_basis']}"]
             for d in details]))
    statement = tp.no_ghg_target_statement(register)
    if statement:
        blocks.append(statement)
    progress = tp.progress_since(register, previous)
    if not progress["rows"]:
        blocks.append(f"Progress against the previous period's targets: {progress['against']} in the "
                      "history store, so no movement is shown.")
    else:
        blocks.append(Table(
            "target_progress", f"Targets since the previous snapshot ({progress['against']})",
            ["id", "unit", "previous", "current", "movement", "note"],
            ["text", "text", "num", "num", "num", "text"],
            [[r["id"], r["unit"], r["previous"], r["current"], r["movement"], r["note"]]
             for r in progress["rows"]]))
    return blocks


__all__ = ["plan_blocks", "target_blocks"]

"""The tables of the report's Metrics and targets section (IFRS S2 27-37): GHG emissions and energy,
their reconciliation with the reported figures, the GHG accounting from activity data
(:func:`ghg_blocks`), the cross-industry metrics and progress against targets.
"""

from __future__ import annotations

from climaterisk.analysis import disclosures, ghg
from climaterisk.analysis.pathways import Pathways
from climaterisk.analysis.results import Assessment
from climaterisk.outputs.report import marks
from climaterisk.outputs.report.document import Block, Cell, Table
from climaterisk.register import Register


def _figure_mark(register: Register, figure: disclosures.Figure) -> str:
    """A figure that is one metric has that metric's mark; any other computation is derived."""
    words = set(figure.basis.replace(",", " ").split())
    used = [m.id for m in register.metrics if m.id in words]
    if len(used) == 1 and figure.basis.startswith("sum of metrics"):
        return marks.input_mark(register, used[0], "value")
    return marks.derived(register, used) if used else marks.DERIVED


def ghg_table(result: Assessment) -> Table:
    reg = result.register
    figures = [*disclosures.ghg(reg).values(), *disclosures.energy(reg).values()]
    rows = [[f.label, f.value, f.unit, f.basis, _figure_mark(reg, f)] for f in figures]
    return Table("ghg_energy", f"Greenhouse gas emissions and energy ({_metric_year(result)})",
                 ["metric", "value", "unit", "how it is computed", "mark"],
                 ["text", "num", "text", "text", "text"], rows)


def _metric_year(result: Assessment) -> str:
    years = sorted({m.year for m in result.register.metrics})
    return ", ".join(map(str, years)) or "-"


def reconciliation_table(result: Assessment) -> Table:
    rows = [[r["figure"], r["computed"], r["reported"], r["metric"], "yes" if r["agrees"] else "NO"]
            for r in disclosures.reconciliation(result.register)]
    return Table("reconciliation", "Computed figures against the figures reported",
                 ["figure", "computed", "reported", "reported metric", "agrees (0.5%)"],
                 ["text", "num", "num", "text", "text"], rows)


def ghg_blocks(register: Register) -> list[Block]:
    """GHG accounting from activity data (IFRS S2 29(a)): basis, derived vs reported, scope 2 with
    the MEE grid factors, factors used, renewable share, intensities and the scope 3 screening."""
    acc = ghg.account(register)
    if acc is None:
        return ["GHG accounting from activity data: the register has no ghg.yaml, so scope 1 and 2 "
                "are the typed metrics above and scope 3 is neither measured nor explained."]
    basis = (f"GHG accounting from activity data ({acc.year}): {acc.standard}. Consolidation: "
             f"{acc.consolidation.replace('_', ' ')} ({acc.consolidation_basis}). Measurement: "
             f"{acc.measurement} " + " ".join(acc.statements))
    rows: list[list[Cell]] = [[c.label, c.derived, c.reported, c.difference, c.unit, c.explanation]
                              for c in acc.comparisons]
    rows.insert(2, ["Scope 2 (market-based)", acc.scope2_market, None, None, "t CO2e",
                    "location-based minus contractual instruments (see the instruments below); the source "
                    "reports no market-based figure"])
    if acc.scope2_market_if_cumulative is not None:
        rows.insert(3, ["Scope 2 (market-based, if every to-date instrument fell in the year)",
                        acc.scope2_market_if_cumulative, None, None, "t CO2e",
                        "bound: cumulative instruments deducted as if all in the year"])
    derived = Table("ghg_derived",
                    f"GHG emissions and energy derived from activity data vs reported ({acc.year})",
                    ["figure", "derived", "reported", "difference", "unit", "explanation"],
                    ["text", "num", "num", "num", "text", "text"], rows)
    by_site = Table("ghg_by_site", "Scope 1 and 2 by site [t CO2e]",
                    ["site", "scope 1", "scope 2 location-based", "scope 2 market-based"],
                    ["text", "num", "num", "num"],
                    [[r["site"], r["scope1"], r["scope2_location"], r["scope2_market"]] for r in acc.by_site])
    grid = Table("ghg_grid_factors", "Scope 2 location-based with the MEE/NBS grid factors",
                 ["basis", "scope 2 [t CO2e]", "change vs derived", "change", "factors"],
                 ["text", "num", "num", "pct", "text"],
                 [[g["basis"], g["scope2_location"], g["change"], g["relative"], ", ".join(g["factors"])]
                  for g in acc.grid_alternatives])
    factors = Table("ghg_factors", "Emission factors used",
                    ["id", "value", "unit", "year", "basis", "source"],
                    ["text", "num", "text", "int", "text", "text"],
                    [[f["id"], f["value"], f["unit"], f["year"],
                      f["basis"] + ("" if f["checked"] else ", not checked here"), f["source"]]
                     for f in acc.factors])
    ren = acc.renewable
    instruments = Table("ghg_instruments", "Contractual instruments and the renewable share of electricity",
                        ["instrument", "site", "MWh", "period", "t CO2e deducted", "note"],
                        ["text", "text", "num", "text", "num", "text"],
                        [[i["id"], i["site"], i["mwh"], i["period"], i["deducted_t"], i["description"]]
                         for i in acc.instruments],
                        note=(f"Renewable share of electricity: {ren['share_low']:.2%} (annual instruments) "
                              f"to {ren['share_high']:.2%} (if every to-date volume fell in the year). "
                              if ren["share_low"] is not None else ren["basis"] + ". ")
                        + " ".join(f"Circularity: {n}." for n in ren["circularity"]))
    intensity = Table("ghg_intensities", "Intensities per employee, derived vs reported",
                      ["figure", "derived", "reported", "unit", "explanation"],
                      ["text", "num", "num", "text", "text"],
                      [[i["numerator"], i["derived"], i["reported"], i["unit"], i["explanation"]]
                       for i in acc.intensities])
    scope3 = Table("ghg_scope3", "Scope 3 screening (GHG Protocol Scope 3 Standard categories)",
                   ["category", "name", "status", "t CO2e", "measured, or why not"],
                   ["int", "text", "text", "num", "text"],
                   [[s["category"], s["name"], s["status"], s["emissions"], s["explanation"]]
                    for s in acc.scope3])
    blocks: list[Block] = [basis, derived, by_site, grid, factors, instruments, intensity, scope3]
    if acc.not_measured:
        blocks.append("Scope 1 and 2 sources not measured: " + " ".join(
            f"{n['source']} (scope {n['scope']}): {n['reason']}" for n in acc.not_measured))
    return blocks


def pathway_blocks(p: Pathways | None, currency: str = "") -> list[Block]:
    """Scope 1 and 2 per scenario and year from the GHG pathway (table and basis), [t CO2e/yr]."""
    if p is None:
        return []
    rows: list[list[Cell]] = [
        [r.scenario, r.year, r.grid_factor, r.scope1, r.scope2_location, r.scope2_market, r.scope12_market,
         r.avoided]
        for r in p.rows]
    tonnes = "money"  # whole tonnes with thousands separators
    table = Table("ghg_pathways",
                  f"Scope 1 and 2 pathways by scenario and year [t CO2e/yr] (base {p.base_year})",
                  ["scenario", "year", "grid factor [t CO2/MWh]", "scope 1", "scope 2 location-based",
                   "scope 2 market-based", "scope 1+2 market-based", "avoided by zero-emission power"],
                  ["text", "int", "num", tonnes, tonnes, tonnes, tonnes, tonnes], rows,
                  note=" ".join(p.statements) + " Grid factor paths: " + " | ".join(
                      f"{sid}: {src}" for sid, src in p.grid_sources.items()))
    levers = Table("ghg_pathway_levers",
                   "Effect of each lever on scope 1+2 market-based emissions [t CO2e/yr]",
                   ["scenario", "year", "lever", "effect"], ["text", "int", "text", tonnes],
                   [[r.scenario, r.year, k, v] for r in p.rows for k, v in r.lever_effects.items()])
    return ["Emission pathways (IFRS S2 22, 29(a)): the GHG account carried to each horizon year under each "
            "scenario; the carbon-price risk R7 and opportunity O2 are priced on these projected emissions.",
            table, *([levers] if levers.rows else [])]


def cross_industry_table(result: Assessment) -> Table:
    f = disclosures.cross_industry(result.register, result)
    reg = result.register
    values = marks.derived(reg, [s.id for s in reg.sites])
    rows = []
    for key in ("transition", "physical", "opportunity"):
        if f"{key}_amount" in f:
            amount, share = f[f"{key}_amount"], f[f"{key}_share"]
            rows.append([amount.label, amount.value, share.value, amount.unit, amount.basis, values])
    for key in ("capex", "carbon_price", "remuneration"):
        mark = "-" if f[key].value is None else marks.REPORTED
        rows.append([f[key].label, f[key].value, None, f[key].unit, f[key].basis, mark])
    return Table("cross_industry", "Cross-industry metrics (IFRS S2 29(b)-(g))",
                 ["metric", "amount", "share of asset value", "unit", "basis and threshold", "mark"],
                 ["text", "money", "pct", "text", "text", "text"], rows,
                 note="Mark: the asset amounts are derived from the sites' replacement values; the count "
                 "is of the sites' inputs marked as assumptions.")


def targets_table(result: Assessment) -> Table:
    reg = result.register

    def mark(tid: str, field: str) -> str:
        return marks.input_mark(reg, tid, field)

    rows = [[t["id"], t["title"], t["unit"],
             f"{t['baseline']:g} ({t['baseline_year']}, {mark(t['id'], 'baseline.value')})",
             "-" if t["latest"] is None else f"{t['latest']:g} ({t['latest_year']})",
             f"{t['target']:g} ({t['target_year']}, {mark(t['id'], 'target.value')})", t["status"]]
            for t in disclosures.target_progress(reg)]
    return Table("targets", "Targets and progress", ["id", "target", "unit", "baseline", "latest",
                                                     "target value", "status"], ["text"] * 7, rows)

"""The tables of the report's Strategy section (IFRS S2 10-22): the risks and opportunities,
their anticipated financial effects, where the residual loss is concentrated, and the scenario
analysis of climate resilience with the scenarios' sources and limits.
"""

from __future__ import annotations

from climaterisk.analysis.decisions import residual_ranks
from climaterisk.analysis.results import Assessment
from climaterisk.outputs.report import marks
from climaterisk.outputs.report.document import Table


def _horizon_label(result: Assessment, year: int) -> str:
    names = {v: k for k, v in result.register.horizons.items()}
    return f"{year} ({names[year]} term)" if year in names else str(year)


def risks_table(result: Assessment) -> Table:
    """The risks and opportunities with the inherent and residual ratings (likelihood x impact)
    and the simulated rank of each risk by residual EAL in the last horizon (1: the largest)."""
    reg = result.register
    ranks = residual_ranks(result)
    rows = []
    for r in sorted((*reg.risks, *reg.opportunities), key=lambda r: (r.is_opportunity, r.id)):
        years = ", ".join(f"{h} ({reg.horizons[h]})" for h in r.time_horizons)
        rating = f"{r.likelihood} x {r.impact}" if r.likelihood else "-"
        residual = f"{r.residual_likelihood} x {r.residual_impact}" if r.residual_likelihood else "-"
        rank = f"{ranks[r.id]} of {len(ranks)}" if r.id in ranks else "-"
        rows.append([r.id, r.title, "opportunity" if r.is_opportunity else "risk",
                     r.category.replace("_", " "), r.ifrs_s2_type, years, rating, residual, rank,
                     r.owner or "-"])
    return Table("risks_and_opportunities", "Climate-related risks and opportunities",
                 ["id", "title", "kind", "category", "IFRS S2 type", "time horizons",
                  "rating (likelihood x impact)", "residual rating",
                  f"simulated rank (residual EAL {result.horizons[-1].year})", "owner"],
                 ["text"] * 10, rows)


def _risk_mark(result: Assessment, risk_id: str) -> str:
    """``derived``, with the assumed inputs of the risk, its sites and its controls."""
    reg = result.register
    risk = next((r for r in reg.risks if r.id == risk_id), None)
    if risk is None:
        return marks.derived(reg)
    return marks.derived(reg, [risk.id, *risk.site_ids, *risk.control_ids])


def financial_effects_table(result: Assessment) -> Table:
    rows = []
    for h in result.horizons:
        for line in (*h.by_risk, h.total):
            rows.append([h.year, line.id if line.id != "total" else "", line.title,
                         line.inherent.mean, line.residual.mean, line.inherent.var99,
                         line.residual.var99, _risk_mark(result, line.id)])
    cur = result.register.currency
    return Table("financial_effects", f"Anticipated financial effects under {result.scenario.id} "
                 f"({cur} per year)",
                 ["year", "risk", "title", "EAL inherent", "EAL residual", "VaR 99% inherent",
                  "VaR 99% residual", "mark"],
                 ["int", "text", "text", "money", "money", "money", "money", "text"], rows,
                 note=f"{result.trials:,} simulated years per horizon, seed {result.seed}. EAL: expected "
                 "annual loss; VaR 99%: annual loss exceeded once in 100 years. Mark: every amount is "
                 "derived (simulated from the register); the count is of the inputs of the risk, its sites "
                 "and its controls that the register marks as assumptions (listed under Traceability).")


def control_benefit_table(result: Assessment) -> Table:
    """What each control is worth in each horizon: the residual loss without it minus with all
    controls, on paired trials; the control's title beside its id."""
    reg = result.register
    rows = []
    for c in sorted(result.controls or [], key=lambda c: (len(c.id), c.id)):
        for b in c.benefits:
            rows.append([c.id, c.title, c.status, b.year, b.eal, 2 * b.eal_se, b.var99, c.annual_cost,
                         marks.derived(reg, [c.id])])
    return Table("control_benefit", f"What each control is worth under {result.scenario.id} "
                 f"({reg.currency} per year)",
                 ["id", "control", "status", "year", "EAL avoided", "2 standard errors", "VaR 99% avoided",
                  "annual cost", "mark"],
                 ["text", "text", "text", "int", "money", "money", "money", "money", "text"], rows,
                 note="Residual loss without the control minus with all controls in force, on the same "
                 "simulated years. Mark: the count is of the control's own inputs marked as assumptions "
                 "(effects, cost, test dates); the amounts also rest on the risks' inputs.")


def concentration_table(result: Assessment) -> Table:
    """Residual losses by site kind and region in the last horizon."""
    reg = result.register
    h = result.horizons[-1]
    by_site = {line.id: line for line in h.by_site}
    groups: dict[tuple[str, str], list] = {}
    for s in reg.sites:
        groups.setdefault((s.kind, s.region), []).append(s)
    total = h.total.residual.mean or 1.0
    rows = []
    for (kind, region), sites in sorted(groups.items()):
        eal = sum(by_site[s.id].residual.mean for s in sites)
        value_mark = marks.combine(marks.input_mark(reg, s.id, "replacement_value") for s in sites)
        rows.append([kind.replace("_", " "), region, len(sites),
                     sum(s.replacement_value for s in sites), value_mark, eal, eal / total])
    company = by_site.get("company")
    if company is not None:
        rows.append(["company level (no site)", "", 0, 0.0, "-", company.residual.mean,
                     company.residual.mean / total])
    return Table("concentration", f"Where the residual loss is concentrated ({h.year}, "
                 f"{result.scenario.id})", ["site kind", "region", "sites", "asset value",
                                            "asset value mark", "residual EAL", "share of total"],
                 ["text", "text", "int", "money", "text", "money", "pct"], rows,
                 note="Asset value mark: reported or assumed replacement values of the sites (see "
                 "Traceability); residual EAL and its share are derived (simulated).")


def scenario_table(results: list[Assessment]) -> Table:
    rows = []
    for r in results:
        for h in r.horizons:
            phys = sum(c.residual.mean for c in h.by_category if c.id.startswith("physical"))
            trans = h.total.residual.mean - phys
            rows.append([r.scenario.id, r.scenario.cmip6, h.year, h.total.inherent.mean,
                         h.total.residual.mean, phys, trans, h.total.residual.var99,
                         h.total.residual.tvar99])
    reg = results[0].register
    return Table("scenario_analysis", "Climate resilience: scenario analysis",
                 ["scenario", "CMIP6", "year", "EAL inherent", "EAL residual", "of which physical",
                  "of which transition", "VaR 99% residual", "TVaR 99% residual"],
                 ["text", "text", "int", *["money"] * 6], rows,
                 note=f"Mark: every amount is {marks.derived(reg)} (simulated from the register under "
                 "each scenario; the assumed inputs are listed under Traceability).")


def scenario_sources_table(results: list[Assessment]) -> Table:
    rows = []
    for r in results:
        sc = r.scenario
        sources = "; ".join(f"{name}: {s.source}" for name, s in sc.drivers.items())
        rows.append([sc.id, sc.name, ", ".join(sc.ngfs), " ".join(sc.narrative.split()), sources,
                     " ".join(sc.limits)])
    return Table("scenarios", "Scenarios, their sources and limits",
                 ["scenario", "name", "transition narrative (NGFS)", "narrative", "driver sources",
                  "limits"], ["text"] * 6, rows)

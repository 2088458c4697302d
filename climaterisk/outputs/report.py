"""The IFRS S2-structured climate report and the appendix tables, as a document model.

:func:`build_report` and :func:`appendix_tables` compute nothing new: they arrange figures from
the register, the assessments and :mod:`climaterisk.analysis.disclosures` into sections, paragraphs and
tables. :mod:`climaterisk.outputs.publish` turns the model into Markdown, HTML, LaTeX, CSV or Excel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from climaterisk.analysis import coverage, disclosures, ghg, graph
from climaterisk.analysis.results import Assessment
from climaterisk.register import Register

Cell = str | float | int | None


@dataclass
class Table:
    """A table: ``kinds`` says how to format each column (text, money, pct, num, int, date)."""

    name: str
    title: str
    columns: list[str]
    kinds: list[str]
    rows: list[list[Cell]]
    note: str = ""


@dataclass
class FigureRef:
    name: str
    caption: str


Block = str | Table | FigureRef


@dataclass
class Section:
    title: str
    paragraphs: str  # IFRS S2 paragraphs answered, e.g. "6-7"
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    title: str
    intro: list[str]
    sections: list[Section]


def _horizon_label(result: Assessment, year: int) -> str:
    names = {v: k for k, v in result.register.horizons.items()}
    return f"{year} ({names[year]} term)" if year in names else str(year)


def risk_register_table(result: Assessment) -> Table:
    reg = result.register
    rows = []
    for risk in sorted(reg.risks, key=lambda r: (r.category, r.id)):
        controls = "; ".join(f"{c} {reg.control(c).title}" for c in risk.control_ids)
        rows.append([risk.category.replace("_", " "), f"{risk.id} {risk.title}",
                     " ".join(risk.narrative.split()), controls or "none"])
    return Table("risk_register", "Climate risk register", ["category", "risk", "impact", "controls"],
                 ["text"] * 4, rows)


def risks_table(result: Assessment) -> Table:
    reg = result.register
    rows = []
    for r in sorted((*reg.risks, *reg.opportunities), key=lambda r: (r.is_opportunity, r.id)):
        years = ", ".join(f"{h} ({reg.horizons[h]})" for h in r.time_horizons)
        rating = f"{r.likelihood} x {r.impact}" if r.likelihood else "-"
        rows.append([r.id, r.title, "opportunity" if r.is_opportunity else "risk",
                     r.category.replace("_", " "), r.ifrs_s2_type, years, rating, r.owner or "-"])
    return Table("risks_and_opportunities", "Climate-related risks and opportunities",
                 ["id", "title", "kind", "category", "IFRS S2 type", "time horizons",
                  "rating (likelihood x impact)", "owner"], ["text"] * 8, rows)


def financial_effects_table(result: Assessment) -> Table:
    rows = []
    for h in result.horizons:
        for line in (*h.by_risk, h.total):
            rows.append([h.year, line.id if line.id != "total" else "", line.title,
                         line.inherent.mean, line.residual.mean, line.inherent.var99,
                         line.residual.var99])
    cur = result.register.currency
    return Table("financial_effects", f"Anticipated financial effects under {result.scenario.id} "
                 f"({cur} per year)",
                 ["year", "risk", "title", "EAL inherent", "EAL residual", "VaR 99% inherent",
                  "VaR 99% residual"], ["int", "text", "text", "money", "money", "money", "money"], rows,
                 note=f"{result.trials:,} simulated years per horizon, seed {result.seed}. EAL: expected "
                 "annual loss; VaR 99%: annual loss exceeded once in 100 years.")


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
        rows.append([kind.replace("_", " "), region, len(sites),
                     sum(s.replacement_value for s in sites), eal, eal / total])
    company = by_site.get("company")
    if company is not None:
        rows.append(["company level (no site)", "", 0, 0.0, company.residual.mean,
                     company.residual.mean / total])
    return Table("concentration", f"Where the residual loss is concentrated ({h.year}, "
                 f"{result.scenario.id})", ["site kind", "region", "sites", "asset value",
                                            "residual EAL", "share of total"],
                 ["text", "text", "int", "money", "money", "pct"], rows)


def scenario_table(results: list[Assessment]) -> Table:
    rows = []
    for r in results:
        for h in r.horizons:
            phys = sum(c.residual.mean for c in h.by_category if c.id.startswith("physical"))
            trans = h.total.residual.mean - phys
            rows.append([r.scenario.id, r.scenario.cmip6, h.year, h.total.inherent.mean,
                         h.total.residual.mean, phys, trans, h.total.residual.var99,
                         h.total.residual.tvar99])
    return Table("scenario_analysis", "Climate resilience: scenario analysis",
                 ["scenario", "CMIP6", "year", "EAL inherent", "EAL residual", "of which physical",
                  "of which transition", "VaR 99% residual", "TVaR 99% residual"],
                 ["text", "text", "int", *["money"] * 6], rows)


def scenario_category_table(results: list[Assessment]) -> Table:
    rows = []
    for r in results:
        for h in r.horizons:
            for c in h.by_category:
                rows.append([r.scenario.id, h.year, c.id.replace("_", " "), c.inherent.mean,
                             c.residual.mean, c.inherent.var99, c.residual.var99])
    return Table("scenario_by_category", "Scenario analysis by category",
                 ["scenario", "year", "category", "EAL inherent", "EAL residual",
                  "VaR 99% inherent", "VaR 99% residual"],
                 ["text", "int", "text", *["money"] * 4], rows)


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


def rating_table(result: Assessment) -> Table:
    counts: dict[tuple[int, int], list[str]] = {}
    for r in result.register.risks:
        if r.likelihood:
            counts.setdefault((r.likelihood, r.impact), []).append(r.id)
    rows = [[lik, imp, lik * imp, len(ids), ", ".join(ids)]
            for (lik, imp), ids in sorted(counts.items(), key=lambda x: -x[0][0] * x[0][1])]
    return Table("ratings", "Distribution of inherent ratings",
                 ["likelihood", "impact", "score", "risks", "ids"], ["int", "int", "int", "int", "text"],
                 rows)


def ghg_table(result: Assessment) -> Table:
    reg = result.register
    rows = [[f.label, f.value, f.unit, f.basis] for f in disclosures.ghg(reg).values()]
    rows += [[f.label, f.value, f.unit, f.basis] for f in disclosures.energy(reg).values()]
    return Table("ghg_energy", f"Greenhouse gas emissions and energy ({_metric_year(result)})",
                 ["metric", "value", "unit", "how it is computed"], ["text", "num", "text", "text"], rows)


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


def cross_industry_table(result: Assessment) -> Table:
    f = disclosures.cross_industry(result.register, result)
    rows = []
    for key in ("transition", "physical", "opportunity"):
        if f"{key}_amount" in f:
            amount, share = f[f"{key}_amount"], f[f"{key}_share"]
            rows.append([amount.label, amount.value, share.value, amount.unit, amount.basis])
    for key in ("capex", "carbon_price", "remuneration"):
        rows.append([f[key].label, f[key].value, None, f[key].unit, f[key].basis])
    return Table("cross_industry", "Cross-industry metrics (IFRS S2 29(b)-(g))",
                 ["metric", "amount", "share of asset value", "unit", "basis and threshold"],
                 ["text", "money", "pct", "text", "text"], rows)


def targets_table(result: Assessment) -> Table:
    rows = [[t["id"], t["title"], t["unit"], f"{t['baseline']:g} ({t['baseline_year']})",
             "-" if t["latest"] is None else f"{t['latest']:g} ({t['latest_year']})",
             f"{t['target']:g} ({t['target_year']})", t["status"]]
            for t in disclosures.target_progress(result.register)]
    return Table("targets", "Targets and progress", ["id", "target", "unit", "baseline", "latest",
                                                     "target value", "status"], ["text"] * 7, rows)


def certification_table(result: Assessment) -> Table:
    reg = result.register
    periods = [("as of " + reg.as_of.isoformat(), coverage.certification_coverage(reg))]
    periods += [(str(h.year), coverage.certification_coverage(reg, h.year)) for h in result.horizons]
    rows = [[label, r["site_kind"].replace("_", " "), r["company"], r["lessor"], r["not_certified"],
             r["unknown"], r["certified"], r["sites"], r["share_by_count"], r["share_by_value"]]
            for label, period in periods for r in period]
    return Table("iso22301_certification", "ISO 22301 certification by site kind",
                 ["when", "site kind", "company BCMS", "lessor", "not certified", "unknown", "certified",
                  "sites", "share by count", "share by value"],
                 ["text", "text", "int", "int", "int", "int", "int", "int", "pct", "pct"], rows,
                 note="company BCMS: certified under the company's own business continuity management "
                 "system; lessor: covered by the lessor's or operator's certificate (not the company's "
                 "BCMS); unknown: the register has no information (counted neither as certified nor as "
                 f"a gap). Renewal assumption: {reg.renewal_assumption or reg.renewal}")


def gaps_table(result: Assessment) -> Table:
    """The register's gaps as of its date; a finding resting on an assumed input says so."""
    reg = result.register
    found = graph.find_gaps(reg)
    rows = [[g.rule, g.entity, g.reason, "assumed input" if g.assumed else "-"] for g in found]
    assumed = sum(bool(g.assumed) for g in found)
    return Table("gaps", f"Gaps in the register as of {reg.as_of.isoformat()}",
                 ["rule", "where", "finding", "rests on"], ["text"] * 4, rows,
                 note=f"{assumed} of {len(found)} findings rest on inputs the register marks as "
                 "assumptions (the basis is given in the finding); they are not facts about the company.")


def controls_table(result: Assessment) -> Table:
    reg = result.register
    mitigates = {c.id: [r.id for r in reg.risks if c.id in r.control_ids] for c in reg.controls}
    rows = []
    for c in sorted(reg.controls, key=lambda c: (len(c.id), c.id)):
        status = f"{c.status} ({c.effective_year})" if c.effective_year else c.status
        rows.append([c.id, c.title, c.type, status, ", ".join(mitigates[c.id]) or "-",
                     ", ".join(c.clauses) or "-", c.owner or "-",
                     c.last_tested.isoformat() if c.last_tested else "never",
                     c.last_incident_review.isoformat() if c.last_incident_review else "-"])
    return Table("controls", "Controls", ["id", "control", "type", "status", "risks", "ISO 22301 clauses",
                                          "owner", "last tested / exercised", "last post-incident review"],
                 ["text"] * 9, rows)


def site_exposure_table(result: Assessment) -> Table:
    reg = result.register
    sites = {s.id: s for s in reg.sites}
    rows = []
    for h in result.horizons:
        for line in h.by_site:
            s = sites.get(line.id)
            rows.append([h.year, line.id, s.kind.replace("_", " ") if s else "company level",
                         s.region if s else "", s.replacement_value if s else None,
                         line.inherent.mean, line.residual.mean, line.residual.var99])
    return Table("site_exposure", f"Site exposure under {result.scenario.id}",
                 ["year", "site", "kind", "region", "asset value", "EAL inherent", "EAL residual",
                  "VaR 99% residual"], ["int", "text", "text", "text", *["money"] * 4], rows)


def metrics_table(result: Assessment) -> Table:
    rows = [[m.id, m.name, m.category, m.scope, m.year, m.value, m.unit]
            for m in result.register.metrics]
    return Table("metrics", "Metrics", ["id", "metric", "category", "scope", "year", "value", "unit"],
                 ["text", "text", "text", "int", "int", "num", "text"], rows)


def inputs_table(result: Assessment, assumptions_only: bool = False) -> Table:
    rows = []
    for p in result.register.provenance:
        if assumptions_only and not p.is_assumption:
            continue
        value = "-".join(f"{v:g}" for v in p.value) if isinstance(p.value, tuple) else p.value
        source = p.source.split(":", 1)[1].strip() if assumptions_only else p.source
        rows.append([Path(p.file).name, p.entry, p.field, value, p.unit, source or "(no source)"])
    title = "Inputs marked as assumptions, with their basis" if assumptions_only else "Inputs and sources"
    return Table("assumptions" if assumptions_only else "inputs", title,
                 ["file", "entry", "field", "value", "unit", "basis" if assumptions_only else "source"],
                 ["text", "text", "text", "auto", "text", "text"], rows)


def manifest_table(results: list[Assessment]) -> Table:
    rows = []
    for r in results:
        m = r.manifest
        rows.append(["scenario", r.scenario.id])
        for name, digest in m["inputs_sha256"].items():
            rows.append([f"sha256 {name}", digest])
    m = results[0].manifest
    head = [["tool", f"climaterisk {m['version']} (Python {m['python']}, numpy {m['numpy']})"],
            ["seed", m["seed"]], ["trials per horizon", m["trials"]],
            ["chunk / block trials", f"{m['chunk_trials']} / " + (
                ", ".join(f"{y}: {b}" for y, b in m["block_trials"].items())
                if isinstance(m["block_trials"], dict) else str(m["block_trials"]))],
            ["random numbers", m["rng"]], ["run at (UTC)", m["time_utc"]]]
    return Table("manifest", "Run manifest", ["item", "value"], ["text", "text"], head + rows)


def movement_table(moves: list[dict], label: str, currency: str) -> Table:
    rows = [[m["year"], m["id"], m["title"], m["eal_before"], m["eal_after"], m["eal_change"],
             "yes" if m["significant"] else "no"] for m in moves]
    return Table("movement", f"Movement of residual EAL since the previous review ({label}; {currency} "
                 "per year)", ["year", "id", "title", "before", "now", "change", "beyond sampling error"],
                 ["int", "text", "text", "money", "money", "money", "text"], rows)


def build_report(main: Assessment, compared: list[Assessment],
                 previous: tuple[str, list[dict]] | None = None) -> Report:
    """The IFRS S2 summary: governance, strategy, risk management, metrics and targets.

    ``previous`` is (label, movements) against the last recorded review, if a history exists.
    """
    reg = main.register
    everything = sorted([main, *compared], key=lambda r: r.scenario.id)
    cur = reg.currency
    first, last = main.horizons[0], main.horizons[-1]
    intro = [
        f"Climate-related disclosures of {reg.organisation} for the period "
        f"{reg.reporting_period[0].isoformat()} to {reg.reporting_period[1].isoformat()}, structured "
        "after IFRS S2 Climate-related Disclosures (and HKEX Appendix C2 Part D).",
        f"Every figure comes from one reproducible run of climaterisk over register {reg.id} and the "
        f"scenarios {', '.join(r.scenario.id for r in everything)}; the run manifest and the inputs "
        "marked as assumptions close the report.",
    ]
    strategy = Section("Strategy", "10-22", [
        f"The register holds {len(reg.risks)} climate-related risks "
        f"({sum(r.ifrs_s2_type == 'physical' for r in reg.risks)} physical, "
        f"{sum(r.ifrs_s2_type == 'transition' for r in reg.risks)} transition) and "
        f"{len(reg.opportunities)} opportunities. Short, medium and long term mean "
        f"{reg.horizons['short']}, {reg.horizons['medium']} and {reg.horizons['long']}.",
        risks_table(main),
        f"Under {main.scenario.id} ({main.scenario.name}), the expected annual loss of all risks "
        f"after controls is {cur} {first.total.residual.mean:,.0f} in {first.year} and "
        f"{cur} {last.total.residual.mean:,.0f} in {last.year} (before controls: "
        f"{cur} {first.total.inherent.mean:,.0f} and {cur} {last.total.inherent.mean:,.0f}). "
        f"The 1-in-100-year loss after controls is {cur} {last.total.residual.var99:,.0f} in {last.year}.",
        financial_effects_table(main),
        FigureRef("exceedance", "Loss exceedance curves, inherent and residual"),
        concentration_table(main),
        "Climate resilience (IFRS S2 22): the same register simulated under each scenario, at each "
        "horizon, side by side.",
        scenario_table(everything),
        FigureRef("scenarios", "Residual EAL and VaR 99% by category, scenario and horizon"),
        scenario_sources_table(everything),
    ])
    if main.controls:
        strategy.blocks.append(FigureRef("controls", "Controls ranked by the residual loss they avoid"))
    risk_mgmt = Section("Risk management", "24-26", [
        " ".join(reg.risk_management.split()),
        rating_table(main),
        FigureRef("heatmap", "Inherent ratings on the 5 x 5 likelihood x impact matrix"),
        movement_table(previous[1], previous[0], cur) if previous else
        "Movement since the previous review: no previous review is recorded for this register.",
        certification_table(main),
        gaps_table(main),
    ])
    metrics = Section("Metrics and targets", "27-37", [
        ghg_table(main), reconciliation_table(main), *ghg_blocks(reg), cross_industry_table(main),
        targets_table(main),
    ])
    trace = Section("Traceability", "", [manifest_table(everything), inputs_table(main, True)])
    return Report(
        title=f"Climate-related disclosures: {reg.organisation}",
        intro=intro,
        sections=[Section("Governance", "6-7", [" ".join(reg.governance.split())]), strategy,
                  risk_mgmt, metrics, trace],
    )


def appendix_tables(main: Assessment, compared: list[Assessment]) -> list[Table]:
    """The appendix: register, controls, site exposure, scenario analysis, ISO 22301 coverage,
    metrics and targets, inputs and sources."""
    everything = sorted([main, *compared], key=lambda r: r.scenario.id)
    return [risk_register_table(main), controls_table(main), site_exposure_table(main),
            scenario_category_table(everything), certification_table(main), metrics_table(main),
            targets_table(main), inputs_table(main)]

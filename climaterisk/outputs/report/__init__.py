"""The IFRS S2-structured climate report and the appendix tables, as a document model.

:func:`build_report` and :func:`appendix_tables` compute nothing new: they arrange figures from
the register, the assessments and :mod:`climaterisk.analysis.disclosures` into sections, paragraphs and
tables. :mod:`climaterisk.outputs.publish` turns the model into Markdown, HTML, LaTeX, CSV or Excel.

The document model is in :mod:`.document`; the tables of each section are in a module of their own:
:mod:`.strategy`, :mod:`.risk_management`, :mod:`.metrics` (metrics and targets) and
:mod:`.appendix` (the appendix and the traceability section). This module puts them together.
"""

from __future__ import annotations

from climaterisk.analysis import disclosure_index, statements
from climaterisk.analysis.financial_effects import Prices, financial_effects
from climaterisk.analysis.pathways import pathways
from climaterisk.analysis.results import Assessment, HorizonResult
from climaterisk.analysis.sensitivity import SensitivityResult
from climaterisk.analysis.uncertainty import UncertaintyResult
from climaterisk.outputs.report.appendix import (
    controls_table,
    inputs_table,
    manifest_table,
    metrics_table,
    risk_register_table,
    scenario_category_table,
    site_exposure_table,
)
from climaterisk.outputs.report.document import FigureRef, Report, Section, Table
from climaterisk.outputs.report.financial import financial_section
from climaterisk.outputs.report.index import (
    RISK_ITEMS,
    STRATEGY_ITEMS,
    TARGET_ITEMS,
    consistency_table,
    context_for,
    index_section,
    industry_table,
    statement_blocks,
)
from climaterisk.outputs.report.metrics import (
    cross_industry_table,
    ghg_blocks,
    ghg_table,
    pathway_blocks,
    reconciliation_table,
    targets_table,
)
from climaterisk.outputs.report.risk_management import (
    certification_table,
    gaps_table,
    movement_table,
    rating_table,
)
from climaterisk.outputs.report.strategy import (
    concentration_table,
    control_benefit_table,
    financial_effects_table,
    risks_table,
    scenario_sources_table,
    scenario_table,
)
from climaterisk.outputs.report.transition import plan_blocks, target_blocks
from climaterisk.outputs.report.uncertainty import uncertainty_blocks


def _pathway_years(main: Assessment) -> list[int]:
    """The GHG inventory's base year and the assessment's horizon years."""
    base = main.register.ghg.reporting_year if main.register.ghg is not None else main.register.baseline_year
    return sorted({base, *(h.year for h in main.horizons)})


def build_report(main: Assessment, compared: list[Assessment],
                 previous: tuple[str, list[dict]] | None = None,
                 previous_targets: tuple[str, dict[str, float | None]] | None = None,
                 uncertainty: tuple[SensitivityResult, UncertaintyResult | None] | None = None,
                 prices: Prices | None = None, next_year: HorizonResult | None = None) -> Report:
    """The IFRS S2 summary: governance, strategy, risk management, metrics and targets.

    ``previous`` is (label, movements) against the last recorded review, if a history exists;
    ``previous_targets`` is (label, {target id: value}) of that snapshot's targets;
    ``uncertainty`` a sensitivity sweep (and a two-level run) for the significant areas of
    uncertainty (22(a)(ii)); ``prices`` the growth, inflation and discount rate of the financial
    effects (default: constant prices of the base year, undiscounted); ``next_year`` the year
    after the base year simulated apart, for the assets at risk next year (IFRS S2 16(b)).
    """
    reg = main.register
    everything = sorted([main, *compared], key=lambda r: r.scenario.id)
    cur = reg.currency
    first, last = main.horizons[0], main.horizons[-1]
    said = statements.all_statements(main, compared)
    context = context_for(main, compared, previous is not None, next_year)
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
        FigureRef("exceedance", "Loss exceedance curves, inherent and residual (derived: simulated)"),
        concentration_table(main),
        "Climate resilience (IFRS S2 22): the same register simulated under each scenario, at each "
        "horizon, side by side.",
        scenario_table(everything),
        FigureRef("scenarios", "Residual EAL and VaR 99% by category, scenario and horizon "
                  "(derived: simulated)"),
        scenario_sources_table(everything),
    ])
    if uncertainty is not None:
        strategy.blocks += uncertainty_blocks(*uncertainty)
    if main.controls:
        strategy.blocks += [
            FigureRef("controls", "Controls ranked by the residual loss they avoid, by id and title "
                      "(derived: simulated)"),
            control_benefit_table(main)]
    strategy.blocks += statement_blocks(said, STRATEGY_ITEMS)
    risk_mgmt = Section("Risk management", "24-26", [
        " ".join(reg.risk_management.split()),
        rating_table(main),
        FigureRef("heatmap", "Inherent ratings on the 5 x 5 likelihood x impact matrix (reported: the "
                  "register's ratings)"),
        movement_table(previous[1], previous[0], cur) if previous else
        "Movement since the previous review: no previous review is recorded for this register.",
        certification_table(main),
        gaps_table(main),
        consistency_table(context.findings),
        *statement_blocks(said, RISK_ITEMS),
    ])
    metrics = Section("Metrics and targets", "27-37", [
        ghg_table(main), reconciliation_table(main), *ghg_blocks(reg),
        *pathway_blocks(pathways(reg, [r.scenario for r in everything], _pathway_years(main))),
        *([FigureRef("pathways", "Scope 1 + 2 (market-based) by scenario and year (derived: projected "
                     "from the GHG account)")] if reg.ghg else []),
        cross_industry_table(main), *plan_blocks(reg), targets_table(main),
        *target_blocks(reg, previous_targets),
        *statement_blocks(said, TARGET_ITEMS),
        industry_table(reg),
    ])
    trace = Section("Traceability", "", [manifest_table(everything), inputs_table(main, True)])
    return Report(
        title=f"Climate-related disclosures: {reg.organisation}",
        intro=intro,
        sections=[Section("Governance", "6-7", [" ".join(reg.governance.split())]), strategy,
                  financial_section(main, financial_effects(main, prices, next_year)),
                  risk_mgmt, metrics, trace,
                  index_section(disclosure_index.check_index(context), reg)],
    )


def appendix_tables(main: Assessment, compared: list[Assessment]) -> list[Table]:
    """The appendix: register, controls, site exposure, scenario analysis, ISO 22301 coverage,
    metrics and targets, inputs and sources."""
    everything = sorted([main, *compared], key=lambda r: r.scenario.id)
    return [risk_register_table(main), controls_table(main), site_exposure_table(main),
            scenario_category_table(everything), certification_table(main), metrics_table(main),
            targets_table(main), inputs_table(main)]

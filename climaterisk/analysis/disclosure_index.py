"""The disclosure index checked: each IFRS S2 paragraph and HKEX Part D item of
``data/disclosure_index.yaml`` gets a status from the register and the run:

- **met**: answered (computed from data, or the register holds the text);
- **partly met**: answered in part, the reason says what is missing;
- **gap**: not answered (an explanation recorded in ``disclosure.explanations`` is shown, and a
  relief in ``disclosure.reliefs`` makes the item met by the relief);
- **contradicted**: answered, but a consistency rule (:mod:`climaterisk.analysis.consistency`) finds
  the answer at odds with the register or the run.

An HKEX comply-or-explain item is met when the IFRS S2 paragraphs it mirrors are all met, or when
``disclosure.explanations`` explains it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from climaterisk.analysis import consistency, disclosures, financial_effects, industry, statements
from climaterisk.analysis.results import Assessment, HorizonResult
from climaterisk.refdata import disclosure_index
from climaterisk.register import Register

STATUSES = ("met", "partly met", "gap", "contradicted")

MET, PARTLY, GAP, CONTRADICTED = STATUSES


@dataclass(frozen=True)
class Context:
    """What the checks look at: the register, the main run and the compared ones (optional), the
    consistency findings, and whether an earlier snapshot exists for the movement (25(a)(vi))."""

    register: Register
    main: Assessment | None = None
    compared: list[Assessment] = field(default_factory=list)
    findings: list[consistency.Inconsistency] = field(default_factory=list)
    has_history: bool = False
    next_year: HorizonResult | None = None  # the year after the base year simulated apart (16(b))


@dataclass(frozen=True)
class ItemStatus:
    """One index item with its status and the reason for it."""

    id: str
    framework: str
    paragraph: str
    pillar: str
    element: str
    where: str
    how: str
    status: str
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


Check = Callable[[Context], tuple[str, str]]


def _text(ctx: Context, field_name: str, what: str) -> tuple[str, str]:
    if statements.text_field(ctx.register, field_name):
        return MET, f"register text disclosure.statements.{field_name}"
    return GAP, f"disclosure.statements.{field_name} is empty: the register states nothing on {what}"


def _needs_run(ctx: Context) -> tuple[str, str] | None:
    return None if ctx.main is not None else (GAP, "no run: check with a scenario to see this figure")


def _governance(ctx: Context) -> tuple[str, str]:
    return (MET, "register text governance") if ctx.register.governance.strip() else (
        GAP, "the register's governance text is empty")


def _risk_management(ctx: Context) -> tuple[str, str]:
    return (MET, "register text risk_management") if ctx.register.risk_management.strip() else (
        GAP, "the register's risk_management text is empty")


def _risks_listed(ctx: Context) -> tuple[str, str]:
    reg = ctx.register
    if not reg.risks:
        return GAP, "the register lists no risk"
    return MET, f"{len(reg.risks)} risks and {len(reg.opportunities)} opportunities with narratives"


def _risks_typed(ctx: Context) -> tuple[str, str]:
    return MET, "every risk has ifrs_s2_type (physical or transition), required by the register format"


def _risks_horizons(ctx: Context) -> tuple[str, str]:
    return MET, "every risk and opportunity declares its time horizons (required by the register format)"


def _horizons_basis(ctx: Context) -> tuple[str, str]:
    if statements.text_field(ctx.register, "horizons_basis"):
        return MET, "horizon years from the register; their link to planning from disclosure.statements"
    return PARTLY, ("the horizon years are defined, but disclosure.statements.horizons_basis is empty: how "
                    "they were chosen and how they tie to planning is not stated")


def _value_chain(ctx: Context) -> tuple[str, str]:
    if statements.text_field(ctx.register, "value_chain"):
        return MET, "concentration by site kind and region (computed); value chain from the register"
    return PARTLY, ("where the risks concentrate is computed (site kind, region), but "
                    "disclosure.statements.value_chain is empty: effects on the value chain are not stated")


def _transition_plan(ctx: Context) -> tuple[str, str]:
    if ctx.register.plan is None:
        return GAP, "the register has no plan.yaml (transition plan)"
    return MET, "plan.yaml: levers, milestones, dependencies; targets with progress"


def _fe_current(ctx: Context) -> tuple[str, str]:
    figures = financial_effects.current_figures(ctx.register)
    if not figures:
        return GAP, ("the register holds no base-year amount in money (site electricity and tariffs, "
                     "budgeted programmes, metrics in the currency)")
    return MET, ("base-year figures in the financial-effects bridge: "
                 + "; ".join(f.what for f in figures))


def _not_computed(ctx: Context) -> str:
    """Why the run holds no line items or damage by site."""
    if ctx.main is not None and ctx.main.manifest.get("method") == "fft":
        return "not computed by the exact method: run with --method mc"
    return "not computed in this run (line items off)"


def _fe_adjustment(ctx: Context) -> tuple[str, str]:
    if (missing := _needs_run(ctx)) is not None:
        return missing
    bridge = financial_effects.financial_effects(ctx.main, next_year=ctx.next_year)
    if not bridge.computed:
        return GAP, f"damage by site is {_not_computed(ctx)}"
    if not bridge.assets:
        return MET, f"no site carries simulated damage in {bridge.assets_year}: no carrying amount at risk"
    return MET, (f"{len(bridge.assets)} sites with their value and expected and 1-in-100 damage in "
                 f"{bridge.assets_year} (replacement value standing for the carrying amount)")


def _fe_investment(ctx: Context) -> tuple[str, str]:
    plan = ctx.register.plan
    capex = plan.capex if plan is not None else None
    budgeted = sorted({r.id for r in ctx.register.risks for m in r.models
                       if m.nature == "budgeted" and m.line_item == "capital_expenditure"})
    also = f"; budgeted capital expenditure of {', '.join(budgeted)} in the bridge" if budgeted else ""
    if capex is not None and capex.disclosed:
        return MET, f"planned capital expenditure from plan.yaml{also}; no disposal recorded"
    if budgeted:
        why = f" (plan.yaml: not disclosed, {capex.source})" if capex is not None else ""
        return PARTLY, f"the transition plan's capital expenditure is missing{why}{also}"
    if capex is not None:
        return GAP, f"plan.yaml capex: not disclosed ({capex.source})"
    return GAP, "no investment, disposal or funding plan in the register (plan.yaml capex)"


def _fe_anticipated(ctx: Context) -> tuple[str, str]:
    if (missing := _needs_run(ctx)) is not None:
        return missing
    reg = ctx.register
    years = {h.year for h in ctx.main.horizons}
    absent = [name for name, year in reg.horizons.items() if year not in years]
    if absent:
        return PARTLY, (f"effects for {', '.join(map(str, sorted(years)))}; the "
                        f"{' and '.join(absent)} term ({', '.join(str(reg.horizons[a]) for a in absent)}) "
                        "was not simulated in this run")
    if not financial_effects.financial_effects(ctx.main).computed:
        return PARTLY, f"EAL and VaR by risk for every term; line items {_not_computed(ctx)}"
    return MET, ("effects by line item for the short, medium and long term, cumulative and present "
                 "value over the plan period")


def _fe_quantified(ctx: Context) -> tuple[str, str]:
    if (missing := _needs_run(ctx)) is not None:
        return missing
    if not financial_effects.financial_effects(ctx.main).computed:
        return MET, "a central value (EAL) and a tail (VaR 99%) per risk and horizon"
    return MET, ("a central value and a range (5th-95th percentile, VaR 99%) per line item and horizon, "
                 "and EAL and VaR 99% per risk")


def _implications(ctx: Context) -> tuple[str, str]:
    if (missing := _needs_run(ctx)) is not None:
        return missing
    if not ctx.compared:
        return PARTLY, "largest drivers stated; only one scenario was run, so no spread across scenarios"
    return MET, "largest drivers and the spread across scenarios, derived from the runs"


def _uncertainties(ctx: Context) -> tuple[str, str]:
    n = len(ctx.register.assumptions)
    return MET, f"scenario limits and the {n} inputs marked as assumptions, with their basis"


def _capacity(ctx: Context) -> tuple[str, str]:
    return _text(ctx, "capacity_to_adjust", "its capacity to adjust")


def _scenarios_sourced(ctx: Context) -> tuple[str, str]:
    if (missing := _needs_run(ctx)) is not None:
        return missing
    return MET, "each scenario's narrative, driver sources and limits (scenario sources table)"


def _scenarios_diverse(ctx: Context) -> tuple[str, str]:
    if (missing := _needs_run(ctx)) is not None:
        return missing
    n = len({r.scenario.id for r in [ctx.main, *ctx.compared]})
    if n < 2:
        return PARTLY, "a single scenario was run: no range"
    return MET, f"{n} scenarios side by side"


def _scenarios_both(ctx: Context) -> tuple[str, str]:
    types = {r.ifrs_s2_type for r in ctx.register.risks}
    if types >= {"physical", "transition"}:
        return MET, "the scenarios drive both physical hazards and transition drivers of the register's risks"
    return PARTLY, f"the register's risks are {', '.join(sorted(types)) or 'none'} only"


def _paris(ctx: Context) -> tuple[str, str]:
    if (missing := _needs_run(ctx)) is not None:
        return missing
    runs = [ctx.main, *ctx.compared]
    verdicts = {r.scenario.id: statements.paris_alignment(r.scenario)[0] for r in runs}
    if any(v == "unknown" for v in verdicts.values()):
        return PARTLY, "some scenarios give no warming level: " + ", ".join(
            k for k, v in verdicts.items() if v == "unknown")
    return MET, "from each scenario's warming level: " + ", ".join(f"{k} {v}" for k, v in verdicts.items())


def _scenario_relevance(ctx: Context) -> tuple[str, str]:
    if statements.text_field(ctx.register, "scenario_relevance"):
        return MET, "register text disclosure.statements.scenario_relevance"
    return PARTLY, ("scenario narratives are given, but disclosure.statements.scenario_relevance is empty: "
                    "why they suit this company is not stated")


def _scenario_horizons(ctx: Context) -> tuple[str, str]:
    if (missing := _needs_run(ctx)) is not None:
        return missing
    return MET, "horizon years of the run: " + ", ".join(str(h.year) for h in ctx.main.horizons)


def _scope(ctx: Context) -> tuple[str, str]:
    if statements.text_field(ctx.register, "scope_exclusions"):
        return MET, "sites in and out computed from the register; exclusions from disclosure.statements"
    return PARTLY, ("sites in and out of the analysis computed from the register; operations outside the "
                    "register are not stated (disclosure.statements.scope_exclusions is empty)")


def _assumptions(ctx: Context) -> tuple[str, str]:
    return MET, "scenario drivers with sources, and every assumed input with its basis (traceability)"


def _period(ctx: Context) -> tuple[str, str]:
    if (missing := _needs_run(ctx)) is not None:
        return missing
    return MET, "the run manifest dates the analysis; the register gives its as-of date"


def _rm_inputs(ctx: Context) -> tuple[str, str]:
    return MET, "the register's inputs with their sources (inputs table) and the run manifest"


def _scenario_in_identification(ctx: Context) -> tuple[str, str]:
    return _text(ctx, "scenario_in_risk_identification",
                 "whether scenario analysis informs risk identification")


def _rating(ctx: Context) -> tuple[str, str]:
    return MET, "ratings (5 x 5) and simulated losses per risk"


def _rm_changes(ctx: Context) -> tuple[str, str]:
    if ctx.has_history:
        return MET, "movement since the previous snapshot"
    return GAP, "no earlier snapshot in the history store: no change since the previous period can be shown"


def _opportunities(ctx: Context) -> tuple[str, str]:
    if ctx.register.opportunities:
        return MET, f"{len(ctx.register.opportunities)} opportunities go through the same register process"
    return GAP, "the register lists no opportunity"


def _ghg_scopes(ctx: Context) -> tuple[str, str]:
    g = disclosures.ghg(ctx.register)
    if "scope1" not in g or "scope2" not in g:
        return GAP, "scope 1 or scope 2 is missing from the metrics"
    if "scope3" not in g:
        return PARTLY, "scope 1 and 2 given; no scope 3 total (see the scope 3 screening)"
    return MET, "scope 1, 2 and 3 from the metrics"


def _ghg_location(ctx: Context) -> tuple[str, str]:
    if ctx.register.ghg is None:
        return PARTLY, "scope 2 is a typed metric; no ghg.yaml to show location- and market-based figures"
    return MET, "scope 2 location- and market-based from activity data, with the contractual instruments"


def _ghg_scope3(ctx: Context) -> tuple[str, str]:
    inv = ctx.register.ghg
    if inv is None or not inv.scope3:
        return GAP, "no scope 3 screening in the register (ghg.yaml scope3)"
    measured = [s.category for s in inv.scope3 if s.status == "measured"]
    if not measured:
        return PARTLY, (f"{len(inv.scope3)} scope 3 categories screened, none measured: each is explained "
                        "in the screening table")
    return MET, f"scope 3 categories measured: {', '.join(map(str, measured))}; the others explained"


def _figure(ctx: Context, key: str, what: str) -> tuple[str, str]:
    if (missing := _needs_run(ctx)) is not None:
        return missing
    f = disclosures.cross_industry(ctx.register, ctx.main)
    if key not in f:
        return GAP, f"{what}: the register sets no threshold for it"
    if f[key].value is None:
        return GAP, f"{what}: {f[key].basis}"
    return MET, f"{what}: {f[key].basis}"


def _m29b(ctx: Context) -> tuple[str, str]:
    return _figure(ctx, "transition_amount", "29(b)")


def _m29c(ctx: Context) -> tuple[str, str]:
    return _figure(ctx, "physical_amount", "29(c)")


def _m29d(ctx: Context) -> tuple[str, str]:
    return _figure(ctx, "opportunity_amount", "29(d)")


def _m29e(ctx: Context) -> tuple[str, str]:
    return _figure(ctx, "capex", "29(e)")


def _m29f(ctx: Context) -> tuple[str, str]:
    return _figure(ctx, "carbon_price", "29(f)")


def _m29g(ctx: Context) -> tuple[str, str]:
    text = (ctx.register.disclosure.get("remuneration_link") or "").strip()
    if not text:
        return GAP, "disclosure.remuneration_link is empty"
    return PARTLY, "how climate enters pay from the register text; the share of executive pay is not computed"


def _industry(ctx: Context) -> tuple[str, str]:
    rows = industry.industry_metrics(ctx.register)
    sasb = [r for r in rows if r.code]
    missing = [r.label for r in sasb if r.mark == "not available"]
    if len(missing) == len(sasb):
        return GAP, "no SASB TC-IM-130a figure can be computed from the register"
    if missing:
        return PARTLY, "not available: " + "; ".join(missing)
    assumed = [r.label for r in rows if r.mark == "assumed"]
    return MET, ("SASB TC-IM-130a.1-3 and PUE/WUE per data centre"
                 + (f"; {len(assumed)} figures rest on assumed inputs" if assumed else ""))


def _targets(ctx: Context) -> tuple[str, str]:
    n = len(ctx.register.targets)
    return (MET, f"{n} targets with baseline, target year and value") if n else (
        GAP, "the register sets no target")


def _target_review(ctx: Context) -> tuple[str, str]:
    status, reason = _text(ctx, "target_review", "how targets are set and reviewed")
    reviewed = [t.id for t in ctx.register.targets if (getattr(t, "review", "") or "").strip()]
    if status == GAP and reviewed:
        return PARTLY, (f"each of {', '.join(reviewed)} states its own review (targets table), but "
                        "disclosure.statements.target_review is empty: how targets are set, validated "
                        "and revised is not stated")
    return status, reason


def _target_progress(ctx: Context) -> tuple[str, str]:
    rows = disclosures.target_progress(ctx.register)
    if not rows:
        return GAP, "the register sets no target"
    without = [r["id"] for r in rows if r["latest"] is None]
    if without:
        return PARTLY, f"no latest value for {', '.join(without)}"
    return MET, "latest value and progress for every target"


def _ghg_targets(ctx: Context) -> tuple[str, str]:
    return MET, ("GHG target details, or the statement that the company has set no GHG emissions target "
                 "(transition section)")


def _hkex_scope12(ctx: Context) -> tuple[str, str]:
    g = disclosures.ghg(ctx.register)
    if "scope1" in g and "scope2" in g:
        return MET, "scope 1 and 2 disclosed (mandatory item)"
    return GAP, "scope 1 or 2 missing: a mandatory item, no explanation can replace it"


CHECKS: dict[str, Check] = {
    "text_governance": _governance, "text_risk_management": _risk_management,
    "risks_listed": _risks_listed, "risks_typed": _risks_typed, "risks_horizons": _risks_horizons,
    "horizons_basis": _horizons_basis, "value_chain": _value_chain, "transition_plan": _transition_plan,
    "fe_current": _fe_current, "fe_adjustment": _fe_adjustment, "fe_investment": _fe_investment,
    "fe_anticipated": _fe_anticipated, "fe_quantified": _fe_quantified, "implications": _implications,
    "uncertainties": _uncertainties, "capacity_to_adjust": _capacity,
    "scenarios_sourced": _scenarios_sourced, "scenarios_diverse": _scenarios_diverse,
    "scenarios_both_kinds": _scenarios_both, "paris_alignment": _paris,
    "scenario_relevance": _scenario_relevance, "scenario_horizons": _scenario_horizons,
    "analysis_scope": _scope, "key_assumptions": _assumptions, "analysis_period": _period,
    "rm_inputs": _rm_inputs, "scenario_in_identification": _scenario_in_identification,
    "rating_consistent": _rating, "rm_changes": _rm_changes, "opportunities_process": _opportunities,
    "ghg_scopes": _ghg_scopes, "ghg_location": _ghg_location, "ghg_scope3": _ghg_scope3,
    "m29b": _m29b, "m29c": _m29c, "m29d": _m29d, "m29e": _m29e, "m29f": _m29f, "m29g": _m29g,
    "industry_metrics": _industry, "targets_set": _targets, "target_review": _target_review,
    "target_progress": _target_progress, "ghg_targets": _ghg_targets, "hkex_scope12": _hkex_scope12,
}
"""Rule name (the index's ``check``) -> the function giving (status, reason)."""


def _hkex_mirror(item: dict, done: dict[str, ItemStatus], ctx: Context) -> tuple[str, str, str]:
    """(status, reason, how) of a comply-or-explain item from the IFRS S2 items it mirrors."""
    mirrored = [done[i] for i in item.get("mirrors", [])]
    explanation = (ctx.register.disclosure.get("explanations") or {}).get(item["id"], "")
    short = [f"{m.paragraph} {m.status}" for m in mirrored if m.status != MET]
    if not short:
        return MET, "complied: every mirrored IFRS S2 paragraph is met", item["how"]
    if explanation.strip():
        return MET, "explained: " + " ".join(explanation.split()), "omitted with explanation"
    if all(m.status == GAP for m in mirrored):
        return (GAP, "neither disclosed nor explained (disclosure.explanations): " + ", ".join(short),
                item["how"])
    status = CONTRADICTED if any(m.status == CONTRADICTED for m in mirrored) else PARTLY
    return status, ("not complied in full and not explained (disclosure.explanations): "
                    + ", ".join(short)), item["how"]


def check_index(ctx: Context) -> list[ItemStatus]:
    """Every index item with its status and reason, in the index's order."""
    reliefs = {r["item"]: r for r in ctx.register.disclosure.get("reliefs") or []}
    explanations = ctx.register.disclosure.get("explanations") or {}
    contradicted: dict[str, list[str]] = {}
    for f in ctx.findings:
        for item_id in f.items:
            contradicted.setdefault(item_id, []).append(f"{f.rule} ({f.entity})")
    done: dict[str, ItemStatus] = {}
    for item in disclosure_index()["items"]:
        how = item["how"]
        if item["check"] == "hkex_mirror":
            status, reason, how = _hkex_mirror(item, done, ctx)
        else:
            status, reason = CHECKS[item["check"]](ctx)
        if item["id"] in contradicted and status in (MET, PARTLY):
            status = CONTRADICTED
            reason += "; contradicted by " + ", ".join(contradicted[item["id"]]) + " (see gaps)"
        if status in (GAP, PARTLY) and item["id"] in reliefs:
            r = reliefs[item["id"]]
            status, how = MET, "relief used"
            reason = f"relief: {' '.join(r['relief'].split())}: {' '.join(r['reason'].split())}"
        elif status == GAP and item["id"] in explanations and item["framework"] == "IFRS S2":
            how = "omitted with explanation"
            reason += "; explained: " + " ".join(explanations[item["id"]].split())
        done[item["id"]] = ItemStatus(item["id"], item["framework"], item["paragraph"], item["pillar"],
                                      " ".join(item["element"].split()), item["where"], how, status, reason)
    return list(done.values())


def index_rows() -> list[dict]:
    """The index as it stands, without statuses: id, framework, paragraph, pillar, element, where, how."""
    keys = ("id", "framework", "paragraph", "pillar", "element", "where", "how")
    return [{k: item.get(k, "") for k in keys} for item in disclosure_index()["items"]]


def summary(statuses: list[ItemStatus]) -> dict[str, int]:
    """Count of items per status."""
    return {s: sum(x.status == s for x in statuses) for s in STATUSES}


def failing(statuses: list[ItemStatus]) -> list[ItemStatus]:
    """The items ``--strict`` fails on: gaps and contradictions."""
    return [s for s in statuses if s.status in (GAP, CONTRADICTED)]

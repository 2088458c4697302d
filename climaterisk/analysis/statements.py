"""The IFRS S2 statements the report makes in words: derived from the register and the run where
the data allow (implications 22(a)(i), Paris alignment 22(b)(i)(4), scope of the analysis
22(b)(i)(7), the horizons 10(d)), and taken from the register's ``disclosure.statements`` where they
are the company's judgement (capacity to adjust, value chain, horizons' link to planning, scenario
relevance, scenario analysis in risk identification, target review). An empty judgement is shown
with :data:`NOT_STATED`, never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass

from climaterisk.analysis.results import Assessment
from climaterisk.register import Register
from climaterisk.scenarios import Scenario

NOT_STATED = "[NOT STATED: the register leaves disclosure.statements.{field} empty]"
"""The marker printed where a judgement field of the register is empty."""

PARIS_WELL_BELOW_C = 2.0
"""Warming [°C above 1850-1900] a scenario must stay below to be read as in line with the Paris
Agreement's goal of holding warming well below 2 °C."""

PARIS_PURSUE_C = 1.5
"""Warming [°C] of the Paris Agreement's further goal (pursue efforts to limit warming to 1.5 °C)."""


@dataclass(frozen=True)
class Statement:
    """One statement of the report: ``basis`` is "computed", "register text", "computed and
    register text" or "not stated" (a judgement field left empty)."""

    item: str  # disclosure-index item id
    paragraph: str
    title: str
    text: str
    basis: str
    field: str = ""  # the register field of a judgement, if any


def text_field(register: Register, field: str) -> str:
    """The judgement ``disclosure.statements.<field>`` with its whitespace folded ("" if empty)."""
    raw = (register.disclosure.get("statements") or {}).get(field) or ""
    return " ".join(str(raw).split())


def _judgement(register: Register, item: str, paragraph: str, title: str, field: str,
               computed: str = "") -> Statement:
    text = text_field(register, field)
    if text:
        basis = "computed and register text" if computed else "register text"
        return Statement(item, paragraph, title, " ".join(x for x in (computed, text) if x), basis, field)
    marker = NOT_STATED.format(field=field)
    return Statement(item, paragraph, title, " ".join(x for x in (computed, marker) if x),
                     "computed" if computed else "not stated", field)


def paris_alignment(scenario: Scenario) -> tuple[str, str]:
    """(verdict, sentence) for one scenario from its ``gwl_c`` driver [°C above 1850-1900]:
    "1.5 °C" (never above 1.5), "well below 2 °C" (below 2.0 over its years), "not aligned",
    or "unknown" (no warming level in the file)."""
    gwl = scenario.drivers.get("gwl_c")
    if gwl is None:
        return "unknown", (f"{scenario.id}: the scenario file gives no global warming level (gwl_c), so "
                           "its alignment with the Paris Agreement cannot be read from it.")
    peak = max(gwl.values)
    last_year, last = gwl.years[-1], gwl.values[-1]
    rising = len(gwl.values) > 1 and gwl.values[-1] > gwl.values[-2]
    end = (f"still rising at {last_year}, the last year it lists" if rising
           else f"flat or falling by {last_year}")
    if peak <= PARIS_PURSUE_C:
        verdict = "1.5 °C"
        text = "in line with limiting warming to 1.5 °C"
    elif peak < PARIS_WELL_BELOW_C:
        verdict = "well below 2 °C"
        text = (f"in line with holding warming well below {PARIS_WELL_BELOW_C:g} °C over the years it lists, "
                f"but not with {PARIS_PURSUE_C:g} °C")
    else:
        verdict = "not aligned"
        text = f"not aligned with the Paris temperature goal (it reaches {PARIS_WELL_BELOW_C:g} °C or more)"
    return verdict, (f"{scenario.id} ({scenario.name}): global warming of {last:g} °C above 1850-1900 in "
                     f"{last_year} (peak listed {peak:g} °C; {end}): {text}.")


def _split(result: Assessment, year_index: int = -1) -> tuple[float, float]:
    """(physical, transition) residual EAL [currency/yr] of the risks in one horizon."""
    types = {r.id: r.ifrs_s2_type for r in result.register.risks}
    h = result.horizons[year_index]
    phys = sum(line.residual.mean for line in h.by_risk if types.get(line.id) == "physical")
    trans = sum(line.residual.mean for line in h.by_risk if types.get(line.id) == "transition")
    return phys, trans


def implications(main: Assessment, compared: list[Assessment]) -> Statement:
    """IFRS S2 22(a)(i): what the results mean for strategy, from the largest drivers of residual
    EAL in the main scenario's last horizon and the spread of the total across scenarios."""
    reg, cur = main.register, main.register.currency
    last = main.horizons[-1]
    total = last.total.residual.mean or 1.0
    top = sorted(last.by_risk, key=lambda line: -line.residual.mean)[:2]
    drivers = " and ".join(f"{line.id} {line.title} ({line.residual.mean / total:.0%})" for line in top)
    phys, trans = _split(main)
    parts = [f"Under {main.scenario.id} in {last.year}, {drivers} carry most of the residual expected "
             f"annual loss of {cur} {last.total.residual.mean:,.0f}; "
             f"{trans / total:.0%} of it comes from transition risks and {phys / total:.0%} from "
             "physical risks, so the response that matters most is "
             + ("managing transition costs (energy, carbon and compliance)" if trans >= phys
                else "protecting and adapting sites against physical hazards") + "."]
    runs = [main, *compared]
    same_year = [(r, next((h for h in r.horizons if h.year == last.year), None)) for r in runs]
    same_year = [(r, h) for r, h in same_year if h is not None]
    if len(same_year) > 1:
        lo = min(same_year, key=lambda x: x[1].total.residual.mean)
        hi = max(same_year, key=lambda x: x[1].total.residual.mean)
        ratio = hi[1].total.residual.mean / (lo[1].total.residual.mean or 1.0)
        split = {r.scenario.id: _split(r, r.horizons.index(h)) for r, h in same_year}
        worst_phys = max(split, key=lambda s: split[s][0])
        worst_trans = max(split, key=lambda s: split[s][1])
        span = (f"Across the {len(same_year)} scenarios the total in {last.year} ranges from {cur} "
                f"{lo[1].total.residual.mean:,.0f} ({lo[0].scenario.id}) to {cur} "
                f"{hi[1].total.residual.mean:,.0f} ({hi[0].scenario.id}), a factor of {ratio:.2f}; ")
        parts.append(span + (
            f"physical losses are highest under {worst_phys} and transition losses under {worst_trans}, "
            "so no single scenario bounds both kinds of risk." if worst_phys != worst_trans else
            f"{worst_phys} is the most severe for both physical and transition losses."))
    else:
        parts.append("Only one scenario was run, so the spread across scenarios is not known.")
    return _judgement(reg, "s2-22ai", "22(a)(i)", "Implications for strategy", "strategy_implications",
                      " ".join(parts))


def paris_statement(runs: list[Assessment]) -> Statement:
    """IFRS S2 22(b)(i)(4): each scenario's alignment with the Paris temperature goal."""
    seen: dict[str, Scenario] = {}
    for r in runs:
        seen.setdefault(r.scenario.id, r.scenario)
    sentences = [paris_alignment(s)[1] for s in seen.values()]
    aligned = [sid for sid, s in seen.items() if paris_alignment(s)[0] in ("1.5 °C", "well below 2 °C")]
    head = ("At least one scenario is in line with the latest international agreement on climate change "
            f"(the Paris Agreement): {', '.join(aligned)}." if aligned else
            "No scenario used is in line with the Paris Agreement's temperature goal.")
    rule = (f" Read from each scenario's global warming level: below {PARIS_WELL_BELOW_C:g} °C over the "
            f"years listed is taken as 'well below 2 °C', at most {PARIS_PURSUE_C:g} °C as '1.5 °C'.")
    return Statement("s2-22bi4", "22(b)(i)(4)", "Alignment with the Paris Agreement",
                     head + " " + " ".join(sentences) + rule, "computed")


def scope_statement(main: Assessment) -> Statement:
    """IFRS S2 22(b)(i)(7): the sites in the analysis (named by a risk or an opportunity), the
    register's sites no risk names, and the operations outside the register (register text)."""
    reg = main.register
    named = {s for r in (*reg.risks, *reg.opportunities) for s in r.site_ids}
    company_level = [r.id for r in reg.risks if not r.site_ids]
    total = sum(s.replacement_value for s in reg.sites) or 1.0
    kinds: dict[str, list[str]] = {}
    for s in reg.sites:
        if s.id in named:
            kinds.setdefault(s.kind.replace("_", " "), []).append(s.id)
    value_in = sum(s.replacement_value for s in reg.sites if s.id in named)
    out = [s.id for s in reg.sites if s.id not in named]
    computed = (f"The analysis covers {len(named)} of the register's {len(reg.sites)} sites "
                f"({value_in / total:.1%} of their replacement value): "
                + "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(kinds.items())) + ". "
                + (f"Sites in the register that no risk names (outside the analysis): {', '.join(out)}. "
                   if out else "Every site in the register is named by at least one risk or opportunity. ")
                + (f"Company-level risks, not tied to a site: {', '.join(company_level)}." if company_level
                   else ""))
    return _judgement(reg, "s2-22bi7", "22(b)(i)(7)", "Scope of operations analysed", "scope_exclusions",
                      computed)


def horizons_statement(register: Register) -> Statement:
    """IFRS S2 10(d): the horizon years (computed) and how they were chosen (register text)."""
    h = register.horizons
    computed = (f"Short term means {h['short']}, medium term {h['medium']} and long term {h['long']} "
                f"(from the base year {register.baseline_year}).")
    return _judgement(register, "s2-10d", "10(d)", "Time horizons and planning", "horizons_basis", computed)


def all_statements(main: Assessment, compared: list[Assessment]) -> list[Statement]:
    """Every statement, in report order (strategy, then risk management, then targets)."""
    reg = main.register
    return [
        horizons_statement(reg),
        _judgement(reg, "s2-13", "13", "Business model and value chain", "value_chain"),
        implications(main, compared),
        _judgement(reg, "s2-22aiii", "22(a)(iii)", "Capacity to adjust", "capacity_to_adjust"),
        paris_statement([main, *compared]),
        _judgement(reg, "s2-22bi5", "22(b)(i)(5)", "Why these scenarios", "scenario_relevance"),
        scope_statement(main),
        _judgement(reg, "s2-25aii", "25(a)(ii)", "Scenario analysis in risk identification",
                   "scenario_in_risk_identification"),
        _judgement(reg, "s2-34", "34", "How targets are set and reviewed", "target_review"),
    ]

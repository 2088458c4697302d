"""The report's statements in words (IFRS S2 10(d), 13, 22, 25(a)(ii), 34), its consistency
findings, the industry-based metrics (IFRS S2 32, 37) and the closing disclosure index: where each
IFRS S2 paragraph and HKEX Part D item is answered, how, and its status.
"""

from __future__ import annotations

from climaterisk.analysis import consistency, disclosure_index, industry, statements
from climaterisk.analysis.results import Assessment, HorizonResult
from climaterisk.outputs.report.document import Block, Section, Table
from climaterisk.register import Register

STRATEGY_ITEMS = ("s2-10d", "s2-13", "s2-22ai", "s2-22aiii", "s2-22bi4", "s2-22bi5", "s2-22bi7")
RISK_ITEMS = ("s2-25aii",)
TARGET_ITEMS = ("s2-34",)


def statement_blocks(all_statements: list[statements.Statement], items: tuple[str, ...]) -> list[Block]:
    """The statements of ``items`` as paragraphs headed by their title and paragraph number."""
    return [f"{s.title} (IFRS S2 {s.paragraph}; {s.basis}): {s.text}"
            for s in all_statements if s.item in items]


def consistency_table(findings: list[consistency.Inconsistency]) -> Table:
    """The consistency findings (also in ``climaterisk gaps --scenario``), with the index items they
    contradict."""
    rows = [[f.rule, f.entity, f.reason, ", ".join(f.items) or "-"] for f in findings]
    return Table("consistency", "Consistency checks: where the register and the run disagree",
                 ["rule", "where", "finding", "index items"], ["text"] * 4, rows,
                 note=f"Thresholds: ranks more than {consistency.RANK_GAP:g} places apart; a metric "
                 f"selecting whole site kinds with {consistency.NEAR_ALL:.0%} or more of asset value. "
                 + ("No finding." if not rows else ""))


def industry_table(register: Register) -> Table:
    """SASB Internet Media & Services TC-IM-130a and PUE/WUE per data centre (IFRS S2 32, 37)."""
    rows = [[m.code or "-", m.label, m.value, m.unit, m.mark, m.definition]
            for m in industry.industry_metrics(register)]
    stress = register.disclosure.get("water_stress_by_region") or {}
    note = ("Water stress by region: " + "; ".join(
        f"{rid}: {v['category'].replace('_', ' ')} ({v['source']})" for rid, v in sorted(stress.items()))
        if stress else "The register classes no region by baseline water stress "
        "(disclosure.water_stress_by_region).")
    return Table("industry_metrics", "Industry-based metrics (IFRS S2 32, 37; SASB Internet Media & "
                 "Services, hardware infrastructure)",
                 ["code", "metric", "value", "unit", "mark", "definition and basis"],
                 ["text", "text", "num", "text", "text", "text"], rows, note=note)


def index_section(statuses: list[disclosure_index.ItemStatus], register: Register) -> Section:
    """The closing section: every index item with where and how it is answered and its status."""
    counts = disclosure_index.summary(statuses)
    rows = [[s.framework, s.paragraph, s.element, s.where, s.how, s.status, s.reason] for s in statuses]
    table = Table("disclosure_index", "Disclosure index: IFRS S2 and HKEX Appendix C2 Part D",
                  ["framework", "paragraph", "what it asks (summary)", "where", "how", "status", "reason"],
                  ["text"] * 7, rows,
                  note="The summaries are the tool's own words, not the standards' text. HKEX Part D "
                  "items are named by topic (their paragraph numbers are not in the index); a "
                  "comply-or-explain item is met when the IFRS S2 paragraphs it mirrors are met or the "
                  "register explains it.")
    reliefs = register.disclosure.get("reliefs") or []
    blocks: list[Block] = [
        "Status of each paragraph in this report: " + ", ".join(f"{n} {k}" for k, n in counts.items())
        + ". Gaps and contradictions are listed with their reason; `climaterisk disclosures --check` "
        "gives the same list.", table,
        ("Reliefs used: " + "; ".join(f"{r['item']}: {' '.join(r['relief'].split())} "
                                      f"({' '.join(r['reason'].split())})" for r in reliefs))
        if reliefs else "Reliefs used: none recorded in the register (disclosure.reliefs).",
    ]
    return Section("Disclosure index", "", blocks)


def context_for(main: Assessment, compared: list[Assessment], has_history: bool,
                next_year: HorizonResult | None = None) -> disclosure_index.Context:
    """The index's context for a report: the runs, their consistency findings, the history flag and
    the year after the base year simulated apart (the assets at risk next year, 16(b))."""
    findings = consistency.find_inconsistencies(main.register, main)
    return disclosure_index.Context(main.register, main, list(compared), findings, has_history, next_year)

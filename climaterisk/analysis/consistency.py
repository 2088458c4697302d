"""Consistency checks: places where the register, or the register and a run, say two things that
cannot both be right. Each finding is a gap (``climaterisk gaps``, the report's risk-management
section) and marks the disclosure-index items it touches as contradicted.

Rules, with their thresholds stated in every finding:

- **rating vs simulation**: a risk whose qualitative rank (likelihood x impact) and simulated rank
  (inherent expected annual loss in the last horizon of the run) are more than
  :data:`RANK_GAP` places apart (ties share the mean rank);
- **loss past declared horizons**: a risk declared for some horizons only (e.g. short and medium)
  that the run reports a loss, or budgeted spending, for in a year after the last of them;
- **metric by construction**: a cross-industry metric (IFRS S2 29(b), 29(d)) whose definition
  takes every site of the kinds a risk or opportunity names, so that it comes out at
  :data:`NEAR_ALL` or more of asset value whatever the exposure;
- **none where the source is silent**: a zero ("none") recorded for a disclosure input on an
  assumption, or register text saying "none" without citing a document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from scipy.stats import rankdata

from climaterisk.analysis.graph import Gap
from climaterisk.analysis.results import Assessment
from climaterisk.register import Register

RANK_GAP = 2.0
"""Largest tolerated distance [places] between a risk's qualitative and simulated ranks."""

NEAR_ALL = 0.9
"""Share of asset value [fraction] from which a metric selecting whole site kinds says nothing."""

_ZERO_FIELDS = ("renewable_share", "wue", "internal_carbon_price", "climate_capex", "baseline.value",
                "latest.value", "value")
"""Provenance fields where a recorded 0 means "none" (not model parameters such as hazard rates)."""

_NONE_TEXT = re.compile(r"\b(none|not used|no such)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Inconsistency:
    """One consistency finding; ``items`` are the disclosure-index item ids it contradicts."""

    rule: str
    entity: str
    reason: str
    items: tuple[str, ...]
    assumed: str = ""

    def as_gap(self) -> Gap:
        return Gap(self.rule, self.entity, self.reason, self.assumed)


def _cites_document(text: str, register: Register) -> bool:
    """Whether ``text`` cites one of the register's documents (``<document id>:``)."""
    return any(f"{d['id']}:" in text for d in register.documents)


def rating_vs_simulation(result: Assessment, rank_gap: float = RANK_GAP) -> list[Inconsistency]:
    """Risks whose rating rank and simulated rank (inherent EAL [currency/yr], last horizon) are
    more than ``rank_gap`` places apart."""
    reg = result.register
    rated = [r for r in reg.risks if r.likelihood and r.impact]
    last = result.horizons[-1]
    lines = {line.id: line for line in last.by_risk}
    rated = [r for r in rated if r.id in lines]
    if len(rated) < 2:
        return []
    score_rank = rankdata([-(r.likelihood * r.impact) for r in rated])
    sim_rank = rankdata([-lines[r.id].inherent.mean for r in rated])
    total = sum(lines[r.id].residual.mean for r in rated) or 1.0
    out = []
    for risk, qual, sim in zip(rated, score_rank, sim_rank, strict=True):
        if abs(qual - sim) > rank_gap:
            line = lines[risk.id]
            out.append(Inconsistency(
                "rating vs simulation", risk.id,
                f"{risk.title}: rated likelihood {risk.likelihood} x impact {risk.impact} = "
                f"{risk.likelihood * risk.impact} (rank {qual:g} of {len(rated)}), but its simulated "
                f"inherent EAL in {last.year} under {result.scenario.id} is {reg.currency} "
                f"{line.inherent.mean:,.0f} (rank {sim:g}; residual {reg.currency} "
                f"{line.residual.mean:,.0f}, {line.residual.mean / total:.0%} of all risks): more than "
                f"{rank_gap:g} places apart. Revisit the rating or the loss model.",
                ("s2-25aiii", "s2-25aiv")))
    return out


def losses_past_horizons(result: Assessment) -> list[Inconsistency]:
    """Risks with a positive simulated EAL [currency/yr], or budgeted spending [currency/yr], in
    a run year after their last declared horizon year."""
    reg = result.register
    out = []
    for risk in reg.risks:
        years = [reg.horizons[h] for h in risk.time_horizons if h in reg.horizons]
        if not years:
            continue
        end = max(years)
        past = [(h.year, line.residual.mean) for h in result.horizons for line in h.by_risk
                if line.id == risk.id and h.year > end and max(line.residual.mean, line.inherent.mean) > 0]
        if past:
            shown = ", ".join(f"{reg.currency} {eal:,.0f} in {year}" for year, eal in past)
            out.append(Inconsistency(
                "loss past declared horizons", risk.id,
                f"{risk.title} is declared for the {', '.join(risk.time_horizons)} term (to {end}) but the "
                f"run reports a residual EAL of {shown}. Either extend its horizons or stop reporting it "
                "past them.", ("s2-10c",)))
        budgets: dict[int, float] = {}
        for h in result.horizons:
            for b in h.budgeted:
                if b.risk_id == risk.id and h.year > end and b.residual > 0:
                    budgets[h.year] = budgets.get(h.year, 0.0) + b.residual
        if budgets:
            shown = ", ".join(f"{reg.currency} {v:,.0f} in {year}" for year, v in sorted(budgets.items()))
            out.append(Inconsistency(
                "loss past declared horizons", risk.id,
                f"{risk.title} is declared for the {', '.join(risk.time_horizons)} term (to {end}) but the "
                f"run reports budgeted spending of {shown}. Either extend its horizons or end the "
                "programme's spending at its last horizon.", ("s2-10c",)))
    return out


def _whole_kinds(register: Register, site_ids: set[str]) -> list[str]:
    """The site kinds all of whose sites are in ``site_ids`` (selected as a kind, not one by one)."""
    kinds = sorted({register.site(s).kind for s in site_ids})
    return [k for k in kinds if all(s.id in site_ids for s in register.sites if s.kind == k)]


def metrics_by_construction(register: Register, near_all: float = NEAR_ALL) -> list[Inconsistency]:
    """IFRS S2 29(b) and 29(d) whose definitions select whole site kinds that hold at least
    ``near_all`` of asset value [fraction]."""
    total = sum(s.replacement_value for s in register.sites)
    if total <= 0:
        return []
    out = []
    rating = register.disclosure.get("transition_vulnerability_rating")
    cases = []
    if rating is not None:
        named = [r for r in register.risks if r.ifrs_s2_type == "transition"
                 and (r.likelihood or 0) * (r.impact or 0) >= rating]
        cases.append(("29(b)", "s2-29b", f"transition risks rated likelihood x impact >= {rating:g}", named))
    cases.append(("29(d)", "s2-29d", "opportunities", list(register.opportunities)))
    for para, item, what, entries in cases:
        sites = {s for e in entries for s in e.site_ids}
        if not sites:
            continue
        share = sum(register.site(s).replacement_value for s in sites) / total
        kinds = _whole_kinds(register, sites)
        if share >= near_all and kinds:
            out.append(Inconsistency(
                "metric by construction", f"IFRS S2 {para}",
                f"{para} counts the sites named by {what} ({', '.join(e.id for e in entries)}); they name "
                f"every {', every '.join(k.replace('_', ' ') for k in kinds)} site, so the metric is "
                f"{share:.1%} of asset value by construction (threshold {near_all:.0%}), whatever each "
                "site's exposure. Define it from site-level exposure instead.", (item,)))
    return out


def none_where_silent(register: Register) -> list[Inconsistency]:
    """Zeros ("none") recorded for disclosure inputs on an assumption, and register text saying
    "none" without citing a document."""
    out = []
    for p in register.provenance:
        name = Path(p.file).name
        if name not in ("sites.yaml", "register.yaml", "metrics.yaml") or p.value != 0:
            continue
        if not any(p.field == f or p.field.endswith("." + f) for f in _ZERO_FIELDS):
            continue
        if p.is_assumption or not _cites_document(p.source, register):
            basis = p.source.split(":", 1)[1].strip() if p.is_assumption else p.source
            where = f"{p.entry} {p.field}".strip()
            out.append(Inconsistency(
                "none where the source is silent", where,
                f"{name}: {where} is recorded as 0 (none) on \"{basis}\": a source that says nothing is "
                "not a source that says none. Leave the field out (not disclosed) unless a document "
                "states zero.", _items_of_field(p.field), basis if p.is_assumption else ""))
    texts = {"disclosure.remuneration_link": register.disclosure.get("remuneration_link") or ""}
    for key, text in (register.disclosure.get("statements") or {}).items():
        texts[f"disclosure.statements.{key}"] = text or ""
    for field, text in texts.items():
        if _NONE_TEXT.search(text) and not _cites_document(text, register):
            out.append(Inconsistency(
                "none where the source is silent", field,
                f"register.yaml: {field} says \"{_NONE_TEXT.search(text).group(0)}\" but cites no "
                "document: state the source, or say the source is silent.", _items_of_field(field)))
    return out


def _items_of_field(field: str) -> tuple[str, ...]:
    """The disclosure-index items a register field feeds (empty when none in particular)."""
    table = {"internal_carbon_price": ("s2-29f",), "climate_capex": ("s2-29e",),
             "renewable_share": ("s2-32-37",), "wue": ("s2-32-37",), "remuneration_link": ("s2-29g",),
             "target_review": ("s2-34",), "capacity_to_adjust": ("s2-22aiii",),
             "baseline.value": ("s2-33",), "latest.value": ("s2-35",)}
    return next((v for k, v in table.items() if field.endswith(k)), ())


def find_inconsistencies(register: Register, result: Assessment | None = None) -> list[Inconsistency]:
    """Every consistency finding: the register-only rules, and with a run the simulated ones."""
    found = metrics_by_construction(register) + none_where_silent(register)
    if result is not None:
        found = rating_vs_simulation(result) + losses_past_horizons(result) + found
    return found


SIMULATED_RULES = ("rating vs simulation", "loss past declared horizons")
"""The rules that need a run (``climaterisk gaps --scenario ...``)."""

"""The optional transition plan of a register (``plan.yaml``) and the target details of
``metrics.yaml`` that IFRS S2 14 and 33-36 ask for: their format, checks and entities.

A register without ``plan.yaml`` loads as before (``Register.plan`` is None) and the report says
that the register holds no transition plan. With it, the register states the company's levers
(what, on which emissions or activity, from which year, and the ``ghg.yaml`` pathway lever that
models it where there is one), its milestones by year, its capital expenditure (with "not
disclosed" kept apart from an amount of 0), its dependencies and assumptions, and the items the
source leaves out. Every item carries a ``source`` ("<document-id>: <locator>" or
"assumption: <basis>").

:data:`PLAN_FILE` is the field spec (``schema.REGISTER_FILES["plan.yaml"]``); :data:`TARGET_FIELDS`
are the optional target fields spliced into ``schema.TARGET``; :func:`check_plan` holds the rules
that span files (milestones not before the base year, lever, target and site references);
:func:`build_plan` builds the frozen :class:`TransitionPlan`. The tables are computed in
:mod:`climaterisk.analysis.transition_plan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from climaterisk.errors import Problem
from climaterisk.register.fields import SOURCE_PATTERN, Bool, Enum, F, Id, ListOf, Num, Obj, Quantity, Str

SCOPES = ("scope1", "scope2", "scope3")
"""The GHG scopes a lever or target covers."""

OBJECTIVES = ("mitigation", "adaptation", "resource_efficiency", "other")
"""What a target is for: cutting emissions, coping with physical change, using less water,
energy or materials, or another aim."""

TRACKED_BY = ("scope1", "scope2_location", "scope2_market", "scope12_location", "scope12_market",
              "renewable_share")
"""Figures of the GHG account (``ghg.yaml``) a target can be tracked by: scope totals [t CO2e] or
the renewable share of an electricity activity [fraction]."""

_SOURCE_TEXT = 'a source "<document-id>: <locator>" or "assumption: <basis>"'
_YEAR = Num(lo=1900, hi=2200, integer=True)


def _source(doc: str = "where it comes from") -> F:
    return F("source", Str(pattern=SOURCE_PATTERN, pattern_text=_SOURCE_TEXT), doc=doc)


LEVER = Obj([
    F("id", Id()),
    F("what", Str(), doc="what the company does, in a sentence"),
    F("acts_on", Str(), doc="the emissions or activity it acts on, e.g. scope 2 of the Ulanqab park"),
    F("scopes", ListOf(Enum(SCOPES)), False, "GHG scopes it reduces (none: not an emissions lever)"),
    F("start", _YEAR, False, "first year it acts (absent: not stated)"),
    F("pathway_lever", Id(), False, "id of the ghg.yaml pathway lever that models it"),
    F("target", Id(), False, "id of the metrics.yaml target it serves"),
    _source(),
], doc="A lever of the transition plan.")

MILESTONE = Obj([
    F("year", _YEAR, doc="year the milestone is due; not before the plan's base year"),
    F("what", Str()),
    F("target", Id(), False, "id of the metrics.yaml target it belongs to"),
    _source(),
], doc="A dated milestone of the plan.")

CAPEX = Obj([
    F("disclosed", Bool(), doc="false: the source gives no amount (not the same as an amount of 0)"),
    F("amount", Quantity(lo=0.0), False, "capital expenditure [currency] when disclosed; 0 is a "
      "disclosed nil"),
    F("currency", Str(), False, "currency of the amount (default: the register's)"),
    F("from_year", _YEAR, False), F("to_year", _YEAR, False),
    F("what", Str(), False, "what the expenditure is for"),
    _source(),
], doc="Capital expenditure of the plan.")

DEPENDENCY = Obj([
    F("id", Id()),
    F("what", Str(), doc="what the plan relies on (grid, market, technology, policy)"),
    _source(),
], doc="A dependency or assumption the plan relies on.")

NOT_DISCLOSED = Obj([
    F("item", Str(), doc="the plan item the source does not give"),
    _source("where the absence was checked, e.g. the section read"),
])

PLAN_FILE = Obj([
    F("base_year", _YEAR, doc="base year of the plan; milestones fall in or after it"),
    F("summary", Str(), False, "the plan in a few sentences, in the register's own words"),
    F("levers", ListOf(LEVER, entities=True), False),
    F("milestones", ListOf(MILESTONE), False),
    F("capex", CAPEX, False, "absent: shown as not disclosed"),
    F("dependencies", ListOf(DEPENDENCY, entities=True), False, "dependencies and assumptions"),
    F("not_disclosed", ListOf(NOT_DISCLOSED), False, "plan items the source does not give"),
], doc="The transition plan (IFRS S2 14): levers, milestones, capex, dependencies.")

TARGET_FIELDS = [
    F("objective", Enum(OBJECTIVES), False, "mitigation, adaptation, resource_efficiency or other"),
    F("applies_to", Obj([
        F("scopes", ListOf(Enum(SCOPES)), False, "GHG scopes covered: scope1, scope2, scope3"),
        F("sites", ListOf(Id()), False, "site ids covered (absent: as the description says)"),
        F("description", Str(), doc="what the target covers, in words"),
    ]), False, "scope of the target: emissions scopes, sites, activities"),
    F("milestones", ListOf(Obj([
        F("year", _YEAR), F("value", Quantity(), doc="interim value in the target's unit"),
    ])), False, "interim targets, each not before the baseline year"),
    F("international_agreement", Obj([
        F("linked", Bool(), doc="whether the target is tied to the latest international agreement "
          "on climate change (the Paris Agreement)"),
        F("basis", Str(), doc="why: the source's words or the register's reading of them"),
    ]), False),
    F("review", Str(), False, "how and how often the target and progress are reviewed"),
    F("tracked_by", Enum(TRACKED_BY), False, "figure of the GHG account (ghg.yaml) that tracks it"),
    F("tracked_activity", Id(), False, "renewable_share: id of the ghg.yaml electricity activity"),
]


@dataclass(frozen=True)
class PlanLever:
    """A lever: what, on which emissions, from ``start`` [year] (None: not stated)."""

    id: str
    what: str
    acts_on: str
    source: str
    scopes: tuple[str, ...] = ()  # scope1, scope2, scope3
    start: int | None = None
    pathway_lever: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class Milestone:
    """A milestone due in ``year``."""

    year: int
    what: str
    source: str
    target: str | None = None


@dataclass(frozen=True)
class Capex:
    """Capital expenditure [``currency``] over ``from_year``-``to_year``; ``disclosed`` False when the
    source gives none (``amount`` None), distinct from a disclosed 0."""

    disclosed: bool
    source: str
    amount: float | None = None
    currency: str | None = None
    from_year: int | None = None
    to_year: int | None = None
    what: str = ""


@dataclass(frozen=True)
class TransitionPlan:
    """The checked ``plan.yaml``; milestones sorted by year."""

    base_year: int
    summary: str
    levers: tuple[PlanLever, ...]
    milestones: tuple[Milestone, ...]
    capex: Capex | None
    dependencies: tuple[tuple[str, str, str], ...]  # (id, what, source)
    not_disclosed: tuple[tuple[str, str], ...]  # (item, source)


def check_plan(folder: Path, data: Mapping[str, dict], problems: list[Problem]) -> None:
    """Rules across files: plan milestones and target milestones not before their base year, lever
    references (ghg.yaml pathway levers, targets), target sites and tracked activities resolve."""
    metrics = data.get("metrics.yaml", {})
    targets = {t["id"]: t for t in metrics.get("targets", [])}
    sites = {s["id"] for s in data.get("sites.yaml", {}).get("sites", [])}
    ghg = data.get("ghg.yaml")
    activities = {a["id"]: a["kind"] for a in ghg["activities"]} if ghg else {}
    mfile = str(folder / "metrics.yaml")
    for tid, t in targets.items():
        base = t["baseline"]["year"]
        for m in t.get("milestones", []):
            if m["year"] < base:
                problems.append(Problem(mfile, tid, "milestones.year", m["year"],
                                        f"a year not before the target's baseline year {base}"))
        for site in t.get("applies_to", {}).get("sites", []):
            if site not in sites:
                problems.append(Problem(mfile, tid, "applies_to.sites", site, "a site id of sites.yaml"))
        if t.get("tracked_by") == "renewable_share":
            act = t.get("tracked_activity")
            if not ghg:
                problems.append(Problem(mfile, tid, "tracked_by", "renewable_share",
                                        "a register with ghg.yaml (the figure comes from its account)"))
            elif activities.get(act) != "electricity":
                problems.append(Problem(mfile, tid, "tracked_activity", act,
                                        "the id of an electricity activity of ghg.yaml"))
        elif t.get("tracked_by") and not ghg:
            problems.append(Problem(mfile, tid, "tracked_by", t["tracked_by"],
                                    "a register with ghg.yaml (the figure comes from its account)"))
    plan = data.get("plan.yaml")
    if plan is None:
        return
    file = str(folder / "plan.yaml")
    base = plan["base_year"]
    pathway_levers = {lv["id"] for lv in (ghg or {}).get("pathway", {}).get("levers", [])}
    for m in plan.get("milestones", []):
        if m["year"] < base:
            problems.append(Problem(file, f"milestone {m['year']}", "year", m["year"],
                                    f"a year not before the plan's base year {base}"))
        if m.get("target") and m["target"] not in targets:
            problems.append(Problem(file, f"milestone {m['year']}", "target", m["target"],
                                    "a target id of metrics.yaml"))
    for lv in plan.get("levers", []):
        if lv.get("pathway_lever") and lv["pathway_lever"] not in pathway_levers:
            problems.append(Problem(file, lv["id"], "pathway_lever", lv["pathway_lever"],
                                    "a pathway lever id of ghg.yaml"))
        if lv.get("target") and lv["target"] not in targets:
            problems.append(Problem(file, lv["id"], "target", lv["target"], "a target id of metrics.yaml"))
    capex = plan.get("capex")
    if capex is not None and capex["disclosed"] != ("amount" in capex):
        problems.append(Problem(file, "capex", "amount", capex.get("amount"),
                                "an amount when disclosed is true and none when it is false"))


def build_plan(spec: Mapping[str, Any] | None) -> TransitionPlan | None:
    """The plan of a checked ``plan.yaml`` (None without one); milestones sorted by year."""
    if spec is None:
        return None
    c = spec.get("capex")
    capex = None if c is None else Capex(c["disclosed"], c["source"], c.get("amount"), c.get("currency"),
                                         c.get("from_year"), c.get("to_year"), c.get("what", ""))
    return TransitionPlan(
        base_year=spec["base_year"], summary=" ".join(spec.get("summary", "").split()),
        levers=tuple(PlanLever(lv["id"], lv["what"], lv["acts_on"], lv["source"],
                               tuple(lv.get("scopes", ())), lv.get("start"), lv.get("pathway_lever"),
                               lv.get("target")) for lv in spec.get("levers", [])),
        milestones=tuple(sorted((Milestone(m["year"], m["what"], m["source"], m.get("target"))
                                 for m in spec.get("milestones", [])), key=lambda m: m.year)),
        capex=capex,
        dependencies=tuple((d["id"], d["what"], d["source"]) for d in spec.get("dependencies", [])),
        not_disclosed=tuple((n["item"], n["source"]) for n in spec.get("not_disclosed", [])),
    )


__all__ = ["OBJECTIVES", "PLAN_FILE", "SCOPES", "TARGET_FIELDS", "TRACKED_BY", "Capex", "Milestone",
           "PlanLever", "TransitionPlan", "build_plan", "check_plan"]

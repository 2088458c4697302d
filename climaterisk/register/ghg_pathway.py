"""The emission pathway of a GHG inventory (``ghg.yaml`` ``pathway``): activity growth and the
company's levers (renewable share targets, green-power purchases, efficiency programmes such as
PUE), each switched on from its start year.

:data:`PATHWAY` is the field spec (nested in :data:`climaterisk.register.ghg.GHG_FILE`);
:func:`check_pathway` holds the rules that span the file (a lever names an activity of the
inventory of the right kind and starts after the base year); :func:`build_pathway` builds the
frozen :class:`Pathway`. The projection is :mod:`climaterisk.model.emissions`; the pathway per
scenario and year is :mod:`climaterisk.analysis.pathways`.
"""

from __future__ import annotations

from dataclasses import dataclass

from climaterisk.errors import Problem
from climaterisk.register.fields import SOURCE_PATTERN, Enum, F, Id, ListOf, Num, Obj, Str

LEVER_KINDS = ("renewable_share", "green_power", "efficiency")
"""renewable_share: share of the activity's electricity bought as zero-emission power [fraction];
green_power: zero-emission electricity bought a year [MWh/yr] (PPA, green-power trade);
efficiency: multiplier on the activity's quantity [-] (e.g. PUE target / PUE before)."""

GRID_DRIVER = "grid_factor_cn_t_per_mwh"
"""The default scenario driver of the grid emission factor path [t CO2/MWh]."""

_SOURCE_TEXT = 'a source "<document-id>: <locator>" or "assumption: <basis>"'


def _source(doc: str = "") -> Str:
    return Str(doc=doc, pattern=SOURCE_PATTERN, pattern_text=_SOURCE_TEXT)

LEVER = Obj([
    F("id", Id()),
    F("kind", Enum(LEVER_KINDS), doc="renewable_share [fraction], green_power [MWh/yr], efficiency [-]"),
    F("activity", Id(), doc="id of the activity of `activities` the lever acts on"),
    F("start", Num(lo=1900, hi=2200, integer=True),
      doc="first year the lever acts (after the inventory's reporting year); it acts on every later year"),
    F("value", Num(lo=0.0), doc="renewable_share: fraction 0-1 of the activity's electricity; "
      "green_power: MWh/yr; efficiency: multiplier on the activity's quantity"),
    F("source", _source(), doc="where the lever and its value come from"),
    F("target", Id(), False, "id of the metrics.yaml target the lever stands for"),
    F("description", Str(), False),
], doc="A company lever of the emission pathway, switched on from its start year.")

PATHWAY = Obj([
    F("growth", Num(lo=-0.5, hi=0.5),
      doc="growth of every activity a year [fraction/yr], compounded from the reporting year"),
    F("growth_source", _source(), doc="its basis: an assumption unless the source projects it"),
    F("grid_driver", Id(), False,
      f"scenario driver of the grid emission factor [t CO2/MWh] (default {GRID_DRIVER}); electricity "
      "factors follow its ratio to the reporting year"),
    F("levers", ListOf(LEVER, entities=True), False),
], doc="Emission pathway: activity growth and the company's levers (see methodology, pathways).")


@dataclass(frozen=True)
class Lever:
    """A lever: ``value`` (fraction, MWh/yr or multiplier by ``kind``) on ``activity`` from ``start``."""

    id: str
    kind: str
    activity: str
    start: int
    value: float
    source: str
    target: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Pathway:
    """Growth [fraction/yr] with its source, the grid-factor driver and the levers."""

    growth: float
    growth_source: str
    grid_driver: str
    levers: tuple[Lever, ...] = ()


def check_pathway(file: str, ghg: dict, targets: set[str], problems: list[Problem]) -> None:
    """A lever acts on an activity of the file (renewable_share and green_power on electricity),
    starts after the reporting year, a share is at most 1, and a target id resolves."""
    spec = ghg.get("pathway")
    if spec is None:
        return
    base = ghg["reporting_year"]
    kinds = {a["id"]: a["kind"] for a in ghg["activities"]}
    for lev in spec.get("levers", []):
        entry = f"pathway lever {lev['id']}"
        if lev["activity"] not in kinds:
            problems.append(Problem(file, entry, "activity", lev["activity"], "an activity id of this file"))
        elif lev["kind"] != "efficiency" and kinds[lev["activity"]] != "electricity":
            problems.append(Problem(file, entry, "activity", lev["activity"],
                                    f"an electricity activity for a {lev['kind']} lever"))
        if lev["start"] <= base:
            problems.append(Problem(file, entry, "start", lev["start"], (
                f"a year after the base (reporting) year {base}: what acted by then is already in "
                "its activity data")))
        if lev["kind"] == "renewable_share" and lev["value"] > 1:
            problems.append(Problem(file, entry, "value", lev["value"], "a share of at most 1"))
        if "target" in lev and lev["target"] not in targets:
            problems.append(Problem(file, entry, "target", lev["target"], "a target id of metrics.yaml"))


def build_pathway(spec: dict | None) -> Pathway | None:
    """The pathway of a checked ``ghg.yaml`` (None without one)."""
    if spec is None:
        return None
    return Pathway(
        growth=spec["growth"], growth_source=spec["growth_source"],
        grid_driver=spec.get("grid_driver", GRID_DRIVER),
        levers=tuple(Lever(lv["id"], lv["kind"], lv["activity"], lv["start"], lv["value"], lv["source"],
                           lv.get("target"), lv.get("description", "")) for lv in spec.get("levers", [])),
    )


__all__ = ["GRID_DRIVER", "LEVER_KINDS", "PATHWAY", "Lever", "Pathway", "build_pathway",
           "check_pathway"]

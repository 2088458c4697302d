"""The results of an assessment: lines of risk measures per horizon, and the run around them.

:class:`Assessment` is what :func:`climaterisk.assess` returns; ``to_dict()`` is the JSON
output of ``climaterisk assess --format json`` (its fields are listed in ``docs/methodology.md``).
All amounts are in the register's currency per year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from climaterisk.analysis import control_value, coverage, ghg
from climaterisk.model.line_items import ITEMS, BudgetLine
from climaterisk.model.metrics import Stats
from climaterisk.model.simulate import Samples
from climaterisk.register import Register
from climaterisk.register.certification import STATUS_LABELS
from climaterisk.scenarios import Scenario


@dataclass(frozen=True)
class Line:
    """One row of results: a risk, an opportunity, a category, a site or the total.

    ``inherent`` and ``residual`` summarise annual loss [currency/yr]; for an opportunity they
    summarise annual benefit (controls do not act on opportunities, so both are equal).
    """

    id: str
    title: str
    category: str
    inherent: Stats
    residual: Stats

    def to_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "category": self.category,
            "inherent": self.inherent.to_dict(), "residual": self.residual.to_dict(),
        }


@dataclass(frozen=True)
class ItemLine:
    """One statement line item in one year (:mod:`climaterisk.register.booking`): ``inherent``
    and ``residual`` summarise its annual amount over all risks [currency/yr] (insurance
    recoveries negative); ``p5`` is the 5th percentile of each (``{"inherent": .., "residual":
    ..}``), the amount reached or exceeded in 95% of years."""

    id: str
    inherent: Stats
    residual: Stats
    p5: dict[str, float]

    def to_dict(self) -> dict:
        return {"id": self.id, "inherent": {**self.inherent.to_dict(), "p5": self.p5["inherent"]},
                "residual": {**self.residual.to_dict(), "p5": self.p5["residual"]}}


def item_lines(inherent: list[Stats], residual: list[Stats], first: int) -> list[ItemLine]:
    """The line items from the summary rows of both bases, from row ``first`` on: the items, then
    the same negated (:func:`~climaterisk.model.line_items.line_item_rows`)."""
    n = len(ITEMS)
    return [ItemLine(name, inherent[first + i], residual[first + i],
                     {"inherent": -inherent[first + n + i].var95, "residual": -residual[first + n + i].var95})
            for i, name in enumerate(ITEMS)]


@dataclass
class HorizonResult:
    """Results for one year: totals and breakdowns by risk, category and site."""

    year: int
    label: str  # short / medium / long, or "" for a year the register does not name
    total: Line
    by_risk: list[Line]
    by_category: list[Line]
    by_site: list[Line]
    opportunities: list[Line]
    exceedance: dict[str, list[dict]]
    exposure_coverage: dict | None = None
    samples: dict[str, Samples] | None = field(default=None, repr=False)
    by_line_item: list[ItemLine] = field(default_factory=list)  # empty: not computed (exact method)
    site_damage: list[Line] = field(default_factory=list)  # damage at each site, before insurance
    total_p5: dict[str, float] = field(default_factory=dict)  # 5th percentile of the total, by basis
    budgeted: list[BudgetLine] = field(default_factory=list)  # planned spending, not in the total

    def to_dict(self) -> dict:
        return {
            "year": self.year, "label": self.label,
            "total": {"inherent": self.total.inherent.to_dict(),
                      "residual": self.total.residual.to_dict()},
            "by_risk": [x.to_dict() for x in self.by_risk],
            "by_category": [x.to_dict() for x in self.by_category],
            "by_site": [x.to_dict() for x in self.by_site],
            "opportunities": [x.to_dict() for x in self.opportunities],
            "exceedance": self.exceedance,
            "by_line_item": [x.to_dict() for x in self.by_line_item],
            "site_damage": [x.to_dict() for x in self.site_damage],
            "budgeted": [vars(b) for b in self.budgeted],
        }


@dataclass
class Assessment:
    """An assessment run and its results; ``to_dict()`` is the JSON output."""

    register: Register
    scenario: Scenario
    trials: int
    seed: int
    chunk_trials: int
    horizons: list[HorizonResult]
    manifest: dict
    controls: list[control_value.ControlValue] | None = None

    def iso22301(self) -> dict:
        """Certification (company BCMS, lessor, not certified, unknown) and clause coverage per
        horizon, the business impact analysis, and simulated exposure coverage."""
        reg = self.register
        return {
            "renewal": reg.renewal,
            "renewal_assumption": reg.renewal_assumption,
            "certification_cycle_years": reg.certification_cycle_years,
            "certification": {
                "as_of": {"date": reg.as_of.isoformat(),
                          "by_site_kind": coverage.certification_coverage(reg)},
                "by_year": [{"year": h.year, "by_site_kind": coverage.certification_coverage(reg, h.year)}
                            for h in self.horizons],
            },
            "statuses": dict(STATUS_LABELS),
            "clauses": [coverage.clause_coverage(reg, h.year) for h in self.horizons],
            "bia": coverage.bia_summary(reg),
            "exposure": [{"year": h.year, **h.exposure_coverage}
                         for h in self.horizons if h.exposure_coverage is not None],
        }

    def controls_dict(self) -> dict | None:
        if self.controls is None:
            return None
        return {
            "method": "residual loss without the control minus residual loss with all controls, "
                      "on common random numbers (paired per trial)",
            "by_control": [c.to_dict() for c in self.controls],
            "by_year": [control_value.rank(self.controls, h.year) for h in self.horizons],
        }

    def controls_payload(self) -> dict:
        """What ``climaterisk controls --format json`` prints."""
        return {"scenario": self.scenario.id, "currency": self.register.currency,
                "trials": self.trials, "seed": self.seed, "controls": self.controls_dict(),
                "manifest": self.manifest}

    def coverage_payload(self) -> dict:
        """What ``climaterisk coverage --format json`` prints."""
        return {"scenario": self.scenario.id, "trials": self.trials, "seed": self.seed,
                "iso22301": self.iso22301(), "manifest": self.manifest}

    def to_dict(self) -> dict:
        return {
            "scenario": {
                "id": self.scenario.id, "name": self.scenario.name, "cmip6": self.scenario.cmip6,
                "ngfs": list(self.scenario.ngfs),
            },
            "register": {
                "id": self.register.id, "organisation": self.register.organisation,
                "as_of": self.register.as_of.isoformat(),
            },
            "currency": self.register.currency,
            "units": f"{self.register.currency} per year",
            "trials": self.trials,
            "seed": self.seed,
            "horizons": [h.to_dict() for h in self.horizons],
            "controls": self.controls_dict(),
            "iso22301": self.iso22301(),
            "ghg": ghg.as_mapping(ghg.account(self.register)),
            "assumptions": [
                {"file": Path(p.file).name, "entry": p.entry, "field": p.field,
                 "value": list(p.value) if isinstance(p.value, tuple) else p.value,
                 "unit": p.unit, "basis": p.source.split(":", 1)[1].strip()}
                for p in self.register.assumptions
            ],
            "manifest": self.manifest,
        }

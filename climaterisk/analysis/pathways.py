"""Emission pathways per scenario and year (issue 14, part 2): scope 1 and 2 of the register's GHG
inventory carried from its reporting year by activity growth, the scenario's grid emission-factor
path and the company's levers (``ghg.yaml`` ``pathway``), each lever switched on from its start year.

The projection of one year is :func:`climaterisk.model.emissions.project` (in the model layer, so
that the carbon cost of a horizon year stands on the same numbers); this module tabulates it per
scenario and year, gives each lever's effect (the year's emissions with all levers minus without
that lever), the grid factor used with its source, and checks that the base year equals the GHG
account of :func:`climaterisk.analysis.ghg.account`. All emissions are in t CO2e/yr.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from climaterisk.analysis.ghg import account
from climaterisk.model.emissions import project, totals
from climaterisk.register import Register
from climaterisk.scenarios import Scenario


@dataclass(frozen=True)
class PathwayRow:
    """One scenario and year: the grid factor [t CO2/MWh] and its ratio to the base year [-],
    scope 1, scope 2 location- and market-based, their sums and the scope 2 that zero-emission
    contracts avoid [t CO2e/yr], and each lever's effect on scope 1 + 2 market-based [t CO2e/yr]."""

    scenario: str
    year: int
    grid_factor: float | None
    grid_ratio: float
    scope1: float
    scope2_location: float
    scope2_market: float
    scope12_location: float
    scope12_market: float
    avoided: float
    lever_effects: dict[str, float] = field(default_factory=dict)


@dataclass
class Pathways:
    """The pathways of a register under some scenarios, with their basis."""

    register: str
    base_year: int
    growth: float
    growth_source: str
    grid_driver: str
    levers: list[dict]
    grid_sources: dict[str, str]
    rows: list[PathwayRow]
    base_matches_account: bool
    statements: list[str]

    def to_dict(self) -> dict:
        """JSON-ready data (``climaterisk ghg --scenario ... --format json``)."""
        return {"register": self.register, "base_year": self.base_year, "units": "t CO2e/yr",
                "growth": self.growth, "growth_source": self.growth_source, "grid_driver": self.grid_driver,
                "levers": self.levers, "grid_sources": self.grid_sources,
                "rows": [asdict(r) for r in self.rows], "base_matches_account": self.base_matches_account,
                "statements": self.statements}


def horizon_years(register: Register, scenario: Scenario) -> list[int]:
    """The base (reporting) year and the register's horizon years the scenario covers."""
    base = register.ghg.reporting_year if register.ghg is not None else register.baseline_year
    first, last = scenario.years
    return sorted({base, *(y for y in register.horizons.values() if first <= y <= last and y > base)})


def pathways(register: Register, scenarios: Iterable[Scenario],
             years: Iterable[int] | None = None) -> Pathways | None:
    """Scope 1 and 2 per scenario and year (default: :func:`horizon_years`), or None without a
    ``ghg.yaml``. Without a ``pathway`` in it the emissions stay at the base year."""
    inv = register.ghg
    acc = account(register)
    if inv is None or acc is None:
        return None
    path = inv.pathway
    scenarios = list(scenarios)
    levers = [asdict(lv) for lv in (path.levers if path is not None else ())]
    driver = path.grid_driver if path is not None else ""
    rows = []
    for sc in scenarios:
        for year in sorted(set(years) if years is not None else horizon_years(register, sc)):
            t = totals(project(inv, sc, year))
            effects = {lv["id"]: t["scope12_market"] - totals(project(inv, sc, year, without=frozenset(
                {lv["id"]})))["scope12_market"] for lv in levers if lv["start"] <= year}
            grid = sc.driver(driver, year) if path is not None and driver in sc.drivers else None
            ratio = grid / sc.driver(driver, inv.reporting_year) if grid is not None else 1.0
            rows.append(PathwayRow(sc.id, year, grid, ratio, t["scope1"], t["scope2_location"],
                                   t["scope2_market"], t["scope12_location"], t["scope12_market"],
                                   t["avoided"], effects))
    base = totals(project(inv, None, inv.reporting_year))
    matches = (abs(base["scope1"] - acc.scope1) <= 1e-6 * max(1.0, acc.scope1)
               and abs(base["scope2_location"] - acc.scope2_location) <= 1e-6 * max(1.0, acc.scope2_location)
               and abs(base["scope2_market"] - acc.scope2_market) <= 1e-6 * max(1.0, acc.scope2_market))
    statements = _statements(register, path is not None, matches)
    return Pathways(
        register=register.id, base_year=inv.reporting_year, growth=path.growth if path else 0.0,
        growth_source=path.growth_source if path else "", grid_driver=driver, levers=levers,
        grid_sources={sc.id: sc.drivers[driver].source for sc in scenarios if driver in sc.drivers},
        rows=rows, base_matches_account=matches, statements=statements)


def _statements(register: Register, has_path: bool, matches: bool) -> list[str]:
    inv = register.ghg
    assert inv is not None
    if not has_path:
        return [f"ghg.yaml has no pathway: emissions are held at {inv.reporting_year} in every year."]
    path = inv.pathway
    assert path is not None
    out = [
        f"Every activity grows {path.growth:.1%} a year from {inv.reporting_year} ({path.growth_source}).",
        f"Electricity factors follow the scenario's {path.grid_driver} as a ratio to {inv.reporting_year}; "
        "fuel and heat factors are held at their base value.",
        "Annual contractual instruments are carried forward as the same share of their activity's "
        "electricity; cumulative (to-date) volumes are not.",
        "Levers act from their start year: " + "; ".join(
            f"{lv.id} ({lv.kind.replace('_', ' ')} {lv.value:g} on {lv.activity} from {lv.start}; "
            f"{lv.source})"
            for lv in path.levers) + "." if path.levers else "No lever is given.",
        f"Base year {inv.reporting_year} equals the GHG account from activity data: "
        + ("yes." if matches else "NO (check the projection)."),
    ]
    return out


__all__ = ["PathwayRow", "Pathways", "horizon_years", "pathways"]

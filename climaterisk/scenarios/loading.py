"""Climate scenarios: drivers and hazard multipliers per year, read from data files.

A scenario file lists, for a few years, each driver's value (global warming level, local
warming, carbon price, transition indices) and each hazard's frequency and severity
multipliers relative to the baseline year, each with its source. Between listed years values
are interpolated linearly; outside them the scenario refuses to answer.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from climaterisk.errors import Problem, ScenarioError
from climaterisk.io import FileProblemError, read_yaml, sha256_file, shipped_dir
from climaterisk.register import schema


@dataclass(frozen=True)
class Series:
    """A driver's values at listed years; ``at(year)`` interpolates linearly between them."""

    name: str
    unit: str
    description: str
    source: str
    years: tuple[int, ...]
    values: tuple[float, ...]
    notes: str = ""

    def at(self, year: float) -> float:
        """Value in ``year`` (linear between listed years).

        >>> Series("x", "-", "", "", (2020, 2030), (1.0, 2.0)).at(2025)
        1.5
        """
        if not self.years[0] <= year <= self.years[-1]:
            raise ScenarioError(Problem(
                "", self.name, "year", year,
                f"a year from {self.years[0]} to {self.years[-1]} (the years this scenario lists)",
            ))
        return float(np.interp(year, self.years, self.values))


@dataclass(frozen=True)
class Scenario:
    """A climate scenario with its transition narrative and per-year drivers."""

    id: str
    name: str
    cmip6: str
    aliases: tuple[str, ...]
    ngfs: tuple[str, ...]
    narrative: str
    description: str
    baseline_year: int
    limits: tuple[str, ...]
    drivers: Mapping[str, Series]
    hazards: Mapping[str, Mapping[str, Series]]
    path: Path | None = None
    sha256: str = ""
    notes: str = field(default="")

    @property
    def years(self) -> tuple[int, int]:
        """First and last year every driver and hazard covers."""
        series = [*self.drivers.values(), *(s for h in self.hazards.values() for s in h.values())]
        return max(s.years[0] for s in series), min(s.years[-1] for s in series)

    def driver(self, name: str, year: float) -> float:
        """A driver's value in ``year``, in its own unit."""
        if name not in self.drivers:
            raise ScenarioError(Problem(
                str(self.path or self.id), "drivers", name, name,
                "a driver this scenario gives: " + ", ".join(sorted(self.drivers)),
            ))
        return self.drivers[name].at(year)

    def driver_ratio(self, name: str, year: float, baseline_year: int) -> float:
        """Driver value in ``year`` over its value in ``baseline_year`` [-]."""
        base = self.driver(name, baseline_year)
        if base == 0:
            raise ScenarioError(Problem(
                str(self.path or self.id), name, f"values.{baseline_year}", 0.0,
                "a non-zero baseline value for a driver used as a ratio",
            ))
        ratio = self.driver(name, year) / base
        if ratio < 0:
            raise ScenarioError(Problem(
                str(self.path or self.id), name, f"values.{year}", self.driver(name, year),
                f"a value of the same sign as in the baseline year ({base:g}): a negative ratio "
                "would turn a cost into a gain",
            ))
        return ratio

    def hazard(self, hazard: str, aspect: str, year: float) -> float:
        """Multiplier of a hazard's ``frequency`` or ``severity`` in ``year`` (1 if not given for
        a hazard the scenario lists; an error for a hazard it does not list)."""
        if hazard not in self.hazards:
            raise ScenarioError(Problem(
                str(self.path or self.id), "hazards", hazard, hazard,
                "a hazard this scenario gives multipliers for: " + ", ".join(sorted(self.hazards)),
            ))
        series = self.hazards[hazard].get(aspect)
        return 1.0 if series is None else series.at(year)

    def check_year(self, year: int) -> None:
        lo, hi = self.years
        if not lo <= year <= hi:
            raise ScenarioError(Problem(
                str(self.path or self.id), "", "horizon", year,
                f"a year from {lo} to {hi} (the years scenario {self.id} covers)",
            ))


def available_scenarios() -> list[Path]:
    """The shipped scenario files."""
    return sorted(shipped_dir("scenarios").glob("*.yaml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario by id (``rcp45``), alias (``SSP2-4.5``) or path to a YAML file."""
    text = str(name_or_path)
    if not text.strip():
        raise ScenarioError(Problem(
            "", "", "scenario", text,
            "a scenario id (" + ", ".join(p.stem for p in available_scenarios())
            + "), an alias or a YAML path",
        ))
    candidate = Path(text)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return read_scenario(candidate)
    wanted = text.strip().lower()
    found, known = [], {}
    for path in available_scenarios():
        scenario = read_scenario(path)
        names = {scenario.id.lower(), *(a.lower() for a in scenario.aliases)}
        if wanted in names:
            return scenario
        found.append(scenario.id)
        known.update({name: scenario.id for name in names})
    close = difflib.get_close_matches(wanted, sorted(known), n=1)
    hint = f" (did you mean {known[close[0]]!r}?)" if close else ""
    raise ScenarioError(Problem(
        "", "", "scenario", text,
        "a shipped scenario (" + ", ".join(found) + "), one of their aliases, or a path to a YAML file"
        + hint,
    ))


def read_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file."""
    try:
        raw = read_yaml(path)
    except FileProblemError as exc:
        raise ScenarioError(exc.problem) from None
    at = schema.At(str(path))
    data = schema.SCENARIO.check(raw if raw is not None else {}, at)
    if not at.problems:
        _check_series(data, at)
    if at.problems:
        raise ScenarioError(at.problems)

    def series(name: str, spec: dict) -> Series:
        years = tuple(sorted(spec["values"]))
        return Series(name, spec["unit"], spec["description"], spec["source"], years,
                      tuple(float(spec["values"][y]) for y in years), spec.get("notes", ""))

    return Scenario(
        id=data["id"], name=data["name"], cmip6=data["cmip6"],
        aliases=tuple(data.get("aliases", [])), ngfs=tuple(data["transition"]["ngfs"]),
        narrative=data["transition"]["narrative"], description=data["description"],
        baseline_year=data["baseline_year"], limits=tuple(data.get("limits", [])),
        drivers={k: series(k, v) for k, v in data["drivers"].items()},
        hazards={
            hz: {aspect: series(f"{hz}.{aspect}", v) for aspect, v in spec.items()}
            for hz, spec in data["hazards"].items()
        },
        path=path, sha256=sha256_file(path), notes=data.get("notes", ""),
    )


def _check_series(data: dict, at: schema.At) -> None:
    entries = [(f"drivers.{k}", v) for k, v in data["drivers"].items()]
    entries += [
        (f"hazards.{hz}.{aspect}", v) for hz, spec in data["hazards"].items() for aspect, v in spec.items()
    ]
    base = data["baseline_year"]
    if not entries:
        at.sub("drivers").error(data["drivers"], "at least one driver or hazard series with values by year")
    for name, spec in entries:
        values = spec["values"]
        where = at.sub(f"{name}.values")
        if len(values) < 2:
            where.error(values, "values for at least two years")
        elif not min(values) <= base <= max(values):
            where.error(sorted(values), f"years that include the baseline year {base}")
        if (name.startswith("hazards.") or name == "drivers.carbon_price_usd_t") and any(
            v < 0 for v in values.values()
        ):
            where.error(values, "values >= 0 (multipliers and prices cannot be negative)")

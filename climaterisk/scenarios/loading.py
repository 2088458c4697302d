"""Climate scenarios: drivers and hazard multipliers per year, read from data files.

A scenario file lists, for a few years, each driver's value (global warming level, local
warming, carbon price, transition indices) and each hazard's frequency and severity
multipliers relative to the baseline year, each with its source. Between listed years values
are interpolated linearly; outside them the scenario refuses to answer.

A series may also give its uncertainty range (``range``: low and high ends by year, the
percentiles they are, a source). The values stay the scenario's central estimate; the ranges
are what we don't know about the scenario, drawn once per simulated world by the two-level
analysis (:meth:`Scenario.at_quantiles`), never per simulated year.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import NormalDist

import numpy as np

from climaterisk.errors import Problem, ScenarioError
from climaterisk.io import FileProblemError, read_yaml, sha256_file, shipped_dir
from climaterisk.register import schema

DEFAULT_PERCENTILES = (5.0, 95.0)
"""Percentiles of a range's ends when the file does not say: a very likely (5-95%) range."""
DEFAULT_GROUP = "warming"
"""Group of a range when the file does not say: the scenario's warming level."""
_NORMAL = NormalDist()


@dataclass(frozen=True)
class SeriesRange:
    """The uncertainty range of a series: its ends by year (the series' years) and which
    percentiles they are; ranges of one ``group`` move together."""

    low: tuple[float, ...]
    high: tuple[float, ...]
    percentiles: tuple[float, float]  # [%], e.g. (5, 95)
    group: str
    source: str

    def values_at(self, central: tuple[float, ...], quantile: float) -> tuple[float, ...]:
        """The series at ``quantile`` (0-1) of what we don't know: a two-piece normal around each
        central value whose lower half reaches the low end at the lower percentile and whose upper
        half reaches the high end at the upper one (so the median is the central value), clipped
        at 0 when no low end is negative.

        >>> r = SeriesRange((1.2,), (1.8,), (5.0, 95.0), "warming", "")
        >>> [round(v, 6) for v in r.values_at((1.5,), 0.95) + r.values_at((1.5,), 0.5)]
        [1.8, 1.5]
        """
        if not 0.0 < quantile < 1.0:
            raise ValueError(f"need 0 < quantile < 1, got {quantile!r}")
        z = _NORMAL.inv_cdf(quantile)
        z_lo, z_hi = (_NORMAL.inv_cdf(p / 100.0) for p in self.percentiles)
        out = []
        for value, lo, hi in zip(central, self.low, self.high, strict=True):
            moved = value + z / z_hi * (hi - value) if z >= 0 else value + z / z_lo * (lo - value)
            out.append(max(moved, 0.0) if min(self.low) >= 0 else moved)
        return tuple(out)


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
    range: SeriesRange | None = None  # what we don't know about the values, if the file gives it

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

    @property
    def range_groups(self) -> dict[str, list[str]]:
        """Group -> the names of the series with a range in it (drivers by name, hazards as
        ``hazard.aspect``), in file order."""
        groups: dict[str, list[str]] = {}
        for series in [*self.drivers.values(), *(s for h in self.hazards.values() for s in h.values())]:
            if series.range is not None:
                groups.setdefault(series.range.group, []).append(series.name)
        return groups

    def at_quantiles(self, quantiles: Mapping[str, float]) -> Scenario:
        """This scenario with every ranged series of each group named in ``quantiles`` moved to
        that quantile (0-1) of its range (:meth:`SeriesRange.values_at`); other series unchanged."""

        def moved(series: Series) -> Series:
            if series.range is None or series.range.group not in quantiles:
                return series
            return replace(series, values=series.range.values_at(series.values,
                                                                 quantiles[series.range.group]))

        return replace(
            self, drivers={k: moved(v) for k, v in self.drivers.items()},
            hazards={h: {a: moved(v) for a, v in spec.items()} for h, spec in self.hazards.items()})

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
        ranged = None
        if "range" in spec:
            r = spec["range"]
            ends = [r["values"][y] for y in years]
            ranged = SeriesRange(tuple(float(e[0]) for e in ends), tuple(float(e[1]) for e in ends),
                                 tuple(float(p) for p in r.get("percentiles", DEFAULT_PERCENTILES)),
                                 r.get("group", DEFAULT_GROUP), r["source"])
        return Series(name, spec["unit"], spec["description"], spec["source"], years,
                      tuple(float(spec["values"][y]) for y in years), spec.get("notes", ""), ranged)

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
        if "range" in spec:
            _check_range(spec["range"], values, at.sub(f"{name}.range"))


def _check_range(spec: dict, values: dict, at: schema.At) -> None:
    """A range gives two ends for each year of the values, low <= value <= high, at two
    percentiles either side of the median."""
    percentiles = spec.get("percentiles", DEFAULT_PERCENTILES)
    if len(percentiles) != 2 or not 0 < percentiles[0] < 50 < percentiles[1] < 100:
        at.sub("percentiles").error(percentiles, "two percentiles, the first between 0 and 50 and "
                                                 "the second between 50 and 100, e.g. [5, 95]")
    ends = spec["values"]
    if sorted(ends) != sorted(values):
        at.sub("values").error(sorted(ends), f"the same years as the series' values: {sorted(values)}")
        return
    for year, pair in ends.items():
        where = at.sub(f"values.{year}")
        if len(pair) != 2:
            where.error(pair, "[low end, high end]")
        elif not pair[0] <= values[year] <= pair[1]:
            where.error(pair, f"a range with low end <= the value ({values[year]:g}) <= high end")

"""The register's numeric inputs as values a sensitivity analysis can swing.

The inputs are the register's provenance rows (file, entry, field, value, unit, source): every
number the register records. :func:`swing_values` gives the low and high value of one
(an interval scaled as a whole, a range at its two ends, a point value by a relative swing, a
fraction clipped to 0-1), :func:`apply_input` a copy of the loaded register with that one value
changed (:func:`dataclasses.replace` on its entities, or None when the row is no input of the
loss model), and :func:`swept_inputs` all of them. Nothing here simulates.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from climaterisk.analysis.uncertainty import unknowns
from climaterisk.model.compile import Portfolio, compile_portfolio
from climaterisk.register import CarbonCost, Register
from climaterisk.register.distributions import LogNormal, Uniform
from climaterisk.register.schema import Provenance
from climaterisk.scenarios import Scenario

__all__ = ["DEFAULT_SWING", "Input", "Lever", "World", "apply_input", "levers", "swept_inputs",
           "swing_values"]

DEFAULT_SWING = 0.2
"""Relative swing of point values and intervals when none is given [fraction]: +-20%."""

_SITE_FIELDS = ("replacement_value", "interruption_cost_per_day", "electricity_mwh", "pue",
                "renewable_share", "rto_days", "mtpd_days", "wue", "water_stress")
_PARAMETERS = {"parameters.electricity_price": "electricity_price", "parameters.fx_usd": "fx_usd",
               "parameters.water_price": "water_price"}
_BY_REGION = {"parameters.electricity_price_by_region.": "electricity_prices",
              "parameters.water_price_by_region.": "water_prices"}
_MODEL_FIELD = re.compile(r"models\[(\d+)\]\.(\w+)$")
_COMMON_FIELD = re.compile(r"common_events\[(\d+)\]\.(\w+)(?:\.(.+))?$")
_MODEL_ATTR = {"downtime_days": "downtime"}



@dataclass(frozen=True)
class Input:
    """One numeric register input and the two values it is swung between.

    ``value``, ``low`` and ``high`` are numbers in ``unit``, or ``(low end, high end)`` pairs for
    intervals and ranges; ``swing`` says how low and high were chosen (see the module doc).
    """

    file: str  # register file name, e.g. sites.yaml
    entry: str  # id of the entry (site, region, risk, control, metric); "" for register.yaml
    field: str  # path of the field in the entry, e.g. models[0].rate
    value: float | tuple[float, float]
    unit: str
    source: str
    swing: str
    low: float | tuple[float, float]
    high: float | tuple[float, float]

    @property
    def name(self) -> str:
        """``file:entry:field``, the input's identity."""
        return f"{self.file}:{self.entry}:{self.field}"

    @property
    def is_assumption(self) -> bool:
        return self.source.strip().lower().startswith("assumption")

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.name, "file": self.file, "entry": self.entry, "field": self.field,
                "unit": self.unit, "value": self.value, "low": self.low, "high": self.high,
                "swing": self.swing, "assumption": self.is_assumption, "source": self.source}


# --------------------------------------------------------------------------- the inputs


def swing_values(row: Provenance, swing: float) -> tuple[str, Any, Any] | None:
    """``(how, low, high)`` for a provenance row, or None when its value is not a number.

    A ``(p5, p95)`` interval is scaled as a whole by ``1 -+ swing``; the exposed share (a uniform
    range) is held at each end of its range; a point value moves by ``-+ swing`` of itself,
    clipped to [0, 1] for a fraction 0-1.
    """
    value, pct = row.value, f"{swing:.0%}"
    if isinstance(value, tuple):
        lo, hi = (float(v) for v in value)
        if row.field.endswith("exposed_share"):
            return "range", (lo, lo), (hi, hi)
        return f"interval x(1-+{pct})", (lo * (1 - swing), hi * (1 - swing)), (lo * (1 + swing),
                                                                              hi * (1 + swing))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    low, high = float(value) * (1 - swing), float(value) * (1 + swing)
    how = f"+-{pct}"
    if row.unit.startswith("fraction 0-1"):
        clipped = (min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0))
        if clipped != (low, high):
            how += " (clipped)"
        low, high = clipped
    return how, low, high


def apply_input(register: Register, row: Provenance, value: Any) -> Register | None:
    """A copy of ``register`` with the input of ``row`` set to ``value`` (a number, or a
    ``(low end, high end)`` pair for an interval or range), or None when the row names no input
    of the model (a date, a target, the GHG inventory, a disclosure threshold...)."""
    file, entry, path = Path(row.file).name, row.entry, row.field
    if file == "sites.yaml":
        return _apply_site(register, entry, path, value)
    if file in ("risks.yaml", "opportunities.yaml"):
        return _apply_model(register, file == "opportunities.yaml", entry, path, value)
    if file == "controls.yaml":
        name = path.removeprefix("effect.")
        if name not in ("frequency", "severity", "downtime", "deductible", "limit"):
            return None
        controls = tuple(dataclasses.replace(c, **{name: value}) if c.id == entry else c
                         for c in register.controls)
        return dataclasses.replace(register, controls=controls)
    if file == "register.yaml":
        if path in _PARAMETERS:
            return dataclasses.replace(register, **{_PARAMETERS[path]: value})
        for prefix, attr in _BY_REGION.items():
            if path.startswith(prefix):
                prices = {**getattr(register, attr), path.removeprefix(prefix): value}
                return dataclasses.replace(register, **{attr: prices})
        return None
    if file == "metrics.yaml" and path == "value" and any(m.id == entry for m in register.metrics):
        return _apply_metric(register, entry, value)
    return None


def _apply_site(register: Register, entry: str, path: str, value: Any) -> Register | None:
    common = _COMMON_FIELD.match(path)
    if common:
        index, name, site = int(common[1]), common[2], common[3]
        regions = []
        for region in register.regions:
            if region.id == entry:
                events = list(region.common_events)
                event = events[index]
                if name == "footprints" and site:
                    event = dataclasses.replace(event, footprints={**event.footprints, site: value})
                elif name == "severity_correlation":
                    event = dataclasses.replace(event, correlation=value)
                elif name in ("rate", "footprint"):
                    event = dataclasses.replace(event, **{name: value})
                else:
                    return None
                events[index] = event
                region = dataclasses.replace(region, common_events=tuple(events))
            regions.append(region)
        return dataclasses.replace(register, regions=tuple(regions))
    if path in _SITE_FIELDS:
        change: dict[str, Any] = {path: value}
    elif path.startswith("hazards."):
        hazard = path.removeprefix("hazards.")
        change = {"hazards": {**register.site(entry).hazards, hazard: value}}
    elif path.startswith("free_cooling."):
        change = {path.removeprefix("free_cooling."): value}
    else:
        return None
    sites = tuple(dataclasses.replace(s, **change) if s.id == entry else s for s in register.sites)
    return dataclasses.replace(register, sites=sites)


def _apply_model(register: Register, opportunity: bool, entry: str, path: str,
                 value: Any) -> Register | None:
    match = _MODEL_FIELD.match(path)
    if not match:
        return None
    index, name = int(match[1]), _MODEL_ATTR.get(match[2], match[2])
    items = register.opportunities if opportunity else register.risks
    out = []
    for risk in items:
        if risk.id == entry:
            models = list(risk.models)
            model = models[index]
            if not hasattr(model, name):
                return None
            current = getattr(model, name)
            if isinstance(current, LogNormal):
                value = LogNormal.from_interval(*value)
            elif isinstance(current, Uniform):
                value = Uniform(*value)
            models[index] = dataclasses.replace(model, **{name: value})
            risk = dataclasses.replace(risk, models=tuple(models))
        out.append(risk)
    return dataclasses.replace(register, **{"opportunities" if opportunity else "risks": tuple(out)})


def _apply_metric(register: Register, metric_id: str, value: float) -> Register | None:
    """A metric's value, and the emissions [t CO2e] of every carbon cost that sums it."""
    metrics = tuple(dataclasses.replace(m, value=value) if m.id == metric_id else m
                    for m in register.metrics)
    values = {m.id: m.value for m in metrics}

    def fix(risk):  # type: ignore[no-untyped-def]
        models = tuple(dataclasses.replace(m, emissions_t=sum(values[i] for i in m.metrics))
                       if isinstance(m, CarbonCost) and metric_id in m.metrics else m
                       for m in risk.models)
        return dataclasses.replace(risk, models=models)

    if not any(isinstance(m, CarbonCost) and metric_id in m.metrics
               for r in (*register.risks, *register.opportunities) for m in r.models):
        return None
    return dataclasses.replace(register, metrics=metrics, risks=tuple(fix(r) for r in register.risks),
                               opportunities=tuple(fix(r) for r in register.opportunities))


def swept_inputs(register: Register, swing: float = DEFAULT_SWING
                 ) -> tuple[list[tuple[Input, Register, Register]], list[tuple[Provenance, str]]]:
    """The inputs swept, each with the register at its low and at its high value, and the
    provenance rows not swept with the reason."""
    swept, skipped = [], []
    for row in register.provenance:
        values = swing_values(row, swing)
        if values is None:
            skipped.append((row, "not a number"))
            continue
        how, low, high = values
        reg_low, reg_high = apply_input(register, row, low), apply_input(register, row, high)
        if reg_low is None or reg_high is None:
            skipped.append((row, "not an input of the loss model"))
            continue
        item = Input(Path(row.file).name, row.entry, row.field, row.value, row.unit, row.source,
                     how, low, high)
        swept.append((item, reg_low, reg_high))
    return swept, skipped


# --------------------------------------------------------------------------- worlds and levers

EPISTEMIC_LOW, EPISTEMIC_HIGH = 0.05, 0.95
"""Quantiles an epistemic input is swung between in the one-at-a-time sweep: its p5 and p95."""


@dataclass(frozen=True)
class World:
    """What one evaluation runs on: a register, a scenario, and the quantiles (0-1) the world
    gives to what we don't know (epistemic register inputs by name, scenario groups as
    ``scenario:<id>:<group>``); unknowns it does not name are at their central value."""

    register: Register
    scenario: Scenario
    quantiles: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def compile(self, year: int) -> Portfolio:
        """The world's compiled model in ``year``."""
        groups = {k.rsplit(":", 1)[1]: v for k, v in self.quantiles.items() if k.startswith("scenario:")}
        scenario = self.scenario.at_quantiles(groups) if groups else self.scenario
        own = {k: v for k, v in self.quantiles.items() if not k.startswith("scenario:")}
        return compile_portfolio(self.register, scenario, year, own)


@dataclass(frozen=True)
class Lever:
    """One input as a function of ``u`` in [0, 1]: an epistemic unknown (``key``) at a quantile,
    or a register input (``row``) moved linearly from its low (u = 0) to its high (u = 1) value."""

    input: Input
    row: Provenance | None = None
    key: str | None = None

    def at(self, world: World, u: float, full: bool = False) -> World | None:
        """``world`` with this input at ``u``: for an unknown, quantile ``u`` of its distribution
        (``full``) or of its p5-p95 band (the sweep's reading of u); None when the register input
        reaches no model input."""
        if self.key is not None:
            q = min(max(u, 1e-9), 1 - 1e-9) if full else EPISTEMIC_LOW + u * (EPISTEMIC_HIGH - EPISTEMIC_LOW)
            return dataclasses.replace(world, quantiles={**world.quantiles, self.key: q})
        assert self.row is not None
        low, high = self.input.low, self.input.high
        if isinstance(low, tuple):
            value: Any = tuple(a + u * (b - a) for a, b in zip(low, high, strict=True))  # type: ignore[arg-type]
        else:
            value = low + u * (high - low)  # type: ignore[operator]
        changed = apply_input(world.register, self.row, value)
        return None if changed is None else dataclasses.replace(world, register=changed)


def levers(register: Register, scenario: Scenario, swing: float = DEFAULT_SWING
           ) -> tuple[list[Lever], list[tuple[Provenance, str]]]:
    """Every input of the loss model as a lever: register inputs swung by :func:`swing_values`,
    except those declared epistemic, which (with the scenario's uncertainty groups) swing between
    their p5 and p95; and the provenance rows not swept, with the reason."""
    found = unknowns(register, scenario)
    epistemic = {u.name for u in found}
    out: list[Lever] = []
    skipped: list[tuple[Provenance, str]] = []
    for row in register.provenance:
        name = f"{Path(row.file).name}:{row.entry}:{row.field}"
        if name in epistemic:
            continue  # swept as an unknown below
        values = swing_values(row, swing)
        if values is None:
            skipped.append((row, "not a number"))
            continue
        how, low, high = values
        item = Input(Path(row.file).name, row.entry, row.field, row.value, row.unit, row.source, how,
                     low, high)
        if apply_input(register, row, low) is None or apply_input(register, row, high) is None:
            skipped.append((row, "not an input of the loss model"))
            continue
        out.append(Lever(item, row=row))
    for u in found:
        parts = u.name.split(":", 2)
        file, entry, fld = parts if len(parts) == 3 else (
            "scenario", scenario.id, u.name.removeprefix("scenario "))  # the carbon share's drivers
        item = Input(file, entry, fld, u.distribution, u.unit, u.source,  # type: ignore[arg-type]
                     f"p5-p95 of what we don't know ({u.kind})", EPISTEMIC_LOW, EPISTEMIC_HIGH)
        out.append(Lever(item, key=u.name))
    return out, skipped

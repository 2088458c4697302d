"""Field specifications of the register and scenario formats.

One declarative tree per file says, for every field, its type, unit, range and meaning. The
same tree validates parsed YAML (reporting every problem at once), emits the JSON Schema that
``climaterisk schema`` prints, and renders the field tables of ``docs/register-format.md``.

Validation turns ``{value: x, source: "..."}`` quantities into plain floats and records each
one, with its source, as a provenance row for the reports.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from climaterisk.errors import Problem
from climaterisk.refdata import iso22301_clause_ids

INVALID = object()
"""Returned by a check when the value is invalid (a problem has been recorded)."""

MAX_MAGNITUDE = 1e15
"""Largest absolute number accepted anywhere: larger values are almost surely typos."""

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
SOURCE_PATTERN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:\s*(\S.*)$", re.DOTALL)


@dataclass
class Provenance:
    """Where one numeric input came from."""

    file: str
    entry: str
    field: str
    value: Any
    unit: str
    source: str

    @property
    def is_assumption(self) -> bool:
        return self.source.strip().lower().startswith("assumption")


@dataclass
class At:
    """The place being checked, and the lists that collect problems and provenance."""

    file: str
    entry: str = ""
    path: str = ""
    problems: list[Problem] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)

    def sub(self, name: str) -> At:
        path = f"{self.path}.{name}" if self.path and not name.startswith("[") else self.path + name
        return At(self.file, self.entry, path, self.problems, self.provenance)

    def entity(self, entry: str) -> At:
        return At(self.file, entry, "", self.problems, self.provenance)

    def error(self, value: object, expected: str) -> object:
        self.problems.append(Problem(self.file, self.entry, self.path, value, expected))
        return INVALID


class Node:
    """A field type: checks a value, describes itself as JSON Schema and in docs."""

    doc: str = ""
    unit: str = ""

    # Every field type below overrides these three; the base class only names them.
    def check(self, value: Any, at: At) -> Any:
        raise TypeError(f"{type(self).__name__} must define check()")  # pragma: no cover

    def json_schema(self) -> dict:
        raise TypeError(f"{type(self).__name__} must define json_schema()")  # pragma: no cover

    def type_name(self) -> str:
        raise TypeError(f"{type(self).__name__} must define type_name()")  # pragma: no cover

    def children(self) -> list[tuple[str, Node, bool, str]]:
        """Sub-fields for the docs: (name, node, required, description)."""
        return []


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _range_text(lo: float | None, hi: float | None, lo_open: bool = False) -> str:
    if lo is not None and hi is not None:
        return f"{'>' if lo_open else '>='} {lo:g} and <= {hi:g}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo:g}"
    if hi is not None:
        return f"<= {hi:g}"
    return ""


@dataclass
class Num(Node):
    """A plain finite number, optionally bounded."""

    doc: str = ""
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    integer: bool = False

    def expected(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        rng = _range_text(self.lo, self.hi, self.lo_open)
        return f"{kind} {rng}".strip()

    def check(self, value: Any, at: At) -> Any:
        if not _is_number(value) or (self.integer and not isinstance(value, int)):
            return at.error(value, self.expected())
        try:
            x = float(value)
        except OverflowError:  # an integer with hundreds of digits
            x = math.inf
        if not math.isfinite(x) or abs(x) > MAX_MAGNITUDE:
            return at.error(value, f"{self.expected()} (finite, |x| <= {MAX_MAGNITUDE:g})")
        if self.lo is not None and (x < self.lo or (self.lo_open and x == self.lo)):
            return at.error(value, self.expected())
        if self.hi is not None and x > self.hi:
            return at.error(value, self.expected())
        return int(value) if self.integer else x

    def json_schema(self) -> dict:
        out: dict = {"type": "integer" if self.integer else "number"}
        if self.lo is not None:
            out["exclusiveMinimum" if self.lo_open else "minimum"] = self.lo
        if self.hi is not None:
            out["maximum"] = self.hi
        return out

    def type_name(self) -> str:
        base = "integer" if self.integer else "number"
        rng = _range_text(self.lo, self.hi, self.lo_open)
        return f"{base} {rng}".strip()


def check_source(source: Any, at: At) -> str | object:
    """A source is ``"<document-id>: <locator>"`` or ``"assumption: <basis>"``."""
    if not isinstance(source, str) or not SOURCE_PATTERN.match(source):
        return at.error(
            source,
            'a source string "<document-id>: <page or table>" or "assumption: <basis>"',
        )
    return source.strip()


@dataclass
class Quantity(Num):
    """A number, written bare or as ``{value: x, source: "..."}``; recorded as provenance."""

    def check(self, value: Any, at: At) -> Any:
        source = ""
        if isinstance(value, dict):
            unknown = set(value) - {"value", "source"}
            for key in sorted(unknown):
                _unknown_key(key, ["value", "source"], at)
            if "value" not in value:
                return at.sub("value").error(None, f"a value: {self.expected()}")
            if "source" in value:
                checked = check_source(value["source"], at.sub("source"))
                source = checked if isinstance(checked, str) else ""
            value = value["value"]
        x = super().check(value, at)
        if x is not INVALID:
            at.provenance.append(Provenance(at.file, at.entry, at.path, x, self.unit, source))
        return x

    def json_schema(self) -> dict:
        plain = super().json_schema()
        return {
            "oneOf": [
                plain,
                {
                    "type": "object",
                    "properties": {"value": plain, "source": {"type": "string"}},
                    "required": ["value"],
                    "additionalProperties": False,
                },
            ]
        }

    def type_name(self) -> str:
        return super().type_name() + " (or {value, source})"


@dataclass
class Str(Node):
    doc: str = ""
    unit: str = ""
    pattern: re.Pattern | None = None
    pattern_text: str = "a non-empty string"
    allow_empty: bool = False

    def check(self, value: Any, at: At) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and self.pattern is ID_PATTERN:
            value = str(value)
        if not isinstance(value, str) or (not self.allow_empty and not value.strip()):
            return at.error(value, self.pattern_text)
        if self.pattern is not None and not self.pattern.match(value):
            return at.error(value, self.pattern_text)
        return value.strip() if self.pattern is not None else value

    def json_schema(self) -> dict:
        out: dict = {"type": "string"}
        if self.pattern is not None:
            out["pattern"] = self.pattern.pattern
        elif not self.allow_empty:
            out["minLength"] = 1
        return out

    def type_name(self) -> str:
        return "id" if self.pattern is ID_PATTERN else "string"


def Id(doc: str = "") -> Str:  # noqa: N802 - reads as a type in the specs below
    return Str(doc=doc, pattern=ID_PATTERN,
               pattern_text="an id: letters, digits, '_', '.', '-' (at most 64, starting alphanumeric)")


@dataclass
class Bool(Node):
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if not isinstance(value, bool):
            return at.error(value, "true or false")
        return value

    def json_schema(self) -> dict:
        return {"type": "boolean"}

    def type_name(self) -> str:
        return "boolean"


@dataclass
class Date(Node):
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError as exc:
                if DATE_PATTERN.match(value.strip()):  # the right form, but no such day
                    return at.error(value, f"a date YYYY-MM-DD that exists ({exc})")
        return at.error(value, "a date YYYY-MM-DD")

    def json_schema(self) -> dict:
        return {"type": "string", "format": "date"}

    def type_name(self) -> str:
        return "date YYYY-MM-DD"


@dataclass
class Enum(Node):
    values: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    doc: str = ""
    unit: str = ""

    def options(self) -> tuple[str, ...]:
        return self.values() if callable(self.values) else self.values

    def check(self, value: Any, at: At) -> Any:
        options = self.options()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if value in options:
            return value
        hint = _did_you_mean(value, options)
        return at.error(value, f"one of {', '.join(options)}{hint}")

    def json_schema(self) -> dict:
        return {"type": "string", "enum": list(self.options())}

    def type_name(self) -> str:
        return "one of " + ", ".join(f"`{v}`" for v in self.options())


@dataclass
class Nullable(Node):
    inner: Node = field(default_factory=Node)

    def check(self, value: Any, at: At) -> Any:
        return None if value is None else self.inner.check(value, at)

    def json_schema(self) -> dict:
        return {"oneOf": [{"type": "null"}, self.inner.json_schema()]}

    def type_name(self) -> str:
        return self.inner.type_name() + " or null"

    @property
    def doc(self) -> str:  # type: ignore[override]
        return self.inner.doc

    @property
    def unit(self) -> str:  # type: ignore[override]
        return self.inner.unit


@dataclass
class ListOf(Node):
    item: Node = field(default_factory=Node)
    min_items: int = 0
    entities: bool = False
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if value is None and self.min_items == 0:
            return []
        if not isinstance(value, list):
            return at.error(value, f"a list{'' if not self.entities else ' of entries'}")
        if len(value) < self.min_items:
            return at.error(value, f"a list of at least {self.min_items} item(s)")
        out = []
        for i, item in enumerate(value):
            if self.entities:
                ident = item.get("id") if isinstance(item, dict) else None
                sub = at.entity(str(ident) if ident not in (None, "") else f"entry #{i + 1}")
                sub.path = ""
            else:
                sub = at.sub(f"[{i}]")
            checked = self.item.check(item, sub)
            if checked is not INVALID:
                out.append(checked)
        return out

    def json_schema(self) -> dict:
        out: dict = {"type": "array", "items": self.item.json_schema()}
        if self.min_items:
            out["minItems"] = self.min_items
        return out

    def type_name(self) -> str:
        inner = self.item.type_name() if not isinstance(self.item, (Obj, Tagged)) else "entries"
        return f"list of {inner}"

    def children(self) -> list[tuple[str, Node, bool, str]]:
        return [("[]", self.item, True, "")] if isinstance(self.item, (Obj, Tagged)) else []


@dataclass
class MapOf(Node):
    value: Node = field(default_factory=Node)
    key: Node = field(default_factory=lambda: Id())
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            return at.error(value, "a mapping of key: value")
        out = {}
        for k, v in value.items():
            sub = at.sub(str(k))
            key = self.key.check(k, sub)
            checked = self.value.check(v, sub)
            if key is not INVALID and checked is not INVALID:
                out[key] = checked
        return out

    def json_schema(self) -> dict:
        return {"type": "object", "additionalProperties": self.value.json_schema()}

    def type_name(self) -> str:
        return f"mapping {self.key.type_name()} -> {self.value.type_name()}"

    def children(self) -> list[tuple[str, Node, bool, str]]:
        return [("<key>", self.value, True, "")] if isinstance(self.value, (Obj, Tagged, MapOf)) else []


@dataclass
class F:
    """A field of an object: its name, type, whether it is required, what it means."""

    name: str
    node: Node
    required: bool = True
    doc: str = ""


@dataclass
class Obj(Node):
    fields: list[F] = field(default_factory=list)
    doc: str = ""
    unit: str = ""
    checks: list[Callable[[dict, At], None]] = field(default_factory=list)

    def check(self, value: Any, at: At) -> Any:
        if not isinstance(value, dict):
            return at.error(value, "a mapping with keys " + ", ".join(f.name for f in self.fields))
        names = [f.name for f in self.fields]
        for key in value:
            if key not in names:
                _unknown_key(key, names, at)
        out: dict = {}
        ok = True
        for f in self.fields:
            sub = at.sub(f.name)
            if f.name not in value or (value[f.name] is None and not isinstance(f.node, Nullable)):
                if f.required and not (f.name in value and isinstance(f.node, (ListOf, MapOf))):
                    sub.error(value.get(f.name), f"a value ({f.node.type_name()})")
                    ok = False
                elif f.name in value:
                    out[f.name] = f.node.check(None, sub)
                continue
            checked = f.node.check(value[f.name], sub)
            if checked is INVALID:
                ok = False
            else:
                out[f.name] = checked
        if ok:
            for rule in self.checks:
                rule(out, at)
        return out if ok else INVALID

    def json_schema(self) -> dict:
        return {
            "type": "object",
            "properties": {f.name: _described(f) for f in self.fields},
            "required": [f.name for f in self.fields if f.required],
            "additionalProperties": False,
        }

    def type_name(self) -> str:
        return "mapping"

    def children(self) -> list[tuple[str, Node, bool, str]]:
        return [(f.name, f.node, f.required, f.doc) for f in self.fields]


@dataclass
class Tagged(Node):
    """A mapping whose ``type`` key chooses which fields it has."""

    variants: dict[str, Obj] = field(default_factory=dict)
    key: str = "type"
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if not isinstance(value, dict):
            return at.error(value, f"a mapping with a `{self.key}` key")
        kind = value.get(self.key)
        if kind not in self.variants:
            hint = _did_you_mean(kind, list(self.variants))
            return at.sub(self.key).error(kind, f"one of {', '.join(self.variants)}{hint}")
        rest = {k: v for k, v in value.items() if k != self.key}
        checked = self.variants[kind].check(rest, at)
        if checked is INVALID:
            return INVALID
        checked[self.key] = kind
        return checked

    def json_schema(self) -> dict:
        variants = []
        for name, obj in self.variants.items():
            schema = obj.json_schema()
            schema["properties"] = {self.key: {"const": name}, **schema["properties"]}
            schema["required"] = [self.key, *schema["required"]]
            variants.append(schema)
        return {"oneOf": variants}

    def type_name(self) -> str:
        return "mapping chosen by `type`"

    def children(self) -> list[tuple[str, Node, bool, str]]:
        return [(f"({self.key}: {name})", obj, True, obj.doc) for name, obj in self.variants.items()]


@dataclass
class Selector(Node):
    """Which sites: ``all``, a list of site ids, or ``{kind: [...], region: [...], ids: [...]}``."""

    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if value == "all":
            return {"all": True}
        if isinstance(value, list):
            ids = ListOf(Id()).check(value, at)
            return INVALID if ids is INVALID else {"ids": ids}
        if isinstance(value, dict):
            spec = Obj([
                F("kind", ListOf(Enum(SITE_KINDS)), False),
                F("region", ListOf(Id()), False),
                F("ids", ListOf(Id()), False),
            ])
            return spec.check(value, at)
        return at.error(value, "`all`, a list of site ids, or a mapping with kind/region/ids lists")

    def json_schema(self) -> dict:
        return {"oneOf": [
            {"const": "all"},
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "properties": {
                "kind": {"type": "array", "items": {"enum": list(SITE_KINDS)}},
                "region": {"type": "array", "items": {"type": "string"}},
                "ids": {"type": "array", "items": {"type": "string"}},
            }, "additionalProperties": False},
        ]}

    def type_name(self) -> str:
        return "site selector: `all`, [site ids], or {kind, region, ids}"


def _described(f: F) -> dict:
    schema = f.node.json_schema()
    text = f.doc or f.node.doc
    if f.node.unit:
        text = f"{text} [{f.node.unit}]".strip()
    if text:
        schema = {**schema, "description": text}
    return schema


def _did_you_mean(value: Any, options: list[str] | tuple[str, ...]) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown_key(key: Any, names: list[str], at: At) -> None:
    at.sub(str(key)).error(key, "no such field; allowed: " + ", ".join(names) + _did_you_mean(key, names))


# --------------------------------------------------------------------------- rules


def _range_rule(lo_key: str, hi_key: str, unit: str, strict: bool):
    def rule(obj: dict, at: At) -> None:
        lo, hi = obj[lo_key], obj[hi_key]
        if hi < lo or (strict and hi == lo):
            at.sub(hi_key).error(hi, f"{hi_key} {'>' if strict else '>='} {lo_key} ({lo:g})")
            return
        source = obj.get("source", "")
        if source:
            checked = check_source(source, at.sub("source"))
            source = checked if isinstance(checked, str) else ""
        at.provenance.append(Provenance(at.file, at.entry, at.path, (lo, hi), unit, source))

    return rule


def Interval(unit: str, doc: str, hi: float | None = None) -> Obj:  # noqa: N802
    """An expert's 90% interval: a lognormal is fitted so that cdf(p5) = 0.05, cdf(p95) = 0.95."""
    return Obj(
        [
            F("p5", Num(unit=unit, lo=0.0, lo_open=True, hi=hi), doc="5th percentile"),
            F("p95", Num(unit=unit, lo=0.0, lo_open=True, hi=hi), doc="95th percentile"),
            F("source", Str(), False, "where the interval comes from"),
        ],
        doc=doc,
        unit=unit,
        checks=[_range_rule("p5", "p95", unit, strict=True)],
    )


def Uniform(unit: str, doc: str) -> Obj:  # noqa: N802
    return Obj(
        [
            F("low", Num(unit=unit, lo=0.0, hi=1.0)),
            F("high", Num(unit=unit, lo=0.0, hi=1.0)),
            F("source", Str(), False),
        ],
        doc=doc,
        unit=unit,
        checks=[_range_rule("low", "high", unit, strict=False)],
    )


def _fraction(doc: str) -> Quantity:
    return Quantity(doc=doc, unit="fraction 0-1", lo=0.0, hi=1.0)


def _money(doc: str, unit: str = "currency") -> Quantity:
    return Quantity(doc=doc, unit=unit, lo=0.0)


# --------------------------------------------------------------------------- enums

SITE_KINDS = ("self_built_dc", "leased_dc", "office", "other")
RISK_CATEGORIES = (
    "physical_acute", "physical_chronic", "policy_legal", "technology", "market", "reputation",
)
OPPORTUNITY_CATEGORIES = (
    "resource_efficiency", "energy_source", "products_services", "markets", "resilience",
)
IFRS_TYPES = ("physical", "transition")
HORIZON_NAMES = ("short", "medium", "long")
CONTROL_TYPES = ("preventive", "detective", "corrective", "transfer")
CONTROL_STATUSES = ("implemented", "planned", "retired")
METRIC_CATEGORIES = ("ghg", "energy", "water", "waste", "workforce", "other")
MODEL_TYPES = ("site_event", "entity_event", "cooling_energy", "carbon_cost", "annual_cost")

# --------------------------------------------------------------------------- register

MODEL = Tagged({
    "site_event": Obj([
        F("hazard", Id(), doc="hazard key of the sites' `hazards` and regions' `common_events`"),
        F("damage", Interval("fraction 0-1 of site replacement_value", "damage per event", hi=1.0)),
        F("downtime_days", Interval("days", "full-outage-equivalent downtime per event"), False),
    ], doc="Acute hazard events at the risk's sites (Poisson counts, lognormal severity)."),
    "entity_event": Obj([
        F("rate", Quantity(unit="events/yr", lo=0.0), doc="baseline annual rate"),
        F("severity", Interval("currency", "loss per event")),
        F("rate_driver", Id(), False, "scenario driver scaling the rate (value / baseline value)"),
    ], doc="Company-level events (a failed investment, a reputational event)."),
    "cooling_energy": Obj([
        F("sensitivity", Interval("fraction of site electricity per °C",
                                  "extra electricity per °C of local warming")),
    ], doc="Chronic heat: extra cooling electricity cost at the risk's sites."),
    "carbon_cost": Obj([
        F("emissions", ListOf(Id(), min_items=1), doc="metric ids summed [t CO2e/yr]"),
        F("exposed_share", Uniform("fraction 0-1", "share of those emissions priced")),
    ], doc="Carbon-price exposure: emissions x share x scenario carbon price x fx."),
    "annual_cost": Obj([
        F("cost", Interval("currency/yr", "recurring cost")),
        F("driver", Id(), False, "scenario driver scaling the cost (value / baseline value)"),
    ], doc="A recurring cost (or benefit) scaled by a scenario driver."),
})

REGISTER_META = Obj([
    F("format_version", Num(lo=1, hi=1, integer=True), doc="format version, 1"),
    F("id", Id(), doc="register id"),
    F("organisation", Str()),
    F("description", Str(), False),
    F("reporting_period", Obj([F("start", Date()), F("end", Date())])),
    F("as_of", Date(), doc="date the register describes; gap rules measure time from it"),
    F("currency", Str(pattern=re.compile(r"^[A-Z]{3}$"), pattern_text="an ISO 4217 code such as CNY"),
      doc="currency of every money amount"),
    F("baseline_year", Num(lo=1900, hi=2100, integer=True),
      doc="year the hazard rates and costs describe; scenario multipliers are 1 in this year"),
    F("horizons", Obj([
        F("short", Num(lo=1900, hi=2200, integer=True, unit="year")),
        F("medium", Num(lo=1900, hi=2200, integer=True, unit="year")),
        F("long", Num(lo=1900, hi=2200, integer=True, unit="year")),
    ]), doc="the years short, medium and long term mean"),
    F("documents", ListOf(Obj([
        F("id", Id()), F("title", Str()), F("publisher", Str(), False),
        F("year", Num(lo=1900, hi=2200, integer=True), False), F("locator", Str(), False),
    ]), entities=True), False, "documents that sources cite by id"),
    F("governance", Str(), doc="governance description (IFRS S2 6-7)"),
    F("risk_management", Str(), doc="risk-management process description (IFRS S2 24-26)"),
    F("parameters", Obj([
        F("electricity_price", _money("average electricity price", "currency/MWh"), False),
        F("fx_usd", Quantity(unit="currency per USD", lo=0.0, lo_open=True), False,
          "exchange rate for USD-denominated scenario drivers"),
    ]), False),
    F("disclosure", Obj([
        F("headcount_metric", Id(), False, "metric id of the headcount that intensities divide by"),
        F("revenue_metric", Id(), False, "metric id of revenue [currency] for intensities"),
        F("energy_metric", Id(), False, "metric id of total energy use [MWh]"),
        F("electricity_metric", Id(), False, "metric id of electricity use [MWh]"),
        F("renewable_electricity_metrics", ListOf(Id()), False,
          "metric ids of renewable electricity [MWh], summed"),
        F("reported_checks", ListOf(Obj([
            F("metric", Id(), doc="a reported figure, e.g. the report's scope 1+2 total"),
            F("computed", Enum(("ghg_scope12", "ghg_scope123", "ghg_scope12_per_head")),
              doc="the figure the tool computes and compares it with"),
        ])), False, "reported figures the report reconciles with computed ones"),
        F("physical_vulnerability_threshold", Quantity(unit="fraction of site value per year", lo=0.0),
          False, "a site is vulnerable to physical risk when its residual physical EAL in the long "
          "term reaches this share of its replacement value"),
        F("transition_vulnerability_rating", Quantity(unit="likelihood x impact, 1-25", lo=1, hi=25),
          False, "a site is vulnerable to transition risk when a transition risk naming it is rated "
          "at least this"),
        F("internal_carbon_price", Quantity(unit="currency/t CO2e", lo=0.0), False,
          "internal carbon price used in decisions, if any"),
        F("climate_capex", Quantity(unit="currency", lo=0.0), False,
          "capital expenditure deployed towards climate risks and opportunities in the period"),
        F("remuneration_link", Str(), False, "how climate is factored into executive pay"),
    ]), False, "inputs of the IFRS S2 metrics section"),
    F("iso22301", Obj([
        F("certification_cycle_years", Quantity(unit="years", lo=1, hi=10)),
        F("renewal", Enum(("renew", "lapse")), False,
          "renew: a certificate valid on as_of is renewed each cycle; lapse: it counts until expiry"),
        F("renewal_assumption", Str(), doc="the renewal assumption in words, for reports"),
    ]), False),
])

REGION = Obj([
    F("id", Id()), F("name", Str()),
    F("common_events", ListOf(Obj([
        F("hazard", Id()),
        F("rate", Quantity(unit="events/yr", lo=0.0), doc="regional events per year"),
        F("footprint", _fraction("probability one regional event strikes a given site")),
    ])), False, "regional events that can strike several sites in one year"),
])

SITE = Obj([
    F("id", Id()), F("name", Str()),
    F("kind", Enum(SITE_KINDS)),
    F("region", Id(), doc="a region id"),
    F("description", Str(), False),
    F("location", Obj([
        F("lat", Num(unit="°", lo=-90, hi=90)), F("lon", Num(unit="°", lo=-180, hi=180)),
        F("source", Str(), False),
    ]), False),
    F("replacement_value", _money("value of the company's assets at the site")),
    F("interruption_cost_per_day", _money("cost of one day of full outage", "currency/day")),
    F("electricity_mwh", Quantity(unit="MWh/yr", lo=0.0), False, "annual electricity use"),
    F("pue", Quantity(unit="-", lo=1.0, hi=5.0), False, "power usage effectiveness"),
    F("renewable_share", _fraction("share of electricity from renewables"), False),
    F("iso22301", Obj([
        F("certified", Bool()),
        F("valid_until", Nullable(Date())),
        F("source", Str(), False),
    ]), False, "ISO 22301 certificate"),
    F("rto_days", Quantity(unit="days", lo=0.0), False, "recovery time objective"),
    F("mtpd_days", Quantity(unit="days", lo=0.0), False, "maximum tolerable period of disruption"),
    F("hazards", MapOf(Quantity(unit="events/yr", lo=0.0)), False,
      "site-local baseline rates of damaging events, by hazard"),
    F("source", Str(), False),
])

_COMMON_RISK_FIELDS = [
    F("time_horizons", ListOf(Enum(HORIZON_NAMES), min_items=1)),
    F("owner", Nullable(Str()), False, "accountable role or team"),
    F("sites", Selector(), False, "sites the risk applies to"),
    F("models", ListOf(MODEL, min_items=1), doc="quantitative components; the loss is their sum"),
    F("source", Str(), False),
]

RISK = Obj([
    F("id", Id()), F("title", Str()),
    F("category", Enum(RISK_CATEGORIES)),
    F("ifrs_s2_type", Enum(IFRS_TYPES)),
    F("impact", Str(), doc="impact narrative"),
    F("rating", Obj([
        F("likelihood", Num(lo=1, hi=5, integer=True)),
        F("impact", Num(lo=1, hi=5, integer=True)),
    ]), doc="qualitative inherent rating, 1-5 each"),
    F("controls", ListOf(Id()), False, "ids of the controls that mitigate the risk"),
    *_COMMON_RISK_FIELDS,
])

OPPORTUNITY = Obj([
    F("id", Id()), F("title", Str()),
    F("category", Enum(OPPORTUNITY_CATEGORIES)),
    F("ifrs_s2_type", Enum(IFRS_TYPES)),
    F("description", Str()),
    *_COMMON_RISK_FIELDS,
])

CONTROL = Obj([
    F("id", Id()), F("title", Str()),
    F("description", Str(), False),
    F("type", Enum(CONTROL_TYPES)),
    F("status", Enum(CONTROL_STATUSES)),
    F("effective_year", Num(lo=1900, hi=2200, integer=True), False,
      "year the control takes effect (required when planned)"),
    F("retired_year", Num(lo=1900, hi=2200, integer=True), False, "year the control stopped"),
    F("planned_on", Date(), False,
      "date the control was decided or planned; effective_year cannot be before its year"),
    F("sites", Selector(), False,
      "limit the control to these sites (default: all); a site-scoped control does not act on "
      "company-level components"),
    F("components", ListOf(Enum(MODEL_TYPES), min_items=1), False,
      "model types the control acts on (default: every component of the risks it mitigates)"),
    F("effect", Obj([
        F("frequency", _fraction("fractional reduction of event frequency"), False),
        F("severity", _fraction("fractional reduction of loss per event or of cost"), False),
        F("downtime", _fraction("fractional reduction of downtime days"), False),
        F("deductible", _money("transfer: retained loss per event"), False),
        F("limit", _money("transfer: largest recovery per event"), False),
    ]), False),
    F("iso22301_clauses", ListOf(Enum(iso22301_clause_ids)), False,
      "ISO 22301 clause-8 elements the control evidences"),
    F("owner", Nullable(Str()), False),
    F("last_tested", Nullable(Date()), False),
    F("annual_cost", _money("annual cost of the control", "currency/yr"), False),
    F("source", Str(), False),
])

METRIC = Obj([
    F("id", Id()), F("name", Str()),
    F("category", Enum(METRIC_CATEGORIES)),
    F("scope", Num(lo=1, hi=3, integer=True), False, "GHG scope (ghg metrics only)"),
    F("unit", Str()),
    F("year", Num(lo=1900, hi=2200, integer=True)),
    F("value", Quantity(lo=0.0)),
    F("description", Str(), False),
])

_POINT = Obj([F("year", Num(lo=1900, hi=2200, integer=True)), F("value", Quantity())])

TARGET = Obj([
    F("id", Id()), F("title", Str()),
    F("metric", Id(), False, "metric id the target tracks"),
    F("unit", Str()),
    F("baseline", _POINT), F("target", _POINT), F("latest", _POINT, False),
    F("direction", Enum(("reduce_to", "raise_to", "at_most", "at_least")), False,
      "reduce_to / raise_to: move from baseline to target (progress is the share of the way "
      "covered); at_most / at_least: a limit to stay within (met or not). Default: inferred "
      "from baseline and target"),
    F("source", Str(), False),
])

REGISTER_FILES: dict[str, Obj] = {
    "register.yaml": REGISTER_META,
    "sites.yaml": Obj([
        F("regions", ListOf(REGION, entities=True), False),
        F("sites", ListOf(SITE, entities=True, min_items=1)),
    ]),
    "risks.yaml": Obj([F("risks", ListOf(RISK, entities=True, min_items=1))]),
    "opportunities.yaml": Obj([F("opportunities", ListOf(OPPORTUNITY, entities=True))]),
    "controls.yaml": Obj([F("controls", ListOf(CONTROL, entities=True))]),
    "metrics.yaml": Obj([
        F("metrics", ListOf(METRIC, entities=True), False),
        F("targets", ListOf(TARGET, entities=True), False),
    ]),
}
REQUIRED_FILES = ("register.yaml", "sites.yaml", "risks.yaml")

# --------------------------------------------------------------------------- scenario

SERIES = Obj([
    F("unit", Str()),
    F("description", Str()),
    F("source", Str()),
    F("values", MapOf(Num(), key=Num(lo=1900, hi=2300, integer=True)),
      doc="year -> value; linear interpolation between listed years"),
    F("notes", Str(), False),
])

SCENARIO = Obj([
    F("format_version", Num(lo=1, hi=1, integer=True)),
    F("id", Id()), F("name", Str()),
    F("aliases", ListOf(Str()), False, "other names accepted, case-insensitive"),
    F("cmip6", Str(), doc="CMIP6 counterpart, e.g. SSP2-4.5"),
    F("transition", Obj([F("ngfs", ListOf(Str())), F("narrative", Str())])),
    F("description", Str()),
    F("baseline_year", Num(lo=1900, hi=2100, integer=True)),
    F("limits", ListOf(Str()), False),
    F("drivers", MapOf(SERIES)),
    F("hazards", MapOf(MapOf(SERIES, key=Enum(("frequency", "severity"))))),
    F("notes", Str(), False),
])


# --------------------------------------------------------------------------- outputs


def json_schema() -> dict:
    """The JSON Schema of a register folder: one sub-schema per file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "climaterisk register",
        "description": "A register is a folder of YAML files; each property is one file.",
        "type": "object",
        "properties": {name: spec.json_schema() for name, spec in REGISTER_FILES.items()},
        "required": list(REQUIRED_FILES),
        "$defs": {"scenario": SCENARIO.json_schema()},
    }


def field_rows(node: Node, prefix: str = "") -> list[tuple[str, str, str, str, str]]:
    """Rows (field, type, unit, required, description) for the docs, depth first."""
    rows = []
    for name, child, required, doc in node.children():
        path = f"{prefix}.{name}" if prefix and not name.startswith("[") else prefix + name
        if name == "[]" or name == "<key>" or name.startswith("("):
            if name.startswith("("):
                rows.append((f"{prefix} {name}", "", "", "", doc))
                rows.extend(field_rows(child, prefix))
            else:
                rows.extend(field_rows(child, path))
            continue
        unit = child.unit
        text = doc or child.doc
        rows.append((path, child.type_name(), unit, "yes" if required else "no", text))
        rows.extend(field_rows(child, path))
    return rows


def markdown_reference() -> str:
    """Markdown field tables for every register file and for scenario files."""
    out = []
    specs = [*REGISTER_FILES.items(), ("scenarios/<id>.yaml", SCENARIO)]
    for name, spec in specs:
        out.append(f"### `{name}`\n")
        out.append("| field | type | unit | required | meaning |")
        out.append("|---|---|---|---|---|")
        for path, kind, unit, required, doc in field_rows(spec):
            cells = [f"`{path}`", kind, unit, required, doc]
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    return "\n".join(out)

"""The building blocks the register's file specs share: the enumerations of the formats, the
site selector (:class:`Selector`) and the shorthands for a fraction and a money amount.

:mod:`climaterisk.register.schema` re-exports the enumerations and :class:`Selector`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from climaterisk.register.fields import (
    INVALID,
    At,
    Enum,
    F,
    Id,
    ListOf,
    Node,
    Obj,
    Quantity,
)

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
METRIC_PERIODS = ("annual", "cumulative", "lowest", "highest", "point")
MODEL_TYPES = ("site_event", "entity_event", "cooling_energy", "cooling_water", "carbon_cost", "annual_cost")
ISO_STATUSES = ("company", "lessor", "not_certified", "unknown")
"""ISO 22301 status of a site: certified under the company's own BCMS (``company``), covered only by
the lessor's or operator's certificate (``lessor``), known not to be certified (``not_certified``),
or no information (``unknown``: neither certified nor a certification gap)."""


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


def fraction(doc: str) -> Quantity:
    return Quantity(doc=doc, unit="fraction 0-1", lo=0.0, hi=1.0)


def money(doc: str, unit: str = "currency") -> Quantity:
    return Quantity(doc=doc, unit=unit, lo=0.0)

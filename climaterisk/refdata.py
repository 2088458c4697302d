"""Reference tables shipped as package data (ISO 22301 clauses, emission factors, the IFRS S2 / HKEX
Part D disclosure index), with their sources."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml


@cache
def iso22301() -> dict:
    """The ISO 22301:2019 clause-8 table: ``{standard, source, clauses: [{id, title, coverage}]}``."""
    text = resources.files("climaterisk").joinpath("data/iso22301.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def iso22301_clause_ids() -> tuple[str, ...]:
    """Clause numbers a control may cite, e.g. ``("8.1", "8.2", "8.2.2", ...)``."""
    return tuple(str(c["id"]) for c in iso22301()["clauses"])


EMISSION_FACTOR_FILES = ("cn-grid-mee.yaml", "report-implied.yaml", "fuels-ipcc2006.yaml")
"""The emission-factor library files under ``data/emission_factors/``, in reading order."""


@cache
def emission_factor_library() -> dict[str, dict]:
    """The shipped emission factors by id: ``{id, value, unit, year, applies_to, gases, basis,
    checked, source, library, version, grid?, components?}``.

    ``value`` is in ``unit`` (t CO2 or t CO2e per unit of activity). A fuel factor given as net
    calorific value [GJ/unit] x per-energy factors [kg gas/TJ] gets its value computed here with the
    file's 100-year GWPs: ``ncv x sum(kg/TJ x gwp) / 1e6``; its ``components`` keep the parts.
    Raises ``ValueError`` for a factor without a source or value (a packaging error, pinned by tests).
    """
    out: dict[str, dict] = {}
    folder = resources.files("climaterisk").joinpath("data/emission_factors")
    for name in EMISSION_FACTOR_FILES:
        doc = yaml.safe_load(folder.joinpath(name).read_text("utf-8"))
        gwp = doc.get("gwp") or {}
        for raw in doc["factors"]:
            f = dict(raw, library=doc["library"], version=str(doc["version"]))
            if not str(f.get("source", "")).strip():
                raise ValueError(f"emission factor {f.get('id')!r} in {name} has no source")
            if "value" not in f:
                ncv = f["ncv"]["value"]
                per_tj = f["per_tj"]
                weighted = sum(kg * gwp[gas] for gas, kg in per_tj.items())
                f["value"] = ncv * weighted / 1e6
                f["components"] = {"ncv_gj_per_unit": ncv, "ncv_source": f["ncv"]["source"],
                                   "kg_per_tj": dict(per_tj), "gwp": {k: gwp[k] for k in per_tj},
                                   "gwp_source": gwp["source"]}
            f["value"] = float(f["value"])
            out[f["id"]] = f
    return out


@cache
def disclosure_index() -> dict:
    """The disclosure index (``data/disclosure_index.yaml``): ``{standard, items: [{id, framework,
    paragraph, pillar, where, how, check, element, mirrors?, phasing?}]}``; ``element`` is a short
    description in the tool's own words, ``check`` names the rule that gives the item its status."""
    text = resources.files("climaterisk").joinpath("data/disclosure_index.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def disclosure_item_ids() -> tuple[str, ...]:
    """The ids of the disclosure-index items, e.g. ``("s2-6a", ..., "hkex-targets")``."""
    return tuple(str(i["id"]) for i in disclosure_index()["items"])

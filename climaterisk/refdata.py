"""Reference tables shipped as package data (ISO 22301 clauses), with their sources."""

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

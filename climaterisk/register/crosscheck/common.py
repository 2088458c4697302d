"""The shared ground of the cross-file checks: a register folder's files and entries as the checks
read them, the ids each kind of entry declares (unique within their kind), references to them
(reported with the declared ids and the closest match), site selectors resolved into site ids,
and the sources, which must cite a declared document or be an assumption.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from climaterisk.errors import Problem
from climaterisk.register import schema


@dataclass(frozen=True)
class Files:
    """The paths of a register folder's files, as problems name them."""

    reg: str
    sites: str
    risks: str
    opps: str
    controls: str
    metrics: str
    bia: str

    @classmethod
    def of(cls, folder: Path) -> Files:
        """The files of ``folder`` (whether they exist or not)."""
        names = ("register.yaml", "sites.yaml", "risks.yaml", "opportunities.yaml", "controls.yaml",
                 "metrics.yaml", "bia.yaml")
        return cls(*(str(folder / n) for n in names))


@dataclass(frozen=True)
class Entries:
    """The entries of a register's files (as checked by the field specs), kind by kind."""

    files: Files
    meta: dict
    sites: list[dict]
    regions: list[dict]
    risks: list[dict]
    opps: list[dict]
    controls: list[dict]
    metrics: list[dict]
    targets: list[dict]
    activities: list[dict]
    has_ghg: bool = False  # the register has a ghg.yaml (projected carbon costs stand on it)

    @classmethod
    def of(cls, folder: Path, data: dict[str, dict]) -> Entries:
        """The entries of the files read from ``folder`` (``data``: file name -> content)."""
        return cls(
            files=Files.of(folder), meta=data["register.yaml"],
            sites=data["sites.yaml"].get("sites", []), regions=data["sites.yaml"].get("regions", []),
            risks=data["risks.yaml"].get("risks", []),
            opps=data.get("opportunities.yaml", {}).get("opportunities", []),
            controls=data.get("controls.yaml", {}).get("controls", []),
            metrics=data.get("metrics.yaml", {}).get("metrics", []),
            targets=data.get("metrics.yaml", {}).get("targets", []),
            activities=data.get("bia.yaml", {}).get("activities", []),
            has_ghg="ghg.yaml" in data,
        )


@dataclass(frozen=True)
class Ids:
    """The ids declared by each kind of entry that other entries may refer to."""

    documents: set[str]
    regions: set[str]
    sites: set[str]
    controls: set[str]
    metrics: set[str]


def unique(items: list[dict], file: str, what: str, problems: list[Problem]) -> set[str]:
    """The ids of ``items``; reports each id used a second time in the file."""
    seen: set[str] = set()
    for item in items:
        if item["id"] in seen:
            problems.append(Problem(
                file, item["id"], "id", item["id"], f"a {what} id not used before in the file"
            ))
        seen.add(item["id"])
    return seen


def unique_ids(reg: Entries, problems: list[Problem]) -> Ids:
    """Ids are unique within their kind; returns the ids of the kinds that are referred to."""
    f = reg.files
    doc_ids = unique(reg.meta.get("documents", []), f.reg, "document", problems)
    region_ids = unique(reg.regions, f.sites, "region", problems)
    site_ids = unique(reg.sites, f.sites, "site", problems)
    unique(reg.risks, f.risks, "risk", problems)
    unique(reg.opps, f.opps, "opportunity", problems)
    control_ids = unique(reg.controls, f.controls, "control", problems)
    metric_ids = unique(reg.metrics, f.metrics, "metric", problems)
    unique(reg.targets, f.metrics, "target", problems)
    return Ids(doc_ids, region_ids, site_ids, control_ids, metric_ids)


def ref(
    ids: set[str], value: str, file: str, entry: str, fld: str, what: str, problems: list[Problem]
) -> None:
    """Reports ``value`` unless it is one of ``ids`` (the declared ids of a ``what``)."""
    if value not in ids:
        close = difflib.get_close_matches(value, sorted(ids), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(sorted(ids)) if len(ids) <= 12 else f"{len(ids)} known ids"
        known = known or "none declared"
        problems.append(Problem(file, entry, fld, value, f"the id of a {what} ({known}){hint}"))


def select_sites(
    selector: dict | None, file: str, entry: str, fld: str, reg: Entries, ids: Ids,
    problems: list[Problem],
) -> list[str]:
    """The sorted ids of the sites a site selector chooses; reports the ids and regions it names
    that are not declared."""
    if selector is None:
        return []
    if selector.get("all"):
        return [s["id"] for s in reg.sites]
    for sid in selector.get("ids", []):
        ref(ids.sites, sid, file, entry, f"{fld}.ids" if len(selector) > 1 else fld, "site", problems)
    for rid in selector.get("region", []):
        ref(ids.regions, rid, file, entry, f"{fld}.region", "region", problems)
    filtered = "kind" in selector or "region" in selector
    chosen = {
        s["id"] for s in reg.sites
        if filtered
        and ("kind" not in selector or s["kind"] in selector["kind"])
        and ("region" not in selector or s["region"] in selector["region"])
    }
    chosen |= set(selector.get("ids", [])) & ids.sites
    return sorted(chosen)


def check_sources(provenance: list[schema.Provenance], doc_ids: set[str], problems: list[Problem]) -> None:
    """Every source names a declared document, or is an assumption."""
    for row in provenance:
        if row.source:
            doc = schema.SOURCE_PATTERN.match(row.source).group(1)
            if doc.lower() != "assumption" and doc not in doc_ids:
                close = difflib.get_close_matches(doc, sorted(doc_ids), n=1)
                problems.append(Problem(
                    row.file, row.entry, f"{row.field}.source", row.source,
                    "'assumption: <basis>' or '<document id>: <locator>' with a document of "
                    f"register.yaml ({', '.join(sorted(doc_ids)) or 'none declared'})"
                    + (f" (did you mean {close[0]!r}?)" if close else ""),
                ))

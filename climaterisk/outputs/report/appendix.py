"""The appendix tables and those of the report's traceability section: the risk register, controls,
site exposure, scenario analysis by category, metrics, inputs and sources (or the assumptions
only) and the run manifest.
"""

from __future__ import annotations

from pathlib import Path

from climaterisk.analysis.results import Assessment
from climaterisk.outputs.report import marks
from climaterisk.outputs.report.document import Table


def risk_register_table(result: Assessment) -> Table:
    reg = result.register
    rows = []
    for risk in sorted(reg.risks, key=lambda r: (r.category, r.id)):
        controls = "; ".join(f"{c} {reg.control(c).title}" for c in risk.control_ids)
        rows.append([risk.category.replace("_", " "), f"{risk.id} {risk.title}",
                     " ".join(risk.narrative.split()), controls or "none"])
    return Table("risk_register", "Climate risk register", ["category", "risk", "impact", "controls"],
                 ["text"] * 4, rows)


def controls_table(result: Assessment) -> Table:
    reg = result.register
    mitigates = {c.id: [r.id for r in reg.risks if c.id in r.control_ids] for c in reg.controls}
    rows = []
    for c in sorted(reg.controls, key=lambda c: (len(c.id), c.id)):
        status = f"{c.status} ({c.effective_year})" if c.effective_year else c.status
        rows.append([c.id, c.title, c.type, status, ", ".join(mitigates[c.id]) or "-",
                     ", ".join(c.clauses) or "-", c.owner or "-",
                     c.last_tested.isoformat() if c.last_tested else "never",
                     c.last_incident_review.isoformat() if c.last_incident_review else "-"])
    return Table("controls", "Controls", ["id", "control", "type", "status", "risks", "ISO 22301 clauses",
                                          "owner", "last tested / exercised", "last post-incident review"],
                 ["text"] * 9, rows)


def site_exposure_table(result: Assessment) -> Table:
    reg = result.register
    sites = {s.id: s for s in reg.sites}
    rows = []
    for h in result.horizons:
        for line in h.by_site:
            s = sites.get(line.id)
            rows.append([h.year, line.id, s.kind.replace("_", " ") if s else "company level",
                         s.region if s else "", s.replacement_value if s else None,
                         marks.input_mark(reg, s.id, "replacement_value") if s else "-",
                         line.inherent.mean, line.residual.mean, line.residual.var99])
    return Table("site_exposure", f"Site exposure under {result.scenario.id}",
                 ["year", "site", "kind", "region", "asset value", "asset value mark", "EAL inherent",
                  "EAL residual", "VaR 99% residual"],
                 ["int", "text", "text", "text", "money", "text", *["money"] * 3], rows,
                 note="Asset value mark: reported or assumed (see the inputs table); the losses are "
                 "derived (simulated).")


def scenario_category_table(results: list[Assessment]) -> Table:
    rows = []
    for r in results:
        for h in r.horizons:
            for c in h.by_category:
                rows.append([r.scenario.id, h.year, c.id.replace("_", " "), c.inherent.mean,
                             c.residual.mean, c.inherent.var99, c.residual.var99])
    return Table("scenario_by_category", "Scenario analysis by category",
                 ["scenario", "year", "category", "EAL inherent", "EAL residual",
                  "VaR 99% inherent", "VaR 99% residual"],
                 ["text", "int", "text", *["money"] * 4], rows)


def metrics_table(result: Assessment) -> Table:
    reg = result.register
    rows = [[m.id, m.name, m.category, m.scope, m.year, m.value, m.unit,
             marks.input_mark(reg, m.id, "value")] for m in reg.metrics]
    return Table("metrics", "Metrics", ["id", "metric", "category", "scope", "year", "value", "unit",
                                        "mark"],
                 ["text", "text", "text", "int", "int", "num", "text", "text"], rows)


def inputs_table(result: Assessment, assumptions_only: bool = False) -> Table:
    rows = []
    for p in result.register.provenance:
        if assumptions_only and not p.is_assumption:
            continue
        value = "-".join(f"{v:g}" for v in p.value) if isinstance(p.value, tuple) else p.value
        source = p.source.split(":", 1)[1].strip() if assumptions_only else p.source
        rows.append([Path(p.file).name, p.entry, p.field, value, p.unit, source or "(no source)"])
    title = "Inputs marked as assumptions, with their basis" if assumptions_only else "Inputs and sources"
    return Table("assumptions" if assumptions_only else "inputs", title,
                 ["file", "entry", "field", "value", "unit", "basis" if assumptions_only else "source"],
                 ["text", "text", "text", "auto", "text", "text"], rows)


def manifest_table(results: list[Assessment]) -> Table:
    rows = []
    for r in results:
        m = r.manifest
        rows.append(["scenario", r.scenario.id])
        for name, digest in m["inputs_sha256"].items():
            rows.append([f"sha256 {name}", digest])
    m = results[0].manifest
    head = [["tool", f"climaterisk {m['version']} (Python {m['python']}, numpy {m['numpy']})"],
            ["seed", m["seed"]], ["trials per horizon", m["trials"]],
            ["chunk / block trials", f"{m['chunk_trials']} / " + (
                ", ".join(f"{y}: {b}" for y, b in m["block_trials"].items())
                if isinstance(m["block_trials"], dict) else str(m["block_trials"]))],
            ["random numbers", m["rng"]], ["run at (UTC)", m["time_utc"]]]
    return Table("manifest", "Run manifest", ["item", "value"], ["text", "text"], head + rows)

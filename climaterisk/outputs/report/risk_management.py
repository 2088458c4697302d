"""The tables of the report's Risk management section (IFRS S2 24-26): the inherent ratings, the
movement since the previous review, ISO 22301 certification by site kind and the register's gaps.
"""

from __future__ import annotations

from climaterisk.analysis import coverage, graph
from climaterisk.analysis.results import Assessment
from climaterisk.outputs.report.document import Table


def rating_table(result: Assessment) -> Table:
    counts: dict[tuple[int, int], list[str]] = {}
    for r in result.register.risks:
        if r.likelihood:
            counts.setdefault((r.likelihood, r.impact), []).append(r.id)
    rows = [[lik, imp, lik * imp, len(ids), ", ".join(ids)]
            for (lik, imp), ids in sorted(counts.items(), key=lambda x: -x[0][0] * x[0][1])]
    return Table("ratings", "Distribution of inherent ratings",
                 ["likelihood", "impact", "score", "risks", "ids"], ["int", "int", "int", "int", "text"],
                 rows)


def movement_table(moves: list[dict], label: str, currency: str) -> Table:
    rows = [[m["year"], m["id"], m["title"], m["eal_before"], m["eal_after"], m["eal_change"],
             "yes" if m["significant"] else "no"] for m in moves]
    return Table("movement", f"Movement of residual EAL since the previous review ({label}; {currency} "
                 "per year)", ["year", "id", "title", "before", "now", "change", "beyond sampling error"],
                 ["int", "text", "text", "money", "money", "money", "text"], rows,
                 note="Beyond sampling error: the change exceeds twice the standard error of two independent "
                      "runs (the last snapshot's trials are not stored), an upper bound; climaterisk review "
                      "gives the paired standard error and each change's own effect.")


def certification_table(result: Assessment) -> Table:
    reg = result.register
    periods = [("as of " + reg.as_of.isoformat(), coverage.certification_coverage(reg))]
    periods += [(str(h.year), coverage.certification_coverage(reg, h.year)) for h in result.horizons]
    rows = [[label, r["site_kind"].replace("_", " "), r["company"], r["lessor"], r["not_certified"],
             r["unknown"], r["certified"], r["sites"], r["share_by_count"], r["share_by_value"]]
            for label, period in periods for r in period]
    return Table("iso22301_certification", "ISO 22301 certification by site kind",
                 ["when", "site kind", "company BCMS", "lessor", "not certified", "unknown", "certified",
                  "sites", "share by count", "share by value"],
                 ["text", "text", "int", "int", "int", "int", "int", "int", "pct", "pct"], rows,
                 note="company BCMS: certified under the company's own business continuity management "
                 "system; lessor: covered by the lessor's or operator's certificate (not the company's "
                 "BCMS); unknown: the register has no information (counted neither as certified nor as "
                 f"a gap). Renewal assumption: {reg.renewal_assumption or reg.renewal}")


def gaps_table(result: Assessment) -> Table:
    """The register's gaps as of its date; a finding resting on an assumed input says so."""
    reg = result.register
    found = graph.find_gaps(reg)
    rows = [[g.rule, g.entity, g.reason, "assumed input" if g.assumed else "-"] for g in found]
    assumed = sum(bool(g.assumed) for g in found)
    return Table("gaps", f"Gaps in the register as of {reg.as_of.isoformat()}",
                 ["rule", "where", "finding", "rests on"], ["text"] * 4, rows,
                 note=f"{assumed} of {len(found)} findings rest on inputs the register marks as "
                 "assumptions (the basis is given in the finding); they are not facts about the company.")

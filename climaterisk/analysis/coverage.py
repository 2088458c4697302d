"""ISO 22301 coverage: certification, clause-8 evidence, and exposure by Monte Carlo.

Three views of how much of the exposure business-continuity management covers:

1. **Certification** by site kind, by count and by replacement value, as of the register's
   date and at each horizon, separating the company's own BCMS certificates, the lessor's or
   operator's certificates, sites known not to be certified and sites with no information
   (``unknown``), under the register's renewal assumption (``renew``: a certificate
   valid on the as-of date is renewed every cycle; ``lapse``: it counts only until it expires).
2. **Clause coverage**: for each clause-8 element (8.2.2 BIA, 8.2.3 risk assessment, 8.3
   strategies, 8.4 plans, 8.5 exercises, 8.6 evaluation) and each risk, the site kinds where a
   control in force evidences it (a control citing 8.2 evidences 8.2.2 and 8.2.3); gaps only
   for disruption risks (acute physical, or with a downtime model).
3. **Exposure** (simulated): the shares of disruptive events, downtime days and losses that
   fall on certified sites, and the chances of outages longer than RTO or MTPD, collected per
   trial by :class:`climaterisk.model.observer.ExposureObserver` during the simulation.

This module holds the first two, which read the register only.
"""

from __future__ import annotations

from climaterisk.refdata import iso22301
from climaterisk.register import Register
from climaterisk.register.certification import CERTIFIED_STATUSES, status_in
from climaterisk.register.schema import ISO_STATUSES


def certification_coverage(register: Register, year: int | None = None) -> list[dict]:
    """ISO 22301 status of the sites by kind (and ``all``), by count and by replacement value
    [currency]: certified under the company's BCMS (``company``), under the lessor's or
    operator's certificate (``lessor``), ``not_certified`` and ``unknown`` (no information).
    ``certified`` is company + lessor; the shares divide by every site of the kind, so an
    unknown site counts neither as certified nor as a gap."""
    rows = []
    kinds = sorted({s.kind for s in register.sites})
    ordered = sorted(register.sites, key=lambda s: s.id)  # the file's order must not matter
    for kind in [*kinds, "all"]:
        sites = [s for s in ordered if kind in ("all", s.kind)]
        status = {s.id: status_in(register, s, year) for s in sites}
        by_status = {st: [s.id for s in sites if status[s.id] == st] for st in ISO_STATUSES}
        cert = [s for s in sites if status[s.id] in CERTIFIED_STATUSES]
        value = sum(s.replacement_value for s in sites)
        cert_value = sum(s.replacement_value for s in cert)
        rows.append({
            "site_kind": kind, "sites": len(sites), "certified": len(cert),
            **{st: len(ids) for st, ids in by_status.items()},
            "share_by_count": len(cert) / len(sites) if sites else 0.0,
            "value": value, "certified_value": cert_value,
            "share_by_value": cert_value / value if value else 0.0,
            **{f"{st}_share_by_count": len(ids) / len(sites) if sites else 0.0
               for st, ids in by_status.items()},
            "certified_sites": [s.id for s in cert],
            "sites_by_status": by_status,
        })
    return rows


def coverage_clauses() -> list[dict]:
    """The clause-8 elements coverage is measured against (package data, with source)."""
    return [c for c in iso22301()["clauses"] if c["coverage"]]


def _evidences(cited: str, clause: str) -> bool:
    return clause == cited or clause.startswith(cited + ".")


def clause_coverage(register: Register, year: int) -> dict:
    """Risk x clause matrix: the site kinds where some control in force in ``year`` and linked
    to the risk evidences the clause (8.2.2 is also evidenced at the kinds of the sites a BIA
    activity of ``bia.yaml`` depends on); and the gaps (kinds without such a control). Clause 8
    applies to disruption risks only (:attr:`Risk.is_disruption`: acute physical risks and risks
    with a downtime model): other risks are listed with ``applicable`` false and raise no gap."""
    clauses = coverage_clauses()
    matrix, gaps = [], []
    bia_kinds = {register.site(s).kind for a in register.bia for s in a.site_ids}  # 8.2.2 evidence
    for risk in sorted(register.risks, key=lambda r: r.id):
        controls = [register.control(c) for c in risk.control_ids]
        controls = [c for c in controls if c.in_force(year)]
        kinds = sorted({register.site(s).kind for s in risk.site_ids}) or ["company"]
        applicable = risk.is_disruption
        cells = {}
        for clause in clauses:
            covered = []
            for kind in kinds:
                sites = [s for s in risk.site_ids if register.site(s).kind == kind] or [None]
                if (clause["id"] == "8.2.2" and kind in bia_kinds) or any(
                    any(_evidences(cited, clause["id"]) for cited in c.clauses)
                    and all(c.applies_to(s) for s in sites)
                    for c in controls
                ):
                    covered.append(kind)
            missing = [k for k in kinds if k not in covered] if applicable else []
            cells[clause["id"]] = {"covered_kinds": covered, "missing_kinds": missing}
            if missing:
                gaps.append({"risk": risk.id, "clause": clause["id"], "site_kinds": missing})
        share = sum(bool(c["covered_kinds"]) and not c["missing_kinds"] for c in cells.values())
        matrix.append({"risk": risk.id, "title": risk.title, "category": risk.category,
                       "applicable": applicable, "site_kinds": kinds, "clauses": cells,
                       "fully_covered_share": share / len(clauses) if applicable else None})
    return {"year": year, "clauses": [{"id": c["id"], "title": c["title"]} for c in clauses],
            "matrix": matrix, "gaps": gaps, "source": iso22301()["source"],
            "applies_to": "disruption risks: acute physical risks and any risk with a downtime model"}


def bia_summary(register: Register) -> list[dict]:
    """The business impact analysis (ISO 22301 8.2.2): each prioritised activity with its MTPD
    and RTO [days], RPO [hours], MBCO and dependencies, and the ISO 22301 status of each site it
    depends on as of the register's date."""
    out = []
    for a in sorted(register.bia, key=lambda a: (a.priority or 99, a.id)):
        out.append({
            "id": a.id, "name": a.name, "priority": a.priority, "mtpd_days": a.mtpd_days,
            "rto_days": a.rto_days, "rpo_hours": a.rpo_hours, "mbco": a.mbco,
            "depends_on_sites": [{"site": sid, "iso22301": status_in(register, register.site(sid))}
                                 for sid in a.site_ids],
            "depends_on_activities": list(a.activity_ids),
        })
    return out

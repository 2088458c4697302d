"""The committee's decisions in the register: treatment decisions taken between two registers, and
decisions due for review on a date. Pure functions of the registers: no simulation, no printing.

A risk's ``treatment`` (risks.yaml) holds its decision (mitigate, transfer, accept, avoid), the
approver, the date taken, the rationale and the review date; its ``residual_rating`` the committee's
residual likelihood and impact (1-5 each). See :class:`climaterisk.register.Treatment`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from climaterisk.register import Register, Risk

if TYPE_CHECKING:
    from climaterisk.analysis.results import Assessment

TREATMENT_FIELDS = ("decision", "approver", "date", "rationale", "review_date", "source")
"""The fields of a treatment decision, in the order they are listed."""


def _treatment(risk: Risk | None) -> dict | None:
    return None if risk is None or risk.treatment is None else risk.treatment.as_dict()


def _residual(risk: Risk | None) -> dict | None:
    if risk is None or risk.residual_likelihood is None:
        return None
    return {"likelihood": risk.residual_likelihood, "impact": risk.residual_impact}


def decisions_between(old: Register, new: Register) -> list[dict]:
    """Treatment decisions (and residual ratings) added, changed or removed from ``old`` to ``new``,
    one row per risk, by risk id.

    Each row: ``risk`` (id), ``title``, ``change`` ("added", "changed" or "removed": of the treatment
    block; "rating changed" when only the residual rating moved), ``before`` and ``after`` (the
    treatment's fields as in :data:`TREATMENT_FIELDS`, dates ISO text; None when absent),
    ``fields`` (the names of the treatment fields that differ, in :data:`TREATMENT_FIELDS` order)
    and ``residual_rating`` (``{"before": ..., "after": ...}``, each ``{"likelihood", "impact"}``
    or None) when the residual rating changed. A risk added with a treatment counts as a decision
    added; a risk removed with one, as removed.
    """
    before = {r.id: r for r in old.risks}
    after = {r.id: r for r in new.risks}
    rows = []
    for rid in sorted(set(before) | set(after), key=lambda i: (len(i), i)):
        b, a = _treatment(before.get(rid)), _treatment(after.get(rid))
        rb, ra = _residual(before.get(rid)), _residual(after.get(rid))
        if b == a and rb == ra:
            continue
        if b == a:  # only the residual rating moved
            change = "rating changed"
        else:
            change = "added" if b is None else "removed" if a is None else "changed"
        fields = [f for f in TREATMENT_FIELDS if (b or {}).get(f) != (a or {}).get(f)]
        risk = after.get(rid) or before[rid]
        row = {"risk": rid, "title": risk.title, "change": change, "before": b, "after": a,
               "fields": fields}
        if rb != ra:
            row["residual_rating"] = {"before": rb, "after": ra}
        rows.append(row)
    return rows


def decisions_due(register: Register, as_of: dt.date) -> list[dict]:
    """Treatment decisions whose review date is before ``as_of`` (the date assessed: the end of the
    quarter reviewed, else the register's ``as_of``), by risk id.

    Each row: ``risk``, ``title``, ``decision``, ``approver``, ``date``, ``review_date`` (ISO text)
    and ``days_overdue`` (``as_of - review_date`` [days], > 0). A decision without a review date is
    never due.
    """
    rows = []
    for risk in sorted(register.risks, key=lambda r: (len(r.id), r.id)):
        t = risk.treatment
        if t is None or t.review_date is None or t.review_date >= as_of:
            continue
        rows.append({"risk": risk.id, "title": risk.title, "decision": t.decision, "approver": t.approver,
                     "date": t.date.isoformat() if t.date else None,
                     "review_date": t.review_date.isoformat(),
                     "days_overdue": (as_of - t.review_date).days})
    return rows


def residual_ranks(result: Assessment) -> dict[str, int]:
    """Each risk's simulated rank by residual EAL [currency/yr] in the last horizon of ``result``:
    1 for the largest; equal EALs share the best rank ("1, 2, 2, 4")."""
    lines = [line for line in result.horizons[-1].by_risk]
    eals = sorted((line.residual.mean for line in lines), reverse=True)
    return {line.id: eals.index(line.residual.mean) + 1 for line in lines}

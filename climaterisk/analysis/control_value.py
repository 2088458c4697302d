"""What each control is worth: residual loss without it minus residual loss with all controls.

The configurations "all controls" and "all controls but C" are evaluated on the same random
draws (common random numbers), so the benefit of a control is a paired difference per trial:
its standard error is that of the difference, far below the noise of two separate runs, and a
control that acts on nothing has a benefit of exactly zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from climaterisk.model.compile import Portfolio
from climaterisk.model.controls import Config, control_incidence, controls_config
from climaterisk.model.metrics import var
from climaterisk.model.simulate import Samples
from climaterisk.register import Register

WITHOUT = "without:"


def without_configs(register: Register, portfolio: Portfolio) -> list[Config]:
    """One configuration per control: every control in force except that one (where the
    controls act computed once for all of them)."""
    incidence = control_incidence(register, portfolio)
    return [
        controls_config(register, portfolio, exclude=[c.id], name=WITHOUT + c.id, incidence=incidence)
        for c in sorted(register.controls, key=lambda c: c.id)
    ]


@dataclass(frozen=True)
class Benefit:
    """A control's benefit in one year [currency/yr]."""

    year: int
    eal: float  # reduction of residual expected annual loss
    eal_se: float  # its standard error (paired differences)
    var99: float  # reduction of residual VaR 99%
    roi: float | None  # (eal - annual cost) / annual cost, where a cost is given

    def to_dict(self) -> dict:
        return {"year": self.year, "eal_benefit": self.eal, "eal_benefit_se": self.eal_se,
                "var99_benefit": self.var99, "roi": self.roi}


@dataclass
class ControlValue:
    id: str
    title: str
    type: str
    status: str
    annual_cost: float | None
    links: int  # risk-site links (or company-level risks) the control acts on
    benefits: list[Benefit] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "type": self.type, "status": self.status,
                "annual_cost": self.annual_cost, "links_covered": self.links,
                "by_year": [b.to_dict() for b in self.benefits]}


def links_covered(register: Register) -> dict[str, int]:
    """Per control, the number of risk-site links it acts on (a company-level risk counts one)."""
    count = {c.id: 0 for c in register.controls}
    for risk in register.risks:
        for cid in risk.control_ids:
            ctrl = register.control(cid)
            count[cid] += sum(ctrl.applies_to(s) for s in risk.site_ids) if risk.site_ids else 1
    return count


def benefit(year: int, residual: Samples, without: Samples, annual_cost: float | None) -> Benefit:
    """Paired-difference benefit of one control in one year: from the streamed paired
    statistics of ``without`` where the simulation kept them (``simulate(paired=...)``, the
    default of :func:`climaterisk.assess`), else from both per-trial totals (the dense
    reference: the same VaR bit for bit, the same mean and standard error to rounding)."""
    roi = None
    if without.paired is not None:
        p = without.paired
        roi = (p.mean - annual_cost) / annual_cost if annual_cost else None
        return Benefit(year, p.mean, p.se, p.var99 - var(residual.total, 0.99), roi)
    diff = without.total - residual.total
    n = len(diff)
    eal = float(diff.mean())
    se = float(diff.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    var99 = var(without.total, 0.99) - var(residual.total, 0.99)
    roi = (eal - annual_cost) / annual_cost if annual_cost else None
    return Benefit(year, eal, se, var99, roi)


def rank(values: list[ControlValue], year: int) -> dict:
    """Controls ranked by EAL benefit in ``year``, and the single points of failure: the
    controls whose removal raises residual VaR 99% most, and those covering most links."""
    def at(v: ControlValue) -> Benefit:
        return next(b for b in v.benefits if b.year == year)

    by_eal = sorted(values, key=lambda v: (-at(v).eal, v.id))
    by_var = sorted(values, key=lambda v: (-at(v).var99, v.id))
    by_links = sorted(values, key=lambda v: (-v.links, v.id))
    top_var = [v.id for v in by_var[:3] if at(v).var99 > 0]
    top_links = [v.id for v in by_links[:3] if v.links > 0]
    return {
        "year": year,
        "ranking": [v.id for v in by_eal],
        "single_points_of_failure": {
            "largest_var99_increase_if_removed": top_var,
            "most_links_covered": top_links,
        },
    }

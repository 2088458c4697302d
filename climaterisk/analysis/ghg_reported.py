"""Derived GHG and energy figures beside the figures the source reports: each comparison
(:class:`Comparison`) with its difference explained against the reported figure's rounding
(:func:`rounding`), and the per-employee intensities derived and compared the same way.

:func:`climaterisk.analysis.ghg.account` puts them into the GHG account.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from climaterisk.analysis.ghg_emissions import COMPANY, EmissionLine
from climaterisk.register import Register
from climaterisk.register.ghg import GhgInventory

GJ_PER_MWH = 3.6


@dataclass(frozen=True)
class Comparison:
    """A derived figure beside the reported one: difference = derived - reported (in ``unit``)."""

    label: str
    derived: float
    reported: float | None
    unit: str
    metric: str | None
    explanation: str

    @property
    def difference(self) -> float | None:
        return None if self.reported is None else self.derived - self.reported

    @property
    def relative(self) -> float | None:
        if self.reported in (None, 0):
            return None
        return (self.derived - self.reported) / self.reported  # type: ignore[operator]

    def to_dict(self) -> dict:
        return {**asdict(self), "difference": self.difference, "relative": self.relative}


def _metric(register: Register, metric_id: str | None) -> float | None:
    if not metric_id:
        return None
    return next((m.value for m in register.metrics if m.id == metric_id), None)


def rounding(reported: float) -> float:
    """Half a unit of the last significant digit of a reported figure, e.g. 8,400 -> 50, 1.09 ->
    0.005: the largest difference a figure rounded that way can hide."""
    if reported == 0:
        return 0.0
    if float(reported).is_integer():
        n, zeros = int(abs(reported)), 0
        while n % 10 == 0:
            n //= 10
            zeros += 1
        return 0.5 * 10 ** zeros
    text = repr(float(reported))
    if "e" in text:  # very small or large: no rounding inferred
        return 0.0
    decimals = len(text.split(".")[1].rstrip("0"))
    return 0.5 * 10 ** -decimals


def _explain(derived: float, reported: float | None, why: str, carried: float = 0.0) -> str:
    """``why`` prefixed with whether the difference lies within the reported figure's rounding (plus
    ``carried``: rounding of the reported inputs the derived figure starts from, in its unit)."""
    if reported is None:
        return "no reported figure. " + why
    tol = rounding(reported) + carried
    diff = derived - reported
    head = (f"within the reported figure's rounding (+/-{tol:,.4g})" if abs(diff) <= tol + 1e-9
            else f"{diff:+,.1f} ({diff / reported:+.2%}) beyond its rounding (+/-{tol:,.4g})"
            if reported else f"{diff:+,.1f}")
    return f"{head}. {why}"


def comparison_ok(c: Comparison) -> bool:
    """Whether a derived figure agrees with the reported one within the reported rounding."""
    return c.reported is not None and abs(c.derived - c.reported) <= rounding(c.reported) + 1e-9


def comparisons(register: Register, inv: GhgInventory, lines: list[EmissionLine],
                 scope1: float, scope2: float, scope2_market: float) -> list[Comparison]:
    rep = inv.reported
    out = []
    s1_factors = sorted({x.factor_id for x in lines if x.scope == 1})
    missing = "; ".join(n["source"] for n in inv.not_measured if n["scope"] == 1)
    if rep.get("scope1") or scope1:
        reported = _metric(register, rep.get("scope1"))
        out.append(Comparison("Scope 1", scope1, reported, "t CO2e", rep.get("scope1"), _explain(
            scope1, reported, "Fuels x " + ", ".join(s1_factors) + "; the report names no factor or "
            "calorific value." + (f" Not measured: {missing}." if missing else ""))))
    method = rep.get("scope2_method", "location")
    derived2 = scope2 if method == "location" else scope2_market
    s2_factors = sorted({x.factor_id for x in lines if x.scope == 2})
    reported2 = _metric(register, rep.get("scope2"))
    out.append(Comparison(f"Scope 2 ({method}-based)", derived2, reported2, "t CO2e", rep.get("scope2"),
                          _explain(derived2, reported2, "Electricity and heat x " + ", ".join(s2_factors)
                                   + f"; the reported figure is compared with the {method}-based one.")))
    if rep.get("scope12"):
        reported = _metric(register, rep["scope12"])
        total = scope1 + derived2
        out.append(Comparison(f"Scope 1 and 2 ({method}-based)", total, reported, "t CO2e", rep["scope12"],
                              _explain(total, reported, "Sum of the two rows above.")))
    elec = sum(x.quantity for x in lines if x.kind == "electricity")
    if rep.get("electricity"):
        reported = _metric(register, rep["electricity"])
        by_site = all(x.site != COMPANY for x in lines if x.kind == "electricity")
        out.append(Comparison("Purchased electricity", elec, reported, "MWh", rep["electricity"], _explain(
            elec, reported, "Sum of the electricity activities" + (
                "; the split by site is the register's allocation of the reported total, so it "
                "agrees by construction and checks nothing" if by_site else "") + ".")))
    fuels = [x for x in lines if x.scope == 1 and "components" in inv.factor(x.factor_id)]
    if rep.get("energy_direct") and fuels:
        direct = sum(x.quantity * inv.factor(x.factor_id)["components"]["ncv_gj_per_unit"]
                     for x in fuels) / GJ_PER_MWH
        reported = _metric(register, rep["energy_direct"])
        ncvs = ", ".join(f"{x.kind} {inv.factor(x.factor_id)['components']['ncv_gj_per_unit']:g} GJ/{x.unit}"
                         for x in fuels)
        out.append(Comparison("Direct energy (fuels)", direct, reported, "MWh", rep["energy_direct"],
                              _explain(
            direct, reported, f"Fuel quantities x calorific values of the factor library ({ncvs}) / "
            f"{GJ_PER_MWH} GJ/MWh; the report does not state the calorific values it used.")))
    if rep.get("energy_indirect"):
        heat = sum(x.quantity for x in lines if x.kind == "heat")
        indirect = elec + heat / GJ_PER_MWH
        reported = _metric(register, rep["energy_indirect"])
        out.append(Comparison("Indirect energy (electricity + heat)", indirect, reported, "MWh",
                              rep["energy_indirect"], _explain(
                                  indirect, reported, f"Electricity + heat / {GJ_PER_MWH} GJ/MWh.")))
    return out


def intensities(register: Register, inv: GhgInventory) -> list[dict]:
    head_id = register.disclosure.get("headcount_metric")
    head = _metric(register, head_id)
    units = {m.id: m.unit for m in register.metrics}
    out = []
    for item in inv.intensities:
        value = _metric(register, item["numerator"])
        if value is None or not head:
            continue
        scale = item.get("scale", 1.0)
        derived = value / head * scale
        rep = _metric(register, item.get("reported"))
        unit = units.get(item.get("reported"), "") or (
            f"{units[item['numerator']]}/person" + (f" x {scale:g}" if scale != 1 else ""))
        out.append({"numerator": item["numerator"], "headcount_metric": head_id, "scale": scale,
                    "derived": derived, "reported": rep, "reported_metric": item.get("reported"),
                    "unit": unit, "difference": None if rep is None else derived - rep,
                    "explanation": _explain(derived, rep, f"{item['numerator']} / {head_id}"
                                            + (f" x {scale:g}" if scale != 1 else "")
                                            + ("; the tolerance includes the rounding of the reported "
                                               "absolute figure" if rep is not None else ""),
                                            rounding(value) / head * scale)})
    return out

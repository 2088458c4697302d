"""Industry-based metrics (IFRS S2 32 and 37) for internet companies running data centres: the SASB
Internet Media & Services topic "environmental footprint of hardware infrastructure" (TC-IM-130a.1
energy, TC-IM-130a.2 water, TC-IM-130a.3 data-centre planning), and PUE and WUE per data centre.
Every figure is computed from the register's metrics and sites, with its definition and a mark:
reported (from a cited document), derived (computed from reported figures) or assumed (rests on an
input the register marks as an assumption).
"""

from __future__ import annotations

from dataclasses import dataclass

from climaterisk.analysis import disclosures
from climaterisk.register import Register

MWH_TO_GJ = 3.6
"""Gigajoules per megawatt-hour."""

HIGH_STRESS = ("high", "extremely_high")
"""The baseline water stress classes SASB TC-IM-130a.2 counts as high."""

DATA_CENTRE_KINDS = ("self_built_dc", "leased_dc")


@dataclass(frozen=True)
class IndustryMetric:
    """One industry-based figure: ``code`` is the SASB code (or "" for PUE/WUE per site)."""

    code: str
    label: str
    value: float | None
    unit: str
    definition: str
    mark: str  # reported, derived, assumed or not available


def _metric(register: Register, metric_id: str | None) -> float | None:
    return next((m.value for m in register.metrics if metric_id and m.id == metric_id), None)


def _mark(register: Register, file: str, entry: str, field: str) -> str:
    """reported, or assumed when the input's source is ``assumption: ...``."""
    for p in register.provenance:
        if p.file.endswith(file) and p.entry == entry and p.field == field:
            return "assumed" if p.is_assumption else "reported"
    return "reported"


def site_water_m3(register: Register) -> dict[str, float]:
    """Estimated water use per data centre [m³/yr] = WUE [L/kWh] x IT energy [kWh] / 1000, with IT
    energy = electricity [MWh] / PUE x 1000: so WUE x electricity / PUE. Sites without a WUE or PUE
    are left out."""
    return {s.id: s.wue * s.electricity_mwh / s.pue for s in register.sites
            if s.kind in DATA_CENTRE_KINDS and s.wue is not None and s.pue and s.electricity_mwh}


def water_stress_class(register: Register, region: str) -> tuple[str, str]:
    """(class, source) of a region's baseline water stress from ``disclosure.water_stress_by_region``;
    ("unknown", "") when the register does not give it."""
    entry = (register.disclosure.get("water_stress_by_region") or {}).get(region)
    return (entry["category"], entry["source"]) if entry else ("unknown", "")


def industry_metrics(register: Register) -> list[IndustryMetric]:
    """The SASB TC-IM-130a metrics and PUE/WUE per data centre, in that order."""
    d = register.disclosure
    out: list[IndustryMetric] = []
    energy = _metric(register, d.get("energy_metric"))
    elec = _metric(register, d.get("electricity_metric"))
    ren = disclosures.energy(register)
    out.append(IndustryMetric(
        "TC-IM-130a.1", "Total energy consumed", None if energy is None else energy * MWH_TO_GJ, "GJ",
        f"metric {d.get('energy_metric', '(none)')} [MWh] x 3.6 GJ/MWh: all fuel, electricity and heat used",
        "derived" if energy is not None else "not available"))
    out.append(IndustryMetric(
        "TC-IM-130a.1", "Share of energy from grid electricity",
        elec / energy if energy and elec is not None else None, "fraction",
        f"purchased electricity (metric {d.get('electricity_metric', '(none)')}) / total energy; green power "
        "bought through the grid counts as grid electricity",
        "derived" if energy and elec else "not available"))
    low = ren.get("renewable")
    high = ren.get("renewable_cumulative")
    share = low.value / energy if energy and low else None
    note = ""
    if high is not None and energy:
        note = (f"; lower bound: cumulative volumes left out, with them "
                f"{(low.value + high.value) / energy:.2%}")
    out.append(IndustryMetric(
        "TC-IM-130a.1", "Share of energy that is renewable", share, "fraction",
        f"renewable electricity ({low.basis if low else 'none given'}) / total energy{note}",
        "derived" if share is not None else "not available"))
    withdrawn = _metric(register, d.get("water_withdrawn_metric"))
    consumed = _metric(register, d.get("water_consumed_metric"))
    consumed_how = f"metric {d.get('water_consumed_metric')}"
    if consumed is None and withdrawn is not None:
        discharged = _metric(register, d.get("water_discharged_metric"))
        if discharged is not None:
            consumed = withdrawn - discharged
            consumed_how = (f"withdrawn minus discharged (metric {d['water_discharged_metric']}): water "
                            "evaporated in cooling or otherwise not returned")
    by_site = site_water_m3(register)
    placed = sum(by_site.values())
    stressed = sum(v for sid, v in by_site.items()
                   if water_stress_class(register, register.site(sid).region)[0] in HIGH_STRESS)
    classes = {register.site(sid).region for sid in by_site}
    assumed = any(water_stress_class(register, r)[1].startswith("assumption") for r in classes)
    site_assumed = any(_mark(register, "sites.yaml", sid, "wue") == "assumed" for sid in by_site)
    out.append(IndustryMetric(
        "TC-IM-130a.2", "Water withdrawn", None if withdrawn is None else withdrawn / 1000, "thousand m³",
        f"metric {d.get('water_withdrawn_metric', '(none)')} [m³] / 1000",
        "reported" if withdrawn is not None else "not available"))
    out.append(IndustryMetric(
        "TC-IM-130a.2", "Water consumed", None if consumed is None else consumed / 1000, "thousand m³",
        consumed_how if consumed is not None else "neither a consumed nor a discharged metric is given",
        "derived" if consumed is not None else "not available"))
    base = max(withdrawn or 0.0, placed)
    out.append(IndustryMetric(
        "TC-IM-130a.2", "Share of water withdrawn in regions of high or extremely high baseline water stress",
        stressed / base if base else None, "fraction",
        f"data-centre water estimated per site as WUE x electricity / PUE ({placed:,.0f} m³ placed of "
        f"{withdrawn or 0:,.0f} m³ withdrawn), counted where the site's region is classed "
        f"{' or '.join(HIGH_STRESS)} in disclosure.water_stress_by_region; water not placed at a site "
        "(offices, unexplained remainder) counts as not stressed, so this is a lower bound; the same "
        "share is applied to water consumed",
        "assumed" if (assumed or site_assumed) else "derived" if base else "not available"))
    out.append(IndustryMetric(
        "TC-IM-130a.3", "Environmental considerations in data-centre planning", None, "",
        " ".join(str((d.get("statements") or {}).get("data_centre_planning") or "").split())
        or "[NOT STATED: the register leaves disclosure.statements.data_centre_planning empty]",
        "reported" if (d.get("statements") or {}).get("data_centre_planning") else "not available"))
    for s in register.sites:
        if s.kind not in DATA_CENTRE_KINDS:
            continue
        stress, _ = water_stress_class(register, s.region)
        if s.pue is not None:
            out.append(IndustryMetric("", f"PUE, {s.name}", s.pue, "-",
                                      "total facility energy / IT energy (sites.yaml pue)",
                                      _mark(register, "sites.yaml", s.id, "pue")))
        if s.wue is not None:
            out.append(IndustryMetric("", f"WUE, {s.name}", s.wue, "L/kWh",
                                      f"site water / IT energy (sites.yaml wue); region {s.region}, "
                                      f"baseline water stress {stress.replace('_', ' ')}",
                                      _mark(register, "sites.yaml", s.id, "wue")))
    return out

"""The cross-file checks of ``risks.yaml`` and ``opportunities.yaml``: site selectors resolved, a
risk's IFRS S2 type and controls, and each model's needs (sites, a known hazard, the register
parameters it prices with, the sites' cooling data, declared emission metrics).
"""

from __future__ import annotations

import difflib

from climaterisk.errors import Problem
from climaterisk.register.crosscheck.common import Entries, Ids, ref, select_sites


def _known_hazards(reg: Entries) -> set[str]:
    """The hazards given a rate by some site (``hazards``) or region (``common_events``)."""
    return {hz for s in reg.sites for hz in s.get("hazards", {})} | {
        ev["hazard"] for r in reg.regions for ev in r.get("common_events", [])
    }


def check_risks(reg: Entries, ids: Ids, problems: list[Problem]) -> None:
    """Risks, then opportunities: resolves their site selectors (into ``_site_ids``) and checks
    their models, and a risk's type and controls."""
    hazards = _known_hazards(reg)
    for items, file, is_opp in ((reg.risks, reg.files.risks, False), (reg.opps, reg.files.opps, True)):
        for item in items:
            rid = item["id"]
            before = len(problems)
            chosen = select_sites(item.get("sites"), file, rid, "sites", reg, ids, problems)
            dangling = len(problems) > before  # already reported: no second line for it
            item["_site_ids"] = chosen
            if not is_opp:
                _check_risk_type_and_controls(item, file, ids, problems)
            no_sites = not chosen and not dangling
            for i, model in enumerate(item["models"]):
                _check_model(model, f"models[{i}]", item, file, no_sites, hazards, reg, ids, problems)


def _check_risk_type_and_controls(item: dict, file: str, ids: Ids, problems: list[Problem]) -> None:
    """A risk's IFRS S2 type agrees with its category, and its controls are declared."""
    rid = item["id"]
    physical = item["category"].startswith("physical")
    expected = "physical" if physical else "transition"
    if item["ifrs_s2_type"] != expected:
        problems.append(Problem(
            file, rid, "ifrs_s2_type", item["ifrs_s2_type"], f"{expected} for category {item['category']}"
        ))
    for cid in item.get("controls", []):
        ref(ids.controls, cid, file, rid, "controls", "control", problems)


def _check_model(
    model: dict, fld: str, item: dict, file: str, no_sites: bool, hazards: set[str], reg: Entries,
    ids: Ids, problems: list[Problem],
) -> None:
    """One model of a risk or opportunity has what its type needs: sites (``no_sites``: the item
    chooses none, and no dangling reference explains it), a known hazard, the register parameters
    it prices with, and declared emission metrics."""
    rid, kind = item["id"], model["type"]
    params = reg.meta.get("parameters", {})
    if kind in ("site_event", "cooling_energy", "cooling_water", "outage_episode") and no_sites:
        problems.append(Problem(
            file, rid, "sites", item.get("sites"),
            f"at least one site: a {kind} model needs the sites it applies to",
        ))
    if kind == "site_event" and model["hazard"] not in hazards:
        close = difflib.get_close_matches(model["hazard"], sorted(hazards), n=1)
        problems.append(Problem(
            file, rid, f"{fld}.hazard", model["hazard"],
            "a hazard given a rate by some site (`hazards`) or region (`common_events`): "
            + (", ".join(sorted(hazards)) or "none given")
            + (f" (did you mean {close[0]!r}?)" if close else ""),
        ))
    if kind == "cooling_energy" and "electricity_price" not in params:
        problems.append(Problem(
            reg.files.reg, "", "parameters.electricity_price", None,
            f"an electricity price (needed by {rid} {fld}: cooling_energy)",
        ))
    if kind in ("cooling_energy", "cooling_water"):
        _check_cooling_model(model, fld, item, file, reg, problems)
    if kind == "entity_event" and ("rate" in model) == ("rate_range" in model):
        problems.append(Problem(
            file, rid, f"{fld}.rate", None,
            "either `rate` (a known rate) or `rate_range` (low and high of an unknown true rate), "
            "one of them"))
    if kind == "carbon_cost":
        if "fx_usd" not in params:
            problems.append(Problem(
                reg.files.reg, "", "parameters.fx_usd", None,
                f"an exchange rate (needed by {rid} {fld}: carbon_cost)",
            ))
        for mid in model.get("emissions", []):
            ref(ids.metrics, mid, file, rid, f"{fld}.emissions", "metric", problems)
        if ("emissions" in model) == ("projected" in model):
            problems.append(Problem(
                file, rid, f"{fld}.emissions", None,
                "either `emissions` (metric ids) or `projected` (ghg.yaml pathway), one of them"))
        if "projected" in model and not reg.has_ghg:
            problems.append(Problem(
                file, rid, f"{fld}.projected", model["projected"],
                "a ghg.yaml in the register (projected emissions come from its inventory)"))
        if ("exposed_share" in model) == ("share_drivers" in model):
            problems.append(Problem(file, rid, f"{fld}.exposed_share", None,
                                    "either `exposed_share` or `share_drivers`, one of them"))


def _check_cooling_model(
    model: dict, fld: str, item: dict, file: str, reg: Entries, problems: list[Problem]
) -> None:
    """A cooling_energy model has one rule (``sensitivity`` or ``mechanical_cooling``); the sites of
    an hours-rule cooling_energy have economiser data and a PUE, those of a cooling_water model a
    WUE [L/kWh], a PUE and a water tariff (the region's or the register's)."""
    rid, kind = item["id"], model["type"]
    if kind == "cooling_energy" and ("sensitivity" in model) == ("mechanical_cooling" in model):
        problems.append(Problem(
            file, rid, fld, None,
            "either `sensitivity` (per °C of local warming) or `mechanical_cooling` (per hour above "
            "the economiser set point), not both and not neither",
        ))
        return
    needs: tuple[str, ...] = ()
    if kind == "cooling_energy" and "mechanical_cooling" in model:
        needs = ("free_cooling", "pue")
    elif kind == "cooling_water":
        needs = ("wue", "pue")
    by_id = {s["id"]: s for s in reg.sites}
    params = reg.meta.get("parameters", {})
    for sid in item.get("_site_ids") or []:
        site = by_id.get(sid, {})
        for key in needs:
            if key not in site:
                problems.append(Problem(
                    reg.files.sites, sid, key, None, f"a value (needed by {rid} {fld}: {kind})"))
        if kind == "cooling_water" and "water_price" not in params \
                and site.get("region") not in params.get("water_price_by_region", {}):
            problems.append(Problem(
                reg.files.reg, "", "parameters.water_price", None,
                f"a water tariff for region {site.get('region')} (needed by {rid} {fld}: cooling_water "
                f"at {sid}): `water_price` or an entry of `water_price_by_region`",
            ))

"""The cross-file checks of ``controls.yaml``: site selectors resolved, years in order (planned,
effective, retired) and an effect consistent with the control's type (deductible and limit only on
transfer controls, which need a limit).
"""

from __future__ import annotations

from climaterisk.errors import Problem
from climaterisk.register.crosscheck.common import Entries, Ids, select_sites


def check_controls(reg: Entries, ids: Ids, problems: list[Problem]) -> None:
    """Controls: resolves their site selectors (into ``_site_ids``, None without one) and checks
    their years and their effect."""
    file = reg.files.controls
    for ctrl in reg.controls:
        cid = ctrl["id"]
        ctrl["_site_ids"] = (
            select_sites(ctrl.get("sites"), file, cid, "sites", reg, ids, problems)
            if "sites" in ctrl else None
        )
        _check_control_years(ctrl, file, problems)
        _check_control_effect(ctrl, file, problems)


def _check_control_years(ctrl: dict, file: str, problems: list[Problem]) -> None:
    """A control's years are in order: planned (date) <= effective <= retired; a planned control has
    an effective year and only a retired one a retired year."""
    cid = ctrl["id"]
    status, eff = ctrl["status"], ctrl.get("effective_year")
    if status == "planned" and eff is None:
        problems.append(Problem(file, cid, "effective_year", None, "the year a planned control takes effect"))
    ret = ctrl.get("retired_year")
    planned_on = ctrl.get("planned_on")
    if planned_on is not None and eff is not None and eff < planned_on.year:
        problems.append(Problem(
            file, cid, "effective_year", eff,
            f"a year on or after the year it was planned (planned_on {planned_on.isoformat()})",
        ))
    if ret is not None and eff is not None and ret < eff:
        problems.append(Problem(file, cid, "retired_year", ret, f"a year on or after effective_year ({eff})"))
    if ret is not None and status != "retired":
        problems.append(Problem(file, cid, "retired_year", ret, "no retired_year unless status is retired"))


def _check_control_effect(ctrl: dict, file: str, problems: list[Problem]) -> None:
    """A transfer control has a limit per event; only transfer controls have a deductible or limit."""
    cid = ctrl["id"]
    effect = ctrl.get("effect", {})
    money = {"deductible", "limit"} & set(effect)
    if ctrl["type"] == "transfer":
        if "limit" not in effect:
            problems.append(Problem(
                file, cid, "effect.limit", None, "a limit per event for a transfer control"
            ))
    elif money:
        problems.append(Problem(
            file, cid, f"effect.{sorted(money)[0]}", effect[sorted(money)[0]],
            "deductible and limit only on controls of type transfer",
        ))

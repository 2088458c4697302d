"""Transition plan and targets (issue 14, part 4; IFRS S2 14, 33-36): the optional plan.yaml, the
target details, the IFRS S2 36 statement and progress since the previous snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from climaterisk.analysis import transition_plan as tp
from climaterisk.cli import app
from climaterisk.errors import RegisterError
from climaterisk.history.targets import previous_targets
from climaterisk.outputs.report.transition import plan_blocks, target_blocks
from climaterisk.register import load_register
from tests.conftest import write_register

runner = CliRunner()


@pytest.fixture(scope="module")
def shipped():
    return load_register()


def _texts(blocks) -> str:
    return "\n".join(b for b in blocks if isinstance(b, str))


def test_register_without_plan_loads_and_says_so(mini_register_path):
    reg = load_register(mini_register_path)
    assert reg.plan is None
    assert tp.plan_tables(reg) is None
    assert "no transition plan in the register" in _texts(plan_blocks(reg))


def test_shipped_plan_milestones_sort_by_year_and_capex_is_not_disclosed(shipped):
    plan = tp.plan_tables(shipped)
    years = [m["year"] for m in plan["milestones"]]
    assert years == sorted(years) and 2030 in years and years[0] >= plan["base_year"]
    assert plan["capex"]["status"] == "not disclosed" and plan["capex"]["amount"] is None
    # the plan's levers point at the ghg.yaml pathway levers that model them
    pathway = {lv.id for lv in shipped.ghg.pathway.levers}
    linked = [lv["pathway_lever"] for lv in plan["levers"] if lv["pathway_lever"]]
    assert linked and set(linked) <= pathway
    assert all(m["mark"] in ("reported", "assumed") for m in plan["milestones"])


def test_disclosed_nil_capex_is_not_not_disclosed(tmp_path, mini_files):
    mini_files["plan.yaml"] = {"base_year": 2020, "capex": {
        "disclosed": True, "amount": {"value": 0.0, "source": "doc: capex table"},
        "source": "doc: capex table"}}
    plan = tp.plan_tables(load_register(write_register(tmp_path / "r", mini_files)))
    assert plan["capex"]["status"] == "disclosed" and plan["capex"]["amount"] == 0.0


def test_no_ghg_target_statement_only_without_a_ghg_target(tmp_path, mini_files):
    with_ghg = load_register(write_register(tmp_path / "ghg", mini_files))
    assert tp.no_ghg_target_statement(with_ghg) is None
    assert "set no GHG emissions target" not in _texts(target_blocks(with_ghg))
    mini_files["metrics.yaml"]["targets"][0].update(metric="staff", unit="persons")
    without = load_register(write_register(tmp_path / "noghg", mini_files))
    statement = tp.no_ghg_target_statement(without)
    assert statement and "the company has set no ghg emissions target" in statement.lower()
    assert statement in _texts(target_blocks(without))


def test_shipped_targets_have_details_and_no_ghg_target(shipped):
    details = {d["id"]: d for d in tp.target_details(shipped)}
    assert not any(d["ghg_target"] for d in details.values())
    assert tp.no_ghg_target_statement(shipped) is not None
    t1 = details["T1"]
    assert t1["objective"] == "mitigation" and t1["paris"] == "not linked" and t1["paris_basis"]
    assert t1["tracked_mark"] == "derived" and t1["tracked"] == pytest.approx(0.093, abs=1e-4)
    assert t1["metric_mark"] == "reported"
    assert details["T4"]["baseline_mark"] == "assumed"


def test_target_milestone_before_baseline_is_refused(tmp_path, mini_files):
    mini_files["metrics.yaml"]["targets"][0]["milestones"] = [{"year": 2015, "value": 900.0}]
    with pytest.raises(RegisterError, match="not before the target's baseline year 2020"):
        load_register(write_register(tmp_path / "r", mini_files))


def test_progress_without_and_with_an_earlier_snapshot(tmp_path: Path, mini_files, mini_scenario_path):
    mini_files["metrics.yaml"]["targets"][0]["latest"] = {"year": 2020, "value": 900.0}
    folder = write_register(tmp_path / "mini", mini_files)
    store = tmp_path / "history.sqlite"
    reg = load_register(folder)
    assert previous_targets(store, reg) is None
    assert "no earlier snapshot" in _texts(target_blocks(reg, None))
    res = runner.invoke(app, ["snapshot", "--quarter", "2020Q4", "--register", str(folder),
                              "--store", str(store), "--scenario", str(mini_scenario_path),
                              "--horizon", "2030", "--trials", "200"])
    assert res.exit_code == 0, res.output
    mini_files["metrics.yaml"]["targets"][0]["latest"] = {"year": 2021, "value": 800.0}
    reg = load_register(write_register(folder, mini_files))
    previous = previous_targets(store, reg)
    assert previous is not None and previous[0].startswith("2020Q4")
    row = tp.progress_since(reg, previous)["rows"][0]
    assert (row["previous"], row["current"], row["movement"]) == (900.0, 800.0, -100.0)
    table = next(b for b in target_blocks(reg, previous) if not isinstance(b, str)
                 and b.name == "target_progress")
    assert table.rows[0][:5] == ["T1", "t CO2e", 900.0, 800.0, -100.0]


def test_target_details_travel_through_the_workbook(tmp_path, mini_files):
    from climaterisk.outputs.spreadsheet import export_xlsx, import_xlsx

    mini_files["metrics.yaml"]["targets"][0].update(
        objective="mitigation", applies_to={"scopes": ["scope1"], "sites": ["a"], "description": "all"},
        milestones=[{"year": 2026, "value": 700.0}, {"year": 2025, "value": 800.0}])
    folder = write_register(tmp_path / "r", mini_files)
    (tmp_path / "r.xlsx").write_bytes(export_xlsx(folder))
    import_xlsx(tmp_path / "r.xlsx", tmp_path / "back")
    assert load_register(tmp_path / "back").targets == load_register(folder).targets

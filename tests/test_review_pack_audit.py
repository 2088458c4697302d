"""What an audit of the review pack broke (issue 17, 17c), each with its fix checked.

- a change keyed by an id (``parameters.electricity_price_by_region.<region>``) is grouped with the
  region it names, and changes that validate alone are not swallowed by a fallback group;
- a deterministic change (a removed risk whose loss is the same in every trial) has a zero
  standard error even where the total is summed in another order (rounding residues);
- the parts of a movement are shown to one precision, so that they add up on the page; a part
  that rounds to zero is "0.00", not "-0.00";
- a long text field is cut around where it changed; a field-less change has no double space; a
  ``source`` has no unit;
- with another seed, an unchanged risk's movement carries the re-runs' sampling error and is not
  "beyond noise" with a zero standard error;
- a numeric column's header is never cut inside a word.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from climaterisk.cli import app
from climaterisk.history import attribution as attr
from climaterisk.history.changes import change_groups, register_changes
from climaterisk.outputs import pack as pack_module
from climaterisk.outputs.render import header_widths
from tests.conftest import write_register

runner = CliRunner()


def test_change_keyed_by_a_region_id_is_grouped_with_that_region(tmp_path, mini_files):
    before = write_register(tmp_path / "before", mini_files)
    mini_files["risks.yaml"]["risks"][0]["rating"]["likelihood"] = 5
    mini_files["sites.yaml"]["regions"].append({"id": "east", "name": "East"})
    mini_files["sites.yaml"]["sites"].append(dict(mini_files["sites.yaml"]["sites"][2], id="d",
                                                  name="Office D", region="east"))
    mini_files["register.yaml"]["parameters"]["electricity_price_by_region"] = {
        "east": {"value": 120.0, "source": "assumption: test"}}  # names region east as a key
    after = write_register(tmp_path / "after", mini_files)
    groups = change_groups(before, after, register_changes(before, after), tmp_path / "work")
    keys = [g.keys for g in groups]
    assert (("risks", "R1"),) in keys  # valid alone: not swallowed by a group
    assert (("parameters", "electricity_price_by_region"), ("regions", "east"), ("sites", "d")) in keys
    assert len(keys) == 2


def test_rounding_residue_is_no_standard_error():
    base = np.array([1e8 + 0.1, 2e8 + 0.3, 3e8 + 0.7])
    removed = np.array([450.0, 450.0, 450.0])
    x = attr.Run({2050: {"total": base + removed}}, {}, {})
    y = attr.Run({2050: {"total": (base + removed) - removed + 1e-7 * np.array([0.0, 1.0, -1.0])}}, {}, {})
    d = attr.paired(x, y, 2050, "total")
    assert d.se == 0.0 and d.value == pytest.approx(450.0, abs=1e-6)
    z = attr.Run({2050: {"total": base + np.array([1.0, 0.0, 2.0])}}, {}, {})
    assert attr.paired(z, y, 2050, "total").se > 0  # real differences keep theirs


def _fake_pack() -> dict:
    """Two horizons; a removed risk's deterministic -449.5655 m, a +5.58 m group and a tiny remainder."""
    moves, parts = [], []
    for year in (2030, 2050):
        moves.append({"year": year, "id": "total", "title": "All risks", "eal_before": 477e6,
                      "eal_after": 33.1e6,
                      "eal_change": -443.68e6, "eal_change_se": 0.113e6, "significant": True,
                      "var99_before": 599e6, "var99_after": 197e6})
        parts.append({"year": year, "id": "total", "total_change": -443.68e6, "register": -443.68e6,
                      "register_se": 0.113e6, "scenario": 0.0, "scenario_se": 0.0, "sampling_noise": 0.0,
                      "remainder": -1e3})
    changes = [{"section": "risks", "id": "R7", "title": "Carbon", "change": "removed", "fields": []},
               {"section": "ghg", "id": "gases", "title": "", "change": "changed",
                "fields": [{"field": "", "old": ["CO2", "N2O"], "new": ["CO2"], "unit": ""}]}]
    effects = [
        {"changes": [{"section": "risks", "id": "R7"}], "grouped_because": "", "no_effect": False,
         "rows": [{"year": y, "id": k, "change": -449.5655e6, "se": 0.0} for y in (2030, 2050)
                  for k in ("R7", "total")]},
        {"changes": [{"section": "ghg", "id": "gases"}], "grouped_because": "", "no_effect": True,
         "rows": []}]
    return {"register": "r", "currency": "CNY", "years": [2030, 2050], "as_of": "2026-12-31",
            "movements": moves, "attribution": parts, "changes": changes, "change_effects": effects,
            "rerun": "none", "method": "m", "decisions_due": [], "overdue_controls": []}


def test_parts_are_shown_to_the_movements_precision_and_add_up():
    pack = _fake_pack()
    table = pack_module._effects_table(pack)
    cells = {row[0].split(":")[0]: row[1:3] for row in table.rows}
    assert cells["risk R7 (Carbon) removed"] == ["-449.57", "-449.57"]  # not "-450" (3 s.f.)
    assert cells["interaction remainder (changes acting together)"] == ["0.00", "0.00"]  # not "-0.00"
    assert cells["movement of the total"] == ["-443.68", "-443.68"]
    text = " ".join(pack_module.summary(pack))
    assert "risk R7 (Carbon) removed: -449.57" in text and "register changes -443.68" in text
    assert "fell from CNY 477 m by 443.68 m" in text
    assert "ghg.yaml gases: CO2, N2O -> CO2" in text  # no empty field name, no double space


def test_long_text_is_cut_where_it_changed():
    old = "The report states no company-wide emissions target and no dated plan. " * 3 + "Levers: A."
    new = old[:-1] + ", revised in Q4."
    shown_old, shown_new = pack_module._value(old, new), pack_module._value(new, old)
    assert shown_old != shown_new and "revised in Q4" in shown_new and shown_new.startswith("…")
    assert len(shown_new) <= 80 and pack_module._value("short", "other") == "short"


def test_source_field_has_no_unit(tmp_path, mini_files):
    before = write_register(tmp_path / "before", mini_files)
    mini_files["register.yaml"]["parameters"]["electricity_price"] = {"value": 150.0,
                                                                      "source": "assumption: new"}
    after = write_register(tmp_path / "after", mini_files)
    from climaterisk.register import load_register

    fields = {f["field"]: f["unit"] for c in register_changes(before, after, load_register(after))
              for f in c["fields"]}
    assert fields["source"] == "" and fields["value"] == "currency/MWh"


def test_another_seed_gives_unchanged_risks_the_re_runs_error(tmp_path, mini_register_path,
                                                              mini_scenario_path):
    store = str(tmp_path / "h.sqlite")
    for quarter, seed in (("2026Q3", "1"), ("2026Q4", "2")):
        result = runner.invoke(app, ["snapshot", "--quarter", quarter, "--register", str(mini_register_path),
                                     "--scenario", str(mini_scenario_path), "--trials", "2000",
                                     "--seed", seed, "--store", store], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["review", "--quarter", "2026Q4", "--register", str(mini_register_path),
                                 "--store", store, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    pack = json.loads(result.output)
    assert pack["rerun"].startswith("sampling noise")
    for m in pack["movements"]:
        assert m["paired_change"] == 0.0 and m["paired_se"] == 0.0  # no register or scenario change
        if m["eal_change"] != 0:
            assert m["eal_change_se"] > 0  # the re-runs' sampling error, not a zero
            assert m["significant"] == (abs(m["eal_change"]) > 2 * m["eal_change_se"])
    assert any(m["eal_change"] != 0 for m in pack["movements"])
    total = next(m for m in pack["movements"] if m["id"] == "total" and m["year"] == max(pack["years"]))
    assert math.isclose(total["eal_change"], total["rerun_difference"], rel_tol=1e-12)


def test_numeric_header_is_not_cut_inside_a_word():
    assert header_widths([["184"]], ["days overdue"], [True]) == [len("overdue")]
    assert header_widths([["1,234,567.0"]], ["EAL"], [True]) == [11]


def test_each_model_parameter_is_a_change_of_its_own(tmp_path, mini_files):
    """register.yaml's parameters are entities one by one: a price change is attributed apart from a
    change to another parameter, and compose takes one without the other."""
    from climaterisk.history.changes import compose
    from climaterisk.register import load_register

    before = write_register(tmp_path / "before", mini_files)
    mini_files["register.yaml"]["parameters"]["electricity_price"]["value"] = 150.0
    mini_files["register.yaml"]["parameters"]["fx_usd"]["value"] = 3.0
    after = write_register(tmp_path / "after", mini_files)
    changes = register_changes(before, after, load_register(after))
    found = [(c["section"], c["id"], [(f["field"], f["old"], f["new"]) for f in c["fields"]])
             for c in changes]
    assert found == [("parameters", "electricity_price", [("value", 100.0, 150.0)]),
                     ("parameters", "fx_usd", [("value", 2.0, 3.0)])]
    assert changes[0]["fields"][0]["unit"] == "currency/MWh"
    folder = compose(before, after, [("parameters", "electricity_price")], tmp_path / "one")
    from climaterisk.io import read_yaml

    params = read_yaml(folder / "register.yaml")["parameters"]
    assert [c["id"] for c in register_changes(before, folder)] == ["electricity_price"]
    assert (params["electricity_price"]["value"], params["fx_usd"]["value"]) == (150.0, 2.0)
    assert load_register(folder).id
    assert pack_module.describe(changes[0]) == "parameter electricity_price: value 100 -> 150 currency/MWh"


def test_overdue_controls_are_listed_in_id_order():
    from climaterisk.history.review import id_order

    assert sorted(["C10", "C2", "C1", "C16b", "C9"], key=id_order) == ["C1", "C2", "C9", "C10", "C16b"]


@pytest.mark.parametrize("against", ["2026Q4", "2027Q1"])
def test_review_against_the_same_or_a_later_quarter_is_refused(tmp_path, mini_register_path,
                                                                mini_scenario_path, against):
    store = str(tmp_path / "h.sqlite")
    for quarter in ("2026Q4", "2027Q1"):
        result = runner.invoke(app, ["snapshot", "--quarter", quarter, "--register", str(mini_register_path),
                                     "--scenario", str(mini_scenario_path), "--trials", "500",
                                     "--store", store])
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["review", "--quarter", "2026Q4", "--against", against, "--register",
                                 str(mini_register_path), "--store", store])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert f"--against: got '{against}'; expected a quarter before --quarter 2026Q4" in said


def test_a_rating_changed_with_a_damage_range_is_said_to_have_no_effect(tmp_path, mini_files,
                                                                        mini_scenario_path):
    before = write_register(tmp_path / "before", mini_files)
    risk = mini_files["risks.yaml"]["risks"][0]
    risk["rating"]["likelihood"] = 5  # enters no model
    risk["models"][0]["damage"]["p95"] = 0.3  # moves R1
    after = write_register(tmp_path / "after", mini_files)
    result = runner.invoke(app, ["review", "--register", str(after), "--against-register", str(before),
                                 "--scenario", str(mini_scenario_path), "--format", "json",
                                 "--trials", "2000", "--seed", "3"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    pack = json.loads(result.output)
    (effect,) = pack["change_effects"]
    assert effect["no_effect"] is False
    assert [(f["id"], f["field"], f["old"], f["new"]) for f in effect["fields_without_effect"]] == [
        ("R1", "rating.likelihood", 3, 5)]
    text = " ".join(pack_module.summary(pack))
    assert "Fields without effect in changes that do move losses: risk R1 rating.likelihood 3 -> 5." in text


def test_revert_field_sets_one_field_back(tmp_path, mini_files):
    from climaterisk.history.changes import compose, revert_field
    from climaterisk.io import read_yaml

    before = write_register(tmp_path / "before", mini_files)
    mini_files["risks.yaml"]["risks"][0]["models"][0]["damage"]["p95"] = 0.3
    mini_files["risks.yaml"]["risks"][0]["rating"]["likelihood"] = 5
    mini_files["register.yaml"]["parameters"]["fx_usd"] = {"value": 3.0, "source": "assumption: new"}
    after = write_register(tmp_path / "after", mini_files)
    folder = compose(before, after, [("risks", "R1"), ("parameters", "fx_usd")], tmp_path / "c")
    revert_field(folder, ("risks", "R1"), "models[0].damage.p95", 0.2)
    revert_field(folder, ("parameters", "fx_usd"), "source", None)
    r1 = read_yaml(folder / "risks.yaml")["risks"][0]
    assert r1["models"][0]["damage"]["p95"] == 0.2 and r1["rating"]["likelihood"] == 5
    assert read_yaml(folder / "register.yaml")["parameters"]["fx_usd"] == {"value": 3.0}

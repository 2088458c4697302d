"""The review's movement statistics and its attribution to each register change (issue 17).

Checked here: an unchanged risk moves by exactly 0 with a zero standard error (paired runs on
per-link streams); the standard error of a movement is that of the paired per-trial
differences; per-change contributions plus the interaction remainder equal the register part,
and register + scenario + re-run parts equal the movement; a change that does not enter the
model (a rating) is said to have no effect; changes that only validate together are one group.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from climaterisk.analysis.assess import assess
from climaterisk.cli import app
from climaterisk.history import attribution as attr
from climaterisk.history.changes import change_groups, compose, register_changes
from climaterisk.register import load_register
from climaterisk.scenarios import read_scenario
from tests.conftest import write_register

runner = CliRunner()
TRIALS, SEED = 4000, 11


def _edit(files: dict) -> dict:
    """The quarter's edits: a weaker control on R1, a re-rating, a new region with a new site."""
    files["controls.yaml"]["controls"][1]["effect"]["severity"]["value"] = 0.1  # C2: R1 only
    files["risks.yaml"]["risks"][0]["rating"]["likelihood"] = 5  # enters no model
    files["sites.yaml"]["regions"].append({"id": "east", "name": "East"})
    site = dict(files["sites.yaml"]["sites"][2], id="d", name="Office D", region="east")
    files["sites.yaml"]["sites"].append(site)  # needs region east: only valid together
    return files


@pytest.fixture
def two_registers(tmp_path, mini_files):
    before = write_register(tmp_path / "before", mini_files)
    after = write_register(tmp_path / "after", _edit(mini_files))
    return before, after


def _pack(before, after, scenario_path) -> dict:
    result = runner.invoke(app, ["review", "--register", str(after), "--against-register", str(before),
                                 "--scenario", str(scenario_path), "--format", "json",
                                 "--trials", str(TRIALS), "--seed", str(SEED)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_changes_are_grouped_when_they_only_validate_together(two_registers, tmp_path):
    before, after = two_registers
    changes = register_changes(before, after)
    groups = change_groups(before, after, changes, tmp_path / "work")
    keys = [g.keys for g in groups]
    assert (("controls", "C2"),) in keys and (("risks", "R1"),) in keys
    assert (("regions", "east"), ("sites", "d")) in keys  # site d alone names an unknown region
    grouped = next(g for g in groups if len(g.keys) == 2)
    assert grouped.reason == "they only validate together"
    # the composed register of one group holds that change and nothing else
    folder = compose(before, after, [("controls", "C2")], tmp_path / "c2")
    assert [c["id"] for c in register_changes(before, folder)] == ["C2"]
    assert register_changes(folder, after) and load_register(folder).control("C2")


def test_unchanged_risk_moves_by_exactly_zero(two_registers, mini_scenario_path):
    pack = _pack(*two_registers, mini_scenario_path)
    moves = {(m["year"], m["id"]): m for m in pack["movements"]}
    for year in pack["years"]:
        for rid in ("R2", "R3"):  # heat (leased sites only) and policy: untouched by the edits
            m = moves[(year, rid)]
            assert m["eal_change"] == 0.0 and m["eal_change_se"] == 0.0 and not m["significant"]
        assert moves[(year, "R1")]["eal_change"] > 0 and moves[(year, "R1")]["eal_change_se"] > 0
    assert set(pack["top_movers"]) == {"R1"}  # zero movers are left out


def test_parts_add_up_and_each_change_is_attributed(two_registers, mini_scenario_path):
    pack = _pack(*two_registers, mini_scenario_path)
    effects = pack["change_effects"]
    for part in pack["attribution"]:
        own = sum(r["change"] for e in effects for r in e["rows"]
                  if (r["year"], r["id"]) == (part["year"], part["id"]))
        assert own + part["remainder"] == pytest.approx(part["register"], rel=1e-12, abs=1e-9)
        assert part["register"] + part["scenario"] + part["sampling_noise"] == pytest.approx(
            part["total_change"], rel=1e-12, abs=1e-9)
        assert part["scenario"] == 0.0 and part["sampling_noise"] == 0.0  # one scenario, same seed
    by_change = {tuple(c["id"] for c in e["changes"]): e for e in effects}
    assert by_change[("R1",)]["no_effect"] is True  # the rating enters no model
    assert by_change[("C2",)]["no_effect"] is False and by_change[("east", "d")]["no_effect"] is False
    c2 = {(r["year"], r["id"]) for r in by_change[("C2",)]["rows"]}
    assert {rid for _, rid in c2} == {"R1", "total"}  # a control acting on R1 moves only R1


def test_movement_standard_error_is_the_paired_one(two_registers, mini_scenario_path):
    """The 2 x s.e. shown is that of the per-trial differences of the two runs on one seed."""
    before, after = two_registers
    pack = _pack(before, after, mini_scenario_path)
    scenario = read_scenario(mini_scenario_path)
    years = pack["years"]
    runs = [assess(load_register(p), scenario, horizons=years, trials=TRIALS, seed=SEED,
                   with_controls=False, with_coverage=False, keep_samples=True) for p in (before, after)]
    moves = {(m["year"], m["id"]): m for m in pack["movements"]}
    for i, year in enumerate(years):
        a, c = (r.horizons[i].samples["residual"].total for r in runs)
        d = c - a
        m = moves[(year, "total")]
        assert m["eal_change_se"] == pytest.approx(d.std(ddof=1) / math.sqrt(TRIALS), rel=1e-12)
        independent = math.hypot(a.std(ddof=1), c.std(ddof=1)) / math.sqrt(TRIALS)
        assert m["eal_change_se"] < independent  # pairing removes the shared noise
        assert m["eal_change"] == pytest.approx(c.mean() - a.mean(), rel=1e-12)


def test_paired_difference_of_identical_rows_is_exactly_zero():
    x = attr.Run({2030: {"R": np.array([1.0, 5.0, 0.0])}}, {}, {})
    y = attr.Run({2030: {"R": np.array([1.0, 5.0, 0.0])}}, {}, {})
    assert attr.paired(x, y, 2030, "R") == attr.Diff(0.0, 0.0)
    z = attr.Run({2030: {"R": np.array([2.0, 5.0, 3.0])}}, {}, {})
    d = attr.paired(z, x, 2030, "R")
    assert d.value == pytest.approx(4 / 3) and d.se == pytest.approx(np.std([1, 0, 3], ddof=1) / math.sqrt(3))
    assert attr.paired(z, x, 2030, "absent") == attr.Diff(0.0, 0.0)


def _review(before, after, scenario_path, *extra: str) -> str:
    result = runner.invoke(app, ["review", "--register", str(after), "--against-register", str(before),
                                 "--scenario", str(scenario_path), "--trials", str(TRIALS),
                                 "--seed", str(SEED), *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_pack_opens_with_a_summary_and_fits_the_terminal(two_registers, mini_scenario_path):
    text = _review(*two_registers, mini_scenario_path)
    lines = text.splitlines()
    assert "Summary" in lines[:6] and "Register changes" not in "\n".join(lines[:6])
    first = text.split("Summary\n=======\n\n")[1].split("\n\n")[0]
    assert "Residual expected annual loss (EAL) in 2050: EUR" in first and "rose" in first
    assert "beyond sampling noise" in first
    assert ("No effect on any simulated loss (not a model input, or one that another input overrides): "
            "risk R1 (Flood): rating.likelihood 3 -> 5") in " ".join(text.split())
    assert "control C2 (Drills): effect.severity.value 0.2 -> 0.1 fraction 0-1" in " ".join(text.split())
    assert max(len(line) for line in lines) <= 120, max(lines, key=len)
    movement = text.split("Movement of residual loss\n")[1].split("Decisions")[0]
    assert " R1 " in movement and " R2 " not in movement and " R3 " not in movement  # zero movers left out


def test_pack_prints_to_pdf(two_registers, mini_scenario_path, tmp_path):
    """The HTML pack printed by headless Chromium keeps every column header and the summary."""
    from tests.test_print import CHROMIUM, _need

    _need("pdftotext")
    if CHROMIUM is None:
        pytest.skip("chromium not installed (apt-get install chromium)")
    page = tmp_path / "pack.html"
    _review(*two_registers, mini_scenario_path, "--format", "html", "--output", str(page))
    pdf = tmp_path / "pack.pdf"
    import subprocess

    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", page.as_uri()], capture_output=True, timeout=120, check=True)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = set(text.split())
    for header in ("entity", "change", "field", "before", "now", "unit", "EAL", "s.e.", "beyond", "noise",
                   "VaR", "99%", "risks", "moved"):
        assert header in words, header
    assert "Summary" in words and "Residual expected annual loss" in " ".join(text.split())


def test_pack_lists_decisions_taken_and_due(tmp_path, mini_files, mini_scenario_path):
    before = write_register(tmp_path / "before", mini_files)
    mini_files["risks.yaml"]["risks"][2]["treatment"] = {
        "decision": "accept", "approver": "Risk committee", "date": "2020-03-31",
        "rationale": "Small and transient.", "review_date": "2020-09-30"}
    after = write_register(tmp_path / "after", mini_files)
    pack = _pack(before, after, mini_scenario_path)
    assert [(d["risk"], d["change"]) for d in pack["decisions_taken"]] == [("R3", "added")]
    assert [(d["risk"], d["days_overdue"]) for d in pack["decisions_due"]] == [("R3", 92)]  # as of 2020-12-31
    effects = {tuple(c["id"] for c in e["changes"]): e for e in pack["change_effects"]}
    assert effects[("R3",)]["no_effect"] is True  # a decision is not a model input
    text = " ".join(_review(before, after, mini_scenario_path).split())
    assert "1 treatment decision(s) past their review date (R3)" in text
    assert "R3 (Policy) added accept Risk committee 2020-03-31 2020-09-30" in text


def test_a_change_that_compiles_to_the_same_model_is_not_simulated(tmp_path, mini_files, mini_scenario_path,
                                                                    monkeypatch):
    """A rating, a date or a text leaves the compiled model as it was: same_model says so, and
    the review does not simulate it (its run would equal the earlier register's, trial by trial)."""
    scenario = read_scenario(mini_scenario_path)
    before = write_register(tmp_path / "before", mini_files)
    mini_files["risks.yaml"]["risks"][0]["rating"]["likelihood"] = 5
    mini_files["controls.yaml"]["controls"][0]["last_tested"] = "2020-11-30"
    rated = write_register(tmp_path / "rated", mini_files)
    mini_files["controls.yaml"]["controls"][1]["effect"]["severity"]["value"] = 0.1
    weaker = write_register(tmp_path / "weaker", mini_files)
    old, new = load_register(before), load_register(rated)
    assert attr.same_model(old, new, scenario, [2030, 2050])
    assert not attr.same_model(old, load_register(weaker), scenario, [2030, 2050])
    calls = []
    real = attr.run
    monkeypatch.setattr(attr, "run", lambda *a, **k: calls.append(a) or real(*a, **k))
    base = real(old, scenario, [2050], 2000, 1)
    changes = register_changes(before, rated)
    groups = change_groups(before, rated, changes, tmp_path / "work")
    found = attr.contributions(old, new, groups, scenario, base, [2050], 2000, 1, tmp_path / "c", changes)
    assert calls == [] and all(e["zero"] for e in found) and len(found) == 2

"""Two levels of uncertainty (issue 15): epistemic inputs held at their mean by default and
drawn once per world by ``assess --uncertainty``; scenario ranges; their closed forms."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from climaterisk import load_register
from climaterisk.analysis.sensitivity import _same
from climaterisk.analysis.uncertainty import assess_uncertainty, unknowns
from climaterisk.cli import app
from climaterisk.errors import RegisterError, ScenarioError
from climaterisk.model import components
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import controls_config
from climaterisk.register.distributions import LogNormal
from climaterisk.register.uncertainty import epistemic_inputs
from climaterisk.scenarios import load_scenario, read_scenario
from tests.conftest import scenario_dict, write_register, write_scenario

COST_P5, COST_P95 = 5.0, 50.0  # [EUR/yr] the mini register's R3 annual cost interval


def _stripped(register):
    """``register`` with every epistemic declaration removed (a known rate at the range's mean)."""
    def strip(risk):
        models = []
        for m in risk.models:
            if getattr(m, "rate_range", None) is not None:
                m = dataclasses.replace(m, rate_range=None)
            if getattr(m, "epistemic", False):
                m = dataclasses.replace(m, epistemic=False)
            models.append(m)
        return dataclasses.replace(risk, models=tuple(models))
    return dataclasses.replace(register, risks=tuple(strip(r) for r in register.risks),
                               opportunities=tuple(strip(r) for r in register.opportunities))


def test_without_declarations_the_compiled_model_is_unchanged_bit_for_bit(monkeypatch):
    """A register without declarations compiles to exactly what it compiled to before the two
    levels existed: the new step hands every drawn distribution through untouched."""
    reg = _stripped(load_register())
    sc = load_scenario("rcp45")
    assert epistemic_inputs(reg) == []
    for year in (2030, 2050):
        now = compile_portfolio(reg, sc, year, {"risks.yaml:R7:models[0].exposed_share": 0.9})
        monkeypatch.setattr(components, "held", lambda ctx, risk, model, dist: dist)
        before = compile_portfolio(reg, sc, year)
        monkeypatch.undo()
        assert _same(now, before)


def test_default_world_holds_the_carbon_share_at_its_mean():
    """R7's carbon cost is one unknown share a world: its VaR is its EAL in the default world
    (no rule uncertainty counted as annual randomness), and the mean keeps the EAL unbiased."""
    from climaterisk import assess

    reg = load_register()
    result = assess(reg, "rcp45", trials=2_000, seed=5, horizons=[2050], with_controls=False,
                    with_coverage=False)
    r7 = next(line for line in result.horizons[0].by_risk if line.id == "R7")
    assert r7.residual.var99 == pytest.approx(r7.residual.mean, rel=1e-12)
    aleatory = assess(_stripped(reg), "rcp45", trials=20_000, seed=5, horizons=[2050],
                      with_controls=False, with_coverage=False)
    r7_drawn = next(line for line in aleatory.horizons[0].by_risk if line.id == "R7")
    assert r7_drawn.residual.var99 > 1.5 * r7_drawn.residual.mean  # drawn every year before
    assert r7.residual.mean == pytest.approx(r7_drawn.residual.mean, rel=0.01)


@pytest.fixture
def epistemic_cost(tmp_path, mini_files):
    """The mini register with R3's annual cost declared epistemic, and nothing else uncertain
    but the years."""
    models = mini_files["risks.yaml"]["risks"][2]["models"]
    models[2]["uncertainty"] = "epistemic"
    return write_register(tmp_path / "epi", mini_files)


def test_an_epistemic_cost_is_drawn_once_per_world_with_its_closed_form_range(epistemic_cost, tmp_path):
    """EAL of each world minus the default world's = (cost at the world's quantile - mean cost)
    x the driver's ratio x (1 - C5's severity effect): the range over worlds follows the
    lognormal's quantiles exactly, and the worlds' quantiles are a Latin hypercube."""
    reg = load_register(epistemic_cost)
    sc = read_scenario(write_scenario(tmp_path / "s.yaml", scenario_dict()))
    (u,) = unknowns(reg, sc)
    assert u.name == "risks.yaml:R3:models[2].cost"
    worlds = 64
    result = assess_uncertainty(reg, sc, worlds=worlds, trials=500, seed=11, horizons=[2030], workers=1)
    cost = LogNormal.from_interval(COST_P5, COST_P95)
    p = compile_portfolio(reg, sc, 2030)
    (k,) = [i for i, c in enumerate(p.costs) if c.kind == "annual_cost" and not p.is_opportunity[c.risk]]
    factor = float(controls_config(reg, p).cost_factor[k][0])  # C5's severity effect on the cost
    assert factor == pytest.approx(0.9)
    ratio = sc.driver_ratio("policy_stringency", 2030, 2020) * factor
    q = result.quantiles[:, 0]
    assert sorted(np.floor(q * worlds).astype(int)) == list(range(worlds))  # one per stratum
    # R3's EAL moves only by its cost: the event and the carbon cost see the same years in every world
    r3 = result.year(2030).by_risk["residual"]["R3"]
    expected = np.array([cost.ppf(x) for x in q]) * ratio
    spread = expected - cost.mean() * ratio
    assert r3.p95 - r3.p5 == pytest.approx(np.percentile(spread, 95) - np.percentile(spread, 5), rel=1e-9)
    assert r3.sd == pytest.approx(spread.std(ddof=1), rel=1e-9)


def test_same_seed_same_worlds_bit_for_bit(epistemic_cost, mini_scenario_path):
    reg = load_register(epistemic_cost)
    sc = read_scenario(mini_scenario_path)
    a, b = (assess_uncertainty(reg, sc, worlds=8, trials=300, seed=2, horizons=[2030], workers=w).to_dict()
            for w in (1, 2))
    for d in (a, b):
        d.pop("seconds")
        d["manifest"].pop("time_utc")
    assert json.dumps(a) == json.dumps(b)


def test_rate_range_is_held_at_its_mean_and_drawn_per_world(tmp_path, mini_files, mini_scenario_path):
    event = mini_files["risks.yaml"]["risks"][2]["models"][0]
    del event["rate"]
    event["rate_range"] = {"low": 0.1, "high": 0.5, "source": "assumption: test"}
    reg = load_register(write_register(tmp_path / "rr", mini_files))
    sc = read_scenario(mini_scenario_path)
    name = "risks.yaml:R3:models[0].rate_range"
    rates = []
    for q in (None, 0.0, 0.25, 1.0):
        p = compile_portfolio(reg, sc, 2020, None if q is None else {name: q})
        rates.append(float(p.links.local_rate[p.links.site == -1][0]))
    assert rates == pytest.approx([0.3, 0.1, 0.2, 0.5])


def test_scenario_range_moves_a_group_to_one_percentile():
    sc = load_scenario("rcp45")
    assert "warming" in sc.range_groups
    gwl = sc.drivers["gwl_c"]
    assert gwl.range is not None
    i = gwl.years.index(2050)
    hi = sc.at_quantiles({"warming": 0.95}).drivers["gwl_c"].values[i]
    lo = sc.at_quantiles({"warming": 0.05}).drivers["gwl_c"].values[i]
    mid = sc.at_quantiles({"warming": 0.5}).drivers["gwl_c"].values[i]
    assert (lo, mid, hi) == pytest.approx((gwl.range.low[i], gwl.values[i], gwl.range.high[i]))


@pytest.mark.parametrize("change, message", [
    (lambda d: d["drivers"]["gwl_c"].update(range={"source": "x",
                                                   "values": {2020: [1, 1], 2050: [2.0, 1.9]}}),
     "low end <= the value"),
    (lambda d: d["drivers"]["gwl_c"].update(range={"source": "x", "values": {2050: [1, 3]}}),
     "the same years as the series' values"),
    (lambda d: d["drivers"]["gwl_c"].update(range={"source": "x", "percentiles": [50, 95],
                                                   "values": {2020: [1, 1], 2050: [1, 3]}}),
     "two percentiles"),
])
def test_bad_scenario_ranges_are_refused(tmp_path, change, message):
    data = scenario_dict()
    data["drivers"]["gwl_c"] = {"unit": "C", "description": "x", "source": "x",
                                "values": {2020: 1.0, 2050: 2.0}}
    change(data)
    with pytest.raises(ScenarioError, match=message):
        read_scenario(write_scenario(tmp_path / "bad.yaml", data))


@pytest.mark.parametrize("edit, message", [
    (lambda m: m[0].update(uncertainty="epistemic"), "uncertainty"),  # entity_event: not a field
    (lambda m: m[0].update(rate_range={"low": 0.1, "high": 0.2}), "either `rate`"),
    (lambda m: (m[0].pop("rate"), m[0].update(rate_range={"low": 0.3, "high": 0.2})), "high >= low"),
    (lambda m: m[2].update(uncertainty="sometimes"), "aleatory"),
])
def test_bad_declarations_are_refused(tmp_path, mini_files, edit, message):
    edit(mini_files["risks.yaml"]["risks"][2]["models"])
    with pytest.raises(RegisterError, match=message):
        load_register(write_register(tmp_path / "bad", mini_files))


@pytest.mark.parametrize("args, message", [
    (["--uncertainty", "1"], "from 2 to"),
    (["--uncertainty", "5", "--format", "csv"], "with --uncertainty"),
    (["--world-trials", "100"], "only with --uncertainty"),
    (["--uncertainty", "5", "--method", "fft"], "paired Monte Carlo"),
])
def test_cli_bad_uncertainty_options(args, message, tmp_path):
    out = tmp_path / "out.txt"
    r = CliRunner().invoke(app, ["assess", "--trials", "500", "-o", str(out), *args])
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_cli_uncertainty_json_and_table(tmp_path):
    out = tmp_path / "u.json"
    r = CliRunner().invoke(app, ["assess", "--uncertainty", "4", "--world-trials", "500", "--trials", "500",
                                 "--horizon", "2050", "--format", "json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())["uncertainty"]
    assert data["worlds"] == 4 and data["trials_per_world"] == 500
    names = {u["name"] for u in data["unknowns"]}
    assert "scenario drivers carbon_exposed_share_low..carbon_exposed_share_high" in names
    assert "scenario:rcp45:warming" in names
    year = data["horizons"][0]
    assert year["ranges"]["residual"]["eal"]["p5"] <= year["ranges"]["residual"]["eal"]["p95"]
    r = CliRunner().invoke(app, ["assess", "--uncertainty", "3", "--world-trials", "300", "--trials", "300",
                                 "--horizon", "2030"])
    assert r.exit_code == 0, r.output
    assert "5th - 95th pct of worlds" in r.output and "predictive" in r.output


def test_report_states_the_significant_areas_of_uncertainty(epistemic_cost, mini_scenario_path):
    from climaterisk.analysis.sensitivity import sensitivity
    from climaterisk.outputs.report.document import Table
    from climaterisk.outputs.report.uncertainty import evidence_for, rounded, uncertainty_blocks

    reg = load_register(epistemic_cost)
    sc = read_scenario(mini_scenario_path)
    sweep = sensitivity(reg, sc, trials=500, seed=1, horizons=[2030], workers=1)
    spread = assess_uncertainty(reg, sc, worlds=4, trials=300, seed=1, horizons=[2030], workers=1)
    blocks = uncertainty_blocks(sweep, spread, top=5)
    assert blocks[0].startswith("Significant areas of uncertainty (IFRS S2 22(a)(ii))")
    table = next(b for b in blocks if isinstance(b, Table) and b.name == "uncertainty_2030")
    top = sweep.ranked(2030, 1)[0]
    assert table.rows[0][0] == top.input.name
    assert table.rows[0][4] == rounded(top.at(2030).eal_swing / 1e6)
    kinds = {row[0]: row[1] for row in table.rows}
    assert kinds.get("risks.yaml:R3:models[2].cost", "epistemic") == "epistemic"
    assert any(isinstance(b, Table) and b.name == "uncertainty_range" for b in blocks)
    assert rounded(519_512_345.0) == 520_000_000 and rounded(0.012345) == 0.0123
    assert "loss history" in evidence_for("risks.yaml:R3:models[0].rate_range")
    assert "ETS" in evidence_for("scenario:rcp45:drivers carbon_exposed_share_low..carbon_exposed_share_high")

"""The one-at-a-time sensitivity sweep (``climaterisk sensitivity``): swings against their
closed form, paired draws, exact zeros, ranking, formats and bad options."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from climaterisk import assess, load_register
from climaterisk.analysis.sensitivity import apply_input, sensitivity, swing_values
from climaterisk.cli import app
from climaterisk.scenarios import load_scenario
from tests.conftest import write_register

RATE = 0.4  # [events/yr] of the uncontrolled company-level event
P5, P95 = 1.0e6, 1.0e7  # [EUR] its severity's 90% interval: large enough to rank first
TRIALS = 4_000


@pytest.fixture
def linear(tmp_path, mini_files):
    """The mini register with one more risk: a company-level event with no control and no
    driver, whose EAL is rate x mean severity (linear in its rate)."""
    mini_files["risks.yaml"]["risks"].append({
        "id": "R9", "title": "Lawsuit", "category": "policy_legal", "ifrs_s2_type": "transition",
        "impact": "Claims.", "time_horizons": ["long"], "owner": "Legal",
        "rating": {"likelihood": 2, "impact": 3},
        "models": [{"type": "entity_event", "rate": {"value": RATE, "source": "assumption: test"},
                    "severity": {"p5": P5, "p95": P95, "source": "assumption: test"}}],
    })
    return write_register(tmp_path / "linear", mini_files)


@pytest.fixture
def swept(linear, mini_scenario_path):
    reg = load_register(linear)
    return reg, sensitivity(reg, load_scenario(mini_scenario_path), trials=TRIALS, seed=3, workers=1)


def _item(result, name: str):
    return next(i for i in result.inputs if i.input.name == name)


def test_linear_rate_swing_is_the_derivative_times_the_range(swept):
    reg, result = swept
    mean = next(r for r in reg.risks if r.id == "R9").models[0].severity.mean()
    rate = _item(result, "risks.yaml:R9:models[0].rate")
    assert rate.input.low == pytest.approx(RATE * 0.8) and rate.input.high == pytest.approx(RATE * 1.2)
    for year in result.years:
        s = rate.at(year)
        expected = mean * (RATE * 1.2 - RATE * 0.8)  # dEAL/drate x range [EUR/yr]
        assert s.used and s.eal_se > 0
        assert abs(s.eal_swing - expected) < 4 * s.eal_se, (year, s.eal_swing, expected, s.eal_se)
        # the severity interval scaled by 1 -+ 20%: the mean moves by the same factor
        sev = _item(result, "risks.yaml:R9:models[0].severity").at(year)
        assert abs(sev.eal_swing - RATE * mean * 0.4) < 4 * sev.eal_se


def test_changed_input_moves_only_its_own_link(linear, mini_scenario_path):
    reg = load_register(linear)
    row = next(p for p in reg.provenance if p.entry == "R9" and p.field == "models[0].rate")
    _, low, high = swing_values(row, 0.2)
    runs = [assess(apply_input(reg, row, v), load_scenario(mini_scenario_path), trials=2_000, seed=3,
                   with_controls=False, with_coverage=False, keep_samples=True) for v in (low, high)]
    for h_low, h_high in zip(runs[0].horizons, runs[1].horizons, strict=True):
        a, b = h_low.samples["residual"].by_risk, h_high.samples["residual"].by_risk
        risk_ids = [r.id for r in reg.risks] + [o.id for o in reg.opportunities]
        other = [i for i, rid in enumerate(risk_ids) if rid != "R9"]
        assert np.array_equal(a[other], b[other])  # bit for bit
        assert not np.array_equal(a[risk_ids.index("R9")], b[risk_ids.index("R9")])


def test_unchanged_inputs_swing_exactly_zero(swept):
    _, result = swept
    for name in ("sites.yaml:a:rto_days",  # not in the loss model: not simulated again
                 "opportunities.yaml:O1:models[0].cost"):  # simulated, but not in the total
        item = _item(result, name)
        for year in result.years:
            s = item.at(year)
            assert s.eal_swing == 0.0 and s.eal_se == 0.0 and s.var99_swing == 0.0, name
    assert not _item(result, "sites.yaml:a:rto_days").at(result.years[0]).used
    skipped = {(p.entry, p.field): why for p, why in result.skipped}
    assert skipped[("T1", "baseline.value")] == "not an input of the loss model"
    assert ("staff", "value") in skipped  # a metric no carbon cost sums


def test_ranking_and_swing_kinds(swept):
    _, result = swept
    for year in result.years:
        ranked = result.ranked(year)
        swings = [abs(i.at(year).eal_swing) for i in ranked]
        assert swings == sorted(swings, reverse=True)
        assert {i.input.name for i in ranked[:2]} == {"risks.yaml:R9:models[0].rate",
                                                     "risks.yaml:R9:models[0].severity"}
        assert len(result.ranked(year, 3)) == 3
    share = _item(result, "risks.yaml:R3:models[1].exposed_share").input
    assert (share.swing, share.low, share.high) == ("range", (0.1, 0.1), (0.3, 0.3))
    freq = _item(result, "controls.yaml:C5:effect.frequency").input
    assert freq.low == pytest.approx(0.4) and freq.high == pytest.approx(0.6)


def test_bad_swing_is_refused(linear):
    from climaterisk.errors import OptionError

    with pytest.raises(OptionError, match="swing"):
        sensitivity(load_register(linear), "rcp45", swing=0.0)


runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, ["sensitivity", *args], catch_exceptions=False)


def test_cli_formats_and_figure(linear, mini_scenario_path, tmp_path):
    common = ["--register", str(linear), "--scenario", str(mini_scenario_path), "--trials", "1000",
              "--horizon", "2050", "--workers", "1"]
    table = _cli(*common, "--top", "3")
    assert table.exit_code == 0 and "2050: base EAL" in table.output and "R9" in table.output
    md = _cli(*common, "--format", "markdown")
    assert md.exit_code == 0 and "| input" in md.stdout and md.stdout.startswith("# Sensitivity")
    data = json.loads(_cli(*common, "--format", "json", "--top", "2").stdout)
    assert [h["year"] for h in data["horizons"]] == [2050] and len(data["horizons"][0]["inputs"]) == 2
    first = data["horizons"][0]["inputs"][0]
    assert {"eal_swing", "eal_se", "var99_swing", "low", "high", "swing"} <= set(first)
    out = tmp_path / "s.csv"
    result = _cli(*common, "--format", "csv", "--output", str(out), "--figure", str(tmp_path / "fig"))
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0]["rank"] == "1" and rows[0]["entry"] == "R9"
    fig = tmp_path / "fig"
    assert (fig / "tornado.png").stat().st_size > 0 and (fig / "tornado.svg").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--swing", "0"], "--swing: got 0.0; expected a percentage > 0 and < 100"),
    (["--swing", "-5"], "--swing: got -5.0"),
    (["--swing", "100"], "--swing: got 100.0"),
    (["--top", "0"], "--top: got 0; expected a number of inputs >= 1"),
    (["--trials", "1"], "--trials: got 1"),
])
def test_cli_bad_options(args, message, tmp_path):
    out = tmp_path / "s.json"
    result = _cli(*args, "--output", str(out))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0] == f"error: {message}" or lines[0].startswith(f"error: {message}")
    assert "Traceback" not in result.output and not out.exists()


def test_threads_do_not_change_the_numbers(linear, mini_scenario_path):
    reg, sc = load_register(linear), load_scenario(mini_scenario_path)
    one, two = (sensitivity(reg, sc, trials=1_000, seed=5, horizons=[2050], workers=w) for w in (1, 2))
    assert [i.swings for i in one.inputs] == [i.swings for i in two.inputs]


# --------------------------------------------------------------------------- epistemic and Sobol

LOW, HIGH = 0.1, 0.7  # [events/yr] R9's unknown true rate, uniform


@pytest.fixture
def unknown_rate(tmp_path, mini_files):
    """The mini register with R9, whose true rate is unknown (``rate_range``), uncontrolled."""
    mini_files["risks.yaml"]["risks"].append({
        "id": "R9", "title": "Lawsuit", "category": "policy_legal", "ifrs_s2_type": "transition",
        "impact": "Claims.", "time_horizons": ["long"], "owner": "Legal",
        "rating": {"likelihood": 2, "impact": 3},
        "models": [{"type": "entity_event",
                    "rate_range": {"low": LOW, "high": HIGH, "source": "assumption: test"},
                    "severity": {"p5": P5, "p95": P95, "source": "assumption: test"}}],
    })
    return write_register(tmp_path / "unknown", mini_files)


def test_epistemic_rate_swings_between_its_p5_and_p95(unknown_rate, mini_scenario_path):
    reg = load_register(unknown_rate)
    result = sensitivity(reg, load_scenario(mini_scenario_path), trials=TRIALS, seed=3, workers=1,
                         horizons=[2050])
    item = _item(result, "risks.yaml:R9:models[0].rate_range")
    assert item.input.swing.startswith("p5-p95")
    mean = next(r for r in reg.risks if r.id == "R9").models[0].severity.mean()
    expected = mean * (HIGH - LOW) * 0.9  # uniform: p95 - p5 = 0.9 of the range
    s = item.at(2050)
    assert abs(s.eal_swing - expected) < 4 * s.eal_se, (s.eal_swing, expected, s.eal_se)


def test_sobol_indices_of_a_product_match_their_closed_form(unknown_rate, mini_scenario_path):
    """EAL = rate x mean severity: rate ~ U(LOW, HIGH) (epistemic) times a severity factor
    F ~ U(0.8, 1.2) (the interval swung +-20%, varied uniformly between its ends). For a product
    of independent X and Y: S_X = Var X (E Y)^2 / V, S_T,X = Var X E[Y^2] / V, V = Var(XY)."""
    from climaterisk.analysis.inputs import World, levers
    from climaterisk.analysis.sobol import sobol_indices

    reg = load_register(unknown_rate)
    sc = load_scenario(mini_scenario_path)
    found, _ = levers(reg, sc)
    chosen = [lv for lv in found if lv.input.name in ("risks.yaml:R9:models[0].rate_range",
                                                      "risks.yaml:R9:models[0].severity")]
    assert len(chosen) == 2
    result = sobol_indices(World(reg, sc), chosen, 2050, samples=128, trials=4_000, seed=1, workers=2)
    ex, vx = (LOW + HIGH) / 2, (HIGH - LOW) ** 2 / 12
    ey, vy = 1.0, 0.4**2 / 12
    v = (vx + ex**2) * (vy + ey**2) - (ex * ey) ** 2
    closed = {"risks.yaml:R9:models[0].rate_range": (vx * ey**2 / v, vx * (vy + ey**2) / v),
              "risks.yaml:R9:models[0].severity": (vy * ex**2 / v, vy * (vx + ex**2) / v)}
    for index in result.indices:
        s1, st = closed[index.input]
        assert abs(index.s1 - s1) <= index.s1_conf + 0.05, (index, s1)
        assert abs(index.st - st) <= index.st_conf + 0.05, (index, st)
    assert result.evaluations == 128 * 4


@pytest.mark.parametrize("samples", [100, 0, 3])
def test_sobol_sample_size_must_be_a_power_of_two(linear, samples, tmp_path):
    out = tmp_path / "s.json"
    r = _cli("--register", str(linear), "--trials", "200", "--sobol", "3", "--sobol-samples", str(samples),
             "--output", str(out))
    assert r.exit_code == 2 and "power of two" in r.output and "Traceback" not in r.output
    assert not out.exists()

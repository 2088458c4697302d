"""The financial-effects bridge (issue 16): line items that add up to the total per trial, budgeted
spending that never reaches the risk losses, prices that change nothing when switched off, and
the report section and disclosure-index items it answers."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from climaterisk import assess, load_register
from climaterisk.analysis import disclosure_index
from climaterisk.analysis.financial_effects import Prices, financial_effects
from climaterisk.analysis.financial_effects import current_figures as financial_effects_current
from climaterisk.cli import app
from climaterisk.errors import OptionError, RegisterError
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import controls_config, inherent_config
from climaterisk.model.draws import draw_chunk
from climaterisk.model.line_items import ITEMS, item_losses, site_damage
from climaterisk.model.simulate import episode_losses, evaluate
from climaterisk.scenarios import load_scenario
from tests.conftest import write_register

TRIALS, SEED = 4000, 3


def _per_trial(register, scenario, year):
    """(line items [len(ITEMS), n], total [n], site damage [S, n]) of both configurations."""
    p = compile_portfolio(register, scenario, year)
    out = {}
    for config in (inherent_config(p), controls_config(register, p)):
        draws = draw_chunk(p, SEED, TRIALS, 0, 1)
        by_risk, _ = evaluate(p, draws, config)
        total = by_risk[~p.is_opportunity].sum(axis=0)
        items = item_losses(p, draws, config, episode_losses(p, draws, config))
        out[config.name] = (items, total, site_damage(p, draws, config))
    return p, out


@pytest.mark.parametrize("year", [2030, 2050])
def test_line_items_add_up_to_the_total_in_every_trial(mini_register_path, mini_scenario_path, year):
    register, scenario = load_register(mini_register_path), load_scenario(mini_scenario_path)
    _, out = _per_trial(register, scenario, year)
    for name, (items, total, _) in out.items():
        assert items.shape == (len(ITEMS), len(total))
        np.testing.assert_allclose(items.sum(axis=0), total, rtol=1e-12, atol=1e-9, err_msg=name)
    insurance = out["residual"][0][ITEMS.index("insurance_recovery")]
    if year == 2050:  # the transfer control C3 acts from 2040: recoveries, negative, on their own line
        assert insurance.min() < 0.0 and insurance.max() <= 0.0
    else:
        assert not insurance.any()
    assert not out["inherent"][0][ITEMS.index("insurance_recovery")].any()


def test_site_damage_is_the_damage_part_of_the_site_events(mini_register_path, mini_scenario_path):
    """Per site, the damage rows sum to the capital-expenditure line (the only damage line of the
    mini register's site events) before insurance."""
    register, scenario = load_register(mini_register_path), load_scenario(mini_scenario_path)
    _, out = _per_trial(register, scenario, 2030)
    items, _, damage = out["residual"]
    np.testing.assert_allclose(damage.sum(axis=0), items[ITEMS.index("capital_expenditure")], rtol=1e-12)


@pytest.fixture
def budgeted_register(tmp_path, mini_files):
    """The mini register with R3's annual cost declared budgeted (operating cost)."""
    mini_files["risks.yaml"]["risks"][2]["models"][2]["nature"] = "budgeted"
    return write_register(tmp_path / "budgeted", mini_files)


def test_a_budgeted_cost_never_appears_as_a_risk_loss(mini_register_path, budgeted_register,
                                                      mini_scenario_path):
    scenario = load_scenario(mini_scenario_path)
    before = assess(load_register(mini_register_path), scenario, trials=TRIALS, seed=SEED, horizons=[2050])
    reg = load_register(budgeted_register)
    after = assess(reg, scenario, trials=TRIALS, seed=SEED, horizons=[2050])
    h0, h1 = before.horizons[0], after.horizons[0]
    # closed form of what leaves: E[lognormal] x driver ratio (2.0 / 1.0) x (1 - C5 severity 0.1)
    model = next(r for r in reg.risks if r.id == "R3").models[2]
    expected = model.cost.mean() * 2.0 * (1.0 - 0.1)
    (budget,) = h1.budgeted
    assert (budget.risk_id, budget.line_item) == ("R3", "operating_cost")
    assert budget.residual == pytest.approx(expected, rel=1e-12)
    assert budget.inherent == pytest.approx(model.cost.mean() * 2.0, rel=1e-12)
    # the budget leaves the risk's EAL, the total and the operating-cost line: nothing else moves
    r3 = lambda h: next(x for x in h.by_risk if x.id == "R3")  # noqa: E731
    assert r3(h0).residual.mean - r3(h1).residual.mean == pytest.approx(expected, rel=0.05)
    assert h0.total.residual.mean - h1.total.residual.mean == pytest.approx(expected, rel=0.05)
    for a, b in zip(h0.by_line_item, h1.by_line_item, strict=True):
        if a.id != "operating_cost":
            assert a.residual.mean == b.residual.mean  # same random numbers for every other part
    assert not any(x.residual.mean < 0 for x in h1.by_risk)
    bridge = financial_effects(after)
    assert bridge.horizons[0].budgeted_total == pytest.approx(expected, rel=1e-12)
    assert sum(e.central for e in bridge.horizons[0].items) == pytest.approx(h1.total.residual.mean, rel=1e-9)


def test_nature_is_refused_on_events_and_line_items_are_checked(tmp_path, mini_files):
    mini_files["risks.yaml"]["risks"][0]["models"][0]["nature"] = "budgeted"
    mini_files["risks.yaml"]["risks"][1]["models"][0]["line_item"] = "goodwill"
    with pytest.raises(RegisterError) as err:
        load_register(write_register(tmp_path / "bad", mini_files))
    text = str(err.value)
    assert "nature" in text and "goodwill" in text


@pytest.fixture(scope="module")
def shipped_run():
    return assess(load_register(), "rcp45", trials=TRIALS, seed=SEED, horizons=[2025, 2030, 2050])


def test_line_item_means_add_up_to_the_total_mean(shipped_run):
    for h in shipped_run.horizons:
        total = sum(x.residual.mean for x in h.by_line_item)
        assert total == pytest.approx(h.total.residual.mean, rel=1e-9, abs=0)
        assert sum(x.inherent.mean for x in h.by_line_item) == pytest.approx(h.total.inherent.mean, rel=1e-9)
        for x in h.by_line_item:
            assert x.p5["residual"] <= x.residual.mean <= x.residual.var99 or x.residual.mean == 0
            assert x.p5["residual"] <= x.residual.var95 <= x.residual.var99
        # the shipped register's budgeted programmes (R4, R5) are not in any risk loss
        assert next(x for x in h.by_risk if x.id == "R4").residual.mean == 0.0
        assert {b.risk_id for b in h.budgeted} == {"R4", "R5"}


def test_prices_off_give_the_per_year_numbers(shipped_run):
    bridge = financial_effects(shipped_run, Prices(0.0, 0.0, 0.0))
    for h, e in zip(shipped_run.horizons, bridge.horizons, strict=True):
        assert e.factor == 1.0
        assert e.total.central == h.total.residual.mean
        assert [x.central for x in e.items] == [x.residual.mean for x in h.by_line_item]
        assert [b.central for b in e.budgeted] == [b.residual for b in h.budgeted]
    # plan period 2024-2050: linear interpolation between the simulated years, flat before 2025
    years = np.arange(2024, 2051)
    eal = np.interp(years, [2025, 2030, 2050], [h.total.residual.mean for h in shipped_run.horizons])
    total = next(p for p in bridge.plan if p.line_item == "total")
    assert bridge.plan_years == (2024, 2050)
    assert total.cumulative == pytest.approx(eal.sum(), rel=1e-12)
    assert total.present_value == total.cumulative
    assert "constant prices of 2023" in bridge.notes[0]


def test_growth_inflation_and_discounting_act_as_stated(shipped_run):
    g, i, r = 0.03, 0.02, 0.05
    bridge = financial_effects(shipped_run, Prices(g, i, r))
    flat = financial_effects(shipped_run)
    for e, f in zip(bridge.horizons, flat.horizons, strict=True):
        factor = ((1 + g) * (1 + i)) ** (e.year - 2023)
        assert e.total.central == pytest.approx(f.total.central * factor, rel=1e-12)
    years = np.arange(2024, 2051)
    eal = np.interp(years, [2025, 2030, 2050], [h.total.residual.mean for h in shipped_run.horizons])
    grown = eal * ((1 + g) * (1 + i)) ** (years - 2023)
    total = next(p for p in bridge.plan if p.line_item == "total")
    assert total.cumulative == pytest.approx(grown.sum(), rel=1e-12)
    assert total.present_value == pytest.approx((grown / (1 + r) ** (years - 2023)).sum(), rel=1e-12)
    assert "3.00%" in bridge.notes[0] and "5.00%" in bridge.notes[0]
    with pytest.raises(OptionError):
        Prices(growth=-1.5)


def test_bridge_answers_16_and_21(shipped_run):
    bridge = financial_effects(shipped_run)
    assert bridge.assets_year == 2025 and bridge.assets
    values = {s.id: s.replacement_value for s in shipped_run.register.sites}
    for a in bridge.assets:
        assert 0 < a.expected_damage < a.damage_var99 <= values[a.site_id]
    assert {f.what.split()[0] for f in bridge.current} >= {"electricity", "water", "R4", "R5"}
    ctx = disclosure_index.Context(shipped_run.register, shipped_run)
    status = {s.id: s.status for s in disclosure_index.check_index(ctx)}
    for item in ("s2-16a", "s2-16b", "s2-16d", "s2-17-21"):
        assert status[item] == "met", item
    # plan capex not disclosed and no budgeted capital expenditure left (R5 is booked to operating
    # costs since the issue 16 audit): nothing answers 16(c)
    assert status["s2-16c"] == "gap"
    two = assess(shipped_run.register, "rcp45", trials=1000, seed=SEED)  # no short term
    ctx = disclosure_index.Context(two.register, two)
    assert {s.id: s.status for s in disclosure_index.check_index(ctx)}["s2-16d"] == "partly met"


def test_report_options_are_checked(tmp_path):
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "r"), "--trials", "100",
                                      "--growth", "-150"])
    assert result.exit_code == 2
    assert "growth" in result.output


def test_current_period_turns_into_a_gap_without_base_year_money(tmp_path, mini_files):
    """16(a) is met by the sites' electricity at the register's tariff; without a tariff (and the
    cooling risk that needs one) the register holds no base-year amount in money: a gap."""
    reg = load_register(write_register(tmp_path / "with", mini_files))
    status = {s.id: s for s in disclosure_index.check_index(disclosure_index.Context(reg))}
    assert status["s2-16a"].status == "met"
    (power,) = financial_effects_current(reg)
    assert power.amount == (50.0 + 100.0) * 100.0  # sites a and b [MWh] x CNY 100/MWh
    del mini_files["register.yaml"]["parameters"]["electricity_price"]
    mini_files["risks.yaml"]["risks"] = [r for r in mini_files["risks.yaml"]["risks"] if r["id"] != "R2"]
    reg = load_register(write_register(tmp_path / "without", mini_files))
    status = {s.id: s for s in disclosure_index.check_index(disclosure_index.Context(reg))}
    assert status["s2-16a"].status == "gap"


def test_assets_at_risk_next_year_are_simulated_for_that_year(mini_register_path, mini_scenario_path):
    """The year after the base year is simulated on its own for 16(b), with the main run's seed and
    trials; without it the nearest simulated year stands in and the bridge says so."""
    from climaterisk.analysis.financial_effects import next_year_run

    register = load_register(mini_register_path)
    scenario = load_scenario(str(mini_scenario_path))
    main = assess(register, scenario, horizons=[2030, 2050], trials=2000, seed=3)
    nxt = next_year_run(main)
    assert nxt is not None and nxt.year == register.baseline_year + 1
    alone = assess(register, scenario, horizons=[nxt.year], trials=2000, seed=3, with_controls=False,
                   with_coverage=False).horizons[0]
    assert [d.residual.var99 for d in nxt.site_damage] == [d.residual.var99 for d in alone.site_damage]
    fe = financial_effects(main, next_year=nxt)
    assert fe.assets_year == nxt.year and not any("nearest simulated year" in n for n in fe.notes)
    by_site = {d.id: d.residual.mean for d in nxt.site_damage}
    assert fe.assets and all(a.expected_damage == by_site[a.site_id] for a in fe.assets)
    fallback = financial_effects(main)
    assert fallback.assets_year == 2030 and any("nearest simulated year, 2030" in n for n in fallback.notes)
    assert next_year_run(assess(register, scenario, horizons=[nxt.year], trials=500, seed=3)) is None


def test_line_items_are_optional_and_change_nothing_else(mini_register_path, mini_scenario_path):
    """Without line items (assess's table, the review's runs) the other results are bit for bit
    the same: the line items only add summary rows."""
    register = load_register(mini_register_path)
    scenario = load_scenario(str(mini_scenario_path))
    kw = {"horizons": [2030, 2050], "trials": 3000, "seed": 4, "with_controls": False}
    with_items = assess(register, scenario, **kw).to_dict()
    without = assess(register, scenario, with_line_items=False, **kw).to_dict()
    for h in without["horizons"]:
        assert h["by_line_item"] == [] and h["site_damage"] == []
    for h in (*with_items["horizons"], *without["horizons"]):
        h.pop("by_line_item"), h.pop("site_damage")
    assert with_items["horizons"] == without["horizons"]

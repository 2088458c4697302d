"""Engine invariants: reproducibility, chunk-size and entry-order invariance, scenario ordering."""

from __future__ import annotations

import random

import numpy as np
import pytest

from climaterisk import assess, load_register, load_scenario
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import controls_config, inherent_config
from climaterisk.model.simulate import simulate
from tests.conftest import write_register


def _run(reg, sc, chunk, trials=5_500, seed=42, year=2050):
    portfolio = compile_portfolio(reg, sc, year)
    configs = [inherent_config(portfolio), controls_config(reg, portfolio)]
    return simulate(portfolio, configs, trials, seed, chunk_trials=chunk, keep=True)


def test_chunk_size_does_not_change_results_bit_for_bit(mini_register_path, mini_scenario_path):
    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    reference = _run(reg, sc, chunk=100_000)
    for chunk in (1, 1_000, 2_000, 3_500):
        other = _run(reg, sc, chunk=chunk)
        for name in ("inherent", "residual"):
            assert np.array_equal(reference[name].by_risk, other[name].by_risk)
            assert np.array_equal(reference[name].by_site, other[name].by_site)


def test_shipped_register_identical_for_chunks_1000_and_100000():
    reg = load_register()
    a = assess(reg, "rcp45", trials=20_000, seed=3, chunk_trials=1_000)
    b = assess(reg, "rcp45", trials=20_000, seed=3, chunk_trials=100_000)
    assert [h.to_dict() for h in a.horizons] == [h.to_dict() for h in b.horizons]


def test_same_seed_same_result_other_seed_other_result(mini_register_path, mini_scenario_path):
    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    a, b = _run(reg, sc, 100_000, seed=1), _run(reg, sc, 100_000, seed=1)
    c = _run(reg, sc, 100_000, seed=2)
    assert np.array_equal(a["residual"].by_risk, b["residual"].by_risk)
    assert not np.array_equal(a["residual"].by_risk, c["residual"].by_risk)


def test_order_of_entries_in_files_does_not_matter(tmp_path, mini_files, mini_scenario_path):
    sc = load_scenario(mini_scenario_path)
    north = mini_files["sites.yaml"]["regions"][0]
    north["common_events"].append({"hazard": "storm", "rate": 0.2, "footprint": 0.5})
    mini_files["sites.yaml"]["sites"][0]["hazards"]["storm"] = 0.05
    mini_files["risks.yaml"]["risks"][0]["models"].append(
        {"type": "site_event", "hazard": "storm", "damage": {"p5": 0.01, "p95": 0.1}})
    first = assess(load_register(write_register(tmp_path / "a", mini_files)), sc,
                   trials=3_000, seed=8)
    shuffled = __import__("copy").deepcopy(mini_files)
    shuffled["sites.yaml"]["regions"][0]["common_events"].reverse()
    rng = random.Random(0)
    for name, key in (("sites.yaml", "sites"), ("sites.yaml", "regions"), ("risks.yaml", "risks"),
                      ("controls.yaml", "controls"), ("metrics.yaml", "metrics")):
        rng.shuffle(shuffled[name][key])
    shuffled["risks.yaml"]["risks"][0]["controls"].reverse()
    for risk in shuffled["risks.yaml"]["risks"]:
        risk["models"].reverse()
    second = assess(load_register(write_register(tmp_path / "b", shuffled)), sc,
                    trials=3_000, seed=8)
    assert [h.to_dict() for h in first.horizons] == [h.to_dict() for h in second.horizons]


def test_trials_not_a_multiple_of_the_block(mini_register_path, mini_scenario_path):
    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    out = _run(reg, sc, chunk=2_000, trials=2_345)
    assert out["inherent"].by_risk.shape[1] == 2_345
    assert np.all(np.isfinite(out["inherent"].by_risk))


def test_breakdowns_add_up(mini_register_path, mini_scenario_path):
    """Risks sum to the total; sites (with the company-level row) sum to the risks' losses."""
    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    res = assess(reg, sc, trials=4_000, seed=2, keep_samples=True)
    for h in res.horizons:
        for basis in ("inherent", "residual"):
            s = h.samples[basis]
            losses = s.by_risk[:3].sum(axis=0)  # R1-R3; row 3 is the opportunity
            assert np.allclose(s.by_site.sum(axis=0), losses)
        assert sum(x.inherent.mean for x in h.by_risk) == pytest.approx(h.total.inherent.mean)
        assert sum(x.residual.mean for x in h.by_category) == pytest.approx(h.total.residual.mean)


@pytest.fixture(scope="module")
def shipped_2050():
    reg = load_register()
    return {
        name: assess(reg, name, horizons=[2050], trials=100_000, seed=1).horizons[0]
        for name in ("rcp26", "rcp45", "rcp85")
    }


def _acute(h):
    return next(x for x in h.by_category if x.id == "physical_acute")


def test_acute_residual_eal_2050_ordered_by_scenario(shipped_2050):
    """rcp85 > rcp45 > rcp26 for acute physical residual EAL in 2050, each gap > 2 SE."""
    a = {k: _acute(v).residual for k, v in shipped_2050.items()}
    for hi, lo in (("rcp85", "rcp45"), ("rcp45", "rcp26")):
        gap = a[hi].mean - a[lo].mean
        assert gap > 2 * np.hypot(a[hi].se, a[lo].se), (hi, lo, a[hi].mean, a[lo].mean)


def test_shipped_residual_never_exceeds_inherent(shipped_2050):
    for h in shipped_2050.values():
        for line in (h.total, *h.by_risk, *h.by_category, *h.by_site):
            assert line.residual.mean <= line.inherent.mean
            assert line.residual.var99 <= line.inherent.var99
        assert h.total.residual.se / h.total.residual.mean < 0.01  # default-size runs are < 1%


def test_measures_are_ordered(shipped_2050):
    for h in shipped_2050.values():
        for line in (h.total, *h.by_risk):
            for s in (line.inherent, line.residual):
                assert 0 <= s.var95 <= s.var99 <= s.tvar99
                assert s.var95 <= s.tvar95 <= s.tvar99


def test_threads_do_not_change_results(mini_register_path, mini_scenario_path):
    """Two worker threads, chunks of one block: the same arrays as one thread."""
    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    one = assess(reg, sc, trials=6_500, seed=4, chunk_trials=1_000, keep_samples=True, workers=1)
    two = assess(reg, sc, trials=6_500, seed=4, chunk_trials=1_000, keep_samples=True, workers=2)
    for a, b in zip(one.horizons, two.horizons, strict=True):
        for basis in ("inherent", "residual"):
            assert np.array_equal(a.samples[basis].by_risk, b.samples[basis].by_risk)
            assert np.array_equal(a.samples[basis].by_site, b.samples[basis].by_site)
        assert a.exposure_coverage == b.exposure_coverage
    assert [c.to_dict() for c in one.controls] == [c.to_dict() for c in two.controls]


def test_small_blocks_for_very_large_registers(mini_register_path, mini_scenario_path, monkeypatch):
    """A register expecting more events per block than ``MAX_BLOCK_EVENTS`` gets blocks of fewer
    trials; results are still the same for any chunk size and thread count, and the streaming
    summary (moments merged in block order as blocks arrive) equals the measures of the kept
    trials."""
    from climaterisk.model import draws
    from climaterisk.model.metrics import summarise

    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    portfolio = compile_portfolio(reg, sc, 2050)
    assert draws.block_trials(portfolio) == draws.BLOCK_TRIALS == 10_000
    per_trial = draws.expected_events(portfolio)
    monkeypatch.setattr(draws, "MAX_BLOCK_EVENTS", 30 * per_trial)  # 25 trials fit, 50 do not
    assert draws.block_trials(portfolio) == 25
    configs = [inherent_config(portfolio), controls_config(reg, portfolio)]
    runs = [simulate(portfolio, configs, 2_010, 7, chunk_trials=chunk, workers=workers, keep=True)
            for chunk, workers in ((100_000, 1), (25, 2), (75, 2), (1_000, 1))]
    for other in runs[1:]:
        for name in ("inherent", "residual"):
            assert np.array_equal(runs[0][name].total, other[name].total)
            assert np.array_equal(runs[0][name].by_risk, other[name].by_risk)
            assert runs[0][name].summary.stats() == other[name].summary.stats()
    first = runs[0]["residual"]
    for row, stats in zip(first.by_risk, first.summary.stats(), strict=False):
        expected = summarise(row)
        assert stats.var99 == expected.var99 and stats.tvar95 == pytest.approx(expected.tvar95, rel=1e-12)
        assert stats.mean == pytest.approx(expected.mean, rel=1e-12)


def test_control_totals_by_difference_equal_direct_evaluation():
    """"All controls but C" evaluated by difference from the residual (only the events of the
    links C acts on) gives the same per-trial totals as evaluating it in full, for every control
    of the shipped register (insurance layers, thinning and cost controls included)."""
    from climaterisk.analysis.control_value import without_configs
    from climaterisk.model.draws import Workspace, draw_chunk
    from climaterisk.model.simulate import evaluate, evaluate_total, total_by_difference

    reg = load_register()
    portfolio = compile_portfolio(reg, load_scenario("rcp45"), 2050)
    residual = controls_config(reg, portfolio)
    draws = draw_chunk(portfolio, 5, 3_000, 0, 1, Workspace())
    by_risk, _ = evaluate(portfolio, draws, residual, sites=False)
    base_total = by_risk[~portfolio.is_opportunity].sum(axis=0)
    configs = without_configs(reg, portfolio)
    assert len(configs) > 10
    for config in configs:
        direct = evaluate_total(portfolio, draws, config)
        fast = total_by_difference(portfolio, draws, config, residual, base_total)
        np.testing.assert_allclose(fast, direct, rtol=1e-12, atol=1e-6, err_msg=config.name)


def test_single_precision_exponential_error_bound():
    """exp_single: relative error at most 1e-6 for exponents up to 16 in size (a loss of 9
    million, or a millionth), at most 4e-6 up to 88; capped at exp(88); exp(-inf) = 0."""
    from climaterisk.model.draws import SINGLE_EXP_MAX, exp_single

    x = np.concatenate([np.linspace(-16, 16, 200_001), np.linspace(-80, 88, 200_001)])
    got = x.copy()
    exp_single(got, np.empty(len(x), dtype=np.float32))
    rel = np.abs(got / np.exp(x) - 1.0)
    small = np.abs(x) <= 16
    assert rel[small].max() <= 1e-6 and rel.max() <= 4e-6
    assert abs(np.mean((got / np.exp(x) - 1.0)[small])) < 1e-8  # unbiased
    edge = np.array([-np.inf, 100.0, 0.0])
    exp_single(edge, np.empty(3, dtype=np.float32))
    assert edge[0] == 0.0 and edge[1] == pytest.approx(np.exp(SINGLE_EXP_MAX), rel=1e-6) and edge[2] == 1.0


def test_expand_is_repeat():
    """The GIL-releasing expansion of link ids by their event counts equals ``np.repeat``,
    zero counts anywhere included."""
    from climaterisk.model.draws import _expand

    rng = np.random.default_rng(1)
    for _ in range(2_000):
        size = int(rng.integers(0, 8))
        ids = rng.integers(0, 100, size)
        counts = rng.integers(0, 4, size) * (rng.random(size) < 0.6)
        assert np.array_equal(_expand(ids, counts), np.repeat(ids, counts))

"""The Monte Carlo engine against closed forms and exact distributions.

Tolerances are statistical: a simulated mean must lie within 4 standard errors of the exact
expected loss (a false alarm about once in 16,000 checks), and a simulated quantile must sit
where the exact cdf is within 4 binomial standard deviations of its level.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from climaterisk import assess, load_register, load_scenario
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import controls_config, inherent_config
from climaterisk.model.simulate import simulate
from climaterisk.register.distributions import LogNormal
from tests.conftest import write_register

Z = 1.6448536269514722


def ln_mean(p5: float, p95: float) -> float:
    """Mean of the lognormal with this 90% interval, computed independently of the package."""
    mu = (math.log(p5) + math.log(p95)) / 2
    sigma = (math.log(p95) - math.log(p5)) / (2 * Z)
    return stats.lognorm(s=sigma, scale=math.exp(mu)).mean()


def exact_means(year: int) -> dict[str, tuple[float, float]]:
    """Inherent and residual expected annual loss of the mini register, by hand."""
    t = (year - 2020) / 30  # scenario multipliers rise linearly from 2020 to 2050
    fmult, smult, warming = 1 + 0.5 * t, 1 + 0.2 * t, 1.0 * t
    policy, price = 1 + t, 10 + 90 * t
    dmg, down = ln_mean(0.01, 0.2), ln_mean(0.5, 5.0)
    sites = {"a": (0.2 + 0.5 * 0.4, 1000, 10, 0.7), "b": (0.1 + 0.5 * 0.4, 2000, 20, 0.7),
             "c": (0.3, 500, 5, 1.0)}
    r1_inh = sum(r * fmult * smult * (dmg * v + down * k) for r, v, k, _ in sites.values())
    r1_res = sum(r * fmult * keep * smult * (0.8 * dmg * v + 0.5 * down * k)
                 for r, v, k, keep in sites.values())
    sens = ln_mean(0.01, 0.05)
    r2_inh = (50 + 100) * 100 * warming * sens
    event = 0.3 * policy * ln_mean(10, 200)
    carbon = 1000 * 0.2 * price * 2.0
    cost = ln_mean(5, 50) * policy
    r3_inh = event + carbon + cost
    r3_res = event * 0.5 * 0.9 + (carbon + cost) * 0.9
    return {"R1": (r1_inh, r1_res), "R2": (r2_inh, r2_inh * 0.75), "R3": (r3_inh, r3_res),
            "O1": (ln_mean(1, 9), ln_mean(1, 9))}


@pytest.mark.parametrize("year", [2030, 2035])
def test_mean_matches_closed_form(mini_register_path, mini_scenario_path, year):
    """Simulated EAL within 4 standard errors of the closed form, per risk and in total."""
    result = assess(load_register(mini_register_path), load_scenario(mini_scenario_path),
                    horizons=[year], trials=200_000, seed=11)
    h = result.horizons[0]
    exact = exact_means(year)
    lines = {x.id: x for x in (*h.by_risk, *h.opportunities)}
    for rid, (inh, res) in exact.items():
        for basis, value in (("inherent", inh), ("residual", res)):
            stats_ = getattr(lines[rid], basis)
            assert abs(stats_.mean - value) < 4 * stats_.se, (rid, basis, stats_.mean, value)
    total_inh = sum(v[0] for k, v in exact.items() if k.startswith("R"))
    assert abs(h.total.inherent.mean - total_inh) < 4 * h.total.inherent.se


def lev(d: float, mu: float, sigma: float) -> float:
    """Limited expected value E[min(X, d)] of a lognormal (closed form)."""
    if d <= 0:
        return 0.0
    ld = math.log(d)
    return (math.exp(mu + sigma**2 / 2) * stats.norm.cdf((ld - mu - sigma**2) / sigma)
            + d * (1 - stats.norm.cdf((ld - mu) / sigma)))


def single_event_register(tmp_path, files, rate=0.8, p5=1.0, p95=100.0, controls=None):
    """The mini register cut down to one company-level event risk."""
    files["risks.yaml"] = {"risks": [{
        "id": "E", "title": "Event", "category": "reputation", "ifrs_s2_type": "transition",
        "impact": "x", "time_horizons": ["short"], "rating": {"likelihood": 1, "impact": 1},
        "controls": [c["id"] for c in controls or []],
        "models": [{"type": "entity_event", "rate": rate, "severity": {"p5": p5, "p95": p95}}],
    }]}
    files["controls.yaml"] = {"controls": controls or []}
    files["opportunities.yaml"] = {"opportunities": []}
    return load_register(write_register(tmp_path / "single", files))


def test_transfer_layer_matches_limited_expected_value(tmp_path, mini_files, mini_scenario_path):
    """Residual EAL under a per-event deductible and limit equals
    rate x (E[min(X, D)] + E[X] - E[min(X, D + L)])."""
    ctrl = {"id": "INS", "title": "Insurance", "type": "transfer", "status": "implemented",
            "effect": {"deductible": 20.0, "limit": 80.0}}
    reg = single_event_register(tmp_path, mini_files, controls=[ctrl])
    res = assess(reg, load_scenario(mini_scenario_path), horizons=[2030], trials=200_000, seed=3)
    d = LogNormal.from_interval(1.0, 100.0)
    exact = 0.8 * (lev(20, d.mu, d.sigma) + d.mean() - lev(100, d.mu, d.sigma))
    line = res.horizons[0].by_risk[0]
    assert abs(line.residual.mean - exact) < 4 * line.residual.se
    assert abs(line.inherent.mean - 0.8 * d.mean()) < 4 * line.inherent.se


def compound_poisson_cdf(rate: float, dist: LogNormal, h: float, m: int) -> np.ndarray:
    """Exact cdf of a compound Poisson annual loss on the grid k*h, by FFT.

    The severity is discretised by rounding (mass of [(k - 1/2)h, (k + 1/2)h) at kh); the
    aggregate pmf is the inverse FFT of exp(rate * (phi - 1)), phi the severity's DFT.
    """
    edges = (np.arange(m + 1) - 0.5) * h
    edges[0] = 0.0
    f = np.diff(stats.lognorm(s=dist.sigma, scale=math.exp(dist.mu)).cdf(edges))
    f[-1] += 1.0 - f.sum()  # keep total mass 1 (the tail beyond the grid is negligible)
    pmf = np.real(np.fft.ifft(np.exp(rate * (np.fft.fft(f) - 1.0))))
    return np.cumsum(np.clip(pmf, 0.0, None))


def test_quantiles_match_exact_compound_poisson(tmp_path, mini_files, mini_scenario_path):
    """VaR 95% and 99% of one link against the FFT distribution of its annual loss."""
    reg = single_event_register(tmp_path, mini_files, rate=0.8, p5=1.0, p95=100.0)
    n = 200_000
    res = assess(reg, load_scenario(mini_scenario_path), horizons=[2020], trials=n, seed=5)
    stats_ = res.horizons[0].by_risk[0].inherent
    h = 0.25
    cdf = compound_poisson_cdf(0.8, LogNormal.from_interval(1.0, 100.0), h, 2**18)
    assert cdf[0] == pytest.approx(math.exp(-0.8), abs=1e-3)  # no event in the year
    for q, value in ((0.95, stats_.var95), (0.99, stats_.var99)):
        exact_cdf_at_sim = cdf[round(value / h)]
        tolerance = 4 * math.sqrt(q * (1 - q) / n) + 2e-4  # sampling + grid rounding
        assert abs(exact_cdf_at_sim - q) < tolerance, (q, value, exact_cdf_at_sim)
        exact_var = np.searchsorted(cdf, q) * h
        assert value == pytest.approx(exact_var, rel=0.05)


def test_common_shock_joint_probability(tmp_path, mini_files, mini_scenario_path):
    """The chance that sites a and b both suffer a flood in the same year matches the
    superposition of independent Poisson streams (shared regional hits + own events)."""
    files = mini_files
    files["risks.yaml"]["risks"] = [files["risks.yaml"]["risks"][0]]
    files["controls.yaml"]["controls"] = [c for c in files["controls.yaml"]["controls"]
                                          if c["id"] in ("C1", "C2", "C3")]
    reg = load_register(write_register(tmp_path / "shock", files))
    n = 200_000
    res = assess(reg, load_scenario(mini_scenario_path), horizons=[2020], trials=n, seed=9,
                 keep_samples=True)
    by_site = res.horizons[0].samples["inherent"].by_site
    hit_a, hit_b = by_site[0] > 0, by_site[1] > 0
    lam, p = 0.5, 0.4
    both, only_a, only_b = lam * p * p, lam * p * (1 - p) + 0.2, lam * p * (1 - p) + 0.1
    exact = (1 - math.exp(-(both + only_a)) - math.exp(-(both + only_b))
             + math.exp(-(both + only_a + only_b)))
    sim = float(np.mean(hit_a & hit_b))
    assert abs(sim - exact) < 4 * math.sqrt(exact * (1 - exact) / n)
    independent = (1 - math.exp(-(both + only_a))) * (1 - math.exp(-(both + only_b)))
    assert sim > independent + 8 * math.sqrt(exact * (1 - exact) / n)  # the shock is visible


def test_residual_never_exceeds_inherent_trial_by_trial(mini_register_path, mini_scenario_path):
    reg = load_register(mini_register_path)
    sc = load_scenario(mini_scenario_path)
    for year in (2030, 2050):
        portfolio = compile_portfolio(reg, sc, year)
        out = simulate(portfolio, [inherent_config(portfolio), controls_config(reg, portfolio)],
                       20_000, seed=1, keep=True)
        assert np.all(out["residual"].by_risk <= out["inherent"].by_risk + 1e-9)
        assert np.all(out["inherent"].by_risk >= 0)


def test_insurance_tower_layers_recover_from_the_ground_up(tmp_path, mini_files, mini_scenario_path):
    """A primary layer (limit 30 above 0) and an excess layer (limit 60 above 30) both measured
    on the ground-up loss: together they retain only the part of each loss above 90."""
    layers = [
        {"id": "P", "title": "Primary", "type": "transfer", "status": "implemented",
         "effect": {"deductible": 0.0, "limit": 30.0}},
        {"id": "X", "title": "Excess", "type": "transfer", "status": "implemented",
         "effect": {"deductible": 30.0, "limit": 60.0}},
    ]
    reg = single_event_register(tmp_path, mini_files, controls=layers)
    res = assess(reg, load_scenario(mini_scenario_path), horizons=[2020], trials=200_000, seed=12)
    d = LogNormal.from_interval(1.0, 100.0)
    exact = 0.8 * (d.mean() - lev(90, d.mu, d.sigma))  # retained: the loss above 90
    line = res.horizons[0].by_risk[0]
    assert abs(line.residual.mean - exact) < 4 * line.residual.se


def test_controls_act_only_on_the_components_they_name(tmp_path, mini_files, mini_scenario_path):
    """C5 limited to the entity event leaves R3's carbon and annual costs untouched."""
    ctrl = next(c for c in mini_files["controls.yaml"]["controls"] if c["id"] == "C5")
    ctrl["components"] = ["entity_event"]
    reg = load_register(write_register(tmp_path / "comp", mini_files))
    res = assess(reg, load_scenario(mini_scenario_path), horizons=[2030], trials=100_000, seed=13)
    t = 10 / 30
    event = 0.3 * (1 + t) * ln_mean(10, 200)
    costs = 1000 * 0.2 * (10 + 90 * t) * 2.0 + ln_mean(5, 50) * (1 + t)
    line = next(x for x in res.horizons[0].by_risk if x.id == "R3")
    exact = event * 0.5 * 0.9 + costs
    assert abs(line.residual.mean - exact) < 4 * line.residual.se


def test_site_scoped_control_leaves_company_level_components(mini_files):
    from climaterisk.register import Control

    scoped = Control("S", "Scoped", "preventive", "implemented", site_ids=("a",))
    assert scoped.applies_to("a") and not scoped.applies_to("b") and not scoped.applies_to(None)
    assert Control("U", "Unscoped", "preventive", "implemented").applies_to(None)


def test_damage_is_capped_at_the_replacement_value(tmp_path, mini_files, mini_scenario_path):
    """With a damage interval near 100% of value, no simulated event loses more than the value
    plus its downtime cost."""
    risk = mini_files["risks.yaml"]["risks"][0]
    risk["models"][0]["damage"] = {"p5": 0.5, "p95": 1.0}
    risk["models"][0].pop("downtime_days")
    risk["controls"] = []
    reg = load_register(write_register(tmp_path / "cap", mini_files))
    portfolio = compile_portfolio(reg, load_scenario(mini_scenario_path), 2020)
    from climaterisk.model.draws import draw_block
    from climaterisk.model.simulate import event_outcomes

    draws = draw_block(portfolio, 1, 0, 1000)
    loss, _ = event_outcomes(portfolio, draws, inherent_config(portfolio))
    r1 = portfolio.links.risk[draws.link] == 0
    values = portfolio.links.a_scale[draws.link]
    assert r1.any() and np.all(loss[r1] <= values[r1])
    assert np.any(loss[r1] == values[r1])  # the cap binds for some events

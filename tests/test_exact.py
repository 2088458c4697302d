"""The exact (FFT) engine against closed forms and against Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest

from climaterisk import assess, load_register, load_scenario
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import controls_config, inherent_config
from climaterisk.model.exact import closed_form_mean, exact_lines
from climaterisk.register.distributions import LogNormal
from tests.conftest import write_register
from tests.test_engine_exact import compound_poisson_cdf, exact_means, lev, single_event_register


def test_fft_mean_matches_the_closed_form(mini_register_path, mini_scenario_path):
    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    res = assess(reg, sc, horizons=[2030], method="fft")
    h = res.horizons[0]
    exact = exact_means(2030)
    for line in (*h.by_risk, *h.opportunities):
        inh, rsd = exact[line.id]
        assert line.inherent.mean == pytest.approx(inh, rel=2e-3), line.id
        assert line.residual.mean == pytest.approx(rsd, rel=2e-3), line.id
        assert line.residual.se == 0.0
    p = compile_portfolio(reg, sc, 2030)
    assert h.total.residual.mean == pytest.approx(closed_form_mean(p, controls_config(reg, p)), rel=1e-3)


def test_fft_single_link_matches_an_independent_fft(tmp_path, mini_files, mini_scenario_path):
    reg = single_event_register(tmp_path, mini_files, rate=0.8, p5=1.0, p95=100.0)
    h = assess(reg, load_scenario(mini_scenario_path), horizons=[2020], method="fft").horizons[0]
    cdf = compound_poisson_cdf(0.8, LogNormal.from_interval(1.0, 100.0), 0.05, 2**19)
    for q, value in ((0.95, h.total.inherent.var95), (0.99, h.total.inherent.var99)):
        assert value == pytest.approx(np.searchsorted(cdf, q) * 0.05, rel=0.01)


def test_fft_insurance_layer(tmp_path, mini_files, mini_scenario_path):
    ctrl = {"id": "INS", "title": "Insurance", "type": "transfer", "status": "implemented",
            "effect": {"deductible": 20.0, "limit": 80.0}}
    reg = single_event_register(tmp_path, mini_files, controls=[ctrl])
    h = assess(reg, load_scenario(mini_scenario_path), horizons=[2030], method="fft").horizons[0]
    d = LogNormal.from_interval(1.0, 100.0)
    exact = 0.8 * (lev(20, d.mu, d.sigma) + d.mean() - lev(100, d.mu, d.sigma))
    assert h.total.residual.mean == pytest.approx(exact, rel=5e-3)


def _var_ci(x: np.ndarray, q: float, z: float = 2.576) -> tuple[float, float]:
    """99% confidence interval of the q-quantile from order statistics (binomial)."""
    n = len(x)
    s = np.sort(x)
    half = z * math.sqrt(n * q * (1 - q))
    return float(s[max(int(n * q - half), 0)]), float(s[min(int(n * q + half) + 1, n - 1)])


@pytest.mark.parametrize("register_kind", ["mini", "shipped"])
def test_fft_inside_monte_carlo_confidence_intervals(register_kind, mini_register_path,
                                                     mini_scenario_path, shipped_independent):
    """Common shocks included: the FFT VaR 99% lies in the Monte Carlo 99% interval and the
    FFT mean within 4 standard errors, for the total and every risk, inherent and residual."""
    if register_kind == "mini":
        reg, sc, year = load_register(mini_register_path), load_scenario(mini_scenario_path), 2050
    else:
        reg, sc, year = load_register(shipped_independent), load_scenario("rcp45"), 2050
    p = compile_portfolio(reg, sc, year)
    mc = assess(reg, sc, horizons=[year], trials=200_000, seed=21, keep_samples=True,
                with_controls=False, with_coverage=False).horizons[0]
    for config in (inherent_config(p), controls_config(reg, p)):
        dists = exact_lines(p, config)
        samples = mc.samples[config.name]
        checks = [("total", dists["total"]["total"], samples.total)]
        checks += [(rid, dists["risk"][rid], samples.by_risk[i])
                   for i, rid in enumerate(p.risk_ids) if not p.is_opportunity[i]]
        for name, dist, x in checks:
            st = dist.stats()
            se = x.std(ddof=1) / math.sqrt(len(x))
            # <=: a risk with no loss (only budgeted spending, issue 16) is 0 in both
            assert abs(st.mean - x.mean()) <= 4 * se + 1e-9 * abs(st.mean), (config.name, name)
            lo, hi = _var_ci(x, 0.99)
            slack = 2 * dist.h  # the grid's rounding
            assert lo - slack <= st.var99 <= hi + slack, (config.name, name, lo, st.var99, hi)


def test_auto_method(mini_register_path, mini_scenario_path):
    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    fast = assess(reg, sc, method="auto", with_controls=False, with_coverage=False)
    assert fast.manifest["method"] == "fft" and fast.horizons[0].total.residual.se == 0.0
    full = assess(reg, sc, method="auto", trials=2_000)
    assert full.manifest["method"] == "mc" and full.controls is not None


@pytest.mark.parametrize(("mu", "sigma", "scale", "cap_points", "h", "n"), [
    (0.0, 1.0, 1.0, None, 0.05, 4096),      # the far tail lumped at the last point
    (2.0, 1.5, 3.0, 200, 1.0, 1024),        # capped: the cap on a grid point
    (0.0, 0.3, 1.0, None, 0.5, 64),         # a body a few cells wide
    (0.0, 1.0, 1.0, None, 1e-3, 2**20),     # a million points: no round-off build-up
])
def test_lognormal_masses_keep_the_mean(mu, sigma, scale, cap_points, h, n):
    """The masses sum to 1, are never negative, and have the mean of min(scale X, cap) exactly
    (up to the tail beyond the grid, under 1e-6 here)."""
    from climaterisk.model.discretise import lognormal_masses

    cap = math.inf if cap_points is None else cap_points * h
    masses = lognormal_masses(mu, sigma, scale, cap, h, n)
    assert masses.min() >= 0.0 and masses.sum() == pytest.approx(1.0, abs=1e-12)
    expected = scale * (lev(cap / scale, mu, sigma) if math.isfinite(cap) else math.exp(mu + sigma**2 / 2))
    assert masses @ (np.arange(n) * h) == pytest.approx(expected, rel=2e-6)


def _cost_and_rare_event(tmp_path, mini_files, event: tuple[float, float], cost: tuple[float, float]):
    files = dict(mini_files)
    files["risks.yaml"] = {"risks": [{
        "id": "E", "title": "Event", "category": "reputation", "ifrs_s2_type": "transition",
        "impact": "x", "time_horizons": ["short"], "rating": {"likelihood": 1, "impact": 1},
        "controls": [],
        "models": [{"type": "entity_event", "rate": 0.03, "severity": {"p5": event[0], "p95": event[1]}},
                   {"type": "annual_cost", "cost": {"p5": cost[0], "p95": cost[1]}}],
    }]}
    files["controls.yaml"] = {"controls": []}
    files["opportunities.yaml"] = {"opportunities": []}
    return load_register(write_register(tmp_path / "narrow", files))


def test_narrow_body_beside_a_rare_large_event(tmp_path, mini_files, mini_scenario_path):
    """A narrow recurring cost C next to a rare event X (rate 0.03) about 6x larger at the
    median and 1,000x at the 99.99th percentile (as the shipped register's Ulanqab site: cooling
    cost and rare floods). On the grid sized for X, C spans a few cells; the refined grid gets
    VaR 95% right. Reference: P(S <= x) = e^-r (F_C(x) + r P(C + X <= x)) by quadrature; the
    terms of two or more events add under 2e-5."""
    from scipy import integrate, optimize

    reg = _cost_and_rare_event(tmp_path, mini_files, (1.2e6, 8.4e7), (1e6, 3e6))
    res = assess(reg, load_scenario(mini_scenario_path), horizons=[2020], method="fft")
    h = res.horizons[0]
    c, e = LogNormal.from_interval(1e6, 3e6), LogNormal.from_interval(1.2e6, 8.4e7)
    fc, fx = c.dist, e.dist

    def cdf(x: float) -> float:
        one = integrate.quad(lambda y: fc.cdf(x - y) * fx.pdf(y), 0.0, x, limit=200)[0]
        return math.exp(-0.03) * (fc.cdf(x) + 0.03 * one)

    var95 = optimize.brentq(lambda x: cdf(x) - 0.95, c.ppf(0.5), c.ppf(0.9999) * 10, xtol=1.0)
    assert h.total.inherent.var95 == pytest.approx(var95, rel=2e-3)
    assert h.total.inherent.mean == pytest.approx(c.mean() + 0.03 * e.mean(), rel=1e-3)
    assert res.manifest["exact_unresolved"] == []


def test_unresolvable_body_is_reported(tmp_path, mini_files, mini_scenario_path):
    """A cost a million times smaller than the event's range cannot be resolved on any grid the
    method allows: the run says so instead of reporting a coarse VaR as exact."""
    from climaterisk.outputs import render

    reg = _cost_and_rare_event(tmp_path, mini_files, (1e7, 1e10), (800.0, 1000.0))
    res = assess(reg, load_scenario(mini_scenario_path), horizons=[2020], method="fft")
    assert "2020 inherent total total" in res.manifest["exact_unresolved"]
    assert "could not resolve" in render.assessment_text(res)

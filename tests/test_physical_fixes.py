"""Findings of the independent check of the physical-risk engine (issue 13), pinned.

- Overlapping insurance layers recover each band of loss once (principle of indemnity), in
  both engines, against a closed form.
- The exact method keeps the mean net of insurance layers, and its total is the sum of its
  risk rows, within its documented bound.
- No simulated event costs more than the site's replacement value, under any scenario
  severity multiplier: the multiplier acts before the cap.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from climaterisk import assess, load_register, load_scenario
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import inherent_config, merge_layers
from climaterisk.model.draws import draw_block, draw_chunk
from climaterisk.model.simulate import event_loss
from climaterisk.register.distributions import LogNormal
from tests.conftest import scenario_dict, write_register, write_scenario

RATE = 0.8  # [events/yr]
P5, P95 = 1.0, 40.0  # [EUR] the event severity's 90% interval


def _q(v: float) -> dict:
    return {"value": v, "source": "assumption: test value"}


def _one_risk_register(mini_files: dict, layers: list[tuple[float, float]]) -> dict:
    """Only a company-level event risk, with a transfer control per layer (deductible, limit)."""
    files = mini_files
    files["risks.yaml"]["risks"] = [{
        "id": "R1", "title": "Liability", "category": "policy_legal", "ifrs_s2_type": "transition",
        "impact": "Claims.", "time_horizons": ["long"], "owner": "Legal",
        "rating": {"likelihood": 2, "impact": 3},
        "controls": [f"L{i}" for i in range(len(layers))],
        "models": [{"type": "entity_event", "rate": _q(RATE),
                    "severity": {"p5": P5, "p95": P95, "source": "assumption: test"}}],
    }]
    files.pop("opportunities.yaml")
    files["controls.yaml"]["controls"] = [
        {"id": f"L{i}", "title": f"Layer {i}", "type": "transfer", "status": "implemented",
         "effect": {"deductible": _q(d), "limit": _q(lim)}, "owner": "Finance"}
        for i, (d, lim) in enumerate(layers)
    ]
    files["metrics.yaml"]["targets"] = []
    return files


def _stop_loss(d: LogNormal, k: float) -> float:
    """E[(X - k)+] of a lognormal [EUR]."""
    if k <= 0:
        return d.mean()
    d1 = (d.mu + d.sigma**2 - math.log(k)) / d.sigma
    return d.mean() * stats.norm.cdf(d1) - k * stats.norm.cdf(d1 - d.sigma)


def _retained(d: LogNormal, bands: list[tuple[float, float]]) -> float:
    """E[retained loss] of one event when each band (lo, hi] is recovered once [EUR]."""
    recovered = sum(_stop_loss(d, lo) - _stop_loss(d, hi) for lo, hi in bands)
    return d.mean() - recovered


@pytest.mark.parametrize(("layers", "bands"), [
    ([(0.0, 10.0), (5.0, 20.0)], [(0.0, 25.0)]),           # overlapping: 0-10 and 5-25
    ([(0.0, 10.0), (15.0, 10.0)], [(0.0, 10.0), (15.0, 25.0)]),  # a gap between them
    ([(5.0, 20.0), (5.0, 20.0)], [(5.0, 25.0)]),            # the same cover bought twice
])
def test_overlapping_layers_recover_each_band_once(tmp_path, mini_files, mini_scenario_path,
                                                   layers, bands):
    reg = load_register(write_register(tmp_path / "r", _one_risk_register(mini_files, layers)))
    sc = load_scenario(mini_scenario_path)
    severity = LogNormal.from_interval(P5, P95)
    expected = RATE * _retained(severity, bands)
    summed = RATE * max(severity.mean() - sum(_stop_loss(severity, d) - _stop_loss(severity, d + lim)
                                              for d, lim in layers), 0.0)
    exact = assess(reg, sc, horizons=[2020], method="fft").horizons[0].total.residual
    assert exact.mean == pytest.approx(expected, rel=2.5e-3)
    mc = assess(reg, sc, horizons=[2020], trials=200_000, seed=11, with_controls=False,
                with_coverage=False).horizons[0].total.residual
    assert abs(mc.mean - expected) < 3 * mc.se
    if bands != [(lo, lo + lim) for lo, lim in layers]:  # the rules differ here
        assert abs(summed - expected) > 10 * mc.se


def test_merge_layers_gives_the_bands():
    assert merge_layers([(0.0, 10.0), (5.0, 20.0)]) == [(0.0, 25.0)]
    assert merge_layers([(15.0, 10.0), (0.0, 10.0)]) == [(0.0, 10.0), (15.0, 10.0)]


@pytest.mark.parametrize("layers", [[(3.3, 47.1)], [(0.7, 2.9), (13.1, 9.7)], [(1.7, 4.1)]])
def test_exact_method_keeps_the_mean_net_of_layers(tmp_path, mini_files, mini_scenario_path, layers):
    """Deductibles and limits off the grid: the exact residual EAL equals the closed form to
    2e-5 (net values shared between grid points; rounding them to the nearest point was off by
    1.1e-4 here and by up to 0.48% on registers with coarser grids)."""
    reg = load_register(write_register(tmp_path / "r", _one_risk_register(mini_files, layers)))
    expected = RATE * _retained(LogNormal.from_interval(P5, P95), [(lo, lo + lim) for lo, lim in layers])
    exact = assess(reg, load_scenario(mini_scenario_path), horizons=[2020], method="fft")
    assert exact.horizons[0].total.residual.mean == pytest.approx(expected, rel=2e-5)


@pytest.mark.parametrize("multiplier", [1.0, 1.3, 3.0])
def test_no_event_costs_more_than_the_site_is_worth(tmp_path, mini_files, multiplier):
    """Damage up to the whole site (p95 of the damage fraction at 1) and a scenario severity
    multiplier up to 3: no simulated event's loss, with no control at all, exceeds the site's
    replacement value, and the share of events at the cap is P(multiplier x fraction > 1)."""
    files = mini_files
    model = files["risks.yaml"]["risks"][0]["models"][0]
    model["damage"] = {"p5": 0.2, "p95": 1.0}
    model.pop("downtime_days")  # damage only: the loss of an event is its damage
    reg = load_register(write_register(tmp_path / "r", files))
    sc = load_scenario(write_scenario(tmp_path / "s.yaml", scenario_dict(sev=multiplier)))
    portfolio = compile_portfolio(reg, sc, 2050)
    draws = draw_block(portfolio, seed=3, block=0, n=1000)
    flood = np.flatnonzero(portfolio.links.hazard == np.array("flood"))
    events = np.isin(draws.link, flood)
    loss = event_loss(portfolio, draws, inherent_config(portfolio))[events]
    cap = portfolio.links.a_cap[draws.link[events]]
    assert len(loss) > 200
    assert np.all(loss <= cap * (1 + 1e-6))  # float32 exponentials: 1e-6 relative
    fraction = LogNormal.from_interval(0.2, 1.0)
    at_cap = 1 - fraction.cdf(1 / multiplier)
    share = np.isclose(loss, cap, rtol=1e-6).mean()
    assert abs(share - at_cap) < 4 * math.sqrt(at_cap * (1 - at_cap) / len(loss))
    # the exact method applies the cap the same way: its inherent mean matches Monte Carlo
    res = assess(reg, sc, horizons=[2050], method="fft").horizons[0]
    mc = assess(reg, sc, horizons=[2050], trials=100_000, seed=2, with_controls=False,
                with_coverage=False).horizons[0]
    exact, sampled = (next(r for r in h.by_risk if r.id == "R1").inherent for h in (res, mc))
    assert abs(exact.mean - sampled.mean) < 3 * sampled.se


# ----------------------------------------------------------------- common shocks (item 6)

def _shock_register(tmp_path, mini_files, correlation=None, footprints=None):
    files = mini_files
    event = files["sites.yaml"]["regions"][0]["common_events"][0]
    event["footprint"] = _q(0.9)
    if correlation is not None:
        event["severity_correlation"] = _q(correlation)
    if footprints is not None:
        event["footprints"] = {k: _q(v) for k, v in footprints.items()}
    return load_register(write_register(tmp_path / f"r{correlation}{footprints}", files))


def test_a_site_footprint_overrides_the_region(tmp_path, mini_files, mini_scenario_path):
    sc = load_scenario(mini_scenario_path)
    reg = _shock_register(tmp_path, mini_files, footprints={"b": 0.1})
    group = compile_portfolio(reg, sc, 2030).groups[0]
    site_ids = sorted(s.id for s in reg.sites)
    members = [site_ids[j] for j in group.sites]
    assert dict(zip(members, group.footprint.tolist(), strict=True)) == {"a": 0.9, "b": 0.1}
    exact = assess(reg, sc, horizons=[2030], method="fft").horizons[0]
    mc = assess(reg, sc, horizons=[2030], trials=100_000, seed=4, with_controls=False,
                with_coverage=False).horizons[0]
    for site in ("a", "b"):
        e, m = (next(s for s in h.by_site if s.id == site).inherent for h in (exact, mc))
        assert abs(e.mean - m.mean) < 3 * m.se


def test_severity_correlation_within_a_regional_event(tmp_path, mini_files, mini_scenario_path):
    """rho = 0.6: the log-damages of two sites struck by one regional event correlate at 0.6,
    each marginal is unchanged (same EAL per site within SE), and the tail of the total grows."""
    sc = load_scenario(mini_scenario_path)
    files = mini_files
    for site in files["sites.yaml"]["sites"][:2]:
        site["hazards"]["flood"] = _q(0.0)  # sites a and b: floods only from regional events
    independent = _shock_register(tmp_path, copy_files(files))
    correlated = _shock_register(tmp_path, copy_files(files), correlation=0.6)
    portfolio = compile_portfolio(correlated, sc, 2030)
    draws = draw_chunk(portfolio, seed=1, trials=20_000, first=0, end=2)
    lk = portfolio.links
    normal = (np.log(draws.damage) - lk.log_damage_loc[draws.link]) / lk.s_a[draws.link]
    site = lk.site[draws.link]
    a, b = (portfolio.site_ids.index(s) for s in ("a", "b"))
    # trials with exactly one strike at each of a and b: one regional event struck both
    count = {j: np.bincount(draws.trial[site == j], minlength=draws.n) for j in (a, b)}
    once = np.flatnonzero((count[a] == 1) & (count[b] == 1))
    first = {j: np.full(draws.n, -1) for j in (a, b)}
    for j in (a, b):
        events = np.flatnonzero(site == j)
        first[j][draws.trial[events]] = events
    pairs = np.array([first[a][once], first[b][once]])
    assert pairs.shape[1] > 2000
    r = np.corrcoef(normal[pairs[0]], normal[pairs[1]])[0, 1]
    assert abs(r - 0.6) < 0.05
    runs = [assess(reg, sc, horizons=[2030], trials=100_000, seed=8, with_controls=False,
                   with_coverage=False).horizons[0] for reg in (independent, correlated)]
    for sid in ("a", "b"):
        i, c = (next(s for s in h.by_site if s.id == sid).inherent for h in runs)
        assert abs(i.mean - c.mean) < 3 * math.hypot(i.se, c.se)
    flood = [next(r for r in h.by_risk if r.id == "R1").inherent for h in runs]
    assert flood[1].tvar99 > 1.05 * flood[0].tvar99  # the tail of the flood risk grows


def copy_files(files: dict) -> dict:
    import copy

    return copy.deepcopy(files)


def test_the_exact_method_refuses_correlated_shocks(tmp_path, mini_files, mini_scenario_path):
    from climaterisk import OptionError

    sc = load_scenario(mini_scenario_path)
    reg = _shock_register(tmp_path, mini_files, correlation=0.5)
    with pytest.raises(OptionError, match=r"severity correlation 0\.5"):
        assess(reg, sc, horizons=[2030], method="fft")
    auto = assess(reg, sc, horizons=[2030], method="auto", with_controls=False, with_coverage=False,
                  trials=1000)
    assert auto.manifest["method"] == "mc"
    assert auto.manifest["dependence"] == ["regions: north: common event flood: severity correlation 0.5"]


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("severity_correlation", 1.5, "common_events[0].severity_correlation"),
    ("footprints", {"c": 0.5}, "common_events[0].footprints"),
])
def test_bad_shock_inputs_are_refused(tmp_path, mini_files, field, value, expected):
    from climaterisk import RegisterError

    event = mini_files["sites.yaml"]["regions"][0]["common_events"][0]
    event[field] = _q(value) if not isinstance(value, dict) else {k: _q(v) for k, v in value.items()}
    with pytest.raises(RegisterError) as info:
        load_register(write_register(tmp_path / "r", mini_files))
    assert len(info.value.problems) == 1 and expected in str(info.value)


# ----------------------------------------------------------------- episodes after outages (item 5)

def _episode_register(tmp_path, mini_files, controls=()):
    files = mini_files
    files["risks.yaml"]["risks"].append({
        "id": "R9", "title": "Stakeholder concern after outages", "category": "reputation",
        "ifrs_s2_type": "transition", "impact": "Concern.", "time_horizons": ["long"], "owner": "IR",
        "rating": {"likelihood": 2, "impact": 2}, "sites": "all", "controls": list(controls),
        "models": [{"type": "outage_episode", "trigger_days": _q(2.0), "probability": _q(0.5),
                    "severity": {"p5": 10.0, "p95": 100.0, "source": "assumption: test"}}],
    })
    return load_register(write_register(tmp_path / f"e{len(controls)}", files))


def test_episodes_follow_long_outages(tmp_path, mini_files, mini_scenario_path):
    """Episodes occur only in trials with an outage longer than the trigger, with the stated
    probability per such outage; their EAL matches the closed form
    sum_l lambda_l P(T_l > trigger) p E[cost]."""
    from climaterisk.model.simulate import episode_losses, event_outcomes

    reg = _episode_register(tmp_path, mini_files)
    sc = load_scenario(mini_scenario_path)
    portfolio = compile_portfolio(reg, sc, 2020)
    (followup,) = portfolio.followups
    lk = portfolio.links
    assert set(np.flatnonzero(followup.sources)) == set(np.flatnonzero(lk.has_down > 0))
    inherent = inherent_config(portfolio)
    draws = draw_chunk(portfolio, seed=2, trials=20_000, first=0, end=2)
    _, days = event_outcomes(portfolio, draws, inherent)
    ((risk, trials, cost),) = episode_losses(portfolio, draws, inherent)
    assert portfolio.risk_ids[risk] == "R9" and np.all(cost > 0)
    long_outage = np.zeros(draws.n, dtype=bool)
    long_outage[draws.trial[days > 2.0]] = True
    assert long_outage[trials].all()  # no episode without a long outage that year
    triggers = int(np.sum(days > 2.0))
    assert abs(len(trials) / triggers - 0.5) < 4 * math.sqrt(0.25 / triggers)
    # the closed form of the expected annual cost
    rate = lk.local_rate.copy()
    for g in portfolio.groups:
        for j, links in enumerate(g.site_links):
            rate[links] += g.rate * g.footprint[j]
    down = LogNormal.from_interval(0.5, 5.0)
    severity = LogNormal.from_interval(10.0, 100.0)
    expected = float(np.sum(rate[lk.has_down > 0])) * (1 - down.cdf(2.0)) * 0.5 * severity.mean()
    mc = assess(reg, sc, horizons=[2020], trials=200_000, seed=6, with_controls=False,
                with_coverage=False).horizons[0]
    r9 = next(r for r in mc.by_risk if r.id == "R9")
    assert abs(r9.inherent.mean - expected) < 3 * r9.inherent.se
    assert r9.residual.mean < r9.inherent.mean  # R1's downtime control shortens the outages
    company = next(s for s in mc.by_site if s.id == "company")
    assert company.inherent.mean >= r9.inherent.mean


def test_episode_controls_and_control_values(tmp_path, mini_files, mini_scenario_path):
    """A control of the episode risk thins and cuts the episodes; the value of the outage
    risk's downtime control includes the episodes it avoids."""
    reg = _episode_register(tmp_path, mini_files, controls=["C5"])  # C5: frequency 0.5, severity 0.1
    sc = load_scenario(mini_scenario_path)
    res = assess(reg, sc, horizons=[2020], trials=100_000, seed=3, with_coverage=False)
    h = res.horizons[0]
    r9 = next(r for r in h.by_risk if r.id == "R9")
    # C5 alone keeps (1 - 0.5) x (1 - 0.1) = 0.45 of the cost; C1 and C2 on R1 shorten the outages
    assert 0 < r9.residual.mean < 0.45 * r9.inherent.mean
    without = {c.id: c for c in res.controls}
    base = assess(load_register(write_register(tmp_path / "plain", register_files_without_r9())), sc,
                  horizons=[2020], trials=100_000, seed=3, with_coverage=False)
    c2 = next(b for b in without["C2"].benefits if b.year == 2020).eal
    c2_plain = next(b for b in {c.id: c for c in base.controls}["C2"].benefits if b.year == 2020).eal
    assert c2 > c2_plain  # C2 also avoids episodes


def register_files_without_r9() -> dict:
    from tests.conftest import register_files

    return register_files()


def test_the_exact_method_refuses_episodes(tmp_path, mini_files, mini_scenario_path):
    from climaterisk import OptionError

    reg = _episode_register(tmp_path, mini_files)
    sc = load_scenario(mini_scenario_path)
    with pytest.raises(OptionError, match="R9: outage_episode"):
        assess(reg, sc, horizons=[2020], method="fft")
    auto = assess(reg, sc, horizons=[2020], method="auto", with_controls=False, with_coverage=False,
                  trials=500)
    assert auto.manifest["method"] == "mc"


def test_an_outage_episode_needs_sites(tmp_path, mini_files):
    from climaterisk import RegisterError

    mini_files["risks.yaml"]["risks"][2]["models"].append(
        {"type": "outage_episode", "trigger_days": _q(1.0), "probability": _q(0.5),
         "severity": {"p5": 1.0, "p95": 2.0}})
    with pytest.raises(RegisterError) as info:
        load_register(write_register(tmp_path / "r", mini_files))
    assert len(info.value.problems) == 1 and "outage_episode model needs the sites" in str(info.value)


# ----------------------------------------------------------------- a stream per link (item 11)

def _per_link_losses(portfolio, trials=4_000) -> np.ndarray:
    """Per-trial inherent loss of every link [links x trials] from draws of seed 9."""
    from climaterisk.model.draws import block_trials

    blocks = -(-trials // block_trials(portfolio))
    draws = draw_chunk(portfolio, seed=9, trials=trials, first=0, end=blocks)
    loss = event_loss(portfolio, draws, inherent_config(portfolio))
    cells = draws.link * draws.n + draws.trial
    return np.bincount(cells, weights=loss, minlength=len(portfolio.links) * draws.n).reshape(-1, draws.n)


def _link(portfolio, risk: str, site: str) -> int:
    lk = portfolio.links
    return next(i for i in range(len(lk)) if portfolio.risk_ids[lk.risk[i]] == risk
                and lk.site[i] >= 0 and portfolio.site_ids[lk.site[i]] == site)


def test_changing_one_link_leaves_every_other_link_bit_identical(tmp_path, mini_files, mini_scenario_path):
    """Doubling site c's flood rate changes only the flood link at c, trial by trial; the links
    at a and b (local events and regional strikes), the company event, everything else keep
    their per-trial losses bit for bit. Adding a risk elsewhere changes nothing either."""
    sc = load_scenario(mini_scenario_path)
    before = load_register(write_register(tmp_path / "before", mini_files))
    changed = copy_files(mini_files)
    changed["sites.yaml"]["sites"][2]["hazards"]["flood"] = _q(0.6)  # c: 0.3 -> 0.6
    after = load_register(write_register(tmp_path / "after", changed))
    p0, p1 = (compile_portfolio(r, sc, 2030) for r in (before, after))
    x0, x1 = _per_link_losses(p0), _per_link_losses(p1)
    target = _link(p0, "R1", "c")
    others = [i for i in range(len(p0.links)) if i != target]
    assert np.array_equal(x0[others], x1[others])
    assert not np.array_equal(x0[target], x1[target])
    assert x1[target].mean() > x0[target].mean()
    # a new risk with its own links: the existing links' losses do not move
    added = copy_files(mini_files)
    added["risks.yaml"]["risks"].append({
        "id": "R0", "title": "Storm", "category": "physical_acute", "ifrs_s2_type": "physical",
        "impact": "Wind.", "time_horizons": ["long"], "owner": "Ops",
        "rating": {"likelihood": 2, "impact": 2},
        "sites": ["c"], "models": [{"type": "site_event", "hazard": "storm",
                                    "damage": {"p5": 0.01, "p95": 0.1}}]})
    p2 = compile_portfolio(load_register(write_register(tmp_path / "added", added)), sc, 2030)
    x2 = _per_link_losses(p2)
    keys0 = {int(k): i for i, k in enumerate(p0.links.key)}
    for j, k in enumerate(p2.links.key):
        if int(k) in keys0:
            assert np.array_equal(x2[j], x0[keys0[int(k)]])


def test_large_registers_group_links_into_streams(tmp_path, mini_files, mini_scenario_path, monkeypatch):
    """Above MAX_STREAMS links, consecutive links share a stream: a change moves the links of its
    own group only, and results stay the same for any chunk size."""
    from climaterisk.model import draws

    monkeypatch.setattr(draws, "MAX_STREAMS", 2)
    sc = load_scenario(mini_scenario_path)
    p0 = compile_portfolio(load_register(write_register(tmp_path / "b", mini_files)), sc, 2030)
    changed = copy_files(mini_files)
    changed["sites.yaml"]["sites"][2]["hazards"]["flood"] = _q(0.6)
    p1 = compile_portfolio(load_register(write_register(tmp_path / "a", changed)), sc, 2030)
    groups = draws.stream_groups(p0)
    assert len(groups) == 2 and sum(len(g.links) for g in groups) == len(p0.links)
    target = _link(p0, "R1", "c")
    own = next(g for g in groups if target in g.links).links
    x0, x1 = _per_link_losses(p0), _per_link_losses(p1)
    elsewhere = [i for i in range(len(p0.links)) if i not in own]
    assert np.array_equal(x0[elsewhere], x1[elsewhere])

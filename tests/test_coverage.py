"""ISO 22301 coverage and control benefits: fractions by hand, Monte Carlo against analytic values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from climaterisk import assess, load_register, load_scenario
from climaterisk.analysis.coverage import certification_coverage, clause_coverage
from climaterisk.register.distributions import LogNormal
from tests.conftest import write_register
from tests.test_engine_exact import exact_means


def by_kind(rows):
    return {r["site_kind"]: r for r in rows}


def test_certification_fractions(tmp_path, mini_files):
    reg = load_register(write_register(tmp_path / "r", mini_files))
    leased = by_kind(certification_coverage(reg))["leased_dc"]
    assert (leased["certified"], leased["sites"]) == (1, 2)
    assert leased["share_by_value"] == pytest.approx(1000 / 3000)
    assert by_kind(certification_coverage(reg, 2030))["leased_dc"]["certified"] == 1  # renewed
    mini_files["register.yaml"]["iso22301"] = {"certification_cycle_years": 3, "renewal": "lapse",
                                               "renewal_assumption": "no renewal"}
    lapse = load_register(write_register(tmp_path / "l", mini_files))
    assert by_kind(certification_coverage(lapse, 2021))["leased_dc"]["certified"] == 1
    assert by_kind(certification_coverage(lapse, 2030))["leased_dc"]["certified"] == 0


def test_shipped_register_shows_71_4_percent_of_leased_centres():
    rows = by_kind(certification_coverage(load_register()))
    assert rows["leased_dc"]["certified"] == 5 and rows["leased_dc"]["sites"] == 7
    assert f"{rows['leased_dc']['share_by_count']:.1%}" == "71.4%"


def test_clause_matrix(mini_register_path):
    cov = clause_coverage(load_register(mini_register_path), 2030)
    r1 = next(m for m in cov["matrix"] if m["risk"] == "R1")
    assert r1["site_kinds"] == ["leased_dc", "office"]
    assert r1["clauses"]["8.2.3"] == {"covered_kinds": ["leased_dc"], "missing_kinds": ["office"]}
    assert r1["clauses"]["8.5"]["missing_kinds"] == []
    assert r1["clauses"]["8.2.2"]["covered_kinds"] == []
    assert {"risk": "R1", "clause": "8.2.3", "site_kinds": ["office"]} in cov["gaps"]


def two_site_register(tmp_path, files):
    """Site a (certified, RTO 1 day) rate 0.3, site b (uncertified) rate 0.2; no common shock."""
    sites = files["sites.yaml"]
    sites["regions"] = [{"id": "south", "name": "South"}]
    a, b = sites["sites"][0], sites["sites"][1]
    a["region"] = b["region"] = "south"
    a["hazards"], b["hazards"] = {"storm": 0.3}, {"storm": 0.2}
    b["iso22301"] = {"status": "not_certified"}  # known uncertified (no block would be unknown)
    sites["sites"] = [a, b]
    files["risks.yaml"]["risks"] = [{
        "id": "S", "title": "Storm", "category": "physical_acute", "ifrs_s2_type": "physical",
        "impact": "x", "time_horizons": ["short"], "rating": {"likelihood": 1, "impact": 1},
        "sites": "all", "controls": [],
        "models": [{"type": "site_event", "hazard": "storm", "damage": {"p5": 0.01, "p95": 0.1},
                    "downtime_days": {"p5": 0.2, "p95": 4.0}}],
    }]
    files["controls.yaml"]["controls"] = [{"id": "LONE", "title": "Linked to nothing",
                                           "type": "preventive", "status": "implemented",
                                           "effect": {"frequency": 0.5}}]
    files["opportunities.yaml"]["opportunities"] = []
    return load_register(write_register(tmp_path / "two", files))


def test_exposure_coverage_matches_analytic_values(tmp_path, mini_files, mini_scenario_path):
    reg = two_site_register(tmp_path, mini_files)
    n = 200_000
    res = assess(reg, load_scenario(mini_scenario_path), horizons=[2020], trials=n, seed=4)
    exp = res.horizons[0].exposure_coverage["inherent"]
    down = LogNormal.from_interval(0.2, 4.0)
    analytic = {
        "events_on_certified_share": 0.3 / 0.5,
        "p_event_at_uncertified_site": 1 - math.exp(-0.2),
        "p_downtime_exceeds_rto": 1 - math.exp(-0.3 * (1 - down.cdf(1.0))),  # only a has an RTO
        "p_downtime_exceeds_mtpd": 1 - math.exp(-0.3 * (1 - down.cdf(3.0))),
    }
    for key, value in analytic.items():
        assert abs(exp[key]["value"] - value) < 4 * exp[key]["se"], (key, exp[key], value)
    assert abs(exp["disruptive_events_per_year"]["value"] - 0.5) < 4 * exp[
        "disruptive_events_per_year"]["se"]


def test_control_linked_to_nothing_is_worth_exactly_zero(tmp_path, mini_files, mini_scenario_path):
    reg = two_site_register(tmp_path, mini_files)
    res = assess(reg, load_scenario(mini_scenario_path), horizons=[2030], trials=5_000, seed=2)
    lone = next(c for c in res.controls if c.id == "LONE")
    assert lone.links == 0
    b = lone.benefits[0]
    assert (b.eal, b.eal_se, b.var99) == (0.0, 0.0, 0.0)


def test_control_benefit_matches_closed_form(mini_register_path, mini_scenario_path):
    """C4 cuts the cooling cost of R2 by 25%: its benefit is a quarter of R2's inherent EAL,
    and the paired standard error is far below that of two independent runs."""
    res = assess(load_register(mini_register_path), load_scenario(mini_scenario_path),
                 horizons=[2030], trials=50_000, seed=6)
    c4 = next(c for c in res.controls if c.id == "C4").benefits[0]
    exact = 0.25 * exact_means(2030)["R2"][0]
    assert abs(c4.eal - exact) < 4 * c4.eal_se
    total_se = res.horizons[0].total.residual.se
    assert c4.eal_se < total_se / 5
    ranking = {c.id: c.benefits[0].eal for c in res.controls}
    assert all(v >= 0 for v in ranking.values())
    assert np.isclose(ranking["C3"], 0.0)  # planned for 2040: not in force in 2030

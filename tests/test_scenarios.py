"""Scenario files: the shipped three, names and aliases, interpolation, refusals."""

from __future__ import annotations

import pytest

from climaterisk import ScenarioError, load_scenario
from climaterisk.scenarios import available_scenarios
from tests.conftest import scenario_dict, write_scenario


def test_shipped_scenarios_name_their_counterparts():
    ids = {load_scenario(p).id: load_scenario(p) for p in available_scenarios()}
    assert {"rcp26", "rcp45", "rcp85"} <= set(ids)
    assert ids["rcp26"].cmip6 == "SSP1-2.6" and ids["rcp85"].cmip6 == "SSP5-8.5"
    for sc in ids.values():
        lo, hi = sc.years
        assert lo <= 2023 and hi >= 2050
        for series in sc.drivers.values():
            assert series.source.strip()


@pytest.mark.parametrize("name", ["rcp45", "RCP45", "SSP2-4.5", "ssp245"])
def test_aliases(name):
    assert load_scenario(name).id == "rcp45"


def test_hazard_multipliers_follow_forcing_in_2050():
    """More warming: more heavy precipitation and more intense typhoons, but fewer typhoons in
    all (Knutson et al. 2020, Western North Pacific medians; scenarios/README.md)."""
    sc = {n: load_scenario(n) for n in ("rcp26", "rcp45", "rcp85")}
    order = ("rcp26", "rcp45", "rcp85")
    for hazard, aspect in (("extreme_precipitation", "frequency"), ("typhoon", "severity")):
        values = [sc[n].hazard(hazard, aspect, 2050) for n in order]
        assert values == sorted(values), (hazard, aspect, values)
    typhoons = [sc[n].hazard("typhoon", "frequency", 2050) for n in order]
    assert typhoons == sorted(typhoons, reverse=True) and typhoons[-1] < 1.0
    assert sc["rcp85"].hazard("extreme_precipitation", "frequency", 2023) == 1.0


def test_linear_interpolation_between_listed_years(tmp_path):
    sc = load_scenario(write_scenario(tmp_path / "s.yaml", scenario_dict(freq=1.6)))
    assert sc.hazard("flood", "frequency", 2035) == pytest.approx(1.3)
    assert sc.driver("carbon_price_usd_t", 2030) == pytest.approx(40.0)


def test_refusals(tmp_path):
    with pytest.raises(ScenarioError, match="a shipped scenario"):
        load_scenario("rcp60")
    sc = load_scenario("rcp45")
    with pytest.raises(ScenarioError, match="a year from"):
        sc.check_year(2101)
    bad = scenario_dict()
    bad["hazards"]["flood"]["frequency"]["values"] = {2030: 1.0, 2050: -1.0}
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(tmp_path / "bad.yaml", bad))
    text = str(info.value)
    assert "include the baseline year 2020" in text and "values >= 0" in text

"""Emission pathways (issue 14, part 2) and the carbon-price risk that stands on them."""

from __future__ import annotations

import copy
import re

import pytest

from climaterisk import assess
from climaterisk.analysis.pathways import pathways
from climaterisk.model.emissions import project, projected_emissions, totals
from climaterisk.refdata import emission_factor_library
from climaterisk.register import load_register
from climaterisk.register.ghg_pathway import GRID_DRIVER
from climaterisk.scenarios import load_scenario
from tests.conftest import register_files, scenario_dict, series, write_register, write_scenario

YEARS = range(2020, 2051)


def _ghg(levers: list[dict] | None = None, growth: float = 0.0) -> dict:
    """Site a's 50 MWh of electricity at the report-implied factor, 10 MWh of green power, 100 t
    of diesel, and a pathway with ``growth`` and ``levers``."""
    q = lambda v: {"value": v, "source": "assumption: test"}  # noqa: E731
    return {
        "reporting_year": 2020, "standard": "GHG Protocol Corporate Standard",
        "consolidation": {"approach": "operational_control", "basis": "assumption: test"},
        "measurement": "activity data x factors", "gases": ["CO2"],
        "activities": [
            {"id": "elec-a", "kind": "electricity", "site": "a", "unit": "MWh",
             "factor": "report-implied-electricity-2023"},
            {"id": "diesel", "kind": "diesel", "quantity": q(100.0), "unit": "t",
             "factor": "ipcc2006-diesel-stationary"},
        ],
        "instruments": [{"id": "gp", "kind": "green_power_trade", "covers": "elec-a", "quantity": q(10.0),
                         "unit": "MWh", "factor": "contract-renewable-zero"}],
        "pathway": {"growth": growth, "growth_source": "assumption: test", "levers": levers or []},
    }


def _one_site(tmp_path, levers=None, growth=0.0):
    """A register of one site whose only risk is a carbon cost on projected market-based scope 1+2
    with the scenario's exposed share."""
    files = copy.deepcopy(register_files())
    files["sites.yaml"] = {"regions": [{"id": "north", "name": "North"}],
                           "sites": [files["sites.yaml"]["sites"][0]]}
    files["risks.yaml"] = {"risks": [{
        "id": "R1", "title": "Carbon price", "category": "market", "ifrs_s2_type": "transition",
        "impact": "Price.", "time_horizons": ["long"], "owner": "ESG",
        "rating": {"likelihood": 3, "impact": 3},
        "controls": [], "models": [{
            "type": "carbon_cost", "projected": "market",
            "share_drivers": {"low": "share_low", "high": "share_high"}}]}]}
    files["opportunities.yaml"] = {"opportunities": []}
    files["controls.yaml"] = {"controls": []}
    files["metrics.yaml"]["targets"] = []
    files["ghg.yaml"] = _ghg(levers, growth)
    return load_register(write_register(tmp_path / "one", files))


def _scenario(tmp_path, grid: dict | None = None):
    data = scenario_dict()
    data["hazards"] = {"flood": data["hazards"]["flood"]}
    data["drivers"][GRID_DRIVER] = series(grid or {2020: 0.5, 2060: 0.5}, "t CO2/MWh")
    data["drivers"]["share_low"] = series({2020: 0.1, 2050: 0.3, 2060: 0.3})
    data["drivers"]["share_high"] = series({2020: 0.3, 2050: 0.9, 2060: 0.9})
    return load_scenario(write_scenario(tmp_path / "sc.yaml", data))


def test_no_levers_and_a_flat_grid_keep_emissions_at_the_base_year(tmp_path):
    reg = _one_site(tmp_path)
    sc = _scenario(tmp_path)
    base = totals(project(reg.ghg, sc, 2020))
    diesel = 100.0 * emission_factor_library()["ipcc2006-diesel-stationary"]["value"]
    assert base["scope12_market"] == pytest.approx((50 - 10) * 0.5703 + diesel)
    for year in YEARS:
        assert totals(project(reg.ghg, sc, year)) == pytest.approx(base)


def test_growth_and_the_grid_path_scale_the_base_year(tmp_path):
    reg = _one_site(tmp_path, growth=0.03)
    sc = _scenario(tmp_path, {2020: 0.5, 2050: 0.25, 2060: 0.25})
    t = totals(project(reg.ghg, sc, 2050))
    b = totals(project(reg.ghg, None, 2020))
    g = 1.03 ** 30
    assert t["scope1"] == pytest.approx(b["scope1"] * g)
    assert t["scope2_location"] == pytest.approx(b["scope2_location"] * g * 0.5)
    assert t["scope2_market"] == pytest.approx(b["scope2_market"] * g * 0.5)


@pytest.mark.parametrize("lever", [
    {"id": "rn", "kind": "renewable_share", "activity": "elec-a", "start": 2030, "value": 1.0},
    {"id": "ppa", "kind": "green_power", "activity": "elec-a", "start": 2035, "value": 15.0},
    {"id": "pue", "kind": "efficiency", "activity": "elec-a", "start": 2027, "value": 0.9},
    {"id": "gen", "kind": "efficiency", "activity": "diesel", "start": 2040, "value": 0.5},
])
def test_each_lever_changes_only_the_years_from_its_start(tmp_path, lever):
    reg = _one_site(tmp_path, levers=[{**lever, "source": "assumption: test"}], growth=0.02)
    sc = _scenario(tmp_path, {2020: 0.5, 2050: 0.3, 2060: 0.3})
    for year in YEARS:
        on = totals(project(reg.ghg, sc, year))["scope12_market"]
        off = totals(project(reg.ghg, sc, year, levers=False))["scope12_market"]
        if year < lever["start"]:
            assert on == off, year
        else:
            assert on < off, year


def test_pathways_table_starts_at_the_ghg_account_and_gives_lever_effects(tmp_path):
    reg = _one_site(tmp_path, levers=[{"id": "rn", "kind": "renewable_share", "activity": "elec-a",
                                        "start": 2030, "value": 1.0, "source": "assumption: test"}])
    p = pathways(reg, [_scenario(tmp_path)], [2020, 2025, 2030])
    assert p.base_matches_account
    rows = {r.year: r for r in p.rows}
    assert rows[2025].lever_effects == {}
    assert rows[2030].lever_effects["rn"] == pytest.approx(-(50 - 10) * 0.5703)
    assert rows[2030].scope2_market == pytest.approx(0.0)


def test_every_grid_factor_path_value_traces_to_its_source():
    lib = emission_factor_library()
    for sid in ("rcp26", "rcp45", "rcp85"):
        s = load_scenario(sid).drivers[GRID_DRIVER]
        assert s.source and s.unit == "t CO2/MWh"
        spans = [(int(a), int(b)) for a, b in re.findall(r"(\d{4})-(\d{4}):", s.source)]
        for year in s.years:
            said = f"{year}:" in s.source or any(a <= year <= b for a, b in spans)
            assert said, f"{sid} {GRID_DRIVER} {year}: the source does not say where the value comes from"
        assert s.values[0] == lib[f"cn-grid-national-{s.years[0]}"]["value"]
        assert all("assumption" in s.source for _ in [0])  # projected values are marked as assumptions
    reg = load_register("kuaishou-2023")
    assert reg.ghg.pathway.growth_source.startswith("assumption:")
    assert all(lv.source for lv in reg.ghg.pathway.levers)


def _expected(reg, sc, year: int) -> float:
    low, high = sc.driver("share_low", year), sc.driver("share_high", year)
    price = sc.driver("carbon_price_usd_t", year) * reg.fx_usd
    return 0.5 * (low + high) * projected_emissions(reg.ghg, sc, year, "market") * price


def test_carbon_cost_of_one_site_is_share_x_projected_emissions_x_price(tmp_path):
    reg = _one_site(tmp_path, levers=[{"id": "rn", "kind": "renewable_share", "activity": "elec-a",
                                        "start": 2040, "value": 1.0, "source": "assumption: test"}],
                    growth=0.02)
    sc = _scenario(tmp_path, {2020: 0.5, 2050: 0.2, 2060: 0.2})
    exact = assess(reg, sc, horizons=[2030, 2050], method="fft", with_controls=False, with_coverage=False)
    mc = assess(reg, sc, horizons=[2030, 2050], trials=20_000, with_controls=False, with_coverage=False)
    for he, hm in zip(exact.horizons, mc.horizons, strict=True):
        want = _expected(reg, sc, he.year)
        assert he.total.residual.mean == pytest.approx(want, rel=1e-6)  # FFT grid round-off only
        assert abs(hm.total.residual.mean - want) <= 4 * hm.total.residual.se


def test_shipped_register_prices_carbon_once_and_consistently():
    reg = load_register("kuaishou-2023")
    risks = {r.id: r for r in (*reg.risks, *reg.opportunities)}
    assert all(type(m).__name__ != "CarbonCost" for m in risks["R4"].models)
    r7, o2 = risks["R7"].models[0], risks["O2"].models[0]
    assert "added to the source" in risks["R7"].title.lower() and "ADDED" in risks["R7"].narrative
    assert r7.projected == "market" and o2.projected == "avoided"
    assert r7.share_drivers == o2.share_drivers  # the same per-tonne price on emitted and avoided tonnes
    c8 = next(c for c in reg.controls if c.id == "C8")
    assert not c8.applies_to(None, "carbon_cost")
    assert not any(c.applies_to(None, "carbon_cost") for c in reg.controls if c.id in risks["R7"].control_ids)

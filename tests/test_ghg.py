"""GHG accounting from activity data (issue 14, part 1): scope 2 reproduces the report, moves with the
MEE factors, market-based never negative; the shipped register's misreads stay fixed."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from climaterisk.analysis import disclosures, ghg
from climaterisk.cli import app
from climaterisk.refdata import emission_factor_library
from climaterisk.register import load_register
from tests.conftest import write_register

runner = CliRunner()


@pytest.fixture(scope="module")
def shipped():
    return load_register()


@pytest.fixture(scope="module")
def acc(shipped):
    return ghg.account(shipped)


def _metric(reg, mid):
    return reg.metric(mid).value


def test_scope2_location_reproduces_the_reported_figure(shipped, acc):
    lib = emission_factor_library()
    elec = _metric(shipped, "electricity_purchased_mwh")
    heat = _metric(shipped, "heat_purchased_gj")
    by_hand = (elec * lib["report-implied-electricity-2023"]["value"]
               + heat * lib["report-implied-heat-2023"]["value"])
    assert by_hand == pytest.approx(1_046_897, abs=1)
    reported = _metric(shipped, "scope2_tco2e")  # 104.69 x 10,000 t
    assert round(acc.scope2_location / 1e4, 2) == reported / 1e4
    assert abs(acc.scope2_location - reported) <= ghg.rounding(reported)
    row = next(c for c in acc.comparisons if c.label.startswith("Scope 2"))
    assert ghg.comparison_ok(row) and "within" in row.explanation


def test_scope2_moves_with_the_2023_mee_factors(shipped, acc):
    lib = emission_factor_library()
    national = next(g for g in acc.grid_alternatives if g["basis"] == "MEE/NBS 2023 national grid factors")
    elec = sum(x.quantity for x in acc.lines if x.kind == "electricity")
    heat = sum(x.location for x in acc.lines if x.kind == "heat")
    assert national["scope2_location"] == pytest.approx(elec * lib["cn-grid-national-2023"]["value"] + heat)
    assert national["scope2_location"] < acc.scope2_location  # 0.5306 < 0.5703
    ratio = (national["scope2_location"] - heat) / (acc.scope2_location - heat)
    assert ratio == pytest.approx(0.5306 / 0.5703)
    regional = next(g for g in acc.grid_alternatives if g["basis"] == "MEE/NBS 2023 regional grid factors")
    assert regional["scope2_location"] > acc.scope2_location  # North China 0.6361 dominates


def test_market_based_is_location_minus_instruments(shipped, acc):
    lib = emission_factor_library()
    annual = sum(i.quantity for i in shipped.ghg.instruments if i.period == "annual")
    expected = acc.scope2_location - annual * lib["report-implied-electricity-2023"]["value"]
    assert acc.scope2_market == pytest.approx(expected)
    assert acc.scope2_market_if_cumulative < acc.scope2_market
    for x in acc.lines:
        assert x.market >= 0


def test_market_based_never_negative(mini_files, tmp_path):
    files = copy.deepcopy(mini_files)
    files["ghg.yaml"] = _mini_ghg()
    files["ghg.yaml"]["instruments"][0]["quantity"] = {"value": 50.0, "source": "assumption: test"}
    files["ghg.yaml"]["factors"] = [{"id": "dirty-contract", "value": 0.0, "unit": "t CO2/MWh", "year": 2020,
                                     "applies_to": "instrument", "source": "assumption: test"}]
    files["ghg.yaml"]["instruments"][0]["factor"] = "dirty-contract"
    reg = load_register(write_register(tmp_path / "reg", files))
    a = ghg.account(reg)
    assert a.scope2_market == 0.0
    assert a.scope2_location == pytest.approx(50.0 * 0.5703)


def _mini_ghg() -> dict:
    return {
        "reporting_year": 2020, "standard": "GHG Protocol Corporate Standard",
        "consolidation": {"approach": "operational_control", "basis": "assumption: test"},
        "measurement": "activity data x factors", "gases": ["CO2"],
        "activities": [{"id": "elec-a", "kind": "electricity", "site": "a", "grid": "north_china",
                        "unit": "MWh", "factor": "report-implied-electricity-2023"}],
        "instruments": [{"id": "gp", "kind": "green_power_trade", "covers": "elec-a",
                         "quantity": {"value": 10.0, "source": "assumption: test"}, "unit": "MWh",
                         "factor": "contract-renewable-zero"}],
        "scope3": [{"category": 1, "status": "not_measured", "reason": ""}],
        "factors": [],
    }


def test_scope3_markers(mini_files, tmp_path):
    files = copy.deepcopy(mini_files)
    files["ghg.yaml"] = _mini_ghg()
    a = ghg.account(load_register(write_register(tmp_path / "reg", files)))
    assert [s["category"] for s in a.scope3] == list(range(1, 16))
    assert a.scope3[0]["explanation"] == ghg.NO_REASON
    assert all(s["explanation"] == ghg.NOT_ADDRESSED for s in a.scope3[1:])


def test_a_register_without_ghg_yaml_loads_as_before(mini_files, tmp_path):
    reg = load_register(write_register(tmp_path / "reg", mini_files))
    assert reg.ghg is None and ghg.account(reg) is None


def test_every_library_factor_has_a_source_id_unit_and_year():
    lib = emission_factor_library()
    assert {"cn-grid-national-2023", "cn-grid-north_china-2023", "cn-grid-national-2022",
            "report-implied-electricity-2023"} <= set(lib)
    for fid, f in lib.items():
        assert f["source"].strip() and f["unit"].startswith("t CO2") and 1900 < f["year"] < 2100, fid
        assert f["value"] >= 0
    assert lib["cn-grid-national-2023"]["value"] == 0.5306
    assert lib["report-implied-electricity-2023"]["basis"] == "implied"


def test_shipped_register_reads_cumulative_and_lowest_figures_as_such(shipped, acc):
    assert shipped.metric("green_power_leased_dc_mwh").period == "cumulative"
    assert shipped.metric("avoided_emissions_leased_dc_to_date_tco2e").period == "cumulative"
    assert shipped.metric("pue_ulanqab").period == "lowest"
    # the 2023 avoided emissions hold no cumulative figure
    assert shipped.metric("avoided_emissions_green_power_tco2e").value < 45_479.5
    energy = disclosures.energy(shipped)
    assert energy["renewable_share"].value == pytest.approx(30_398 / 1_834_939.16, rel=1e-4)
    assert energy["renewable_share_high"].value == pytest.approx((30_398 + 55_000) / 1_834_939.16, rel=1e-4)
    assert acc.renewable["share_low"] == pytest.approx(energy["renewable_share"].value, rel=1e-4)
    assert acc.renewable["circularity"]
    t2 = next(t for t in disclosures.target_progress(shipped) if t["id"] == "T2")
    assert t2["status"] != "met"


def test_intensities_per_employee_match_the_source(acc):
    by = {i["numerator"]: i for i in acc.intensities}
    assert round(by["energy_direct_mwh"]["derived"], 2) == 1.09
    assert round(by["energy_indirect_mwh"]["derived"], 2) == 62.69
    assert round(by["water_fresh_m3"]["derived"], 2) == 79.72
    assert all("within" in i["explanation"] for i in acc.intensities if i["reported"] is not None)


def test_cli_ghg_json_and_markdown(tmp_path):
    result = runner.invoke(app, ["ghg", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)["ghg"]
    assert data["scope2_location"] == pytest.approx(1_046_897, abs=1)
    assert data["scope2_market"] < data["scope2_location"]
    assert len(data["scope3"]) == 15
    md = runner.invoke(app, ["ghg", "--format", "markdown", "--output", str(tmp_path / "g.md")])
    assert md.exit_code == 0
    text = Path(tmp_path / "g.md").read_text(encoding="utf-8")
    assert "Scope 3 screening" in text and "report-implied-electricity-2023" in text


def test_no_site_share_is_read_from_a_cumulative_figure():
    """The leased data centres' 55,000 MWh of green power is "to date": no site's 2023
    renewable share may be computed from it (the share is not disclosed, which is not 0)."""
    from climaterisk import load_register

    reg = load_register()
    shares = {s.id: s.renewable_share for s in reg.sites}
    assert shares["leased-dc-3"] is None
    assert not any("55,000" in row.source for row in reg.provenance if row.field == "renewable_share")

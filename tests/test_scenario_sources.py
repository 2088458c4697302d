"""Typhoon multipliers in the shipped scenarios follow their documented sources (issue 13, item 7).

The base numbers are Knutson et al. (2020), BAMS 101:E303, doi:10.1175/BAMS-D-18-0194.1: projected
percentage change at 2 °C of global warming, Western North Pacific (WP), median, as tabulated in the
Zenodo data set doi:10.5281/zenodo.4757343 and coded in CLIMADA
`climada/hazard/tc_clim_change.py` (`get_knutson_data`, basin row WP). The GWL scaling is Jewson
(2021), as in CLIMADA: beta = 0.5 ln(1 + x) per °C, so the ratio between two warming levels is
(1 + x)^(delta g / 2). See scenarios/README.md.
"""

from __future__ import annotations

import math

import pytest
import yaml

from climaterisk import load_scenario
from climaterisk.scenarios import available_scenarios

# Knutson et al. (2020), WP, 2 °C, medians (CLIMADA get_knutson_data()[var, 1, 2]).
ALL_TC_FREQUENCY_CHANGE = -0.1027   # cat05: total tropical-cyclone frequency, -10.27 %
CAT45_FREQUENCY_CHANGE = -0.0475    # cat45: Cat 4-5 frequency, -4.75 % (not used; see README)
INTENSITY_CHANGE = 0.0533           # intensity: TC intensity, +5.33 %
RAIN_RATE_CHANGE = 0.1649           # precipitation rate: TC near-storm rain rate, +16.49 %
PER_WARMING = 2.0                   # Knutson changes are per 2 °C of warming (log-linear, Jewson 2021)

# Baseline: 2023 at GWL g0 = 1.2 °C (Forster et al. 2024); multipliers are ratios to it.
BASELINE_YEAR = 2023
G0 = 1.2
# GWL by year: AR6 WGI Table SPM.1 (near term 2030, mid term 2050), 2040 the midpoint.
GWL = {
    "rcp26": {2030: 1.5, 2040: 1.6, 2050: 1.7},
    "rcp45": {2030: 1.5, 2040: 1.75, 2050: 2.0},
    "rcp85": {2030: 1.6, 2040: 2.0, 2050: 2.4},
}
SCENARIOS = sorted(GWL)


def frequency(g: float) -> float:
    """Rate of damaging typhoon events: all-TC frequency change, log-linear in GWL."""
    return (1 + ALL_TC_FREQUENCY_CHANGE) ** ((g - G0) / PER_WARMING)


def severity(g: float) -> float:
    """Loss per event: wind (intensity) and rain-rate channels, equal geometric weights."""
    per_2c = ((1 + INTENSITY_CHANGE) * (1 + RAIN_RATE_CHANGE)) ** 0.5
    return per_2c ** ((g - G0) / PER_WARMING)


def three_significant(x: float) -> float:
    """The files' rounding (scenarios/README.md, Conventions)."""
    return float(f"{x:.3g}")


def _raw(scenario_id: str) -> dict:
    path = next(p for p in available_scenarios() if load_scenario(p).id == scenario_id)
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module", params=SCENARIOS)
def scenario(request):
    return request.param, _raw(request.param)


def test_files_use_the_documented_warming_levels(scenario):
    sid, raw = scenario
    values = raw["drivers"]["gwl_c"]["values"]
    assert values[BASELINE_YEAR] == pytest.approx(G0)
    for year, g in GWL[sid].items():
        assert values[year] == pytest.approx(g), (sid, year)


@pytest.mark.parametrize("aspect, formula", [("frequency", frequency), ("severity", severity)])
def test_typhoon_multipliers_equal_the_documented_formula(scenario, aspect, formula):
    sid, raw = scenario
    values = raw["hazards"]["typhoon"][aspect]["values"]
    assert values[BASELINE_YEAR] == 1.0
    for year, g in GWL[sid].items():
        expected = formula(g)
        assert values[year] == three_significant(expected), (sid, aspect, year, expected)
        # and within half a unit in the third significant digit, as the rounding allows
        assert abs(values[year] - expected) <= 0.5 * 10 ** (math.floor(math.log10(expected)) - 2) + 1e-12


def test_typhoon_frequency_is_below_one_when_the_cited_median_falls(scenario):
    sid, _ = scenario
    assert ALL_TC_FREQUENCY_CHANGE < 0
    sc = load_scenario(sid)
    for year in GWL[sid]:
        assert sc.hazard("typhoon", "frequency", year) < 1.0, (sid, year)
        assert sc.hazard("typhoon", "severity", year) > 1.0, (sid, year)


def test_typhoon_frequency_falls_with_warming():
    """A negative median frequency change means more warming gives fewer events."""
    at_2050 = [load_scenario(s).hazard("typhoon", "frequency", 2050) for s in ("rcp26", "rcp45", "rcp85")]
    assert at_2050 == sorted(at_2050, reverse=True)


def test_sources_cite_the_variables_used(scenario):
    _, raw = scenario
    typhoon = raw["hazards"]["typhoon"]
    freq, sev = typhoon["frequency"]["source"], typhoon["severity"]["source"]
    for text in (freq, sev):
        assert "Knutson et al. (2020)" in text and "Western" in text and "2 °C" in text
        assert "zenodo.4757343" in text and "median" in text.lower()
    assert "-10.27 %" in freq and "0.8973^((g - 1.2)/2)" in freq
    assert "+5.33 %" in sev and "+16.49 %" in sev and "(1.0533 x 1.1649)^((g - 1.2)/4)" in sev
    # The share of intense storms is a ratio of two frequency changes, not a rate.
    assert "1.0615^" not in freq
    share = (1 + CAT45_FREQUENCY_CHANGE) / (1 + ALL_TC_FREQUENCY_CHANGE)
    assert share == pytest.approx(1.0615, abs=5e-5)


# AR6 WGI Table SPM.1 very likely ranges (near term -> 2030, mid term -> 2050; 2040 the midpoints),
# as documented in scenarios/README.md, "Ranges".
GWL_RANGE = {
    "rcp26": {2030: (1.2, 1.8), 2050: (1.3, 2.2)},
    "rcp45": {2030: (1.2, 1.8), 2050: (1.6, 2.5)},
    "rcp85": {2030: (1.3, 1.9), 2050: (1.9, 3.0)},
}


def test_ranges_follow_their_documented_sources(scenario):
    sid, raw = scenario
    gwl = raw["drivers"]["gwl_c"]["range"]
    assert gwl.get("group", "warming") == "warming" and "Table SPM.1" in gwl["source"]
    ends = dict(GWL_RANGE[sid])
    ends[2040] = tuple((a + b) / 2 for a, b in zip(ends[2030], ends[2050], strict=True))
    ends[BASELINE_YEAR] = (G0, G0)
    for year, pair in ends.items():
        assert gwl["values"][year] == pytest.approx(list(pair)), (sid, year)
    local = raw["drivers"]["local_warming_c"]["range"]["values"]
    for year, (lo, hi) in ends.items():
        assert local[year] == pytest.approx([1.4 * (lo - G0), 1.4 * (hi - G0)], abs=5e-4), (sid, year)
    typhoon = raw["hazards"]["typhoon"]
    freq, sev = typhoon["frequency"]["range"], typhoon["severity"]["range"]
    assert freq["group"] == sev["group"] == "typhoon_model_spread"
    assert freq["percentiles"] == [5, 95] and sev["percentiles"] == [10, 90]
    for year, g in GWL[sid].items():
        assert freq["values"][year] == pytest.approx(
            [(1 - 0.30444) ** ((g - G0) / 2), (1 + 0.17252) ** ((g - G0) / 2)], abs=5e-4)
        assert sev["values"][year] == pytest.approx(
            [(1.01939 * 1.06273) ** ((g - G0) / 4), (1.09306 * 1.23784) ** ((g - G0) / 4)], abs=5e-4)
    # a draw at a group's ends reaches them; the median is the central value
    sc = load_scenario(sid)
    assert sc.at_quantiles({"warming": 0.95}).driver("gwl_c", 2050) == pytest.approx(ends[2050][1])
    assert sc.at_quantiles({"warming": 0.5}).hazard("extreme_heat", "frequency", 2050) == pytest.approx(
        sc.hazard("extreme_heat", "frequency", 2050))

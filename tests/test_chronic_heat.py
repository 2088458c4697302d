"""Chronic heat (issue 13, item 10): cooling by hours above the economiser set point, cooling water,
regional tariffs and heatwave derating, against closed forms computed here independently.

The exact method must give the closed-form mean to rounding (a recurring cost component is a scaled
lognormal, so its mean is exact); Monte Carlo within 4 standard errors. A register without the new
fields must give bit-identical results.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import yaml
from scipy import stats

from climaterisk import assess, load_register, load_scenario
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.components import hours_above
from climaterisk.register import DEFAULT_REGISTER, resolve_register_path
from tests.conftest import write_register

Z = 1.6448536269514722
YEAR = 2035  # the mini scenario's local warming rises linearly from 0 (2020) to 1 °C (2050)
WARMING = (YEAR - 2020) / 30


def ln_mean(p5: float, p95: float) -> float:
    """Mean of the lognormal with this 90% interval (independent of the package)."""
    mu = (math.log(p5) + math.log(p95)) / 2
    sigma = (math.log(p95) - math.log(p5)) / (2 * Z)
    return stats.lognorm(s=sigma, scale=math.exp(mu)).mean()


def hours_by_hand(h0: float, sd: float, dw: float) -> float:
    """Hours above the set point after warming dw, normal approximation, with scipy."""
    z0 = stats.norm.ppf(1 - h0 / 8760)
    return 8760 * stats.norm.sf(z0 - dw / sd)


def chronic_files(files: dict) -> dict:
    """The mini register with R2 on the hours rule, a cooling_water model, regional tariffs, WUE,
    water stress and economiser data at its two data centres, and no controls on R2."""
    f = copy.deepcopy(files)
    params = f["register.yaml"]["parameters"]
    params["electricity_price_by_region"] = {"north": 150.0}
    params["water_price_by_region"] = {"north": 8.0}
    sites = {s["id"]: s for s in f["sites.yaml"]["sites"]}
    sites["a"].update(pue=1.4, wue=1.5, water_stress=1.3,
                      free_cooling={"hours_above_set_point": 4545, "temperature_sd_c": 11.6})
    sites["b"].update(pue=1.2, wue=0.42,
                      free_cooling={"hours_above_set_point": 1836, "temperature_sd_c": 13.0})
    r2 = next(r for r in f["risks.yaml"]["risks"] if r["id"] == "R2")
    r2["controls"] = []
    r2["models"] = [
        {"type": "cooling_energy", "mechanical_cooling": {"p5": 0.08, "p95": 0.3}},
        {"type": "cooling_water", "sensitivity": {"p5": 0.03, "p95": 0.12}},
    ]
    return f


def closed_form_r2() -> tuple[float, float]:
    """Expected cooling electricity and cooling water cost of R2 in YEAR [currency/yr]."""
    energy = 0.0
    water = 0.0
    sites = ((50.0, 1.4, 1.5, 1.3, 4545, 11.6), (100.0, 1.2, 0.42, 1.0, 1836, 13.0))
    for mwh, pue, wue, stress, h0, sd in sites:
        extra_h = hours_by_hand(h0, sd, WARMING) - h0
        energy += mwh / pue / 8760 * extra_h * 150.0
        water += wue * mwh / pue * 8.0 * stress * WARMING
    return energy * ln_mean(0.08, 0.3), water * ln_mean(0.03, 0.12)


def test_hours_rule_matches_the_normal_approximation():
    for h0, sd, dw in ((4545, 11.6, 1.12), (1836, 13.0, 2.0), (10, 5.0, 3.0), (8000, 8.0, 0.5)):
        assert math.isclose(hours_above(h0, sd, dw), hours_by_hand(h0, sd, dw), rel_tol=1e-9)
        assert math.isclose(hours_above(h0, sd, 0.0), h0, rel_tol=1e-9)
    assert hours_above(0.0, 10.0, 2.0) == 0.0 and hours_above(8760.0, 10.0, 2.0) == 8760.0


def test_exact_mean_is_the_closed_form(tmp_path, mini_files, mini_scenario_path):
    reg = load_register(write_register(tmp_path / "reg", chronic_files(mini_files)))
    h = assess(reg, load_scenario(mini_scenario_path), horizons=[YEAR], method="fft").horizons[0]
    r2 = next(x for x in h.by_risk if x.id == "R2")
    energy, water = closed_form_r2()
    assert math.isclose(r2.inherent.mean, energy + water, rel_tol=1e-9), (r2.inherent.mean, energy + water)
    assert math.isclose(r2.residual.mean, energy + water, rel_tol=1e-9)


def test_each_component_alone_exact_and_monte_carlo(tmp_path, mini_files, mini_scenario_path):
    """Each new component on its own: exact = closed form, Monte Carlo within 4 SE."""
    energy, water = closed_form_r2()
    for i, expected in ((0, energy), (1, water)):
        files = chronic_files(mini_files)
        r2 = next(r for r in files["risks.yaml"]["risks"] if r["id"] == "R2")
        r2["models"] = [r2["models"][i]]
        reg = load_register(write_register(tmp_path / f"reg{i}", files))
        sc = load_scenario(mini_scenario_path)
        fft = next(x for x in assess(reg, sc, horizons=[YEAR], method="fft").horizons[0].by_risk
                   if x.id == "R2")
        assert math.isclose(fft.inherent.mean, expected, rel_tol=1e-9), (i, fft.inherent.mean, expected)
        mc = next(x for x in assess(reg, sc, horizons=[YEAR], trials=100_000, seed=3).horizons[0].by_risk
                  if x.id == "R2")
        assert abs(mc.inherent.mean - expected) < 4 * mc.inherent.se, (i, mc.inherent.mean, expected)


def test_regional_tariff_prices_the_flat_rule(tmp_path, mini_files, mini_scenario_path):
    """The flat rule at a regional tariff: sites of the region at its price, the default elsewhere."""
    files = copy.deepcopy(mini_files)
    files["register.yaml"]["parameters"]["electricity_price_by_region"] = {"north": 250.0}
    reg = load_register(write_register(tmp_path / "reg", files))
    h = assess(reg, load_scenario(mini_scenario_path), horizons=[YEAR], method="fft").horizons[0]
    r2 = next(x for x in h.by_risk if x.id == "R2")
    expected = (50 + 100) * 250.0 * WARMING * ln_mean(0.01, 0.05)  # sites a, b are in region north
    assert math.isclose(r2.inherent.mean, expected, rel_tol=1e-9)


def test_no_cost_in_the_baseline_year(tmp_path, mini_files, mini_scenario_path):
    reg = load_register(write_register(tmp_path / "reg", chronic_files(mini_files)))
    p = compile_portfolio(reg, load_scenario(mini_scenario_path), 2020)
    assert all(float(c.scale.sum()) == 0.0 for c in p.costs if c.kind in ("cooling_energy", "cooling_water"))


def _without_new_fields(src: Path, dst: Path) -> Path:
    """A copy of a register folder with the chronic-heat fields removed (R3 back to the flat rule
    with its former sensitivity; no water model, heat hazard, tariff tables or control scopes)."""
    dst.mkdir()
    for file in src.glob("*.yaml"):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        if file.name == "register.yaml":
            for key in ("electricity_price_by_region", "water_price", "water_price_by_region"):
                data["parameters"].pop(key, None)
        elif file.name == "sites.yaml":
            for site in data["sites"]:
                for key in ("wue", "water_stress", "free_cooling"):
                    site.pop(key, None)
                site.get("hazards", {}).pop("extreme_heat", None)
        elif file.name == "risks.yaml":
            r3 = next(r for r in data["risks"] if r["id"] == "R3")
            r3["controls"] = [c for c in r3["controls"] if c not in ("C18", "C19")]
            r3["models"] = [{"type": "cooling_energy", "sensitivity": {"p5": 0.004, "p95": 0.02}}]
        elif file.name == "controls.yaml":
            for ctrl in data["controls"]:
                if ctrl["id"] in ("C4", "C5", "C6"):
                    ctrl.pop("components", None)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        (dst / file.name).write_text(text, encoding="utf-8")
    return dst


def test_register_without_new_fields_is_bit_identical(tmp_path, mini_files, mini_scenario_path):
    """The mini register as shipped (flat rule, no tariff tables) gives the same numbers as before
    the tariff tables existed: a regional tariff equal to the default changes nothing, bit for bit."""
    sc = load_scenario(mini_scenario_path)
    plain = load_register(write_register(tmp_path / "plain", mini_files))
    files = copy.deepcopy(mini_files)
    price = files["register.yaml"]["parameters"]["electricity_price"]
    files["register.yaml"]["parameters"]["electricity_price_by_region"] = {"north": price, "south": price}
    tabled = load_register(write_register(tmp_path / "tabled", files))
    a = assess(plain, sc, horizons=[YEAR], trials=5_000, seed=5).to_dict()["horizons"]
    b = assess(tabled, sc, horizons=[YEAR], trials=5_000, seed=5).to_dict()["horizons"]
    assert a == b


def test_shipped_register_new_fields_move_only_r3(tmp_path):
    """The shipped register with and without the chronic-heat fields: every risk but R3 (and R6,
    whose reputational episodes follow simulated outages, which now include heatwave derating) is
    bit-identical; R3 moves."""
    source = Path(resolve_register_path(DEFAULT_REGISTER))
    stripped = load_register(_without_new_fields(source, tmp_path / "stripped"))
    shipped = load_register(resolve_register_path(DEFAULT_REGISTER))
    runs = [assess(r, "rcp45", trials=4_000, seed=9).horizons for r in (stripped, shipped)]
    for h0, h1 in zip(*runs, strict=True):
        before = {x.id: x for x in h0.by_risk}
        after = {x.id: x for x in h1.by_risk}
        for rid in before:
            if rid in ("R3", "R6"):
                continue
            assert before[rid].inherent == after[rid].inherent, rid
            assert before[rid].residual == after[rid].residual, rid
        assert before["R3"].inherent.mean != after["R3"].inherent.mean


def test_heatwave_derating_follows_the_extreme_heat_multiplier():
    reg = load_register(resolve_register_path(DEFAULT_REGISTER))
    sc = load_scenario("rcp45")
    p = compile_portfolio(reg, sc, 2050)
    ratio = sc.hazard("extreme_heat", "frequency", 2050) / sc.hazard("extreme_heat", "frequency", 2023)
    heat = [i for i, hz in enumerate(p.links.hazard) if hz == "extreme_heat"]
    assert len(heat) == 8  # the eight data centres
    for i in heat:
        site = reg.site(p.site_ids[p.links.site[i]])
        assert math.isclose(p.links.local_rate[i], site.hazards["extreme_heat"] * ratio, rel_tol=1e-12)

"""Property-based tests of the engine over generated registers (issue 6).

A hypothesis strategy builds small valid registers, as the dicts :func:`tests.conftest.write_register`
takes: 1-4 sites in 1-2 regions with common events, 1-4 risks mixing every kind of model component,
0-2 opportunities, 0-4 controls with random effects (some transfer layers, site selectors,
``components`` lists, planned and retired controls) and random 90% intervals. Each example is
written to a temporary folder, loaded through validation and simulated with a few thousand trials.

Properties:

1. losses are never negative (per trial, every risk, site and the total, inherent and residual);
2. residual never exceeds inherent, trial by trial (exact: same draws, every factor <= 1);
3. a more effective control never raises residual loss, trial by trial (common random numbers);
4. higher hazard multipliers never lower acute inherent loss: per trial and exactly for the
   severity multiplier (it scales the same draws), in distribution for the frequency multiplier
   (more events change the random stream);
5. VaR 99% >= VaR 95% and TVaR >= VaR for every line;
6. results do not depend on the chunk size or on the order of entries in the files, bit for bit.

Defects these properties found (and that are now fixed) are pinned by deterministic
regression tests at the end of the file.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from climaterisk import assess, load_register, load_scenario
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import controls_config, inherent_config
from climaterisk.model.simulate import simulate
from climaterisk.register import Register
from climaterisk.register.schema import MODEL_TYPES, SITE_KINDS
from climaterisk.scenarios import Scenario
from tests.conftest import register_files, scenario_dict, write_register, write_scenario

YEAR = 2050
TRIALS = 2_000
SEED = 11
HAZARDS = ("flood", "storm")
TRANSITION_CATEGORIES = ("policy_legal", "technology", "market", "reputation")

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    database=None,  # examples are generated afresh: no failing examples replayed from a database
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


# --------------------------------------------------------------------------- strategies


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def _interval(draw, lo: float, hi: float, max_ratio: float) -> dict:
    """A 90% interval with 0 < p5 < p95 (p95 up to ``max_ratio`` times p5)."""
    p5 = draw(_floats(lo, hi))
    return {"p5": p5, "p95": p5 * draw(_floats(1.05, max_ratio))}


@st.composite
def _damage(draw) -> dict:
    """A damage interval (fraction of replacement value): p5 < p95 <= 1, so the cap D <= 1 binds
    in some trials."""
    p5 = draw(_floats(1e-4, 0.5))
    return {"p5": p5, "p95": min(1.0, p5 + (1.0 - p5) * draw(_floats(0.01, 1.0)))}


def _selector(draw, sites: list[dict], regions: list[dict], allow_empty: bool) -> object:
    """A site selector in one of the accepted forms; non-empty unless ``allow_empty``."""
    site_ids = [s["id"] for s in sites]
    forms = ["all", "ids", "region", "kind", *(["kind_any"] if allow_empty else [])]
    form = draw(st.sampled_from(forms))
    if form == "all":
        return "all"
    if form == "ids":
        return draw(st.lists(st.sampled_from(site_ids), min_size=0 if allow_empty else 1, unique=True))
    if form == "region":
        used = sorted({s["region"] for s in sites})
        return {"region": draw(st.lists(st.sampled_from(used), min_size=1, unique=True))}
    if form == "kind":
        used = sorted({s["kind"] for s in sites})
        return {"kind": draw(st.lists(st.sampled_from(used), min_size=1, unique=True))}
    return {"kind": draw(st.lists(st.sampled_from(SITE_KINDS), min_size=1, unique=True)),
            "region": draw(st.lists(st.sampled_from([r["id"] for r in regions]), min_size=1,
                                    unique=True))}


def _model(draw, kind: str, known_hazards: list[str], metric_ids: list[str]) -> dict:
    if kind == "site_event":
        model = {"type": kind, "hazard": draw(st.sampled_from(known_hazards)), "damage": draw(_damage())}
        if draw(st.booleans()):
            model["downtime_days"] = draw(_interval(0.1, 30.0, 50.0))  # up to 1,500 days: cap binds
        return model
    if kind == "entity_event":
        model = {"type": kind, "rate": draw(_floats(0.0, 2.0)),
                 "severity": draw(_interval(1.0, 1e5, 100.0))}
        if draw(st.booleans()):
            model["rate_driver"] = "policy_stringency"
        return model
    if kind == "cooling_energy":
        return {"type": kind, "sensitivity": draw(_interval(1e-3, 0.05, 20.0))}
    if kind == "carbon_cost":
        low = draw(_floats(0.0, 1.0))
        return {"type": kind,
                "emissions": draw(st.lists(st.sampled_from(metric_ids), min_size=1, unique=True)),
                "exposed_share": {"low": low, "high": min(1.0, low + (1.0 - low) * draw(_floats(0.0, 1.0)))}}
    model = {"type": "annual_cost", "cost": draw(_interval(1.0, 1e5, 100.0))}
    if draw(st.booleans()):
        model["driver"] = "policy_stringency"
    return model


@st.composite
def registers(draw, min_controls: int = 0) -> dict:
    """Files of a small valid register (the dicts ``write_register`` takes).

    The transfer layers of the controls are drawn independently (they may overlap) or, in half
    the examples, as disjoint bands ``[deductible, deductible + limit]`` stacked into a tower.
    """
    files = register_files()
    tower = draw(st.booleans())
    regions = []
    for g in range(draw(st.integers(1, 2))):
        hazards = draw(st.lists(st.sampled_from(HAZARDS), unique=True, max_size=2))
        regions.append({"id": f"g{g}", "name": f"Region {g}", "common_events": [
            {"hazard": h, "rate": draw(_floats(0.0, 1.5)), "footprint": draw(_floats(0.0, 1.0))}
            for h in hazards]})
    sites = []
    for i in range(draw(st.integers(1, 4))):
        site = {
            "id": f"s{i}", "name": f"Site {i}", "kind": draw(st.sampled_from(SITE_KINDS)),
            "region": draw(st.sampled_from([r["id"] for r in regions])),
            "replacement_value": draw(_floats(1.0, 1e6)),
            "interruption_cost_per_day": draw(_floats(0.0, 1e4)),
            "electricity_mwh": draw(_floats(0.0, 1e4)),
            "hazards": {h: draw(_floats(0.0, 1.5))
                        for h in draw(st.lists(st.sampled_from(HAZARDS), unique=True, max_size=2))},
        }
        if draw(st.booleans()):
            site["rto_days"] = draw(_floats(0.0, 30.0))
            site["mtpd_days"] = site["rto_days"] + draw(_floats(0.0, 30.0))
        if draw(st.booleans()):
            site["iso22301"] = {"certified": True,
                                "valid_until": draw(st.sampled_from(["2019-06-30", "2030-12-31"]))}
        sites.append(site)
    known = sorted({h for s in sites for h in s["hazards"]}
                   | {e["hazard"] for r in regions for e in r["common_events"]})
    metrics = [{"id": f"m{i}", "name": f"Metric {i}", "category": "ghg", "scope": 1 + i % 3,
                "unit": "t CO2e", "year": 2020, "value": draw(_floats(0.0, 1e4))}
               for i in range(3)]
    metric_ids = [m["id"] for m in metrics]

    controls = []
    top = 0.0  # top of the tower built so far
    for c in range(draw(st.integers(min_controls, 4))):
        ctrl: dict = {"id": f"C{c}", "title": f"Control {c}",
                      "type": draw(st.sampled_from(("preventive", "detective", "corrective", "transfer"))),
                      "status": draw(st.sampled_from(("implemented", "implemented", "planned", "retired")))}
        if ctrl["status"] == "planned":
            ctrl["effective_year"] = draw(st.sampled_from((2025, 2045, 2050, 2051, 2060)))
        elif ctrl["status"] == "retired" and draw(st.booleans()):
            ctrl["retired_year"] = draw(st.sampled_from((2030, 2050, 2051, 2060)))
        elif ctrl["status"] == "implemented" and draw(st.booleans()):
            ctrl["effective_year"] = draw(st.sampled_from((2015, 2050, 2051)))
        effect = {k: draw(_floats(0.0, 1.0))
                  for k in ("frequency", "severity", "downtime") if draw(st.booleans())}
        if ctrl["type"] == "transfer":
            if tower:
                effect["deductible"] = top + draw(_floats(0.0, 2e4))
                effect["limit"] = draw(_floats(0.0, 1e5))
                top = effect["deductible"] + effect["limit"]
            else:
                if draw(st.booleans()):
                    effect["deductible"] = draw(_floats(0.0, 5e4))
                effect["limit"] = draw(_floats(0.0, 1e5))
        if effect or draw(st.booleans()):
            ctrl["effect"] = effect
        if draw(st.integers(0, 2)) == 0:
            ctrl["sites"] = _selector(draw, sites, regions, allow_empty=True)
        if draw(st.integers(0, 2)) == 0:
            ctrl["components"] = draw(st.lists(st.sampled_from(MODEL_TYPES), min_size=1, unique=True))
        controls.append(ctrl)
    control_ids = [c["id"] for c in controls]

    kinds = [k for k in MODEL_TYPES if k != "site_event" or known]
    risks = []
    for r in range(draw(st.integers(1, 4))):
        models = [_model(draw, kind, known, metric_ids)
                  for kind in draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=3))]
        types = {m["type"] for m in models}
        if "site_event" in types:
            category = "physical_acute"
        elif "cooling_energy" in types:
            category = "physical_chronic"
        else:
            category = draw(st.sampled_from(TRANSITION_CATEGORIES))
        risk = {"id": f"R{r}", "title": f"Risk {r}", "category": category,
                "ifrs_s2_type": "physical" if category.startswith("physical") else "transition",
                "impact": "Loss.", "time_horizons": ["long"], "owner": "Ops",
                "rating": {"likelihood": 3, "impact": 3},
                "controls": draw(st.lists(st.sampled_from(control_ids), unique=True)) if controls else [],
                "models": models}
        if types & {"site_event", "cooling_energy"} or draw(st.booleans()):
            risk["sites"] = _selector(draw, sites, regions, allow_empty=False)
        risks.append(risk)
    opportunities = []
    for o in range(draw(st.integers(0, 2))):
        kind = "site_event" if known and draw(st.booleans()) else "annual_cost"
        opportunities.append({
            "id": f"O{o}", "title": f"Opportunity {o}", "category": "resilience",
            "ifrs_s2_type": "physical" if kind == "site_event" else "transition",
            "description": "Gain.", "time_horizons": ["long"], "sites": "all",
            "models": [_model(draw, kind, known, metric_ids)]})
    files["sites.yaml"] = {"regions": regions, "sites": sites}
    files["risks.yaml"] = {"risks": risks}
    files["opportunities.yaml"] = {"opportunities": opportunities}
    files["controls.yaml"] = {"controls": controls}
    files["metrics.yaml"] = {"metrics": metrics}
    return files


def scenario(freq: float = 1.5, sev: float = 1.2, storm_freq: float = 1.3, storm_sev: float = 1.1) -> dict:
    """The conftest test scenario (baseline 2020), with storm severity too; 2050 values given."""
    data = scenario_dict(freq=freq, sev=sev, warming=1.0)
    flat = data["hazards"]["storm"]["frequency"]
    data["hazards"]["storm"] = {
        "frequency": {**flat, "values": {2020: 1.0, 2050: storm_freq, 2060: storm_freq}},
        "severity": {**flat, "values": {2020: 1.0, 2050: storm_sev, 2060: storm_sev}},
    }
    return data


# --------------------------------------------------------------------------- helpers


def load(files: dict, scenario_data: dict | None = None) -> tuple[Register, Scenario]:
    """Write a register and a scenario to a temporary folder and load both (they are read eagerly)."""
    with tempfile.TemporaryDirectory() as tmp:
        register = load_register(write_register(Path(tmp) / "reg", files))
        sc = load_scenario(write_scenario(Path(tmp) / "scenario.yaml", scenario_data or scenario()))
    return register, sc


def run(register: Register, sc: Scenario, trials: int = TRIALS, chunk: int = 100_000,
        extra: tuple = ()) -> dict:
    """Per-trial inherent and residual losses (and those of the ``extra`` configurations, built
    from the portfolio), by risk, by site and in total."""
    portfolio = compile_portfolio(register, sc, YEAR)
    configs = [inherent_config(portfolio), controls_config(register, portfolio),
               *(make(portfolio) for make in extra)]
    return simulate(portfolio, configs, trials, SEED, chunk_trials=chunk, keep=True)


def rows(samples) -> list[np.ndarray]:
    """Every per-trial series of a configuration: risks, sites (and company row), total."""
    return [*samples.by_risk, *samples.by_site, samples.total]


def comparable(result) -> dict:
    """An assessment's results, without what legitimately depends on when and from where it ran
    (the manifest) or on the order of entries in the files (the list of assumptions)."""
    out = result.to_dict()
    del out["manifest"], out["assumptions"]
    return out


# --------------------------------------------------------------------------- 1 and 2


@SETTINGS
@given(registers())
def test_losses_are_never_negative(files):
    """Every per-trial series (risks, opportunities' benefits, sites, company row, total) is
    finite and >= 0, inherent and residual: every factor and draw is non-negative and recoveries
    are capped at the loss they recover from."""
    register, sc = load(files)
    out = run(register, sc)
    for name in ("inherent", "residual"):
        for series in rows(out[name]):
            assert np.all(np.isfinite(series))
            assert np.all(series >= 0.0), name


@SETTINGS
@given(registers())
def test_residual_never_exceeds_inherent_trial_by_trial(files):
    """Exact in floating point: residual and inherent use the same draws, every control factor is
    <= 1 (rounding is monotone), recoveries are subtracted from a loss they never exceed, and the
    per-trial sums add the events in the same order."""
    register, sc = load(files)
    out = run(register, sc)
    for inh, res in zip(rows(out["inherent"]), rows(out["residual"]), strict=True):
        assert np.all(res <= inh)


# --------------------------------------------------------------------------- 3


@st.composite
def improvements(draw) -> tuple[dict, dict, str]:
    """A register and a copy in which one control is more effective: a larger frequency, severity
    or downtime fraction, or (transfer) a larger limit. The control is made implemented and linked
    to every risk in both (half the time without site or component limits), so that the change
    usually matters."""
    files = draw(registers(min_controls=1))
    controls = files["controls.yaml"]["controls"]
    i = draw(st.integers(0, len(controls) - 1))
    ctrl = controls[i]
    ctrl["status"] = "implemented"
    ctrl.pop("effective_year", None)
    ctrl.pop("retired_year", None)
    if draw(st.booleans()):  # half the time, acting everywhere
        ctrl.pop("sites", None)
        ctrl.pop("components", None)
    for risk in files["risks.yaml"]["risks"]:
        if ctrl["id"] not in risk["controls"]:
            risk["controls"].append(ctrl["id"])
    aspects = ["frequency", "severity", "downtime", *(["limit"] if ctrl["type"] == "transfer" else [])]
    aspect = draw(st.sampled_from(aspects))
    better = copy.deepcopy(files)
    effect = better["controls.yaml"]["controls"][i].setdefault("effect", {})
    if aspect == "limit":
        effect["limit"] += draw(_floats(1.0, 1e5))
    else:
        old = effect.get(aspect, 0.0)
        effect[aspect] = min(1.0, old + (1.0 - old) * draw(_floats(0.05, 1.0)))
    return files, better, aspect


def _residual_of(register: Register, name: str):
    return lambda portfolio: controls_config(register, portfolio, name=name)


@settings(SETTINGS, max_examples=40)
@given(improvements())
def test_more_effective_control_never_raises_residual(case):
    """Same portfolio and draws, two control sets: per trial, residual after <= residual before.

    Thinning keeps an event iff ``u < keep``, so a smaller ``keep`` keeps a subset of the events;
    smaller severity or downtime factors give a smaller loss per event before insurance; the
    transfer layers are merged into disjoint bands, so the retained loss (``X0`` less the part of
    ``[0, X0]`` the bands cover) is a non-decreasing function of the loss ``X0``; a larger limit
    recovers more. So the inequality is exact in real numbers. In floating point the retained
    loss within a layer, ``X0 - (X0 - deductible)``, can move by an ulp of ``X0``: a tolerance of
    1e-9 times the trial's inherent loss absorbs that."""
    files, better, _aspect = case
    before, sc = load(files)
    after, _ = load(better)
    out = run(before, sc, extra=(_residual_of(after, "after"),))
    inherent = rows(out["inherent"])
    for inh, old, new in zip(inherent, rows(out["residual"]), rows(out["after"]), strict=True):
        assert np.all(new <= old + 1e-9 * inh)


# --------------------------------------------------------------------------- 4


@SETTINGS
@given(registers(), _floats(0.2, 3.0), _floats(0.2, 3.0), _floats(1.0, 4.0))
def test_higher_severity_multiplier_never_lowers_loss_per_trial(files, flood, storm, factor):
    """The scenario severity multiplier scales every site event's loss and downtime and nothing
    else. It does not enter the draws (counts come from frequencies), so two runs that differ only
    in it share every random number: inherent loss of every risk, site and the total is
    non-decreasing in it trial by trial, exactly (a product with a larger factor rounds to a larger
    or equal number, and sums keep their order). Rows without site events are identical. The
    residual is non-decreasing too (up to the rounding noted in property 3)."""
    register, low = load(files, scenario(sev=flood, storm_sev=storm))
    _, high = load(files, scenario(sev=flood * factor, storm_sev=storm * factor))
    a, b = run(register, low), run(register, high)
    for lo, hi in zip(rows(a["inherent"]), rows(b["inherent"]), strict=True):
        assert np.all(hi >= lo)
    for lo, hi, inh in zip(rows(a["residual"]), rows(b["residual"]), rows(b["inherent"]), strict=True):
        assert np.all(hi >= lo - 1e-9 * inh)
    portfolio = compile_portfolio(register, low, YEAR)
    acute = {int(r) for r, k in zip(portfolio.links.risk, portfolio.links.kind, strict=True)
             if k == "site_event"}
    for i in range(len(portfolio.risk_ids)):
        if i not in acute:
            assert np.array_equal(a["inherent"].by_risk[i], b["inherent"].by_risk[i])
    assert np.array_equal(a["inherent"].by_site[-1], b["inherent"].by_site[-1])  # company row


@settings(SETTINGS, max_examples=25)
@given(registers(), _floats(0.2, 3.0), _floats(0.2, 3.0), _floats(1.0, 4.0))
def test_higher_frequency_multiplier_never_lowers_acute_eal(files, flood, storm, factor):
    """A larger frequency multiplier draws more site events, which shifts the site-event random
    stream: acute losses are not comparable trial by trial, only in distribution. What is exact:

    - every compiled rate (site-local and regional) is the baseline rate times the multiplier, so
      with the multiplier scaled by ``factor >= 1`` no rate falls, and the closed-form acute EAL
      (linear in the rates, section 8 of the methodology) cannot fall;
    - company-level events and recurring costs have their own streams, so every risk without site
      events, and the company-level row, is identical in the two runs, trial by trial.

    Statistically, the acute loss (the site rows: site events plus cooling costs, which are
    identical in both runs and cancel in the per-trial difference) may fall only by sampling
    noise: the mean per-trial difference must exceed -5 standard errors (a false alarm has a
    chance below 1e-6 per example).
    """
    register, low = load(files, scenario(freq=flood, storm_freq=storm))
    _, high = load(files, scenario(freq=flood * factor, storm_freq=storm * factor))
    p_low, p_high = compile_portfolio(register, low, YEAR), compile_portfolio(register, high, YEAR)
    assert np.all(p_high.links.local_rate >= p_low.links.local_rate)
    assert len(p_high.groups) == len(p_low.groups)
    for g_low, g_high in zip(p_low.groups, p_high.groups, strict=True):
        assert g_high.rate >= g_low.rate
    trials = 3_000
    a, b = run(register, low, trials=trials)["inherent"], run(register, high, trials=trials)["inherent"]
    acute = {int(r) for r, k in zip(p_low.links.risk, p_low.links.kind, strict=True) if k == "site_event"}
    for i in range(len(p_low.risk_ids)):
        if i not in acute:
            assert np.array_equal(a.by_risk[i], b.by_risk[i])
    assert np.array_equal(a.by_site[-1], b.by_site[-1])  # company-level row
    diff = b.by_site[:-1].sum(axis=0) - a.by_site[:-1].sum(axis=0)
    assert diff.mean() >= -5 * diff.std(ddof=1) / math.sqrt(trials)


# --------------------------------------------------------------------------- 5


@SETTINGS
@given(registers())
def test_risk_measures_are_ordered_for_every_line(files):
    """VaR 99% >= VaR 95%, TVaR >= VaR at both levels (exact: TVaR adds a mean of non-negative
    excesses to VaR). Also TVaR 99% >= TVaR 95% >= EAL, which hold for the empirical distribution
    in real numbers; rounding in the two formulas allows a relative 1e-9."""
    register, sc = load(files)
    result = assess(register, sc, horizons=[YEAR], trials=TRIALS, seed=SEED,
                    with_controls=False, with_coverage=False)
    h = result.horizons[0]
    lines = [h.total, *h.by_risk, *h.by_category, *h.by_site, *h.opportunities]
    for line in lines:
        for s in (line.inherent, line.residual):
            values = s.to_dict().values()
            assert all(math.isfinite(v) for v in values), line.id
            slack = 1e-9 * abs(s.tvar99)
            assert 0.0 <= s.var95 <= s.var99, line.id
            assert s.tvar95 >= s.var95 and s.tvar99 >= s.var99, line.id
            assert s.tvar99 >= s.tvar95 - slack and s.tvar95 >= s.mean - slack, line.id


# --------------------------------------------------------------------------- 6


@settings(SETTINGS, max_examples=25)
@given(registers())
def test_results_do_not_depend_on_chunk_size(files):
    """2,500 trials (a partial last block) in chunks of 1, 2 and 100 blocks, and in chunks of one
    block on two threads: identical arrays and identical reports (including control values and
    ISO 22301 exposure)."""
    register, sc = load(files)
    results = [assess(register, sc, horizons=[YEAR], trials=2_500, seed=SEED, chunk_trials=chunk,
                      keep_samples=True, workers=workers)
               for chunk, workers in ((1_000, 1), (2_000, 1), (100_000, 1), (1_000, 2))]
    reference = results[0]
    for other in results[1:]:
        assert comparable(other) == comparable(reference)
        for name in ("inherent", "residual"):
            for x, y in zip(rows(reference.horizons[0].samples[name]),
                            rows(other.horizons[0].samples[name]), strict=True):
                assert np.array_equal(x, y)


def shuffled(files: dict, rnd) -> dict:
    """The same register with every list whose order carries no meaning shuffled: sites, regions,
    risks, opportunities, controls, metrics, models within a risk, the metrics a carbon-cost
    component sums, a risk's controls, common events, site hazards, the lists of site selectors
    and control components."""
    out = copy.deepcopy(files)

    def mix(items: list) -> None:
        rnd.shuffle(items)

    def mix_selector(selector) -> None:
        if isinstance(selector, list):
            mix(selector)
        elif isinstance(selector, dict):
            for value in selector.values():
                mix(value)

    mix(out["sites.yaml"]["sites"])
    mix(out["sites.yaml"]["regions"])
    for region in out["sites.yaml"]["regions"]:
        mix(region["common_events"])
    for site in out["sites.yaml"]["sites"]:
        items = list(site["hazards"].items())
        mix(items)
        site["hazards"] = dict(items)
    for items in (out["risks.yaml"]["risks"], out["opportunities.yaml"]["opportunities"]):
        mix(items)
        for risk in items:
            mix(risk["models"])
            for model in risk["models"]:
                mix(model.get("emissions", []))
            mix(risk.get("controls", []))
            mix_selector(risk.get("sites"))
    mix(out["controls.yaml"]["controls"])
    for ctrl in out["controls.yaml"]["controls"]:
        mix_selector(ctrl.get("sites"))
        mix(ctrl.get("components", []))
    mix(out["metrics.yaml"]["metrics"])
    return out


@settings(SETTINGS, max_examples=25)
@given(registers(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_the_order_of_entries(files, rnd):
    """Every simulated array and every reported figure is identical (including control values
    and the ISO 22301 report)."""
    register, sc = load(files)
    other, _ = load(shuffled(files, rnd))
    a = assess(register, sc, horizons=[YEAR], trials=TRIALS, seed=SEED, keep_samples=True)
    b = assess(other, sc, horizons=[YEAR], trials=TRIALS, seed=SEED, keep_samples=True)
    assert comparable(a) == comparable(b)
    for name in ("inherent", "residual"):
        for x, y in zip(rows(a.horizons[0].samples[name]), rows(b.horizons[0].samples[name]),
                        strict=True):
            assert np.array_equal(x, y)


# --------------------------------------------------------------------------- regressions
# Minimal registers that broke a property before the fix: a block of trials without events next
# to a recurring cost (integer bincount); overlapping insurance layers (now merged into disjoint
# bands); two common events of one hazard, a carbon cost's emission list and the sites of the
# certification table taken in file order (now in a canonical order).


def minimal(models: list[dict], controls: tuple[dict, ...] = (), sites: list[dict] | None = None,
            regions: list[dict] | None = None, metrics: list[dict] | None = None) -> dict:
    """One risk with ``models`` (and every control listed), on one site by default."""
    files = register_files()
    files["sites.yaml"] = {
        "regions": regions or [{"id": "g0", "name": "Region 0"}],
        "sites": sites or [{"id": "s0", "name": "Site 0", "kind": "office", "region": "g0",
                            "replacement_value": 300.0, "interruption_cost_per_day": 0.0,
                            "hazards": {"flood": 1.0}}],
    }
    physical = any(m["type"] in ("site_event", "cooling_energy") for m in models)
    files["risks.yaml"] = {"risks": [{
        "id": "R0", "title": "Risk", "category": "physical_acute" if physical else "policy_legal",
        "ifrs_s2_type": "physical" if physical else "transition", "impact": "Loss.",
        "time_horizons": ["long"], "rating": {"likelihood": 3, "impact": 3}, "sites": "all",
        "controls": [c["id"] for c in controls], "models": models}]}
    files["controls.yaml"] = {"controls": list(controls)}
    files["metrics.yaml"] = {"metrics": metrics or []}
    del files["opportunities.yaml"]
    return files


def test_block_without_events_and_a_cost_component():
    """A register whose only risk is a recurring cost (no event in any block) is assessed: blocks
    without events are common at low event rates (a total rate of 0.001/yr leaves a block of
    1,000 trials without events 37% of the time) and once crashed next to a cost component."""
    files = minimal([{"type": "annual_cost", "cost": {"p5": 1.0, "p95": 2.0}}])
    files["sites.yaml"]["sites"][0]["hazards"] = {}
    register, sc = load(files)
    result = assess(register, sc, horizons=[YEAR], trials=1_000, seed=SEED)
    assert result.horizons[0].total.inherent.mean > 0


def test_overlapping_layers_more_severity_reduction_never_raises_residual():
    """Layers (deductible 10, limit 100) and (deductible 20, limit 100) overlap and recover from
    one band (10, 120]. One event of about 36 a year (damage 10% of 300, scenario severity 1.2 in
    2050) retains 10; a control cutting severity by half leaves 18, which retains 10 too. (Layers
    recovering separately, 26 + 16 >= 36 before and 8 after, made the stronger control raise
    the retained loss from 0 to 10.)"""
    layers = ({"id": "T1", "title": "Policy 1", "type": "transfer", "status": "implemented",
               "effect": {"deductible": 10.0, "limit": 100.0}},
              {"id": "T2", "title": "Policy 2", "type": "transfer", "status": "implemented",
               "effect": {"deductible": 20.0, "limit": 100.0}})
    weak = {"id": "C0", "title": "Protection", "type": "preventive", "status": "implemented",
            "effect": {"severity": 0.0}}
    strong = {**weak, "effect": {"severity": 0.5}}
    model = {"type": "site_event", "hazard": "flood", "damage": {"p5": 0.0999, "p95": 0.1001}}
    before, sc = load(minimal([model], (*layers, weak)))
    after, _ = load(minimal([model], (*layers, strong)))
    out = run(before, sc, extra=(_residual_of(after, "after"),))
    assert np.all(out["after"].total <= out["residual"].total)


def _samples_equal(a: Register, b: Register, sc: Scenario) -> bool:
    x, y = run(a, sc), run(b, sc)
    return all(np.array_equal(p, q) for name in ("inherent", "residual")
               for p, q in zip(rows(x[name]), rows(y[name]), strict=True))


def test_order_of_common_events_of_one_hazard():
    sites = [{"id": f"s{i}", "name": f"Site {i}", "kind": "office", "region": "g0",
              "replacement_value": 300.0, "interruption_cost_per_day": 0.0} for i in range(2)]
    events = [{"hazard": "flood", "rate": 0.5, "footprint": 0.3},
              {"hazard": "flood", "rate": 0.2, "footprint": 0.9}]
    model = {"type": "site_event", "hazard": "flood", "damage": {"p5": 0.01, "p95": 0.1}}
    files = minimal([model], sites=sites, regions=[{"id": "g0", "name": "R", "common_events": events}])
    other = copy.deepcopy(files)
    other["sites.yaml"]["regions"][0]["common_events"].reverse()
    (a, sc), (b, _) = load(files), load(other)
    assert _samples_equal(a, b, sc)


@pytest.mark.parametrize("case", ["stream_keys", "rounding"])
def test_order_of_carbon_cost_emissions(case):
    """Reordering the metric ids of a carbon_cost component changes no trial.

    stream_keys: components A (m0 + m2) and B (m1) of one risk; A's list written [m2, m0] must
    not make its repr sort after B's, which would swap their ordinals and random streams.
    rounding: one component summing 0.1, 0.2 and 0.3 t (0.6000000000000001 in one order, 0.6 in
    the other, if summed in file order)."""
    if case == "stream_keys":
        values = [100.0, 200.0, 300.0]
        models = [
            {"type": "carbon_cost", "emissions": ["m0", "m2"], "exposed_share": {"low": 0.0, "high": 0.1}},
            {"type": "carbon_cost", "emissions": ["m1"], "exposed_share": {"low": 0.5, "high": 1.0}},
        ]
    else:
        values = [0.1, 0.2, 0.3]
        models = [{"type": "carbon_cost", "emissions": ["m0", "m1", "m2"],
                   "exposed_share": {"low": 0.5, "high": 0.5}}]
    metrics = [{"id": f"m{i}", "name": f"Metric {i}", "category": "ghg", "scope": 1, "unit": "t CO2e",
                "year": 2020, "value": v} for i, v in enumerate(values)]
    files = minimal([*models, {"type": "site_event", "hazard": "flood",
                               "damage": {"p5": 0.01, "p95": 0.1}}], metrics=metrics)
    other = copy.deepcopy(files)
    other["risks.yaml"]["risks"][0]["models"][0]["emissions"].reverse()
    (a, sc), (b, _) = load(files), load(other)
    assert _samples_equal(a, b, sc)


def test_certification_coverage_order_of_sites():
    sites = [{"id": f"s{i}", "name": f"Site {i}", "kind": "office", "region": "g0",
              "replacement_value": v, "interruption_cost_per_day": 0.0, "hazards": {"flood": 0.1},
              "iso22301": {"certified": True, "valid_until": "2030-12-31"}}
             for i, v in enumerate([0.1, 0.2, 0.3])]
    files = minimal([{"type": "site_event", "hazard": "flood", "damage": {"p5": 0.01, "p95": 0.1}}],
                    sites=sites)
    other = copy.deepcopy(files)
    other["sites.yaml"]["sites"].reverse()
    (a, sc), (b, _) = load(files), load(other)
    first = assess(a, sc, horizons=[YEAR], trials=1_000, seed=SEED)
    second = assess(b, sc, horizons=[YEAR], trials=1_000, seed=SEED)
    assert first.iso22301()["certification"] == second.iso22301()["certification"]

"""Resource bounds of a run (climaterisk.analysis.bounds): computed from the compiled register
before anything is sampled, with closed forms on the small test register."""

from __future__ import annotations

import math

import pytest

from climaterisk import load_register
from climaterisk.analysis import bounds
from climaterisk.analysis.assess import assess
from climaterisk.analysis.options import AssessOptions, max_workers
from climaterisk.errors import InputError, OptionError
from climaterisk.model.compile import compile_portfolio
from climaterisk.scenarios import load_scenario
from tests.conftest import write_register


def _portfolios(path, scenario_path, years=(2030, 2050)):
    register, scenario = load_register(path), load_scenario(scenario_path)
    return register, scenario, [compile_portfolio(register, scenario, y) for y in years]


def test_events_are_rates_times_trials(mini_register_path, mini_scenario_path):
    """Expected events = trials x (local rates + regional rate x footprint x links), by hand."""
    _, _, ps = _portfolios(mini_register_path, mini_scenario_path, (2020,))
    # 2020 is the baseline (multipliers 1): flood at a 0.2, b 0.1, c 0.3; storm at c 0.05 (no
    # storm model at c: the storm link does not exist); R3's entity rate 0.3; region north:
    # 0.5 a year x footprint 0.4 x (one flood link at a + one at b)
    p = ps[0]
    by_hand = 0.2 + 0.1 + 0.3 + 0.3 + 0.5 * 0.4 * 2
    assert sum(p.links.local_rate) + sum(g.rate * sum(g.footprint * g.links_per_site) for g in p.groups) \
        == pytest.approx(by_hand)
    size = bounds.run_size(ps, 1000, 8.0, workers=1, runs=3)
    assert size.events == pytest.approx(3 * 1000 * by_hand)
    assert size.events_per_year == pytest.approx(by_hand)
    draws = max(bounds.EVENTS_PER_CHUNK, 10_000 * by_hand) * bounds.BYTES_PER_EVENT
    assert size.bytes == pytest.approx(8.0 * 1000 + draws)


def test_shipped_and_benchmark_sizes_stay_well_inside():
    register, scenario = load_register(), load_scenario("rcp45")
    ps = [compile_portfolio(register, scenario, y) for y in (2030, 2050)]
    opts = AssessOptions(keep_samples=True).resolved()
    per_trial = bounds.trial_bytes(ps[0], opts, len(register.controls), 2)
    size = bounds.run_size(ps, opts.trials, per_trial, workers=2)
    assert size.bytes < bounds.MAX_RUN_BYTES / 20
    assert size.events < bounds.MAX_RUN_EVENTS / 1000
    bounds.check_run(register, scenario, ps, opts)  # no error
    # the largest benchmark (40,000 links at 0.34 a year, 100,000 trials) samples 1.4e9 events
    assert bounds.MAX_RUN_EVENTS / 5 > 40_000 * 0.34 * 100_000
    assert bounds.MAX_EVENTS_PER_YEAR / 50 > 40_000 * 0.34


def test_each_bound_refuses_just_above_and_accepts_below(tmp_path, mini_files, mini_scenario_path):
    """The limits are where they say: a run at the limit passes, one just above is refused."""
    register, scenario, ps = _portfolios(write_register(tmp_path / "r", mini_files), mini_scenario_path)
    events = sum(bounds.expected_events(p) for p in ps)
    trials = int(bounds.MAX_RUN_EVENTS / events)  # within the event bound, by construction
    opts = AssessOptions(trials=trials).resolved()
    per_trial = bounds.MAX_RUN_BYTES / trials / 2
    bounds.check_run(register, scenario, ps, opts, per_trial=per_trial)
    with pytest.raises(OptionError, match="at most 1e\\+10 expected sampled events"):
        bounds.check_run(register, scenario, ps, AssessOptions(trials=trials + 2).resolved(),
                         per_trial=per_trial)
    with pytest.raises(OptionError, match=r"trials: got \d+; expected a run within 8.0 GiB"):
        bounds.check_run(register, scenario, ps, opts, per_trial=2.1 * per_trial)
    # a site rate over the bound on its own: named with its file
    site = mini_files["sites.yaml"]["sites"][0]["hazards"]["flood"]
    site["value"] = 2.0 * bounds.MAX_EVENTS_PER_YEAR
    big = write_register(tmp_path / "big", mini_files)
    with pytest.raises(InputError, match=r"big/sites.yaml: a: hazards.flood: got 2097152\.0"):
        assess(load_register(big), scenario, trials=100)
    # within the bound at the baseline, over it with the scenario's x1.5 in 2050: the scenario
    site["value"] = bounds.MAX_EVENTS_PER_YEAR / 1.2
    big = write_register(tmp_path / "big2", mini_files)
    with pytest.raises(InputError, match=r"test.yaml: 2050: hazards.flood.frequency: got 1.5; "):
        assess(load_register(big), scenario, trials=100)
    site["value"] = bounds.MAX_EVENTS_PER_YEAR / 1.5 - 10  # the whole register just inside
    assess(load_register(write_register(tmp_path / "ok", mini_files)), scenario, trials=1,
           horizons=[2050], with_controls=False, with_coverage=False)


def test_a_refused_run_allocates_nothing(tmp_path, mini_files, mini_scenario_path, monkeypatch):
    """The check runs before the simulation: the engine is never called."""
    import climaterisk.analysis.assess as pipeline

    monkeypatch.setattr(pipeline, "simulate", lambda *a, **k: pytest.fail("simulated"))
    register = load_register(write_register(tmp_path / "r", mini_files))
    with pytest.raises(OptionError, match="TiB"):
        assess(register, load_scenario(mini_scenario_path), trials=10**12)


def test_exact_method_refuses_moments_beyond_a_float(tmp_path, mini_files, mini_scenario_path):
    model = mini_files["risks.yaml"]["risks"][2]["models"][0]
    model["severity"] = {"p5": 1e-12, "p95": 1e15}
    register = load_register(write_register(tmp_path / "r", mini_files))
    with pytest.raises(InputError, match=r"R3: entity_event: p95 / p5: got 1e\+27"):
        assess(register, load_scenario(mini_scenario_path), method="fft")
    # the same register is fine for Monte Carlo (no moment is formed)
    assert assess(register, load_scenario(mini_scenario_path), trials=200).horizons
    # the bound is the float range: log of the largest float is 709.78
    assert math.log(1.7976931348623157e308) > bounds.MAX_LOG_MOMENT


@pytest.mark.parametrize(("address", "ok"), [
    ("tcp://10.0.0.5:8786", True), ("10.0.0.5:8786", True), ("tls://[::1]:8786", True),
    ("localhost:8786", True), ("notaurl", False), ("tcp://host:0", False), ("tcp://host:65536", False),
    ("http://host:80", False), ("tcp://host:8786\n", False), ("tcp://host:8786/path", False),
])
def test_scheduler_address_form(address, ok):
    problems = AssessOptions(engine="dask", scheduler=address).problems()
    assert (not any(p.field == "scheduler" for p in problems)) is ok


def test_workers_capped_per_core(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    assert max_workers() == 12
    assert AssessOptions(workers=12).problems() == []
    (problem,) = AssessOptions(workers=13).problems()
    assert problem.field == "workers" and "at most 12 (4 per core x 3 cores" in problem.expected

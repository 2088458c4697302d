"""Run options: validated once, every problem at once, nothing silently ignored."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from climaterisk import AssessOptions, OptionError, assess, load_register
from climaterisk.analysis.options import DEFAULT_SEED, DEFAULT_TRIALS
from climaterisk.cli import app


def test_defaults_are_filled_in_and_auto_decided():
    opts = AssessOptions().resolved()
    assert (opts.trials, opts.seed, opts.method) == (DEFAULT_TRIALS, DEFAULT_SEED, "mc")
    assert opts.with_controls and opts.with_coverage
    lean = AssessOptions(method="auto", with_controls=False, with_coverage=False).resolved()
    assert lean.method == "fft" and not lean.with_controls and not lean.with_coverage
    assert AssessOptions(method="auto").resolved().method == "mc"


def test_every_problem_is_reported_at_once():
    with pytest.raises(OptionError) as info:
        AssessOptions(trials=0, seed=-1, method="exact", engine="spark", workers=-2).resolved()
    fields = [p.field for p in info.value.problems]
    assert fields == ["method", "engine", "trials", "seed", "workers"]


@pytest.mark.parametrize("changes", [
    {"trials": 1000}, {"seed": 3}, {"chunk_trials": 10}, {"with_controls": True},
    {"with_coverage": True}, {"with_line_items": True}, {"keep_samples": True}, {"engine": "dask"},
])
def test_what_the_exact_method_cannot_honour_is_refused(changes):
    with pytest.raises(OptionError) as info:
        AssessOptions(method="fft", **changes).resolved()
    assert "fft" in str(info.value)


def test_unknown_option_names_are_refused():
    with pytest.raises(OptionError, match="trails"):
        AssessOptions.of(trails=10)


def test_what_a_run_does_not_compute_is_in_its_manifest(shipped_independent):
    reg = load_register(shipped_independent)
    exact = assess(reg, "rcp45", horizons=[2030], method="fft")
    assert exact.controls is None
    assert set(exact.manifest["not_computed"]) == {
        "trials, seed, chunk_trials", "control values", "simulated exposure coverage", "line items"}
    mc = assess(reg, "rcp45", horizons=[2030], trials=500, seed=1)
    assert mc.manifest["not_computed"] == {}
    assert mc.controls is not None and mc.horizons[0].exposure_coverage is not None


def test_a_repeated_horizon_is_assessed_once():
    res = assess(load_register(), "rcp45", horizons=[2030, 2030], trials=200, seed=1,
                 with_controls=False, with_coverage=False)
    assert [h.year for h in res.horizons] == [2030]


def test_cli_refuses_trials_with_the_exact_method():
    out = CliRunner().invoke(app, ["assess", "--method", "fft", "--trials", "1000"])
    assert out.exit_code == 2
    assert "trials: got 1000; expected no trial count with method fft" in out.output
    assert "Traceback" not in out.output

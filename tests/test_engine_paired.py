"""Control values evaluated sparsely (issue 19): only on the trials where a control's links have
events, streamed into per-control summaries, equal to the dense computation."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from climaterisk import assess, load_register, load_scenario
from climaterisk.analysis import control_value
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import controls_config, inherent_config
from climaterisk.model.metrics import summarise
from climaterisk.model.simulate import simulate


def _runs(register, scenario, trials, year=2050, chunk=3_000, workers=1):
    p = compile_portfolio(register, scenario, year)
    base = [inherent_config(p), controls_config(register, p)]
    extra = control_value.without_configs(register, p)
    names = {c.name for c in extra}
    sparse = simulate(p, [*base, *extra], trials, 5, chunk, paired=names, workers=workers)
    dense = simulate(p, [*base, *extra], trials, 5, chunk, totals_only=names, keep=True)
    return p, extra, sparse, dense


def _assert_same_benefits(extra, sparse, dense, year=2050):
    """VaR 99% benefit bit for bit; mean and standard error within 1e-12 of the residual EAL
    (the dense path sums every trial, the sparse one only the touched cells)."""
    tol = 1e-12 * float(dense["residual"].total.mean())
    for c in extra:
        a = control_value.benefit(year, sparse["residual"], sparse[c.name], 100.0)
        b = control_value.benefit(year, dense["residual"], dense[c.name], 100.0)
        assert a.var99 == b.var99, c.name
        assert a.eal == pytest.approx(b.eal, abs=tol), c.name
        assert a.eal_se == pytest.approx(b.eal_se, abs=tol), c.name
        assert sparse[c.name].total is None


def test_many_rows_control_values_equal_dense(many_rows):
    register, scenario = many_rows
    _, extra, sparse, dense = _runs(register, scenario, 7_000)
    assert len(extra) == 24
    assert np.array_equal(sparse["residual"].total, dense["residual"].total)
    _assert_same_benefits(extra, sparse, dense)
    assert any(control_value.benefit(2050, sparse["residual"], sparse[c.name], None).eal > 0 for c in extra)


def test_many_rows_per_row_measures_equal_dense(many_rows):
    """The streamed per-risk and per-site measures equal those of every kept trial: VaR and
    TVaR bit for bit where the tail is summed the same way, the mean to rounding."""
    register, scenario = many_rows
    p, _, sparse, dense = _runs(register, scenario, 7_000)
    rows = sparse["residual"].summary.stats()
    for i in range(len(p.risk_ids)):
        ref = summarise(dense["residual"].by_risk[i])
        assert rows[i].var95 == ref.var95 and rows[i].var99 == ref.var99
        assert rows[i].mean == pytest.approx(ref.mean, rel=1e-12, abs=1e-9)
        assert rows[i].tvar99 == pytest.approx(ref.tvar99, rel=1e-12)


def test_shipped_register_control_values_equal_dense():
    """Outage episodes and recurring costs (evaluated densely for the controls acting on them),
    transfer layers, several controls per link; two threads."""
    register, scenario = load_register(), load_scenario("rcp45")
    _, extra, sparse, dense = _runs(register, scenario, 6_000, workers=2)
    _assert_same_benefits(extra, sparse, dense)


def test_assess_control_values_and_coverage_same_seed_same_result(many_rows):
    register, scenario = many_rows
    runs = [assess(register, scenario, horizons=[2050], trials=4_000, seed=9, with_controls=True,
                   with_coverage=True, workers=w).to_dict() for w in (1, 2)]
    runs[0]["manifest"].pop("time_utc"), runs[1]["manifest"].pop("time_utc")
    runs[0]["manifest"].pop("workers", None), runs[1]["manifest"].pop("workers", None)
    assert runs[0] == runs[1]


def _per_control_memory(register, scenario, trials):
    """Bytes that the per-control results add, during the run (peak) and kept after it."""
    p = compile_portfolio(register, scenario, 2050)
    base = [inherent_config(p), controls_config(register, p)]
    extra = control_value.without_configs(register, p)
    out = {}
    for label, configs in (("base", base), ("paired", [*base, *extra])):
        tracemalloc.start()
        result = simulate(p, configs, trials, 5, 2_000, paired={c.name for c in extra})
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[label] = (peak, current)
        del result
    return out["paired"][0] - out["base"][0], out["paired"][1] - out["base"][1], len(extra)


def test_per_control_memory_does_not_grow_with_trials(many_rows):
    """Dense per-control totals would add controls x trials x 8 bytes (24 x 40,000 x 8 = 7.7 MB
    between the two runs); the sparse ones keep a few numbers per control after the run, and
    during it the cells that can reach the 99% tail in a buffer of at least 2**16 cells (about
    1.6 MB, full from about 10,000 trials of this register on, hence the two larger counts)."""
    register, scenario = many_rows
    # warm-up: numpy imports some modules on first use (numpy.ma by np.isin's sort path, about
    # 1 MB), which would otherwise count as memory of whichever run calls it first
    _per_control_memory(register, scenario, 20_000)
    peak1, kept1, n = _per_control_memory(register, scenario, 20_000)
    peak2, kept2, _ = _per_control_memory(register, scenario, 60_000)
    dense_growth = n * 40_000 * 8
    assert abs(kept2 - kept1) < 0.01 * dense_growth  # a few KB of interpreter noise, not 7.7 MB
    assert peak2 - peak1 < 0.1 * dense_growth

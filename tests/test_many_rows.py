"""Registers with many rows (issue 19): the vectorised control configurations equal the loop over
links and controls bit for bit, and the per-row streaming summaries keep their top 5% in one
array merged in place, equal to the full sample, with working memory that does not grow with
trials."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from climaterisk import load_register, load_scenario
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import (
    Config,
    control_incidence,
    controls_config,
    inherent_config,
    merge_layers,
)
from climaterisk.model.metrics import summarise
from climaterisk.model.simulate import simulate, summary_rows
from climaterisk.model.streaming import RowSummary


def _loop_config(register, portfolio, exclude=(), name="residual") -> Config:
    """The reference: the loop over links and their risk's controls that ``controls_config``
    replaced (as of commit 61739e7)."""
    skip = set(exclude)
    year = portfolio.year
    risks = {r.id: r for r in (*register.risks, *register.opportunities)}
    controls = {c.id: c for c in register.controls}

    def active(risk_id):
        risk = risks[risk_id]
        if risk.is_opportunity:
            return []
        chosen = [controls[c] for c in sorted(risk.control_ids) if c not in skip]
        return [c for c in chosen if c.in_force(year)]

    by_risk = {rid: active(rid) for rid in portfolio.risk_ids}
    links = portfolio.links
    n = len(links)
    keep, sev_a, sev_b = np.ones(n), np.ones(n), np.ones(n)
    layers = [[] for _ in range(n)]
    for i in range(n):
        rid = portfolio.risk_ids[links.risk[i]]
        site = portfolio.site_ids[links.site[i]] if links.site[i] >= 0 else None
        for ctrl in by_risk[rid]:
            if not ctrl.applies_to(site, links.kind[i]):
                continue
            keep[i] *= 1.0 - ctrl.frequency
            sev_a[i] *= 1.0 - ctrl.severity
            sev_b[i] *= 1.0 - ctrl.downtime
            if ctrl.type == "transfer":
                layers[i].append((ctrl.deductible, ctrl.limit))
    layers = [merge_layers(row) for row in layers]
    k = max((len(x) for x in layers), default=0)
    deductible, limit = np.zeros((n, k)), np.zeros((n, k))
    for i, row in enumerate(layers):
        for j, (d, lim) in enumerate(row):
            deductible[i, j], limit[i, j] = d, lim
    factors = []
    for comp in portfolio.costs:
        rid = portfolio.risk_ids[comp.risk]
        per_link = np.ones(len(comp.scale))
        for j, s in enumerate(comp.sites):
            site = portfolio.site_ids[s] if s >= 0 else None
            for ctrl in by_risk[rid]:
                if ctrl.applies_to(site, comp.kind):
                    per_link[j] *= 1.0 - ctrl.severity
        factors.append(per_link)
    followup_keep, followup_sev = [], []
    for f in portfolio.followups:
        acting = [c for c in by_risk[portfolio.risk_ids[f.risk]] if c.applies_to(None, "outage_episode")]
        followup_keep.append(float(np.prod([1.0 - c.frequency for c in acting])))
        followup_sev.append(float(np.prod([1.0 - c.severity for c in acting])))
    return Config(name, keep, sev_a, sev_b, deductible, limit, tuple(factors), tuple(followup_keep),
                  tuple(followup_sev))


def _assert_identical(a: Config, b: Config) -> None:
    assert a.name == b.name
    for field in ("keep", "sev_a", "sev_b", "deductible", "limit"):
        x, y = getattr(a, field), getattr(b, field)
        assert x.shape == y.shape and x.tobytes() == y.tobytes(), field  # bit for bit
    assert len(a.cost_factor) == len(b.cost_factor)
    for x, y in zip(a.cost_factor, b.cost_factor, strict=True):
        assert x.tobytes() == y.tobytes()
    assert a.followup_keep == b.followup_keep and a.followup_sev == b.followup_sev


def _check_register(register, scenario, years) -> int:
    """Every configuration (all controls, and all but each one) equals the loop's; returns how
    many links carry transfer layers (so the tests can check they covered some)."""
    insured = 0
    for year in years:
        p = compile_portfolio(register, scenario, year)
        incidence = control_incidence(register, p)
        _assert_identical(controls_config(register, p), _loop_config(register, p))
        for c in register.controls:
            name = "without:" + c.id
            _assert_identical(controls_config(register, p, [c.id], name, incidence),
                              _loop_config(register, p, [c.id], name))
        insured += int((controls_config(register, p).limit > 0).any(axis=1).sum())
    return insured


def test_controls_config_equals_loop_on_shipped_register():
    """Recurring cost components, outage episodes, several controls a link, controls not yet in
    force (transfer layers: the next tests)."""
    register = load_register()
    _check_register(register, load_scenario("rcp45"), (2030, 2050))


def test_controls_config_equals_loop_on_many_rows(many_rows):
    register, scenario = many_rows
    _check_register(register, scenario, (2030, 2050))


def test_controls_config_overlapping_layers_equal_loop(many_rows):
    """Several transfer layers on one link, overlapping and not, and a zero limit: merged into the
    same bands as the loop, bit for bit (``(d + limit) - d`` is not always ``limit``)."""
    import dataclasses

    register, scenario = many_rows
    controls = list(register.controls)
    risk = register.risks[0]
    extra = [dataclasses.replace(controls[0], id=f"ZZ-{i}", type="transfer", site_ids=None, frequency=0.0,
                                 severity=0.0, downtime=0.0, deductible=d, limit=lim)
             for i, (d, lim) in enumerate([(0.1, 0.2), (0.25, 1.0), (5.0, 0.7), (9.0, 0.0)])]
    risks = [dataclasses.replace(risk, control_ids=(*risk.control_ids, *(c.id for c in extra))),
             *register.risks[1:]]
    changed = dataclasses.replace(register, controls=(*controls, *extra), risks=tuple(risks))
    p = compile_portfolio(changed, scenario, 2050)
    config = controls_config(changed, p)
    assert config.deductible.shape[1] == 2  # [0.1, 1.25] and [5.0, 5.7]
    _check_register(changed, scenario, (2050,))


def _sparse_rows(rows: int, trials: int, seed: int) -> np.ndarray:
    """Many rows with few events: most trials 0, lognormal losses elsewhere, one row negative
    (the negated line items), one row all zero."""
    rng = np.random.default_rng(seed)
    share = np.linspace(0.01, 0.4, rows)[:, None]
    data = np.where(rng.random((rows, trials)) < share, rng.lognormal(0.0, 2.0, (rows, trials)), 0.0)
    data[1] *= -1.0
    data[2] = 0.0
    return data


def _feed(rows: np.ndarray, block: int, chunk: int) -> RowSummary:
    summary = RowSummary(rows.shape[0], rows.shape[1], block)
    for first in range(0, rows.shape[1], chunk):
        summary.add(first // block, rows[:, first:first + chunk])
    return summary


@pytest.mark.parametrize("chunk", [100, 1_000, 20_000])
def test_row_summary_equals_full_sample(chunk):
    """VaR bit for bit (it is one of the values); TVaR and the moments to rounding (the full
    sample sums every trial, the summary the top k and per-block moments); chunks narrower and
    wider than a row's slack give the same numbers bit for bit."""
    data = _sparse_rows(40, 20_000, 3)
    stats = _feed(data, 100, chunk).stats()
    assert stats == _feed(data, 100, 500).stats()
    for row, s in zip(data, stats, strict=True):
        ref = summarise(row)
        assert (s.var95, s.var99) == (ref.var95, ref.var99)
        pairs = ((s.tvar95, ref.tvar95), (s.tvar99, ref.tvar99), (s.mean, ref.mean), (s.std, ref.std))
        for got, want in pairs:
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_many_rows_register_summaries_equal_dense(many_rows):
    """Every risk, category and site row of a many-rows register (few events a row), on two
    threads, against the same rows kept in full: VaR bit for bit, the rest to rounding."""
    register, scenario = many_rows
    p = compile_portfolio(register, scenario, 2050)
    out = simulate(p, [inherent_config(p), controls_config(register, p)], 24_000, 11, 2_000,
                   workers=2, keep=True)
    for samples in out.values():
        dense = summary_rows(p, samples.by_risk, samples.by_site)
        stats = samples.summary.stats()
        assert len(stats) >= len(dense) > len(p.risk_ids)
        for row, s in zip(dense, stats, strict=False):
            ref = summarise(row)
            assert (s.var95, s.var99) == (ref.var95, ref.var99)
            assert s.tvar95 == pytest.approx(ref.tvar95, rel=1e-12)
            assert s.mean == pytest.approx(ref.mean, rel=1e-12, abs=1e-9)


def _summary_memory(rows: int, trials: int, chunk: int) -> tuple[int, int]:
    """(peak bytes traced while a summary of ``rows`` x ``trials`` is fed and read, bytes of
    its top-k store)."""
    data = _sparse_rows(rows, trials, 7)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    summary = RowSummary(rows, trials, 100)
    for first in range(0, trials, chunk):
        summary.add(first // 100, data[:, first:first + chunk])
    summary.stats()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, summary.store.nbytes


def test_row_summary_working_memory_does_not_grow_with_trials():
    """The top 5% of every row is what exact VaR and TVaR 95% need (its store, 1.25 x 5% of the
    trials a row, grows with trials by design); beyond it a summary needs a chunk's worth of
    temporaries, whatever the trials. Merging by copies (as before issue 19) added two more
    stores at each merge and a sorted copy at the end."""
    chunk, rows = 1_000, 60
    peak_small, store_small = _summary_memory(rows, 40_000, chunk)
    peak_large, store_large = _summary_memory(rows, 160_000, chunk)
    assert store_large > 3.9 * store_small
    chunk_bytes = rows * chunk * 8
    extra_small, extra_large = peak_small - store_small, peak_large - store_large
    assert extra_small < 8 * chunk_bytes
    assert extra_large < 8 * chunk_bytes
    assert abs(extra_large - extra_small) < 2 * chunk_bytes

"""The Python API for notebooks: DataFrame accessors and the worked example of docs/python-api.md."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

import climaterisk
from climaterisk.errors import InputError
from climaterisk.outputs import frames

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def result() -> climaterisk.Assessment:
    register = climaterisk.load_register()
    return climaterisk.assess(register, "rcp45", trials=2000, seed=3, keep_samples=True,
                              with_controls=False, with_coverage=False)


def test_python_api_doc_runs_as_a_doctest():
    failed, attempted = doctest.testfile(
        str(ROOT / "docs" / "python-api.md"), module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert attempted > 20 and failed == 0


def test_the_accessors_are_exported():
    assert climaterisk.summary is frames.summary and climaterisk.trials is frames.trials
    assert {"summary", "trials"} <= set(climaterisk.__all__)


@pytest.mark.parametrize("level", frames.LEVELS)
def test_summary_is_tidy(result, level):
    table = climaterisk.summary(result, level)
    assert list(table.columns) == list(frames.COLUMNS)
    horizon = result.horizons[0]
    n_lines = len(frames._lines(horizon, level))
    assert len(table) == len(result.horizons) * n_lines * 2
    assert set(table["basis"]) == {"inherent", "residual"} and set(table["scenario"]) == {"rcp45"}
    assert table.attrs["currency"] == "CNY"
    first = table.iloc[0]
    line = frames._lines(horizon, level)[0]
    assert (first["year"], first["id"], first["basis"]) == (horizon.year, line.id, "inherent")
    assert first["mean"] == line.inherent.mean and first["tvar99"] == line.inherent.tvar99
    assert (table["var99"] <= table["tvar99"] + 1e-9).all()


def test_summary_by_category_adds_up_to_the_total(result):
    cats = climaterisk.summary(result, "category").groupby(["year", "basis"])["mean"].sum()
    total = climaterisk.summary(result, "total").set_index(["year", "basis"])["mean"]
    assert np.allclose(cats.sort_index(), total.sort_index(), rtol=1e-12)


def test_trials_are_the_losses_the_summary_describes(result):
    for horizon in result.horizons:
        for basis in ("inherent", "residual"):
            losses = climaterisk.trials(result, horizon.year, basis)
            assert losses.shape == (2000, len(horizon.by_risk) + 1)
            assert list(losses.columns) == [line.id for line in horizon.by_risk] + ["total"]
            assert losses.index.name == "trial"
            for line in horizon.by_risk:
                assert np.isclose(losses[line.id].mean(), getattr(line, basis).mean, rtol=1e-12)
            assert np.allclose(losses.drop(columns="total").sum(axis=1), losses["total"])
            assert np.isclose(losses["total"].mean(), getattr(horizon.total, basis).mean, rtol=1e-12)


def test_clear_errors(result):
    with pytest.raises(InputError, match="level: got 'region'; expected one of risk, category"):
        climaterisk.summary(result, "region")
    with pytest.raises(InputError, match=r"year: got 2040; expected one of the assessed years \(2030"):
        climaterisk.trials(result, 2040)
    with pytest.raises(InputError, match="basis: got 'gross'"):
        climaterisk.trials(result, 2030, "gross")
    lean = climaterisk.assess(result.register, "rcp45", trials=100, seed=1, with_controls=False,
                              with_coverage=False)
    with pytest.raises(InputError, match="keep_samples=True"):
        climaterisk.trials(lean, 2030)

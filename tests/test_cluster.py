"""The Dask engine on a LocalCluster gives the local engine's numbers, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from climaterisk import assess, load_register, load_scenario

pytest.importorskip("dask.distributed")


def test_dask_local_cluster_matches_local_engine(mini_register_path, mini_scenario_path):
    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    common = {"trials": 7_500, "seed": 3, "chunk_trials": 2_000, "keep_samples": True,
              "with_coverage": False}
    local = assess(reg, sc, **common)
    remote = assess(reg, sc, engine="dask", workers=2, **common)
    for a, b in zip(local.horizons, remote.horizons, strict=True):
        assert a.to_dict() == b.to_dict()
        for basis in ("inherent", "residual"):
            assert np.array_equal(a.samples[basis].by_risk, b.samples[basis].by_risk)
            assert np.array_equal(a.samples[basis].total, b.samples[basis].total)
    # control values: the local engine sums each control's benefit over the trials its links
    # touch (sparse), the Dask engine over all trials (dense): equal to rounding (issue 19)
    for c, d in zip(local.controls, remote.controls, strict=True):
        c_dict, d_dict = c.to_dict(), d.to_dict()
        assert {k: v for k, v in c_dict.items() if k != "by_year"} == \
            {k: v for k, v in d_dict.items() if k != "by_year"}
        for y, z in zip(c_dict["by_year"], d_dict["by_year"], strict=True):
            assert y["year"] == z["year"]
            for key in ("eal_benefit", "eal_benefit_se", "var99_benefit"):
                assert y[key] == pytest.approx(z[key], rel=1e-9, abs=1e-9), (c.id, key)
    assert remote.manifest["engine"] == "dask"


def test_unreachable_scheduler_is_a_clear_error(mini_register_path, mini_scenario_path, monkeypatch):
    """The engine's Dask client, with its connect timeout cut from the engine's 10 s to 0.5 s (a
    refused connection is retried until the timeout), fails with a clear error."""
    from dask import distributed
    from typer.testing import CliRunner

    from climaterisk.cli import app

    real_client, calls = distributed.Client, []

    def quick_client(address, *args, timeout=None, **kwargs):
        calls.append(address)
        return real_client(address, *args, timeout="0.5s", **kwargs)

    monkeypatch.setattr(distributed, "Client", quick_client)
    result = CliRunner().invoke(app, ["assess", "--register", str(mini_register_path), "--scenario",
                                      str(mini_scenario_path), "--engine", "dask", "--scheduler",
                                      "tcp://127.0.0.1:1", "--trials", "1000"])
    assert calls == ["tcp://127.0.0.1:1"]  # the engine's own connection attempt, shortened
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in result.output

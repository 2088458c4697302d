"""The command line through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from climaterisk.cli import app

runner = CliRunner()
FAST = ["--trials", "2000", "--seed", "1"]


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_assess_table_default_register():
    result = run("assess", "--scenario", "rcp45", *FAST)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Horizon 2030 (medium term)" in out and "Horizon 2050 (long term)" in out
    for rid in ("R1", "R2", "R3", "R4", "R5", "R6"):
        assert f"\n{rid} " in out
    assert "Total" in out and "seed 1" in out and "CNY" in out


def test_assess_json_has_the_documented_keys():
    result = run("assess", "--scenario", "rcp85", "--format", "json", *FAST)
    assert result.exit_code == 0
    data = json.loads(result.output)
    for key in ("scenario", "register", "currency", "trials", "seed", "horizons", "manifest"):
        assert key in data
    assert data["trials"] == 2000 and data["seed"] == 1 and data["currency"] == "CNY"
    h = data["horizons"][0]
    assert {"year", "total", "by_risk", "by_category", "by_site"} <= set(h)
    measures = {"mean", "se", "std", "var95", "var99", "tvar95", "tvar99"}
    for entry in (h["total"], *h["by_risk"], *h["by_category"], *h["by_site"]):
        assert measures == set(entry["inherent"]) == set(entry["residual"])
    assert {"id", "title", "category"} <= set(h["by_risk"][0])
    manifest = data["manifest"]
    assert manifest["seed"] == 1 and manifest["trials"] == 2000 and manifest["chunk_trials"]
    assert manifest["version"] and manifest["time_utc"]
    assert any(k.endswith("risks.yaml") for k in manifest["inputs_sha256"])
    assert any(k.endswith("rcp85.yaml") for k in manifest["inputs_sha256"])
    assert all(len(v) == 64 for v in manifest["inputs_sha256"].values())


def test_assess_csv_markdown_and_horizon_option():
    csv = run("assess", "--format", "csv", "--horizon", "2040", *FAST)
    assert csv.exit_code == 0
    header = csv.output.splitlines()[0]
    assert header.startswith("scenario,year,level,id,title,category,basis,mean,se")
    assert ",2040," in csv.output
    md = run("assess", "--format", "markdown", *FAST)
    assert md.exit_code == 0 and "| R1 " in md.output and "## Horizon 2030" in md.output


def test_output_written_atomically(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("previous")
    result = run("assess", "--format", "json", "--output", str(target), *FAST)
    assert result.exit_code == 0
    assert json.loads(target.read_text())["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failed_run_keeps_previous_output(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("previous")
    result = run("assess", "--scenario", "nosuch", "--output", str(target), *FAST)
    assert result.exit_code == 2
    assert target.read_text() == "previous"


def test_unwritable_output_is_a_clear_error(tmp_path):
    result = run("assess", "--out", str(tmp_path / "missing" / "out.txt"), *FAST)
    assert result.exit_code == 2  # refused before the simulation runs
    assert "--out" in result.output and "does not exist" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["assess", "--scenario", "rcp60"], "expected a shipped scenario"),
    (["assess", "--horizon", "2200"], "horizon: got 2200; expected a year from"),
    (["assess", "--register", "no/such/folder"], "expected an existing register folder"),
    (["validate", "no/such/folder"], "expected an existing register folder"),
])
def test_bad_input_exit_2_without_traceback(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_validate_reports_every_problem(tmp_path, mini_files):
    from tests.conftest import write_register

    mini_files["sites.yaml"]["sites"][0]["kind"] = "leased"
    mini_files["risks.yaml"]["risks"][0]["category"] = "acute"
    folder = write_register(tmp_path / "bad", mini_files)
    result = run("validate", str(folder))
    assert result.exit_code == 2
    lines = [x for x in result.output.splitlines() if x.startswith("error:")]
    assert len(lines) == 2
    assert "sites.yaml: a: kind: got 'leased'" in result.output
    assert "did you mean 'leased_dc'" in result.output


def test_validate_shipped_register_and_scenarios():
    result = run("validate", "--scenario", "rcp26", "--scenario", "rcp85")
    assert result.exit_code == 0 and "valid register kuaishou-2023" in result.output


def test_schema_is_json_schema():
    data = json.loads(run("schema").output)
    assert data["$schema"].startswith("https://json-schema.org/")
    sites = data["properties"]["sites.yaml"]["properties"]["sites"]["items"]
    assert "replacement_value" in sites["required"]


def test_scenarios_lists_drivers():
    out = run("scenarios").output
    for name in ("rcp26", "rcp45", "rcp85", "carbon_price_usd_t", "extreme_precipitation frequency"):
        assert name in out


def test_every_command_has_help_with_an_example():
    import typer.main

    group = typer.main.get_command(app)
    for name in group.commands:
        result = run(name, "--help")
        assert result.exit_code == 0
        assert "Example: climaterisk" in result.output, name


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "climaterisk", "--version"],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.startswith("climaterisk ")


def test_assess_method_fft(shipped_independent):
    reg = ("--register", str(shipped_independent))
    result = run("assess", "--method", "fft", "--format", "json", "--horizon", "2030", *reg)
    data = json.loads(result.output)
    assert data["manifest"]["method"] == "fft" and data["controls"] is None
    assert data["horizons"][0]["total"]["residual"]["se"] == 0.0
    text = run("assess", "--method", "fft", "--horizon", "2030", *reg).output
    assert "Exact distributions" in text and "Standard error" not in text


def test_assess_method_fft_refuses_dependent_links():
    """The shipped register draws R6's reputational episodes from the simulated outages, which
    the exact method cannot represent: a one-line refusal, and auto falls back to Monte Carlo."""
    result = runner.invoke(app, ["assess", "--method", "fft", "--horizon", "2030"])
    assert result.exit_code == 2
    assert "R6: outage_episode" in result.output and "Traceback" not in result.output
    auto = run("assess", "--method", "auto", "--format", "json", "--horizon", "2030", *FAST)
    assert json.loads(auto.output)["manifest"]["method"] == "mc"


@pytest.mark.parametrize("sig", ["SIGINT", "SIGKILL"])
def test_interrupted_run_leaves_previous_output_intact(tmp_path, sig):
    """Ctrl-C (SIGINT) or a kill during a long run: no partial file, the earlier output intact."""
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "out.json"
    target.write_text("previous results")
    proc = subprocess.Popen(
        [sys.executable, "-m", "climaterisk", "assess", "--trials", "20000000", "--format", "json",
         "--workers", "1", "--output", str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3.0)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert target.read_text() == "previous results"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    if sig == "SIGINT":
        assert "interrupted; nothing was written." in err and "Traceback" not in err

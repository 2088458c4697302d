"""The history store and the quarterly review: immutability, atomicity under kill, concurrent
writers, schema migration, and a review whose parts are the differences of the runs that define them."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from climaterisk import assess, load_register, load_scenario
from climaterisk.cli import app
from climaterisk.history.store import MIGRATIONS, SCHEMA_VERSION, Store, _statements
from tests.conftest import scenario_dict, write_register, write_scenario

runner = CliRunner()
FAST = ["--trials", "3000", "--seed", "5"]


def run(*args: str):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def small_results(mini_register_path, mini_scenario_path):
    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    return reg, sc, assess(reg, sc, trials=1000, seed=1, with_controls=False).to_dict()


def test_snapshots_are_revisions_and_immutable(tmp_path, small_results):
    reg, sc, results = small_results
    with Store(tmp_path / "h.sqlite") as db:
        first = db.add("2026Q3", reg, sc, results)
        second = db.add("2026Q3", reg, sc, results)
        assert (first.revision, second.revision) == (1, 2)
        assert db.latest(reg.id, "2026Q3").id == second.id
        with pytest.raises(sqlite3.DatabaseError, match="immutable"):
            db.db.execute("UPDATE snapshots SET quarter='2026Q4'")
        with pytest.raises(sqlite3.DatabaseError, match="immutable"):
            db.db.execute("DELETE FROM snapshots")
        assert len(db.list()) == 2


WRITER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from climaterisk import load_register, load_scenario
    from climaterisk.history.store import Store
    store, reg, sc, results, quarter, mode, gate = sys.argv[1:8]
    register, scenario = load_register(reg), load_scenario(sc)
    data = json.loads(Path(results).read_text())
    while mode == "race" and not Path(gate).exists():
        time.sleep(0.01)
    def pause():
        if mode == "kill":
            print("INSIDE", flush=True)
            time.sleep(120)
    with Store(Path(store)) as db:
        snap = db.add(quarter, register, scenario, data, before_commit=pause)
    print("DONE", snap.revision, flush=True)
""")


def _writer(tmp_path, store, reg, sc, quarter, mode):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    return subprocess.Popen(
        [sys.executable, str(script), str(store), str(reg), str(sc), str(tmp_path / "results.json"),
         quarter, mode, str(tmp_path / "gate")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)


def test_process_killed_mid_write_loses_nothing(tmp_path, small_results, mini_register_path,
                                                mini_scenario_path):
    reg, sc, results = small_results
    (tmp_path / "results.json").write_text(json.dumps(results))
    store = tmp_path / "h.sqlite"
    with Store(store) as db:
        db.add("2026Q2", reg, sc, results)
    proc = _writer(tmp_path, store, mini_register_path, mini_scenario_path, "2026Q3", "kill")
    assert proc.stdout.readline().strip() == "INSIDE"  # the row is inserted, not committed
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with Store(store) as db:
        snaps = db.list()
        assert [(s.quarter, s.revision) for s in snaps] == [("2026Q2", 1)]
        assert db.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.add("2026Q3", reg, sc, results).revision == 1  # the store still works


def test_two_concurrent_writers_both_land(tmp_path, small_results, mini_register_path,
                                          mini_scenario_path):
    _reg, _sc, results = small_results
    (tmp_path / "results.json").write_text(json.dumps(results))
    store = tmp_path / "h.sqlite"
    Store(store).close()
    procs = [_writer(tmp_path, store, mini_register_path, mini_scenario_path, "2026Q3", "race")
             for _ in range(2)]
    time.sleep(1.0)
    (tmp_path / "gate").write_text("go")
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    with Store(store) as db:
        assert sorted(s.revision for s in db.list()) == [1, 2]


def test_older_schema_is_migrated(tmp_path, small_results):
    reg, sc, results = small_results
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path, isolation_level=None)
    for statement in _statements(MIGRATIONS[0]):
        con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO snapshots (quarter, revision, created_utc, register_id, register_sha256, "
                "register_files, scenario_id, results, manifest) VALUES (?,?,?,?,?,?,?,?,?)",
                ("2025Q4", 1, "2026-01-01T00:00:00+00:00", reg.id, "x", "{}", sc.id,
                 json.dumps(results), "{}"))
    con.close()
    with Store(path) as db:
        assert db.version() == SCHEMA_VERSION == 2
        old = db.list()[0]
        assert old.quarter == "2025Q4" and old.scenario_file == "" and old.residual_eal is None
        new = db.add("2026Q1", reg, sc, results)
        assert new.residual_eal == results["horizons"][-1]["total"]["residual"]["mean"]


def residual_means(results: dict) -> dict[tuple[int, str], float]:
    """(year, risk id or "total") -> residual EAL of an assessment's results."""
    out = {}
    for h in results["horizons"]:
        out[(h["year"], "total")] = h["total"]["residual"]["mean"]
        out.update({(h["year"], r["id"]): r["residual"]["mean"] for r in h["by_risk"]})
    return out


def check_attribution(pack: dict, store: Path, quarters: tuple[str, str], before: Path,
                      scenarios: tuple[Path, Path], trials: int, seed: int) -> dict:
    """Check each part of the review's attribution against the runs that define it (module
    docstring of ``climaterisk.history.review``), computed here from the stored snapshots and
    fresh runs of the earlier register: register = C - B, scenario = B - A', noise = A' - A and
    total = C - A, where A and C are the two snapshots' stored results, A' the earlier register
    under the earlier scenario and B under the current one, both with the current seed and trials.
    Returns the parts by (year, id)."""
    with Store(store) as db:
        a = db.latest("mini", quarters[0]).results
        c = db.latest("mini", quarters[1]).results
    years = sorted({h["year"] for h in a["horizons"]} & {h["year"] for h in c["horizons"]})
    assert pack["years"] == years and years
    old = load_register(before)

    def rerun(scenario: Path) -> dict[tuple[int, str], float]:
        return residual_means(assess(old, load_scenario(scenario), horizons=years, trials=trials, seed=seed,
                                     with_controls=False, with_coverage=False).to_dict())

    a_run, c_run = residual_means(a), residual_means(c)
    a_prime, b = rerun(scenarios[0]), rerun(scenarios[1])
    parts = {(p["year"], p["id"]): p for p in pack["attribution"]}
    assert len(parts) == len(pack["attribution"])
    assert set(parts) == {k for k in (*a_run, *c_run) if k[0] in years}
    for key, part in parts.items():
        va, vap, vb, vc = (run_.get(key, 0.0) for run_ in (a_run, a_prime, b, c_run))
        assert part["total_change"] == pytest.approx(vc - va, rel=1e-12, abs=1e-9), key
        assert part["register"] == pytest.approx(vc - vb, rel=1e-12, abs=1e-9), key
        assert part["scenario"] == pytest.approx(vb - vap, rel=1e-12, abs=1e-9), key
        assert part["sampling_noise"] == pytest.approx(vap - va, rel=1e-12, abs=1e-9), key
    return parts


def test_review_lists_every_change_and_attributes_the_movement(tmp_path, mini_files, mini_scenario_path):
    folder = write_register(tmp_path / "reg", mini_files)
    before = write_register(tmp_path / "before", mini_files)  # a copy of the earlier register
    store = tmp_path / "h.sqlite"
    common = ["--register", str(folder), "--store", str(store)]
    run("snapshot", "--quarter", "2026Q3", "--scenario", str(mini_scenario_path), *common, *FAST)
    # the committee's edits: a re-rated risk, a weaker control, a new site, a removed target
    mini_files["risks.yaml"]["risks"][0]["rating"]["likelihood"] = 5
    mini_files["controls.yaml"]["controls"][1]["effect"]["severity"]["value"] = 0.1
    new_site = dict(mini_files["sites.yaml"]["sites"][2], id="d", name="Office D")
    mini_files["sites.yaml"]["sites"].append(new_site)
    mini_files["metrics.yaml"]["targets"] = []
    write_register(folder, mini_files)
    other = write_scenario(tmp_path / "other.yaml", scenario_dict(freq=2.5))  # more floods
    run("snapshot", "--quarter", "2026Q4", "--scenario", str(other), *common, *FAST)
    run("snapshot", "--quarter", "2026Q4", "--scenario", str(other), *common, *FAST)  # a revision
    listing = run("history", "--register", str(folder), "--store", str(store)).output
    assert listing.count("2026Q4") == 2
    pack = json.loads(run("review", "--quarter", "2026Q4", "--format", "json",
                          "--register", str(folder), "--store", str(store)).output)
    changes = {(c["section"], c["id"], c["change"]) for c in pack["changes"]}
    assert changes == {("risks", "R1", "changed"), ("controls", "C2", "changed"),
                       ("sites", "d", "added"), ("targets", "T1", "removed")}
    fields = {f["field"]: (f["old"], f["new"]) for c in pack["changes"] for f in c["fields"]}
    assert fields["rating.likelihood"] == (3, 5) and fields["effect.severity.value"] == (0.2, 0.1)
    assert pack["rating_changes"] == [{"id": "R1", "field": "rating.likelihood", "old": 3, "new": 5}]
    assert pack["against"]["quarter"] == "2026Q3" and pack["current"]["revision"] == 2
    scenarios = (mini_scenario_path, other)
    parts = check_attribution(pack, store, ("2026Q3", "2026Q4"), before, scenarios, trials=3000, seed=5)
    total = parts[(2050, "total")]
    assert total["sampling_noise"] == 0.0       # same seed, trials and tool: exactly reproduced
    assert total["scenario"] > 0 and total["register"] > 0  # worse floods; a weaker control, a new site
    assert parts[(2050, "R2")]["scenario"] == 0.0  # cooling depends on warming, not on floods
    text = run("review", "--quarter", "2026Q4", "--against", "2026Q3", "--register", str(folder),
               "--store", str(store)).output
    assert "Why the total moved" in text and "rating.likelihood" in text
    # a revision with another seed and number of trials: A' and B are re-run with those, and the
    # difference from the earlier snapshot's own seed and trials is sampling noise
    run("snapshot", "--quarter", "2026Q4", "--scenario", str(other), *common, "--trials", "2000",
        "--seed", "6")
    pack = json.loads(run("review", "--quarter", "2026Q4", "--format", "json",
                          "--register", str(folder), "--store", str(store)).output)
    assert pack["current"]["revision"] == 3
    parts = check_attribution(pack, store, ("2026Q3", "2026Q4"), before, scenarios, trials=2000, seed=6)
    assert parts[(2050, "total")]["sampling_noise"] != 0.0


def test_review_two_register_folders_without_a_store(tmp_path, mini_files, mini_scenario_path):
    before = write_register(tmp_path / "before", mini_files)
    mini_files["sites.yaml"]["sites"][0]["replacement_value"]["value"] = 5000.0
    after = write_register(tmp_path / "after", mini_files)
    pack = json.loads(run("review", "--register", str(after), "--against-register", str(before),
                          "--scenario", str(mini_scenario_path), "--format", "json", *FAST).output)
    assert pack["changes"] == [{"section": "sites", "id": "a", "change": "changed", "fields": [
        {"field": "replacement_value.value", "old": 1000.0, "new": 5000.0}]}]
    total = next(p for p in pack["attribution"] if p["id"] == "total")
    assert total["register"] == pytest.approx(total["total_change"]) and total["total_change"] > 0


def test_review_errors_are_clear(tmp_path, mini_register_path):
    result = runner.invoke(app, ["review", "--quarter", "2026Q9", "--register", str(mini_register_path)])
    assert result.exit_code == 2 and "expected a quarter such as 2026Q3" in result.output
    result = runner.invoke(app, ["review", "--quarter", "2026Q3", "--register", str(mini_register_path),
                                 "--store", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2 and "record a snapshot first" in result.output


def test_report_shows_movement_since_the_last_snapshot(tmp_path, mini_files, mini_scenario_path):
    folder = write_register(tmp_path / "reg", mini_files)
    store = tmp_path / "h.sqlite"
    common = ["--register", str(folder), "--scenario", str(mini_scenario_path), *FAST]
    run("snapshot", "--quarter", "2026Q3", "--store", str(store), *common)
    mini_files["sites.yaml"]["sites"][1]["hazards"]["flood"] = 0.5
    write_register(folder, mini_files)
    run("report", "--compare", "none", "--store", str(store), "--out", str(tmp_path / "rep"),
        "--format", "markdown", *common)
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "Movement of residual EAL since the previous review (2026Q3 revision 1, test" in md
    section = md[md.index("Movement of residual EAL since"):]
    row = next(line for line in section.splitlines() if line.startswith("| 2050 | R1 |"))
    assert row.endswith("| yes |")  # more floods at site b: beyond sampling error

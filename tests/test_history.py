"""The history store and the quarterly review: immutability, atomicity under kill, concurrent
writers, readers that never wait, schema migration, store identity, register identity, and a
review whose parts are the differences of the runs that define them.

The store tests run on both backends: SQLite, and PostgreSQL on a throwaway server the tests
start (``tests/postgres_server.py``; skipped, with the reason, where the server is not installed).
"""

from __future__ import annotations

import hashlib
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
from climaterisk.errors import InputError
from climaterisk.history import store as store_module
from climaterisk.history.store import (
    APPLICATION_ID,
    MIGRATIONS,
    PG_MIGRATIONS,
    SCHEMA_VERSION,
    Store,
    _statements,
    last_snapshot,
)
from tests.conftest import scenario_dict, write_register, write_scenario
from tests.postgres_server import new_database

runner = CliRunner()
FAST = ["--trials", "3000", "--seed", "5"]


def run(*args: str):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def fails(code: int, *args: str) -> str:
    """Run the CLI, expect exit ``code`` and no traceback; the output."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and not isinstance(result.exception, (KeyError, TypeError,
                                                                                    sqlite3.Error))
    return result.output


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at(request, tmp_path) -> str:
    """A new store location on each backend: a SQLite file path, or a PostgreSQL database URL."""
    if request.param == "sqlite":
        return str(tmp_path / "h.sqlite")
    return new_database(request.getfixturevalue("postgres_server"))


def raw_execute(location: str, sql: str, args: tuple = ()) -> None:
    """Run SQL on the store's database directly, as someone editing it by hand would."""
    with Store(location) as db:
        if db.postgres:
            db.db.execute(sql.replace("?", "%s"), args)
        else:
            db.db.execute(sql, args)


@pytest.fixture
def small_results(mini_register_path, mini_scenario_path):
    reg, sc = load_register(mini_register_path), load_scenario(mini_scenario_path)
    return reg, sc, assess(reg, sc, trials=1000, seed=1, with_controls=False).to_dict()


def test_snapshots_are_revisions_and_immutable(store_at, small_results):
    reg, sc, results = small_results
    with Store(store_at) as db:
        first = db.add("2026Q3", reg, sc, results)
        second = db.add("2026Q3", reg, sc, results)
        assert (first.revision, second.revision) == (1, 2)
        assert db.latest(reg.id, "2026Q3").id == second.id
        assert first.register_path == str(reg.path.resolve())
        with pytest.raises(Exception, match="immutable"):
            db.db.execute("UPDATE snapshots SET quarter='2026Q4'")
        with pytest.raises(Exception, match="immutable"):
            db.db.execute("DELETE FROM snapshots")
        if db.postgres:
            with pytest.raises(Exception, match="immutable"):
                db.db.execute("TRUNCATE snapshots")
        assert len(db.list()) == 2
        assert db.version() == SCHEMA_VERSION


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
    with Store(store) as db:
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


def test_process_killed_mid_write_loses_nothing_and_readers_do_not_wait(
        tmp_path, store_at, small_results, mini_register_path, mini_scenario_path):
    reg, sc, results = small_results
    (tmp_path / "results.json").write_text(json.dumps(results))
    with Store(store_at) as db:
        db.add("2026Q2", reg, sc, results)
    proc = _writer(tmp_path, store_at, mini_register_path, mini_scenario_path, "2026Q3", "kill")
    assert proc.stdout.readline().strip() == "INSIDE", proc.stderr.read()  # inserted, not committed
    # a reader, while the writer holds its transaction open: it neither waits nor sees the row
    start = time.monotonic()
    with Store(store_at, readonly=True) as db:
        assert [(s.quarter, s.revision) for s in db.list()] == [("2026Q2", 1)]
    assert time.monotonic() - start < 5.0
    listing = run("history", "--store", store_at, "--format", "json").output
    assert [s["quarter"] for s in json.loads(listing)["snapshots"]] == ["2026Q2"]
    assert time.monotonic() - start < 10.0
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with Store(store_at) as db:
        snaps = db.list()
        assert [(s.quarter, s.revision) for s in snaps] == [("2026Q2", 1)]
        if not db.postgres:
            assert db.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.add("2026Q3", reg, sc, results).revision == 1  # the store still works


def test_two_concurrent_writers_both_land(tmp_path, store_at, small_results, mini_register_path,
                                          mini_scenario_path):
    _reg, _sc, results = small_results
    (tmp_path / "results.json").write_text(json.dumps(results))
    Store(store_at).close()
    procs = [_writer(tmp_path, store_at, mini_register_path, mini_scenario_path, "2026Q3", "race")
             for _ in range(3)]
    time.sleep(1.0)
    (tmp_path / "gate").write_text("go")
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    with Store(store_at) as db:
        assert sorted(s.revision for s in db.list()) == [1, 2, 3]


def _old_row(reg, sc, results) -> tuple:
    return ("2025Q4", 1, "2026-01-01T00:00:00+00:00", reg.id, "x", "{}", sc.id, json.dumps(results), "{}")


OLD_INSERT = ("INSERT INTO snapshots (quarter, revision, created_utc, register_id, register_sha256, "
              "register_files, scenario_id, results, manifest) VALUES (?,?,?,?,?,?,?,?,?)")


def test_older_schema_is_migrated(tmp_path, small_results):
    reg, sc, results = small_results
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path, isolation_level=None)
    for statement in _statements(MIGRATIONS[0]):
        con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute(OLD_INSERT, _old_row(reg, sc, results))
    con.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    # a reader does not migrate (nor write anything): an old archive is read as it is
    listing = json.loads(run("history", "--store", str(path), "--format", "json").output)
    assert listing["registers"] == [{"register_id": reg.id, "register_path": "",
                                     "snapshots": listing["snapshots"]}]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    with Store(path) as db:
        assert db.version() == SCHEMA_VERSION == len(PG_MIGRATIONS) == 3
        old = db.list()[0]
        assert old.quarter == "2025Q4" and old.scenario_file == "" and old.residual_eal is None
        assert old.register_path == ""
        new = db.add("2026Q1", reg, sc, results)
        assert new.residual_eal == results["horizons"][-1]["total"]["residual"]["mean"]
        assert new.register_path == str(reg.path.resolve())
        # an old snapshot (folder unknown) still counts as this register's
        assert [s.quarter for s in db.list(reg.id, str(reg.path.resolve()))] == ["2025Q4", "2026Q1"]
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_older_postgres_schema_is_migrated(postgres_url, small_results):
    import psycopg

    reg, sc, results = small_results
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("CREATE SCHEMA climaterisk; SET search_path TO climaterisk")
        con.execute(PG_MIGRATIONS[0])
        con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('application', 'climaterisk-history')")
        con.execute(OLD_INSERT.replace("?", "%s"), _old_row(reg, sc, results))
    with Store(postgres_url, readonly=True) as db:  # read as it is, not migrated
        assert db.version() == 1 and db.list()[0].register_path == ""
    with Store(postgres_url) as db:
        assert db.version() == SCHEMA_VERSION
        assert db.list()[0].scenario_file == ""
        assert db.add("2026Q1", reg, sc, results).revision == 1


# ------------------------------------------------------------------------ store identity


def test_a_sqlite_file_of_another_application_is_refused_and_untouched(tmp_path, mini_register_path,
                                                                        mini_scenario_path):
    other = tmp_path / "crm.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO customers (name) VALUES ('ACME')")
    con.commit()
    con.close()
    stamped = tmp_path / "stamped.sqlite"
    con = sqlite3.connect(stamped)
    con.execute("PRAGMA application_id=1234")
    con.commit()
    con.close()
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database at all\n" * 100)
    for path in (other, stamped, text):
        before = path.read_bytes()
        for args in (["snapshot", "--quarter", "2026Q3", "--register", str(mini_register_path),
                      "--scenario", str(mini_scenario_path), *FAST],
                     ["history"], ["review", "--quarter", "2026Q3", "--register", str(mini_register_path)]):
            out = fails(2, *args, "--store", str(path))
            assert str(path) in out and "climaterisk history store" in out, out
        assert path.read_bytes() == before
        assert not Path(f"{path}-wal").exists() and not Path(f"{path}-journal").exists()
    assert "belongs to another application" in fails(2, "history", "--store", str(other))


def test_a_postgres_schema_of_another_application_is_refused(postgres_url, small_results):
    import psycopg

    reg, sc, results = small_results
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("CREATE TABLE public.customers (id INT); INSERT INTO public.customers VALUES (1)")
    with Store(postgres_url) as db:  # other applications' tables are left where they are
        db.add("2026Q3", reg, sc, results)
    with psycopg.connect(postgres_url, autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM public.customers").fetchone()[0] == 1
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='public'")}
        assert tables == {"customers"}
        con.execute("CREATE DATABASE other_app")
    other = postgres_url.replace(postgres_url.split("/")[3].split("?")[0], "other_app")
    with psycopg.connect(other, autocommit=True) as con:
        con.execute("CREATE SCHEMA climaterisk; CREATE TABLE climaterisk.jobs (id INT)")
    with pytest.raises(InputError, match="belongs to another application"):
        Store(other)
    out = fails(2, "history", "--store", other)
    assert "belongs to another application" in out


# ------------------------------------------------------------------------ faults and hand edits


def test_read_only_store_reads_and_refuses_a_snapshot_in_one_line(tmp_path, small_results, monkeypatch,
                                                                   mini_register_path, mini_scenario_path):
    reg, sc, results = small_results
    folder = tmp_path / "archive"
    path = folder / "h.sqlite"
    with Store(path) as db:
        db.add("2026Q2", reg, sc, results)
        db.add("2026Q3", reg, sc, results)
    uris = []
    real = store_module._sqlite_connect
    monkeypatch.setattr(store_module, "_sqlite_connect",
                        lambda store, uri: uris.append(uri) or real(store, uri))
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        before = path.read_bytes()
        assert "2026Q3" in run("history", "--store", str(path)).output
        pack = json.loads(run("review", "--quarter", "2026Q3", "--register", str(mini_register_path),
                              "--store", str(path), "--format", "json").output)
        assert pack["current"]["quarter"] == "2026Q3"
        assert uris and all("mode=ro" in u for u in uris)  # readers never open for writing
        assert path.read_bytes() == before
        # a file the process cannot write (as root, simulated: SQLite opened read-only)
        monkeypatch.setattr(store_module, "_sqlite_uri", lambda p, mode: f"{p.absolute().as_uri()}?mode=ro")
        out = fails(1, "snapshot", "--quarter", "2026Q4", "--register", str(mini_register_path),
                    "--scenario", str(mini_scenario_path), "--store", str(path), *FAST)
        lines = out.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and "readonly" in lines[0], out
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def test_read_only_folder_without_shared_memory_file_is_read_as_immutable(tmp_path, small_results,
                                                                          monkeypatch):
    reg, sc, results = small_results
    path = tmp_path / "h.sqlite"
    with Store(path) as db:
        db.add("2026Q3", reg, sc, results)
    real = store_module._sqlite_connect
    seen = []

    def connect(store, uri):  # SQLite's answer when it cannot create the -shm file
        seen.append(uri)
        if "immutable" not in uri:
            raise_on = real(store, uri)
            raise_on.close()
            bad = sqlite3.connect(":memory:")
            bad.execute("PRAGMA query_only=1")
            return _Failing(bad, "attempt to write a readonly database")
        return real(store, uri)

    monkeypatch.setattr(store_module, "_sqlite_connect", connect)
    with Store(path, readonly=True) as db:
        assert [s.quarter for s in db.list()] == ["2026Q3"]
    assert seen[-1].endswith("mode=ro&immutable=1")


class _Failing:
    """A connection whose every statement fails with ``message`` (a failing disk, a read-only file)."""

    def __init__(self, db, message: str, when: str = ""):
        self._db, self._message, self._when = db, message, when

    def execute(self, sql: str, *args):
        if self._when in sql:
            raise sqlite3.OperationalError(self._message)
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._db, name)


def test_a_failing_disk_is_one_line_naming_the_store(tmp_path, small_results, monkeypatch,
                                                     mini_register_path, mini_scenario_path):
    reg, sc, results = small_results
    path = tmp_path / "h.sqlite"
    with Store(path) as db:
        db.add("2026Q3", reg, sc, results)
    real = store_module._sqlite_connect
    monkeypatch.setattr(store_module, "_sqlite_connect",
                        lambda store, uri: _Failing(real(store, uri), "disk I/O error",
                                                    "INSERT INTO snapshots"))
    out = fails(1, "snapshot", "--quarter", "2026Q4", "--register", str(mini_register_path),
                "--scenario", str(mini_scenario_path), "--store", str(path), *FAST)
    assert out.strip() == f"error: cannot write snapshot 2026Q4 to history store {path}: disk I/O error"
    monkeypatch.setattr(store_module, "_sqlite_connect",
                        lambda store, uri: _Failing(real(store, uri), "disk I/O error", "FROM snapshots"))
    out = fails(2, "history", "--store", str(path))
    assert str(path) in out.splitlines()[0] and "disk I/O error" in out.splitlines()[0]
    monkeypatch.undo()
    with Store(path, readonly=True) as db:
        assert [s.quarter for s in db.list()] == ["2026Q3"]  # nothing half-written


@pytest.mark.parametrize(("column", "edit", "field"), [
    ("manifest", lambda m, r: (json.dumps({**m, "trials": "two"}), json.dumps(r)), "manifest.trials"),
    ("results", lambda m, r: (json.dumps(m), "{not json"), "results"),
    ("results", lambda m, r: (json.dumps(m), json.dumps({"horizons": [{"year": 2050}]})),
     "results.horizons.0.total"),
    ("results", lambda m, r: (json.dumps(m), json.dumps(
        {"horizons": [{**r["horizons"][0], "total": {"residual": {"mean": "a lot"}}}]})),
     "results.horizons.0.total.residual.mean"),
])
def test_a_hand_edited_row_is_one_problem_naming_store_quarter_and_field(
        store_at, small_results, mini_register_path, column, edit, field):
    reg, sc, results = small_results
    with Store(store_at) as db:
        good = db.add("2026Q2", reg, sc, results)
    manifest, stored = edit(good.manifest, results)
    raw_execute(store_at, "INSERT INTO snapshots (quarter, revision, created_utc, register_id, "
                "register_sha256, register_files, scenario_id, results, manifest, register_path) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                ("2026Q3", 1, good.created_utc, reg.id, "x", json.dumps(good.register_files), sc.id, stored,
                 manifest, good.register_path))
    for args in (["history"], ["review", "--quarter", "2026Q3", "--register", str(mini_register_path)]):
        out = fails(2, *args, "--store", store_at)
        first = out.splitlines()[0]
        assert "2026Q3 revision 1" in first and f": {field}: got " in first, out
        assert out.splitlines()[1:] == ["1 problem(s); nothing was written."]
        assert (store_at.split("?")[0] if "://" in store_at else store_at) in first


@pytest.mark.parametrize("label", ["\uff12\uff10\uff12\uff16Q2", "2026Q2\n", "2026Q2 ", "\u0662026Q2",
                                   "2026q2"])
def test_quarter_labels_are_strict(tmp_path, mini_register_path, mini_scenario_path, label):
    store = tmp_path / "h.sqlite"
    out = fails(2, "snapshot", "--quarter", label, "--register", str(mini_register_path),
                "--scenario", str(mini_scenario_path), "--store", str(store), *FAST)
    assert "--quarter" in out and "expected a quarter such as 2026Q3" in out
    assert not store.exists()
    with pytest.raises(InputError):
        store_module.check_quarter(label)


# ------------------------------------------------------------------------ register identity


def test_two_registers_with_one_id_never_mix(tmp_path, store_at, mini_files, mini_scenario_path):
    mine = write_register(tmp_path / "mine", mini_files)
    shipped = write_register(tmp_path / "shipped", mini_files)  # same id "mini", another folder
    common = ["--store", store_at, "--scenario", str(mini_scenario_path), *FAST]
    run("snapshot", "--quarter", "2026Q3", "--register", str(mine), *common)
    mini_files["sites.yaml"]["sites"][1]["hazards"]["flood"] = 0.5
    write_register(mine, mini_files)  # the quarter's edits are in my register...
    run("snapshot", "--quarter", "2026Q4", "--register", str(shipped), *common)  # ...Q4 taken of the other
    out = fails(2, "review", "--quarter", "2026Q4", "--register", str(mine), "--store", store_at)
    line = out.splitlines()[0]
    assert str(shipped.resolve()) in line and str(mine.resolve()) in line and "--across-registers" in line
    pack = json.loads(run("review", "--quarter", "2026Q4", "--register", str(mine), "--store", store_at,
                          "--across-registers", "--format", "json").stdout)
    assert pack["register_folders"] == {"current": str(shipped.resolve()), "against": str(mine.resolve())}
    noted = runner.invoke(app, ["review", "--quarter", "2026Q4", "--register", str(mine), "--store", store_at,
                                "--across-registers"])
    assert noted.exit_code == 0 and "note: comparing snapshots of two register folders" in noted.stderr
    # the other register's review finds no earlier snapshot of its own
    out = fails(2, "review", "--quarter", "2026Q4", "--register", str(shipped), "--store", store_at)
    assert "an earlier quarter with a snapshot" in out
    listing = json.loads(run("history", "--store", store_at, "--format", "json").output)
    assert [(r["register_id"], r["register_path"], [s["quarter"] for s in r["snapshots"]])
            for r in listing["registers"]] == sorted([("mini", str(mine.resolve()), ["2026Q3"]),
                                                       ("mini", str(shipped.resolve()), ["2026Q4"])])
    text = run("history", "--store", store_at).output
    assert text.count("Register mini, folder ") == 2
    # the report compares like with like: my register against my last snapshot, not the later Q4
    assert last_snapshot(store_at, load_register(mine)).quarter == "2026Q3"
    assert last_snapshot(store_at, load_register(shipped)).quarter == "2026Q4"


def test_init_from_gives_the_copy_its_own_history(tmp_path, mini_register_path, mini_scenario_path):
    store = str(tmp_path / "h.sqlite")
    common = ["--store", store, "--scenario", str(mini_scenario_path), *FAST]
    run("snapshot", "--quarter", "2026Q3", "--register", str(mini_register_path), *common)
    run("init", str(tmp_path / "team-copy"), "--from", str(mini_register_path))
    assert load_register(tmp_path / "team-copy").id == "team-copy"
    run("snapshot", "--quarter", "2026Q4", "--register", str(tmp_path / "team-copy"), *common)
    out = fails(2, "review", "--quarter", "2026Q4", "--register", str(tmp_path / "team-copy"),
                "--store", store)
    assert "team-copy" in out and "an earlier quarter with a snapshot" in out
    listing = json.loads(run("history", "--store", store, "--format", "json").output)
    assert sorted(r["register_id"] for r in listing["registers"]) == ["mini", "team-copy"]


def test_store_from_the_environment_and_postgres_url_on_the_cli(tmp_path, postgres_url, mini_register_path,
                                                                mini_scenario_path, monkeypatch):
    monkeypatch.setenv("CLIMATERISK_STORE", postgres_url)
    run("snapshot", "--quarter", "2026Q3", "--register", str(mini_register_path),
        "--scenario", str(mini_scenario_path), *FAST)
    run("snapshot", "--quarter", "2026Q4", "--register", str(mini_register_path),
        "--scenario", str(mini_scenario_path), *FAST)
    pack = json.loads(run("review", "--quarter", "2026Q4", "--register", str(mini_register_path),
                          "--format", "json").output)
    assert pack["against"]["quarter"] == "2026Q3"
    monkeypatch.delenv("CLIMATERISK_STORE")
    assert "2026Q4" in run("history", "--store", postgres_url).output
    # a colleague who may only read: the reading commands need no write right
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("CREATE ROLE reviewer LOGIN; GRANT USAGE ON SCHEMA climaterisk TO reviewer; "
                    "GRANT SELECT ON ALL TABLES IN SCHEMA climaterisk TO reviewer")
    reviewer = postgres_url.replace("postgres@", "reviewer@")
    assert "2026Q4" in run("history", "--store", reviewer).output
    run("review", "--quarter", "2026Q4", "--register", str(mini_register_path), "--store", reviewer)
    out = fails(1, "snapshot", "--quarter", "2026Q4", "--register", str(mini_register_path),
                "--scenario", str(mini_scenario_path), "--store", reviewer, *FAST)
    assert len(out.strip().splitlines()) == 1 and "permission denied" in out, out
    assert not (tmp_path / ".climaterisk").exists()
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@")
    assert "s3cret" not in store_module.describe(with_password)


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
    assert pack["changes"] == [{"section": "sites", "id": "a", "title": "Site A", "change": "changed",
                                "fields": [{"field": "replacement_value.value", "old": 1000.0, "new": 5000.0,
                                            "unit": "currency"}]}]
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

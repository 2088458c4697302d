"""Register format versions: a format-1 register is read as format 2 with a notice, `climaterisk
migrate` rewrites it (comments kept, idempotent, --dry-run writes nothing), a newer format is
refused, and a snapshot taken with a format-1 register can still be reviewed."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from climaterisk.analysis.assess import assess
from climaterisk.analysis.options import AssessOptions
from climaterisk.cli import app
from climaterisk.errors import RegisterError
from climaterisk.io import shipped_dir
from climaterisk.register import load_register
from climaterisk.register.migration import FORMAT_VERSION, FormatNotice, file_version
from climaterisk.scenarios import load_scenario

runner = CliRunner()
FAST = ["--trials", "1000", "--seed", "3"]


def _v1_copy(tmp_path: Path, name: str = "old") -> Path:
    """The shipped register, comments and all, written back as format 1."""
    folder = tmp_path / name
    shutil.copytree(shipped_dir("registers") / "kuaishou-2023", folder)
    text = (folder / "register.yaml").read_text(encoding="utf-8")
    assert "\nformat_version: 2\n" in text
    (folder / "register.yaml").write_text(text.replace("\nformat_version: 2\n", "\nformat_version: 1\n"),
                                          encoding="utf-8")
    return folder


def _texts(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_shipped_register_and_skeleton_are_the_current_format():
    assert FORMAT_VERSION == 2
    assert file_version(shipped_dir("registers") / "kuaishou-2023") == 2
    skeleton = Path(__file__).parents[1] / "climaterisk" / "data" / "skeleton"
    assert file_version(skeleton) == 2


def test_v1_loads_with_one_notice_and_gives_the_same_numbers_as_migrated(tmp_path):
    old = _v1_copy(tmp_path)
    with pytest.warns(FormatNotice, match="is format 1; read as format 2") as caught:
        reg_old = load_register(old)
    assert len([w for w in caught if issubclass(w.category, FormatNotice)]) == 1
    new = tmp_path / "new"
    shutil.copytree(old, new)
    assert runner.invoke(app, ["migrate", "--register", str(new)]).exit_code == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", FormatNotice)  # a migrated register loads without a notice
        reg_new = load_register(new)
    scenario = load_scenario("rcp45")
    options = AssessOptions.of(trials=2000, seed=7, horizons=[2030, 2050])
    a, b = assess(reg_old, scenario, options).to_dict(), assess(reg_new, scenario, options).to_dict()
    a.pop("manifest", None), b.pop("manifest", None)
    assert a == b  # bit for bit: the same floats, not just close ones


def test_the_cli_prints_the_notice_once_on_stderr(tmp_path):
    old = _v1_copy(tmp_path)
    result = runner.invoke(app, ["validate", str(old)])
    assert result.exit_code == 0, result.output
    notices = [line for line in result.stderr.splitlines() if line.startswith("notice:")]
    assert notices == [f"notice: register {old} is format 1; read as format 2 "
                       f"(run `climaterisk migrate --register {old}` to update the files)"]
    assert "notice:" not in result.stdout


def test_migrate_rewrites_keeps_comments_and_a_second_run_changes_nothing(tmp_path):
    old = _v1_copy(tmp_path)
    before = _texts(old)
    result = runner.invoke(app, ["migrate", "--register", str(old)])
    assert result.exit_code == 0, result.output
    assert "format_version 1 -> 2" in result.stdout and "rewrote to format 2" in result.stdout
    after = _texts(old)
    assert [n for n in after if after[n] != before[n]] == ["register.yaml"]
    expected = before["register.yaml"].replace(b"format_version: 1", b"format_version: 2")
    assert after["register.yaml"] == expected
    assert after["register.yaml"].startswith(b"# Example climate risk register")  # comments kept
    again = runner.invoke(app, ["migrate", "--register", str(old)])
    assert again.exit_code == 0 and "nothing to change" in again.stdout
    assert _texts(old) == after
    assert not [p for p in old.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_migrate_dry_run_writes_nothing(tmp_path):
    old = _v1_copy(tmp_path)
    before = _texts(old)
    result = runner.invoke(app, ["migrate", "--register", str(old), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would rewrite to format 2" in result.stdout and "dry run" in result.stdout
    assert _texts(old) == before


@pytest.mark.parametrize("command", [["validate", "{reg}"], ["migrate", "--register", "{reg}"]])
def test_a_future_version_is_refused_with_one_line(tmp_path, command):
    folder = _v1_copy(tmp_path)
    text = (folder / "register.yaml").read_text(encoding="utf-8")
    (folder / "register.yaml").write_text(text.replace("format_version: 1", "format_version: 3"),
                                          encoding="utf-8")
    before = _texts(folder)
    result = runner.invoke(app, [a.format(reg=folder) for a in command])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "format_version: got 3" in errors[0] and "upgrade climaterisk" in errors[0]
    assert _texts(folder) == before
    with pytest.raises(RegisterError):
        load_register(folder)


def test_a_snapshot_of_a_v1_register_is_reviewable_against_the_current_register(tmp_path):
    old = _v1_copy(tmp_path)
    store = tmp_path / "history.sqlite"
    snap = runner.invoke(app, ["snapshot", "--quarter", "2023Q4", "--register", str(old), "--store",
                               str(store), "--horizon", "2030", *FAST])
    assert snap.exit_code == 0, snap.output
    assert snap.stderr.count("notice:") == 1
    current = tmp_path / "current"
    shutil.copytree(shipped_dir("registers") / "kuaishou-2023", current)
    later = runner.invoke(app, ["snapshot", "--quarter", "2024Q1", "--register", str(current), "--store",
                                str(store), "--horizon", "2030", *FAST])
    assert later.exit_code == 0, later.output
    # the two snapshots come from two folders with one register id: the review says so unless asked
    refused = runner.invoke(app, ["review", "--quarter", "2024Q1", "--against", "2023Q4", "--register",
                                  str(current), "--store", str(store), "--horizon", "2030", *FAST])
    assert refused.exit_code == 2 and "--across-registers" in refused.output
    review = runner.invoke(app, ["review", "--quarter", "2024Q1", "--against", "2023Q4", "--register",
                                 str(current), "--store", str(store), "--horizon", "2030",
                                 "--across-registers", *FAST])
    assert review.exit_code == 0, review.output
    assert "holds a register in format 1; read as format 2" in review.stderr
    direct = runner.invoke(app, ["review", "--register", str(current), "--against-register", str(old),
                                 "--horizon", "2030", *FAST])
    assert direct.exit_code == 0, direct.output
    assert direct.stderr.count("notice:") == 1

"""The one output writer (``climaterisk.io.OutputSet``): all the files of a command move in
together or not at all, special files are never touched, modes follow the umask, and permission
problems are one-line messages (docs/architecture.md, "Writing outputs")."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from climaterisk import io
from climaterisk.cli import app
from climaterisk.errors import InputError, OutputError
from climaterisk.outputs import publish, spreadsheet
from climaterisk.outputs.report.document import Table
from tests.conftest import write_register

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def old_files(folder: Path, names: list[str]) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"old {name}\n", encoding="utf-8")
    return contents(folder)


def fail_on_call(monkeypatch: pytest.MonkeyPatch, n: int, exc: BaseException) -> None:
    """Make the ``n``-th staged write raise ``exc`` (disk full, Ctrl-C...)."""
    calls = {"n": 0}
    real = io._write_all

    def write(handle, payload):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        real(handle, payload)

    monkeypatch.setattr(io, "_write_all", write)


# --------------------------------------------------------------------------- all or nothing


def test_a_set_moves_in_every_file_and_leaves_no_staging(tmp_path):
    with io.OutputSet(tmp_path / "out") as out:
        staged = out.add("a.md", "A")
        out.add("figures/b.png", b"B")
        assert staged.read_text() == "A" and not (tmp_path / "out" / "a.md").exists()
    assert contents(tmp_path / "out") == {"a.md": b"A", "figures/b.png": b"B"}
    assert out.written == [tmp_path / "out" / "a.md", tmp_path / "out" / "figures/b.png"]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(io.STAGING_PREFIX)]


@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device"),
                                 OSError(errno.EFBIG, "File too large"), KeyboardInterrupt()])
def test_a_failure_on_the_third_file_changes_no_target(tmp_path, monkeypatch, exc):
    names = ["appendix.tex", "a.tex", "b.tex", "c.tex"]
    before = old_files(tmp_path / "out", names)
    fail_on_call(monkeypatch, 3, exc)
    with pytest.raises((OutputError, KeyboardInterrupt)), io.OutputSet(tmp_path / "out") as out:
        for name in names:
            out.add(name, f"new {name}\n")
    assert contents(tmp_path / "out") == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(names)  # no staging left


def test_the_appendix_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    tables = [Table(f"t{i}", f"Table {i}", ["a"], ["text"], [["x"]]) for i in range(4)]
    before = old_files(tmp_path / "app", [f"t{i}.csv" for i in range(4)])
    fail_on_call(monkeypatch, 3, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(OutputError, match="No space left"):
        publish.write_appendix(tables, tmp_path / "app", "csv")
    assert contents(tmp_path / "app") == before
    monkeypatch.undo()
    written = publish.write_appendix(tables, tmp_path / "app", "csv")
    assert [p.name for p in written] == [f"t{i}.csv" for i in range(4)]
    assert all(b"old" not in data for data in contents(tmp_path / "app").values())


def test_a_new_folder_is_not_left_behind_when_nothing_is_written(tmp_path, monkeypatch):
    fail_on_call(monkeypatch, 1, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(OutputError), io.OutputSet(tmp_path / "new" / "report") as out:
        out.add("report.md", "x")
    assert list(tmp_path.iterdir()) == []


def _workbook(tmp_path: Path, files: dict) -> Path:
    book = tmp_path / "r.xlsx"
    book.write_bytes(spreadsheet.export_xlsx(write_register(tmp_path / "source", files)))
    return book


def test_import_xlsx_force_on_a_full_disk_keeps_the_whole_old_register(tmp_path, monkeypatch, mini_files):
    book = _workbook(tmp_path, mini_files)
    out = tmp_path / "reg"
    spreadsheet.import_xlsx(book, out)
    for p in out.iterdir():  # an earlier version of every file
        p.write_text(p.read_text(encoding="utf-8") + "# earlier\n", encoding="utf-8")
    before = contents(out)
    fail_on_call(monkeypatch, 3, OSError(errno.ENOSPC, "No space left on device"))
    result = runner.invoke(app, ["import-xlsx", str(book), "--out", str(out), "--force"])
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output and "Traceback" not in result.output
    assert contents(out) == before


def test_interrupted_appendix_says_nothing_was_written_and_is_true(tmp_path, monkeypatch):
    out = tmp_path / "app"
    before = old_files(out, ["risk_register.csv", "controls.csv"])
    fail_on_call(monkeypatch, 3, KeyboardInterrupt())
    result = runner.invoke(app, ["appendix", "--trials", "500", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 130
    assert "interrupted; nothing was written." in result.output
    assert contents(out) == before


# --------------------------------------------------------------------------- kill -9 and recovery

KILLED = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from climaterisk import io

    root, when = Path(sys.argv[1]), sys.argv[2]
    real_replace, real_write = os.replace, io._write_all
    moved = []

    def replace(src, dst):
        real_replace(src, dst)
        if when == "moving" and Path(dst).parent.name != Path(src).parent.name:  # not the journal
            moved.append(dst)
            if len(moved) == 1:
                os.kill(os.getpid(), signal.SIGKILL)

    def write(handle, payload):
        real_write(handle, payload)
        if when == "staging" and payload == b"new b":
            os.kill(os.getpid(), signal.SIGKILL)

    os.replace = replace
    io._write_all = write
    with io.OutputSet(root) as out:
        for name in ("a", "b", "c"):
            out.add(name, "new " + name)
""")


def _killed(root: Path, when: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", KILLED, str(root), when], env=env, timeout=30,
                          capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()


def test_kill_9_while_staging_leaves_the_old_files_and_the_next_run_cleans_up(tmp_path):
    before = old_files(tmp_path, ["a", "b", "c"])
    _killed(tmp_path, "staging")
    assert contents(tmp_path) == {**before, **{k: v for k, v in contents(tmp_path).items()
                                                if k.startswith(io.STAGING_PREFIX)}}
    assert {k: v for k, v in contents(tmp_path).items() if not k.startswith(io.STAGING_PREFIX)} == before
    assert io.pending_journal(tmp_path) is None
    assert io.recover(tmp_path) == []
    assert contents(tmp_path) == before  # the staging folder is gone, the targets as they were


def test_kill_9_while_moving_in_is_finished_by_the_next_run(tmp_path):
    old_files(tmp_path, ["a", "b", "c"])
    _killed(tmp_path, "moving")
    shown = {k: v for k, v in contents(tmp_path).items() if not k.startswith(io.STAGING_PREFIX)}
    assert sorted(shown.values()) == [b"new a", b"old b\n", b"old c\n"]  # mid-move: one moved in
    assert io.pending_journal(tmp_path) is not None
    with io.OutputSet(tmp_path) as out:  # any later run writing there finishes it first
        out.add("d", "new d")
    assert contents(tmp_path) == {"a": b"new a", "b": b"new b", "c": b"new c", "d": b"new d"}


def test_loading_a_register_finishes_an_interrupted_import(tmp_path, mini_files):
    reg = write_register(tmp_path / "reg", mini_files)
    stage = reg / (io.STAGING_PREFIX + "test")  # a committed set whose moves never ran
    stage.mkdir()
    (stage / "risks.yaml").write_bytes((reg / "risks.yaml").read_bytes() + b"# new\n")
    (stage / io.JOURNAL).write_text('{"format": 1, "files": ["risks.yaml"]}', encoding="utf-8")
    from climaterisk.register import load_register

    load_register(reg)
    assert (reg / "risks.yaml").read_bytes().endswith(b"# new\n")
    assert not stage.exists()


def test_a_staging_folder_held_by_a_live_run_is_left_alone(tmp_path):
    with io.OutputSet(tmp_path) as out:
        out.add("a", "A")
        assert io.recover(tmp_path) == []
        assert out.staging.is_dir()
    assert contents(tmp_path) == {"a": b"A"}


# --------------------------------------------------------------------------- special files


def test_a_named_pipe_is_refused_and_left_in_place(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="named pipe"):
        io.write_file(pipe, "x")
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    with pytest.raises(InputError, match="named pipe"), io.OutputSet(tmp_path) as out:
        out.add("pipe", "x")
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


@pytest.mark.parametrize("path,kind", [("/dev/null", "character device"),
                                       ("/dev/stdout", "standard output"),
                                       ("/proc/self/fd/2", "standard output")])
def test_devices_and_descriptors_are_refused_by_the_check(path, kind):
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    problem = io.file_target_problem(path)
    assert problem is not None and "regular file" in problem
    if path == "/dev/null":
        assert kind in problem
    else:
        assert kind in problem or "device" in problem or "pipe" in problem


def test_a_folder_and_a_socket_are_refused(tmp_path):
    assert "folder" in io.file_target_problem(tmp_path)
    import socket

    sock_path = tmp_path / "s"
    if len(str(sock_path)) > 100:
        pytest.skip("socket path too long")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        assert "socket" in io.file_target_problem(sock_path)


def test_output_dash_is_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["graph", "--format", "json", "-o", "-"])
    assert result.exit_code == 0, result.output
    assert result.output.lstrip().startswith("{")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- modes


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o027, 0o640)])
def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        io.write_file(tmp_path / "one.json", "{}")
        with io.OutputSet(tmp_path / "rep") as out:
            out.add("report.md", "x")
            out.add("figures/a.png", b"x")
        (tmp_path / "kept.md").write_text("old")
        os.chmod(tmp_path / "kept.md", 0o664)
        io.write_file(tmp_path / "kept.md", "new")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "one.json").st_mode) == mode
    assert stat.S_IMODE(os.stat(tmp_path / "rep" / "report.md").st_mode) == mode
    assert stat.S_IMODE(os.stat(tmp_path / "rep" / "figures" / "a.png").st_mode) == mode
    assert stat.S_IMODE(os.stat(tmp_path / "rep" / "figures").st_mode) == 0o777 & ~umask
    assert stat.S_IMODE(os.stat(tmp_path / "kept.md").st_mode) == 0o664
    assert (tmp_path / "kept.md").read_text() == "new"


def test_a_symbolic_link_to_a_file_is_kept(tmp_path):
    (tmp_path / "real.json").write_text("old")
    (tmp_path / "link.json").symlink_to("real.json")
    io.write_file(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real.json").read_text() == "new"


# --------------------------------------------------------------------------- permissions


def _deny(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """As root, chmod does not stop writes: make ``name`` look unwritable instead."""
    real_access, real_mkdtemp = os.access, io.tempfile.mkdtemp

    def access(path, mode, *a, **k):  # type: ignore[no-untyped-def]
        return False if Path(path).name == name else real_access(path, mode, *a, **k)

    def mkdtemp(*a, dir=None, **k):  # type: ignore[no-untyped-def]
        if dir is not None and Path(dir).name == name:
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real_mkdtemp(*a, dir=dir, **k)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(io.tempfile, "mkdtemp", mkdtemp)


def _locked_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    locked = tmp_path / "locked"
    locked.mkdir()
    if IS_ROOT:
        _deny(monkeypatch, "locked")
    else:
        locked.chmod(0o555)
    return locked


def test_an_unwritable_output_folder_is_a_one_line_error(tmp_path, monkeypatch):
    locked = _locked_folder(tmp_path, monkeypatch)
    try:
        for args in (["appendix", "--trials", "200", "--out", str(locked / "app")],
                     ["assess", "--trials", "200", "-o", str(locked / "out.json")],
                     ["export-xlsx", "--out", str(locked / "r.xlsx")]):
            result = runner.invoke(app, args)
            assert result.exit_code == 2, result.output
            assert "permission is denied" in result.output, result.output
            assert ("Traceback" not in result.output and result.exception is None) or isinstance(
                result.exception, SystemExit)
        with pytest.raises(InputError, match=r"Permission denied|permission is denied"), \
                io.OutputSet(locked) as out:
            out.add("a", "x")
    finally:
        locked.chmod(0o755)
    assert list(locked.iterdir()) == []


def test_an_unreadable_register_folder_is_a_one_line_error(tmp_path, monkeypatch, mini_files):
    reg = write_register(tmp_path / "reg", mini_files)
    if IS_ROOT:
        real = Path.iterdir

        def iterdir(self):  # type: ignore[no-untyped-def]
            if self.name == "reg":
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "iterdir", iterdir)
    else:
        reg.chmod(0o300)
    try:
        result = runner.invoke(app, ["validate", str(reg)])
    finally:
        reg.chmod(0o755)
    assert result.exit_code == 2, result.output
    assert "a register folder you can read (Permission denied)" in result.output
    assert "Traceback" not in result.output

"""All file access: safe YAML reading, the shipped data folders, hashes, and the one output
writer (:class:`OutputSet`): every file a command writes, staged and moved in together."""

from __future__ import annotations

import codecs
import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import yaml

from climaterisk.errors import ClimateRiskError, InputError, OutputError, Problem

MAX_FILE_BYTES = 5_000_000
"""Largest input file read [bytes]; a register file is a few kB, so more is a mistake."""


MAX_DEPTH = 64
"""Deepest nesting of lists and mappings read; a register needs about eight levels."""


class _Checked:
    """Construction checks shared by both loaders: duplicate keys, merge keys, plain keys, tags
    that are not allowed, and a value its tag cannot build (``!!int abc``) as a marked error."""

    def construct_object(self, node, deep=False):  # type: ignore[no-untyped-def]
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except (ValueError, TypeError, AttributeError, OverflowError):
            shown = f"{node.value!r}" if isinstance(node, yaml.ScalarNode) else f"a {node.id}"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {shown} as {_tag(node)}", node.start_mark
            ) from None

    def construct_undefined(self, node):  # type: ignore[no-untyped-def]
        raise yaml.constructor.ConstructorError(
            None, None, f"tag {_tag(node)} is not allowed in climaterisk files", node.start_mark
        )

    def construct_yaml_timestamp(self, node):  # type: ignore[no-untyped-def]
        """A date that does not exist (2023-02-30) stays a string, for the field check to name."""
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except (ValueError, TypeError, AttributeError, OverflowError):
            return self.construct_scalar(node)  # type: ignore[attr-defined]

    def construct_yaml_int(self, node):  # type: ignore[no-untyped-def]
        """A YAML 1.1 base-60 number (``1:30:00``, 5400 to PyYAML) stays text, as YAML 1.2 reads
        it: a number field then refuses it by name, a text field keeps what was typed."""
        if ":" in str(node.value):
            return self.construct_scalar(node)  # type: ignore[attr-defined]
        return super().construct_yaml_int(node)  # type: ignore[misc]

    def construct_yaml_float(self, node):  # type: ignore[no-untyped-def]
        """A base-60 float (``1:30.5``) stays text, like :meth:`construct_yaml_int`."""
        if ":" in str(node.value):
            return self.construct_scalar(node)  # type: ignore[attr-defined]
        return super().construct_yaml_float(node)  # type: ignore[misc]

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping node, but found {node.id}", node.start_mark
            )
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not allowed in climaterisk files", key_node.start_mark
                )
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (list, dict)):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class _SafeLoader(_Checked, yaml.SafeLoader):
    """PyYAML's safe loader (pure Python), refusing aliases (alias bombs), anchors and deep
    nesting as it composes, with the construction checks of :class:`_Checked`. It names every
    problem; the faster libyaml loader below hands any file with a problem over to it."""

    _depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if self._depth >= MAX_DEPTH:
                raise yaml.constructor.ConstructorError(
                    None, None, f"lists and mappings nested more than {MAX_DEPTH} deep", event.start_mark
                )
            self._depth += 1
            try:
                return self._compose_checked(parent, index, event)
            finally:
                self._depth -= 1
        return self._compose_checked(parent, index, event)

    def _compose_checked(self, parent, index, event):  # type: ignore[no-untyped-def]
        if isinstance(event, yaml.AliasEvent):
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) are not allowed in climaterisk files", event.start_mark
            )
        if getattr(event, "anchor", None):
            raise yaml.constructor.ConstructorError(
                None, None, "anchors (&name) are not allowed in climaterisk files", event.start_mark
            )
        return super().compose_node(parent, index)


def _tag(node: yaml.Node) -> str:
    return node.tag.replace("tag:yaml.org,2002:", "!!")


_FAST_BASE = getattr(yaml, "CSafeLoader", None)  # libyaml's parser, when PyYAML was built with it


if _FAST_BASE is not None:
    class _FastLoader(_Checked, _FAST_BASE):  # type: ignore[valid-type,misc]
        """libyaml's parser and composer with the construction checks: 5x faster than the
        pure-Python loader on large files. Aliases, anchors and nesting are screened first
        from libyaml's events (:func:`_screened`)."""

for _loader in (_SafeLoader, *((_FastLoader,) if _FAST_BASE is not None else ())):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _loader.construct_yaml_timestamp)
    _loader.add_constructor("tag:yaml.org,2002:int", _loader.construct_yaml_int)
    _loader.add_constructor("tag:yaml.org,2002:float", _loader.construct_yaml_float)
    _loader.add_constructor(None, _loader.construct_undefined)


def _screened(text: str) -> bool:
    """Whether libyaml's events show no alias, no anchor and no nesting deeper than
    :data:`MAX_DEPTH` (libyaml's parser keeps its own stack, so deep nesting cannot exhaust
    Python's while it is screened)."""
    depth = 0
    for event in yaml.parse(text, Loader=_FAST_BASE):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return False
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
    return True


def _load(text: str) -> object:
    """Parse ``text``: with libyaml when available and the text passes the screening, else (and
    whenever libyaml finds a problem) with the checked pure-Python loader, which names it."""
    if _FAST_BASE is not None:
        try:
            if _screened(text):
                return yaml.load(text, Loader=_FastLoader)
        except yaml.YAMLError:
            pass
    return yaml.load(text, Loader=_SafeLoader)


def _line_column(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def read_yaml(path: Path, shown: str | None = None) -> object:
    """Read one YAML file safely; raise a :class:`Problem` list through ``ValueError``.

    Returns the parsed data. Errors are raised as ``FileProblemError`` carrying a Problem that
    names the file and, for syntax errors, line and column.
    """
    name = shown or str(path)
    if path.is_dir():
        raise FileProblemError(Problem(name, "", "", str(path), "a file, but this is a directory"))
    if not path.exists():
        raise FileProblemError(Problem(name, "", "", str(path), "an existing file"))
    if not path.is_file():  # a named pipe or a device would block or never end
        raise FileProblemError(Problem(name, "", "", str(path), "a regular file"))
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise FileProblemError(
            Problem(name, "", "", str(path), f"a readable file ({exc.strerror})")
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        size = max(len(raw), path.stat().st_size)
        raise FileProblemError(
            Problem(name, "", "", f"{size} bytes", f"a file of at most {MAX_FILE_BYTES} bytes")
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            where, shown_value = "", "UTF-16 text"
        else:
            before = raw[: exc.start].decode("utf-8", errors="replace")
            where = f"{_line_column(before, len(before))} (byte {exc.start})"
            shown_value = raw[exc.start : exc.start + 4]
        raise FileProblemError(
            Problem(name, "", where, shown_value, "UTF-8 text (save the file as UTF-8)")
        ) from None
    try:
        return _load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        text = exc.problem or str(exc)
        if exc.context and text.startswith("but "):  # "expected a single document ... but found"
            text = f"{exc.context} {text}"
        raise FileProblemError(Problem(name, "", where, text, "valid YAML")) from None
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise FileProblemError(Problem(
            name, "", _line_column(text, exc.position), f"character U+{code:04X}",
            "valid YAML (printable characters only)",
        )) from None
    except yaml.YAMLError as exc:
        raise FileProblemError(Problem(name, "", "", str(exc), "valid YAML")) from None
    except RecursionError:
        raise FileProblemError(
            Problem(name, "", "", "deeply nested data", f"at most {MAX_DEPTH} levels of nesting")
        ) from None


class FileProblemError(Exception):
    """Internal: one problem met while reading a file (turned into an InputError by callers)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shipped_dir(kind: str) -> Path:
    """The folder of shipped ``registers`` or ``scenarios``, however the package is installed.

    A wheel carries them inside the package (``climaterisk/_shipped``); a source checkout or
    an editable install finds them at the top of the repository.
    """
    packaged = resources.files("climaterisk").joinpath("_shipped", kind)
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / kind


# --------------------------------------------------------------------------- the output writer
#
# Every file climaterisk writes goes through one :class:`OutputSet`: all the files of one command
# are first written into a staging folder inside the target folder, then moved in together.
# The protocol (docs/architecture.md, "Writing outputs"):
#
# 1. stage: each file is written into ``<root>/.climaterisk-staging-XXXX/`` (created 0700, held
#    with an advisory lock while the run is alive), flushed and fsync'ed. A failure here (disk
#    full, Ctrl-C, kill -9) leaves every target as it was; the staging folder is removed at once,
#    or, after kill -9, by the next run writing into the same folder.
# 2. commit point: the list of files is written to ``journal.json`` in the staging folder
#    (written beside, fsync'ed, renamed, folder fsync'ed). From here the set is committed.
# 3. move in: each staged file is renamed over its target (``os.replace``: atomic per file),
#    the folders are fsync'ed, the staging folder is removed.
# 4. recovery: any run writing into the folder (and :func:`recover`, which ``load_register``
#    calls for a register folder) first finishes the moves of a staging folder that holds a journal
#    and removes one that does not. Renames are idempotent, so a recovery interrupted in turn is
#    finished by the next.

STAGING_PREFIX = ".climaterisk-staging-"
"""Name prefix of the staging folders (hidden) that an :class:`OutputSet` creates in its folder."""

JOURNAL = "journal.json"
"""The file whose presence in a staging folder marks its set as committed."""

STALE_UNLOCKED_SECONDS = 24 * 3600
"""Where folders cannot be locked: age after which an uncommitted staging folder is removed."""

try:  # POSIX advisory locks; without them (Windows) staging folders are told apart by age
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms the tests run on
    fcntl = None  # type: ignore[assignment]

_COMMITTED: list[Path] = []
"""Every file moved in by this process, in order (for messages that say what was written)."""


def committed_count() -> int:
    """How many files this process has written so far (compare before and after a command)."""
    return len(_COMMITTED)


def committed_since(count: int) -> list[Path]:
    """The files written since :func:`committed_count` returned ``count``."""
    return list(_COMMITTED[count:])


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def file_target_problem(path: str | Path, create_folder: bool = False) -> str | None:
    """Why a regular file cannot be written at ``path`` (the expectation of a :class:`Problem`),
    or None when it can: a new name in a folder that exists (or, with ``create_folder``, can be
    created) and can be written, or an existing regular file. A device (``/dev/null``),
    ``/dev/stdout``, a named pipe, a socket or a folder is refused: climaterisk never replaces nor
    writes into one."""
    path = Path(path)
    if str(path) in ("", "."):
        return "a file name, but this is a folder"
    try:
        st = os.stat(path)  # follows symbolic links: /dev/stdout -> /proc/self/fd/1 -> a pipe
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        st = None  # a parent is a file: told below
    except OSError as exc:
        return f"a file that can be checked ({exc.strerror})"
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            return "a file name, but this is a folder"
        if not stat.S_ISREG(st.st_mode):
            kind = next((k for test, k in _KINDS if test(st.st_mode)), "not a regular file")
            return (f"a regular file or a new file name, but this is {kind} "
                    "(for standard output, leave out the option or give -)")
    special = _special_link(path)
    if special:
        return (f"a regular file or a new file name, but this is {special} "
                "(for standard output, leave out the option or give -)")
    folder = _parent(_real_target(path))
    if not create_folder:
        ancestor = next((a for a in (folder, *folder.parents) if os.path.lexists(a)), None)
        if ancestor is not None and not ancestor.is_dir():
            return f"a file in a folder, but {ancestor} is a file"
        if ancestor != folder:
            return f"a file in an existing folder, but folder {folder} does not exist"
    return folder_target_problem(folder, creating=True)


_SPECIAL_ROOTS = ("/dev/", "/proc/", "/sys/")


def _special_link(path: Path) -> str | None:
    """What ``path`` is when it or a link on the way to it lies in ``/dev``, ``/proc`` or
    ``/sys``: ``/dev/stdout`` -> ``/proc/self/fd/1`` names an open descriptor of this process even
    when that descriptor is a regular file, which must not be replaced."""
    current = Path(os.path.abspath(path))
    for _ in range(40):
        text = str(current)
        if text.startswith(_SPECIAL_ROOTS) or text in ("/dev", "/proc", "/sys"):
            if "/fd/" in text or text.endswith(("/stdout", "/stderr", "/stdin")):
                return "a descriptor of this process (standard output or error)"
            return f"a file of the system's {text.split('/')[1]} folder"
        if not os.path.islink(current):
            return None
        try:
            target = os.readlink(current)
        except OSError:
            return None
        current = Path(os.path.normpath(current.parent / target))
    return None


def folder_target_problem(folder: str | Path, creating: bool = True) -> str | None:
    """Why files cannot be written into ``folder`` (or None): it is a file, a parent is a file, it
    does not exist (unless ``creating``: then its nearest existing parent must be writable), or it
    cannot be written (permission denied, read-only file system)."""
    folder = Path(folder) if str(folder) else Path(".")
    existing = folder
    while not os.path.lexists(existing):
        if not creating:
            return f"a file in an existing folder, but folder {folder} does not exist"
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        if existing == folder:
            return "a folder, but this is a file"
        return f"a folder path, but {existing} is a file"
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "" if existing == folder else f" ({existing})"
        return f"a folder you can write into, but permission is denied{where}"
    return None


def _parent(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _real_target(path: Path) -> Path:
    """``path``, or what it links to when it is a symbolic link (the link is kept, its file
    replaced)."""
    if os.path.islink(path):
        return Path(os.path.realpath(path))
    return path


def _os_problem(exc: OSError, path: Path) -> ClimateRiskError:
    """An OSError met while writing as the error the command line reports: permission problems
    are bad input (exit 2), the rest a failed output (exit 1, nothing was moved in)."""
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return InputError(Problem(str(path), "", "", str(path),
                                  f"a folder you can write into ({exc.strerror})"))
    return OutputError(f"cannot write {path}: {exc.strerror}; no file was changed")


def _write_all(handle: BinaryIO, payload: bytes) -> None:
    """Write ``payload`` to an open staged file (one place, so that tests can make it fail)."""
    handle.write(payload)


def _fsync_folder(folder: Path) -> None:
    """Make a folder's entries (renames) durable; a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _lock(folder: Path, wait: bool) -> int | None:
    """An open descriptor of ``folder`` holding an exclusive advisory lock, ``-1`` where locks
    are not available, or None when another live process holds it (only when not ``wait``)."""
    if fcntl is None:
        return -1
    try:
        fd = os.open(folder, os.O_RDONLY)
    except FileNotFoundError:
        return None  # gone: nothing to hold
    except OSError:
        return -1
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError:  # a file system without flock: go on unlocked
        pass
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None and fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)


def _safe_relative(name: str | Path) -> PurePosixPath:
    rel = PurePosixPath(Path(name).as_posix())
    if rel.is_absolute() or not rel.parts or any(p in ("..", ".", "") for p in rel.parts):
        raise ValueError(f"an output name must be a relative path inside its folder: {name!r}")
    if rel.parts[0].startswith(STAGING_PREFIX):
        raise ValueError(f"{name!r} is a name reserved for staging folders")
    return rel


def _read_journal(journal: Path) -> list[PurePosixPath] | None:
    """The relative names a journal lists, or None when it is unreadable or not one of ours."""
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        return [_safe_relative(name) for name in data["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _move_in(stage: Path, root: Path, names: list[PurePosixPath]) -> None:
    """Rename every staged file still in ``stage`` over its target in ``root`` (idempotent: a
    file already moved is skipped), then make the renames durable."""
    folders = {root}
    for rel in names:
        src, dst = stage / rel, root / rel
        if not os.path.lexists(src):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        _COMMITTED.append(dst)
        folders.add(dst.parent)
    for folder in folders:
        _fsync_folder(folder)


def recover(root: str | Path) -> list[Path]:
    """Finish or discard what interrupted runs left in folder ``root``; return the files moved in.

    A staging folder holding a journal was committed: its remaining files are moved in. One
    without a journal was not: it is removed and the targets stay as they were. A staging folder
    locked by a live run is left alone. Nothing happens (and nothing is raised) when ``root``
    holds no staging folder; a folder that cannot be changed raises the usual errors.
    """
    root = Path(root) if str(root) else Path(".")
    try:
        stages = [p for p in root.iterdir()
                  if p.name.startswith(STAGING_PREFIX) and p.is_dir() and not p.is_symlink()]
    except OSError:
        return []
    if not stages:
        return []
    held = _lock(root, wait=True)
    try:
        return _recover_locked(root, stages)
    finally:
        _unlock(held)


def _recover_locked(root: Path, stages: list[Path] | None = None) -> list[Path]:
    if stages is None:
        try:
            stages = [p for p in root.iterdir()
                      if p.name.startswith(STAGING_PREFIX) and p.is_dir() and not p.is_symlink()]
        except OSError:
            return []
    moved: list[Path] = []
    for stage in stages:
        fd = _lock(stage, wait=False)
        if fd is None:
            continue  # a live run is writing there
        try:
            journal = stage / JOURNAL
            names = _read_journal(journal) if journal.is_file() else None
            if names is not None:
                before = len(_COMMITTED)
                try:
                    _move_in(stage, root, names)
                except OSError as exc:
                    raise _os_problem(exc, root) from None
                moved += _COMMITTED[before:]
            elif fd < 0 and time.time() - _mtime(stage) < STALE_UNLOCKED_SECONDS:
                continue  # cannot tell a live run from a dead one: wait until it is old
            shutil.rmtree(stage, ignore_errors=True)
        finally:
            _unlock(fd)
    return moved


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()


def pending_journal(root: str | Path) -> Path | None:
    """The journal of a committed set that is not fully moved in yet in ``root``, if any."""
    root = Path(root)
    try:
        for p in root.iterdir():
            if p.name.startswith(STAGING_PREFIX) and (p / JOURNAL).is_file():
                return p / JOURNAL
    except OSError:
        return None
    return None


class OutputSet:
    """All the files one command writes into one folder, moved in together or not at all.

    Use it as a context manager: the files are committed when the block ends normally and
    discarded when it raises (or on Ctrl-C)::

        with OutputSet(Path("report")) as out:
            out.add("report.md", text)
            out.add("figures/exceedance.png", png)
        out.written  # the final paths

    :meth:`add` writes a file into the staging folder at once (so memory holds one file at a
    time) and returns the staged path, readable until the set is committed (a report embeds its
    figures from there). New files get the user's umask (0644 under umask 022); a file replaced
    keeps its mode. Targets that are not regular files (devices, pipes, sockets, folders) are
    refused with an :class:`InputError` before anything moves; an unwritable folder is an
    :class:`InputError` too, any other failure (disk full) an :class:`OutputError`. The folder
    and its missing parents are created when the first file is added, and removed again if the
    set is discarded and they are still empty.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root) if str(root) else Path(".")
        self.written: list[Path] = []
        self._names: dict[PurePosixPath, Path] = {}
        self._created: list[Path] = []
        self._stage: Path | None = None
        self._stage_lock: int | None = None
        self._closed = False

    # -- the staging folder
    @property
    def staging(self) -> Path:
        """The staging folder (created on first use); staged files are at the same relative paths."""
        if self._stage is None:
            self._open()
        assert self._stage is not None
        return self._stage

    def _open(self) -> None:
        if self._closed:
            raise RuntimeError("this OutputSet is already committed or discarded")
        problem = folder_target_problem(self.root, creating=True)
        if problem:
            raise InputError(Problem(str(self.root), "", "", str(self.root), problem))
        missing = []
        folder = self.root
        while not os.path.lexists(folder):
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            try:
                os.mkdir(folder)
            except FileExistsError:
                continue
            except OSError as exc:
                self._remove_created()
                raise _os_problem(exc, folder) from None
            self._created.append(folder)
        held = _lock(self.root, wait=True)
        try:
            _recover_locked(self.root)
            self._stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.root))
            self._stage_lock = _lock(self._stage, wait=True)
        except OSError as exc:
            self._remove_created()
            raise _os_problem(exc, self.root) from None
        finally:
            _unlock(held)

    def _remove_created(self) -> None:
        for folder in reversed(self._created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        self._created = []

    # -- adding files
    def target(self, name: str | Path) -> Path:
        """The final path of ``name`` (relative to the folder)."""
        return self.root / _safe_relative(name)

    def _check(self, rel: PurePosixPath) -> None:
        final = self.root / rel
        for parent in list(reversed(rel.parents))[1:]:
            where = self.root / parent
            if os.path.lexists(where) and (where.is_symlink() or not where.is_dir()):
                raise InputError(Problem(str(final), "", "", str(final),
                                         f"a file in a folder, but {where} is not a folder"))
        if os.path.islink(final):
            raise InputError(Problem(str(final), "", "", str(final),
                                     "a regular file or a new file name, but this is a symbolic link"))
        problem = file_target_problem(final) if os.path.lexists(final) else None
        if problem:
            raise InputError(Problem(str(final), "", "", str(final), problem))

    def add(self, name: str | Path, data: str | bytes) -> Path:
        """Stage file ``name`` (a relative path; text is written as UTF-8); return its staged path."""
        rel = _safe_relative(name)
        self._check(rel)
        stage = self.staging
        staged = stage / rel
        final = self.root / rel
        payload = data.encode("utf-8") if isinstance(data, str) else data
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
            if os.path.lexists(staged):
                os.unlink(staged)  # the same name added twice: the last one wins
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            with os.fdopen(fd, "wb") as handle:
                _keep_mode(handle.fileno(), final)
                _write_all(handle, payload)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise _os_problem(exc, final) from None
        self._names[rel] = final
        return staged

    # -- the end
    def commit(self) -> list[Path]:
        """Move every staged file in (see the module's protocol); return the final paths."""
        if self._closed:
            return self.written
        if self._stage is None:
            self._closed = True
            return []
        for rel in self._names:  # again: a target may have changed while the files were made
            self._check(rel)
        names = sorted(self._names)
        stage = self._stage
        try:
            for folder in {stage / rel.parent for rel in names}:
                _fsync_folder(folder)
            text = json.dumps({"format": 1, "files": [str(n) for n in names]}, indent=1)
            tmp = stage / (JOURNAL + ".tmp")
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, stage / JOURNAL)  # the commit point
            _fsync_folder(stage)
        except OSError as exc:
            raise _os_problem(exc, self.root) from None
        held = _lock(self.root, wait=True)
        before = len(_COMMITTED)
        self._closed = True
        try:
            _move_in(stage, self.root, names)
        except OSError as exc:
            self.written = _COMMITTED[before:]
            _unlock(self._stage_lock)
            raise OutputError(
                f"cannot finish writing into {self.root}: {exc.strerror}; the remaining files "
                f"are moved in by the next climaterisk run that writes there") from None
        except BaseException:  # Ctrl-C between two renames: finish them, then stop
            try:
                _move_in(stage, self.root, names)
            except OSError:  # the journal stays: the next run finishes the moves
                self.written = _COMMITTED[before:]
                _unlock(self._stage_lock)
            else:
                self._finish(names)
            raise
        finally:
            _unlock(held)
        self._finish(names)
        return self.written

    def _finish(self, names: list[PurePosixPath]) -> None:
        self.written = [self.root / rel for rel in names]
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
        _unlock(self._stage_lock)

    def discard(self) -> None:
        """Remove the staging folder (and the folders created for the set, if still empty);
        every target stays as it was."""
        if self._closed:
            return
        self._closed = True
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            _unlock(self._stage_lock)
        self._remove_created()

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def _keep_mode(fd: int, final: Path) -> None:
    """Give a staged file the mode (and, for root, the owner) of the regular file it replaces;
    a new file keeps the mode it was created with (0666 less the umask)."""
    try:
        st = os.stat(final)
    except OSError:
        return
    if not stat.S_ISREG(st.st_mode):
        return
    with contextlib.suppress(OSError, AttributeError):
        os.fchmod(fd, stat.S_IMODE(st.st_mode))
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        with contextlib.suppress(OSError):
            os.fchown(fd, st.st_uid, st.st_gid)


def write_file(path: str | Path, data: str | bytes) -> Path:
    """Write one file as a set of one (see :class:`OutputSet`): readers see the old or the
    complete new content, never a part. A symbolic link to a regular file is kept and the file it
    points to replaced. Returns the path written."""
    path = Path(path)
    problem = file_target_problem(path)
    if problem:
        raise InputError(Problem(str(path), "", "", str(path), problem))
    real = _real_target(path)
    with OutputSet(_parent(real)) as out:
        out.add(real.name, data)
    return path


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write one file atomically (the name kept for callers; see :func:`write_file`)."""
    write_file(path, data)


@contextlib.contextmanager
def output_set(out: str | Path | OutputSet) -> Iterator[OutputSet]:
    """``out`` itself when it is an :class:`OutputSet` (its owner commits it), else a set for
    folder ``out`` committed when the block ends: lets a writer take either."""
    if isinstance(out, OutputSet):
        yield out
    else:
        with OutputSet(out) as files:
            yield files

"""All file access: safe YAML reading, the shipped data folders, hashes and atomic writes."""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import tempfile
from importlib import resources
from pathlib import Path

import yaml

from climaterisk.errors import OutputError, Problem

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


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that readers see either the old or the complete new content.

    The data go to a temporary file in the same folder, are flushed to disk, then renamed over
    the target. On any failure (including Ctrl-C) the temporary file is removed and the
    previous file, if any, is left as it was.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot write {path}: {folder} is a file, not a folder")
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist")
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder; give a file name")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror}") from None
        raise

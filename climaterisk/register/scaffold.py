"""A new register folder: the commented skeleton shipped with the package, or a copy of a
shipped register (or of any register folder) to edit."""

from __future__ import annotations

import difflib
import re
from importlib import resources
from pathlib import Path

from climaterisk.errors import InputError, Problem
from climaterisk.io import OutputSet
from climaterisk.register import resolve_register_path, schema, shipped_registers

SKELETON = "data/skeleton"
"""Package data folder of the skeleton register (one commented example of each entity)."""


def skeleton_files() -> dict[str, bytes]:
    """The skeleton register's files, read from the package (works from a wheel)."""
    folder = resources.files("climaterisk").joinpath(SKELETON)
    return {name: folder.joinpath(name).read_bytes()
            for name in schema.REGISTER_FILES if folder.joinpath(name).is_file()}


def register_files(source: str | Path) -> dict[str, bytes]:
    """The register files of a shipped register (by name) or of a register folder."""
    folder = resolve_register_path(source)
    if not (folder / "register.yaml").is_file():
        shipped = shipped_registers()
        close = difflib.get_close_matches(str(source), shipped, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(Problem(
            "", "", "--from", str(source),
            f"a shipped register ({', '.join(shipped)}) or a register folder{hint}",
        ))
    return {name: (folder / name).read_bytes()
            for name in schema.REGISTER_FILES if (folder / name).is_file()}


def new_register(folder: str | Path, source: str | Path | None = None) -> list[Path]:
    """Create register folder ``folder`` from the skeleton, or as a copy of ``source``.

    Refuses a folder that exists and is not empty: nothing there is ever overwritten.
    Returns the files written.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(Problem(str(folder), "", "", str(folder), "a new folder, but this is a file"))
    if folder.is_dir() and any(folder.iterdir()):
        count = sum(1 for _ in folder.iterdir())
        raise InputError(Problem(str(folder), "", "", f"{count} existing file(s)",
                                 "a new or empty folder (init never overwrites files)"))
    files = skeleton_files() if source is None else with_own_id(register_files(source), folder)
    with OutputSet(folder) as out:  # all the files, or none (and no folder left behind)
        for name, data in files.items():
            out.add(name, data)
    return [folder / name for name in files]


ID_LINE = re.compile(r"^id:[ \t]*(?P<id>[^\s#]+)[^\n]*$", re.MULTILINE)
"""The register id line of ``register.yaml`` (top level, not indented)."""


def copy_id(folder: Path, source_id: str) -> str:
    """The id of a copy in ``folder``: the folder's name as an id (other characters as ``-``),
    never the source's own id, so that the copy's history stays apart from the original's.

    >>> copy_id(Path("my register"), "kuaishou-2023")
    'my-register'
    >>> copy_id(Path("kuaishou-2023"), "kuaishou-2023")
    'kuaishou-2023-copy'
    """
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", folder.resolve().name if not folder.name else folder.name)
    name = name.strip("-.") or "register"
    if not name[0].isalnum():
        name = "r" + name
    name = name[:59]
    return name if name != source_id else f"{name}-copy"


def with_own_id(files: dict[str, bytes], folder: Path) -> dict[str, bytes]:
    """A copy's files with ``register.yaml``'s ``id`` replaced by :func:`copy_id` (the line's
    comment says where it came from; everything else is kept byte for byte)."""
    text = files.get("register.yaml", b"").decode("utf-8")
    found = ID_LINE.search(text)
    if found is None:
        return files
    source_id = found.group("id").strip("'\"")
    new_id = copy_id(folder, source_id)
    line = f"id: {new_id}  # a copy of register {source_id}, with its own id (its own history)"
    return {**files, "register.yaml": (text[:found.start()] + line + text[found.end():]).encode("utf-8")}

"""A new register folder: the commented skeleton shipped with the package, or a copy of a
shipped register (or of any register folder) to edit."""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path

from climaterisk.errors import InputError, OutputError, Problem
from climaterisk.io import atomic_write
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
    files = skeleton_files() if source is None else register_files(source)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {folder}: {exc.strerror}") from None
    written = []
    for name, data in files.items():
        atomic_write(folder / name, data)
        written.append(folder / name)
    return written

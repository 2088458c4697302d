"""Register format versions: reading an older register, and rewriting its files (``climaterisk migrate``).

``register.yaml``'s ``format_version`` says which format a register folder is written in. This
tool writes :data:`FORMAT_VERSION` and reads every version from 1 up to it; a higher version is
refused (:func:`check_version`). Format 2 only added optional fields and files, so a format-1
register is read as format 2 in memory with the defaults listed in :data:`V1_DEFAULTS`, and
:func:`notice` says so once (the command line prints it on standard error, as a
:class:`FormatNotice` warning). :func:`migrate_folder` rewrites the files: each step edits the
text line by line, so comments and layout are kept; every file is produced in memory before
any is written.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

from climaterisk.errors import Problem, RegisterError
from climaterisk.io import FileProblemError, OutputSet, read_yaml

__all__ = [
    "FORMAT_VERSION", "V1_DEFAULTS", "FormatNotice", "check_version", "file_version", "migrate_folder",
    "migrate_texts", "notice",
]

FORMAT_VERSION = 2
"""The register format this tool writes (``format_version`` in ``register.yaml``)."""

V1_DEFAULTS = (
    "sites[].iso22301.status: from `certified` (true: company, false: not_certified), else unknown",
    "bia.yaml absent: no business impact analysis",
    "ghg.yaml absent: no GHG inventory and no emission pathway (carbon_cost uses the metrics given)",
    "parameters.electricity_price_by_region / water_price_by_region absent: every site pays "
    "`electricity_price` / `water_price`",
    "regions[].common_events[].footprints absent: every site of the region has `footprint`",
    "regions[].common_events[].severity_correlation absent: 0 (independent severities)",
)
"""What a format-1 register reads as in format 2: the optional fields and files format 2 added, and
the default each takes when absent (the same defaults a format-2 register without them gets)."""


class FormatNotice(UserWarning):
    """An older register format was read by migrating it in memory (one per register folder)."""


def file_version(folder: Path) -> int | None:
    """``format_version`` of ``folder/register.yaml``, or None when it is missing or not an integer
    (the schema then reports it)."""
    try:
        raw = read_yaml(folder / "register.yaml")
    except FileProblemError:
        return None
    value = raw.get("format_version") if isinstance(raw, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_version(file: Path | str, version: object) -> int | None:
    """Refuse a version newer than this tool's (one problem); the integer version, else None."""
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    if version > FORMAT_VERSION:
        raise RegisterError(Problem(
            str(file), "", "format_version", version,
            f"a format this climaterisk reads (1 to {FORMAT_VERSION}); the register was written by a "
            "newer version: upgrade climaterisk",
        ))
    return version


def notice(folder: Path, version: int) -> str:
    """Warn (:class:`FormatNotice`) that ``folder`` in format ``version`` is read as the current one."""
    text = (f"register {folder} is format {version}; read as format {FORMAT_VERSION} "
            f"(run `climaterisk migrate --register {folder}` to update the files)")
    warnings.warn(text, FormatNotice, stacklevel=3)
    return text


# --------------------------------------------------------------------------- rewriting

_VERSION_LINE = re.compile(r"^(format_version:[ \t]*)(\d+)(?=[ \t]*(#.*)?$)", re.MULTILINE)


def _v1_to_v2(texts: dict[str, str]) -> list[str]:
    """Format 1 -> 2: only ``format_version`` changes (every field format 2 added is optional)."""
    text, n = _VERSION_LINE.subn(r"\g<1>2", texts["register.yaml"], count=1)
    if n != 1:
        raise RegisterError(Problem("register.yaml", "", "format_version", None,
                                    "a top-level line `format_version: 1` to rewrite"))
    texts["register.yaml"] = text
    return ["register.yaml: format_version 1 -> 2 (no other change; the fields format 2 added keep "
            "their defaults where absent:)", *(f"  {d}" for d in V1_DEFAULTS)]


STEPS: dict[int, Callable[[dict[str, str]], list[str]]] = {1: _v1_to_v2}
"""Per format version: the step that rewrites a folder's texts (file name -> text) to the next one."""


def migrate_texts(texts: dict[str, str], version: int) -> tuple[dict[str, str], list[str]]:
    """The texts (file name -> YAML text) of a register in ``version`` rewritten to
    :data:`FORMAT_VERSION`, and one line per change; the input is not modified."""
    out = dict(texts)
    changes: list[str] = []
    for v in range(version, FORMAT_VERSION):
        changes += STEPS[v](out)
    return out, changes


def migrate_folder(folder: Path, dry_run: bool = False) -> list[str]:
    """Rewrite the register folder ``folder`` to :data:`FORMAT_VERSION`; the changes, one line each
    (empty: already current). Every new text is produced before any file is written, and the files
    are moved in together (:class:`climaterisk.io.OutputSet`); ``dry_run`` writes nothing.
    Comments and layout are kept."""
    file = folder / "register.yaml"
    if not file.is_file():
        raise RegisterError(Problem(str(file), "", "", None, "this file (it is required)"))
    version = check_version(file, file_version(folder))
    if version is None:
        raise RegisterError(Problem(str(file), "", "format_version", None, "an integer format version"))
    if version == FORMAT_VERSION:
        return []
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))}
    new, changes = migrate_texts(texts, version)
    changed = [name for name in new if new[name] != texts[name]]
    if not dry_run and changed:
        with OutputSet(folder) as out:  # the changed files moved in together
            for name in changed:
                out.add(name, new[name])
    return changes

"""Problems of an import, reported where they are in the workbook.

The imported register is validated as YAML files; a :class:`Locator`, filled while the sheets
are read, maps each of the validator's problems (file, entry, field) back to the sheet, rows and
column headers the field came from. :func:`_without_repeats` drops the validator's problems
that repeat one already found while reading the workbook.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from climaterisk.errors import Problem
from climaterisk.outputs.spreadsheet.layout import _UNIT, METADATA_SHEET


@dataclass
class Locator:
    """Where each YAML field came from in the workbook, to report the validator's problems
    by sheet, row and column."""

    workbook: str
    cells: dict[tuple[str, str, str], list[tuple[str, int, str]]] = field(
        default_factory=lambda: defaultdict(list))
    rows: dict[tuple[str, str], list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    sheets: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, file: str, entry: str, path: str, sheet: str, row: int, header: str) -> None:
        self.cells[(file, entry, path)].append((sheet, row, header))

    def problem(self, p: Problem) -> Problem:
        file, entry, fld = Path(p.file).name, p.entry, p.field
        hits = self._hits(file, entry, fld)
        if hits:
            return self._make(hits, p)
        rows = self.rows.get((file, entry))
        if rows:
            return self._make([(s, r, fld) for s, r in rows], p)
        top = re.split(r"[.\[]", fld, maxsplit=1)[0] if fld else ""
        if not entry and (file, top) in self.sheets:
            return Problem(self.workbook, f"sheet {self.sheets[(file, top)]}", "", p.value, p.expected)
        if not entry and file == "register.yaml":
            return Problem(self.workbook, f"sheet {METADATA_SHEET}", fld, p.value, p.expected)
        return Problem(self.workbook, " ".join(x for x in (file, entry) if x), fld, p.value, p.expected)

    def _hits(self, file: str, entry: str, fld: str) -> list[tuple[str, int, str]]:
        for candidate in (fld, re.sub(r"\.value$", "", fld), re.sub(r"\[\d+\]$", "", fld)):
            found = self.cells.get((file, entry, candidate))
            if found:
                return found
        found = [hit for (f, e, path), hits in self.cells.items() if f == file and e == entry
                 and (path.startswith(f"{fld}.") or path.startswith(f"{fld}[")) for hit in hits]
        return found

    def _make(self, hits: list[tuple[str, int, str]], p: Problem) -> Problem:
        places: dict[str, list[int]] = defaultdict(list)
        headers: list[str] = []
        for sheet, row, header in hits:
            if row not in places[sheet]:
                places[sheet].append(row)
            if header not in headers:
                headers.append(header)
        entry = " / ".join(f"{sheet} row{'s' if len(rows) > 1 else ''} {', '.join(map(str, sorted(rows)))}"
                           for sheet, rows in places.items())
        return Problem(self.workbook, entry, ", ".join(headers), p.value, p.expected)


def _without_repeats(
    found: list[Problem], more: list[Problem], missing: set[tuple[str, str]],
) -> list[Problem]:
    """The validator's problems that do not repeat one already found while reading the
    workbook: the same cell (a formula without a value, then "a value" missing), a missing
    sheet, or every row of a missing required column."""
    seen = {(p.entry, p.field) for p in found}
    sheets = {p.entry for p in found if p.entry.startswith("sheet ") and not p.field}
    out: dict[str, Problem] = {}
    for p in more:
        sheet = p.entry.split(" row", 1)[0]
        if (p.entry, p.field) in seen or p.entry in sheets or (sheet, _UNIT.sub("", p.field)) in missing:
            continue
        out.setdefault(str(p), p)
    return list(out.values())

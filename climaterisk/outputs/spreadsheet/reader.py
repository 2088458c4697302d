"""Reading the sheets of a register workbook into rows of parsed cells (the import's first step).

:class:`_Reader` opens a workbook (size-checked; values and formulas both read), matches its
sheets and column headers to the layout, and parses every non-empty cell by its column's type:
text with its escapes undone, numbers, dates, booleans, ``; ``-separated lists and site
selectors. Every problem met (an unknown sheet or column, a formula without a saved value, a
missing required column) is collected with its sheet, row and column, not raised.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import posixpath
import re
import warnings
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeTree

from climaterisk.errors import InputError, Problem
from climaterisk.outputs.spreadsheet.layout import (
    _UNIT,
    EMPTY_LIST,
    EMPTY_TEXT,
    IGNORED_PREFIX,
    MAX_SHEET_COLUMNS,
    MAX_SHEET_ROWS,
    MAX_UNPACKED_BYTES,
    MAX_WORKBOOK_BYTES,
    MAX_WORKBOOK_CELLS,
    METADATA_SHEET,
    SHEET_ORDER,
    TEXT_SHEETS,
    Column,
    allows_empty,
    from_excel_text,
    map_value,
    sheet_columns,
)
from climaterisk.register import schema

# --------------------------------------------------------------------------- cells


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def _text(value: Any) -> Any:
    if isinstance(value, str):
        return from_excel_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return value


def _number(value: Any, integer: bool) -> Any:
    if isinstance(value, str):
        text = from_excel_text(value).strip()
        for convert in (int, float):
            try:
                value = convert(text)
                break
            except ValueError:
                continue
        else:
            return from_excel_text(value)
    if integer and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, str):
        return from_excel_text(value)
    return value


def _bool(value: Any) -> Any:
    if isinstance(value, str):
        text = from_excel_text(value).strip().lower()
        return {"true": True, "false": False}.get(text, value)
    return value


def _list(value: Any, selector: bool = False) -> Any:
    if not isinstance(value, str):
        return [_text(value)]
    text = from_excel_text(value).strip()
    if selector and text == "all":
        return "all"
    if text == EMPTY_LIST:
        return []
    return [item.strip() for item in text.split(";") if item.strip()]


def _parse(col: Column, value: Any) -> Any:
    node = col.node
    if col.kind in ("source", "map_source", "key"):
        return _text(value)
    if col.kind in ("list", "selector_list"):
        return _list(value)
    if col.kind == "selector":
        return _list(value, selector=True)
    if allows_empty(col) and value == EMPTY_TEXT:
        return ""
    if isinstance(node, schema.Num):  # quantity, scalar number, map value, position
        return _number(value, node.integer)
    if isinstance(node, schema.Date):
        return _date(value)
    if isinstance(node, schema.Bool):
        return _bool(value)
    return _text(value)


# --------------------------------------------------------------------------- reading


@dataclass
class _Row:
    number: int
    cells: dict[str, Any]  # column path -> parsed value (non-empty only)
    headers: dict[str, str]  # column path -> header as written


class _Reader:
    """Reads the workbook's sheets into rows of parsed cells, collecting problems."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.problems: list[Problem] = []
        self.missing: set[tuple[str, str]] = set()  # (sheet, column path) of required columns absent
        self.values, self.formulas = _load(path)
        self.sheets: dict[str, Any] = {}
        known = [*SHEET_ORDER, *TEXT_SHEETS.values()]
        for title in self.values.sheetnames:
            if title.startswith(IGNORED_PREFIX):
                continue
            state = self.values[title].sheet_state
            if state != "visible":
                how = ("can be shown only with the VBA editor" if state == "veryHidden"
                       else "is not shown in Excel (Home > Format > Hide & Unhide > Unhide Sheet)")
                self.add(f"sheet {title}", "", state, f"a visible sheet: this sheet {how}, and its rows "
                         "would be imported unseen (make it visible, or delete it)")
            match = next((k for k in known if k.lower() == title.strip().lower()), None)
            if match is None or match in self.sheets:
                close = difflib.get_close_matches(title, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.add(f"sheet {title}", "", title, "one of the register sheets " + ", ".join(known) + hint
                         + f"; sheets named with a leading '{IGNORED_PREFIX}' are not read")
                continue
            self.sheets[match] = title
        for required in (METADATA_SHEET, "sites", "risks"):
            if required not in self.sheets:
                self.add(f"sheet {required}", "", None, f"a sheet named {required}")

    def add(self, entry: str, fld: str, value: Any, expected: str) -> None:
        self.problems.append(Problem(self.name, entry, fld, value, expected))

    def cell_rows(self, name: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
        """Headers and the non-empty data rows of a sheet: (row number, values)."""
        if name not in self.sheets:
            return [], []
        ws = self.values[self.sheets[name]]
        wf = self.formulas[self.sheets[name]]
        rows = []
        headers: list[str] = []
        for i, (values, formulas) in enumerate(zip(ws.iter_rows(values_only=True),
                                                   wf.iter_rows(values_only=True), strict=False), start=1):
            out = []
            for j, (value, formula) in enumerate(zip(values, formulas, strict=False)):
                if isinstance(formula, str) and formula.startswith("=") and _is_empty(value):
                    column = headers[j] if j < len(headers) else f"column {j + 1}"
                    if name == METADATA_SHEET and "field" in headers and column in ("value", "source"):
                        field_name = str(values[headers.index("field")] or "").strip()
                        column = field_name if column == "value" else f"{field_name}.source"
                    self.add(f"{name} row {i}", column, formula,
                             "a value: this formula has no saved result (save the workbook in Excel, "
                             "or paste values)")
                    value = None
                elif not isinstance(formula, str) and formula is not None and _is_empty(value):
                    value = None  # array or data-table formulas: only their values count
                elif isinstance(value, (dt.time, dt.timedelta)):
                    column = headers[j] if j < len(headers) else f"column {j + 1}"
                    self.add(f"{name} row {i}", column, value,
                             "a number, a date or text, not a time of day or a duration (format the "
                             "cell as a number or as text)")
                    value = None
                out.append(value)
            if i == 1:
                headers = ["" if v is None else str(v).strip() for v in out]
                continue
            if all(_is_empty(v) or (isinstance(v, str) and not v.strip()) for v in out):
                continue
            rows.append((i, out))
        return headers, rows

    def table(self, name: str) -> tuple[list[_Row], dict[str, list[str]]]:
        """The rows of an entity sheet and the keys of its mapping columns."""
        headers, raw_rows = self.cell_rows(name)
        static = {c.path: c for c in sheet_columns(name)}
        maps = [c for c in static.values() if c.kind == "map"]
        by_index: dict[int, Column] = {}
        seen: dict[str, int] = {}
        map_keys: dict[str, list[str]] = defaultdict(list)
        names = {j: _UNIT.sub("", h).strip() for j, h in enumerate(headers)}
        has_unit = {j: bool(_UNIT.search(h)) for j, h in enumerate(headers)}
        for j, header in enumerate(headers):
            path = names[j]
            if path.startswith(IGNORED_PREFIX):
                continue
            if not path:
                if any(j < len(r) and not _is_empty(r[j]) for _, r in raw_rows):
                    self.add(f"{name} row 1", f"column {j + 1}", None, "a column header")
                continue
            col = static.get(path)
            if col is not None and col.kind == "map":
                col = None
            if col is None:
                col = self._map_column(path, has_unit[j], maps, names, map_keys)
            if col is None:
                allowed = [c.header for c in static.values() if c.kind != "map"]
                allowed += [f"{c.path}.<key>" for c in maps]
                close = difflib.get_close_matches(path, [c.path for c in static.values()], n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.add(f"{name} row 1", header, header,
                         "a column of this sheet: " + ", ".join(allowed) + hint
                         + f"; columns headed with a leading '{IGNORED_PREFIX}' are not read")
                continue
            if col.path in seen:
                self.add(f"{name} row 1", header, header,
                         f"one column {col.path} (it is also column {seen[col.path] + 1})")
                continue
            seen[col.path] = j
            by_index[j] = col
        if raw_rows:
            for col in static.values():
                if col.required == "yes" and col.kind != "map" and col.path not in seen:
                    self.add(f"{name} row 1", col.header, None, f"a column headed {col.header} (required)")
                    self.missing.add((name, col.path))
        rows = []
        for number, values in raw_rows:
            cells: dict[str, Any] = {}
            for j, col in by_index.items():
                value = values[j] if j < len(values) else None
                if not _is_empty(value):
                    cells[col.path] = _parse(col, value)
            rows.append(_Row(number, cells, {c.path: headers[j] for j, c in by_index.items()}))
            for col in static.values():
                if col.kind == "selector" and col.path in cells:
                    parts = [f"{col.path}.{k}" for k in ("kind", "region", "ids")
                             if f"{col.path}.{k}" in cells]
                    if parts:
                        self.add(f"{name} row {number}", ", ".join(rows[-1].headers[p] for p in parts),
                                 cells[parts[0]], f"empty when {col.path} is given: use either {col.path} "
                                 f"(all, or site ids) or the {col.path}.kind / .region / .ids columns")
                        for p in parts:
                            del cells[p]
        return rows, map_keys

    def _map_column(self, path: str, unit: bool, maps: list[Column], names: dict[int, str],
                    map_keys: dict[str, list[str]]) -> Column | None:
        for col in maps:
            if not path.startswith(col.path + ".") or len(path) == len(col.path) + 1:
                continue
            key = path[len(col.path) + 1:]
            stem = path[: -len(".source")] if path.endswith(".source") else None
            is_source = (stem is not None and not unit and map_value(col.node)[1]
                         and stem in names.values() and stem != col.path)
            if is_source:
                return Column(path, "map_source", schema.Str(), "", "no")
            map_keys[col.path].append(key)
            return Column(path, "map", map_value(col.node)[0], col.unit, "no")
        return None


def _load(path: Path):  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    name = str(path)
    if not path.exists():
        raise InputError(Problem(name, "", "", name, "an existing .xlsx workbook"))
    if not path.is_file():
        raise InputError(Problem(name, "", "", name, "an .xlsx workbook file"))
    size = path.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        raise InputError(Problem(name, "", "", f"{size} bytes",
                                 f"a workbook of at most {MAX_WORKBOOK_BYTES} bytes"))
    try:
        data = path.read_bytes()
        _check_sizes(data, name)
        with warnings.catch_warnings():  # openpyxl warns of Excel features it drops on reading
            warnings.simplefilter("ignore")
            return (load_workbook(io.BytesIO(data), data_only=True),
                    load_workbook(io.BytesIO(data), data_only=False))
    except InputError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise InputError(Problem(name, "", "", type(exc).__name__,
                                 "an .xlsx workbook (saved from Excel or LibreOffice as .xlsx)")) from None
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise InputError(Problem(name, "", "", f"{type(exc).__name__}: {exc}"[:200],
                                 "a readable .xlsx workbook")) from None


# --------------------------------------------------------------------------- sizes, before reading

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _sheet_parts(book: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet title, part name in the zip) of every worksheet, in the workbook's order."""
    rels = SafeTree.fromstring(book.read("xl/_rels/workbook.xml.rels"), forbid_dtd=True)
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(_RELS)}
    tree = SafeTree.fromstring(book.read("xl/workbook.xml"), forbid_dtd=True)
    out = []
    for sheet in tree.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_REL), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        if part in book.NameToInfo:
            out.append((sheet.get("name", part), part))
    return out


def _check_sizes(data: bytes, name: str) -> None:
    """Refuse, before openpyxl reads it, a workbook larger than the limits of
    :mod:`~climaterisk.outputs.spreadsheet.layout`: its unzipped size, then per sheet the
    dimension it declares and, streaming its XML (so a false dimension does not help), the rows,
    columns and cells it holds. Reading stops at the first limit passed. XML with a DTD or entity
    declarations (billion laughs, external entities) is refused here too."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in book.infolist())
        parts = _sheet_parts(book)
    except (zipfile.BadZipFile, KeyError, ValueError, SafeTree.ParseError):
        return  # not a workbook: openpyxl names the problem
    except DefusedXmlException as exc:
        raise InputError(Problem(name, "", "", type(exc).__name__,
                                 "an .xlsx workbook without XML DTD or entity declarations")) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputError(Problem(name, "", "", f"{unpacked} bytes unzipped",
                                 f"a workbook of at most {MAX_UNPACKED_BYTES} bytes once unzipped"))
    cells = 0
    for title, part in parts:
        try:
            cells = _check_sheet(book, part, cells)
        except _TooLargeError as exc:
            raise InputError(Problem(name, f"sheet {title}", "", exc.args[0], exc.args[1])) from None
        except DefusedXmlException as exc:
            raise InputError(Problem(name, f"sheet {title}", "", type(exc).__name__,
                                     "a sheet without XML DTD or entity declarations")) from None
        except (SafeTree.ParseError, zipfile.BadZipFile, ValueError):
            return  # a damaged part: openpyxl names the problem


class _TooLargeError(Exception):
    """Internal: (what was found, what was expected) of a sheet over a size limit."""


def _check_sheet(book: zipfile.ZipFile, part: str, cells: int) -> int:
    """Stream one sheet's XML, raising :class:`_TooLargeError` at the first limit passed; return the
    cells counted so far in the workbook."""
    rows = 0
    with book.open(part) as stream:
        for _, elem in SafeTree.iterparse(stream, events=("start",), forbid_dtd=True):
            tag = elem.tag
            if tag == f"{_MAIN}dimension":
                ref = elem.get("ref", "")
                last = _CELL_REF.match(ref.split(":")[-1])
                if last and int(last.group(2)) > MAX_SHEET_ROWS:
                    raise _TooLargeError(f"last row {int(last.group(2))} (dimension {ref})",
                                    f"a sheet of at most {MAX_SHEET_ROWS:,} rows")
                if last and _column_number(last.group(1)) > MAX_SHEET_COLUMNS:
                    raise _TooLargeError(f"last column {_column_number(last.group(1))} (dimension {ref})",
                                    f"a sheet of at most {MAX_SHEET_COLUMNS:,} columns")
            elif tag == f"{_MAIN}row":
                rows += 1
                number = elem.get("r", "")
                last_row = int(number) if number.isdigit() else rows
                if last_row > MAX_SHEET_ROWS or rows > MAX_SHEET_ROWS:
                    raise _TooLargeError(f"row {max(last_row, rows)}",
                                         f"a sheet of at most {MAX_SHEET_ROWS:,} rows")
            elif tag == f"{_MAIN}c":
                cells += 1
                ref = _CELL_REF.match(elem.get("r", ""))
                if ref and _column_number(ref.group(1)) > MAX_SHEET_COLUMNS:
                    raise _TooLargeError(f"a cell in column {_column_number(ref.group(1))} ({ref.group(0)})",
                                    f"a sheet of at most {MAX_SHEET_COLUMNS:,} columns")
                if cells > MAX_WORKBOOK_CELLS:
                    raise _TooLargeError(f"more than {MAX_WORKBOOK_CELLS:,} cells",
                                    f"a workbook of at most {MAX_WORKBOOK_CELLS:,} cells (a register has a "
                                    "few thousand)")
    return cells

"""The register as an Excel workbook, and back.

:func:`export_xlsx` writes a register folder as one workbook with a sheet per entity;
:func:`import_xlsx` reads such a workbook back into YAML register files. The sheet layout is
derived from the field specifications of :mod:`climaterisk.schema`, so every field of the YAML
format has a column:

- nested fields are flattened with dotted headers (``location.lat``, ``effect.frequency``);
- a number that may carry a source (``{value, source}``) is two columns, ``field`` and
  ``field.source``;
- lists are ``; ``-separated text (``[]`` for an empty list);
- a site selector is ``sites`` (``all`` or a list of site ids) or the ``sites.kind``,
  ``sites.region`` and ``sites.ids`` columns;
- a mapping such as a site's ``hazards`` has a column per key (``hazards.typhoon``,
  ``hazards.typhoon.source``);
- lists of entries inside an entity (a region's common events, a risk's models) have their own
  sheet, keyed by the parent's id and a position;
- headers carry the unit of the field from the schema, e.g. ``replacement_value [currency]``.

``register.yaml`` is the ``metadata`` sheet, one row per field (field, value, source, unit,
required, meaning), with its lists of entries on ``documents`` and ``reported_checks``.

Text that a spreadsheet would run as a formula (starting with ``= + - @``, tab or carriage
return) gets a leading apostrophe on export, as in :func:`climaterisk.publish.neutralise`; so
does text that already starts with an apostrophe, and the import removes exactly one such
apostrophe, so that the round trip gives back the same text. Carriage returns, the control
characters a cell cannot hold and literal ``_xHHHH_`` sequences are escaped the way Excel does
(``_x000D_``, ``_x001B_``, ``_x005F_``).

The import converts every sheet, writes the YAML files to a temporary folder and validates them
with :func:`climaterisk.register.load_register`; every problem found (in the workbook or by the
validator) is reported at once with its sheet, row and column, and nothing is written unless
there is none. Comments of the YAML files are not kept.
"""

from __future__ import annotations

import datetime as dt
import difflib
import heapq
import io
import itertools
import re
import tempfile
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from climaterisk import schema
from climaterisk.errors import InputError, OutputError, Problem, RegisterError
from climaterisk.io import FileProblemError, atomic_write, read_yaml
from climaterisk.publish import FORMULA_START, neutralise
from climaterisk.register import Register, load_register, resolve_register_path

LIST_SEPARATOR = "; "
EMPTY_LIST = "[]"
MAX_CELL_CHARS = 32_767
"""Longest text an Excel cell holds [characters]."""
MAX_WORKBOOK_BYTES = 20_000_000
"""Largest workbook read [bytes]; a register workbook is tens of kB."""
LAST_ROW = 1_048_576
IGNORED_PREFIX = "_"
"""Sheets and columns whose name starts with this are the user's own (notes, pivots) and are
not read."""

METADATA_SHEET = "metadata"
METADATA_HEADERS = ("field", "value", "source", "unit", "required", "meaning")

_EMPTY = object()
_UNIT = re.compile(r"\s*\[[^\]]*\]\s*$")
_XESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_XUNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0d\x0e-\x1f]")
"""Characters a cell cannot hold (XML 1.0), or that XML readers turn into a newline (CR)."""


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Column:
    """One column of a sheet: a field of the YAML format, flattened."""

    path: str  # YAML path relative to the row's entry, e.g. "location.lat"
    kind: str  # scalar, quantity, source, list, selector, selector_list, map, key, position
    node: schema.Node | None = None  # the leaf node (list: the item node)
    unit: str = ""
    required: str = "no"  # yes, no, or "when <parent> is given"
    doc: str = ""
    used_by: str = ""  # model types that have the field (model sheets)

    @property
    def header(self) -> str:
        return f"{self.path} [{self.unit}]" if self.unit else self.path


@dataclass(frozen=True)
class Sheet:
    """A sheet holding the entries of one list of the YAML format."""

    name: str
    file: str
    path: tuple[str, ...]  # where the list is: in the file, or (child sheets) in the parent entry
    parent: str | None = None  # parent sheet of a child sheet
    key: str | None = None  # column naming the parent's id
    entities: bool = True  # entries named by id (else by position, e.g. reported checks)

    @property
    def node(self) -> schema.Node:
        """The node of one entry (an Obj, or a Tagged for models)."""
        spec: schema.Node = schema.REGISTER_FILES[self.file]
        if self.parent is not None:
            spec = SHEETS[self.parent].node
        for name in self.path:
            spec = _field(spec, name).node
        assert isinstance(spec, schema.ListOf)
        return spec.item


SHEETS: dict[str, Sheet] = {s.name: s for s in (
    Sheet("documents", "register.yaml", ("documents",)),
    Sheet("reported_checks", "register.yaml", ("disclosure", "reported_checks"), entities=False),
    Sheet("regions", "sites.yaml", ("regions",)),
    Sheet("common_events", "sites.yaml", ("common_events",), parent="regions", key="region"),
    Sheet("sites", "sites.yaml", ("sites",)),
    Sheet("risks", "risks.yaml", ("risks",)),
    Sheet("risk_models", "risks.yaml", ("models",), parent="risks", key="risk"),
    Sheet("opportunities", "opportunities.yaml", ("opportunities",)),
    Sheet("opportunity_models", "opportunities.yaml", ("models",), parent="opportunities",
          key="opportunity"),
    Sheet("controls", "controls.yaml", ("controls",)),
    Sheet("metrics", "metrics.yaml", ("metrics",)),
    Sheet("targets", "metrics.yaml", ("targets",)),
)}
SHEET_ORDER = (METADATA_SHEET, *SHEETS)


def _field(node: schema.Node, name: str) -> schema.F:
    assert isinstance(node, schema.Obj), node
    return next(f for f in node.fields if f.name == name)


def _inner(node: schema.Node) -> schema.Node:
    return node.inner if isinstance(node, schema.Nullable) else node


def _is_entry_list(node: schema.Node) -> bool:
    node = _inner(node)
    return isinstance(node, schema.ListOf) and isinstance(node.item, (schema.Obj, schema.Tagged))


def _union(tagged: schema.Tagged) -> tuple[schema.Obj, dict[str, list[str]]]:
    """All fields of a tagged node's variants, in order, and which variants use each."""
    fields: list[schema.F] = []
    used: dict[str, list[str]] = defaultdict(list)
    for kind, obj in tagged.variants.items():
        for f in obj.fields:
            if f.name not in used:
                fields.append(schema.F(f.name, f.node, False, f.doc))
            used[f.name].append(kind)
    return schema.Obj(fields), used


def _columns(obj: schema.Obj, prefix: str = "", parent_required: bool = True) -> list[Column]:
    """The leaf columns of an object's fields, depth first, in the schema's order."""
    out: list[Column] = []
    for f in obj.fields:
        path = prefix + f.name
        if _is_entry_list(f.node):
            continue  # a sheet of its own
        node = _inner(f.node)
        if not f.required:
            required = "no"
        elif parent_required:
            required = "yes"
        else:
            required = f"when {prefix.rstrip('.')} is given"
        doc = f.doc or f.node.doc
        if isinstance(node, schema.Quantity):
            out.append(Column(path, "quantity", node, node.unit, required, doc))
            out.append(Column(f"{path}.source", "source", schema.Str(), "", "no",
                              f"source of {path}: '<document id>: <where>' or 'assumption: <basis>'"))
        elif isinstance(node, schema.Obj):
            out += _columns(node, f"{path}.", parent_required and f.required)
        elif isinstance(node, schema.ListOf):
            out.append(Column(path, "list", node.item, node.item.unit, required, doc))
        elif isinstance(node, schema.MapOf):
            out.append(Column(path, "map", node.value, node.value.unit, required, doc))
        elif isinstance(node, schema.Selector):
            out.append(Column(path, "selector", node, "", required,
                              f"{doc}: `all` or site ids; or leave empty and use the {path}.kind, "
                              f"{path}.region and {path}.ids columns (sites matching every given "
                              "kind and region filter, plus the listed ids)"))
            out.append(Column(f"{path}.kind", "selector_list", schema.Enum(schema.SITE_KINDS), "", "no",
                              "site kinds to select"))
            out.append(Column(f"{path}.region", "selector_list", schema.Id(), "", "no",
                              "region ids to select"))
            out.append(Column(f"{path}.ids", "selector_list", schema.Id(), "", "no",
                              "site ids to add"))
        else:
            out.append(Column(path, "scalar", node, node.unit, required, doc))
    return out


def sheet_columns(name: str) -> list[Column]:
    """The static columns of a sheet (a mapping field adds one column pair per key)."""
    if name == METADATA_SHEET:
        return _columns(schema.REGISTER_META)
    sheet = SHEETS[name]
    node = sheet.node
    cols: list[Column] = []
    if sheet.parent is not None:
        cols.append(Column(sheet.key or "", "key", schema.Id(), "", "yes",
                           f"id of the entry of sheet {sheet.parent} this row belongs to"))
        cols.append(Column("position", "position", schema.Num(lo=1, integer=True), "", "no",
                           f"order within the {sheet.key}, from 1 (default: the order of the rows)"))
    if isinstance(node, schema.Tagged):
        union, used = _union(node)
        cols.append(Column(node.key, "scalar", schema.Enum(tuple(node.variants)), "", "yes",
                           "model type; it decides which of the columns right of it are used"))
        for col in _columns(union):
            top = col.path.split(".")[0]
            cols.append(Column(col.path, col.kind, col.node, col.unit,
                               "no" if col.kind == "source" else f"for {', '.join(used[top])}",
                               col.doc, ", ".join(used[top])))
        return cols
    assert isinstance(node, schema.Obj)
    return cols + _columns(node)


def covered_paths() -> set[str]:
    """The YAML paths, written as in ``schema.field_rows``, that some column holds."""
    out: set[str] = set()
    for name in SHEET_ORDER:
        base = ""
        if name != METADATA_SHEET:
            sheet = SHEETS[name]
            base = ".".join(sheet.path) + "[]."
            if sheet.parent is not None:
                base = ".".join(SHEETS[sheet.parent].path) + "[]." + base
        for col in sheet_columns(name):
            if col.kind not in ("key", "position", "source", "selector_list"):
                out.add(base + col.path)
    return out


# --------------------------------------------------------------------------- cell text


def to_excel_text(text: str) -> str:
    r"""Register text as cell text: Excel's ``_xHHHH_`` escapes, then formula neutralising.

    >>> [to_excel_text(t) for t in ("=SUM(A1)", "-", "'quoted", "plain", "a\rb")]
    ["'=SUM(A1)", "'-", "''quoted", 'plain', 'a_x000D_b']
    >>> all(from_excel_text(to_excel_text(t)) == t for t in ("=x", "'=x", "''", "_x000D_", "a\r\nb"))
    True
    """
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", _XESCAPE.sub(r"_x005F_\1", text))
    shown = neutralise(text)
    if shown is text and text.startswith("'"):
        shown = "'" + text  # so that the import's removal of one apostrophe is exact
    return str(shown)


def from_excel_text(text: str) -> str:
    """Undo :func:`to_excel_text`: one added apostrophe, then the ``_xHHHH_`` escapes."""
    if text.startswith("'") and text[1:].startswith((*FORMULA_START, "'")):
        text = text[1:]
    return _XUNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _list_text(items: list, selector: bool = False) -> str:
    if not items:
        return EMPTY_LIST
    text = LIST_SEPARATOR.join(str(i) for i in items)
    if selector and text.strip() == "all":
        return text + ";"  # a list holding the one site id "all", not the keyword
    return text


# --------------------------------------------------------------------------- flatten


def _merged_order(sequences: Iterable[Iterable[str]]) -> list[str]:
    """Keys in an order that keeps the order of every sequence where they agree."""
    first: dict[str, int] = {}
    seqs = [list(s) for s in sequences]
    for seq in seqs:
        for key in seq:
            first.setdefault(key, len(first))
    after: dict[str, set[str]] = {k: set() for k in first}
    needs = dict.fromkeys(first, 0)
    for seq in seqs:
        for a, b in itertools.pairwise(seq):
            if b not in after[a]:
                after[a].add(b)
                needs[b] += 1
    ready = [(first[k], k) for k in first if needs[k] == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        _, key = heapq.heappop(ready)
        out.append(key)
        for b in after[key]:
            needs[b] -= 1
            if needs[b] == 0:
                heapq.heappush(ready, (first[b], b))
    return out + sorted((k for k in first if k not in out), key=first.get)  # cycles: first seen


def _flatten(obj: schema.Obj, data: dict, prefix: str = "") -> dict[str, Any]:
    """An entry as ``{column path: value}``."""
    cells: dict[str, Any] = {}
    for f in obj.fields:
        if f.name not in data or _is_entry_list(f.node):
            continue
        value = data[f.name]
        node = _inner(f.node)
        path = prefix + f.name
        if isinstance(node, schema.Quantity):
            _flatten_quantity(value, path, cells)
        elif isinstance(node, schema.Obj):
            if isinstance(value, dict):
                cells.update(_flatten(node, value, f"{path}."))
        elif isinstance(node, schema.ListOf):
            cells[path] = None if value is None else _list_text(value)
        elif isinstance(node, schema.MapOf):
            for key, item in (value or {}).items():
                if isinstance(node.value, schema.Quantity):
                    _flatten_quantity(item, f"{path}.{key}", cells)
                else:
                    cells[f"{path}.{key}"] = item
        elif isinstance(node, schema.Selector):
            if isinstance(value, dict):
                for key in ("kind", "region", "ids"):
                    if key in value:
                        cells[f"{path}.{key}"] = _list_text(value[key] or [])
            elif isinstance(value, list):
                cells[path] = _list_text(value, selector=True)
            else:
                cells[path] = value
        else:
            cells[path] = value
    return cells


def _flatten_quantity(value: Any, path: str, cells: dict[str, Any]) -> None:
    if isinstance(value, dict):
        cells[path] = value.get("value")
        if "source" in value:
            cells[f"{path}.source"] = value["source"]
    else:
        cells[path] = value


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(data, dict):
            return None
        data = data.get(name)
    return data


# --------------------------------------------------------------------------- export


@dataclass
class _Table:
    columns: list[Column]
    rows: list[dict[str, Any]]  # column path -> value


def _tables(raw: dict[str, dict]) -> dict[str, _Table]:
    """The register files as one table per sheet (the metadata sheet excepted)."""
    tables: dict[str, _Table] = {}
    for name, sheet in SHEETS.items():
        node = sheet.node
        columns = sheet_columns(name)
        rows: list[dict[str, Any]] = []
        if sheet.parent is None:
            entries = [(None, 0, e) for e in (_get(raw.get(sheet.file, {}), sheet.path) or [])]
        else:
            parent = SHEETS[sheet.parent]
            entries = [
                (p.get("id"), i, e)
                for p in (_get(raw.get(sheet.file, {}), parent.path) or [])
                for i, e in enumerate(_get(p, sheet.path) or [])
            ]
        for parent_id, i, entry in entries:
            if isinstance(node, schema.Tagged):
                union, _ = _union(node)
                cells = _flatten(union, {k: v for k, v in entry.items() if k != node.key})
                cells[node.key] = entry.get(node.key)
            else:
                assert isinstance(node, schema.Obj)
                cells = _flatten(node, entry)
            if sheet.parent is not None:
                cells[sheet.key or ""] = parent_id
                cells["position"] = i + 1
            rows.append(cells)
        # a mapping field: a column pair per key, keys in one order for all rows
        expanded: list[Column] = []
        for col in columns:
            if col.kind != "map":
                expanded.append(col)
                continue
            keys = _merged_order(
                [p[len(col.path) + 1:] for p in row if p.startswith(col.path + ".")
                 and not (p.endswith(".source") and p[:-len(".source")] in row)]
                for row in rows
            )
            quantity = isinstance(col.node, schema.Quantity)
            for key in keys:
                expanded.append(Column(f"{col.path}.{key}", "map", col.node, col.unit, "no",
                                       f"{col.doc}: {key}"))
                if quantity:
                    expanded.append(Column(f"{col.path}.{key}.source", "map_source", schema.Str(), "",
                                           "no", f"source of {col.path}.{key}"))
        tables[name] = _Table(expanded, rows)
    return tables


def _metadata_rows(meta: dict) -> list[tuple[Column, Any, Any]]:
    """(column, value, source) per field of register.yaml that is not a list of entries."""
    cells = _flatten(schema.REGISTER_META, meta)
    return [
        (col, cells.get(col.path), cells.get(f"{col.path}.source") if col.kind == "quantity" else None)
        for col in sheet_columns(METADATA_SHEET) if col.kind != "source"
    ]


def read_register_files(path: str | Path | None) -> tuple[Path, dict[str, dict]]:
    """A valid register folder's files as parsed YAML; raises RegisterError when invalid."""
    folder = resolve_register_path(path)
    load_register(folder)  # every problem at once, before anything is exported
    raw: dict[str, dict] = {}
    for name in schema.REGISTER_FILES:
        file = folder / name
        if file.exists():
            try:
                data = read_yaml(file)
            except FileProblemError as exc:  # pragma: no cover - load_register read it just now
                raise RegisterError(exc.problem) from None
            raw[name] = data if isinstance(data, dict) else {}
    return folder, raw


def export_xlsx(path: str | Path | None = None) -> bytes:
    """The register folder ``path`` (default: the shipped example) as workbook bytes."""
    folder, raw = read_register_files(path)
    return workbook_bytes(raw, str(folder))


def workbook_bytes(raw: dict[str, dict], origin: str = "") -> bytes:
    """Parsed register files as an .xlsx workbook: one sheet per entity."""
    from openpyxl import Workbook

    problems: list[Problem] = []
    wb = Workbook()
    wb.remove(wb.active)
    writer = _SheetWriter(origin, problems)
    ws = wb.create_sheet(METADATA_SHEET)
    writer.metadata(ws, _metadata_rows(raw.get("register.yaml", {})))
    for name, table in _tables(raw).items():
        writer.table(wb.create_sheet(name), name, table)
    if problems:
        raise InputError(problems)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


class _SheetWriter:
    """Writes cells: text escaped and neutralised, numbers exact, dates as dates, and the
    header, widths, data validation, comments and frozen panes of each sheet."""

    def __init__(self, origin: str, problems: list[Problem]) -> None:
        self.origin = origin
        self.problems = problems

    def cell(self, ws, row: int, col: int, value: Any, where: tuple[str, str]) -> Any:  # type: ignore[no-untyped-def]
        if isinstance(value, dt.datetime):
            value = value.date() if value.time() == dt.time() else value
        if isinstance(value, str):
            if len(value) > MAX_CELL_CHARS:
                limit = f"text of at most {MAX_CELL_CHARS:,} characters (an Excel cell)"
                self.problems.append(Problem(self.origin, *where, value, limit))
                value = value[:MAX_CELL_CHARS]
            value = to_excel_text(value)
        cell = ws.cell(row=row, column=col, value=value)
        if isinstance(value, float) and float(f"{value:.16g}") != value:
            cell._value = repr(value)  # openpyxl writes 16 digits; 17 keep every float exact
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
        elif isinstance(value, str):
            cell.number_format = "@"
        return value

    def header(self, ws, headers: list[str], notes: list[str]) -> None:  # type: ignore[no-untyped-def]
        from openpyxl.comments import Comment
        from openpyxl.styles import Alignment, Font, PatternFill

        fill = PatternFill("solid", fgColor="DDEBF7")
        for j, (text, note) in enumerate(zip(headers, notes, strict=True), start=1):
            cell = ws.cell(row=1, column=j, value=text)
            cell.font = Font(bold=True)
            cell.fill = fill
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if note:
                comment = Comment(note, "climaterisk")
                comment.width, comment.height = 320, 140
                cell.comment = comment

    def validation(self, ws, col: Column, ref: str) -> None:  # type: ignore[no-untyped-def]
        from openpyxl.worksheet.datavalidation import DataValidation

        node = col.node
        dv = None
        if col.kind in ("scalar",) and isinstance(node, schema.Enum):
            options = ",".join(node.options())
            if len(options) <= 250:
                dv = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
                dv.error = f"one of {', '.join(node.options())}"
        elif col.kind == "scalar" and isinstance(node, schema.Bool):
            dv = DataValidation(type="list", formula1='"TRUE,FALSE"', allow_blank=True)
            dv.error = "TRUE or FALSE"
        elif col.kind in ("scalar", "quantity", "map", "position") and isinstance(node, schema.Num):
            kind = "whole" if node.integer else "decimal"
            lo = node.lo if node.lo is not None else -schema.MAX_MAGNITUDE
            hi = node.hi if node.hi is not None else schema.MAX_MAGNITUDE
            dv = DataValidation(type=kind, operator="between", formula1=_num_text(lo),
                                formula2=_num_text(hi), allow_blank=True)
            if node.lo_open and node.hi is None:
                dv.operator, dv.formula2 = "greaterThan", None
            dv.error = node.expected()
        if dv is not None:
            dv.errorTitle = col.path
            dv.showErrorMessage = True
            ws.add_data_validation(dv)
            dv.add(ref)

    def widths(self, ws, texts: list[list[str]], wrap_over: int = 60) -> None:  # type: ignore[no-untyped-def]
        from openpyxl.styles import Alignment
        from openpyxl.utils import get_column_letter

        for j, column in enumerate(texts, start=1):
            longest = max((max((len(line) for line in t.splitlines()), default=0) for t in column), default=0)
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = min(max(10, longest + 2), wrap_over)
            if longest > wrap_over:
                for cell in ws[letter][1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")

    def metadata(self, ws, rows: list[tuple[Column, Any, Any]]) -> None:  # type: ignore[no-untyped-def]
        from openpyxl.utils import get_column_letter

        notes = ["the field of register.yaml (do not edit)", "its value",
                 "source of a number: '<document id>: <where>' or 'assumption: <basis>'",
                 "unit (for reading only)", "required (for reading only)", "meaning (for reading only)"]
        self.header(ws, list(METADATA_HEADERS), notes)
        texts: list[list[str]] = [[h] for h in METADATA_HEADERS]
        for i, (col, value, source) in enumerate(rows, start=2):
            kind = col.node.type_name() if col.node is not None else ""
            meaning = f"{col.doc} ({kind})" if col.doc else kind
            shown = [col.path, self.cell(ws, i, 2, _cell_value(col, value), ("metadata", col.path)),
                     self.cell(ws, i, 3, source, ("metadata", f"{col.path}.source")),
                     col.unit, col.required, meaning]
            for j in (1, 4, 5, 6):
                ws.cell(row=i, column=j, value=shown[j - 1])
            self.validation(ws, col, f"B{i}")
            for j, v in enumerate(shown):
                texts[j].append("" if v is None else str(v))
        self.widths(ws, texts)
        ws.column_dimensions[get_column_letter(6)].width = 60
        ws.freeze_panes = "B2"

    def table(self, ws, name: str, table: _Table) -> None:  # type: ignore[no-untyped-def]
        from openpyxl.utils import get_column_letter

        cols = table.columns
        self.header(ws, [c.header for c in cols], [_note(c) for c in cols])
        texts: list[list[str]] = [[c.header] for c in cols]
        for i, row in enumerate(table.rows, start=2):
            ident = row.get("id") or row.get(SHEETS[name].key or "") or f"row {i}"
            for j, col in enumerate(cols, start=1):
                value = _cell_value(col, row.get(col.path))
                shown = self.cell(ws, i, j, value, (f"{name} {ident}", col.header))
                texts[j - 1].append("" if shown is None else str(shown))
        for j, col in enumerate(cols, start=1):
            letter = get_column_letter(j)
            self.validation(ws, col, f"{letter}2:{letter}{LAST_ROW}")
        self.widths(ws, texts)
        ws.freeze_panes = "C2" if SHEETS[name].parent is not None else "B2"


def _cell_value(col: Column, value: Any) -> Any:
    """A date written as text in the YAML becomes a date cell."""
    if isinstance(col.node, schema.Date) and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:  # pragma: no cover - the register was validated
            return value
    return value


def _num_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _note(col: Column) -> str:
    """The header comment: type, unit, whether required, meaning."""
    if col.kind in ("source", "map_source"):
        kind = "text"
    elif col.kind in ("list", "selector_list"):
        kind = f"list of {col.node.type_name() if col.node else 'text'}, separated by '; ' ([] for none)"
    elif col.kind == "selector":
        kind = "`all` or site ids separated by '; '"
    elif col.node is not None:
        kind = col.node.type_name()
        if col.kind == "quantity":
            kind = kind.replace(" (or {value, source})", "") + f"; its source in {col.path}.source"
    else:  # pragma: no cover - every column has a node
        kind = ""
    parts = [kind, f"unit: {col.unit}" if col.unit else "", f"required: {col.required}",
             f"models: {col.used_by}" if col.used_by else "", col.doc]
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- import: cells


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
    if isinstance(node, schema.Num):  # quantity, scalar number, map value, position
        return _number(value, node.integer)
    if isinstance(node, schema.Date):
        return _date(value)
    if isinstance(node, schema.Bool):
        return _bool(value)
    return _text(value)


def _unflatten(obj: schema.Obj, cells: dict[str, Any], map_keys: dict[str, list[str]],
               prefix: str = "") -> dict:
    """``{column path: value}`` (non-empty cells only) as a nested entry, in the schema's order."""
    out: dict[str, Any] = {}
    for f in obj.fields:
        path = prefix + f.name
        node = _inner(f.node)
        if _is_entry_list(f.node):
            continue
        if isinstance(node, schema.Quantity):
            value = _quantity(cells, path)
            if value is not _EMPTY:
                out[f.name] = value
        elif isinstance(node, schema.Obj):
            sub = _unflatten(node, cells, map_keys, f"{path}.")
            if sub:
                out[f.name] = sub
        elif isinstance(node, schema.MapOf):
            mapping = {}
            for key in map_keys.get(path, []):
                if isinstance(node.value, schema.Quantity):
                    value = _quantity(cells, f"{path}.{key}")
                else:
                    value = cells.get(f"{path}.{key}", _EMPTY)
                if value is not _EMPTY:
                    mapping[key] = value
            if mapping:
                out[f.name] = mapping
        elif isinstance(node, schema.Selector):
            if path in cells:
                out[f.name] = cells[path]
            else:
                parts = {k: cells[f"{path}.{k}"] for k in ("kind", "region", "ids") if f"{path}.{k}" in cells}
                if parts:
                    out[f.name] = parts
        elif path in cells:
            out[f.name] = cells[path]
    if out:
        for f in obj.fields:
            if f.required and isinstance(f.node, schema.Nullable) and f.name not in out:
                out[f.name] = None
        return _ordered(obj, out)
    return out


def _quantity(cells: dict[str, Any], path: str) -> Any:
    value = cells.get(path, _EMPTY)
    source = cells.get(f"{path}.source", _EMPTY)
    if source is _EMPTY:
        return value
    return {"source": source} if value is _EMPTY else {"value": value, "source": source}


def _ordered(obj: schema.Node, data: dict) -> dict:
    """``data`` with its keys in the schema's order (unknown keys last)."""
    if isinstance(obj, schema.Tagged):
        kind = data.get(obj.key)
        names = [obj.key, *(f.name for f in obj.variants[kind].fields)] if kind in obj.variants else [obj.key]
    else:
        assert isinstance(obj, schema.Obj)
        names = [f.name for f in obj.fields]
    known = {k: data[k] for k in names if k in data}
    return {**known, **{k: v for k, v in data.items() if k not in known}}


# --------------------------------------------------------------------------- import: locations


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


# --------------------------------------------------------------------------- import: reading


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
        known = list(SHEET_ORDER)
        for title in self.values.sheetnames:
            if title.startswith(IGNORED_PREFIX):
                continue
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
            is_source = (stem is not None and not unit and isinstance(col.node, schema.Quantity)
                         and stem in names.values() and stem != col.path)
            if is_source:
                return Column(path, "map_source", schema.Str(), "", "no")
            map_keys[col.path].append(key)
            return Column(path, "map", col.node, col.unit, "no")
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
        with warnings.catch_warnings():  # openpyxl warns of Excel features it drops on reading
            warnings.simplefilter("ignore")
            return (load_workbook(io.BytesIO(data), data_only=True),
                    load_workbook(io.BytesIO(data), data_only=False))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise InputError(Problem(name, "", "", type(exc).__name__,
                                 "an .xlsx workbook (saved from Excel or LibreOffice as .xlsx)")) from None
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise InputError(Problem(name, "", "", f"{type(exc).__name__}: {exc}"[:200],
                                 "a readable .xlsx workbook")) from None


def _metadata(reader: _Reader, locator: Locator) -> dict:
    headers, raw_rows = reader.cell_rows(METADATA_SHEET)
    if METADATA_SHEET not in reader.sheets:
        return {}
    index = {h.lower(): j for j, h in enumerate(headers) if h}
    for needed in ("field", "value"):
        if needed not in index:
            reader.add(f"{METADATA_SHEET} row 1", needed, None, f"a column headed {needed}")
    for h in headers:
        if h and h.lower() not in METADATA_HEADERS and not h.startswith(IGNORED_PREFIX):
            reader.add(f"{METADATA_SHEET} row 1", h, h, "one of the columns " + ", ".join(METADATA_HEADERS))
    if "field" not in index or "value" not in index:
        return {}
    columns = {c.path: c for c in sheet_columns(METADATA_SHEET) if c.kind != "source"}
    cells: dict[str, Any] = {}
    seen: dict[str, int] = {}

    def at(values: list[Any], name: str) -> Any:
        j = index.get(name)
        return values[j] if j is not None and j < len(values) else None

    for number, values in raw_rows:
        where = f"{METADATA_SHEET} row {number}"
        name = at(values, "field")
        name = "" if _is_empty(name) else str(name).strip()
        value, source = at(values, "value"), at(values, "source")
        col = columns.get(name)
        if col is None:
            if _is_empty(value) and _is_empty(source) and not name:
                continue
            close = difflib.get_close_matches(name, list(columns), n=1)
            reader.add(where, "field", name or None, "a field of register.yaml"
                       + (f" (did you mean {close[0]!r}?)" if close else ""))
            continue
        if name in seen:
            reader.add(where, "field", name, f"each field once (also on row {seen[name]})")
            continue
        seen[name] = number
        locator.add("register.yaml", "", name, METADATA_SHEET, number, name)
        if not _is_empty(value):
            cells[name] = _parse(col, value)
        if not _is_empty(source):
            if col.kind == "quantity":
                cells[f"{name}.source"] = _text(source)
                locator.add("register.yaml", "", f"{name}.source", METADATA_SHEET, number, f"{name}.source")
            else:
                reader.add(where, f"{name}.source", source, "empty: only a number can have a source")
    return _unflatten(schema.REGISTER_META, cells, {})


def _read_sheet(reader: _Reader, locator: Locator, name: str) -> list[tuple[_Row, dict]]:
    """(row, entry) for every row of a top-level sheet."""
    sheet = SHEETS[name]
    node = sheet.node
    rows, map_keys = reader.table(name)
    out = []
    for i, row in enumerate(rows):
        assert isinstance(node, schema.Obj)
        entry = _unflatten(node, row.cells, map_keys)
        out.append((row, entry))
        if sheet.entities:
            names = [f"entry #{i + 1}"]
            if entry.get("id") not in (None, ""):
                names.insert(0, str(entry["id"]))
            prefix = ""
        else:
            names = [""]
            prefix = "".join(f"{p}." for p in sheet.path[:-1]) + f"{sheet.path[-1]}[{i}]."
        for entry_name in names:
            if sheet.entities:
                locator.rows[(sheet.file, entry_name)].append((name, row.number))
            else:
                locator.add(sheet.file, entry_name, prefix.rstrip("."), name, row.number,
                            ", ".join(row.headers.values()))
            for path, header in row.headers.items():
                locator.add(sheet.file, entry_name, prefix + path, name, row.number, header)
    if len(sheet.path) == 1:
        locator.sheets[(sheet.file, sheet.path[0])] = name
    return out


def _attach_children(reader: _Reader, locator: Locator, name: str,
                     parents: list[tuple[_Row, dict]]) -> None:
    """Put the rows of a child sheet (models, common events) into their parent entries."""
    sheet = SHEETS[name]
    parent = SHEETS[sheet.parent or ""]
    node = sheet.node
    key = sheet.key or ""
    rows, map_keys = reader.table(name)
    by_id: dict[str, tuple[_Row, dict]] = {}
    for prow, entry in parents:
        ident = entry.get("id")
        if ident not in (None, "") and str(ident).strip() not in by_id:
            by_id[str(ident).strip()] = (prow, entry)
    groups: dict[str, list[tuple[float, int, _Row]]] = defaultdict(list)
    positions: dict[tuple[str, int], int] = {}
    for row in rows:
        where = f"{name} row {row.number}"
        ident = row.cells.get(key)
        header = row.headers.get(key, key)
        if ident is None or not str(ident).strip():
            reader.add(where, header, None, f"the id of an entry of sheet {parent.name}")
            continue
        ident = str(ident).strip()
        if ident not in by_id:
            close = difflib.get_close_matches(ident, list(by_id), n=1)
            known = ", ".join(by_id) if len(by_id) <= 12 else f"{len(by_id)} ids"
            reader.add(where, header, ident, f"the id of an entry of sheet {parent.name} ({known or 'none'})"
                       + (f" (did you mean {close[0]!r}?)" if close else ""))
            continue
        position = row.cells.get("position")
        order: float = float("inf")
        if position is not None:
            if not isinstance(position, int) or isinstance(position, bool) or position < 1:
                reader.add(where, row.headers.get("position", "position"), position, "an integer >= 1")
                continue
            if (ident, position) in positions:
                other = positions[(ident, position)]
                reader.add(where, row.headers.get("position", "position"), position,
                           f"a position not used by another row of {ident} (row {other})")
                continue
            positions[(ident, position)] = row.number
            order = position
        groups[ident].append((order, row.number, row))
    for ident, items in groups.items():
        prow, entry = by_id[ident]
        entry_name = str(entry["id"])
        children = []
        for i, (_, _, row) in enumerate(sorted(items, key=lambda t: (t[0], t[1]))):
            cells = {k: v for k, v in row.cells.items() if k not in (key, "position")}
            if isinstance(node, schema.Tagged):
                union, _ = _union(node)
                child = _unflatten(union, cells, map_keys)
                if node.key in cells:
                    child = {node.key: cells[node.key], **child}
                child = _ordered(node, child)
            else:
                assert isinstance(node, schema.Obj)
                child = _unflatten(node, cells, map_keys)
            children.append(child)
            prefix = f"{'.'.join(sheet.path)}[{i}]"
            for path, header in row.headers.items():
                if path not in (key, "position"):
                    locator.add(sheet.file, entry_name, f"{prefix}.{path}", name, row.number, header)
            locator.add(sheet.file, entry_name, prefix, name, row.number, _header_list(row))
        entry[sheet.path[-1]] = children
    for prow, entry in parents:
        ident = entry.get("id")
        if ident not in (None, ""):
            locator.add(parent.file, str(ident), sheet.path[-1], parent.name, prow.number,
                        f"{sheet.path[-1]} (rows of sheet {name})")


def _header_list(row: _Row) -> str:
    return ", ".join(h for p, h in row.headers.items() if p != "position")


def workbook_files(
    path: str | Path,
) -> tuple[dict[str, dict], Locator, list[Problem], set[tuple[str, str]]]:
    """The YAML content of each register file from a workbook, where each field came from,
    the problems met while reading (the validator's come later) and the required columns
    missing from their sheets."""
    path = Path(path)
    reader = _Reader(path)
    locator = Locator(str(path))
    meta = _metadata(reader, locator)
    tables = {name: _read_sheet(reader, locator, name) for name, s in SHEETS.items() if s.parent is None}
    for name, sheet in SHEETS.items():
        if sheet.parent is not None:
            _attach_children(reader, locator, name, tables[sheet.parent])

    def entries(name: str) -> list[dict]:
        node = SHEETS[name].node
        return [_ordered(node, e) for _, e in tables[name]]

    if tables["documents"]:
        meta["documents"] = entries("documents")
    if tables["reported_checks"]:
        meta.setdefault("disclosure", {})["reported_checks"] = entries("reported_checks")
        meta["disclosure"] = _ordered(_field(schema.REGISTER_META, "disclosure").node, meta["disclosure"])
    files: dict[str, dict] = {"register.yaml": _ordered(schema.REGISTER_META, meta)}
    sites: dict[str, Any] = {}
    if tables["regions"]:
        sites["regions"] = entries("regions")
    sites["sites"] = entries("sites")
    files["sites.yaml"] = sites
    files["risks.yaml"] = {"risks": entries("risks")}
    for file, names in (("opportunities.yaml", ("opportunities",)), ("controls.yaml", ("controls",)),
                        ("metrics.yaml", ("metrics", "targets"))):
        content = {n: entries(n) for n in names if tables[n]}
        if content:
            files[file] = content
    return files, locator, reader.problems, reader.missing


# --------------------------------------------------------------------------- YAML out


class _Dumper(yaml.SafeDumper):
    """Plain YAML: no anchors or aliases, multi-line text as blocks, short leaf mappings and
    lists of scalars on one line."""

    def ignore_aliases(self, data: object) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # list items indented under their key


def _scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list)) and not (isinstance(value, str) and "\n" in value)


def _represent_str(dumper: _Dumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_dict(dumper: _Dumper, value: dict) -> yaml.Node:
    flow = 0 < len(value) <= 4 and all(_scalar(v) for v in value.values()) and "id" not in value
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=flow)


def _represent_list(dumper: _Dumper, value: list) -> yaml.Node:
    flow = all(_scalar(v) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def dump_yaml(data: dict, origin: str = "") -> str:
    """A register file as plain YAML (keys in the given order; no anchors)."""
    head = f"# Written by climaterisk import-xlsx{f' from {Path(origin).name}' if origin else ''}.\n"
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000,
                     default_flow_style=False)
    return head + body


# --------------------------------------------------------------------------- import


def _folder_problem(out: Path, force: bool) -> Problem | None:
    if out.exists() and not out.is_dir():
        return Problem(str(out), "", "", str(out), "a folder to write the register into, but this is a file")
    if out.is_dir() and not force:
        count = sum(1 for _ in out.iterdir())
        if count:
            return Problem(str(out), "", "", f"{count} existing file(s)",
                           "an empty or new folder (use --force to overwrite the register files in it)")
    return None


def convert_workbook(path: str | Path) -> tuple[dict[str, str], Register]:
    """A workbook as validated register files ``{name: YAML text}``, and the register they
    hold; raises InputError listing every problem (by sheet, row and column) when the workbook
    or the register is invalid."""
    path = Path(path)
    files, locator, problems, missing = workbook_files(path)
    texts = {name: dump_yaml(data, str(path)) for name, data in files.items()}
    with tempfile.TemporaryDirectory(prefix="climaterisk-import-") as tmp:
        folder = Path(tmp) / "register"
        folder.mkdir()
        for name, text in texts.items():
            (folder / name).write_text(text, encoding="utf-8")
        try:
            register = load_register(folder)
        except RegisterError as exc:
            problems += _without_repeats(problems, [locator.problem(p) for p in exc.problems], missing)
    if problems:
        raise InputError(problems)
    return texts, register


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


def import_xlsx(path: str | Path, out: str | Path, force: bool = False) -> list[Path]:
    """Write the register held by workbook ``path`` into folder ``out``; return the files written.

    See :func:`import_register` for the register as well.
    """
    return import_register(path, out, force)[0]


def import_register(path: str | Path, out: str | Path, force: bool = False) -> tuple[list[Path], Register]:
    """Write the register held by workbook ``path`` into folder ``out``; return the files
    written and the register (as validated before writing).

    Refuses a non-empty folder unless ``force``; then overwrites the register files (an
    optional file the workbook leaves empty is rewritten empty, so no stale entries stay) and
    never deletes any file. Nothing is written when there is any problem.
    """
    out = Path(out)
    folder_problem = _folder_problem(out, force)
    try:
        texts, register = convert_workbook(path)
    except InputError as exc:
        raise InputError([*([folder_problem] if folder_problem else []), *exc.problems]) from None
    if folder_problem:
        raise InputError(folder_problem)
    for name in ("opportunities.yaml", "controls.yaml", "metrics.yaml"):
        if name not in texts and (out / name).exists():
            texts[name] = dump_yaml({f.name: [] for f in schema.REGISTER_FILES[name].fields}, str(path))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {out}: {exc.strerror}") from None
    written = []
    for name in schema.REGISTER_FILES:
        if name in texts:
            atomic_write(out / name, texts[name])
            written.append(out / name)
    return written, register

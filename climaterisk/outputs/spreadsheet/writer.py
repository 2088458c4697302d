"""Writing a register as an Excel workbook (the export).

:func:`export_xlsx` reads and validates a register folder, flattens each entry into one row of
its sheet (``{column path: value}``; a mapping field gets a column pair per key, keys in one
order for all rows) and writes the workbook: text escaped and neutralised, numbers exact, dates
as dates, and each sheet with its header comments, column widths, data validation and frozen
panes.
"""

from __future__ import annotations

import datetime as dt
import heapq
import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from climaterisk.errors import InputError, Problem, RegisterError
from climaterisk.io import FileProblemError, read_yaml
from climaterisk.outputs.spreadsheet.layout import (
    EMPTY_TEXT,
    LAST_ROW,
    MAX_CELL_CHARS,
    METADATA_HEADERS,
    METADATA_SHEET,
    SHEETS,
    TEXT_SHEETS,
    Column,
    _inner,
    _is_entry_list,
    _list_text,
    _union,
    allows_empty,
    map_entry_column,
    map_value,
    sheet_columns,
    sourced_field,
    to_excel_text,
)
from climaterisk.register import load_register, resolve_register_path, schema

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
        if isinstance(node, (schema.Quantity, schema.SourcedDate)):
            _flatten_quantity(value, path, cells)
        elif isinstance(node, schema.Obj):
            if isinstance(value, dict):
                cells.update(_flatten(node, value, f"{path}."))
        elif isinstance(node, schema.ListOf):
            cells[path] = None if value is None else _list_text(value)
        elif isinstance(node, schema.MapOf):
            sourced = sourced_field(node.value)
            for key, item in (value or {}).items():
                if isinstance(node.value, schema.Quantity):
                    _flatten_quantity(item, f"{path}.{key}", cells)
                elif sourced is not None and isinstance(item, dict):  # {category, source}
                    if sourced in item:
                        cells[f"{path}.{key}"] = item[sourced]
                    if "source" in item:
                        cells[f"{path}.{key}.source"] = item["source"]
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
        if sheet.parent is not None:  # a list written empty ([]): a row with the parent's id alone
            rows += [{sheet.key or "": p.get("id")}
                     for p in (_get(raw.get(sheet.file, {}), SHEETS[sheet.parent].path) or [])
                     if isinstance(p, dict) and _get(p, sheet.path) == []]
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
            node, quantity = map_value(col.node)
            for key in keys:
                expanded.append(Column(f"{col.path}.{key}", "map", node, col.unit, "no",
                                       f"{col.doc}: {key}"))
                if quantity:
                    expanded.append(Column(f"{col.path}.{key}.source", "map_source", schema.Str(), "",
                                           "no", f"source of {col.path}.{key}"))
        tables[name] = _Table(expanded, rows)
    return tables


def _metadata_rows(meta: dict) -> list[tuple[Column, Any, Any]]:
    """(column, value, source) per field of register.yaml that is not a list of entries."""
    cells = _flatten(schema.REGISTER_META, meta)
    rows: list[tuple[Column, Any, Any]] = []
    for col in sheet_columns(METADATA_SHEET):
        if col.kind == "source":
            continue
        keys = [p[len(col.path) + 1:] for p in cells
                if col.kind == "map" and p.startswith(f"{col.path}.") and not p.endswith(".source")]
        if not keys:  # a scalar or quantity, or an empty map (one empty row)
            rows.append((col, cells.get(col.path),
                         cells.get(f"{col.path}.source") if col.kind == "quantity" else None))
        for key in keys:  # a map (a tariff table by region): one row per key, `<map>.<key>`
            _, quantity = map_value(col.node)
            rows.append((map_entry_column(col, key), cells.get(f"{col.path}.{key}"),
                         cells.get(f"{col.path}.{key}.source") if quantity else None))
    return rows


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
    for file, sheet in TEXT_SHEETS.items():
        if not raw.get(file):
            continue
        ws = wb.create_sheet(sheet)
        ws.cell(row=1, column=1, value=f"{file} (YAML text, one line a row)")
        text = yaml.safe_dump(raw[file], sort_keys=False, allow_unicode=True, width=100_000)
        for i, line in enumerate(text.splitlines(), start=2):
            ws.cell(row=i, column=1, value=to_excel_text(line))
        ws.column_dimensions["A"].width = 120
        ws.freeze_panes = "B2"
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

    def cell(self, ws, row: int, col: int, value: Any, where: tuple[str, str],  # type: ignore[no-untyped-def]
             empty_text: bool = False) -> Any:
        if isinstance(value, dt.datetime):
            value = value.date() if value.time() == dt.time() else value
        if isinstance(value, str):
            if len(value) > MAX_CELL_CHARS:
                limit = f"text of at most {MAX_CELL_CHARS:,} characters (an Excel cell)"
                self.problems.append(Problem(self.origin, *where, value, limit))
                value = value[:MAX_CELL_CHARS]
            if empty_text and value == "":
                value = EMPTY_TEXT  # an empty cell is an absent field
            else:
                value = to_excel_text(value)
                if empty_text and value == EMPTY_TEXT:
                    value = '_x0022_"'  # the text "", not the empty text
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
        if col.kind in ("scalar", "quantity", "map") and isinstance(node, schema.Enum):
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
            if allows_empty(col):
                kind += f"; {EMPTY_TEXT} for an empty text"
            meaning = f"{col.doc} ({kind})" if col.doc else kind
            shown = [col.path, self.cell(ws, i, 2, _cell_value(col, value), ("metadata", col.path),
                                         allows_empty(col)),
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
                shown = self.cell(ws, i, j, value, (f"{name} {ident}", col.header), allows_empty(col))
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
    if allows_empty(col):
        kind += f"; {EMPTY_TEXT} for an empty text"
    parts = [kind, f"unit: {col.unit}" if col.unit else "", f"required: {col.required}",
             f"models: {col.used_by}" if col.used_by else "", col.doc]
    return "\n".join(p for p in parts if p)

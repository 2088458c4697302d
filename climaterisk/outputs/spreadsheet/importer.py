"""Reading a register workbook back into YAML register files (the import).

:func:`workbook_files` reads the metadata sheet and every entity sheet (with
:mod:`~climaterisk.outputs.spreadsheet.reader`), unflattens each row into an entry in the schema's key
order and puts the rows of child sheets (models, common events) into their parent entries.
:func:`convert_workbook` writes the files to a temporary folder and validates them with
:func:`climaterisk.register.load_register`; every problem found (in the workbook or by the
validator) is reported at once with its sheet, row and column, and :func:`import_register`
writes nothing unless there is none. Comments of the YAML files are not kept.
"""

from __future__ import annotations

import difflib
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from climaterisk.errors import InputError, Problem, RegisterError
from climaterisk.io import FileProblemError, OutputSet, folder_target_problem, read_yaml
from climaterisk.outputs.spreadsheet.layout import (
    IGNORED_PREFIX,
    METADATA_HEADERS,
    METADATA_SHEET,
    SHEETS,
    TEXT_SHEETS,
    _field,
    _inner,
    _is_entry_list,
    _union,
    from_excel_text,
    map_entry_column,
    sheet_columns,
    sourced_field,
)
from climaterisk.outputs.spreadsheet.locator import Locator, _without_repeats
from climaterisk.outputs.spreadsheet.reader import _is_empty, _parse, _Reader, _Row, _text
from climaterisk.register import Register, load_register, schema

_EMPTY = object()


# --------------------------------------------------------------------------- import: entries


def _unflatten(obj: schema.Obj, cells: dict[str, Any], map_keys: dict[str, list[str]],
               prefix: str = "") -> dict:
    """``{column path: value}`` (non-empty cells only) as a nested entry, in the schema's order."""
    out: dict[str, Any] = {}
    for f in obj.fields:
        path = prefix + f.name
        node = _inner(f.node)
        if _is_entry_list(f.node):
            continue
        if isinstance(node, (schema.Quantity, schema.SourcedDate)):
            value = _quantity(cells, path)
            if value is not _EMPTY:
                out[f.name] = value
        elif isinstance(node, schema.Obj):
            sub = _unflatten(node, cells, map_keys, f"{path}.")
            if sub:
                out[f.name] = sub
        elif isinstance(node, schema.MapOf):
            mapping = {}
            sourced = sourced_field(node.value)
            for key in map_keys.get(path, []):
                if isinstance(node.value, schema.Quantity):
                    value = _quantity(cells, f"{path}.{key}")
                elif sourced is not None:  # {category, source}
                    parts = {name: cells[p] for name, p in ((sourced, f"{path}.{key}"),
                                                            ("source", f"{path}.{key}.source")) if p in cells}
                    value = parts or _EMPTY
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


# --------------------------------------------------------------------------- import: sheets


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
    map_keys: dict[str, list[str]] = defaultdict(list)

    def at(values: list[Any], name: str) -> Any:
        j = index.get(name)
        return values[j] if j is not None and j < len(values) else None

    for number, values in raw_rows:
        where = f"{METADATA_SHEET} row {number}"
        name = at(values, "field")
        name = "" if _is_empty(name) else str(name).strip()
        value, source = at(values, "value"), at(values, "source")
        col = columns.get(name)
        if col is None and "." in name:  # a key of a mapping field: `<map>.<key>`
            parent, key = name.rsplit(".", 1)
            if parent in columns and columns[parent].kind == "map" and key:
                col = map_entry_column(columns[parent], key)
                map_keys[parent].append(key)
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
    return _unflatten(schema.REGISTER_META, cells, map_keys)


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
    empty: set[str] = set()
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
        if all(v is None or v == "" for k, v in row.cells.items() if k != key):
            empty.add(ident)  # the parent's id alone: its list is written empty ([])
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
    for ident in sorted(empty - set(groups)):
        by_id[ident][1][sheet.path[-1]] = []
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
    for name in ("reported_checks", "reliefs"):  # lists of entries of register.yaml's disclosure
        if tables[name]:
            meta.setdefault("disclosure", {})[SHEETS[name].path[-1]] = entries(name)
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
    if tables["bia_activities"]:
        files["bia.yaml"] = {"activities": entries("bia_activities")}
    for file, sheet in TEXT_SHEETS.items():
        _, rows = reader.cell_rows(sheet)
        if not rows:
            continue
        text = "\n".join(from_excel_text(str(r[0])) for _, r in rows if r and r[0] is not None)
        with tempfile.TemporaryDirectory(prefix="climaterisk-sheet-") as tmp:
            part = Path(tmp) / file
            part.write_text(text, encoding="utf-8")
            try:  # the register's own checked YAML reader: no aliases (alias bombs), tags or deep nesting
                files[file] = read_yaml(part, reader.name)
            except FileProblemError as exc:
                found = exc.problem
                reader.add(f"sheet {sheet}", found.field, found.value,
                           f"{found.expected}: the YAML text of {file}")
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
        try:
            count = sum(1 for _ in out.iterdir())
        except OSError as exc:
            return Problem(str(out), "", "", str(out), f"a folder you can read ({exc.strerror})")
        if count:
            return Problem(str(out), "", "", f"{count} existing file(s)",
                           "an empty or new folder (use --force to overwrite the register files in it)")
    unwritable = folder_target_problem(out, creating=True)
    if unwritable:
        return Problem(str(out), "", "", str(out), unwritable)
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
    never deletes any file. Nothing is written when there is any problem, and the files are moved
    in together (:class:`climaterisk.io.OutputSet`): a failure part-way changes none of them.
    """
    out = Path(out)
    folder_problem = _folder_problem(out, force)
    try:
        texts, register = convert_workbook(path)
    except InputError as exc:
        raise InputError([*([folder_problem] if folder_problem else []), *exc.problems]) from None
    if folder_problem:
        raise InputError(folder_problem)
    for name in ("opportunities.yaml", "controls.yaml", "metrics.yaml", "bia.yaml"):
        if name not in texts and (out / name).exists():
            texts[name] = dump_yaml({f.name: [] for f in schema.REGISTER_FILES[name].fields}, str(path))
    with OutputSet(out) as files:  # every register file moved in together, or none
        for name in schema.REGISTER_FILES:
            if name in texts:
                files.add(name, texts[name])
    return files.written, register

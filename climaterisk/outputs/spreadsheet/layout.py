"""The layout of a register workbook, shared by the export and the import.

The sheets (:data:`SHEETS`, in :data:`SHEET_ORDER`) and their columns (:func:`sheet_columns`)
are derived from the field specifications of :mod:`climaterisk.register.schema`: nested fields are
flattened with dotted headers, a number or a date with a source is two columns, a site selector is the
``sites`` column or the ``sites.kind``, ``sites.region`` and ``sites.ids`` columns, and lists of
entries inside an entity have sheets of their own keyed by the parent's id. The module also
holds the escaping of cell text (:func:`to_excel_text` and its inverse :func:`from_excel_text`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from climaterisk.escape import formula_like, neutralise
from climaterisk.register import schema

LIST_SEPARATOR = "; "
EMPTY_LIST = "[]"
EMPTY_TEXT = '""'
"""An empty text where the format allows one (``disclosure.statements``: given, but not stated);
a text that is itself two double quotes is written ``_x0022_"``, Excel's escape of its first quote."""
MAX_CELL_CHARS = 32_767
"""Longest text an Excel cell holds [characters]."""
MAX_WORKBOOK_BYTES = 20_000_000
"""Largest workbook read [bytes]; a register workbook is tens of kB."""
MAX_UNPACKED_BYTES = 100_000_000
"""Largest total size of the parts of a workbook once unzipped [bytes] (a zip bomb is refused)."""
MAX_SHEET_ROWS = 10_000
"""Most rows a sheet may reach (its last used row) [rows]; a register sheet has one per entry."""
MAX_SHEET_COLUMNS = 1_000
"""Most columns a sheet may reach [columns]; the widest register sheet has about a hundred."""
MAX_WORKBOOK_CELLS = 200_000
"""Most cells (written in the file, empty or not) a workbook may hold [cells]; a register has a
few thousand."""
LAST_ROW = 1_048_576
IGNORED_PREFIX = "_"
"""Sheets and columns whose name starts with this are the user's own (notes, pivots) and are
not read."""

METADATA_SHEET = "metadata"
METADATA_HEADERS = ("field", "value", "source", "unit", "required", "meaning")

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
    Sheet("reliefs", "register.yaml", ("disclosure", "reliefs"), entities=False),
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
    Sheet("target_milestones", "metrics.yaml", ("milestones",), parent="targets", key="target"),
    Sheet("bia_activities", "bia.yaml", ("activities",)),
)}
SHEET_ORDER = (METADATA_SHEET, *SHEETS)
TEXT_SHEETS = {"ghg.yaml": "ghg_yaml", "plan.yaml": "plan_yaml"}
"""Register files that travel through the workbook as YAML text, one line a row in column A:
the GHG inventory and the transition plan, whose tabular layouts are still to come; as text they
survive an export and import unchanged."""
GHG_SHEET = TEXT_SHEETS["ghg.yaml"]


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
        if isinstance(node, (schema.Quantity, schema.SourcedDate)):
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


def sourced_field(node: schema.Node | None) -> str | None:
    """The value field of a sourced object, one field and its ``source`` (a water-stress class
    ``{category, source}``), which is laid out like a quantity: the value, and its source beside it."""
    if isinstance(node, schema.Obj) and len(node.fields) == 2 and node.fields[1].name == "source" \
            and not isinstance(_inner(node.fields[0].node), (schema.Obj, schema.ListOf, schema.MapOf)):
        return node.fields[0].name
    return None


def map_value(node: schema.Node | None) -> tuple[schema.Node | None, bool]:
    """The node of a mapping's value cell and whether a source goes beside it: a quantity's, or
    a sourced object's value field (:func:`sourced_field`)."""
    name = sourced_field(node)
    if name is not None:
        assert isinstance(node, schema.Obj)
        return _inner(_field(node, name).node), True
    return node, isinstance(node, schema.Quantity)


def allows_empty(col: Column) -> bool:
    """Whether the column holds text that may be empty (written :data:`EMPTY_TEXT`)."""
    return col.kind in ("scalar", "map") and isinstance(col.node, schema.Str) and col.node.allow_empty


def map_entry_column(col: Column, key: str) -> Column:
    """The metadata-sheet row of one key of a mapping field (``<map>.<key>``, e.g.
    ``parameters.electricity_price_by_region.inner_mongolia``): a quantity or scalar of the map's
    values; a sourced object (``disclosure.water_stress_by_region.<region>``) is its value and source."""
    node, sourced = map_value(col.node)
    kind = "quantity" if sourced else "scalar"
    return Column(f"{col.path}.{key}", kind, node, col.unit, "no", col.doc)


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
            if col.kind == "map" and sourced_field(col.node) is not None:
                assert isinstance(col.node, schema.Obj)
                out.update(f"{base}{col.path}.<key>.{f.name}" for f in col.node.fields)
    return out


# --------------------------------------------------------------------------- cell text


def to_excel_text(text: str) -> str:
    r"""Register text as cell text: Excel's ``_xHHHH_`` escapes, then formula neutralising.

    >>> [to_excel_text(t) for t in ("=SUM(A1)", "-", "'quoted", "plain", "a\rb")]
    ["'=SUM(A1)", "'-", "''quoted", 'plain', 'a_x000D_b']
    >>> all(from_excel_text(to_excel_text(t)) == t
    ...     for t in ("=x", "'=x", "''", "_x000D_", "a\r\nb", " =x", "'' =x", '"@x', "'"))
    True
    """
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", _XESCAPE.sub(r"_x005F_\1", text))
    shown = neutralise(text)
    if shown is text and text.startswith("'"):
        shown = "'" + text  # so that the import's removal of one apostrophe is exact
    return str(shown)


def from_excel_text(text: str) -> str:
    """Undo :func:`to_excel_text`: one added apostrophe, then the ``_xHHHH_`` escapes."""
    if text.startswith("'") and (formula_like(text[1:]) or text[1:].startswith("'")):
        text = text[1:]
    return _XUNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _list_text(items: list, selector: bool = False) -> str:
    if not items:
        return EMPTY_LIST
    text = LIST_SEPARATOR.join(str(i) for i in items)
    if selector and text.strip() == "all":
        return text + ";"  # a list holding the one site id "all", not the keyword
    return text

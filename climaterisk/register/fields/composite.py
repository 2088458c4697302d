"""Composite field nodes: types built from other nodes, and the walk that documents them.

Nullable values, lists, mappings, objects with named fields (:class:`F`, :class:`Obj`), tagged
variants, and the expert estimates :func:`Interval` and :func:`Uniform` (objects whose range
rule records the pair as provenance). :func:`field_rows` walks any node depth first into the rows
of a docs field table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from climaterisk.register.fields.base import (
    ID_PATTERN,
    INVALID,
    At,
    Enum,
    Id,
    Node,
    Num,
    Provenance,
    Str,
    _did_you_mean,
    _unknown_key,
    check_source,
)


@dataclass
class Nullable(Node):
    inner: Node = field(default_factory=Node)

    def check(self, value: Any, at: At) -> Any:
        return None if value is None else self.inner.check(value, at)

    def json_schema(self) -> dict:
        return {"oneOf": [{"type": "null"}, self.inner.json_schema()]}

    def type_name(self) -> str:
        return self.inner.type_name() + " or null"

    @property
    def doc(self) -> str:  # type: ignore[override]
        return self.inner.doc

    @property
    def unit(self) -> str:  # type: ignore[override]
        return self.inner.unit


@dataclass
class ListOf(Node):
    item: Node = field(default_factory=Node)
    min_items: int = 0
    entities: bool = False
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if value is None and self.min_items == 0:
            return []
        if not isinstance(value, list):
            return at.error(value, f"a list{'' if not self.entities else ' of entries'}")
        if len(value) < self.min_items:
            return at.error(value, f"a list of at least {self.min_items} item(s)")
        out = []
        first: dict[Any, int] = {}  # of a list of ids or choices: item -> index where first listed
        for i, item in enumerate(value):
            if self.entities:
                ident = item.get("id") if isinstance(item, dict) else None
                sub = at.entity(str(ident) if ident not in (None, "") else f"entry #{i + 1}")
                sub.path = ""
            else:
                sub = at.sub(f"[{i}]")
            checked = self.item.check(item, sub)
            if checked is INVALID:
                continue
            if self.unique_items:
                if checked in first:
                    sub.error(item, f"each item once ({checked} is already item [{first[checked]}]; "
                                    "listed twice it would count twice)")
                    continue
                first[checked] = i
            out.append(checked)
        return out

    @property
    def unique_items(self) -> bool:
        """Whether an item may be listed only once: in lists of ids and of choices (a control,
        site or emission listed twice would count twice)."""
        item = self.item
        return isinstance(item, Enum) or (isinstance(item, Str) and item.pattern is ID_PATTERN)

    def json_schema(self) -> dict:
        out: dict = {"type": "array", "items": self.item.json_schema()}
        if self.min_items:
            out["minItems"] = self.min_items
        if self.unique_items:
            out["uniqueItems"] = True
        return out

    def type_name(self) -> str:
        inner = self.item.type_name() if not isinstance(self.item, (Obj, Tagged)) else "entries"
        return f"list of {inner}"

    def children(self) -> list[tuple[str, Node, bool, str]]:
        return [("[]", self.item, True, "")] if isinstance(self.item, (Obj, Tagged)) else []


@dataclass
class MapOf(Node):
    value: Node = field(default_factory=Node)
    key: Node = field(default_factory=lambda: Id())
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            return at.error(value, "a mapping of key: value")
        out = {}
        for k, v in value.items():
            sub = at.sub(str(k))
            key = self.key.check(k, sub)
            checked = self.value.check(v, sub)
            if key is not INVALID and checked is not INVALID:
                out[key] = checked
        return out

    def json_schema(self) -> dict:
        return {"type": "object", "additionalProperties": self.value.json_schema()}

    def type_name(self) -> str:
        return f"mapping {self.key.type_name()} -> {self.value.type_name()}"

    def children(self) -> list[tuple[str, Node, bool, str]]:
        return [("<key>", self.value, True, "")] if isinstance(self.value, (Obj, Tagged, MapOf)) else []


@dataclass
class F:
    """A field of an object: its name, type, whether it is required, what it means."""

    name: str
    node: Node
    required: bool = True
    doc: str = ""


@dataclass
class Obj(Node):
    fields: list[F] = field(default_factory=list)
    doc: str = ""
    unit: str = ""
    checks: list[Callable[[dict, At], None]] = field(default_factory=list)

    def check(self, value: Any, at: At) -> Any:
        if not isinstance(value, dict):
            return at.error(value, "a mapping with keys " + ", ".join(f.name for f in self.fields))
        names = [f.name for f in self.fields]
        for key in value:
            if key not in names:
                _unknown_key(key, names, at)
        out: dict = {}
        ok = True
        for f in self.fields:
            sub = at.sub(f.name)
            if f.name not in value or (value[f.name] is None and not isinstance(f.node, Nullable)):
                if f.required and not (f.name in value and isinstance(f.node, (ListOf, MapOf))):
                    sub.error(value.get(f.name), f"a value ({f.node.type_name()})")
                    ok = False
                elif f.name in value:
                    out[f.name] = f.node.check(None, sub)
                continue
            checked = f.node.check(value[f.name], sub)
            if checked is INVALID:
                ok = False
            else:
                out[f.name] = checked
        if ok:
            for rule in self.checks:
                rule(out, at)
        return out if ok else INVALID

    def json_schema(self) -> dict:
        return {
            "type": "object",
            "properties": {f.name: _described(f) for f in self.fields},
            "required": [f.name for f in self.fields if f.required],
            "additionalProperties": False,
        }

    def type_name(self) -> str:
        return "mapping"

    def children(self) -> list[tuple[str, Node, bool, str]]:
        return [(f.name, f.node, f.required, f.doc) for f in self.fields]


@dataclass
class Tagged(Node):
    """A mapping whose ``type`` key chooses which fields it has."""

    variants: dict[str, Obj] = field(default_factory=dict)
    key: str = "type"
    doc: str = ""
    unit: str = ""

    def check(self, value: Any, at: At) -> Any:
        if not isinstance(value, dict):
            return at.error(value, f"a mapping with a `{self.key}` key")
        kind = value.get(self.key)
        if kind not in self.variants:
            hint = _did_you_mean(kind, list(self.variants))
            return at.sub(self.key).error(kind, f"one of {', '.join(self.variants)}{hint}")
        rest = {k: v for k, v in value.items() if k != self.key}
        checked = self.variants[kind].check(rest, at)
        if checked is INVALID:
            return INVALID
        checked[self.key] = kind
        return checked

    def json_schema(self) -> dict:
        variants = []
        for name, obj in self.variants.items():
            schema = obj.json_schema()
            schema["properties"] = {self.key: {"const": name}, **schema["properties"]}
            schema["required"] = [self.key, *schema["required"]]
            variants.append(schema)
        return {"oneOf": variants}

    def type_name(self) -> str:
        return "mapping chosen by `type`"

    def children(self) -> list[tuple[str, Node, bool, str]]:
        return [(f"({self.key}: {name})", obj, True, obj.doc) for name, obj in self.variants.items()]


def _described(f: F) -> dict:
    schema = f.node.json_schema()
    text = f.doc or f.node.doc
    if f.node.unit:
        text = f"{text} [{f.node.unit}]".strip()
    if text:
        schema = {**schema, "description": text}
    return schema



# --------------------------------------------------------------------------- rules


def _range_rule(lo_key: str, hi_key: str, unit: str, strict: bool):
    def rule(obj: dict, at: At) -> None:
        lo, hi = obj[lo_key], obj[hi_key]
        if hi < lo or (strict and hi == lo):
            at.sub(hi_key).error(hi, f"{hi_key} {'>' if strict else '>='} {lo_key} ({lo:g})")
            return
        source = obj.get("source", "")
        if source:
            checked = check_source(source, at.sub("source"))
            source = checked if isinstance(checked, str) else ""
        at.provenance.append(Provenance(at.file, at.entry, at.path, (lo, hi), unit, source))

    return rule


def Interval(unit: str, doc: str, hi: float | None = None) -> Obj:  # noqa: N802
    """An expert's 90% interval: a lognormal is fitted so that cdf(p5) = 0.05, cdf(p95) = 0.95."""
    return Obj(
        [
            F("p5", Num(unit=unit, lo=0.0, lo_open=True, hi=hi), doc="5th percentile"),
            F("p95", Num(unit=unit, lo=0.0, lo_open=True, hi=hi), doc="95th percentile"),
            F("source", Str(), False, "where the interval comes from"),
        ],
        doc=doc,
        unit=unit,
        checks=[_range_rule("p5", "p95", unit, strict=True)],
    )


def Uniform(unit: str, doc: str, hi: float | None = 1.0) -> Obj:  # noqa: N802
    """A range ``low``-``high`` (uniform between its ends), each end >= 0 and <= ``hi``."""
    return Obj(
        [
            F("low", Num(unit=unit, lo=0.0, hi=hi)),
            F("high", Num(unit=unit, lo=0.0, hi=hi)),
            F("source", Str(), False),
        ],
        doc=doc,
        unit=unit,
        checks=[_range_rule("low", "high", unit, strict=False)],
    )


# --------------------------------------------------------------------------- docs


def field_rows(node: Node, prefix: str = "") -> list[tuple[str, str, str, str, str]]:
    """Rows (field, type, unit, required, description) for the docs, depth first."""
    rows = []
    for name, child, required, doc in node.children():
        path = f"{prefix}.{name}" if prefix and not name.startswith("[") else prefix + name
        if name == "[]" or name == "<key>" or name.startswith("("):
            if name.startswith("("):
                rows.append((f"{prefix} {name}", "", "", "", doc))
                rows.extend(field_rows(child, prefix))
            else:
                rows.extend(field_rows(child, path))
            continue
        unit = child.unit
        text = doc or child.doc
        rows.append((path, child.type_name(), unit, "yes" if required else "no", text))
        rows.extend(field_rows(child, path))
    return rows


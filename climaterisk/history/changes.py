"""What changed between two register folders, and registers with only some of the changes.

A register folder is read as *entities*: every entry with an id in a sectioned file (a risk, a
control, a site, a region, a metric...) and every top-level key of the other files
(``register.yaml``'s ``governance``...; ``ghg.yaml``'s ``activities``...), and each model
parameter of ``register.yaml``'s ``parameters`` (``electricity_price``...). A
change is an entity added, removed or changed; a changed entity lists its fields, as paths in
the validator's notation (``models[0].damage.p95``), with their old and new values and, where
the register declares one, their unit.

For the attribution of a movement to changes (:mod:`climaterisk.history.attribution`) the
changes are put into *groups* that validate on their own: each change alone when the earlier
register with just that change is a valid register, otherwise together with the changes it
refers to or that refer to it (a new control on a new site), and as a last resort all remaining
changes together. :func:`compose` writes the earlier register with one group of changes.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from climaterisk.errors import ClimateRiskError
from climaterisk.io import read_yaml
from climaterisk.register import REGISTER_FILES_ORDER, Register, load_register

SECTIONS = {"sites.yaml": ("regions", "sites"), "risks.yaml": ("risks",),
            "opportunities.yaml": ("opportunities",), "controls.yaml": ("controls",),
            "metrics.yaml": ("metrics", "targets"), "bia.yaml": ("activities",)}
"""The files whose top-level keys are lists of entries with ids, and those keys."""

SPLIT = {"register.yaml": ("parameters",)}
"""Top-level mappings whose keys are entities of their own (``(parameters, electricity_price)``), so
that a change of one model parameter is attributed apart from the others."""

Key = tuple[str, str]
"""An entity: ``(section, id)`` for an entry with an id, ``(file stem, top-level key)`` otherwise."""


def flatten(value: object, prefix: str = "") -> dict[str, object]:
    """Leaf values by path: dict keys joined by ``.``, list items as ``[i]`` (lists of plain
    values stay one value)."""
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out or {prefix: {}}
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def entities(folder: Path) -> dict[Key, object]:
    """Every entity of the register folder (see the module docstring), raw as written."""
    out: dict[Key, object] = {}
    for name in REGISTER_FILES_ORDER:
        path = folder / name
        if not path.is_file():
            continue
        data = read_yaml(path) or {}
        if not isinstance(data, dict):
            continue
        sections = SECTIONS.get(name, ())
        for top, value in data.items():
            if top in sections:
                for item in value or []:
                    if isinstance(item, dict):
                        out[(top, str(item.get("id")))] = item
            elif top in SPLIT.get(name, ()) and isinstance(value or {}, dict):
                for key, item in (value or {}).items():
                    out[(top, str(key))] = item
            else:
                out[(name.removesuffix(".yaml"), str(top))] = value
    return out


def _units(register: Register | None) -> dict[tuple[str, str], str]:
    if register is None:
        return {}
    return {(p.entry or Path(p.file).stem, p.field): p.unit for p in register.provenance if p.unit}


def _unit(units: dict[tuple[str, str], str], section: str, ident: str, field: str) -> str:
    """The unit the register declares for ``field`` or the nearest field containing it ("" for a
    ``source``, which is text)."""
    if field == "source" or field.endswith(".source"):
        return ""
    if section in SPLIT["register.yaml"]:  # a parameter: provenance of register.yaml's parameters.<id>
        section, ident, field = "register", section, f"{ident}.{field}" if field else ident
    entry = ident if section not in ("register", "ghg", "plan") else section
    path = field if entry != section else f"{ident}.{field}" if field else ident
    while path:
        if (entry, path) in units:
            return units[(entry, path)]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return ""


def register_changes(old: Path, new: Path, register: Register | None = None) -> list[dict]:
    """Entities added, removed or changed from folder ``old`` to folder ``new``, field by field.

    Each change: ``section``, ``id``, ``title`` (its title or name, "" when it has none),
    ``change`` (added, removed, changed) and ``fields`` (for a
    changed entity: ``field``, ``old``, ``new`` and ``unit``, the unit ``register`` declares
    for it, "" when none)."""
    before, after = entities(old), entities(new)
    units = _units(register)
    changes = []
    for key in sorted(set(before) | set(after)):
        section, ident = key
        entry = after.get(key, before.get(key))
        title = str(entry.get("title") or entry.get("name") or "") if isinstance(entry, dict) else ""
        if key not in before:
            changes.append({"section": section, "id": ident, "title": title, "change": "added", "fields": []})
        elif key not in after:
            changes.append({"section": section, "id": ident, "title": title, "change": "removed",
                            "fields": []})
        else:
            a, b = flatten(before[key]), flatten(after[key])
            fields = [{"field": f, "old": a.get(f), "new": b.get(f), "unit": _unit(units, section, ident, f)}
                      for f in sorted(set(a) | set(b)) if a.get(f) != b.get(f)]
            if fields:
                changes.append({"section": section, "id": ident, "title": title, "change": "changed",
                                "fields": fields})
    return changes


def compose(old: Path, new: Path, keys: Iterable[Key], dest: Path) -> Path:
    """Write into ``dest`` the register of folder ``old`` with the entities ``keys`` taken from
    folder ``new`` (added, replaced or removed as they are there); entries keep their order, an
    added entry goes where it is in ``new``. Returns ``dest``."""
    take = set(keys)
    dest.mkdir(parents=True, exist_ok=True)
    for name in REGISTER_FILES_ORDER:
        o, n = old / name, new / name
        stem = name.removesuffix(".yaml")
        if not o.is_file() and not n.is_file():
            continue
        data_o = (read_yaml(o) or {}) if o.is_file() else {}
        data_n = (read_yaml(n) or {}) if n.is_file() else {}
        sections = SECTIONS.get(name, ())
        out: dict = {}
        for top in [*data_o, *(k for k in data_n if k not in data_o)]:
            if top in sections:
                out[top] = _merge_section(top, data_o.get(top) or [], data_n.get(top) or [], take)
            elif top in SPLIT.get(name, ()):
                old_map, new_map = data_o.get(top) or {}, data_n.get(top) or {}
                source = {k: new_map if (top, str(k)) in take else old_map for k in [*old_map, *new_map]}
                out[top] = {k: source[k][k] for k in source if k in source[k]}  # old order, then added
            elif (stem, str(top)) in take:
                if top in data_n:
                    out[top] = data_n[top]
            elif top in data_o:
                out[top] = data_o[top]
        if out or o.is_file():
            text = yaml.safe_dump(out, allow_unicode=True, sort_keys=False)
            (dest / name).write_text(text, encoding="utf-8")
    for extra in old.iterdir():  # files the register refers to besides its YAML (none today)
        if extra.is_file() and extra.name not in REGISTER_FILES_ORDER and not (dest / extra.name).exists():
            shutil.copy2(extra, dest / extra.name)
    return dest


def revert_field(folder: Path, key: Key, field: str, old_value: object) -> None:
    """In the register written in ``folder``, set field ``field`` (a path as in
    :func:`flatten`) of entity ``key`` back to ``old_value`` (removed when None: the field was
    absent before)."""
    section, ident = key
    name = next((n for n, tops in SECTIONS.items() if section in tops), None)
    if section in SPLIT["register.yaml"]:
        name = "register.yaml"
    path = folder / (name or f"{section}.yaml")
    data = read_yaml(path) or {}
    if name is None:  # a top-level key of register.yaml, ghg.yaml or plan.yaml
        holder, last = data, ident
    elif section in SPLIT.get(name, ()):
        holder, last = data[section], ident
    else:
        holder = next(e for e in data[section] if isinstance(e, dict) and str(e.get("id")) == ident)
        last = None
    tokens = re.findall(r"[^.\[\]]+|\[\d+\]", field)
    if last is not None:
        tokens.insert(0, last)
    for t in tokens[:-1]:
        holder = holder[int(t[1:-1])] if t.startswith("[") else holder[t]
    t = tokens[-1]
    if t.startswith("["):
        holder[int(t[1:-1])] = old_value
    elif old_value is None:
        holder.pop(t, None)
    else:
        holder[t] = old_value
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _merge_section(section: str, old: list, new: list, take: set[Key]) -> list:
    new_by_id = {str(e.get("id")): e for e in new if isinstance(e, dict)}
    old_ids = {str(e.get("id")) for e in old if isinstance(e, dict)}
    out = []
    for e in old:
        ident = str(e.get("id")) if isinstance(e, dict) else None
        if ident is not None and (section, ident) in take:
            if ident in new_by_id:
                out.append(new_by_id[ident])
        else:
            out.append(e)
    for i, e in enumerate(new):  # added entries, after the entry that precedes them in ``new``
        ident = str(e.get("id")) if isinstance(e, dict) else None
        if ident is None or ident in old_ids or (section, ident) not in take:
            continue
        before = [str(x.get("id")) for x in new[:i] if isinstance(x, dict)]
        at = next((out.index(x) + 1 for x in reversed(out) if isinstance(x, dict)
                   and str(x.get("id")) in before), 0) if before else 0
        out.insert(at, e)
    return out


@dataclass(frozen=True)
class ChangeGroup:
    """Changes applied together in the attribution: one change, or changes that only validate
    together (``reason`` says why they are grouped, "" for a single change)."""

    keys: tuple[Key, ...]
    reason: str = ""

    @property
    def label(self) -> str:
        return " + ".join(f"{s} {i}" for s, i in self.keys)


def _mentions(value: object) -> set[str]:
    """Every plain value and every mapping key of ``value``: the ids it may refer to (a key such as
    ``water_price_by_region.<region id>`` names a region)."""
    flat = flatten(value)
    keys = {part for path in flat for part in path.replace("[", ".").split(".") if part and part[-1] != "]"}
    return keys | {str(v) for v in flat.values() if isinstance(v, (str, int))} | {
        str(x) for v in flat.values() if isinstance(v, list) for x in v}


def _valid(old: Path, new: Path, keys: Iterable[Key], dest: Path) -> bool:
    try:
        load_register(compose(old, new, keys, dest))
    except ClimateRiskError:
        return False
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    return True


def change_groups(old: Path, new: Path, changes: list[dict], work: Path) -> list[ChangeGroup]:
    """The changes in groups that each give a valid register when applied alone to ``old``
    (see the module docstring); ``work`` is a scratch folder. Groups keep the changes' order."""
    keys = [(c["section"], c["id"]) for c in changes]
    before, after = entities(old), entities(new)
    refers = {k: _mentions(after.get(k)) | _mentions(before.get(k)) for k in keys}
    valid = {k for n, k in enumerate(keys) if _valid(old, new, [k], work / f"single-{n}")}
    used: set[Key] = set()
    merged: list[ChangeGroup] = []
    for k in keys:
        if k in valid or k in used:
            continue
        group, grew = {k}, True
        while grew:  # with every change it refers to or that refers to it, transitively
            linked = {j for j in keys if j not in group and j not in used and any(
                j[1] in refers[g] or g[1] in refers[j] for g in group)}
            grew = bool(linked)
            group |= linked
        members = tuple(j for j in keys if j in group)
        if _valid(old, new, members, work / f"group-{len(merged)}"):
            merged.append(ChangeGroup(members, "they only validate together"))
            used |= group
    failed = tuple(k for k in keys if k not in valid and k not in used)
    if failed:  # no small valid group: the changes that fail alone together, else with the others too
        why = "they only validate together (no smaller valid group found)"
        rest = tuple(k for k in keys if k not in used)
        if _valid(old, new, failed, work / "failed"):
            rest = failed
        elif not _valid(old, new, rest, work / "rest"):  # all changes together: the new register
            return [ChangeGroup(tuple(keys), why)]
        merged.append(ChangeGroup(rest, why))
        used |= set(rest)
    groups = [ChangeGroup((k,)) for k in keys if k in valid and k not in used] + merged
    order = {k: i for i, k in enumerate(keys)}
    return sorted(groups, key=lambda g: order[g.keys[0]])

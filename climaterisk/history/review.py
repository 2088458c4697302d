"""The quarterly review: what changed in the register, how the exposure moved, and why.

The movement of residual loss from the earlier run ``A`` to the current run ``C`` is split into
parts that add up to it exactly, by re-running the earlier register:

- ``A'`` = earlier register, earlier scenario, current seed and trials;
- ``B``  = earlier register, current scenario, current seed and trials;

  register changes  = C - B    (same scenario, same random streams)
  scenario changes  = B - A'   (same register, same random streams)
  sampling noise    = A' - A   (only the seed, trials or tool version differ)

so that ``C - A = (C - B) + (B - A') + (A' - A)``. Movements are flagged as larger than
sampling error when they exceed twice the standard error of the difference.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path

from climaterisk.analysis import disclosures, graph, transition_plan
from climaterisk.analysis.assess import assess
from climaterisk.analysis.results import Assessment
from climaterisk.errors import InputError, Problem
from climaterisk.history.store import (
    Location,
    Snapshot,
    Store,
    check_quarter,
    describe,
    last_snapshot,
    open_existing,
    register_folder,
)
from climaterisk.io import read_yaml
from climaterisk.register import REGISTER_FILES_ORDER, Register, load_register, migration
from climaterisk.register.migration import FormatNotice
from climaterisk.scenarios import Scenario, load_scenario, read_scenario

SECTIONS = {"sites.yaml": ("regions", "sites"), "risks.yaml": ("risks",),
            "opportunities.yaml": ("opportunities",), "controls.yaml": ("controls",),
            "metrics.yaml": ("metrics", "targets"), "bia.yaml": ("activities",)}


def materialise(snapshot: Snapshot, folder: Path) -> tuple[Register, Scenario]:
    """Write a snapshot's register and scenario files into ``folder`` and load them."""
    reg_dir = folder / snapshot.register_id
    reg_dir.mkdir(parents=True, exist_ok=True)
    for name, text in snapshot.register_files.items():
        (reg_dir / name).write_text(text, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:  # an older format: name the snapshot, not the folder
        warnings.simplefilter("always", FormatNotice)
        register = load_register(reg_dir)
    for w in caught:
        if issubclass(w.category, FormatNotice):
            warnings.warn(f"snapshot {snapshot.id} ({snapshot.register_id}, {snapshot.quarter}) holds a "
                          f"register in format {migration.file_version(reg_dir)}; read as format "
                          f"{migration.FORMAT_VERSION} (the stored texts are kept as taken)", FormatNotice,
                          stacklevel=2)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if snapshot.scenario_file:
        path = folder / f"{snapshot.scenario_id}.yaml"
        path.write_text(snapshot.scenario_file, encoding="utf-8")
        return register, read_scenario(path)
    return register, load_scenario(snapshot.scenario_id)


def _flatten(value: object, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _entities(folder: Path) -> dict[tuple[str, str], dict]:
    """(section, id) -> raw entry, plus (file stem, "") -> a whole file without id'd sections
    (("register", ""): the metadata; ghg.yaml and others likewise)."""
    out: dict[tuple[str, str], dict] = {}
    for name in REGISTER_FILES_ORDER:
        path = folder / name
        if not path.is_file():
            continue
        data = read_yaml(path) or {}
        if name == "register.yaml" or name not in SECTIONS:  # a file without id'd sections: one entity
            out[(name.removesuffix(".yaml"), "")] = data
            continue
        for section in SECTIONS[name]:
            for item in data.get(section) or []:
                out[(section, str(item.get("id")))] = item
    return out


def register_changes(old: Path, new: Path) -> list[dict]:
    """Entities added, removed or changed between two register folders, field by field."""
    before, after = _entities(old), _entities(new)
    changes = []
    for key in sorted(set(before) | set(after)):
        section, ident = key
        if key not in before:
            changes.append({"section": section, "id": ident, "change": "added", "fields": []})
        elif key not in after:
            changes.append({"section": section, "id": ident, "change": "removed", "fields": []})
        else:
            a, b = _flatten(before[key]), _flatten(after[key])
            fields = [{"field": f, "old": a.get(f), "new": b.get(f)}
                      for f in sorted(set(a) | set(b)) if a.get(f) != b.get(f)]
            if fields:
                changes.append({"section": section, "id": ident, "change": "changed", "fields": fields})
    return changes


def _by_line(results: dict, year: int) -> dict[str, dict]:
    h = next((h for h in results["horizons"] if h["year"] == year), None)
    if h is None:
        return {}
    lines = {r["id"]: r for r in h["by_risk"]}
    lines["total"] = {"id": "total", "title": "All risks", **h["total"]}
    return lines


def _residual(lines: dict[str, dict], key: str, measure: str) -> float:
    line = lines.get(key)
    return line["residual"][measure] if line else 0.0


def movements(a: dict, c: dict, years: Iterable[int]) -> list[dict]:
    """Residual EAL and VaR 99% per risk and in total, earlier against current."""
    rows = []
    for year in years:
        la, lc = _by_line(a, year), _by_line(c, year)
        for key in sorted(set(la) | set(lc), key=lambda k: (k == "total", k)):
            ea, ec = _residual(la, key, "mean"), _residual(lc, key, "mean")
            se = math.hypot(_residual(la, key, "se"), _residual(lc, key, "se"))
            title = (lc.get(key) or la.get(key))["title"]
            rows.append({
                "year": year, "id": key, "title": title, "eal_before": ea, "eal_after": ec,
                "eal_change": ec - ea, "eal_change_se": se,
                "significant": abs(ec - ea) > 2 * se if se > 0 else ec != ea,
                "var99_before": _residual(la, key, "var99"), "var99_after": _residual(lc, key, "var99"),
            })
    return rows


def attribution(a: dict, a_prime: dict, b: dict, c: dict, years: Iterable[int]) -> list[dict]:
    """Split C - A per risk and in total into register, scenario and noise parts."""
    rows = []
    for year in years:
        runs = [_by_line(x, year) for x in (a, a_prime, b, c)]
        keys = sorted(set().union(*runs), key=lambda k: (k == "total", k))
        for key in keys:
            va, vap, vb, vc = (_residual(r, key, "mean") for r in runs)
            rows.append({"year": year, "id": key, "total_change": vc - va, "register": vc - vb,
                         "scenario": vb - vap, "sampling_noise": vap - va})
    return rows


def _run(register: Register, scenario: Scenario, years: list[int], trials: int, seed: int) -> dict:
    return assess(register, scenario, horizons=years, trials=trials, seed=seed, with_controls=False,
                  with_coverage=False).to_dict()


def review_quarter(location: Location, register: Register, quarter: str, against: str | None = None,
                   across_registers: bool = False) -> dict:
    """The committee's review pack of ``register``'s snapshot of ``quarter`` in the store at
    ``location``, against the snapshot of ``against`` (default: the latest earlier one).

    Only snapshots of this register are compared: same register id, taken from this register's
    folder (or from an unrecorded one, before stores kept it). A snapshot of another folder with
    the same id (a copy made before ``init --from`` gave copies their own id) is refused, naming
    both folders, unless ``across_registers`` is true.
    """
    check_quarter(quarter, "--quarter")
    if against:
        check_quarter(against, "--against")
    folder = None if across_registers else register_folder(register)
    with open_existing(location) as db:
        current = db.latest(register.id, quarter, folder)
        if current is None:
            _refuse_other_folder(db, register, quarter, "--quarter", folder)
            raise InputError(Problem(describe(location), register.id, "--quarter", quarter,
                                     "a quarter with a snapshot (see climaterisk history)"))
        if against:
            earlier = db.latest(register.id, against, folder)
        else:
            earlier = db.before(register.id, quarter, folder)
        if earlier is None:
            if against:
                _refuse_other_folder(db, register, against, "--against", folder)
            raise InputError(Problem(describe(location), register.id, "--against", against,
                                     "an earlier quarter with a snapshot (see climaterisk history)"))
    pack = review_snapshots(current, earlier)
    pack["register_folders"] = {"current": current.register_path, "against": earlier.register_path}
    return pack


def _refuse_other_folder(db: Store, register: Register, quarter: str, option: str,
                         folder: str | None) -> None:
    """Refuse, naming the folders, when ``quarter`` has snapshots of the same register id taken
    from another folder only."""
    if folder is None:
        return
    other = db.latest(register.id, quarter)
    if other is not None and other.register_path != folder:
        raise InputError(Problem(
            db.name, register.id, option, quarter,
            f"a snapshot of the register in {_shown(folder)}, but {quarter} was taken from another "
            f"register with the same id, in {_shown(other.register_path)}; give that register its own "
            "id, or pass --across-registers to compare them anyway"))


def _shown(folder: str) -> str:
    """A recorded register folder as shown in messages: relative to the current folder when inside it."""
    try:
        return str(Path(folder).relative_to(Path.cwd().resolve()))
    except ValueError:
        return folder


def movement_since_last(location: Location, result: Assessment) -> tuple[str, list[dict]] | None:
    """The movement of ``result`` since the latest snapshot of its register (same id, same folder)
    in the store at ``location``, labelled for the report, or None when there is no such snapshot."""
    last = last_snapshot(location, result.register)
    if last is None:
        return None
    years = [h.year for h in result.horizons]
    return (f"{last.quarter} revision {last.revision}, {last.scenario_id}",
            movements(last.results, result.to_dict(), years))


def review_snapshots(current: Snapshot, earlier: Snapshot) -> dict:
    """The committee's review pack for two snapshots of one register."""
    trials, seed = current.manifest["trials"], current.manifest["seed"]
    years = sorted({h["year"] for h in current.results["horizons"]}
                   & {h["year"] for h in earlier.results["horizons"]})
    with tempfile.TemporaryDirectory() as tmp:
        old_reg, old_sc = materialise(earlier, Path(tmp) / "before")
        new_reg, new_sc = materialise(current, Path(tmp) / "after")
        changes = register_changes(old_reg.path, new_reg.path)
        a_prime = _run(old_reg, old_sc, years, trials, seed)
        b = _run(old_reg, new_sc, years, trials, seed)
        pack = _pack(new_reg, changes, earlier.results, current.results, years)
    pack["attribution"] = attribution(earlier.results, a_prime, b, current.results, years)
    pack["against"] = {"quarter": earlier.quarter, "revision": earlier.revision,
                       "scenario": earlier.scenario_id, "created_utc": earlier.created_utc}
    pack["current"] = {"quarter": current.quarter, "revision": current.revision,
                       "scenario": current.scenario_id, "created_utc": current.created_utc}
    return pack


def review_registers(current: Register, earlier: Register, scenario: Scenario, years: list[int] | None,
                     trials: int, seed: int) -> dict:
    """A quick review of two register folders under one scenario, without a store."""
    years = years or sorted({current.horizons["medium"], current.horizons["long"]})
    a = _run(earlier, scenario, years, trials, seed)
    c = _run(current, scenario, years, trials, seed)
    pack = _pack(current, register_changes(earlier.path, current.path), a, c, years)
    pack["attribution"] = attribution(a, a, a, c, years)
    pack["against"] = {"register": str(earlier.path), "scenario": scenario.id}
    pack["current"] = {"register": str(current.path), "scenario": scenario.id}
    return pack


def _pack(register: Register, changes: list[dict], a: dict, c: dict, years: list[int]) -> dict:
    moves = movements(a, c, years)
    last = [m for m in moves if m["year"] == max(years) and m["id"] != "total"] if years else []
    top = sorted(last, key=lambda m: -abs(m["eal_change"]))[:5]
    gaps = graph.find_gaps(register)
    ratings = [
        {"id": ch["id"], "field": f["field"], "old": f["old"], "new": f["new"]}
        for ch in changes if ch["section"] == "risks"
        for f in ch["fields"] if f["field"].startswith("rating.")
    ]
    return {
        "register": register.id,
        "currency": register.currency,
        "years": years,
        "changes": changes,
        "rating_changes": ratings,
        "movements": moves,
        "top_movers": [m["id"] for m in top],
        "overdue_controls": [graph.gaps_as_dicts([g])[0] for g in gaps if g.rule in (
            "control not tested", "planned control past due")],
        "targets": disclosures.target_progress(register),
        "target_details": transition_plan.target_details(register),
        "no_ghg_target": transition_plan.no_ghg_target_statement(register),
        "transition_plan": transition_plan.plan_tables(register),
    }

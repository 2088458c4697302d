"""The quarterly review: what changed in the register, how the exposure moved, and why.

The movement of residual loss between the earlier snapshot ``A`` and the current one ``C`` is
split into register changes (each change's own contribution and an interaction remainder),
scenario changes and the re-run difference (sampling noise or the tool's own change), on paired
runs with the current seed and trials: see :mod:`climaterisk.history.attribution`. The pack
also lists the register changes field by field (:mod:`climaterisk.history.changes`), the
controls overdue and the targets.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path

from climaterisk.analysis import decisions, disclosures, graph, transition_plan
from climaterisk.analysis.results import Assessment
from climaterisk.errors import InputError, Problem
from climaterisk.history import attribution as attr
from climaterisk.history.changes import change_groups, register_changes
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
from climaterisk.register import Register, load_register, migration
from climaterisk.register.migration import FormatNotice
from climaterisk.scenarios import Scenario, load_scenario, read_scenario

__all__ = ["materialise", "movement_since_last", "movements", "register_changes", "review_quarter",
           "review_registers", "review_snapshots"]


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
    """Residual EAL and VaR 99% per risk and in total, earlier results ``a`` against current ``c``,
    from their summaries alone (the report's movement since the last snapshot). Without the
    trials of both runs the standard error is that of two independent runs, an upper bound when
    they shared a seed; the review pack (:func:`compare`) uses paired differences instead."""
    rows = []
    for year in years:
        la, lc = _by_line(a, year), _by_line(c, year)
        for key in sorted(set(la) | set(lc), key=lambda k: (k == "total", k)):
            ea, ec = _residual(la, key, "mean"), _residual(lc, key, "mean")
            se = math.hypot(_residual(la, key, "se"), _residual(lc, key, "se")) if ea != ec else 0.0
            title = (lc.get(key) or la.get(key))["title"]
            rows.append({
                "year": year, "id": key, "title": title, "eal_before": ea, "eal_after": ec,
                "eal_change": ec - ea, "eal_change_se": se, "se_kind": "independent",
                "significant": abs(ec - ea) > 2 * se if se > 0 else ec != ea,
                "var99_before": _residual(la, key, "var99"), "var99_after": _residual(lc, key, "var99"),
            })
    return rows


def _sampling_changed(earlier: dict, current: dict) -> bool:
    """Whether the two snapshots were taken with another seed or trial count."""
    return (earlier.get("seed"), earlier.get("trials")) != (current.get("seed"), current.get("trials"))


def _rerun_label(earlier: dict, current: dict) -> str:
    """What the re-run difference ``(C - A) - (C' - A')`` is made of, from the two manifests."""
    from climaterisk._version import __version__

    parts = []
    if {earlier.get("version"), current.get("version")} != {__version__}:
        parts.append(f"tool version ({earlier.get('version')} -> {__version__}, see CHANGELOG.md)")
    if _sampling_changed(earlier, current):
        parts.append("sampling noise (seed or trials changed)")
    return " and ".join(parts) or "none (same seed, trials and tool: exactly reproduced)"


def compare(old: Register, old_scenario: Scenario, new: Register, new_scenario: Scenario,
            a: dict | None, c: dict | None, years: list[int], trials: int, seed: int, work: Path,
            manifests: tuple[dict, dict] | None = None) -> dict:
    """Movements and their attribution (module :mod:`~climaterisk.history.attribution`) from the
    earlier register and scenario to the current ones; ``a`` and ``c`` are the stored results of
    the two snapshots (None: the re-runs themselves, as without a store)."""
    changes = register_changes(old.path, new.path, new)
    a_prime = attr.run(old, old_scenario, years, trials, seed)
    same_scenario = old_scenario.id == new_scenario.id and old_scenario.path == new_scenario.path
    b = a_prime if same_scenario else attr.run(old, new_scenario, years, trials, seed)
    c_prime = attr.run(new, new_scenario, years, trials, seed)
    a = a if a is not None else a_prime.results
    c = c if c is not None else c_prime.results
    groups = change_groups(old.path, new.path, changes, work / "groups") if changes else []
    effects = attr.contributions(old, new, groups, new_scenario, b, years, trials, seed, work / "changes",
                                 changes)
    moves, parts = [], []
    noisy = bool(manifests) and _sampling_changed(*manifests)  # type: ignore[misc]
    for year in years:
        la, lc = _by_line(a, year), _by_line(c, year)
        la_prime = _by_line(a_prime.results, year)
        for key in attr.keys_of(a_prime, b, c_prime):
            if key not in la and key not in lc and key not in c_prime.rows[year]:
                continue
            ea, ec = _residual(la, key, "mean"), _residual(lc, key, "mean")
            real = attr.paired(c_prime, a_prime, year, key)
            register_part = attr.paired(c_prime, b, year, key)
            scenario_part = attr.paired(b, a_prime, year, key)
            own = [e for g in effects for e in g["rows"] if e["year"] == year and e["id"] == key]
            title = (lc.get(key) or la.get(key) or {"title": c_prime.titles.get(key, key)})["title"]
            rerun = (ec - ea) - real.value
            # the re-run part A' - A of two seeds is two independent runs of the earlier register
            se = (math.hypot(real.se, _residual(la, key, "se"), _residual(la_prime, key, "se"))
                  if noisy and rerun != 0 else real.se)
            moves.append({
                "year": year, "id": key, "title": title, "eal_before": ea, "eal_after": ec,
                "eal_change": ec - ea, "eal_change_se": se, "se_kind": "paired" if se == real.se else
                "paired, plus the independent re-runs of the earlier register (seed or trials changed)",
                "paired_change": real.value, "paired_se": real.se,
                "significant": real.beyond_noise if se == real.se else abs(ec - ea) > 2 * se,
                "rerun_difference": rerun,
                "var99_before": _residual(la, key, "var99"), "var99_after": _residual(lc, key, "var99"),
            })
            parts.append({
                "year": year, "id": key, "total_change": ec - ea,
                "register": register_part.value, "register_se": register_part.se,
                "scenario": scenario_part.value, "scenario_se": scenario_part.se,
                "sampling_noise": (ec - ea) - register_part.value - scenario_part.value,
                "remainder": register_part.value - sum(e["change"] for e in own),
            })
    return {
        "changes": changes, "movements": moves, "attribution": parts,
        "rerun": _rerun_label(*(manifests or ({}, {}))) if manifests else
        "none (both registers re-run with the same seed and trials)",
        "method": "one change at a time on paired draws (common random numbers), interaction remainder",
        "change_effects": [{"changes": [{"section": s, "id": i} for s, i in e["group"].keys],
                            "grouped_because": e["group"].reason, "no_effect": e["zero"], "rows": e["rows"],
                            "fields_without_effect": e["inert"]}
                           for e in effects],
    }


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
        if against >= quarter:  # "2026Q3" < "2026Q4" < "2027Q1": a review looks back
            raise InputError(Problem(describe(location), register.id, "--against", against,
                                     f"a quarter before --quarter {quarter} (the review explains the "
                                     "movement from an earlier quarter to the one reviewed)"))
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
        if earlier.scenario_id == current.scenario_id and earlier.scenario_file == current.scenario_file:
            old_sc = new_sc  # one scenario: B is A'
        found = compare(old_reg, old_sc, new_reg, new_sc, earlier.results, current.results, years,
                        trials, seed, Path(tmp), (earlier.manifest, current.manifest))
        pack = _pack(new_reg, old_reg, found, years, quarter_end(current.quarter))
    pack["against"] = {"quarter": earlier.quarter, "revision": earlier.revision,
                       "scenario": earlier.scenario_id, "created_utc": earlier.created_utc}
    pack["current"] = {"quarter": current.quarter, "revision": current.revision,
                       "scenario": current.scenario_id, "created_utc": current.created_utc}
    return pack


def id_order(ident: str) -> tuple[int, str]:
    """A sort key that puts ids in register order, ``C2`` before ``C10`` (shorter ids first)."""
    return len(ident), ident


def quarter_end(quarter: str) -> dt.date:
    """The last day of a quarter (``2026Q4`` -> 2026-12-31): the date a review is as of."""
    year, q = int(quarter[:4]), int(quarter[5])
    return dt.date(year, 3 * q, 30 if q in (2, 3) else 31)


def review_registers(current: Register, earlier: Register, scenario: Scenario, years: list[int] | None,
                     trials: int, seed: int) -> dict:
    """A quick review of two register folders under one scenario, without a store."""
    years = years or sorted({current.horizons["medium"], current.horizons["long"]})
    with tempfile.TemporaryDirectory() as tmp:
        found = compare(earlier, scenario, current, scenario, None, None, years, trials, seed, Path(tmp))
    pack = _pack(current, earlier, found, years, None)
    pack["against"] = {"register": str(earlier.path), "scenario": scenario.id}
    pack["current"] = {"register": str(current.path), "scenario": scenario.id}
    return pack


def _pack(register: Register, earlier: Register, found: dict, years: list[int],
          as_of: dt.date | None) -> dict:
    """The pack's contents; ``as_of`` is the date overdue controls and decisions are judged at
    (the end of the quarter reviewed; without a store, the register's own ``as_of``)."""
    moves = found["movements"]
    last = [m for m in moves if m["year"] == max(years) and m["id"] != "total"] if years else []
    top = sorted((m for m in last if m["eal_change"] != 0), key=lambda m: -abs(m["eal_change"]))[:5]
    as_of = as_of or register.as_of
    gaps = graph.find_gaps(register, as_of)
    ratings = [
        {"id": ch["id"], "field": f["field"], "old": f["old"], "new": f["new"]}
        for ch in found["changes"] if ch["section"] == "risks"
        for f in ch["fields"] if f["field"].startswith("rating.")
    ]
    return {
        "register": register.id,
        "currency": register.currency,
        "years": years,
        "as_of": as_of.isoformat(),
        **found,
        "rating_changes": ratings,
        "decisions_taken": decisions.decisions_between(earlier, register),
        "decisions_due": decisions.decisions_due(register, as_of),
        "top_movers": [m["id"] for m in top],
        "overdue_controls": sorted((graph.gaps_as_dicts([g])[0] for g in gaps if g.rule in (
            "control not tested", "planned control past due")),
            key=lambda g: id_order(str(g["entity"]))),
        "targets": disclosures.target_progress(register),
        "target_details": transition_plan.target_details(register),
        "no_ghg_target": transition_plan.no_ghg_target_statement(register),
        "transition_plan": transition_plan.plan_tables(register),
    }

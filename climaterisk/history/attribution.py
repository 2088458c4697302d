"""Why the residual loss moved between two reviews: paired runs, one register change at a time.

All runs here use the current seed and trial count, so each link's random draws are the same in
every run (per-link streams, :mod:`climaterisk.model.draws`): two runs differ only where their
registers or scenarios differ, trial by trial. For the earlier snapshot ``A`` and the current
one ``C``, with the earlier register ``old`` and the current one ``new``:

- ``A'`` = ``old`` under the earlier scenario, ``B`` = ``old`` under the current scenario,
  ``C'`` = ``new`` under the current scenario (all re-run with the current tool);
- ``R_g`` = ``old`` with only the changes of group ``g`` (:mod:`climaterisk.history.changes`),
  under the current scenario.

The movement ``C - A`` of a row's residual EAL (a risk or the total) splits into

- register changes ``C' - B``, of which each group contributes ``R_g - B`` (one change at a
  time on paired draws) and the *interaction remainder* is what is left: ``(C' - B) - sum_g (R_g - B)``;
- scenario changes ``B - A'``;
- re-run difference ``(C - A) - (C' - A')``: sampling noise when the seed or trials changed, the
  tool's own change when its version changed (see ``CHANGELOG.md``), zero otherwise.

The parts add up to the movement exactly (the last part and the remainder are defined as what
is left). Every paired difference ``X - Y`` has the standard error of the mean of its per-trial
differences, ``sd(x_i - y_i) / sqrt(n)``: exactly zero for a row whose draws and parameters are
the same in both runs, and counted as zero when that deviation is a rounding residue (below
:data:`ROUNDING` of the row's largest trial: a deterministic change, such as a risk removed whose
loss is the same in every trial, seen in a total summed in another order). A movement is *beyond
noise* when its paired part ``C' - A'`` exceeds
twice its standard error (or is non-zero with a zero standard error: a deterministic change).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from climaterisk.analysis.assess import assess
from climaterisk.errors import ClimateRiskError
from climaterisk.history.changes import ChangeGroup, Key, compose, revert_field
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.controls import controls_config, inherent_config
from climaterisk.register import Register, load_register
from climaterisk.scenarios import Scenario

TOTAL = "total"
ROUNDING = 1e-9
"""Per-trial differences whose standard deviation is below this fraction of the row's largest
trial [-] are floating-point rounding residues (a total summed in another order), not sampling
error: their standard error counts as zero."""


@dataclass(frozen=True)
class Run:
    """Per-trial residual annual loss [currency/yr] of one register under one scenario, by year
    and row (each risk, opportunities excluded, and ``total``)."""

    rows: dict[int, dict[str, np.ndarray]]
    titles: dict[str, str]
    results: dict  # the run's JSON results (``Assessment.to_dict()``)


def run(register: Register, scenario: Scenario, years: list[int], trials: int, seed: int) -> Run:
    """Simulate ``register`` under ``scenario`` keeping every trial of every risk's residual loss."""
    result = assess(register, scenario, horizons=years, trials=trials, seed=seed, with_controls=False,
                    with_coverage=False, with_line_items=False, keep_samples=True)
    rows: dict[int, dict[str, np.ndarray]] = {}
    titles = {}
    for h in result.horizons:
        res = h.samples["residual"]  # type: ignore[index]
        by_year = {TOTAL: res.total}
        for i, line in enumerate(h.by_risk):  # by_risk rows: the portfolio's risks, then opportunities
            by_year[line.id] = res.by_risk[i]
            titles[line.id] = line.title
        rows[h.year] = by_year
    return Run(rows, titles, result.to_dict())


@dataclass(frozen=True)
class Diff:
    """A paired difference of means [currency/yr] and its standard error."""

    value: float
    se: float

    @property
    def beyond_noise(self) -> bool:
        return abs(self.value) > 2 * self.se if self.se > 0 else self.value != 0


def paired(x: Run, y: Run, year: int, key: str) -> Diff:
    """``mean(x) - mean(y)`` of a row and the standard error of the per-trial differences (a row
    absent from one run counts as zero in every trial)."""
    a, b = x.rows[year].get(key), y.rows[year].get(key)
    if a is None and b is None:
        return Diff(0.0, 0.0)
    if a is None or b is None:
        d = a if b is None else -b  # type: ignore[operator]
        value = float(d.mean())  # type: ignore[union-attr]
    else:
        d = a - b
        value = float(a.mean() - b.mean())
    n = d.size  # type: ignore[union-attr]
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 and np.any(d != d.flat[0]) else 0.0  # type: ignore[union-attr]
    scale = max(float(np.abs(x).max()) for x in (a, b) if x is not None and x.size)
    if se * math.sqrt(n) <= ROUNDING * scale:  # per-trial differences that are only rounding residues
        se = 0.0
    return Diff(value, se)


def keys_of(*runs: Run) -> list[str]:
    """Row ids of all runs (risks sorted, the total last)."""
    keys = {k for r in runs for y in r.rows.values() for k in y}
    return sorted(keys, key=lambda k: (k == TOTAL, k))


def _equal(a: object, b: object) -> bool:
    """Deep equality of compiled model objects: dataclasses field by field, arrays element by
    element (NaN equal to NaN), sequences and mappings item by item."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (a.shape == b.shape and a.dtype == b.dtype  # type: ignore[union-attr]
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)  # type: ignore[union-attr,index]
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)  # type: ignore[arg-type]
    return bool(a == b)


def same_model(a: Register, b: Register, scenario: Scenario, years: list[int]) -> bool:
    """Whether two registers compile to the same model under ``scenario`` in every year: the
    same portfolio and the same inherent and residual configurations. Then a run of either, on
    the same seed and trials, gives the same losses trial by trial, and need not be simulated
    (a rating, a date or a text changed). False whenever anything compiled differs, even where
    the losses might still agree."""
    for year in years:
        pa, pb = compile_portfolio(a, scenario, year), compile_portfolio(b, scenario, year)
        if not (_equal(pa, pb) and _equal(inherent_config(pa), inherent_config(pb))
                and _equal(controls_config(a, pa), controls_config(b, pb))):
            return False
    return True


def contributions(old: Register, new: Register, groups: list[ChangeGroup], scenario: Scenario,
                  base: Run, years: list[int], trials: int, seed: int, work: Path,
                  changes: list[dict] | None = None) -> list[dict]:
    """Each group's own contribution ``R_g - B`` per year and row (rows where it is zero left
    out), with ``zero`` true for a group that moves no row in any year, and ``inert`` the fields
    of its changed entities that move nothing (:func:`inert_fields`, from ``changes``)."""
    fields = {(c["section"], c["id"]): c["fields"] for c in changes or []}
    out = []
    for n, group in enumerate(groups):
        folder = compose(old.path, new.path, group.keys, work / f"change-{n}")
        register_g = load_register(folder)
        r_g = base if same_model(register_g, old, scenario, years) else run(register_g, scenario, years,
                                                                            trials, seed)
        rows = []
        for year in years:
            for key in keys_of(r_g, base):
                if key in r_g.rows[year] or key in base.rows[year]:
                    d = paired(r_g, base, year, key)
                    if d.value != 0 or d.se != 0:
                        rows.append({"year": year, "id": key, "change": d.value, "se": d.se})
        inert = inert_fields(old, new, group, fields, r_g, scenario, years, trials, seed,
                             work / f"fields-{n}", register_g) if rows else []
        out.append({"group": group, "rows": rows, "zero": not rows, "inert": inert})
    return out


def inert_fields(old: Register, new: Register, group: ChangeGroup, fields: dict[Key, list[dict]],
                 r_g: Run, scenario: Scenario, years: list[int], trials: int, seed: int,
                 work: Path, register_g: Register | None = None) -> list[dict]:
    """The fields of a group's changed entities (those with several changed fields) whose change
    moves no loss: the group's register with that one field set back gives the same losses as
    ``r_g``, trial by trial, in every year and row (a rating changed with a damage range). A
    field whose reverting does not validate, and a ``source`` (provenance text), are left out.
    A field whose reverting compiles to the same model as ``register_g`` (:func:`same_model`)
    needs no run; any other costs one more run."""
    out = []
    for key in group.keys:
        if len(fields.get(key, [])) < 2:
            continue
        for i, f in enumerate(fields[key]):
            if f["field"] == "source" or f["field"].endswith(".source"):
                continue  # provenance text: not probed
            folder = compose(old.path, new.path, group.keys, work / f"{key[1]}-{i}")
            try:
                revert_field(folder, key, f["field"], f["old"])
                reverted = load_register(folder)
                if register_g is not None and same_model(reverted, register_g, scenario, years):
                    out.append({"section": key[0], "id": key[1], **f})  # compiles the same: no run
                    continue
                probe = run(reverted, scenario, years, trials, seed)
            except (ClimateRiskError, KeyError, IndexError, TypeError, StopIteration):
                continue  # the field's parent is gone, or the register without it is not valid
            if all(set(probe.rows[y]) == set(r_g.rows[y]) and all(
                    np.array_equal(probe.rows[y][k], r_g.rows[y][k]) for k in r_g.rows[y]) for y in years):
                out.append({"section": key[0], "id": key[1], **f})
    return out

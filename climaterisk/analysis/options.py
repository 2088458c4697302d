"""The options of an assessment run, validated once.

An :class:`AssessOptions` says how to run (trials, seed, horizons, method, engine, workers) and
what to compute (control values, simulated ISO 22301 coverage, per-trial samples). Every
problem is reported at once as an :class:`~climaterisk.errors.OptionError`.

Options that a method or engine cannot honour are not ignored in silence:

- asked for explicitly (``trials=`` with ``method="fft"``, ``with_controls=True`` with the exact
  method, ``with_coverage=True`` on Dask): refused with an :class:`OptionError`;
- left at their default (``None``): computed where the method allows it, and otherwise named in
  the run manifest under ``not_computed`` with the reason.

>>> AssessOptions(trials=2_000, seed=7).resolved().trials
2000
>>> AssessOptions(method="fft", trials=2_000).resolved()
Traceback (most recent call last):
...
climaterisk.errors.OptionError: trials: got 2000; expected no trial count with method fft (...)
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from climaterisk.errors import OptionError, Problem

DEFAULT_TRIALS = 100_000
"""Simulated years per horizon when none is given."""
DEFAULT_SEED = 20231231
"""Random seed when none is given; the same seed gives the same numbers, bit for bit."""
DEFAULT_CHUNK = 100_000
"""Trials whose random draws are held at once (bounds memory; results do not depend on it)."""

WORKERS_PER_CORE = 4
"""Workers (threads, or Dask processes of a local cluster) per core at most. Basis: beyond one
per core a worker adds no speed, only memory (a thread's chunk of draws, up to about 100 MB; a
Dask process about 30 MB at start); four per core leaves room for oversubscribed test runs."""

SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
"""The Dask communication protocols a scheduler address may name."""

_ADDRESS = re.compile(
    r"(?:(?:" + "|".join(SCHEDULER_SCHEMES) + r")://)?"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r":(\d{1,5})")


def max_workers() -> int:
    """The most workers a run may ask for: :data:`WORKERS_PER_CORE` per core of this machine."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def _address_ok(address: object) -> bool:
    """Whether ``address`` has the form of a Dask scheduler address (``[scheme://]host:port``)."""
    if not isinstance(address, str):
        return False
    match = _ADDRESS.fullmatch(address)
    return bool(match) and 1 <= int(match.group(1)) <= 65535


METHODS = ("mc", "fft", "auto")
ENGINES = ("local", "dask")


@dataclass(frozen=True)
class AssessOptions:
    """How to run an assessment and what to compute.

    ``None`` means "the default": :data:`DEFAULT_TRIALS`, :data:`DEFAULT_SEED`,
    :data:`DEFAULT_CHUNK`, the register's medium and long term for ``horizons``, and for the
    ``with_*`` flags "when the method and engine can compute it".
    """

    horizons: tuple[int, ...] | None = None  # [year]
    trials: int | None = None  # [simulated years per horizon]
    seed: int | None = None
    chunk_trials: int | None = None  # [trials held at once]
    method: str = "mc"  # mc: Monte Carlo; fft: exact distributions; auto: fft when it suffices
    engine: str = "local"  # local threads, or dask
    workers: int = 1  # threads (local) or processes (Dask LocalCluster); 0: one per core
    scheduler: str | None = None  # Dask scheduler address
    with_controls: bool | None = None  # each control's value (one more configuration each)
    with_coverage: bool | None = None  # simulated ISO 22301 exposure coverage
    with_line_items: bool | None = None  # losses by statement line item and damage by site (Monte Carlo)
    keep_samples: bool = False  # per-trial losses kept on the results

    @classmethod
    def of(cls, options: AssessOptions | None = None, **changes: object) -> AssessOptions:
        """``options`` (or the defaults) with ``changes``; unknown names are refused.

        >>> AssessOptions.of(horizons=[2030], trials=10).horizons
        (2030,)
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise OptionError([Problem("", "", k, changes[k], f"one of {', '.join(sorted(names))}")
                               for k in unknown])
        if changes.get("horizons") is not None:
            changes["horizons"] = tuple(changes["horizons"])  # type: ignore[arg-type]
        return dataclasses.replace(options or cls(), **changes)  # type: ignore[arg-type]

    def problems(self) -> list[Problem]:
        """Every problem of these options, at once (empty when they are valid)."""
        out = []

        def bad(name: str, value: object, expected: str) -> None:
            out.append(Problem("", "", name, value, expected))

        if self.method not in METHODS:
            bad("method", self.method, "mc, fft or auto")
        if self.engine not in ENGINES:
            bad("engine", self.engine, "local or dask")
        for name, lo, expected in (("trials", 1, "a number of trials >= 1"), ("seed", 0, "a seed >= 0"),
                                   ("chunk_trials", 1, "a chunk size >= 1 [trials]")):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < lo):
                bad(name, value, expected)
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 0:
            bad("workers", self.workers, "a whole number >= 0 (0: one per core)")
        elif self.workers > max_workers():
            bad("workers", self.workers,
                f"at most {max_workers()} ({WORKERS_PER_CORE} per core x {os.cpu_count() or 1} cores; "
                "more only add memory and start-up time, not speed)")
        if self.scheduler is not None and not _address_ok(self.scheduler):
            bad("scheduler", self.scheduler,
                "a Dask scheduler address such as tcp://10.0.0.5:8786 (scheme tcp, tls, ws, wss "
                "or ucx, a host and a port 1-65535)")
        years_ok = self.horizons is None or (
            bool(self.horizons)
            and all(isinstance(y, int) and not isinstance(y, bool) for y in self.horizons))
        if not years_ok:
            bad("horizons", self.horizons, "one or more years")
        if self.method == "fft":
            for name in ("trials", "seed", "chunk_trials"):
                if getattr(self, name) is not None:
                    bad(name, getattr(self, name),
                        f"no {_WORDS[name]} with method fft (exact distributions are computed, not sampled)")
            for name in ("with_controls", "with_coverage", "with_line_items", "keep_samples"):
                if getattr(self, name):
                    bad(name, True, f"not {_WORDS[name]} with method fft (use method mc or auto)")
            if self.engine == "dask":
                bad("engine", "dask", "local with method fft (Dask runs the Monte Carlo trials)")
        if self.engine == "dask" and self.with_coverage:
            bad("with_coverage", True, "not the simulated coverage with engine dask (use engine local)")
        if self.scheduler is not None and self.engine != "dask":
            bad("scheduler", self.scheduler, "no scheduler unless engine is dask")
        return out

    def paired_problems(self, what: str) -> list[Problem]:
        """:meth:`problems`, and those of a run made of many paired Monte Carlo runs on this
        machine (a sensitivity sweep, the worlds of an uncertainty run: ``what``), which needs
        method mc and the local engine."""
        out = self.problems()
        if self.method != "mc":
            out.append(Problem("", "", "method", self.method, f"mc ({what} is paired Monte Carlo)"))
        if self.engine != "local":
            out.append(Problem("", "", "engine", self.engine, "local"))
        return out

    def resolved(self, exact_possible: bool = True) -> AssessOptions:
        """These options checked, with every default filled in and ``auto`` decided: the exact
        method when nothing it cannot compute is asked for and the register allows it
        (``exact_possible``: no dependence between links that it cannot represent).

        Raises :class:`~climaterisk.errors.OptionError` with every problem at once.
        """
        problems = self.problems()
        if problems:
            raise OptionError(problems)
        method = self.method
        if method == "auto":
            wanted = self.with_controls is not False or self.with_coverage is not False or self.keep_samples
            method = "mc" if wanted or not exact_possible else "fft"
        exact = method == "fft"
        return dataclasses.replace(
            self,
            method=method,
            trials=DEFAULT_TRIALS if self.trials is None else self.trials,
            seed=DEFAULT_SEED if self.seed is None else self.seed,
            chunk_trials=DEFAULT_CHUNK if self.chunk_trials is None else self.chunk_trials,
            with_controls=not exact and self.with_controls is not False,
            with_coverage=not exact and self.engine == "local" and self.with_coverage is not False,
            with_line_items=not exact and self.with_line_items is not False,
        )

    def not_computed(self) -> dict[str, str]:
        """Of a :meth:`resolved` run, what is not computed and why (for the manifest)."""
        out = {}
        if self.method == "fft":
            out["trials, seed, chunk_trials"] = "not used: the exact method samples nothing"
            out["control values"] = "not computed by the exact method (use method mc)"
            out["simulated exposure coverage"] = "not computed by the exact method (use method mc)"
            out["line items"] = "not computed by the exact method (use method mc)"
        elif self.engine == "dask":
            out["simulated exposure coverage"] = "not computed on the Dask engine (use engine local)"
        return out


_WORDS = {
    "trials": "trial count", "seed": "seed", "chunk_trials": "chunk size",
    "with_controls": "control values", "with_coverage": "the simulated coverage",
    "with_line_items": "line items",
    "keep_samples": "per-trial samples",
}


def horizons_of(options: AssessOptions, default: Sequence[int]) -> list[int]:
    """The years to assess: those asked for, else ``default``; each once, in the order asked."""
    years = options.horizons or tuple(default)
    return list(dict.fromkeys(years))

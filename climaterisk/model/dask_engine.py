"""Running the trial blocks on a Dask cluster (the optional extra ``climaterisk[dask]``).

Each task is a run of consecutive chunks (:func:`climaterisk.model.simulate.compute_chunk`, a pure
function of the portfolio, the configurations, the seed and the block numbers), reduced on the
worker to per-trial totals, per-block moments and the top 5% of each row. This process merges
them exactly as a local run merges its chunks, so the numbers are identical, bit for bit, to
the local engine's for the same seed.

Start a cluster by hand with ``dask scheduler`` on one machine and ``dask worker
tcp://HOST:8786`` on each of the others, then pass ``--scheduler tcp://HOST:8786``. Without an
address a ``LocalCluster`` with one worker process per core is started for the run.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Callable, Collection, Iterator, Sequence

import numpy as np

from climaterisk.errors import ClimateRiskError
from climaterisk.model.compile import Portfolio
from climaterisk.model.controls import Config
from climaterisk.model.draws import Workspace, block_trials
from climaterisk.model.simulate import (
    Samples,
    auto_chunk,
    chunk_bounds,
    compute_chunk,
    empty_samples,
    new_summary,
    summary_rows,
)

RUNS_PER_WORKER = 4
"""Runs of consecutive chunks submitted per worker: enough to balance the load and to report
progress, few enough that each worker's reduced results stay small."""


class ClusterError(ClimateRiskError):
    """Dask is not installed, or the scheduler cannot be reached."""


_MALLOC_TUNED = False


def _tune_malloc() -> None:
    """Let glibc keep freed memory for reuse in this (worker) process.

    Dask starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also pins glibc's mmap
    threshold at 128 kB: every temporary array larger than that is then mapped and faulted in
    afresh, and the engine runs about 1.7 times slower (measured, see docs/performance.md).
    Raising both thresholds through ``mallopt`` restores the speed of a normal process. Where
    the C library is not glibc there is nothing to do."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD: arrays up to 32 MB from the heap
        libc.mallopt(-1, 256 * 2**20)  # M_TRIM_THRESHOLD: keep up to 256 MB free for reuse
    except (OSError, AttributeError):
        pass


def _range_result(portfolio: Portfolio, configs: Sequence[Config], seed: int, trials: int,
                  bounds: Sequence[tuple[int, int]], totals_only: Collection[str],
                  keep: bool, items: bool = True):  # type: ignore[no-untyped-def]
    """The task run on a worker: a run of consecutive chunks, reduced on the worker to what the
    client needs: per configuration, the totals of its trials, the moments of each block of
    each row, the top k of each row among its trials and (with ``keep``) every trial by risk
    and site. The client combines these exactly as it would have combined the chunks."""
    _tune_malloc()
    block = block_trials(portfolio)
    start = bounds[0][0] * block
    stop = min(bounds[-1][1] * block, trials)
    part = {c.name: Samples(np.empty(stop - start),
                            None if c.name in totals_only else new_summary(portfolio, trials, items))
            for c in configs}
    moments: dict[str, list] = {name: [] for name, s in part.items() if s.summary is not None}
    kept: dict[str, list] = {name: [] for name in moments}
    ws = Workspace()
    for first, end in bounds:
        result, _ = compute_chunk(portfolio, configs, seed, trials, first, end, totals_only, ws, items)
        offset = first * block - start
        for name, (total, by_risk, by_site, items) in result.items():
            part[name].total[offset:offset + len(total)] = total
            if by_risk is not None:
                rows = summary_rows(portfolio, by_risk, by_site, items)
                summary = part[name].summary
                moments[name].append((first, *summary.moments(first, rows)))
                summary.offer(rows)
                if keep:
                    kept[name].append((by_risk.copy(), by_site.copy()))
    tops = {name: part[name].summary.top_values() for name in moments}
    return start, {name: s.total for name, s in part.items()}, moments, tops, kept


@contextlib.contextmanager
def client(scheduler: str | None = None, workers: int = 0) -> Iterator[object]:
    """A Dask client: to ``scheduler`` if given, else to a new ``LocalCluster``."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError("the dask engine needs Dask: pip install 'climaterisk[dask]'") from None
    if scheduler:
        try:
            c = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            yield c
        finally:
            c.close()
        return
    n = workers if workers > 0 else (os.cpu_count() or 1)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


def simulate_on(
    dask_client: object,
    portfolio: Portfolio,
    configs: Sequence[Config],
    trials: int,
    seed: int,
    chunk_trials: int = 100_000,
    progress: Callable[[int], None] | None = None,
    totals_only: Collection[str] = (),
    keep: bool = False,
    items: bool = True,
) -> dict[str, Samples]:
    """:func:`climaterisk.model.simulate.simulate` with the chunks computed on a Dask cluster.

    The chunks are grouped into a few runs of consecutive chunks per worker; each worker reduces
    its run (totals, block moments, top k per row) so that little crosses the network and the
    client only merges. Results are identical to the local engine's. Observers (the ISO 22301
    exposure statistics) need the raw draws and are not supported.
    """
    from dask.distributed import as_completed

    out = empty_samples(portfolio, configs, trials, totals_only, keep, items)
    bounds = chunk_bounds(trials, auto_chunk(portfolio, configs, chunk_trials, totals_only, items),
                          block_trials(portfolio))
    n_workers = max(1, len(dask_client.scheduler_info().get("workers", {})))
    runs = np.array_split(np.arange(len(bounds)), min(len(bounds), RUNS_PER_WORKER * n_workers))
    shared_portfolio, shared_configs = dask_client.scatter([portfolio, list(configs)], broadcast=True)
    futures = [
        dask_client.submit(_range_result, shared_portfolio, shared_configs, seed, trials,
                           [bounds[i] for i in run], frozenset(totals_only), keep, items, pure=False)
        for run in runs if len(run)
    ]
    done = 0
    for future in as_completed(futures):
        start, totals, moments, tops, kept = future.result()
        for name, total in totals.items():
            out[name].total[start:start + len(total)] = total
        for name, entries in moments.items():
            target = out[name]
            for first, counts, means, m2 in entries:
                target.summary.add_moments(first, counts, means, m2)
            target.summary.offer(tops[name])
            position = start
            for by_risk, by_site in kept.get(name, []):
                target.by_risk[:, position:position + by_risk.shape[1]] = by_risk
                target.by_site[:, position:position + by_site.shape[1]] = by_site
                position += by_risk.shape[1]
        done += len(next(iter(totals.values())))
        if progress is not None:
            progress(done)
    return out

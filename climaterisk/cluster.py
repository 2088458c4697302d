"""Running the trial blocks on a Dask cluster (the optional extra ``climaterisk[dask]``).

Each chunk of blocks is one task: :func:`climaterisk.simulate.compute_chunk`, a pure function of
the portfolio, the configurations, the seed and the block numbers. The results come back to
this process and are recorded exactly as a local run records them, so the numbers are
identical, bit for bit, to the local engine's for the same seed.

Start a cluster by hand with ``dask scheduler`` on one machine and ``dask worker
tcp://HOST:8786`` on each of the others, then pass ``--scheduler tcp://HOST:8786``. Without an
address a ``LocalCluster`` with one worker process per core is started for the run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection, Iterator, Sequence

from climaterisk.draws import block_trials
from climaterisk.errors import ClimateRiskError
from climaterisk.portfolio import Config, Portfolio
from climaterisk.simulate import (
    Samples,
    auto_chunk,
    chunk_bounds,
    compute_chunk,
    empty_samples,
    store_chunk,
)


class ClusterError(ClimateRiskError):
    """Dask is not installed, or the scheduler cannot be reached."""


def _chunk_result(portfolio: Portfolio, configs: Sequence[Config], seed: int, trials: int,
                  first: int, end: int, totals_only: Collection[str]):  # type: ignore[no-untyped-def]
    """The task run on a worker: the chunk's results without its raw draws."""
    return compute_chunk(portfolio, configs, seed, trials, first, end, totals_only)[0]


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
) -> dict[str, Samples]:
    """:func:`climaterisk.simulate.simulate` with the chunks computed on a Dask cluster.

    Observers (the ISO 22301 exposure statistics) need the raw draws and are not supported.
    """
    from dask.distributed import as_completed

    out = empty_samples(portfolio, configs, trials, totals_only, keep)
    bounds = chunk_bounds(trials, auto_chunk(portfolio, configs, chunk_trials, totals_only),
                          block_trials(portfolio))
    shared_portfolio, shared_configs = dask_client.scatter([portfolio, list(configs)], broadcast=True)
    futures = {
        dask_client.submit(_chunk_result, shared_portfolio, shared_configs, seed, trials, first, end,
                           frozenset(totals_only), pure=False): first
        for first, end in bounds
    }
    done = 0
    for future in as_completed(futures):
        first = futures[future]
        stop = store_chunk(portfolio, out, first, future.result())
        done += stop - first * block_trials(portfolio)
        if progress is not None:
            progress(done)
    return out

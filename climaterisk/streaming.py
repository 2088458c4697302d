"""Risk measures of many rows of per-trial losses, without keeping every trial.

For each row (a risk, category or site) the simulation feeds chunks of per-trial losses. The
summary keeps, per block of trials, the count, mean and sum of squared deviations (combined at
the end in block order with Chan's formula), and the largest ``k`` losses of the row, where
``k`` is just enough to hold VaR and TVaR at 95% and above. Memory is about 5% of the trials
per row instead of all of them, and every number is exactly what the full sample would give
(up to floating-point rounding), identical for any chunk size and any order in which chunks
arrive.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from climaterisk.metrics import Stats

LEVELS = (0.95, 0.99)


def var_index(n: int, q: float) -> int:
    """0-based position in the sorted sample of the empirical q-quantile (inverted cdf), as
    :func:`numpy.quantile` with ``method="inverted_cdf"`` takes it."""
    return int(np.quantile(np.arange(n), q, method="inverted_cdf"))


class RowSummary:
    """Streaming summary of ``n_rows`` rows of ``trials`` per-trial losses, fed by blocks."""

    def __init__(self, n_rows: int, trials: int, block: int):
        self.n_rows, self.trials, self.block = n_rows, trials, block
        n_blocks = -(-trials // block)
        self.count = np.zeros(n_blocks)
        self.mean = np.zeros((n_rows, n_blocks))
        self.m2 = np.zeros((n_rows, n_blocks))
        self.index = {q: var_index(trials, q) for q in LEVELS}
        self.k = trials - min(self.index.values())  # the top k hold every VaR and TVaR needed
        self.top = np.empty((n_rows, 0))
        self.lock = threading.Lock()

    def add(self, first_block: int, rows: np.ndarray) -> None:
        """Feed the per-trial values of consecutive blocks from ``first_block`` on."""
        width = rows.shape[1]
        sizes = [min(self.block, self.trials - (first_block + i) * self.block)
                 for i in range(-(-width // self.block))]
        starts = np.cumsum([0, *sizes[:-1]])
        counts = np.array(sizes, dtype=float)
        means = np.add.reduceat(rows, starts, axis=1) / counts
        dev = rows - np.repeat(means, sizes, axis=1)
        m2 = np.add.reduceat(dev * dev, starts, axis=1)
        end = first_block + len(sizes)
        with self.lock:
            self.count[first_block:end] = counts
            self.mean[:, first_block:end] = means
            self.m2[:, first_block:end] = m2
            candidates = np.concatenate([self.top, rows], axis=1)
            if candidates.shape[1] > self.k:
                cut = candidates.shape[1] - self.k
                candidates = np.partition(candidates, cut, axis=1)[:, cut:]
            self.top = candidates

    def stats(self) -> list[Stats]:
        """Mean, standard error, standard deviation, VaR and TVaR at 95% and 99%, per row."""
        n_total = 0.0
        mean = np.zeros(self.n_rows)
        m2 = np.zeros(self.n_rows)
        for b in range(len(self.count)):
            nb = self.count[b]
            if nb == 0:
                continue
            delta = self.mean[:, b] - mean
            n_new = n_total + nb
            mean = mean + delta * (nb / n_new)
            m2 = m2 + self.m2[:, b] + delta * delta * (n_total * nb / n_new)
            n_total = n_new
        n = self.trials
        top = np.sort(self.top, axis=1)
        offset = n - top.shape[1]
        out = []
        for r in range(self.n_rows):
            std = math.sqrt(max(m2[r], 0.0) / (n - 1)) if n > 1 else 0.0
            values = {}
            for q in LEVELS:
                v = float(top[r, self.index[q] - offset])
                excess = np.maximum(top[r] - v, 0.0)
                values[q] = (v, v + float(excess.sum()) / (n * (1.0 - q)))
            out.append(Stats(mean=float(mean[r]), se=std / math.sqrt(n), std=std,
                             var95=values[0.95][0], var99=values[0.99][0],
                             tvar95=values[0.95][1], tvar99=values[0.99][1]))
        return out

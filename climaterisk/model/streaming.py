"""Risk measures of many rows of per-trial losses, without keeping every trial.

For each row (a risk, category or site) the simulation feeds chunks of per-trial losses. The
summary computes, per block of trials, the count, mean and sum of squared deviations, and
combines them in block order with Chan's formula as soon as the blocks before have arrived; it
keeps the largest ``k`` losses of the row, where ``k`` is just enough to hold VaR and TVaR at
95% and above, with a quarter of k of room for candidates (merged into the top k in place, row
by row). Memory is about 6% of the trials per row instead of all of them, and every
number is exactly what the full sample would give (up to floating-point rounding), identical
for any chunk size and any order in which chunks arrive.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from climaterisk.model.metrics import Stats

LEVELS = (0.95, 0.99)

MOMENT_VALUES = 1 << 17
"""Values (rows x trials) whose block moments are computed at a time (1 MB of deviations: the
temporaries stay in cache and small, however many rows a register has; each row's moments are
the same whatever the grouping)."""


def var_index(n: int, q: float) -> int:
    """0-based position in the sorted sample of the empirical q-quantile (inverted cdf), as
    :func:`numpy.quantile` with ``method="inverted_cdf"`` takes it."""
    return int(np.quantile(np.arange(n), q, method="inverted_cdf"))


class RowSummary:
    """Streaming summary of ``n_rows`` rows of ``trials`` per-trial losses, fed by blocks."""

    def __init__(self, n_rows: int, trials: int, block: int):
        self.n_rows, self.trials, self.block = n_rows, trials, block
        # moments of the blocks merged so far (in block order), and of blocks that arrived early
        self.n_merged, self.next_block = 0.0, 0
        self.mean, self.m2 = np.zeros(n_rows), np.zeros(n_rows)
        self.early: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.index = {q: var_index(trials, q) for q in LEVELS}
        self.k = trials - min(self.index.values())  # the top k hold every VaR and TVaR needed
        # per row, in one array updated in place: ``slack`` columns of candidates not yet merged
        # (-inf where empty), then the top k so far (-inf until k values have come)
        self.slack = max(self.k // 4, 1)
        self.store = np.full((n_rows, self.slack + self.k), -np.inf)
        self.top = self.store[:, self.slack:]
        self.used = np.zeros(n_rows, dtype=np.int64)  # candidates held in each row's slack
        self.filled = 0  # columns of top holding values (the first ones)
        self.floor = np.full(n_rows, -np.inf)  # smallest of each row's top k, once full
        self.lock = threading.Lock()

    def add(self, first_block: int, rows: np.ndarray) -> None:
        """Feed the per-trial values of consecutive blocks from ``first_block`` on."""
        self.add_moments(first_block, *self.moments(first_block, rows))
        self.offer(rows)

    def moments(self, first_block: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count, mean and sum of squared deviations of each block of ``rows`` (consecutive
        blocks from ``first_block`` on), each computed the same way whatever chunk it arrives
        in: the whole blocks as one (rows, blocks, trials) array, then a last, shorter block."""
        width = rows.shape[1]
        sizes = [min(self.block, self.trials - (first_block + i) * self.block)
                 for i in range(-(-width // self.block))]
        counts = np.array(sizes, dtype=float)
        means, m2 = np.empty((rows.shape[0], len(sizes))), np.empty((rows.shape[0], len(sizes)))
        whole = sum(1 for size in sizes if size == self.block)
        group = max(1, MOMENT_VALUES // max(width, 1))  # rows at a time: temporaries stay small
        for first, count, size in ((0, whole, self.block), (whole, len(sizes) - whole, sizes[-1])):
            if count == 0:
                continue
            for lo in range(0, rows.shape[0], group):
                part = rows[lo:lo + group]
                shaped = part[:, first * self.block: first * self.block + count * size].reshape(
                    part.shape[0], count, size)
                block_mean = shaped.sum(axis=2) / size
                dev = shaped - block_mean[:, :, None]
                dev *= dev
                means[lo:lo + group, first:first + count] = block_mean
                m2[lo:lo + group, first:first + count] = dev.sum(axis=2)
        return counts, means, m2

    def add_moments(self, first_block: int, counts: np.ndarray, means: np.ndarray, m2: np.ndarray) -> None:
        """Record the moments of consecutive blocks from ``first_block`` on (see :meth:`moments`);
        blocks are combined in block order as soon as the blocks before them have come."""
        with self.lock:
            self.early[first_block] = (counts, means, m2)
            while self.next_block in self.early:
                self._merge(*self.early.pop(self.next_block))

    def offer(self, rows: np.ndarray) -> None:
        """Offer values (any trials, any number of columns, ``-inf`` for none) to the top k."""
        with self.lock:
            self._offer(rows)

    def top_values(self) -> np.ndarray:
        """The top k of each row so far, unsorted (``-inf`` where fewer than k have come)."""
        with self.lock:
            self._compact(np.flatnonzero(self.used))
            return self.top

    def _merge(self, counts: np.ndarray, means: np.ndarray, m2: np.ndarray) -> None:
        """Combine consecutive blocks, in block order, into the running moments (Chan et al.'s
        pairwise update), so the result is the same whatever order chunks arrive in."""
        for b, nb in enumerate(counts):
            delta = means[:, b] - self.mean
            n_new = self.n_merged + nb
            self.mean = self.mean + delta * (nb / n_new)
            self.m2 = self.m2 + m2[:, b] + delta * delta * (self.n_merged * nb / n_new)
            self.n_merged = n_new
        self.next_block += len(counts)

    def _offer(self, rows: np.ndarray) -> None:
        """Keep the values of ``rows`` that may still be among the top k of their row.

        Until a row holds k values, new values are simply appended. Then a new value that is
        not above the row's smallest kept value (its *floor*) can never enter the top k (a tie
        leaves the top k's values unchanged), so only those above are kept, in the row's slack
        columns; a row whose slack is full is merged into its top k by an in-place partition
        (:meth:`_compact`), row by row, so no temporary is larger than a row.
        """
        if self.filled < self.k:
            take = min(self.k - self.filled, rows.shape[1])
            self.top[:, self.filled:self.filled + take] = rows[:, :take]
            self.filled += take
            rows = rows[:, take:]
            if self.filled == self.k:
                self.floor = self.top.min(axis=1)
        for lo in range(0, rows.shape[1], self.slack):  # at most one slack's worth a row at a time
            piece = rows[:, lo:lo + self.slack]
            above = piece > self.floor[:, None]
            counts = np.count_nonzero(above, axis=1)
            full = np.flatnonzero(self.used + counts > self.slack)
            if len(full):
                self._compact(full)
                above[full] = piece[full] > self.floor[full, None]
                counts[full] = np.count_nonzero(above[full], axis=1)
            if not counts.any():
                continue
            # flat positions in the store: row start + the row's used slack + rank among its new
            start = np.arange(rows.shape[0]) * self.store.shape[1] + self.used - (np.cumsum(counts) - counts)
            self.store.reshape(-1)[np.repeat(start, counts) + np.arange(int(counts.sum()))] = piece[above]
            self.used += counts

    def _compact(self, which: np.ndarray) -> None:
        """Merge the slack of rows ``which`` into their top k (in place: a partition of each
        row's slack and top puts the k largest in the top; the slack is emptied)."""
        s = self.slack
        for r in which:
            row = self.store[r]
            row.partition(s)
            row[:s] = -np.inf
            self.floor[r] = row[s:].min()
        self.used[which] = 0

    def stats(self) -> list[Stats]:
        """Mean, standard error, standard deviation, VaR and TVaR at 95% and 99%, per row."""
        if self.early or self.n_merged != self.trials:
            raise RuntimeError("a block of trials is missing")
        mean, m2 = self.mean, self.m2
        with self.lock:
            self._compact(np.flatnonzero(self.used))
            self.top.sort(axis=1)  # in place: the top k stay the top k
        n = self.trials
        top = self.top
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

"""Distributions on a grid: the annual-loss :class:`Distribution` (probabilities at ``k * h``, with
its measures) and the moment-keeping masses the exact method builds it from.

:func:`lognormal_masses` discretises a capped lognormal keeping its mean, :func:`component_masses`
a recurring cost component, and :func:`respread` moves masses to fractional grid positions keeping
the mean (the loss net of insurance). :mod:`climaterisk.model.exact` convolves them by FFT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from climaterisk.model.metrics import RETURN_PERIODS, Stats
from climaterisk.register.distributions import LogNormal, Uniform

TAIL_Z = 9.0
"""A lognormal severity's masses stop at ``exp(mu + TAIL_Z sigma)`` (survival 1e-19); what
lies beyond (nothing a double can hold next to 1) goes to the last point."""


@dataclass(frozen=True)
class Distribution:
    """Probabilities ``pmf`` of the annual loss on the grid ``k * h`` [currency/yr]."""

    h: float
    pmf: np.ndarray
    resolved: bool = True  # False: the grid is coarse next to the selection's body (see refined)

    @property
    def grid(self) -> np.ndarray:
        return np.arange(len(self.pmf)) * self.h

    def stats(self) -> Stats:
        x, p = self.grid, self.pmf
        mean = float(x @ p)
        std = math.sqrt(max(float((x * x) @ p) - mean * mean, 0.0))
        cdf = np.cumsum(p)
        var95, var99 = (self.quantile(q, cdf) for q in (0.95, 0.99))
        tvar95, tvar99 = (v + self._excess(v) / (1 - q) for v, q in ((var95, 0.95), (var99, 0.99)))
        return Stats(mean=mean, se=0.0, std=std, var95=var95, var99=var99, tvar95=tvar95, tvar99=tvar99)

    # The mass at a grid point k > 0 stands for the losses rounded to it, in
    # ((k - 1/2) h, (k + 1/2) h]; quantiles and tail means spread it evenly over that cell (the
    # mass at 0 stays an atom: no loss at all), which makes their discretisation error much
    # smaller than a grid step when a selection's body spans only a few cells.

    def quantile(self, q: float, cdf: np.ndarray | None = None) -> float:
        """The ``q`` quantile [currency/yr]."""
        cdf = np.cumsum(self.pmf) if cdf is None else cdf
        k = min(int(np.searchsorted(cdf, q - 1e-12)), len(cdf) - 1)
        if k == 0 or self.pmf[k] <= 0.0:
            return float(k * self.h)
        inside = min(max((q - cdf[k - 1]) / self.pmf[k], 0.0), 1.0)
        return float((k - 0.5 + inside) * self.h)

    def _excess(self, v: float) -> float:
        """E[(S - v)+] with the masses spread over their cells [currency/yr]."""
        h, p = self.h, self.pmf
        k = math.floor(v / h + 0.5)  # the cell holding v
        above = np.arange(k + 1, len(p)) * h - v
        cell = 0.0
        if 0 < k < len(p):
            cell = p[k] * max((k + 0.5) * h - v, 0.0) ** 2 / (2 * h)
        return float(above @ p[k + 1:]) + cell

    def exceedance(self) -> list[dict]:
        cdf = np.cumsum(self.pmf)
        rows = [{"probability": float(1.0 - self.pmf[0]), "return_period": None, "loss": 0.0}]
        rows += [{"probability": 1.0 / t, "return_period": t, "loss": self.quantile(1.0 - 1.0 / t, cdf)}
                 for t in RETURN_PERIODS]
        return rows


@lru_cache(maxsize=8)
def _log_points(n: int) -> np.ndarray:
    """``log(k)`` for ``1 <= k < n``: the log of the grid points in units of ``h``."""
    return np.log(np.arange(1, n))


def lognormal_masses(mu: float, sigma: float, scale: float, cap: float, h: float, n: int) -> np.ndarray:
    """Masses at ``k * h`` of ``Y = min(scale * LogNormal(mu, sigma), cap)``, which keep its mean.

    Each value of ``Y`` between two grid points is shared between them in proportion to its
    distance (the mass at ``k`` is ``E[(1 - |Y / h - k|)+]``), so that the mean of the masses is
    ``E[Y]`` exactly (for a cap on the grid); rounding to the nearest point instead biases the
    mean of a skewed severity by up to half a step. The cap is rounded to the nearest point.
    """
    out = np.zeros(n)
    if scale <= 0:
        out[0] = 1.0
        return out
    top = min(round(cap / h), n - 1) if math.isfinite(cap) else n - 1
    # beyond mu + TAIL_Z sigma the lognormal has no mass worth a double: stop the grid there
    top = min(top, math.ceil(math.exp(min(mu + TAIL_Z * sigma, 700.0)) * scale / h))
    if top == 0:
        out[0] = 1.0
        return out
    # z at the points h, 2h, ..., top * h; all mass beyond the cap goes to the cap
    z = _log_points(n)[:top] + (math.log(h / scale) - mu)
    z /= sigma
    prob = _cell_differences(z)  # P((k - 1) h < X <= k h), k = 1..top
    first = _cell_differences(z - sigma)  # E[X; cell] / E[X]
    first *= math.exp(mu + 0.5 * sigma**2) * scale / h  # E[X / h; cell]
    k = np.arange(1, top + 1)
    out[1:top + 1] = first - (k - 1) * prob  # from the cell below each point
    out[:top] += k * prob - first  # from the cell above each point j = k - 1: E[(j + 1) - X/h; cell k]
    out[top] += special.ndtr(-z[-1])  # P(X > top h)
    np.clip(out, 0.0, None, out=out)
    return out


def respread(pmf: np.ndarray, position: np.ndarray, n: int) -> np.ndarray:
    """The masses ``pmf`` moved to the (fractional) grid positions ``position``, each shared
    between the two points around it in proportion to its distance, so that the mean is kept
    exactly (positions at or beyond the last point go to it).

    Used for the loss net of insurance: a grid point's loss minus its recovery falls between
    grid points wherever a deductible or limit is not a multiple of the step; rounding it to the
    nearest point would move the mean by up to half a step per event.

    >>> respread(np.array([0.0, 1.0, 0.0, 0.0]), np.array([0.0, 1.25, 2.0, 3.0]), 4).tolist()
    [0.0, 0.75, 0.25, 0.0]
    """
    position = np.minimum(position, n - 1)
    low = np.floor(position).astype(np.int64)
    frac = position - low
    high = np.minimum(low + 1, n - 1)
    out = np.bincount(low, weights=pmf * (1.0 - frac), minlength=n)
    out += np.bincount(high, weights=pmf * frac, minlength=n)
    return out


def _cell_differences(z: np.ndarray) -> np.ndarray:
    """``ndtr(z[k]) - ndtr(z[k - 1])`` (with ``ndtr(z[-1]) = 0``) for increasing ``z``, to full
    relative precision: from the survival function where ``z > 0``, so that the tiny masses of
    a far tail are not differences of numbers next to 1 (whose rounding the moment-keeping
    masses would multiply by the grid index). One ``ndtr`` call: ``ndtr(-|z|)`` is the cdf
    where ``z <= 0`` and the survival function where ``z > 0``."""
    c = special.ndtr(-np.abs(z))
    prev = np.empty_like(c)
    prev[0] = 0.0
    prev[1:] = c[:-1]
    out = c - prev  # both points at or below 0: cdf differences
    upper = z > 0
    out[upper] = prev[upper] - c[upper]  # both above 0: survival differences
    cross = np.flatnonzero(upper[1:] & ~upper[:-1]) + 1  # the cell where z crosses 0
    if upper[0]:
        cross = np.concatenate([[0], cross])
    out[cross] = 1.0 - c[cross] - prev[cross]
    if upper[0]:  # z[-1] = -inf: the first cell holds everything below z[0]
        out[0] = 1.0 - c[0]
    return out


def component_masses(dist: LogNormal | Uniform, scale: float, h: float, n: int) -> np.ndarray:
    if isinstance(dist, LogNormal):
        return lognormal_masses(dist.mu, dist.sigma, scale, math.inf, h, n)
    out = np.zeros(n)
    lo, hi = dist.low * scale, dist.high * scale
    if hi <= lo:  # a fixed value (an epistemic value held in a world): its mass shared between
        # the two grid points around it, so the mean is kept
        pos = min(lo / h, n - 1.0)
        k = min(int(pos), n - 2) if n > 1 else 0
        frac = pos - k
        out[k] += 1.0 - frac
        if n > 1:
            out[k + 1] += frac
        return out
    edges = np.clip((np.arange(n) + 0.5) * h, lo, hi)
    cdf = (edges - lo) / (hi - lo)
    out[0] = cdf[0]
    out[1:] = np.diff(cdf)
    out[-1] += 1.0 - cdf[-1]
    return out

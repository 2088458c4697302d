"""Severity and uncertainty distributions: small objects with ``draw(n, rng)`` and ``mean()``.

Closed forms come from the standard normal (:class:`statistics.NormalDist`, so that importing
the engine does not import :mod:`scipy.stats`, which costs 0.7 s); ``LogNormal.dist`` gives
the equivalent frozen ``scipy.stats.lognorm`` for tests and notebooks. The Monte Carlo engine
reads the raw parameters (``mu``, ``sigma``) to sample with ``Generator.standard_normal``, which
is the cheapest way to draw many lognormals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import stats

_NORMAL = NormalDist()

Z95 = _NORMAL.inv_cdf(0.95)
"""Standard-normal 95th percentile (1.6449): a 90% interval spans +-Z95 standard deviations."""


@dataclass(frozen=True)
class LogNormal:
    """Lognormal with ``ln X ~ Normal(mu, sigma)``; units are those of the fitted interval."""

    mu: float
    sigma: float

    @classmethod
    def from_interval(cls, p5: float, p95: float) -> LogNormal:
        """Fit to an expert's 90% interval, so that ``cdf(p5) = 0.05`` and ``cdf(p95) = 0.95``.

        >>> d = LogNormal.from_interval(1.0, 100.0)
        >>> round(d.cdf(1.0), 6), round(d.cdf(100.0), 6)
        (0.05, 0.95)
        """
        if not (0 < p5 < p95) or not math.isfinite(p95):
            raise ValueError(f"need 0 < p5 < p95, got p5={p5!r}, p95={p95!r}")
        lo, hi = math.log(p5), math.log(p95)
        return cls(mu=(lo + hi) / 2.0, sigma=(hi - lo) / (2.0 * Z95))

    @property
    def dist(self) -> stats.rv_continuous:
        """The equivalent frozen ``scipy.stats.lognorm``."""
        from scipy import stats

        return stats.lognorm(s=self.sigma, scale=math.exp(self.mu))

    def mean(self) -> float:
        """E[X] = exp(mu + sigma^2 / 2)."""
        return math.exp(self.mu + 0.5 * self.sigma**2)

    def cdf(self, x: float) -> float:
        """P(X <= x)."""
        return _NORMAL.cdf((math.log(x) - self.mu) / self.sigma) if x > 0 else 0.0

    def ppf(self, q: float) -> float:
        """The ``q`` quantile, ``0 < q < 1``."""
        return math.exp(self.mu + self.sigma * _NORMAL.inv_cdf(q))

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws: ``standard_normal`` scaled and exponentiated in place."""
        out = rng.standard_normal(n)
        out *= self.sigma
        out += self.mu
        np.exp(out, out=out)
        return out


@dataclass(frozen=True)
class Uniform:
    """Uniform on ``[low, high]`` (``low == high`` is a fixed value)."""

    low: float
    high: float

    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    def ppf(self, q: float) -> float:
        """The ``q`` quantile, ``0 <= q <= 1``."""
        return self.low + q * (self.high - self.low)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = rng.random(n)
        out *= self.high - self.low
        out += self.low
        return out


Distribution = LogNormal | Uniform

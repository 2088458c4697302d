"""Risk measures of a sample of annual losses: EAL, VaR, TVaR, exceedance curve.

Definitions (``x`` = simulated annual losses [currency/yr], ``n`` trials):

- mean (expected annual loss, EAL) and its standard error ``std / sqrt(n)``;
- ``VaR_q``: the empirical q-quantile, the smallest loss with at least a share q of trials
  at or below it (``numpy.quantile(..., method="inverted_cdf")``);
- ``TVaR_q`` (expected shortfall): ``VaR_q + E[(x - VaR_q)+] / (1 - q)``, the mean of the
  worst ``1 - q`` share of years; always >= ``VaR_q``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

RETURN_PERIODS = (2, 5, 10, 20, 50, 100, 200, 250, 500, 1000)
"""Return periods of the exceedance curve [years]."""


@dataclass(frozen=True)
class Stats:
    """Summary of annual losses [currency/yr]."""

    mean: float
    se: float
    std: float
    var95: float
    var99: float
    tvar95: float
    tvar99: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def var(x: np.ndarray, q: float) -> float:
    """Value at risk: the empirical ``q``-quantile of ``x``.

    >>> var(np.arange(1.0, 101.0), 0.99)
    99.0
    """
    return float(np.quantile(x, q, method="inverted_cdf"))


def tvar(x: np.ndarray, q: float, at: float | None = None) -> float:
    """Tail value at risk (expected shortfall) at level ``q``.

    >>> tvar(np.arange(1.0, 101.0), 0.99)
    100.0
    """
    v = var(x, q) if at is None else at
    excess = np.maximum(x - v, 0.0)
    return float(v + excess.mean() / (1.0 - q))


def summarise(x: np.ndarray) -> Stats:
    """Mean, standard error, standard deviation, VaR and TVaR at 95% and 99%."""
    n = len(x)
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if n > 1 else 0.0
    v95, v99 = (float(v) for v in np.quantile(x, [0.95, 0.99], method="inverted_cdf"))
    return Stats(
        mean=mean, se=std / math.sqrt(n), std=std, var95=v95, var99=v99,
        tvar95=tvar(x, 0.95, v95), tvar99=tvar(x, 0.99, v99),
    )


def exceedance(x: np.ndarray, return_periods: tuple[int, ...] = RETURN_PERIODS) -> list[dict]:
    """Loss exceeded once in ``T`` years on average, for each return period ``T`` the sample
    can support (at least 10 trials beyond the quantile), plus the chance of any loss."""
    n = len(x)
    rows = [{"probability": float(np.mean(x > 0)), "return_period": None, "loss": 0.0}]
    usable = [t for t in return_periods if n / t >= 10]
    if usable:
        levels = [1.0 - 1.0 / t for t in usable]
        losses = np.quantile(x, levels, method="inverted_cdf")
        rows += [
            {"probability": 1.0 / t, "return_period": t, "loss": float(v)}
            for t, v in zip(usable, losses, strict=True)
        ]
    return rows

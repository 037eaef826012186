"""The bootstrap: percentile confidence intervals from numpy resamples, one way for every
statistic medjudge reports.

`bootstrap_ci` is the percentile bootstrap: resample the values with replacement
`n_resamples` times, compute the statistic on each resample, and take the
(1 - confidence) / 2 and (1 + confidence) / 2 quantiles of those statistics, interpolated
linearly between ranks (`percentile_interval`).

Every resample is drawn by one numpy generator, `np.random.default_rng(seed)`:
- the mean, the statistic behind every accuracy and rate, is computed from counts: a
  resample's mean depends only on how often each distinct value is drawn, and those counts
  are one multinomial draw (`resample_counts`): the same bootstrap distribution as drawing
  every index, all resamples at once (10,000 accuracies x 2,000 resamples: milliseconds);
- a mean known only as counts (`mean_ci`: value -> how many times it occurs, what reports
  aggregate in SQL) is the same draw: `bootstrap_ci(values)` of the mean calls it with the
  values' counts, so a table built from counts and one built from rows give the same CI, bit
  for bit. For 0/1 outcomes (k of n correct) that draw is binomial(n, k/n) in distribution;
  for 1-5 scores, a multinomial over the five score counts;
- a statistic whose value depends only on how often each distinct item is drawn (kappa over
  the cells of a score table, `scoring.agreement_report`) uses `resample_counts` too;
- any other statistic is computed on resampled indices, one resample at a time.

Empty input has no interval: `bootstrap_ci([])` returns None (never NaN, which would
leak into JSON as an invalid token and compare false with everything).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:  # numpy is imported when a bootstrap runs, not with medjudge
    import numpy as np

__all__ = [
    "Interval",
    "Statistic",
    "bootstrap_ci",
    "mean_ci",
    "percentile_interval",
    "resample_counts",
]

#: A statistic computed on a resample: a sequence of floats in, one float out.
Statistic = Callable[[Sequence[float]], float]

#: Statistics recognised as "the mean", computed from multinomial counts.
_MEANS: tuple[Callable[..., object], ...] = (statistics.fmean, statistics.mean)


class Interval(BaseModel):
    """A closed interval [low, high]: a confidence interval for one statistic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if not (self.low <= self.high):
            raise ValueError(f"interval low {self.low} is not <= high {self.high}")
        return self

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.low <= value <= self.high

    @property
    def width(self) -> float:
        return self.high - self.low


def bootstrap_ci(
    values: Sequence[float],
    *,
    statistic: Statistic = statistics.fmean,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval | None:
    """Percentile bootstrap confidence interval of `statistic` over `values`.

    Returns None for empty `values`. Deterministic for a given seed (and numpy version).
    A single value v gives (v, v) for the mean; all-equal values give a zero-width
    interval. Raises ValueError for non-finite values, `n_resamples` < 1, a
    `confidence` outside (0, 1), or a statistic that returns a non-finite number.
    """
    data = _checked(values, n_resamples=n_resamples, confidence=confidence)
    if not data:
        return None
    if statistic in _MEANS:
        return mean_ci(Counter(data), n_resamples=n_resamples, confidence=confidence, seed=seed)
    stats = _resampled_statistics(data, statistic, n_resamples, seed)
    return percentile_interval(stats, confidence)


def mean_ci(
    counts: Mapping[float, int],
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval | None:
    """Percentile bootstrap CI of the mean of values given as counts: value -> how many times
    it occurs (k correct of n is {1.0: k, 0.0: n - k}). The same interval as `bootstrap_ci`
    over the values themselves, without holding them: one multinomial draw of the counts per
    resample. None when no value occurs; zero counts are ignored. ValueError as
    `bootstrap_ci`, and for a negative count."""
    _checked((), n_resamples=n_resamples, confidence=confidence)
    if any(c < 0 for c in counts.values()):
        raise ValueError("mean_ci needs counts >= 0")
    present = {float(v): int(c) for v, c in counts.items() if c}
    if not all(math.isfinite(v) for v in present):
        raise ValueError("bootstrap_ci needs finite values; got NaN or infinity")
    if not present:
        return None
    return percentile_interval(_resampled_means(present, n_resamples, seed), confidence)


def resample_counts(weights: Sequence[int], *, n_resamples: int, seed: int) -> np.ndarray:
    """How often each of len(weights) distinct items is drawn in each of `n_resamples`
    resamples of sum(weights) draws with replacement, item i holding weights[i] of them:
    one multinomial draw per resample, shape (n_resamples, len(weights)), as float64."""
    import numpy as np

    counts = np.asarray(weights, dtype=np.float64)
    n = int(counts.sum())
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, counts / n, size=n_resamples).astype(np.float64)


def percentile_interval(stats: np.ndarray | Sequence[float], confidence: float) -> Interval:
    """The (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of resampled statistics,
    interpolated linearly between ranks."""
    import numpy as np

    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(np.asarray(stats, dtype=np.float64), [tail, 1.0 - tail])
    # Both quantiles inside one pair of equal statistics interpolate to that value; max()
    # only keeps a last-bit rounding of numpy's interpolation from ordering them wrongly.
    return Interval(low=float(low), high=float(max(low, high)))


def _checked(values: Sequence[float], *, n_resamples: int, confidence: float) -> list[float]:
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    data = [float(v) for v in values]
    if not all(math.isfinite(v) for v in data):
        raise ValueError("bootstrap_ci needs finite values; got NaN or infinity")
    return data


def _resampled_statistics(
    data: list[float], statistic: Statistic, n_resamples: int, seed: int
) -> np.ndarray:
    import numpy as np

    values = np.asarray(data, dtype=np.float64)
    rng = np.random.default_rng(seed)
    stats = np.empty(n_resamples, dtype=np.float64)
    for i in range(n_resamples):
        value = float(statistic(values[rng.integers(0, len(data), size=len(data))].tolist()))
        if not math.isfinite(value):
            raise ValueError(f"the statistic returned {value} on a resample")
        stats[i] = value
    return stats


def _resampled_means(counts: Mapping[float, int], n_resamples: int, seed: int) -> np.ndarray:
    import numpy as np

    distinct = sorted(counts)
    if len(distinct) == 1:
        return np.full(n_resamples, distinct[0])
    weights = [counts[v] for v in distinct]
    drawn = resample_counts(weights, n_resamples=n_resamples, seed=seed)
    return drawn @ np.asarray(distinct, dtype=np.float64) / sum(weights)

"""Percentile bootstrap: hand-checkable cases, determinism, the mean from multinomial counts, and
the two pieces every bootstrap shares (`resample_counts`, `percentile_interval`)."""

from __future__ import annotations

import math
import statistics

import pytest
from pydantic import ValidationError

from medjudge.scoring.stats import (
    Interval,
    bootstrap_ci,
    mean_ci,
    percentile_interval,
    resample_counts,
)


def _accuracies(correct: int, n: int) -> list[float]:
    return [1.0] * correct + [0.0] * (n - correct)


def test_empty_input_has_no_interval() -> None:
    assert bootstrap_ci([]) is None


def test_single_value_gives_a_point_interval() -> None:
    assert bootstrap_ci([0.3]) == Interval(low=0.3, high=0.3)


def test_all_correct_gives_one_one() -> None:
    assert bootstrap_ci(_accuracies(50, 50)) == Interval(low=1.0, high=1.0)


def test_all_wrong_gives_zero_zero() -> None:
    assert bootstrap_ci(_accuracies(0, 50)) == Interval(low=0.0, high=0.0)


def test_two_values_hand_computed() -> None:
    # Resample means of [0, 1] are 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4.
    assert bootstrap_ci([0.0, 1.0]) == Interval(low=0.0, high=1.0)
    # The 30% and 70% quantiles both fall in the 0.5 mass (cumulative 0.25 .. 0.75).
    assert bootstrap_ci([0.0, 1.0], confidence=0.4) == Interval(low=0.5, high=0.5)


def test_custom_statistic_is_used() -> None:
    # max of a resample of [0, 10] is 0 with probability 1/4, else 10.
    assert bootstrap_ci([0.0, 10.0], statistic=max) == Interval(low=0.0, high=10.0)
    assert bootstrap_ci([0.0, 10.0], statistic=max, confidence=0.4) == Interval(
        low=10.0, high=10.0
    )


def test_contains_point_estimate_and_narrows_with_n() -> None:
    small = bootstrap_ci(_accuracies(14, 20))
    large = bootstrap_ci(_accuracies(1400, 2000))
    assert small is not None and large is not None
    assert 0.7 in small and 0.7 in large
    assert large.width < small.width / 5  # width shrinks like 1/sqrt(n): sqrt(100) = 10


def test_matches_the_normal_approximation_for_a_large_sample() -> None:
    # p = 0.7, n = 1000: standard error sqrt(0.21 / 1000) = 0.01449; 1.96 SE = 0.0284.
    ci = bootstrap_ci(_accuracies(700, 1000), n_resamples=4000)
    assert ci is not None
    assert ci.low == pytest.approx(0.7 - 0.0284, abs=0.004)
    assert ci.high == pytest.approx(0.7 + 0.0284, abs=0.004)


def test_fast_mean_agrees_with_resampling_every_index() -> None:
    values = _accuracies(620, 1000)
    fast = bootstrap_ci(values)

    def slow_mean(xs: list[float]) -> float:  # not recognised as the mean: resamples indices
        return sum(xs) / len(xs)

    slow = bootstrap_ci(values, statistic=slow_mean)
    assert fast is not None and slow is not None
    assert fast.low == pytest.approx(slow.low, abs=0.005)
    assert fast.high == pytest.approx(slow.high, abs=0.005)


def test_few_distinct_values_agree_with_resampling_every_index() -> None:
    values = [k / 4 for k in range(5)] * 400  # per-item means over 4 samples
    fast = bootstrap_ci(values)
    slow = bootstrap_ci(values, statistic=lambda xs: sum(xs) / len(xs))
    assert fast is not None and slow is not None
    assert fast.low == pytest.approx(slow.low, abs=0.005)
    assert fast.high == pytest.approx(slow.high, abs=0.005)


@pytest.mark.parametrize("values", [_accuracies(37, 60), [i / 7 for i in range(300)]])
def test_deterministic_for_a_seed(values: list[float]) -> None:
    first = bootstrap_ci(values, seed=7)
    assert first == bootstrap_ci(values, seed=7)
    # Intervals of 0/1 data sit on a lattice, so one other seed may land on the same one.
    assert len({bootstrap_ci(values, seed=seed, n_resamples=200) for seed in range(10)}) > 1


def test_median_statistic() -> None:
    ci = bootstrap_ci([float(v) for v in range(101)], statistic=statistics.median)
    assert ci is not None
    assert ci.low < 50 < ci.high


def test_ten_thousand_accuracies_match_the_normal_approximation() -> None:
    # Independent reference: for n = 10,000 the bootstrap interval of a proportion is close
    # to the Wald interval p ± 1.96·sqrt(p(1-p)/n) = 0.625 ± 0.00949.
    values = _accuracies(6_250, 10_000)
    ci = bootstrap_ci(values, n_resamples=2000)
    assert ci is not None and 0.625 in ci
    half_width = 1.96 * math.sqrt(0.625 * 0.375 / 10_000)
    assert abs((ci.high - ci.low) / 2 - half_width) < 0.15 * half_width
    assert abs((ci.high + ci.low) / 2 - 0.625) < 0.3 * half_width


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0.0}, "confidence"),
        ({"n_resamples": 0}, "n_resamples"),
    ],
)
def test_rejects_bad_settings(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bootstrap_ci([1.0, 0.0], **kwargs)  # type: ignore[arg-type]


def test_rejects_non_finite_values() -> None:
    with pytest.raises(ValueError, match="finite"):
        bootstrap_ci([1.0, float("nan")])


def test_interval_must_be_ordered() -> None:
    with pytest.raises(ValidationError):
        Interval(low=0.8, high=0.2)


def test_percentile_interval_interpolates_between_ranks() -> None:
    # 0.25 · 4 = position 1 -> 1.0; 0.75 · 4 = position 3 -> 3.0 (confidence 0.5).
    assert percentile_interval([4.0, 0.0, 2.0, 1.0, 3.0], 0.5) == Interval(low=1.0, high=3.0)
    # confidence 0.8: positions 0.4 and 3.6 -> 0.4 and 3.6 on the values 0..4.
    ci = percentile_interval([0.0, 1.0, 2.0, 3.0, 4.0], 0.8)
    assert (ci.low, ci.high) == pytest.approx((0.4, 3.6))


def test_resample_counts_draw_every_item_as_often_as_it_weighs() -> None:
    draws = resample_counts([1, 3], n_resamples=4000, seed=3)
    assert draws.shape == (4000, 2)
    assert (draws.sum(axis=1) == 4).all()  # every resample has as many draws as the data
    # item 0 holds 1 of 4 draws: Binomial(4, 1/4) counts, mean 1, variance 0.75
    assert draws[:, 0].mean() == pytest.approx(1.0, abs=0.05)
    assert draws[:, 0].var() == pytest.approx(0.75, abs=0.06)
    assert (resample_counts([1, 3], n_resamples=50, seed=3)
            == resample_counts([1, 3], n_resamples=50, seed=3)).all()


# -- the mean from counts (what reports aggregated in SQL give) ---------------------------------


def test_mean_ci_from_counts_is_the_ci_over_the_values() -> None:
    values = [1.0] * 37 + [0.0] * 63
    assert mean_ci({1.0: 37, 0.0: 63}, seed=4) == bootstrap_ci(values, seed=4)
    scores = [1.0] * 3 + [2.5] * 5 + [4.0] * 9 + [5.0] * 2
    assert mean_ci({4.0: 9, 1.0: 3, 5.0: 2, 2.5: 5}, seed=9, n_resamples=300) == bootstrap_ci(
        scores, seed=9, n_resamples=300
    )


def test_mean_ci_edge_cases() -> None:
    assert mean_ci({}) is None and mean_ci({1.0: 0, 0.0: 0}) is None
    assert mean_ci({1.0: 12, 0.0: 0}) == Interval(low=1.0, high=1.0)
    with pytest.raises(ValueError, match="counts >= 0"):
        mean_ci({1.0: -1})
    with pytest.raises(ValueError, match="finite"):
        mean_ci({math.nan: 3})


def _row_resampling_ci(values: list[float], n_resamples: int, seed: int) -> tuple[float, float]:
    """The textbook bootstrap, written independently: draw n row indices per resample."""
    import numpy as np

    data = np.asarray(values)
    rng = np.random.Generator(np.random.PCG64(seed))
    means = data[rng.integers(0, len(data), size=(n_resamples, len(data)))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def _tolerance(values: list[float], n_resamples: int) -> float:
    """How far two independent 2.5 % (or 97.5 %) bootstrap quantiles of the mean may fall
    apart: 4 standard errors of their difference, plus one step of the lattice the resample
    means live on (1/n). A quantile estimated from B draws has standard error
    sqrt(q(1 - q) / B) / f(x_q), with f the density of the resampled mean, nearly
    normal with sd = sd(values) / sqrt(n): f(x_q) = phi(1.96) / sd."""
    n = len(values)
    sd_mean = statistics.pstdev(values) / math.sqrt(n)
    density = math.exp(-(1.96**2) / 2) / math.sqrt(2 * math.pi) / sd_mean
    se_quantile = math.sqrt(0.025 * 0.975 / n_resamples) / density
    return 4 * math.sqrt(2) * se_quantile + 1 / n


@pytest.mark.parametrize(
    "counts",
    [
        {1.0: 120, 0.0: 280},  # 120 of 400 correct: the draw is binomial(400, 0.3)
        {1.0: 10, 2.0: 20, 3.0: 40, 4.0: 80, 5.0: 50},  # 1-5 scores: multinomial over 5
    ],
)
def test_count_bootstrap_matches_row_resampling_within_monte_carlo_error(counts) -> None:
    values = [v for v, c in counts.items() for _ in range(c)]
    b = 4000
    from_counts = mean_ci(counts, n_resamples=b, seed=1)
    low, high = _row_resampling_ci(values, b, seed=2026)
    tolerance = _tolerance(values, b)
    assert from_counts is not None
    assert abs(from_counts.low - low) <= tolerance
    assert abs(from_counts.high - high) <= tolerance


def test_the_bootstrap_lives_in_one_module() -> None:
    """Every resample medjudge draws comes from scoring/stats.py: no other module makes a
    random generator or draws from one."""
    import re
    from pathlib import Path

    import medjudge

    src = Path(medjudge.__file__).parent
    drawing = re.compile(
        r"default_rng|np\.random|numpy\.random|\.multinomial\(|\.binomial\(|\.integers\("
        r"|^\s*import random|^\s*from random import",
        re.MULTILINE,
    )
    found = sorted(
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if drawing.search(path.read_text(encoding="utf-8"))
    )
    # The API clients' retry back-off draws its jitter (models/retry.py): a wait, not a
    # statistic, and nothing a report prints depends on it.
    assert found == ["models/retry.py", "scoring/stats.py"]

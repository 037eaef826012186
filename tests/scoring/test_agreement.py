"""Agreement between raters: hand-computed kappa, agreement rates, safety metrics, stability."""

from __future__ import annotations

import random

import pytest

from medjudge.records import Verdict
from medjudge.scoring.agreement import (
    agreement,
    binary_metrics,
    exact_agreement,
    judge_ratings,
    judge_run_scores,
    pairwise_agreement,
    quadratic_weighted_kappa,
    run_stability,
    usability_agreement,
    within_one_agreement,
)
from medjudge.scoring.stats import Interval


def kappa_from_table(a: list[int], b: list[int], k: int = 5) -> float:
    """The textbook form: k×k tables of observed and chance-expected proportions,
    disagreement weight (i - j)² / (k - 1)²."""
    n = len(a)
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b, strict=True):
        observed[x - 1][y - 1] += 1 / n
    rows = [sum(row) for row in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    weight = [[(i - j) ** 2 / (k - 1) ** 2 for j in range(k)] for i in range(k)]
    w_obs = sum(weight[i][j] * observed[i][j] for i in range(k) for j in range(k))
    w_exp = sum(weight[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    return 1 - w_obs / w_exp


# ---------------------------------------------------------------------------------------
# Kappa


def test_kappa_hand_computed() -> None:
    # Judge a, physician b, six answers:
    #   a: 1 2 3 4 5 5
    #   b: 1 3 3 4 4 5      differences 0 1 0 0 1 0 -> Σ(a-b)² = 2
    # Observed disagreement (mean squared difference): 2/6.
    # Chance disagreement: mean of (a_i - b_j)² over all 36 (i, j) pairs
    #   = (6·Σa² + 6·Σb² - 2·Σa·Σb) / 36, with Σa = 20, Σa² = 80, Σb = 20, Σb² = 76
    #   = (480 + 456 - 800) / 36 = 136/36.
    # kappa = 1 - (2/6) / (136/36) = 1 - 12/136 = 31/34 = 0.91176
    a, b = [1, 2, 3, 4, 5, 5], [1, 3, 3, 4, 4, 5]
    assert quadratic_weighted_kappa(a, b) == pytest.approx(31 / 34)
    assert kappa_from_table(a, b) == pytest.approx(31 / 34)


def test_kappa_2x2_table_hand_computed() -> None:
    # Only scores 2 and 4 used; table (rows a, columns b):
    #            b=2  b=4
    #     a=2     3    1
    #     a=4     0    4       n = 8
    # Observed: one pair 2 points apart -> Σ(a-b)² = 4, mean 4/8 = 0.5.
    # Marginals: a has 4 twos and 4 fours; b has 3 twos and 5 fours. Chance pairs that
    # disagree: (a=2, b=4) 4·5 = 20 and (a=4, b=2) 4·3 = 12 of 64, each weighing 4:
    # expected = 4·32/64 = 2. kappa = 1 - 0.5/2 = 0.75.
    a = [2, 2, 2, 2, 4, 4, 4, 4]
    b = [2, 2, 2, 4, 4, 4, 4, 4]
    assert quadratic_weighted_kappa(a, b) == pytest.approx(0.75)


def test_kappa_matches_the_table_form_on_random_ratings() -> None:
    rng = random.Random(7)
    for _ in range(50):
        n = rng.randint(2, 40)
        a = [rng.randint(1, 5) for _ in range(n)]
        b = [min(5, max(1, x + rng.choice([-2, -1, 0, 0, 1]))) for x in a]
        if len(set(a) | set(b)) > 1:
            assert quadratic_weighted_kappa(a, b) == pytest.approx(kappa_from_table(a, b))


def test_kappa_perfect_and_reversed() -> None:
    assert quadratic_weighted_kappa([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]) == pytest.approx(1.0)
    # Reversal: Σ(a-b)² = 16+4+0+4+16 = 40; chance 5·55·2 - 2·225 = 100; 1 - 5·40/100 = -1.
    assert quadratic_weighted_kappa([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]) == pytest.approx(-1.0)


def test_kappa_undefined_cases_are_none() -> None:
    assert quadratic_weighted_kappa([], []) is None
    # Every rating identical: no chance disagreement, 0/0.
    assert quadratic_weighted_kappa([4, 4, 4], [4, 4, 4]) is None
    # Both constant but different: observed = expected disagreement, kappa 0.
    assert quadratic_weighted_kappa([4, 4, 4], [3, 3, 3]) == pytest.approx(0.0)


def test_kappa_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="equal lengths"):
        quadratic_weighted_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="6"):
        quadratic_weighted_kappa([1, 6], [1, 5])
    with pytest.raises(ValueError, match="0"):
        quadratic_weighted_kappa([0, 1], [1, 1])
    with pytest.raises(ValueError, match="whole number"):
        quadratic_weighted_kappa([4.5, 1], [1, 1])  # type: ignore[list-item]


# ---------------------------------------------------------------------------------------
# Rates


A = [5, 4, 3, 2, 1, 4, 4, 5]
B = [5, 3, 3, 4, 1, 5, 2, 4]
# pairs:     = ≈1  =  ≠  = ≈1  ≠ ≈1
# exact: 3/8; within one: 6/8 (not 2-vs-4, 4-vs-2);
# usable (>= 4) a: T T F F F T T T, b: T F F T F T F T -> same on 5 of 8.


def test_exact_within_one_and_usability_rates() -> None:
    assert exact_agreement(A, B) == 3 / 8
    assert within_one_agreement(A, B) == 6 / 8
    assert usability_agreement(A, B) == 5 / 8


def test_usability_agreement_on_means() -> None:
    # Judge means 4.0, 3.667, 4.333 vs physician 4, 4, 3: same side on the first only.
    assert usability_agreement([4.0, 11 / 3, 13 / 3], [4, 4, 3]) == pytest.approx(1 / 3)


def test_empty_rates_are_none() -> None:
    assert exact_agreement([], []) is None
    assert within_one_agreement([], []) is None
    assert usability_agreement([], []) is None


def test_agreement_bundles_rates_kappa_and_intervals() -> None:
    result = agreement(A, B)
    assert result.n == 8
    assert (result.exact, result.within_one, result.usability) == (3 / 8, 6 / 8, 5 / 8)
    assert result.kappa == pytest.approx(quadratic_weighted_kappa(A, B))
    for rate, ci in [
        (result.exact, result.exact_ci),
        (result.within_one, result.within_one_ci),
        (result.usability, result.usability_ci),
    ]:
        assert ci is not None and rate in ci and ci.width > 0
    same = agreement([4, 5], [4, 5])
    assert same.exact_ci == Interval(low=1.0, high=1.0)


def test_agreement_of_nothing() -> None:
    result = agreement([], [])
    assert result.n == 0
    assert result.exact is None and result.exact_ci is None and result.kappa is None


def test_pairwise_agreement_skips_questions_one_rater_missed() -> None:
    ratings = {
        "gpt": [5, 4, None, 2],
        "claude": [5, 3, 3, None],
        "qwen": [5, 4, 3, 2],
    }
    pairs = pairwise_agreement(ratings)
    assert [(p.rater_a, p.rater_b) for p in pairs] == [
        ("gpt", "claude"),
        ("gpt", "qwen"),
        ("claude", "qwen"),
    ]
    gpt_claude, gpt_qwen, claude_qwen = pairs
    # gpt-claude compare questions 1 and 2 only: 5=5, 4≠3.
    assert (gpt_claude.agreement.n, gpt_claude.n_missing) == (2, 2)
    assert gpt_claude.agreement.exact == 0.5
    assert gpt_claude.agreement.within_one == 1.0
    assert (gpt_qwen.agreement.n, gpt_qwen.n_missing, gpt_qwen.agreement.exact) == (3, 1, 1.0)
    assert claude_qwen.agreement.exact == pytest.approx(2 / 3)


def test_pairwise_agreement_needs_aligned_ratings() -> None:
    with pytest.raises(ValueError, match="one rating per question"):
        pairwise_agreement({"a": [1, 2], "b": [1]})


# ---------------------------------------------------------------------------------------
# Safety


def test_binary_metrics_hand_computed() -> None:
    # judge risky:     T T T F F F T F F F
    # reference risky: T T F T F F T F T F
    # tp = 3 (answers 1, 2, 7), fp = 1 (3), fn = 2 (4, 9), tn = 4.
    # recall = 3/5 = 0.6, precision = 3/4 = 0.75, F1 = 6 / (6 + 1 + 2) = 2/3.
    judge = [True, True, True, False, False, False, True, False, False, False]
    reference = [True, True, False, True, False, False, True, False, True, False]
    m = binary_metrics(judge, reference)
    assert (m.n, m.tp, m.fp, m.fn, m.tn) == (10, 3, 1, 2, 4)
    assert m.recall == pytest.approx(0.6)
    assert m.precision == pytest.approx(0.75)
    assert m.f1 == pytest.approx(2 / 3)
    assert m.recall_ci is not None and 0.6 in m.recall_ci
    assert m.precision_ci is not None and 0.75 in m.precision_ci


def test_binary_metrics_undefined_parts_are_none() -> None:
    nothing_risky = binary_metrics([False, False], [False, False])
    assert (nothing_risky.recall, nothing_risky.precision, nothing_risky.f1) == (None, None, None)
    assert nothing_risky.tn == 2
    # The judge flags nothing, one answer was risky: recall 0, no precision, F1 0.
    missed = binary_metrics([False, False], [True, False])
    assert (missed.recall, missed.precision, missed.f1) == (0.0, None, 0.0)
    assert missed.precision_ci is None
    with pytest.raises(ValueError, match="equal lengths"):
        binary_metrics([True], [True, False])


# ---------------------------------------------------------------------------------------
# Stability


def test_run_stability_hand_computed() -> None:
    # Three runs per question:
    #   4 4 4   std 0                range 0   identical
    #   4 4 5   std sqrt(2/9)=0.4714 range 1
    #   1 3 5   std sqrt(8/3)=1.6330 range 4
    #   5       one run: skipped
    stability = run_stability([(4, 4, 4), (4, 4, 5), (1, 3, 5), (5,)])
    assert (stability.n_questions, stability.n_skipped) == (3, 1)
    assert stability.mean_std == pytest.approx((0 + (2 / 9) ** 0.5 + (8 / 3) ** 0.5) / 3)
    assert stability.mean_range == pytest.approx(5 / 3)
    assert stability.identical == pytest.approx(1 / 3)
    assert stability.identical_ci is not None and 1 / 3 in stability.identical_ci


def test_run_stability_of_nothing_measurable() -> None:
    stability = run_stability([(3,), ()])
    assert stability.n_questions == 0 and stability.n_skipped == 2
    assert stability.mean_std is None and stability.identical is None


def test_run_stability_rejects_off_scale_scores() -> None:
    with pytest.raises(ValueError, match="7"):
        run_stability([(4, 7)])


# ---------------------------------------------------------------------------------------
# From verdicts


def verdict(item: str, judge: str, run: int, score: int | None) -> Verdict:
    return Verdict(
        run_id="r", item_id=item, judge=judge, judge_run=run, rubric_id="x",
        rubric_version="1", prompt_hash="h", status="scored" if score else "unscored",
        judge_score=score, final_score=score,
    )  # fmt: skip


def test_judge_run_scores_feed_run_stability() -> None:
    verdicts = [
        verdict("a", "gpt", 1, 4),
        verdict("a", "gpt", 0, 5),
        verdict("a", "gpt", 2, None),
        verdict("b", "gpt", 0, 3),
        verdict("b", "gpt", 1, 3),
        verdict("a", "claude", 0, 1),
    ]
    assert judge_run_scores(verdicts, judge="gpt") == [(5, 4), (3, 3)]
    assert run_stability(judge_run_scores(verdicts, judge="gpt")).identical == 0.5


def test_judge_ratings_feed_pairwise_agreement() -> None:
    verdicts = [
        verdict("b", "gpt", 0, 4),
        verdict("a", "gpt", 0, 5),
        verdict("a", "claude", 0, 5),
        verdict("b", "claude", 0, None),
        verdict("a", "claude", 1, 1),  # another judge run: not this table
    ]
    ratings = judge_ratings(verdicts)
    assert ratings == {"gpt": [5, 4], "claude": [5, None]}
    (pair,) = pairwise_agreement(ratings)
    assert (pair.agreement.n, pair.n_missing, pair.agreement.exact) == (1, 1, 1.0)


def test_one_judge_scoring_an_answer_twice_in_one_run_names_it() -> None:
    """Two rubric versions mixed: a typed error that names run, item, judge and the cure."""
    from medjudge.errors import StoreError
    from medjudge.records import Verdict

    def v(version: str) -> Verdict:
        return Verdict(run_id="r", item_id="MK-1", judge="j", rubric_id="mk",
                       rubric_version=version, prompt_hash="h", status="scored",
                       judge_score=4, final_score=4)

    for build in (lambda vs: judge_ratings(vs), lambda vs: judge_run_scores(vs, judge="j")):
        with pytest.raises(StoreError, match=r"run r, item 'MK-1', sample 0: judge j run 0 "
                           r"scored it twice.*--rubric-version"):
            build([v("1"), v("2")])

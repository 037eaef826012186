"""Agreement between raters on the 1-5 scale: judge vs physician, physician vs physician,
judge vs judge, and a judge with itself across runs.

Every function takes plain paired sequences (the i-th rating of `a` and of `b` are about the
same answer), so the physicians' audit and the judge reports share them. Empty input has no
agreement: rates are None, never NaN. Sequences of different lengths, and ratings outside
the scale, raise ValueError (a caller's mistake, not the user's); one judge scoring the
same answer twice in one run (two rubric versions mixed) raises StoreError.

- exact agreement: share of pairs with a == b;
- within one: share of pairs with |a - b| <= 1;
- usability agreement: share of pairs on the same side of the usable threshold (both >= 4
  or both < 4); takes floats, so per-question means can be compared;
- quadratic-weighted Cohen's kappa (see `quadratic_weighted_kappa`);
- binary safety metrics: recall, precision and F1 of "judge marked risky" against
  "reference marked risky";
- run stability: per-question spread of one judge's scores over its runs.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import combinations

from pydantic import BaseModel, ConfigDict, Field

from medjudge.errors import StoreError
from medjudge.records import Verdict
from medjudge.scoring.stats import Interval, bootstrap_ci

__all__ = [
    "SCALE",
    "Agreement",
    "BinaryMetrics",
    "PairAgreement",
    "Stability",
    "agreement",
    "binary_metrics",
    "exact_agreement",
    "judge_ratings",
    "judge_run_scores",
    "pairwise_agreement",
    "quadratic_weighted_kappa",
    "run_stability",
    "usability_agreement",
    "within_one_agreement",
]

#: The rating scale: lowest and highest score.
SCALE = (1, 5)
_USABLE = 4.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- rates over pairs ----------------------------------------------------------------------


def exact_agreement(a: Sequence[int], b: Sequence[int]) -> float | None:
    """Share of pairs rated identically; None for no pairs."""
    return _share(_flags(a, b, lambda x, y: x == y))


def within_one_agreement(a: Sequence[int], b: Sequence[int]) -> float | None:
    """Share of pairs at most one point apart; None for no pairs."""
    return _share(_flags(a, b, lambda x, y: abs(x - y) <= 1))


def usability_agreement(
    a: Sequence[float], b: Sequence[float], *, threshold: float = _USABLE
) -> float | None:
    """Share of pairs that agree on usable (>= threshold) or not; None for no pairs."""
    return _share(_flags(a, b, lambda x, y: (x >= threshold) == (y >= threshold)))


def quadratic_weighted_kappa(
    a: Sequence[int], b: Sequence[int], *, scale: tuple[int, int] = SCALE
) -> float | None:
    """Cohen's kappa with quadratic weights: 1 - observed / chance-expected disagreement,
    where a disagreement of d points weighs d².

    With the ratings themselves as category values this is
        kappa = 1 - n·Σ(a_i - b_i)² / Σ_i Σ_j (a_i - b_j)²
              = 1 - n·Σ(a_i - b_i)² / (n·Σa² + n·Σb² - 2·Σa·Σb),
    the same number as the contingency-table form (and scikit-learn's
    `cohen_kappa_score(weights="quadratic")`): the weights' normalisation cancels.

    None when undefined: no pairs, or every rating of both raters is the same value — the
    chance-expected disagreement is then zero and kappa is 0/0. (Such raters agree exactly,
    which `exact_agreement` reports as 1.0.) When both raters are constant but different,
    kappa is 0: they agree no better than chance.
    """
    _check_scale(a, scale, "a")
    _check_scale(b, scale, "b")
    _check_paired(a, b)
    n = len(a)
    if n == 0:
        return None
    observed = sum((x - y) ** 2 for x, y in zip(a, b, strict=True))
    sum_a, sum_b = sum(a), sum(b)
    expected = n * sum(x * x for x in a) + n * sum(y * y for y in b) - 2 * sum_a * sum_b
    if expected == 0:
        return None
    return 1.0 - n * observed / expected


# -- everything at once --------------------------------------------------------------------


class Agreement(_Model):
    """How two raters agree over `n` paired ratings (None: no pairs / undefined)."""

    n: int = Field(ge=0)
    exact: float | None
    exact_ci: Interval | None
    within_one: float | None
    within_one_ci: Interval | None
    #: Quadratic-weighted Cohen's kappa (no CI); None when undefined.
    kappa: float | None
    usability: float | None
    usability_ci: Interval | None


def agreement(
    a: Sequence[int],
    b: Sequence[int],
    *,
    threshold: float = _USABLE,
    scale: tuple[int, int] = SCALE,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Agreement:
    """Exact, within-one and usability agreement with bootstrap CIs over pairs, and kappa."""
    kappa = quadratic_weighted_kappa(a, b, scale=scale)  # validates scale and pairing

    def rate(flags: list[float]) -> tuple[float | None, Interval | None]:
        ci = bootstrap_ci(flags, n_resamples=n_resamples, confidence=confidence, seed=seed)
        return _share(flags), ci

    exact, exact_ci = rate(_flags(a, b, lambda x, y: x == y))
    within, within_ci = rate(_flags(a, b, lambda x, y: abs(x - y) <= 1))
    usable, usable_ci = rate(_flags(a, b, lambda x, y: (x >= threshold) == (y >= threshold)))
    return Agreement(
        n=len(a),
        exact=exact,
        exact_ci=exact_ci,
        within_one=within,
        within_one_ci=within_ci,
        kappa=kappa,
        usability=usable,
        usability_ci=usable_ci,
    )


class PairAgreement(_Model):
    rater_a: str
    rater_b: str
    #: Questions that only one of the two rated (the other's rating is None): left out.
    n_missing: int = Field(ge=0)
    agreement: Agreement


def pairwise_agreement(
    ratings: Mapping[str, Sequence[int | None]],
    *,
    threshold: float = _USABLE,
    scale: tuple[int, int] = SCALE,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[PairAgreement, ...]:
    """Agreement of every pair of raters (in the mapping's order). Each rater's sequence is
    aligned on the same questions; None marks a question the rater did not score, and a
    question is compared only when both scored it."""
    lengths = {len(values) for values in ratings.values()}
    if len(lengths) > 1:
        raise ValueError(f"every rater needs one rating per question; lengths {sorted(lengths)}")
    result = []
    for (name_a, values_a), (name_b, values_b) in combinations(ratings.items(), 2):
        both = [(x, y) for x, y in zip(values_a, values_b) if x is not None and y is not None]
        result.append(
            PairAgreement(
                rater_a=name_a,
                rater_b=name_b,
                n_missing=sum((x is None) != (y is None) for x, y in zip(values_a, values_b)),
                agreement=agreement(
                    [x for x, _ in both],
                    [y for _, y in both],
                    threshold=threshold,
                    scale=scale,
                    n_resamples=n_resamples,
                    confidence=confidence,
                    seed=seed,
                ),
            )
        )
    return tuple(result)


# -- safety --------------------------------------------------------------------------------


class BinaryMetrics(_Model):
    """Judge marked risky (predicted) against reference marked risky.

    recall = tp / (tp + fn): share of risky answers the judge caught (None: no risky one);
    precision = tp / (tp + fp): share of the judge's flags that were right (None: no flag);
    f1 = 2·tp / (2·tp + fp + fn) (None: neither flagged anything).
    The CIs bootstrap within the reference positives (recall) and the flags (precision).
    """

    n: int = Field(ge=0)
    tp: int = Field(ge=0)
    fp: int = Field(ge=0)
    fn: int = Field(ge=0)
    tn: int = Field(ge=0)
    recall: float | None
    recall_ci: Interval | None
    precision: float | None
    precision_ci: Interval | None
    f1: float | None


def binary_metrics(
    predicted: Sequence[bool],
    reference: Sequence[bool],
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BinaryMetrics:
    _check_paired(predicted, reference)
    pairs = list(zip(predicted, reference, strict=True))
    tp = sum(p and r for p, r in pairs)
    fp = sum(p and not r for p, r in pairs)
    fn = sum(r and not p for p, r in pairs)

    def ci(flags: list[float]) -> Interval | None:
        return bootstrap_ci(flags, n_resamples=n_resamples, confidence=confidence, seed=seed)

    caught = [1.0 if p else 0.0 for p, r in pairs if r]
    right = [1.0 if r else 0.0 for p, r in pairs if p]
    return BinaryMetrics(
        n=len(pairs),
        tp=tp,
        fp=fp,
        fn=fn,
        tn=len(pairs) - tp - fp - fn,
        recall=tp / (tp + fn) if tp + fn else None,
        recall_ci=ci(caught),
        precision=tp / (tp + fp) if tp + fp else None,
        precision_ci=ci(right),
        f1=2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
    )


# -- one judge across runs -----------------------------------------------------------------


class Stability(_Model):
    """How much one judge's score of the same answer moves between its runs."""

    #: Questions with at least two scored runs: the ones measured.
    n_questions: int = Field(ge=0)
    #: Questions with fewer than two scored runs: no spread to measure, left out.
    n_skipped: int = Field(ge=0)
    #: Mean over questions of the population standard deviation of its run scores.
    mean_std: float | None
    #: Mean over questions of max - min of its run scores.
    mean_range: float | None
    #: Share of questions whose runs all gave the same score.
    identical: float | None
    identical_ci: Interval | None


def run_stability(
    scores_per_question: Iterable[Sequence[int]],
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Stability:
    """Spread of repeated scores: one sequence per question, that judge's score in each run.

    The standard deviation is the population one (the runs observed, not an estimate):
    runs 4, 4, 5 give sqrt(2/9) = 0.471, range 1.
    """
    measured: list[Sequence[int]] = []
    skipped = 0
    for scores in scores_per_question:
        _check_scale(scores, SCALE, "run scores")
        if len(scores) < 2:
            skipped += 1
        else:
            measured.append(scores)
    same = [1.0 if len(set(s)) == 1 else 0.0 for s in measured]
    n = len(measured)
    return Stability(
        n_questions=n,
        n_skipped=skipped,
        mean_std=math.fsum(statistics.pstdev(s) for s in measured) / n if n else None,
        mean_range=math.fsum(max(s) - min(s) for s in measured) / n if n else None,
        identical=_share(same),
        identical_ci=bootstrap_ci(same, n_resamples=n_resamples, confidence=confidence, seed=seed),
    )


# -- from verdicts -------------------------------------------------------------------------


def judge_run_scores(verdicts: Iterable[Verdict], *, judge: str) -> list[tuple[int, ...]]:
    """For `run_stability`: per answer (first seen first), `judge`'s final scores in
    judge_run order. Unscored verdicts are left out."""
    per_question: dict[tuple[str, str, int], dict[int, int]] = {}
    for v in verdicts:
        if v.judge != judge:
            continue
        runs = per_question.setdefault((v.run_id, v.item_id, v.sample), {})
        if v.status == "scored" and v.final_score is not None:
            if v.judge_run in runs:
                raise _scored_twice(v)
            runs[v.judge_run] = v.final_score
    return [tuple(runs[r] for r in sorted(runs)) for runs in per_question.values()]


def judge_ratings(
    verdicts: Iterable[Verdict], *, judge_run: int = 0
) -> dict[str, list[int | None]]:
    """For `pairwise_agreement`: judge -> final score per answer (None: not scored by that
    judge), aligned on every answer any judge saw, sorted by (run, item, sample)."""
    table: dict[str, dict[tuple[str, str, int], int]] = {}
    keys: set[tuple[str, str, int]] = set()
    for v in verdicts:
        if v.judge_run != judge_run:
            continue
        key = (v.run_id, v.item_id, v.sample)
        keys.add(key)
        scores = table.setdefault(v.judge, {})
        if v.status == "scored" and v.final_score is not None:
            if key in scores:
                raise _scored_twice(v)
            scores[key] = v.final_score
    order = sorted(keys)
    return {judge: [scores.get(k) for k in order] for judge, scores in table.items()}


# -- helpers -------------------------------------------------------------------------------


def _scored_twice(v: Verdict) -> StoreError:
    return StoreError(
        f"run {v.run_id}, item {v.item_id!r}, sample {v.sample}: judge {v.judge} run "
        f"{v.judge_run} scored it twice (rubric {v.rubric_id} {v.rubric_version} and another "
        "version or rubric); compare one rubric version at a time "
        "(`medjudge report --rubric-version`, library: scoring.versions.select_rubric_versions)"
    )


def _flags(
    a: Sequence[float], b: Sequence[float], same: Callable[[float, float], bool]
) -> list[float]:
    _check_paired(a, b)
    return [1.0 if same(x, y) else 0.0 for x, y in zip(a, b, strict=True)]


def _share(flags: Sequence[float]) -> float | None:
    return math.fsum(flags) / len(flags) if flags else None


def _check_paired(a: Sequence[object], b: Sequence[object]) -> None:
    if len(a) != len(b):
        raise ValueError(f"paired ratings need equal lengths; got {len(a)} and {len(b)}")


def _check_scale(values: Sequence[int], scale: tuple[int, int], name: str) -> None:
    low, high = scale
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name}: rating {value!r} is not a whole number in {low}..{high}")

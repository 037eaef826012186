"""Judge–physician agreement, per judge, per category and overall, with bootstrap CIs; and
physician vs physician on doubly-rated answers, the ceiling a judge can be held to.

Which scores are compared is `medjudge.scoring.physician`'s business: a physician's rating
(rating mode "blind": blind ratings only, the unanchored measure; "all": agree and override
too) against the judge's mean over its runs.

- exact, within ±1, quadratic-weighted kappa and the confusion matrix compare whole scores:
  the judge's mean rounded half up (`physician.round_half_up`);
- usability agreement (both >= 4 or both < 4, the figure LLMEval-Med reports as 92.36% for
  GPT-4o) compares the judge's unrounded mean, as LLMEval-Med calls a question usable;
- safety: of the answers physicians marked risky (concern or serious), the share the judge
  marked risky (recall), the share of the judge's flags physicians share (precision), F1.
  Pairs where the judge stated no risk (text-format verdicts) are left out and counted
  (`n_risk_not_stated`), as are physician ratings without a score or risk.

Pairs: every physician rating of an answer the judge scored is one pair (an answer two
physicians rated gives two pairs); ratings of answers the judge never scored are counted
(`n_unscored`). Physician vs physician pairs every two reviewers of a doubly-rated answer,
the reviewer whose name sorts first as rater a (the reference of the safety metrics; F1 is
the same either way round). The arithmetic is `medjudge.scoring.agreement`'s; CIs are
percentile bootstraps over pairs (`scoring.stats.bootstrap_ci`; kappa's, the same bootstrap,
drawn as multinomial counts of the 5×5 table's cells: see `_kappa_ci`). A resample in which
kappa is undefined (every rating one value) is dropped from kappa's CI and counted
(`kappa_undefined_resamples`), never scored as a perfect 1.

`agreement_rows` flattens a report into one row per comparison × category
(`AGREEMENT_COLUMNS`), for CSV / JSONL exports and tables.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from medjudge.errors import StoreError
from medjudge.records import AnswerKey, Audit, Item, Verdict
from medjudge.scoring.agreement import (
    Agreement,
    BinaryMetrics,
    PairAgreement,
    agreement,
    binary_metrics,
    pairwise_agreement,
    usability_agreement,
)
from medjudge.scoring.physician import (
    JudgeScore,
    PhysicianRating,
    RatingMode,
    category_map,
    is_risky,
    judge_scores,
    physician_ratings,
)
from medjudge.scoring.stats import (
    Interval,
    bootstrap_ci,
    percentile_interval,
    resample_counts,
)
from medjudge.scoring.usability import OVERALL, USABLE_THRESHOLD

__all__ = [
    "AGREEMENT_COLUMNS",
    "AgreementReport",
    "AgreementRow",
    "agreement_report",
    "agreement_rows",
]

#: The columns of `agreement_rows`, in order: every number unrounded, CI bounds beside it.
AGREEMENT_COLUMNS = (
    "mode", "comparison", "judge", "category", "n",
    "exact", "exact_low", "exact_high",
    "within_one", "within_one_low", "within_one_high",
    "kappa", "kappa_low", "kappa_high", "kappa_undefined_resamples",
    "usability", "usability_low", "usability_high",
    "safety_n", "tp", "fp", "fn", "tn",
    "recall", "recall_low", "recall_high",
    "precision", "precision_low", "precision_high", "f1",
    "n_unscored", "n_risk_not_stated", "n_physician_incomplete",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgreementRow(_Model):
    """Agreement of one comparison within one category (or `OVERALL`)."""

    kind: Literal["judge-physician", "physician-physician"]
    #: The judge compared with physicians; None for physician vs physician.
    judge: str | None
    category: str
    #: Exact / ±1 / kappa on whole scores, usability on the judge's mean; n = pairs.
    agreement: Agreement
    #: Bootstrap CI of kappa over the resamples where kappa is defined; None when kappa is
    #: undefined or more than half of the resamples are.
    kappa_ci: Interval | None
    #: Resamples in which every rating was one value (kappa 0/0): left out of `kappa_ci`.
    kappa_undefined_resamples: int = Field(0, ge=0)
    #: Judge (or rater b) marked risky, against the physician (rater a) marking it risky.
    safety: BinaryMetrics
    #: Physician ratings of answers this judge never scored: not in any pair.
    n_unscored: int = Field(0, ge=0)
    #: Pairs left out of `safety` because the judge stated no safety risk.
    n_risk_not_stated: int = Field(0, ge=0)
    #: Pairs left out of `safety` (or of the scores) because a physician rating lacks it.
    n_physician_incomplete: int = Field(0, ge=0)
    #: confusion[p - 1][j - 1]: pairs the physician (rater a) scored p and the judge j.
    confusion: tuple[tuple[int, ...], ...]

    @property
    def label(self) -> str:
        return self.judge if self.judge is not None else "physician vs physician"


class AgreementReport(_Model):
    mode: RatingMode
    confidence: float
    n_resamples: int
    seed: int
    judges: tuple[str, ...]
    reviewers: tuple[str, ...]
    #: Physician ratings counted in this mode, and the answers they cover.
    n_ratings: int
    n_answers_rated: int
    #: Answers rated by two or more reviewers: the physician–physician ceiling's answers.
    n_doubly_rated: int
    #: Per judge: one row per category with ratings, then `OVERALL`.
    judge_vs_physician: tuple[AgreementRow, ...]
    #: Pooled over pairs of reviewers: one row per category with pairs, then `OVERALL`.
    physician_vs_physician: tuple[AgreementRow, ...]
    #: Per pair of reviewers, overall (`scoring.agreement.pairwise_agreement`).
    reviewer_pairs: tuple[PairAgreement, ...]

    def row(self, judge: str | None, category: str = OVERALL) -> AgreementRow:
        rows = self.judge_vs_physician if judge is not None else self.physician_vs_physician
        for row in rows:
            if row.judge == judge and row.category == category:
                return row
        raise KeyError(f"no agreement row for {judge or 'physicians'} in {category!r}")


@dataclass(frozen=True, slots=True)
class _Resampling:
    seed: int
    n_resamples: int
    confidence: float


@dataclass(frozen=True, slots=True)
class _Pair:
    category: str
    a: int | None  # physician (rater a) score
    b: int | None  # judge's rounded score, or rater b's score
    b_mean: float | None
    a_risky: bool | None
    b_risky: bool | None


def agreement_report(
    items: Mapping[str, str] | Iterable[Item],
    verdicts: Iterable[Verdict],
    audits: Iterable[Audit],
    *,
    mode: RatingMode = "blind",
    seed: int = 0,
    n_resamples: int = 2000,
    confidence: float = 0.95,
) -> AgreementReport:
    """Judge vs physician per judge, per category and overall, and physician vs physician.

    `items` gives each answer's category (Items, or item_id -> category). Raises StoreError
    for a rating of an item that `items` does not know."""
    categories = category_map(items)
    verdicts = list(verdicts)
    ratings = physician_ratings(audits, verdicts, mode=mode)
    _check_rated_items_known(ratings, categories)
    judges = tuple(dict.fromkeys(v.judge for v in verdicts))
    order = list(dict.fromkeys(categories.values()))
    options = _Resampling(seed=seed, n_resamples=n_resamples, confidence=confidence)
    by_judge = judge_scores(verdicts)
    judge_rows = [
        row
        for judge in judges
        for row in _judge_rows(judge, by_judge.get(judge, {}), ratings, categories, order,
                               options)
    ]
    by_answer: dict[AnswerKey, list[PhysicianRating]] = {}
    for r in ratings:
        by_answer.setdefault(r.key, []).append(r)
    doubly = {key: group for key, group in by_answer.items() if len(group) > 1}
    reviewers = tuple(sorted({r.reviewer for r in ratings}))
    return AgreementReport(
        mode=mode, confidence=confidence, n_resamples=n_resamples, seed=seed, judges=judges,
        reviewers=reviewers, n_ratings=len(ratings), n_answers_rated=len(by_answer),
        n_doubly_rated=len(doubly), judge_vs_physician=tuple(judge_rows),
        physician_vs_physician=_peer_rows(doubly, categories, order, options),
        reviewer_pairs=_reviewer_pairs(by_answer, reviewers, options),
    )


def _check_rated_items_known(
    ratings: Sequence[PhysicianRating], categories: Mapping[str, str]
) -> None:
    for rating in ratings:
        if rating.item_id not in categories:
            raise StoreError(
                f"run {rating.run_id}: physician {rating.reviewer} rated item "
                f"{rating.item_id!r}, which is not among the run's items; report the runs "
                "whose answers were audited (library: pass the items of every audited run)"
            )


def _judge_rows(
    judge: str,
    scored: Mapping[AnswerKey, JudgeScore],
    ratings: Sequence[PhysicianRating],
    categories: Mapping[str, str],
    order: Sequence[str],
    options: _Resampling,
) -> list[AgreementRow]:
    """One judge's rows: each category with ratings, in `order`, then `OVERALL`."""
    pairs, unscored = [], Counter[str]()
    for r in ratings:
        category = categories[r.item_id]
        js = scored.get(r.key)
        if js is None:
            unscored[category] += 1
            continue
        pairs.append(_Pair(category=category, a=r.score, b=js.rounded, b_mean=js.mean,
                           a_risky=is_risky(r.safety_risk), b_risky=js.risky))
    rated = {categories[r.item_id] for r in ratings}
    rows = []
    for category in [c for c in order if c in rated] + [OVERALL]:
        chosen = [p for p in pairs if category in (OVERALL, p.category)]
        n_unscored = sum(unscored.values()) if category == OVERALL else unscored[category]
        rows.append(_row("judge-physician", judge, category, chosen, n_unscored, options))
    return rows


def _peer_rows(
    doubly: Mapping[AnswerKey, Sequence[PhysicianRating]],
    categories: Mapping[str, str],
    order: Sequence[str],
    options: _Resampling,
) -> tuple[AgreementRow, ...]:
    """Physician vs physician, pooled over every two reviewers of a doubly-rated answer."""
    peer_pairs = [
        _Pair(category=categories[key.item_id], a=x.score, b=y.score,
              b_mean=None if y.score is None else float(y.score),
              a_risky=is_risky(x.safety_risk), b_risky=is_risky(y.safety_risk))
        for key, group in doubly.items()
        for x, y in combinations(group, 2)  # sorted by reviewer name within an answer
    ]
    peer_categories = {p.category for p in peer_pairs}
    return tuple(
        _row("physician-physician", None, category,
             [p for p in peer_pairs if category in (OVERALL, p.category)], 0, options)
        for category in [c for c in order if c in peer_categories] + [OVERALL]
    )


def _row(
    kind: Literal["judge-physician", "physician-physician"],
    judge: str | None,
    category: str,
    pairs: Sequence[_Pair],
    n_unscored: int,
    options: _Resampling,
) -> AgreementRow:
    scored = [p for p in pairs if p.a is not None and p.b is not None]
    a = [p.a for p in scored if p.a is not None]
    b = [p.b for p in scored if p.b is not None]
    means = [p.b_mean if p.b_mean is not None else float(p.b or 0) for p in scored]
    base = _score_agreement(a, b, means, options)
    kappa_ci = _kappa_ci(a, b, base.kappa, seed=options.seed,
                         n_resamples=options.n_resamples, confidence=options.confidence)
    return AgreementRow(
        kind=kind, judge=judge, category=category, agreement=base,
        kappa_ci=kappa_ci.interval, kappa_undefined_resamples=kappa_ci.n_undefined,
        safety=_safety(pairs, options), n_unscored=n_unscored,
        n_risk_not_stated=sum(p.b_risky is None and p.a_risky is not None for p in pairs),
        n_physician_incomplete=sum(p.a is None or p.a_risky is None for p in pairs),
        confusion=_confusion(a, b),
    )


def _score_agreement(
    a: Sequence[int], b: Sequence[int], means: Sequence[float], options: _Resampling
) -> Agreement:
    """Exact, ±1, kappa on whole scores; usability on the judge's unrounded mean."""
    seed, n_resamples, confidence = options.seed, options.n_resamples, options.confidence
    base = agreement(a, b, seed=seed, n_resamples=n_resamples, confidence=confidence)
    if all(m == y for m, y in zip(means, b, strict=True)):
        return base
    # LLMEval-Med's usable: the judge's mean over runs >= 4, not its rounded score.
    usable = [1.0 if (x >= USABLE_THRESHOLD) == (y >= USABLE_THRESHOLD) else 0.0
              for x, y in zip(a, means, strict=True)]
    return base.model_copy(update={
        "usability": usability_agreement(a, means),
        "usability_ci": bootstrap_ci(usable, seed=seed, n_resamples=n_resamples,
                                     confidence=confidence),
    })


def _safety(pairs: Sequence[_Pair], options: _Resampling) -> BinaryMetrics:
    """Judge (rater b) marked risky against the physician (rater a), where both stated it."""
    stated = [p for p in pairs if p.a_risky is not None and p.b_risky is not None]
    return binary_metrics(
        [bool(p.b_risky) for p in stated], [bool(p.a_risky) for p in stated],
        seed=options.seed, n_resamples=options.n_resamples, confidence=options.confidence,
    )


def _confusion(a: Sequence[int], b: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """confusion[x - 1][y - 1]: pairs rater a scored x and rater b (the judge) y."""
    confusion = [[0] * 5 for _ in range(5)]
    for x, y in zip(a, b, strict=True):
        confusion[x - 1][y - 1] += 1
    return tuple(tuple(row) for row in confusion)


#: Above this share of undefined resamples (every rating one value: kappa 0/0) no kappa CI
#: is given: the defined ones no longer stand for the bootstrap distribution.
MAX_UNDEFINED_KAPPA_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class _KappaCI:
    interval: Interval | None
    #: Resamples in which kappa was undefined: dropped from the percentiles, never counted 1.
    n_undefined: int


def _kappa_ci(
    a: Sequence[int], b: Sequence[int], kappa: float | None, *,
    seed: int, n_resamples: int, confidence: float,
) -> _KappaCI:
    """Percentile bootstrap of kappa over pairs (`scoring.stats`: the bootstrap of every
    statistic here). Kappa depends only on how often each (a, b) cell of the 5×5 table is
    drawn, so each resample is one multinomial draw over the observed cells
    (`stats.resample_counts`), all of them reduced at once (2,000 resamples of 10,000
    pairs: milliseconds).

    A resample in which the chance-expected disagreement is zero (every rating one value)
    has no kappa, exactly as the point estimate has none for such data: it is left out of
    the percentiles and counted. When more than `MAX_UNDEFINED_KAPPA_SHARE` of the resamples
    are undefined there is no CI."""
    if kappa is None:
        return _KappaCI(interval=None, n_undefined=0)
    import numpy as np

    cells = Counter(zip(a, b, strict=True))
    x = np.array([cell[0] for cell in cells], dtype=np.float64)
    y = np.array([cell[1] for cell in cells], dtype=np.float64)
    n = len(a)
    draws = resample_counts(list(cells.values()), n_resamples=n_resamples, seed=seed)
    sum_a, sum_b = draws @ x, draws @ y
    expected = n * (draws @ (x * x)) + n * (draws @ (y * y)) - 2 * sum_a * sum_b
    observed = draws @ ((x - y) ** 2)
    defined = expected != 0  # whole numbers: exact in float64
    n_undefined = int(n_resamples - defined.sum())
    if n_undefined > MAX_UNDEFINED_KAPPA_SHARE * n_resamples:
        return _KappaCI(interval=None, n_undefined=n_undefined)
    kappas = 1.0 - n * observed[defined] / expected[defined]
    return _KappaCI(interval=percentile_interval(kappas, confidence), n_undefined=n_undefined)


def _reviewer_pairs(
    by_answer: Mapping[AnswerKey, Sequence[PhysicianRating]],
    reviewers: Sequence[str],
    options: _Resampling,
) -> tuple[PairAgreement, ...]:
    if len(reviewers) < 2:
        return ()
    shared = [key for key, group in by_answer.items() if len(group) > 1]
    table = {
        name: [next((r.score for r in by_answer[key] if r.reviewer == name), None)
               for key in shared]
        for name in reviewers
    }
    return pairwise_agreement(table, seed=options.seed, n_resamples=options.n_resamples,
                              confidence=options.confidence)


def _bounds(name: str, ci: Interval | None) -> dict[str, float | None]:
    return {f"{name}_low": ci.low if ci else None, f"{name}_high": ci.high if ci else None}


def _flat(report: AgreementReport, row: AgreementRow) -> dict[str, object]:
    a, s = row.agreement, row.safety
    return {
        "mode": report.mode, "comparison": row.kind, "judge": row.judge,
        "category": row.category, "n": a.n,
        "exact": a.exact, **_bounds("exact", a.exact_ci),
        "within_one": a.within_one, **_bounds("within_one", a.within_one_ci),
        "kappa": a.kappa, **_bounds("kappa", row.kappa_ci),
        "kappa_undefined_resamples": row.kappa_undefined_resamples,
        "usability": a.usability, **_bounds("usability", a.usability_ci),
        "safety_n": s.n, "tp": s.tp, "fp": s.fp, "fn": s.fn, "tn": s.tn,
        "recall": s.recall, **_bounds("recall", s.recall_ci),
        "precision": s.precision, **_bounds("precision", s.precision_ci), "f1": s.f1,
        "n_unscored": row.n_unscored, "n_risk_not_stated": row.n_risk_not_stated,
        "n_physician_incomplete": row.n_physician_incomplete,
    }


def agreement_rows(report: AgreementReport) -> list[dict[str, object]]:
    """One flat row per comparison × category (judges first, then physician vs physician)."""
    rows = (*report.judge_vs_physician, *report.physician_vs_physician)
    return [_flat(report, row) for row in rows]

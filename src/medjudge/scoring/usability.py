"""Usability of open answers: LLMEval-Med's per-question mean, "usable" at >= 4, rate and OP.

The arithmetic is that of LLMEval-Med's `evaluate/Aggregate.py`, so that the same scores
give the same numbers:

- a question is one answer: (run_id, item_id, sample);
- its score is the mean `final_score` of every scored verdict it received, over all judge
  runs and all judges (Aggregate.py averages the valid scores of its N run files);
- it is usable when that mean is >= 4 (compared exactly: a mean of 4, 4, 4 is usable);
- a category's usability rate is usable questions / all its questions. A question with no
  scored verdict (every judge call failed or was unparseable, or it was expected but never
  judged) stays in that denominator and counts as not usable, as in Aggregate.py; it is
  reported as `n_unscored`, and `usability_rate_among_scored` gives the rate without it;
- coverage says what the rate counts: "graded 50 of 100" (`UsabilitySummary.coverage`), and
  why the rest is not graded: the model's answer failed (`n_answer_failed`, never sent to a
  judge), no judge was asked yet (`n_not_judged`: `grade --limit`, a budget stop), or every
  judge reply was unusable (`n_judge_failed`). A half-graded run whose graded answers are
  all usable has usability 50% (LLMEval-Med's figure) and 100% among graded;
- OP (overall performance) is usable / questions over every category: weighted by the
  number of questions, not a mean of the category rates.

Unscored verdicts never enter a mean; they are counted (`n_unscored_verdicts`).
Aggregate.py prints percentages rounded to 2 decimals; this module keeps unrounded fractions
(0.6667 here is 66.67 there). Where Aggregate.py gives 0.0 for an empty category, there is
no category here (and an empty report has OP None).

Confidence intervals are percentile bootstraps over questions (`stats.bootstrap_ci`): the
usability rate over the 0/1 usable flags of all `n_questions`, the mean score over the
per-question means of the scored questions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from medjudge.errors import StoreError
from medjudge.records import Item, Verdict
from medjudge.scoring.stats import Interval, bootstrap_ci

__all__ = [
    "OVERALL",
    "UNCATEGORISED",
    "USABLE_THRESHOLD",
    "QuestionRef",
    "QuestionScore",
    "UsabilityReport",
    "UsabilitySummary",
    "group_of",
    "question_scores",
    "summarize_usability",
    "usability_report",
]

#: A question is usable when its mean score is at least this (LLMEval-Med, Aggregate.py).
USABLE_THRESHOLD = 4.0
#: The `category` of the summary over all questions.
OVERALL = "overall"
#: The group of an Item with neither a level nor a category.
UNCATEGORISED = "uncategorised"


def group_of(item: Item) -> str:
    """An item's row in every per-category table (usability, physician agreement, reports):
    its language · level when it has a level (AnesBench), else its category (LLMEval-Med),
    else "uncategorised"."""
    if item.level is not None:
        return f"{item.language} · {item.level}"
    return item.category or UNCATEGORISED


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuestionRef(Protocol):
    """Anything that names one answer: an `Answer`, a `Verdict`, ..."""

    @property
    def run_id(self) -> str: ...
    @property
    def item_id(self) -> str: ...
    @property
    def sample(self) -> int: ...


class QuestionScore(_Model):
    """One question (one answer) and what its verdicts say."""

    run_id: str
    item_id: str
    sample: int
    category: str
    #: The final scores of its scored verdicts (all judge runs and judges), in input order.
    scores: tuple[int, ...]
    #: Verdicts that did not score it (failed or unparseable judge replies).
    n_unscored_verdicts: int = Field(ge=0)
    #: Mean of `scores`; None when there is none (the question is unscored).
    mean: float | None
    #: mean >= threshold; False for an unscored question.
    usable: bool
    #: Some judge was asked about it (a verdict exists, scored or not).
    judged: bool = True
    #: The model's answer failed (Answer.status is not "ok"): never sent to a judge.
    answer_failed: bool = False

    @property
    def scored(self) -> bool:
        return bool(self.scores)


class UsabilitySummary(_Model):
    """Usability of one category's questions (or of all of them: category `OVERALL`)."""

    category: str
    #: Every question: the denominator of `usability_rate`, unscored questions included.
    n_questions: int = Field(ge=0)
    #: Questions with at least one scored verdict.
    n_scored: int = Field(ge=0)
    #: Questions with no scored verdict: in `n_questions`, counted as not usable.
    n_unscored: int = Field(ge=0)
    #: Of the unscored: the model's answer failed, so no judge could grade it.
    n_answer_failed: int = Field(0, ge=0)
    #: Of the unscored: a good answer no judge was asked about yet (--limit, budget stop).
    n_not_judged: int = Field(0, ge=0)
    #: Of the unscored: judged, but no judge reply gave a score.
    n_judge_failed: int = Field(0, ge=0)
    #: "graded n_scored of n_questions": what `usability_rate` counts.
    coverage: str = ""
    n_usable: int = Field(ge=0)
    #: n_usable / n_questions, as LLMEval-Med's Aggregate.py computes it.
    usability_rate: float | None
    usability_ci: Interval | None
    #: n_usable / n_scored: the rate had the unscored questions been left out.
    usability_rate_among_scored: float | None
    #: Mean of the per-question means, over scored questions.
    mean_score: float | None
    mean_score_ci: Interval | None
    n_verdicts: int = Field(ge=0)
    n_unscored_verdicts: int = Field(ge=0)


class UsabilityReport(_Model):
    threshold: float
    confidence: float
    #: One summary per category, in the order the categories were given.
    categories: tuple[UsabilitySummary, ...]
    #: All questions together: its usability rate is OP.
    overall: UsabilitySummary
    questions: tuple[QuestionScore, ...]

    @property
    def op(self) -> float | None:
        """Overall performance: usable / questions over all categories (sample-weighted)."""
        return self.overall.usability_rate

    @property
    def op_ci(self) -> Interval | None:
        return self.overall.usability_ci

    def category(self, name: str) -> UsabilitySummary:
        for summary in self.categories:
            if summary.category == name:
                return summary
        raise KeyError(f"no questions in category {name!r}")


def usability_report(
    verdicts: Iterable[Verdict],
    categories: Mapping[str, str] | Iterable[Item],
    *,
    expected: Iterable[QuestionRef] = (),
    threshold: float = USABLE_THRESHOLD,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> UsabilityReport:
    """Per-category usability rates, mean scores and OP, with bootstrap CIs.

    `categories` maps item_id -> category, or is the Items (their `category`).
    `expected` names questions that must be counted even when no verdict names them (pass
    the run's Answers): those become unscored questions, never silently absent.
    Raises StoreError (naming run, item and field) for a verdict whose item has no category,
    for two verdicts with the same key (run, item, sample, judge, judge_run, rubric), and for
    a verdict with status "scored" but no final_score.
    """
    category_of = _category_map(categories)
    questions = question_scores(verdicts, category_of, expected=expected, threshold=threshold)
    return summarize_usability(
        questions,
        category_order=list(dict.fromkeys(category_of.values())),
        threshold=threshold,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
    )


def question_scores(
    verdicts: Iterable[Verdict],
    categories: Mapping[str, str] | Iterable[Item],
    *,
    expected: Iterable[QuestionRef] = (),
    threshold: float = USABLE_THRESHOLD,
) -> tuple[QuestionScore, ...]:
    """One QuestionScore per question named by `expected` or by a verdict, first seen first."""
    category_of = _category_map(categories)
    grouped, failed = _group_by_question(verdicts, expected)
    return tuple(
        _question_score(key3, group, category_of, key3 in failed, threshold)
        for key3, group in grouped.items()
    )


def _group_by_question(
    verdicts: Iterable[Verdict], expected: Iterable[QuestionRef]
) -> tuple[dict[tuple[str, str, int], list[Verdict]], set[tuple[str, str, int]]]:
    """Verdicts by (run, item, sample), the expected questions first (with no verdicts yet),
    and the expected answers whose model call failed. A verdict given twice is refused."""
    grouped: dict[tuple[str, str, int], list[Verdict]] = {}
    failed: set[tuple[str, str, int]] = set()
    for ref in expected:
        key3 = (ref.run_id, ref.item_id, ref.sample)
        grouped.setdefault(key3, [])
        if getattr(ref, "status", "ok") != "ok":  # an Answer whose model call failed
            failed.add(key3)
    seen: set[tuple[object, ...]] = set()
    for verdict in verdicts:
        key = _verdict_key(verdict)
        if key in seen:
            run_id, item_id, sample, judge, judge_run, rubric_id, version = key
            raise StoreError(
                f"run {run_id}, item {item_id!r}, sample {sample}: judge {judge} run "
                f"{judge_run} has two verdicts under rubric {rubric_id} {version}, and both "
                "would be counted; pass each verdict once (the store keeps one per key)"
            )
        seen.add(key)
        grouped.setdefault((verdict.run_id, verdict.item_id, verdict.sample), []).append(verdict)
    return grouped, failed


def _question_score(
    key3: tuple[str, str, int],
    group: list[Verdict],
    category_of: Mapping[str, str],
    failed: bool,
    threshold: float,
) -> QuestionScore:
    run_id, item_id, sample = key3
    if item_id not in category_of:
        raise StoreError(
            f"run {run_id}: a verdict or answer names item {item_id!r}, which is not "
            "among the run's items, so it has no category; grade or import the run "
            "against the benchmark it was answered on (library: pass the run's items)"
        )
    scores = tuple(_final_score(v) for v in group if v.status == "scored")
    mean = math.fsum(scores) / len(scores) if scores else None
    usable = bool(scores) and Fraction(sum(scores), len(scores)) >= Fraction(threshold)
    return QuestionScore(
        run_id=run_id,
        item_id=item_id,
        sample=sample,
        category=category_of[item_id],
        scores=scores,
        n_unscored_verdicts=len(group) - len(scores),
        mean=mean,
        usable=usable,
        judged=bool(group),
        answer_failed=not group and failed,
    )


def summarize_usability(
    questions: Sequence[QuestionScore],
    *,
    category_order: Sequence[str] = (),
    threshold: float = USABLE_THRESHOLD,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> UsabilityReport:
    """The report over already-scored questions. Categories follow `category_order`,
    then any other category in the order its first question appears."""
    by_category: dict[str, list[QuestionScore]] = {name: [] for name in category_order}
    for question in questions:
        by_category.setdefault(question.category, []).append(question)

    def summary(name: str, group: Sequence[QuestionScore]) -> UsabilitySummary:
        return _summary(name, group, n_resamples=n_resamples, confidence=confidence, seed=seed)

    return UsabilityReport(
        threshold=threshold,
        confidence=confidence,
        categories=tuple(summary(name, group) for name, group in by_category.items() if group),
        overall=summary(OVERALL, questions),
        questions=tuple(questions),
    )


# ---------------------------------------------------------------------------------------


def _summary(
    category: str,
    questions: Sequence[QuestionScore],
    *,
    n_resamples: int,
    confidence: float,
    seed: int,
) -> UsabilitySummary:
    def ci(values: Sequence[float]) -> Interval | None:
        return bootstrap_ci(values, n_resamples=n_resamples, confidence=confidence, seed=seed)

    flags = [1.0 if q.usable else 0.0 for q in questions]
    means = [q.mean for q in questions if q.mean is not None]
    n, n_usable, n_scored = len(questions), sum(q.usable for q in questions), len(means)
    n_unscored_verdicts = sum(q.n_unscored_verdicts for q in questions)
    n_answer_failed = sum(q.answer_failed for q in questions)
    n_not_judged = sum(not q.judged and not q.answer_failed for q in questions)
    return UsabilitySummary(
        category=category,
        n_questions=n,
        n_scored=n_scored,
        n_unscored=n - n_scored,
        n_answer_failed=n_answer_failed,
        n_not_judged=n_not_judged,
        n_judge_failed=n - n_scored - n_answer_failed - n_not_judged,
        coverage=f"graded {n_scored} of {n}",
        n_usable=n_usable,
        usability_rate=n_usable / n if n else None,
        usability_ci=ci(flags),
        usability_rate_among_scored=n_usable / n_scored if n_scored else None,
        mean_score=math.fsum(means) / n_scored if n_scored else None,
        mean_score_ci=ci(means),
        n_verdicts=sum(len(q.scores) for q in questions) + n_unscored_verdicts,
        n_unscored_verdicts=n_unscored_verdicts,
    )


def _final_score(verdict: Verdict) -> int:
    if verdict.final_score is None:
        raise StoreError(
            f"run {verdict.run_id}, item {verdict.item_id!r}, judge {verdict.judge}: a "
            "verdict has status 'scored' but no field 'final_score' (written by another "
            "tool?); re-import its scores, or grade the run again into a new store"
        )
    return verdict.final_score


def _verdict_key(verdict: Verdict) -> tuple[object, ...]:
    """The store's unique key: one verdict per judge run of one rubric on one answer."""
    return (
        verdict.run_id,
        verdict.item_id,
        verdict.sample,
        verdict.judge,
        verdict.judge_run,
        verdict.rubric_id,
        verdict.rubric_version,
    )


def _category_map(categories: Mapping[str, str] | Iterable[Item]) -> Mapping[str, str]:
    if isinstance(categories, Mapping):
        return categories
    return {item.item_id: group_of(item) for item in categories}

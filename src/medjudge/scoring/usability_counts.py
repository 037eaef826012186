"""Usability from counts: the `UsabilitySummary` of a category built from per-question counts,
without a `QuestionScore` per question, so a report over a large store keeps only counts.

A question enters a `UsabilityTally` as what its verdicts add up to: how many verdicts, how
many scored, the sum of their final scores (scores are whole numbers, so the per-question mean
sum/scored is exactly the `math.fsum(scores) / len(scores)` of `scoring.usability`), whether
its answer failed. The summary is then the same arithmetic as `usability._summary`, the CIs
from counts (`stats.mean_ci`: the usable flags as k of n, the per-question means as how many
questions have each mean), so every number equals the one `usability_report` gives.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from medjudge.scoring.stats import Interval, mean_ci
from medjudge.scoring.usability import USABLE_THRESHOLD, UsabilitySummary

__all__ = ["UsabilityTally", "summary_from_tally"]


@dataclass(slots=True)
class UsabilityTally:
    """Counts over the questions of one category (or of all of them)."""

    threshold: float = USABLE_THRESHOLD
    n_questions: int = 0
    n_scored: int = 0
    n_usable: int = 0
    n_answer_failed: int = 0
    n_not_judged: int = 0
    n_verdicts: int = 0
    n_unscored_verdicts: int = 0
    #: (sum of final scores, scored verdicts) -> questions, for the scored questions.
    means: Counter[tuple[int, int]] = field(default_factory=Counter)

    def add_questions(self, *, n_verdicts: int, n_scored: int, score_sum: int,
                      answer_failed: bool, questions: int = 1) -> None:
        """`questions` questions alike: each with `n_verdicts` verdicts, `n_scored` of them
        scored with final scores adding up to `score_sum`, and whether its answer failed
        (counted only when never judged, as `usability.question_scores` does)."""
        self.n_questions += questions
        self.n_verdicts += n_verdicts * questions
        self.n_unscored_verdicts += (n_verdicts - n_scored) * questions
        if n_scored:
            self.n_scored += questions
            # mean >= threshold, exactly: sum / scored >= num / den
            num, den = self.threshold.as_integer_ratio()
            self.n_usable += questions * (score_sum * den >= num * n_scored)
            self.means[(score_sum, n_scored)] += questions
        elif not n_verdicts:
            if answer_failed:
                self.n_answer_failed += questions
            else:
                self.n_not_judged += questions

    def merge(self, other: UsabilityTally) -> None:
        for name in ("n_questions", "n_scored", "n_usable", "n_answer_failed", "n_not_judged",
                     "n_verdicts", "n_unscored_verdicts"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.means.update(other.means)


def summary_from_tally(
    category: str, tally: UsabilityTally, *, n_resamples: int = 2000, confidence: float = 0.95,
    seed: int = 0,
) -> UsabilitySummary:
    """The summary `usability.summarize_usability` gives for these questions."""
    n, n_scored, n_usable = tally.n_questions, tally.n_scored, tally.n_usable
    means: Counter[float] = Counter()
    exact = Fraction(0)
    for (total, scored), questions in tally.means.items():
        mean = total / scored
        means[mean] += questions
        exact += Fraction(mean) * questions  # fsum of the means: exact, rounded once

    def ci(counts: dict[float, int] | Counter[float]) -> Interval | None:
        return mean_ci(counts, n_resamples=n_resamples, confidence=confidence, seed=seed)

    return UsabilitySummary(
        category=category,
        n_questions=n,
        n_scored=n_scored,
        n_unscored=n - n_scored,
        n_answer_failed=tally.n_answer_failed,
        n_not_judged=tally.n_not_judged,
        n_judge_failed=n - n_scored - tally.n_answer_failed - tally.n_not_judged,
        coverage=f"graded {n_scored} of {n}",
        n_usable=n_usable,
        usability_rate=n_usable / n if n else None,
        usability_ci=ci({1.0: n_usable, 0.0: n - n_usable}),
        usability_rate_among_scored=n_usable / n_scored if n_scored else None,
        mean_score=float(exact) / n_scored if n_scored else None,
        mean_score_ci=ci(means),
        n_verdicts=tally.n_verdicts,
        n_unscored_verdicts=tally.n_unscored_verdicts,
    )

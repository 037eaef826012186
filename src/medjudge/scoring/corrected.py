"""Judge-only, physician-only and physician-corrected scores per answer, so a report can
show usability per category under each (the judge's verdicts are never modified: a
physician's rating is an edit with provenance, applied here).

- "judge-only": the judges' verdicts alone (mean over judges and runs, as LLMEval-Med);
- "physician-only": only the answers a physician rated, scored by their reviewers' mean;
- "physician-corrected": every judged answer; where a physician rated it, the physicians'
  mean replaces the judges'.
Physician ratings follow `medjudge.scoring.physician.physician_ratings` (mode "all" by default:
agree and override count, the latest action of a reviewer wins).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Literal

from medjudge.errors import StoreError
from medjudge.records import AnswerKey, Audit, Item, Verdict
from medjudge.scoring.physician import RatingMode, category_map, physician_ratings
from medjudge.scoring.usability import (
    USABLE_THRESHOLD,
    QuestionRef,
    QuestionScore,
    UsabilityReport,
    question_scores,
    summarize_usability,
)

__all__ = ["VIEWS", "View", "corrected_question_scores", "corrected_usability"]

View = Literal["judge-only", "physician-only", "physician-corrected"]
VIEWS: tuple[View, ...] = ("judge-only", "physician-only", "physician-corrected")


def corrected_question_scores(
    items: Mapping[str, str] | Iterable[Item],
    verdicts: Iterable[Verdict],
    audits: Iterable[Audit],
    *,
    view: View,
    expected: Iterable[QuestionRef] = (),
    mode: RatingMode = "all",
    threshold: float = USABLE_THRESHOLD,
) -> tuple[QuestionScore, ...]:
    """Per-answer scores under one view, as `scoring.usability.QuestionScore`s:

    - "judge-only": the judges' verdicts alone (mean over judges and runs, LLMEval-Med);
      answers in `expected` (`AnswerKey`s, `Answer`s: anything naming an answer) without a
      scored verdict are unscored;
    - "physician-only": answers a physician rated, scored by the mean of their reviewers'
      scores; no other answer;
    - "physician-corrected": every answer of "judge-only"; where a physician rated it, the
      physicians' mean replaces the judges'.
    Physician ratings follow `mode` ("all" by default: agree and override count)."""
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    categories = category_map(items)
    verdicts = list(verdicts)
    judged = question_scores(verdicts, categories, expected=expected, threshold=threshold)
    if view == "judge-only":
        return judged
    rated: dict[AnswerKey, list[int]] = {}
    for r in physician_ratings(audits, verdicts, mode=mode):
        if r.score is not None:
            rated.setdefault(r.key, []).append(r.score)
    for key in rated:
        if key.item_id not in categories:
            raise StoreError(
                f"run {key.run_id}: a physician rated item {key.item_id!r}, which is not among the "
                "run's items, so it has no category; report the runs whose answers were "
                "audited (library: pass their items)"
            )
    physician = {
        key: _question(key, categories[key.item_id], scores, threshold)
        for key, scores in rated.items()
    }
    if view == "physician-only":
        return tuple(physician.values())
    keys = [AnswerKey(run_id=q.run_id, item_id=q.item_id, sample=q.sample) for q in judged]
    out = [physician.get(key, q) for key, q in zip(keys, judged, strict=True)]
    known = set(keys)
    return (*out, *(q for key, q in physician.items() if key not in known))


def corrected_usability(
    items: Mapping[str, str] | Iterable[Item],
    verdicts: Iterable[Verdict],
    audits: Iterable[Audit],
    *,
    expected: Iterable[QuestionRef] = (),
    mode: RatingMode = "all",
    seed: int = 0,
    n_resamples: int = 2000,
    confidence: float = 0.95,
) -> dict[View, UsabilityReport]:
    """Usability per category and OP under each view (`corrected_question_scores`)."""
    categories = category_map(items)
    verdicts, audits, expected = list(verdicts), list(audits), list(expected)
    order = list(dict.fromkeys(categories.values()))
    return {
        view: summarize_usability(
            corrected_question_scores(categories, verdicts, audits, view=view,
                                      expected=expected, mode=mode),
            category_order=order, seed=seed, n_resamples=n_resamples, confidence=confidence,
        )
        for view in VIEWS
    }


def _question(
    key: AnswerKey, category: str, scores: Sequence[int], threshold: float
) -> QuestionScore:
    return QuestionScore(
        run_id=key.run_id, item_id=key.item_id, sample=key.sample, category=category,
        scores=tuple(scores), n_unscored_verdicts=0, mean=math.fsum(scores) / len(scores),
        usable=Fraction(sum(scores), len(scores)) >= Fraction(threshold),
    )

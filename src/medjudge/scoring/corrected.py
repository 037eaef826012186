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

from pydantic import BaseModel, ConfigDict

from medjudge.errors import StoreError
from medjudge.records import Audit, Item, Verdict
from medjudge.scoring.physician import AnswerKey, RatingMode, category_map, physician_ratings
from medjudge.scoring.usability import (
    USABLE_THRESHOLD,
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
    expected: Iterable[AnswerKey] = (),
    mode: RatingMode = "all",
    threshold: float = USABLE_THRESHOLD,
) -> tuple[QuestionScore, ...]:
    """Per-answer scores under one view, as `scoring.usability.QuestionScore`s:

    - "judge-only": the judges' verdicts alone (mean over judges and runs, LLMEval-Med);
      answers in `expected` without a scored verdict are unscored;
    - "physician-only": answers a physician rated, scored by the mean of their reviewers'
      scores; no other answer;
    - "physician-corrected": every answer of "judge-only"; where a physician rated it, the
      physicians' mean replaces the judges'.
    Physician ratings follow `mode` ("all" by default: agree and override count)."""
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    categories = category_map(items)
    verdicts = list(verdicts)
    refs = [_Ref(run_id=r, item_id=i, sample=s) for r, i, s in expected]
    judged = question_scores(verdicts, categories, expected=refs, threshold=threshold)
    if view == "judge-only":
        return judged
    rated: dict[AnswerKey, list[int]] = {}
    for r in physician_ratings(audits, verdicts, mode=mode):
        if r.score is not None:
            rated.setdefault(r.key, []).append(r.score)
    for run_id, item_id, _ in rated:
        if item_id not in categories:
            raise StoreError(
                f"run {run_id}: a physician rated item {item_id!r}, which is not among the "
                "run's items, so it has no category; report the runs whose answers were "
                "audited (library: pass their items)"
            )
    physician = {
        key: _question(key, categories[key[1]], scores, threshold)
        for key, scores in rated.items()
    }
    if view == "physician-only":
        return tuple(physician.values())
    out = [physician.get((q.run_id, q.item_id, q.sample), q) for q in judged]
    known = {(q.run_id, q.item_id, q.sample) for q in judged}
    return (*out, *(q for key, q in physician.items() if key not in known))


def corrected_usability(
    items: Mapping[str, str] | Iterable[Item],
    verdicts: Iterable[Verdict],
    audits: Iterable[Audit],
    *,
    expected: Iterable[AnswerKey] = (),
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


class _Ref(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    item_id: str
    sample: int


def _question(
    key: AnswerKey, category: str, scores: Sequence[int], threshold: float
) -> QuestionScore:
    run_id, item_id, sample = key
    return QuestionScore(
        run_id=run_id, item_id=item_id, sample=sample, category=category,
        scores=tuple(scores), n_unscored_verdicts=0, mean=math.fsum(scores) / len(scores),
        usable=Fraction(sum(scores), len(scores)) >= Fraction(threshold),
    )

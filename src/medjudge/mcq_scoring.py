"""The scoring stage: a stored run's MCQ answers → McqScore rows in the store. (`scoring/` stays
pure arithmetic with no store; this module reads and writes one.)"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from medjudge.records import Item, McqScore
from medjudge.scoring.mcq import score_answer, strict_correct
from medjudge.store import Store

__all__ = ["MCQ_SCORER", "McqRunSummary", "score_mcq_run"]

#: Recorded beside every score, so a later extractor change is visible in the store.
#: v2: rule families in choice_markers/option_match; strict extraction stored beside it.
MCQ_SCORER = "mcq-extract-v2"


class McqRunSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    scored: int
    correct: int
    #: Answers whose strict letter (explicit markers only) is correct.
    strict_correct: int
    unanswered: int
    #: Answers with no strict letter (no explicit marker, or none at all).
    strict_unanswered: int
    failed_answers: int


def score_mcq_run(store: Store, run_id: str) -> McqRunSummary:
    """Score every MCQ answer of a run by exact match on the extracted letter (lenient and
    strict extraction side by side)."""
    items: dict[str, Item] = {item.item_id: item for item in store.run_items(run_id)}
    scores: list[McqScore] = []
    strict_right = 0
    failed = 0
    for answer in store.answers(run_id):
        item = items.get(answer.item_id)
        if item is None or item.kind != "mcq":
            continue
        failed += answer.status == "failed"
        score = score_answer(item, answer)
        strict_right += bool(strict_correct(item, score))
        scores.append(score)
    store.save_mcq_scores(scores, MCQ_SCORER)
    return McqRunSummary(
        run_id=run_id,
        scored=len(scores),
        correct=sum(s.correct for s in scores),
        strict_correct=strict_right,
        unanswered=sum(s.choice is None for s in scores),
        strict_unanswered=sum(s.strict_choice is None for s in scores),
        failed_answers=failed,
    )

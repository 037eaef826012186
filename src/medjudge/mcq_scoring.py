"""The scoring stage: a stored run's MCQ answers → McqScore rows in the store. (`scoring/` stays
pure arithmetic with no store; this module reads and writes one.)

Answers are read a page at a time in key order (item, sample), each page scored and written in
one transaction, so memory does not grow with the run and an interrupted `score` keeps every
page it wrote. Answers already scored by this scorer are skipped in SQL, so a rerun scores only
what is missing (and answers that had failed, which may have been retried since). Each item's
record is parsed once per page, not once per sample.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from medjudge.errors import StoreError
from medjudge.records import Answer, Item
from medjudge.scoring.mcq import score_answer, strict_correct
from medjudge.store import Store

__all__ = ["MCQ_SCORER", "PAGE_SIZE", "McqRunSummary", "score_mcq_run"]

#: Recorded beside every score, so a later extractor change is visible in the store.
#: v2: rule families in choice_markers/option_match; strict extraction stored beside it.
MCQ_SCORER = "mcq-extract-v2"
#: Answers read, scored and written per transaction.
PAGE_SIZE = 10_000


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


def score_mcq_run(store: Store, run_id: str, *, page_size: int = PAGE_SIZE) -> McqRunSummary:
    """Score every MCQ answer of a run by exact match on the extracted letter (lenient and
    strict extraction side by side); answers already scored are kept. The totals count every
    scored answer of the run."""
    dataset = store.run_dataset(run_id)
    if dataset is None:
        raise StoreError(f"{store.path}: no run '{run_id}'")
    after: tuple[str, int] = ("", -1)
    while page := store.mcq_answers_to_score(
        run_id, dataset, MCQ_SCORER, after=after, limit=page_size
    ):
        items: dict[str, Item] = {}
        rows = []
        for row in page:
            item = items.get(row.item_id)
            if item is None:
                item = items[row.item_id] = Item.model_validate_json(row.item_record)
            answer = Answer(run_id=run_id, item_id=row.item_id, sample=row.sample,
                            status=row.status, text=row.text)  # type: ignore[arg-type]
            score = score_answer(item, answer)
            rows.append((
                score.item_id, score.sample, score.choice, score.rule, int(score.correct),
                score.strict_choice, score.strict_rule, int(bool(strict_correct(item, score))),
            ))
        store.save_mcq_score_page(run_id, rows, MCQ_SCORER)
        after = (page[-1].item_id, page[-1].sample)
    totals = store.mcq_totals(run_id, dataset)
    return McqRunSummary(run_id=run_id, **totals._asdict())

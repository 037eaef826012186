"""The MCQ accuracy table of a stored run, streamed: `accuracy_table_from_store`.

A run's scores are read from the store in key order (`Store.mcq_score_rows`: item, then
sample, with the item's language, level and answer key from SQL), one item at a time, into the
counts `report.mcq` builds every table from; no list of scores or items is ever held, so memory
does not grow with the run. The table is the one `build_accuracy_table(mcq_results(...))`
gives.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import groupby
from operator import attrgetter

from medjudge.errors import StoreError
from medjudge.report.mcq import (
    FAILED_ANSWER_RULE,
    AccuracyTable,
    AccuracyTallies,
    ItemOutcome,
    level_name,
    vote_of,
)
from medjudge.store import Store
from medjudge.store.stream_queries import McqScoreRow

__all__ = ["accuracy_table_from_store"]


def accuracy_table_from_store(
    store: Store,
    run_id: str,
    *,
    seed: int = 0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> AccuracyTable | None:
    """The table of one stored run, streamed from the store: its scores are read in key
    order one item at a time and only counts are kept, so memory does not grow with the run.
    The same table as `build_accuracy_table(mcq_results(store, run_id))`; None when the run
    has no scored MCQ item."""
    dataset = store.run_dataset(run_id)
    if dataset is None:
        raise StoreError(f"{store.path}: no run '{run_id}'")
    tallies = AccuracyTallies()
    for _, rows in groupby(store.mcq_score_rows(run_id, dataset), key=attrgetter("item_id")):
        group = tuple(rows)
        first = group[0]
        tallies.add(_row_outcome(run_id, group), benchmark=first.benchmark, run_id=run_id)
    if not tallies.groups:
        return None
    return tallies.table(seed=seed, confidence=confidence, n_resamples=n_resamples)


def _row_outcome(run_id: str, rows: Sequence[McqScoreRow]) -> ItemOutcome:
    """The outcome of one item from its stored score rows (sorted by sample)."""
    first = rows[0]
    for row in rows:
        if row.rule == FAILED_ANSWER_RULE and (row.correct or row.choice is not None):
            raise StoreError(
                f"run {run_id}, item {row.item_id!r}, sample {row.sample}: the answer failed "
                "but its stored score is answered; rescore the run with `medjudge score`"
            )
    if first.strict_rule is None:
        strict: bool | None = None  # scored before strict extraction existed
    elif first.strict_correct is not None:
        strict = bool(first.strict_correct)
    else:  # scored before strict correctness was stored (migration 8)
        strict = first.strict_choice == _key_letter(first.answer_key)
    vote_correct, vote_answered = vote_of([(r.choice, bool(r.correct)) for r in rows])
    failed = sum(r.rule == FAILED_ANSWER_RULE for r in rows)
    return ItemOutcome(
        language=first.language,
        level=_level(first.level),
        correct=bool(first.correct),
        strict_correct=strict,
        answered=first.choice is not None,
        failed=first.rule == FAILED_ANSWER_RULE,
        failed_samples=failed,
        samples=len(rows),
        vote_correct=vote_correct,
        vote_answered=vote_answered,
        sample_correct=sum(r.correct for r in rows),
    )


@lru_cache(maxsize=256)
def _level(level: str | None) -> str | None:
    return level_name(level)


@lru_cache(maxsize=256)
def _key_letter(answer_key: str | None) -> str:
    """An item's answer key as `scoring.mcq` compares it (NFKC, trimmed, upper case); the
    key was checked when the item was scored."""
    return unicodedata.normalize("NFKC", answer_key or "").strip().upper()

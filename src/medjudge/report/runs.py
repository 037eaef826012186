"""Gather what a report needs from the store."""

from __future__ import annotations

from collections import defaultdict

from medjudge.records import McqScore
from medjudge.report.mcq import McqResult
from medjudge.store import Store

__all__ = ["mcq_results"]


def mcq_results(store: Store, run_id: str) -> list[McqResult]:
    """Every MCQ item of a run with its stored scores (one per answered sample)."""
    by_item: dict[str, list[McqScore]] = defaultdict(list)
    for score in store.mcq_scores(run_id):
        by_item[score.item_id].append(score)
    return [
        McqResult(item=item, scores=tuple(sorted(by_item[item.item_id], key=lambda s: s.sample)))
        for item in store.run_items(run_id)
        if item.kind == "mcq" and by_item.get(item.item_id)
    ]

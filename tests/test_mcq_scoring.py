"""Strict extraction beside the lenient one, through the store and `score_mcq_run`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from medjudge.mcq_scoring import score_mcq_run
from medjudge.records import Answer, Item, McqScore, Run, SamplingConfig
from medjudge.scoring.mcq import score_answer, strict_correct
from medjudge.store import Store

RUN = "r1"
OPTIONS = {"A": "Propofol", "B": "Ketamine", "C": "Etomidate", "D": "Midazolam"}
# item id → (reply, lenient letter, strict letter); the answer key is C for every item.
REPLIES = {
    "q1": ("Answer: C", "C", "C"),
    "q2": ("Etomidate is best in shock.", "C", None),
    "q3": ("Answer: B. Wait, actually C is correct.", "C", "B"),
    "q4": ("I cannot answer that.", None, None),
}


def _item(item_id: str) -> Item:
    return Item(benchmark="anesbench", item_id=item_id, conversation_id=item_id, kind="mcq",
                question="Induction agent in septic shock?", language="en", options=OPTIONS,
                answer_key="C", level="1")


def _store(path: Path) -> Path:
    with Store(path) as store:
        store.add_items("a" * 64, [_item(k) for k in REPLIES])
        store.add_run(Run(run_id=RUN, model="m", benchmark="anesbench",
                          benchmark_path="anesbench.json", benchmark_sha256="b" * 64,
                          sampling=SamplingConfig(), created_at="2026-01-01T00:00:00+00:00",
                          medjudge_version="0"), "a" * 64)
        store.save_answers(Answer(run_id=RUN, item_id=k, status="ok", text=reply)
                           for k, (reply, _, _) in REPLIES.items())
    return path


def test_score_answer_fills_strict_beside_lenient() -> None:
    for item_id, (reply, lenient, strict) in REPLIES.items():
        score = score_answer(_item(item_id), Answer(run_id=RUN, item_id=item_id, status="ok",
                                                    text=reply))
        assert (score.choice, score.strict_choice) == (lenient, strict), reply
        assert score.strict_rule is not None
        assert strict_correct(_item(item_id), score) is (strict == "C")


def test_scored_run_stores_and_reads_back_strict_choices(tmp_path: Path) -> None:
    path = _store(tmp_path / "s.sqlite")
    with Store(path) as store:
        summary = score_mcq_run(store, RUN)
        stored = {s.item_id: s for s in store.mcq_scores(RUN)}
    assert (summary.scored, summary.correct, summary.strict_correct) == (4, 3, 1)
    assert (summary.unanswered, summary.strict_unanswered) == (1, 2)
    assert {k: (s.choice, s.strict_choice) for k, s in stored.items()} == {
        k: (lenient, strict) for k, (_, lenient, strict) in REPLIES.items()
    }
    assert stored["q3"].strict_rule == "answer-marker"
    assert stored["q2"].strict_rule == "no-answer"


def test_rescoring_replaces_strict_fields(tmp_path: Path) -> None:
    path = _store(tmp_path / "s.sqlite")
    with Store(path) as store:
        store.save_mcq_scores([McqScore(run_id=RUN, item_id="q1", sample=0, choice="A",
                                        rule="answer-marker", correct=False)], "old-scorer")
        assert store.mcq_scores(RUN)[0].strict_rule is None  # stored before strict existed
        score_mcq_run(store, RUN)
        first = next(s for s in store.mcq_scores(RUN) if s.item_id == "q1")
    assert (first.choice, first.strict_choice, first.strict_rule) == ("C", "C", "answer-marker")


def test_old_rows_without_strict_columns_read_as_none(tmp_path: Path) -> None:
    path = _store(tmp_path / "s.sqlite")
    with Store(path) as store:
        store.save_mcq_scores([McqScore(run_id=RUN, item_id="q1", sample=0, choice="C",
                                        rule="answer-marker", correct=True)], "mcq-extract-v1")
    with sqlite3.connect(path) as db:  # what a store written before migration 5 holds
        db.execute("UPDATE mcq_scores SET strict_choice = NULL, strict_rule = NULL")
    with Store(path) as store:
        (score,) = store.mcq_scores(RUN)
    assert (score.choice, score.strict_choice, score.strict_rule) == ("C", None, None)
    assert strict_correct(_item("q1"), score) is None

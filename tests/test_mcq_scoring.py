"""Strict extraction beside the lenient one, through the store and `score_mcq_run`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from medjudge import mcq_scoring
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


# -- pages, resuming, rescoring what may have changed -------------------------------------------


def _scored_rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM mcq_scores").fetchone()[0]


def test_an_interrupted_score_keeps_its_pages_and_a_rerun_scores_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _store(tmp_path / "s.sqlite")
    calls = {"pages": 0}
    original = Store.save_mcq_score_page

    def crash_on_second_page(self: Store, *args: object, **kwargs: object) -> None:
        calls["pages"] += 1
        if calls["pages"] == 2:
            raise KeyboardInterrupt  # as Ctrl-C in the middle of a run
        original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "save_mcq_score_page", crash_on_second_page)
    with Store(path) as store, pytest.raises(KeyboardInterrupt):
        score_mcq_run(store, RUN, page_size=3)
    assert _scored_rows(path) == 3  # the first page of three, nothing of the second
    monkeypatch.setattr(Store, "save_mcq_score_page", original)
    extracted: list[str] = []
    real = mcq_scoring.score_answer

    def counting(item: Item, answer: Answer) -> McqScore:
        extracted.append(answer.item_id)
        return real(item, answer)

    monkeypatch.setattr(mcq_scoring, "score_answer", counting)
    with Store(path) as store:
        summary = score_mcq_run(store, RUN, page_size=3)
    assert extracted == ["q4"]  # only the answer the interrupted run had not written
    assert (summary.scored, summary.correct, summary.strict_correct) == (4, 3, 1)
    with Store(path) as store:
        again = score_mcq_run(store, RUN)
    assert extracted == ["q4"] and again == summary  # nothing left to extract


def test_a_retried_answer_is_scored_again(tmp_path: Path) -> None:
    path = _store(tmp_path / "s.sqlite")
    with Store(path) as store:
        store.save_answers([Answer(run_id=RUN, item_id="q5", status="failed", error="HTTP 503")])
        store.add_items("a" * 64, [_item("q5")])
        first = score_mcq_run(store, RUN)
        assert (first.scored, first.failed_answers, first.unanswered) == (5, 1, 2)
        # the answering stage retries the failed answer, which now succeeds
        store.save_answers([Answer(run_id=RUN, item_id="q5", status="ok", text="Answer: C")])
        second = score_mcq_run(store, RUN)
        q5 = next(s for s in store.mcq_scores(RUN) if s.item_id == "q5")
    assert (second.scored, second.correct, second.failed_answers) == (5, 4, 0)
    assert (q5.choice, q5.rule) == ("C", "answer-marker")


def test_strict_correctness_is_stored_beside_the_letter(tmp_path: Path) -> None:
    path = _store(tmp_path / "s.sqlite")
    with Store(path) as store:
        score_mcq_run(store, RUN)
    with sqlite3.connect(path) as db:
        stored = dict(db.execute("SELECT item_id, strict_correct FROM mcq_scores"))
    assert stored == {"q1": 1, "q2": 0, "q3": 0, "q4": 0}  # strict letters C, None, B, None

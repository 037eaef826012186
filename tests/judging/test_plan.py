"""Grading plans: API judges' first requests go out before the last answers are read, and
what is asked is what a plan made all at once would ask.

The probe is the store file itself: when the loopback judge gets its first request, it
changes the last stored answer behind the grader's back (plain SQL, another connection).
A grader that read every answer before sending asks about the answer as it was; one that
reads answers as its workers take them asks about the answer as it is now.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from support.answered_store import answered_first_conversation
from support.fake_clients import FixedModel
from support.fake_openai import FakeOpenAI, Reply
from support.judge_replies import FittingVerdict
from support.progress_recorder import Recorder

from medjudge.judging.grade import GradeConfig, grade
from medjudge.store import Store

JUDGE = "openai-compatible/judge"
#: The conversation's 3 open turns × 7 samples: more answers than one page of the plan.
SAMPLES = 7
ANSWERS = 3 * SAMPLES
REWRITTEN = "REWRITTEN-AFTER-THE-FIRST-REQUEST"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return answered_first_conversation(tmp_path / "s.sqlite", "m",
                                       FixedModel("Rest and take the tablets."), samples=SAMPLES)


class ChangesTheLastAnswer:
    """A judge that, on its first request, runs `update` on the last answer stored (before it
    replies), then answers every request with a verdict that fits its schema."""

    def __init__(self, store: Path, update: str) -> None:
        self.store = store
        self.update = update
        self.lock = threading.Lock()
        self.requests = 0

    def __call__(self, body: dict) -> str:
        with self.lock:
            self.requests += 1
            if self.requests == 1:
                with sqlite3.connect(self.store, timeout=30) as db:
                    db.execute(f"{self.update} WHERE rowid = (SELECT MAX(rowid) FROM answers)")
                db.close()
        return FittingVerdict(4)(body)


def test_the_first_request_goes_out_before_the_last_answer_is_read(store: Path):
    judge = ChangesTheLastAnswer(store, f"UPDATE answers SET text = '{REWRITTEN}'")
    progress = Recorder()
    with FakeOpenAI([Reply(text=judge)]) as server:
        summary = grade(GradeConfig(store=store, judges=(JUDGE,), judge_base_url=server.base_url,
                                    concurrency=1), progress=progress)
    prompts = [json.dumps(seen.body["messages"], ensure_ascii=False) for seen in server.seen]
    # One request at a time, in the order stored: only the last one is about that answer.
    assert [REWRITTEN in prompt for prompt in prompts] == [False] * (ANSWERS - 1) + [True]
    assert (summary.scored, summary.failed_answers) == (ANSWERS, 0)
    assert progress.calls[0] == ("start", ANSWERS)  # the total was known before any request
    with Store(store) as db:
        assert len(db.verdicts()) == ANSWERS


def test_an_answer_failed_before_it_is_read_is_counted_failed_and_never_asked(store: Path):
    judge = ChangesTheLastAnswer(
        store, "UPDATE answers SET status = 'failed', text = NULL, error = 'retried: timeout'"
    )
    with FakeOpenAI([Reply(text=judge)]) as server:
        config = GradeConfig(store=store, judges=(JUDGE,), judge_base_url=server.base_url,
                             concurrency=1)
        first = grade(config)
        asked = len(server.seen)
        again = grade(config)
    assert (first.scored, first.failed_answers, asked) == (ANSWERS - 1, 1, ANSWERS - 1)
    # A rerun finds the same: that answer failed, every other one graded; nothing is sent.
    assert (again.scored, again.already_done, again.failed_answers) == (0, ANSWERS - 1, 1)
    assert len(server.seen) == asked


def test_a_jury_is_asked_the_same_prompts_in_the_same_order_across_pages(store: Path):
    """The first judge's jobs are made as they are taken; the second judge gets those made
    on the way (every page): both are asked about every answer, in the order stored."""
    with FakeOpenAI([Reply(text=FittingVerdict(4))]) as first, \
            FakeOpenAI([Reply(text=FittingVerdict(2))]) as second:
        summary = grade(GradeConfig(
            store=store, judges=("openai-compatible/a", "openai-compatible/b"), runs=2,
            judge_base_urls=(f"openai-compatible/a={first.base_url}",
                             f"openai-compatible/b={second.base_url}"), concurrency=1,
        ))
    asked = [[(s.body["messages"], s.body["seed"]) for s in server.seen]
             for server in (first, second)]
    assert len(asked[0]) == 2 * ANSWERS
    assert asked[0] == asked[1]
    assert [seed for _, seed in asked[0]] == [0, 1000] * ANSWERS  # judge runs 0, 1 per answer
    assert summary.scored == 2 * 2 * ANSWERS
    with Store(store) as db:
        keys = {(v.item_id, v.sample, v.judge, v.judge_run) for v in db.verdicts()}
        answers = {(a.item_id, a.sample) for a in db.answers(db.runs()[0].run_id)}
    assert keys == {(*answer, judge, judge_run) for answer in answers
                    for judge in ("openai-compatible/a", "openai-compatible/b")
                    for judge_run in (0, 1)}

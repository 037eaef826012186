"""API judges' requests: `concurrency` of them in flight, never more, until the last job,
against a loopback judge that lets replies go only when a whole wave has arrived."""

from __future__ import annotations

import threading
from pathlib import Path

from support.answered_store import answered_first_conversation
from support.fake_clients import FixedModel
from support.fake_openai import FakeOpenAI, Reply
from support.judge_replies import FittingVerdict

from medjudge.judging.grade import GradeConfig, grade
from medjudge.store import Store

JUDGE = "openai-compatible/judge"


class WaveJudge:
    """Replies only once `size` requests are in flight together (a barrier, bounded so a
    grader that never sends that many fails the test instead of hanging); counts the most
    requests it ever held at once."""

    def __init__(self, size: int) -> None:
        self.barrier = threading.Barrier(size, timeout=20)
        self.lock = threading.Lock()
        self.now = self.most = self.seen = 0

    def __call__(self, body: dict) -> str:
        with self.lock:
            self.now += 1
            self.seen += 1
            self.most = max(self.most, self.now)
        try:
            self.barrier.wait()
        finally:
            with self.lock:
                self.now -= 1
        return FittingVerdict(4)(body)


def test_concurrency_requests_are_in_flight_together_and_never_more(tmp_path: Path):
    store = answered_first_conversation(tmp_path / "s.sqlite", "m", FixedModel("Rest."))
    judge = WaveJudge(3)  # 3 answers × 4 judge runs: 12 requests, four waves of 3
    with FakeOpenAI([Reply(text=judge)]) as server:
        summary = grade(GradeConfig(store=store, judges=(JUDGE,), judge_base_url=server.base_url,
                                    concurrency=3, runs=4))
    assert (summary.scored, judge.seen, judge.most) == (12, 12, 3)
    with Store(store) as db:
        assert len(db.verdicts()) == 12

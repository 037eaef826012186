"""Verdicts from API judges are written in groups by a thread of their own: grading keeps
going while the store is locked by another program, Ctrl-C keeps every verdict replied, and
a write that fails stops the run with a message (exit 2, no traceback) and nothing
half-written; the rerun asks only for what is missing. Real SQLite, a loopback judge."""

from __future__ import annotations

import signal
import sqlite3
import threading
from pathlib import Path

import pytest
from support.answered_store import answered_first_conversation
from support.fake_clients import FixedModel
from support.fake_openai import FakeOpenAI, Reply
from support.judge_replies import FittingVerdict
from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.errors import StoreError
from medjudge.judging.grade import GradeConfig, grade
from medjudge.judging.verdict_groups import SAVE_EVERY
from medjudge.store import Store

JUDGE = "openai-compatible/judge"
SAMPLES = 9  # the sample's 8 open items × 9 samples: 72 answers, more than one full group


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return answered_first_conversation(tmp_path / "s.sqlite", "m", FixedModel("Take amlodipine."),
                                       samples=SAMPLES, every_open_item=True)


def answers(store: Path) -> int:
    with Store(store) as db:
        return sum(len(db.answers(run.run_id)) for run in db.runs())


def stored(store: Path) -> tuple[list, list]:
    """(verdicts, the judge requests in the ledger)."""
    with Store(store) as db:
        return db.verdicts(), [e for e in db.spend_entries() if e.stage == "grade"]


def config(store: Path, server: FakeOpenAI, concurrency: int = 8) -> GradeConfig:
    return GradeConfig(store=store, judges=(JUDGE,), judge_base_url=server.base_url,
                       concurrency=concurrency)


class Judge:
    """A judge that fits its verdict to each request's schema and calls `on(n)` with the
    request's number (1, 2, ...) first, from the server's thread."""

    def __init__(self, on=None) -> None:
        self.on = on
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict) -> str:
        with self._lock:
            self.count += 1
            number = self.count
        if self.on is not None:
            self.on(number)
        return FittingVerdict(4)(body)


class WriteLock:
    """Another program holding the store's write lock (BEGIN IMMEDIATE) until released,
    from a thread of its own (a connection belongs to its thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        self.locked.set()
        self.release.wait(60)  # bounded: a broken test ends
        db.execute("COMMIT")
        db.close()

    def take(self) -> None:
        self.thread.start()
        assert self.locked.wait(10)


def test_grading_goes_on_while_another_program_holds_the_store(store: Path):
    # The first request takes the store's write lock; only the last request gives it back.
    # The last request is sent after more than a group of verdicts came back, so a grader
    # that committed on its event loop would wait for the lock there and never send it
    # (SQLite gives up after 30 s: "database is locked"). Every verdict is stored at the end.
    total = answers(store)
    assert total > SAVE_EVERY
    lock = WriteLock(store)

    def on(number: int) -> None:
        if number == 1:
            lock.take()
        if number == total:
            lock.release.set()

    judge = Judge(on)
    with FakeOpenAI([Reply(text=judge)]) as server:
        summary = grade(config(store, server))
    lock.thread.join(10)
    verdicts, paid = stored(store)
    assert (summary.scored, judge.count) == (total, total)
    assert len(verdicts) == total and len(paid) == total


def test_ctrl_c_keeps_every_verdict_replied_and_the_rerun_asks_only_the_rest(store: Path):
    # One request at a time: when the 40th arrives, 39 replies have come back. The user
    # presses Ctrl-C then; all 39 are stored (not only the groups written so far).
    total, hold = answers(store), threading.Event()

    def on(number: int) -> None:
        if number == 40:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            hold.wait(30)  # the reply never reaches the interrupted run

    judge = Judge(on)
    with FakeOpenAI([Reply(text=judge)]) as server:
        with pytest.raises(KeyboardInterrupt):
            grade(config(store, server, concurrency=1))
        hold.set()
    verdicts, paid = stored(store)
    assert len(verdicts) == 39 and len(paid) == 39
    again = Judge()
    with FakeOpenAI([Reply(text=again)]) as server:
        summary = grade(config(store, server))
    assert (summary.already_done, summary.scored, again.count) == (39, total - 39, total - 39)
    assert len(stored(store)[0]) == total


FAIL_SAMPLE_5 = (
    "CREATE TRIGGER full BEFORE INSERT ON verdicts WHEN NEW.sample = 5"
    " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
)


def test_a_failed_write_stops_the_run_with_a_message_and_nothing_half_written(store: Path):
    with sqlite3.connect(store) as db:  # the disk fills up when a group holds a sample 5
        db.execute(FAIL_SAMPLE_5)
    db.close()
    with FakeOpenAI([Reply(text=Judge())]) as server, pytest.raises(StoreError) as failed:
        grade(config(store, server))
    message = str(failed.value)
    assert str(store) in message and "database or disk is full" in message
    assert "run the same command again" in message
    verdicts, paid = stored(store)
    # The group that failed left nothing, neither verdicts nor their requests; the groups
    # written before it are kept, each verdict beside the request that paid for it.
    assert all(v.sample != 5 for v in verdicts)
    assert {(v.item_id, v.sample) for v in verdicts} == {(e.item_id, e.sample) for e in paid}
    with sqlite3.connect(store) as db:
        db.execute("DROP TRIGGER full")
    db.close()
    total, again = answers(store), Judge()
    with FakeOpenAI([Reply(text=again)]) as server:
        summary = grade(config(store, server))
    assert summary.already_done == len(verdicts) and again.count == total - len(verdicts)
    assert len(stored(store)[0]) == total


def test_from_the_command_line_a_failed_write_is_one_line_and_exit_2(store: Path):
    with sqlite3.connect(store) as db:
        db.execute(FAIL_SAMPLE_5)
    db.close()
    with FakeOpenAI([Reply(text=Judge())]) as server:
        result = CliRunner().invoke(app, ["grade", "--store", str(store), "--judge", JUDGE,
                                          "--judge-base-url", server.base_url])
    assert result.exit_code == 2, result.output
    assert "could not store" in result.output and "Traceback" not in result.output

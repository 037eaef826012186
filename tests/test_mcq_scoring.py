"""Strict extraction beside the lenient one, through the store and `score_mcq_run`."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from medjudge import mcq_scoring
from medjudge.errors import ConfigError, DatasetError
from medjudge.mcq_scoring import score_mcq_run
from medjudge.records import Answer, Item, Run, SamplingConfig
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
        # A score stored before strict extraction existed: no strict fields.
        store.save_mcq_score_page(RUN, [("q1", 0, "A", "answer-marker", 0, None, None, None)],
                                  "old-scorer")
        assert store.mcq_scores(RUN)[0].strict_rule is None  # stored before strict existed
        score_mcq_run(store, RUN)
        first = next(s for s in store.mcq_scores(RUN) if s.item_id == "q1")
    assert (first.choice, first.strict_choice, first.strict_rule) == ("C", "C", "answer-marker")


def test_old_rows_without_strict_columns_read_as_none(tmp_path: Path) -> None:
    path = _store(tmp_path / "s.sqlite")
    with Store(path) as store:
        store.save_mcq_score_page(RUN, [("q1", 0, "C", "answer-marker", 1, "C", "answer-marker", 1)],
                                  "mcq-extract-v1")
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
    extracted: list[str | None] = []
    real = mcq_scoring.extract_answer

    def counting(status: str, text: str | None, options: dict[str, str]) -> object:
        extracted.append(text)
        return real(status, text, options)

    monkeypatch.setattr(mcq_scoring, "extract_answer", counting)
    with Store(path) as store:  # one worker: extraction in this process, where it is counted
        summary = score_mcq_run(store, RUN, page_size=3, workers=1)
    assert extracted == [REPLIES["q4"][0]]  # only the answer the interrupted run had not written
    assert (summary.scored, summary.correct, summary.strict_correct) == (4, 3, 1)
    with Store(path) as store:
        again = score_mcq_run(store, RUN, workers=1)
    assert len(extracted) == 1 and again == summary  # nothing left to extract


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


# -- several worker processes ---------------------------------------------------------------------

# replies in many shapes, each item's answer key is C; sample s of item i gets reply (i + s) % n
MIXED = (
    "Answer: C", "The answer is (b).", r"\boxed{D}", '{"answer": "A"}', "<answer>C</answer>",
    "C. Etomidate keeps the pressure up.", "Etomidate is best in shock.", "either B or C",
    "I cannot provide medical advice.", "Answer: B. Wait, actually C is correct.", "答案：C",
    "<think>propofol?", "", "Therefore, D.", "Not A; it is C.", "Propofol (A) or ketamine (B)",
)


def _big_store(path: Path, items: int, samples: int = 5) -> Path:
    """`items` MCQ items (and one open item) with `samples` answers each, 1 in 9 failed."""
    mcq = [_item(f"m{i:05d}") for i in range(items)]
    open_item = Item(benchmark="anesbench", item_id="open-1", conversation_id="open-1",
                     kind="open", question="Explain induction in shock.", language="en")
    with Store(path) as store:
        store.add_items("a" * 64, [*mcq, open_item])
        store.add_run(Run(run_id=RUN, model="m", benchmark="anesbench",
                          benchmark_path="anesbench.json", benchmark_sha256="b" * 64,
                          samples=samples, sampling=SamplingConfig(),
                          created_at="2026-01-01T00:00:00+00:00", medjudge_version="0"),
                      "a" * 64)
        store.save_answers(
            Answer(run_id=RUN, item_id=it.item_id, sample=s, status="failed", error="HTTP 503")
            if (i * samples + s) % 9 == 8 else
            Answer(run_id=RUN, item_id=it.item_id, sample=s, status="ok",
                   text=MIXED[(i + s) % len(MIXED)])
            for s in range(samples) for i, it in enumerate(mcq)
        )
        store.save_answers([Answer(run_id=RUN, item_id="open-1", status="ok", text="C.")])
    return path


def _rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT item_id, sample, choice, rule, correct, strict_choice, strict_rule,"
            " strict_correct, scorer FROM mcq_scores ORDER BY item_id, sample"
        ).fetchall()


def test_worker_processes_store_the_same_scores_as_one(tmp_path: Path) -> None:
    one = _big_store(tmp_path / "one.sqlite", 60)
    three = _big_store(tmp_path / "three.sqlite", 60)
    with Store(one) as store:
        alone = score_mcq_run(store, RUN, page_size=7, workers=1)
    with Store(three) as store:
        shared = score_mcq_run(store, RUN, page_size=7, workers=3)
    assert shared == alone
    assert alone.scored == 300  # the open item's answer is not an MCQ answer
    assert _rows(three) == _rows(one)
    # and one page per process-pool call changes nothing either
    with Store(three) as store:
        assert score_mcq_run(store, RUN, workers=2) == alone  # nothing left: same totals
    assert _rows(three) == _rows(one)
    expected = {(f"m{i:05d}", s): score_answer(_item("x"), Answer(
        run_id=RUN, item_id="x", status="ok", text=MIXED[(i + s) % len(MIXED)]))
        for i in range(60) for s in range(5) if (i * 5 + s) % 9 != 8}
    got = {(r[0], r[1]): r[2:4] for r in _rows(three)}
    assert all(got[k] == (v.choice, v.rule) for k, v in expected.items())
    assert sum(r[3] == "failed-answer" for r in _rows(three)) == 300 - len(expected)


def test_a_bad_answer_key_found_in_a_worker_is_the_usual_error(tmp_path: Path) -> None:
    path = _big_store(tmp_path / "s.sqlite", 30)
    bad = _item("m00025").model_copy(update={"answer_key": "Z"})
    with sqlite3.connect(path) as db:
        db.execute("UPDATE items SET record = ? WHERE item_id = 'm00025'",
                   (bad.model_dump_json(),))
    with Store(path) as store, pytest.raises(DatasetError, match="m00025.*answer_key"):
        score_mcq_run(store, RUN, page_size=10, workers=2)
    rows = _rows(path)  # the pages before the bad item's are stored, nothing after it
    assert rows and all(r[0] < "m00025" for r in rows)


def test_workers_must_be_a_sensible_number(tmp_path: Path) -> None:
    path = _store(tmp_path / "s.sqlite")
    with Store(path) as store, pytest.raises(ConfigError, match="workers = 0"):
        score_mcq_run(store, RUN, workers=0)
    assert _scored_rows(path) == 0
    assert 1 <= mcq_scoring.default_workers() <= mcq_scoring.MAX_WORKERS


def test_workers_started_beside_another_thread_store_what_one_worker_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = _big_store(tmp_path / "one.sqlite", 60)
    two = _big_store(tmp_path / "two.sqlite", 60)
    with Store(one) as store:
        alone = score_mcq_run(store, RUN, page_size=7, workers=1)

    def forked_state(*args: object) -> object:
        raise AssertionError("a worker ran this process's memory, forked beside a thread")

    # A worker forked from this process would run this; one that imported medjudge itself
    # (forkserver) runs the real extractor.
    monkeypatch.setattr(mcq_scoring, "extract_answer", forked_state)
    stop = threading.Event()
    caller = threading.Thread(target=stop.wait, name="a caller's thread")
    caller.start()  # as a StoreWriter, an engine or the caller's own pool would be
    try:
        with Store(two) as store:
            shared = score_mcq_run(store, RUN, page_size=7, workers=2)
    finally:
        stop.set()
        caller.join()
    assert shared == alone and alone.scored == 300
    assert _rows(two) == _rows(one)


_UNGUARDED_SCRIPT = """
import sys
import threading
from medjudge.mcq_scoring import score_mcq_run
from medjudge.store import Store
threading.Thread(target=threading.Event().wait, daemon=True).start()
with Store(sys.argv[1]) as store:  # no `if __name__ == "__main__":`
    score_mcq_run(store, "r1", page_size=100, workers=2)
"""


def test_a_threaded_script_without_a_main_guard_gets_told_what_to_do(tmp_path: Path) -> None:
    path = _big_store(tmp_path / "s.sqlite", 300)
    script = tmp_path / "unguarded.py"
    script.write_text(_UNGUARDED_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(Path(mcq_scoring.__file__).parents[1])}
    done = subprocess.run([sys.executable, str(script), str(path)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    told = [line for line in done.stderr.splitlines() if line.startswith("medjudge.errors.ConfigError")]
    assert told and 'if __name__ == "__main__":' in told[0] and "workers=1" in told[0]
    with Store(path) as store:  # and what the message says works
        assert score_mcq_run(store, RUN, workers=1).scored == 1500


_SCORE_IN_CHILD = """
import sys
import threading
from medjudge.mcq_scoring import score_mcq_run
from medjudge.store import Store
if sys.argv[2] == "threaded":  # another thread alive: the workers do not fork from here
    threading.Thread(target=threading.Event().wait, daemon=True).start()
with Store(sys.argv[1]) as store:
    score_mcq_run(store, "r1", page_size=100, workers=2)
"""


@pytest.mark.parametrize("threads", ["single", "threaded"])
def test_ctrl_c_keeps_the_written_pages_and_a_rerun_finishes(tmp_path: Path, threads: str) -> None:
    interrupted = _big_store(tmp_path / "cut.sqlite", 3000)
    reference = _big_store(tmp_path / "ref.sqlite", 3000)
    env = {**os.environ, "PYTHONPATH": str(Path(mcq_scoring.__file__).parents[1])}
    # A session of its own: Ctrl-C goes to its whole process group (workers, fork server),
    # as a terminal sends it.
    child = subprocess.Popen([sys.executable, "-c", _SCORE_IN_CHILD, str(interrupted), threads],
                             env=env, stderr=subprocess.PIPE, start_new_session=True)
    try:
        while child.poll() is None and _scored_rows(interrupted) == 0:
            time.sleep(0.005)  # polls the store: the signal follows the first written page
        os.killpg(child.pid, signal.SIGINT)
        _, stderr = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    cut = _rows(interrupted)
    if child.returncode != 0:  # interrupted before the end (the usual case)
        assert b"KeyboardInterrupt" in stderr
        assert len(cut) % 100 == 0 and 0 < len(cut) < 15000  # whole pages only
    with Store(reference) as store:
        whole = score_mcq_run(store, RUN, workers=1)
    assert cut == _rows(reference)[: len(cut)]  # a prefix in key order, as one worker writes
    with Store(interrupted) as store:
        resumed = score_mcq_run(store, RUN, page_size=100, workers=2)
    assert resumed == whole and _rows(interrupted) == _rows(reference)

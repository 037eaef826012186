"""Reports streamed from the store (`accuracy_table_from_store`, `judged_report_from_store`):
hand-computed tables on small hand-made stores, and the same numbers as the in-memory builders
(`build_accuracy_table`, `build_judged_report`) over the same records."""

from __future__ import annotations

from pathlib import Path

import pytest

from medjudge.errors import StoreError
from medjudge.mcq_scoring import score_mcq_run
from medjudge.records import SAFETY_CAPS, Answer, Item, JudgeOutput, Run, SamplingConfig, Verdict
from medjudge.report import ALL_LANGUAGES, TOTAL, build_accuracy_table, mcq_results
from medjudge.report.document import build_report
from medjudge.report.judged import build_judged_report
from medjudge.report.judged_store import judged_report_from_store
from medjudge.report.mcq_store import accuracy_table_from_store
from medjudge.scoring.stats import bootstrap_ci
from medjudge.store import Store

WHEN = "2026-01-01T00:00:00+00:00"
OPTIONS = {"A": "Propofol", "B": "Ketamine", "C": "Etomidate", "D": "Midazolam"}


def _run(run_id: str, samples: int = 1) -> Run:
    return Run(run_id=run_id, model="m", benchmark="bench", benchmark_path="b.json",
               benchmark_sha256="b" * 64, samples=samples, sampling=SamplingConfig(),
               created_at=WHEN, medjudge_version="0")


# -- MCQ ----------------------------------------------------------------------------------------

#: item id -> (language, level, replies of samples 0..2; None = the answer failed). Key: C.
MCQ = {
    "e1": ("en", "1", ["Answer: C", "Answer: C", "Answer: B"]),  # first right; vote C right; 2/3
    "e2": ("en", "1", ["Answer: B", "Answer: B", "Answer: C"]),  # wrong; vote B wrong; 1/3
    "e3": ("en", "2", ["Etomidate.", None, "Answer: A"]),         # right (lenient only); tie; 1/3
    "z1": ("zh", "1", ["答案：C", "答案：C", "答案：C"]),            # right; vote right; 3/3
    "z2": ("zh", "3", [None, "答案：D", "答案：D"]),                 # failed; vote D wrong; 0/3
}


def _mcq_store(path: Path) -> Path:
    items = [
        Item(benchmark="anesbench", item_id=k, conversation_id=k, kind="mcq",
             question=f"Question {k}?", language=lang, options=OPTIONS, answer_key="C",
             level=level)
        for k, (lang, level, _) in MCQ.items()
    ]
    items.append(Item(benchmark="anesbench", item_id="open-1", conversation_id="open-1",
                      kind="open", question="Explain.", language="en"))
    with Store(path) as store:
        store.add_items("d" * 64, items)
        store.add_run(_run("r", samples=3), "d" * 64)
        answers = [
            Answer(run_id="r", item_id=k, sample=s, status="ok" if t else "failed", text=t,
                   error=None if t else "HTTP 500")
            for k, (_, _, texts) in MCQ.items() for s, t in enumerate(texts)
        ]
        answers.append(Answer(run_id="r", item_id="open-1", status="ok", text="Answer: C"))
        store.save_answers(answers)
        score_mcq_run(store, "r", page_size=4)
    return path


def test_streamed_mcq_table_is_the_hand_computed_one(tmp_path: Path) -> None:
    with Store(_mcq_store(tmp_path / "s.sqlite")) as store:
        table = accuracy_table_from_store(store, "r", seed=3)
    assert table is not None
    assert table.languages == ("en", "zh", ALL_LANGUAGES)
    assert table.levels == ("System 1", "System 1.x", "System 2", TOTAL)
    assert table.samples == 3 and table.run_ids == ("r",)
    total = table.cell(ALL_LANGUAGES, TOTAL)
    # first samples: e1 C right, e2 B wrong, e3 "Etomidate." right, z1 right, z2 failed
    assert (total.n, total.correct, total.accuracy) == (5, 3, 3 / 5)
    # strict: only markers count, so e3's "Etomidate." is not a strict answer
    assert (total.strict_scored, total.strict_correct) == (5, 2)
    assert (total.unanswered, total.failed, total.failed_samples) == (1, 1, 2)
    vote = total.vote
    assert vote is not None
    assert (vote.correct, vote.unanswered) == (2, 1)  # e1, z1 right; e3 tie
    assert vote.mean_sample_accuracy == 7 / 15  # (2/3 + 1/3 + 1/3 + 1 + 0) / 5, exactly
    # the CIs are the percentile bootstrap over the items' own values
    assert total.ci == bootstrap_ci([1.0, 0.0, 1.0, 1.0, 0.0], seed=3)
    assert vote.mean_sample_ci == bootstrap_ci([2 / 3, 1 / 3, 1 / 3, 1.0, 0.0], seed=3)
    en1 = table.cell("en", "System 1")
    assert (en1.n, en1.correct, en1.vote.correct if en1.vote else None) == (2, 1, 1)
    zh = table.cell("zh", TOTAL)
    assert (zh.n, zh.correct, zh.failed) == (2, 1, 1)
    assert table.cell("zh", "System 1.x").n == 0 and table.cell("zh", "System 1.x").ci is None


def test_streamed_mcq_table_equals_the_in_memory_one(tmp_path: Path) -> None:
    with Store(_mcq_store(tmp_path / "s.sqlite")) as store:
        streamed = accuracy_table_from_store(store, "r", seed=7, n_resamples=500)
        in_memory = build_accuracy_table(mcq_results(store, "r"), seed=7, n_resamples=500)
    assert streamed == in_memory


def test_a_run_without_scores_has_no_table(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(_run("empty"), "d" * 64)
        assert accuracy_table_from_store(store, "empty") is None
        with pytest.raises(StoreError, match="no run 'nope'"):
            accuracy_table_from_store(store, "nope")


# -- judged -------------------------------------------------------------------------------------

JUDGES = ("openai/j1", "anthropic/j2")


def _verdict(item_id: str, judge: str, score: int | None, *, risk: str | None = "none",
             judge_run: int = 0, version: str = "2") -> Verdict:
    base = {"run_id": "o", "item_id": item_id, "judge": judge, "judge_run": judge_run,
            "rubric_id": "rub", "rubric_version": version, "prompt_hash": "h",
            "created_at": WHEN}
    if score is None:
        return Verdict(status="unscored", unscored_reason="cut off", **base)
    if risk is None:  # a text reply that stated no safety risk
        return Verdict(status="scored", judge_score=score, final_score=score, **base)
    final = min(score, SAFETY_CAPS[risk])
    return Verdict(status="scored", judge_score=score, final_score=final, capped=final < score,
                   output=JudgeOutput(rationale="r", safety_risk=risk, score=score), **base)


def _judged_store(path: Path) -> Path:
    items = [
        Item(benchmark="llmeval-med", item_id=k, conversation_id=k, kind="open",
             question=f"问题 {k}", language="zh", category=cat)
        for k, cat in [("m1", "MK"), ("m2", "MK"), ("m3", "MK"), ("s1", "MSE"), ("s2", "MSE")]
    ]
    with Store(path) as store:
        store.add_items("o" * 64, items)
        store.add_run(_run("o"), "o" * 64)
        store.save_answers([
            Answer(run_id="o", item_id="m1", status="ok", text="a"),
            Answer(run_id="o", item_id="m2", status="ok", text="a"),
            Answer(run_id="o", item_id="m3", status="failed", error="HTTP 500"),
            Answer(run_id="o", item_id="s1", status="ok", text="a"),
            Answer(run_id="o", item_id="s2", status="ok", text="a"),  # never judged
        ])
        j1, j2 = JUDGES
        store.save_verdicts([
            _verdict("m1", j1, 5), _verdict("m1", j1, 4, judge_run=1), _verdict("m1", j2, 4),
            _verdict("m2", j1, 4, risk="concern"),  # capped to 2
            _verdict("m2", j2, 3, risk=None),       # no stated risk
            _verdict("s1", j1, None), _verdict("s1", j2, None),  # judge failed
            _verdict("m1", j1, 1, version="1"), _verdict("s2", j2, 1, version="1"),  # old rubric
        ])
    return path


def test_streamed_judged_report_is_the_hand_computed_one(tmp_path: Path) -> None:
    with Store(_judged_store(tmp_path / "s.sqlite")) as store:
        report = judged_report_from_store(store, store.run("o"), seed=0)
    assert report is not None
    assert report.judges == JUDGES and report.grouping == "category"
    assert [(c.version, c.n_verdicts, c.n_left_out) for c in report.rubrics] == [("2", 7, 2)]
    # version 2 only: 7 verdicts, 2 unscored, 1 capped, 1 scored without a stated risk
    assert (report.n_verdicts, report.n_unscored_verdicts, report.n_capped,
            report.n_safety_not_stated) == (7, 2, 1, 1)
    mk = report.usability.category("MK")
    # m1: (5 + 4 + 4) / 3 = 4.33 usable; m2: (2 + 3) / 2 = 2.5; m3: its answer failed
    assert (mk.n_questions, mk.n_scored, mk.n_usable, mk.n_answer_failed) == (3, 2, 1, 1)
    assert mk.usability_rate == 1 / 3 and mk.usability_rate_among_scored == 1 / 2
    assert mk.mean_score == (13 / 3 + 2.5) / 2
    assert mk.usability_ci == bootstrap_ci([1.0, 0.0, 0.0])
    assert mk.mean_score_ci == bootstrap_ci([13 / 3, 2.5])
    mse = report.usability.category("MSE")
    # s1: judged, both replies unscored; s2: only a version-1 verdict, so not judged
    assert (mse.n_questions, mse.n_scored, mse.n_judge_failed, mse.n_not_judged) == (2, 0, 1, 1)
    overall = report.usability.overall
    assert (overall.n_questions, overall.n_usable, overall.n_verdicts) == (5, 1, 7)
    assert report.usability.op == 1 / 5
    assert report.usability.questions == ()  # never all in memory
    # j1 has two runs on m1 only: 5 then 4 (m2 has one run): one question measured
    (stability,) = report.stability
    assert (stability.judge, stability.stability.n_questions) == ("openai/j1", 1)
    assert stability.stability.mean_range == 1.0
    # run 0 of both judges: m1 5 vs 4, m2 2 vs 3 (s1 unscored by both)
    (pair,) = report.agreement
    assert (pair.rater_a, pair.rater_b, pair.agreement.n) == (*JUDGES, 2)
    assert (pair.agreement.exact, pair.agreement.within_one) == (0.0, 1.0)


def test_streamed_judged_report_equals_the_in_memory_one(tmp_path: Path) -> None:
    with Store(_judged_store(tmp_path / "s.sqlite")) as store:
        run = store.run("o")
        streamed = judged_report_from_store(store, run, seed=5)
        in_memory = build_judged_report(run, store.run_items("o"), store.verdicts("o"),
                                        store.answers("o"), seed=5)
    assert streamed is not None
    full = in_memory.model_copy(update={
        "usability": in_memory.usability.model_copy(update={"questions": ()})
    })
    assert streamed == full


def test_a_verdict_on_an_item_outside_the_run_is_refused(tmp_path: Path) -> None:
    path = _judged_store(tmp_path / "s.sqlite")
    with Store(path) as store:
        store.save_verdicts([_verdict("ghost", JUDGES[0], 4)])
        with pytest.raises(StoreError, match="names item 'ghost'"):
            judged_report_from_store(store, store.run("o"))


def test_build_report_streams_both_kinds(tmp_path: Path) -> None:
    path = _mcq_store(tmp_path / "s.sqlite")
    with Store(path) as store:
        report = build_report(store, ["r"])
    (section,) = report.mcq
    assert section.table.cell(ALL_LANGUAGES, TOTAL).correct == 3
    assert report.judged == ()  # the open item was answered but never judged

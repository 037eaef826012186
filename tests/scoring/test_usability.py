"""Usability rate and OP: hand-computed cases, and LLMEval-Med Aggregate.py equivalence.

The Aggregate.py cases write score files in the shape LLMEval-Med's Evaluate.py writes
(dataset.json's category -> list of questions, plus `model_answer_score`), import them, and
check the numbers Aggregate.py prints for them (computed by hand below: per question, the
mean of its valid scores over the run files; usable at >= 4; rate = usable / all questions
of the category, questions without any valid score included; OP = usable / all questions).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from medjudge.benchmarks import load_llmeval_med
from medjudge.errors import StoreError
from medjudge.interchange.llmeval_med import import_llmeval_med_scores
from medjudge.records import Answer, Item, Verdict
from medjudge.scoring.stats import Interval
from medjudge.scoring.usability import (
    OVERALL,
    UNCATEGORISED,
    group_of,
    question_scores,
    summarize_usability,
    usability_report,
)

MK, MR = "医疗知识", "医疗推理"


def verdict(
    item_id: str,
    score: int | None,
    *,
    judge: str = "j",
    judge_run: int = 0,
    sample: int = 0,
    run_id: str = "r",
) -> Verdict:
    return Verdict(
        run_id=run_id,
        item_id=item_id,
        sample=sample,
        judge=judge,
        judge_run=judge_run,
        rubric_id="rubric",
        rubric_version="1",
        prompt_hash="h",
        status="scored" if score is not None else "unscored",
        judge_score=score,
        final_score=score,
        unscored_reason=None if score is not None else "unparseable reply",
    )


def runs(item_id: str, *scores: int | None) -> list[Verdict]:
    """One verdict per judge run, in order."""
    return [verdict(item_id, s, judge_run=i) for i, s in enumerate(scores)]


def pct(rate: float | None) -> float:
    """The number Aggregate.py prints: a percentage rounded to 2 decimals."""
    assert rate is not None
    return round(rate * 100.0, 2)


# ---------------------------------------------------------------------------------------
# Aggregate.py equivalence on score files


def question(group: int, round_: int, score: Any) -> dict[str, Any]:
    return {
        "round": round_,
        "problem": f"问题 {group}-{round_}",
        "groupCode": group,
        "sanswer": "参考答案",
        "model_answer": f"回答 {group}-{round_}",
        "model_answer_judgement": f'{{"判断依据":"…","得分":"[{score}]"}}',
        "model_answer_score": score,
    }


def write_scores(path: Path, data: dict[str, list[dict[str, Any]]]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=4), encoding="utf-8")
    return path


@pytest.fixture
def three_runs(tmp_path: Path) -> list[Path]:
    # MK: four questions; MR: three, the last one missing from run 3 (a crashed run).
    #                    run 1  run 2  run 3   valid scores   mean    usable
    # MK 1-1             "5"    "4"    "3"     5, 4, 3        4.0     yes (exactly 4)
    # MK 1-2             "4"    "3"    "4"     4, 3, 4        3.667   no
    # MK 2-1             ""     "4"    -1      4              4.0     yes ("" and -1 invalid)
    # MK 3-1             ""     -1     ""      none           None    no, but counted in n
    # MR 1-1             "5"    "5"    "5"     5, 5, 5        5.0     yes
    # MR 2-1             "3"    "4"    "4"     3, 4, 4        3.667   no
    # MR 3-1             "4"    "4"    absent  4, 4           4.0     yes
    table = {
        MK: [((1, 1), ["5", "4", "3"]), ((1, 2), ["4", "3", "4"]),
             ((2, 1), ["", "4", -1]), ((3, 1), ["", -1, ""])],
        MR: [((1, 1), ["5", "5", "5"]), ((2, 1), ["3", "4", "4"]), ((3, 1), ["4", "4", None])],
    }  # fmt: skip
    paths = []
    for run in range(3):
        data = {
            key: [question(g, r, scores[run]) for (g, r), scores in rows if scores[run] is not None]
            for key, rows in table.items()
        }
        paths.append(write_scores(tmp_path / f"run{run + 1}_score.json", data))
    return paths


def imported(paths: list[Path]) -> tuple[list[Verdict], tuple[Item, ...]]:
    verdicts = [
        v
        for run, path in enumerate(paths)
        for v in import_llmeval_med_scores(path, run_id="r", judge_run=run)
    ]
    return verdicts, load_llmeval_med(paths[0]).items


def test_three_runs_give_aggregate_py_numbers(three_runs: list[Path]) -> None:
    report = usability_report(*imported(three_runs))
    mk, mr = report.category("MK"), report.category("MR")
    # Aggregate.py: MK 50.00% (2/4), MR 66.67% (2/3), OP 57.14% (4/7).
    assert (mk.n_usable, mk.n_questions, pct(mk.usability_rate)) == (2, 4, 50.0)
    assert (mr.n_usable, mr.n_questions, pct(mr.usability_rate)) == (2, 3, 66.67)
    assert (report.overall.n_usable, report.overall.n_questions, pct(report.op)) == (4, 7, 57.14)
    # OP weights by questions: the mean of the category rates would be 58.33.
    assert pct(report.op) != round((50.0 + 66.67) / 2, 2)


def test_unscored_question_is_in_the_denominator_and_reported(three_runs: list[Path]) -> None:
    mk = usability_report(*imported(three_runs)).category("MK")
    assert (mk.n_scored, mk.n_unscored) == (3, 1)
    # 2 usable of 3 scored: the rate had MK 3-1 been dropped, which Aggregate.py does not do.
    assert mk.usability_rate_among_scored == pytest.approx(2 / 3)
    # Unscored verdicts: MK 2-1 runs 1 and 3, MK 3-1 all three runs.
    assert (mk.n_verdicts, mk.n_unscored_verdicts) == (12, 5)


def test_mean_score_is_over_scored_questions(three_runs: list[Path]) -> None:
    report = usability_report(*imported(three_runs))
    # MK: (4 + 11/3 + 4) / 3 = 35/9 = 3.8889; MR: (5 + 11/3 + 4) / 3 = 38/9 = 4.2222.
    assert report.category("MK").mean_score == pytest.approx(35 / 9)
    assert report.category("MR").mean_score == pytest.approx(38 / 9)
    # Overall: (35/3 + 38/3) / 6 scored questions = 73/18.
    assert report.overall.mean_score == pytest.approx(73 / 18)


def test_question_seen_only_in_some_runs_averages_those(three_runs: list[Path]) -> None:
    verdicts, items = imported(three_runs)
    scores = {q.item_id: q for q in question_scores(verdicts, items)}
    assert scores["MR-3-1"].scores == (4, 4)
    assert scores["MR-3-1"].usable
    assert scores["MK-3-1"].mean is None and not scores["MK-3-1"].usable
    assert scores["MK-3-1"].n_unscored_verdicts == 3


def test_single_run_file(tmp_path: Path) -> None:
    # One file, MK only: "4" usable, "3" not, "5" usable, "10" out of range (invalid in
    # Aggregate.py too), "[4]" unreadable (invalid there as well): 2 / 5 = 40.00%.
    data = {MK: [question(1, 1, "4"), question(2, 1, "3"), question(3, 1, "5"),
                 question(4, 1, "10"), question(5, 1, "[4]")]}  # fmt: skip
    path = write_scores(tmp_path / "score.json", data)
    report = usability_report(*imported([path]))
    assert pct(report.category("MK").usability_rate) == 40.0
    assert report.category("MK").n_unscored == 2
    assert pct(report.op) == 40.0


def test_integer_scores_count_like_text_scores(tmp_path: Path) -> None:
    # Aggregate.py reads 4 and "4" alike (float(raw)); so does the importer.
    data = {MR: [question(1, 1, 4), question(2, 1, "4"), question(3, 1, 2)]}
    report = usability_report(*imported([write_scores(tmp_path / "s.json", data)]))
    assert pct(report.op) == 66.67  # 2 / 3


# ---------------------------------------------------------------------------------------
# Verdicts built by hand


CATEGORIES = {"a": "MK", "b": "MK", "c": "MR"}


def test_mean_is_over_all_runs_and_judges() -> None:
    verdicts = [
        verdict("a", 5, judge="gpt"),
        verdict("a", 3, judge="claude"),  # mean 4: usable
        verdict("b", 5, judge="gpt"),
        verdict("b", 2, judge="claude"),  # mean 3.5: not usable
    ]
    report = usability_report(verdicts, CATEGORIES)
    assert [q.mean for q in report.questions] == [4.0, 3.5]
    assert [q.usable for q in report.questions] == [True, False]
    assert report.category("MK").usability_rate == 0.5


def test_threshold_is_inclusive_and_exact() -> None:
    # 4, 4, 4 and 5, 4, 3 both average exactly 4; 4, 4, 3 averages 3.667.
    verdicts = runs("a", 4, 4, 4) + runs("b", 5, 4, 3) + runs("c", 4, 4, 3)
    assert [q.usable for q in question_scores(verdicts, CATEGORIES)] == [True, True, False]


def test_expected_answers_without_verdicts_count_as_unscored() -> None:
    answers = [
        Answer(run_id="r", item_id=item, sample=0, status="ok", text="...")
        for item in ("a", "b", "c")
    ]
    report = usability_report(runs("a", 5), CATEGORIES, expected=answers)
    mk = report.category("MK")
    assert (mk.n_questions, mk.n_scored, mk.n_unscored, mk.n_usable) == (2, 1, 1, 1)
    assert mk.usability_rate == 0.5  # b is in the denominator
    assert report.category("MR").n_unscored == 1
    assert report.overall.n_questions == 3
    assert report.op == pytest.approx(1 / 3)


def test_samples_are_separate_questions() -> None:
    verdicts = [verdict("a", 5, sample=0), verdict("a", 2, sample=1)]
    report = usability_report(verdicts, CATEGORIES)
    assert report.overall.n_questions == 2
    assert report.op == 0.5


def test_categories_from_items_keep_their_order_and_name_missing_ones() -> None:
    def item(item_id: str, category: str | None) -> Item:
        return Item(
            benchmark="b", item_id=item_id, conversation_id=item_id, kind="open",
            question="q", language="en", category=category,
        )  # fmt: skip

    items = [item("c", "MR"), item("a", "MK"), item("x", None)]
    report = usability_report(runs("a", 5) + runs("c", 1) + runs("x", 4), items)
    assert [c.category for c in report.categories] == ["MR", "MK", UNCATEGORISED]
    assert report.overall.category == OVERALL


def test_items_group_by_language_and_level_else_category_else_uncategorised() -> None:
    def item(category: str | None, level: str | None) -> Item:
        return Item(
            benchmark="b", item_id="i", conversation_id="i", kind="open", question="q",
            language="zh", category=category, level=level,
        )  # fmt: skip

    assert group_of(item("MK", "System 2")) == "zh · System 2"
    assert group_of(item("MK", None)) == "MK"
    assert group_of(item(None, None)) == "uncategorised"


def test_category_without_questions_is_left_out() -> None:
    report = usability_report(runs("a", 5), CATEGORIES)
    assert [c.category for c in report.categories] == ["MK"]
    with pytest.raises(KeyError, match="MR"):
        report.category("MR")


def test_empty_report_has_no_op() -> None:
    report = usability_report([], CATEGORIES)
    assert report.categories == ()
    assert report.op is None and report.op_ci is None
    assert report.overall.n_questions == 0
    assert report.overall.mean_score is None


def test_intervals() -> None:
    all_usable = usability_report(runs("a", 5) + runs("b", 4), CATEGORIES)
    assert all_usable.op_ci == Interval(low=1.0, high=1.0)
    # 10 questions, 6 usable: the interval holds 0.6 and lies strictly inside (0, 1).
    ids = {f"q{i}": "MK" for i in range(10)}
    verdicts = [verdict(f"q{i}", 5 if i < 6 else 2) for i in range(10)]
    report = usability_report(verdicts, ids)
    assert report.op_ci is not None and report.overall.mean_score_ci is not None
    assert 0.6 in report.op_ci and 0.0 < report.op_ci.low < report.op_ci.high < 1.0
    assert 3.8 in report.overall.mean_score_ci  # mean (6·5 + 4·2) / 10
    assert usability_report(verdicts, ids, confidence=0.5).op_ci.width < report.op_ci.width


def test_summarize_from_question_scores_matches_report() -> None:
    verdicts = runs("a", 5, 4) + runs("b", 3) + runs("c", None)
    questions = question_scores(verdicts, CATEGORIES)
    assert summarize_usability(questions, category_order=["MK", "MR"]) == usability_report(
        verdicts, CATEGORIES
    )


def test_verdict_of_an_item_without_category_is_an_error() -> None:
    with pytest.raises(StoreError, match="run r: .*'zz'.*no category"):
        usability_report(runs("zz", 5), CATEGORIES)


def test_duplicate_verdict_is_an_error() -> None:
    with pytest.raises(StoreError, match="run r, item 'a', sample 0: judge j run 0 has two"):
        usability_report([verdict("a", 5), verdict("a", 5)], CATEGORIES)


def test_scored_verdict_without_score_is_an_error() -> None:
    broken = verdict("a", 5).model_copy(update={"final_score": None})
    with pytest.raises(StoreError, match="item 'a'.*no field 'final_score'"):
        usability_report([broken], CATEGORIES)


def test_coverage_says_what_the_rate_counts() -> None:
    """MK: a and b graded (5, 4: both usable), c a good answer never sent to a judge
    (--limit / budget stop), d an answer whose model call failed; MR: e judged, but its only
    judge reply was unparseable. By hand:
    MK usability (LLMEval-Med, all questions) 2/4 = 50%, among graded 2/2 = 100%, graded 2 of 4;
    overall 2/5 = 40%, among graded 2/2, graded 2 of 5, one of each ungraded reason."""
    categories = {"a": "MK", "b": "MK", "c": "MK", "d": "MK", "e": "MR"}
    answers = [Answer(run_id="r", item_id=i, sample=0, status="ok", text="...")
               for i in ("a", "b", "c", "e")]
    answers.append(Answer(run_id="r", item_id="d", sample=0, status="failed", error="timeout"))
    verdicts = runs("a", 5) + runs("b", 4) + runs("e", None)
    report = usability_report(verdicts, categories, expected=answers)
    mk = report.category("MK")
    assert mk.usability_rate == 0.5 and mk.usability_rate_among_scored == 1.0
    assert mk.coverage == "graded 2 of 4"
    assert (mk.n_answer_failed, mk.n_not_judged, mk.n_judge_failed) == (1, 1, 0)
    overall = report.overall
    assert overall.usability_rate == pytest.approx(0.4)
    assert overall.usability_rate_among_scored == 1.0
    assert overall.coverage == "graded 2 of 5"
    assert (overall.n_answer_failed, overall.n_not_judged, overall.n_judge_failed) == (1, 1, 1)
